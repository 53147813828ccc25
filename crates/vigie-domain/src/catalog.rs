//! The catalog of parameter tables: every value of every drop-down, the territories and
//! the services, as loaded by the store — what pages and rules need to resolve an id to
//! its label, its table and whether it is still active.

use crate::DossierStatus;
use crate::param::{Meaning, ParamKind};

/// One value of a parameter table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParamValue {
    pub id: i64,
    pub kind: ParamKind,
    pub code: String,
    pub label: String,
    pub sort_order: i64,
    pub active: bool,
    pub national_code: Option<String>,
    pub meaning: Option<Meaning>,
}

/// A territory (e.g. a Maison départementale de la solidarité).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Territory {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// A service, which belongs to a territory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Service {
    pub id: i64,
    pub territory_id: i64,
    pub code: String,
    pub label: String,
    pub active: bool,
}

/// All parameter values, territories and services: what pages need to show labels.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub params: Vec<ParamValue>,
    pub territories: Vec<Territory>,
    pub services: Vec<Service>,
}

impl Catalog {
    pub fn param(&self, id: i64) -> Option<&ParamValue> {
        self.params.iter().find(|p| p.id == id)
    }

    pub fn label(&self, id: Option<i64>) -> String {
        id.and_then(|i| self.param(i))
            .map(|p| p.label.clone())
            .unwrap_or_default()
    }

    pub fn of_kind(&self, kind: ParamKind) -> impl Iterator<Item = &ParamValue> {
        self.params.iter().filter(move |p| p.kind == kind)
    }

    /// The label of a status, as the département named it.
    pub fn status_label(&self, s: DossierStatus) -> String {
        self.of_kind(ParamKind::Status)
            .find(|p| p.code == s.code())
            .map_or_else(|| s.label().to_owned(), |p| p.label.clone())
    }

    pub fn territory(&self, id: i64) -> Option<&Territory> {
        self.territories.iter().find(|t| t.id == id)
    }

    pub fn service(&self, id: i64) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
}
