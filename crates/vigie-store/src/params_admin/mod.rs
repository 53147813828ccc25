//! Administration of the drop-down lists in the application: the parameter tables
//! (`param_value`, one per [`ParamKind`]), the territories and the services.
//!
//! Rules (issue 6):
//! - a value is listed with its use (dossiers, services, users that reference it);
//! - a value in use cannot be deleted, only deactivated; its code cannot change;
//! - a deactivated value disappears from new entries, old dossiers keep showing it
//!   (the dossier screens read the catalog on every request: no restart);
//! - a value with a fixed [`Meaning`] keeps its code and cannot be deleted (rules and
//!   statistics rely on it); the last active value carrying a meaning the law requires
//!   ([`meaning_required`]) cannot be deactivated;
//! - the dossier statuses are a closed list: only their labels change;
//! - every change is one transaction with its audit entry (`parametre.*`), whose detail
//!   holds the table, the code and the changed field names, never a label.
//!
//! Errors: [`StoreError::Invalid`] with a [`DomainError::Invalid`] naming the field, or a
//! [`DomainError::Rule`] for an operation the value's state forbids; [`StoreError::NotFound`]
//! for an id that is not in the table. Nothing is written when an error is returned.
//!
//! Here: the tables and the value types; [`read`] lists values and counts their uses;
//! [`checks`] checks what is typed; [`write`] holds the changes (add, edit, move,
//! activate, delete).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use vigie_domain::DomainError;
use vigie_domain::error::Errors;
use vigie_domain::param::{Meaning, ParamKind};

use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::sql::{all, exec, get, one};
use crate::{Result, StoreError, vals};

mod checks;
mod read;
#[cfg(test)]
mod tests;
mod write;

use checks::*;
pub use read::counted_references;
use read::*;

/// Longest code (letters without accents, digits, `_` and `-`).
pub const CODE_MAX: usize = 50;
/// Longest national code.
pub const NATIONAL_CODE_MAX: usize = 50;
/// Longest label.
pub const LABEL_MAX: usize = vigie_domain::text::SHORT_MAX;

/// A table administrable in the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Param(ParamKind),
    Territories,
    Services,
}

impl Table {
    /// Every table, in the order of the administration page.
    pub fn all() -> Vec<Table> {
        let mut v: Vec<Table> = ParamKind::ALL.into_iter().map(Table::Param).collect();
        v.push(Table::Territories);
        v.push(Table::Services);
        v
    }

    /// Stable code, used in URLs and audit details.
    pub const fn code(self) -> &'static str {
        match self {
            Table::Param(k) => k.code(),
            Table::Territories => "territoires",
            Table::Services => "services",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::all().into_iter().find(|t| t.code() == code)
    }

    /// French name of the table.
    pub const fn label(self) -> &'static str {
        match self {
            Table::Param(k) => k.label(),
            Table::Territories => "Territoires",
            Table::Services => "Services",
        }
    }

    /// A closed list (the dossier statuses, whose rules are code): only labels change.
    pub const fn closed(self) -> bool {
        matches!(self, Table::Param(ParamKind::Status))
    }

    /// Whether values carry a national code (the parameter tables do).
    pub const fn has_national_code(self) -> bool {
        matches!(self, Table::Param(_))
    }

    /// The meanings a value of this table may carry.
    pub fn meanings(self) -> &'static [Meaning] {
        match self {
            Table::Param(k) => k.meanings(),
            Table::Territories | Table::Services => &[],
        }
    }

    const fn sql_table(self) -> &'static str {
        match self {
            Table::Param(_) => "param_value",
            Table::Territories => "territory",
            Table::Services => "service",
        }
    }

    fn kind_code(self) -> &'static str {
        match self {
            Table::Param(k) => k.code(),
            _ => "",
        }
    }

    const fn order(self) -> &'static str {
        match self {
            Table::Param(_) => "sort_order, id",
            Table::Territories | Table::Services => "sort_order, label, id",
        }
    }
}

/// French wording of a meaning (lower case).
pub const fn meaning_label(m: Meaning) -> &'static str {
    use Meaning::*;
    match m {
        InformationPreoccupante => "information préoccupante",
        SignalementDirect => "signalement direct au parquet",
        DemandeRenseignements => "demande de renseignements",
        RetourInformation => "retour d'information",
        Snated => "transmission du 119 (SNATED)",
        Pere => "père",
        Mere => "mère",
        BeauParent => "beau-parent",
        Fratrie => "fratrie",
        AutreFamille => "autre membre de la famille",
        Tiers => "tiers",
        Institution => "institution",
        Inconnu => "inconnu",
        ClassementSansSuite => "classement sans suite",
        DroitCommun => "orientation vers le droit commun",
        MesureAdministrative => "mesure administrative",
        SignalementParquet => "signalement au parquet",
        TransmissionAutreDepartement => "transmission à un autre département",
        DejaSuivie => "situation déjà suivie",
        Danger => "danger",
        RisqueDeDanger => "risque de danger",
        NiDangerNiRisque => "ni danger ni risque de danger",
        NonRenseigne => "non renseigné",
        IpRecue => "IP reçue (confidentielle par défaut)",
        RapportEvaluation => "rapport d'évaluation (déposé par l'évaluateur)",
    }
}

/// Meanings a CRIP must always be able to record: the three outcomes of an evaluation
/// (CASF D226-2-6) and the signalement to the procureur (L226-4). The last active value
/// carrying one of them cannot be deactivated.
pub const fn meaning_required(m: Meaning) -> bool {
    matches!(
        m,
        Meaning::Danger
            | Meaning::RisqueDeDanger
            | Meaning::NiDangerNiRisque
            | Meaning::SignalementParquet
    )
}

/// How much a value is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Dossiers referencing the value (any part: header, source, adults, children, assignments).
    pub dossiers: i64,
    /// Services of a territory.
    pub services: i64,
    /// Users attached to a territory or a service.
    pub users: i64,
}

impl Usage {
    pub fn in_use(&self) -> bool {
        self.dossiers + self.services + self.users > 0
    }

    /// « 3 dossiers, 1 service », or « non utilisée ».
    pub fn describe(&self) -> String {
        let plural = |n: i64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut parts = Vec::new();
        if self.dossiers > 0 {
            parts.push(plural(self.dossiers, "dossier", "dossiers"));
        }
        if self.services > 0 {
            parts.push(plural(self.services, "service", "services"));
        }
        if self.users > 0 {
            parts.push(plural(self.users, "utilisateur", "utilisateurs"));
        }
        if parts.is_empty() {
            "non utilisée".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One value of a table, with its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminValue {
    pub id: i64,
    pub code: String,
    pub label: String,
    pub sort_order: i64,
    pub active: bool,
    pub national_code: Option<String>,
    pub meaning: Option<Meaning>,
    /// A service's territory.
    pub territory_id: Option<i64>,
    pub usage: Usage,
}

impl AdminValue {
    /// Why the code cannot change, if it cannot.
    pub fn code_locked(&self, table: Table) -> Option<String> {
        if table.closed() {
            Some("la liste des statuts est fixe : seul le libellé change.".into())
        } else if let Some(m) = self.meaning {
            Some(format!(
                "la valeur porte la signification « {} », dont les règles et les statistiques dépendent : seul le libellé change.",
                meaning_label(m)
            ))
        } else if self.usage.in_use() {
            Some(format!(
                "« {} » est utilisée ({}) : son code ne peut plus changer.",
                self.label,
                self.usage.describe()
            ))
        } else {
            None
        }
    }

    /// Why the value cannot be deleted, if it cannot.
    pub fn undeletable(&self, table: Table) -> Option<String> {
        if table.closed() {
            Some(format!(
                "« {} » ne peut pas être supprimée : la liste des statuts est fixe.",
                self.label
            ))
        } else if self.usage.in_use() {
            Some(format!(
                "« {} » est utilisée ({}) : elle ne peut pas être supprimée, seulement désactivée.",
                self.label,
                self.usage.describe()
            ))
        } else {
            self.meaning.map(|m| {
                format!(
                    "« {} » porte la signification « {} » : elle ne peut pas être supprimée, seulement désactivée.",
                    self.label,
                    meaning_label(m)
                )
            })
        }
    }
}

/// A table on the administration index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub table: Table,
    pub total: i64,
    pub active: i64,
}

/// A new value, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewValue<'a> {
    pub code: &'a str,
    pub label: &'a str,
    /// Empty: none.
    pub national_code: &'a str,
    pub meaning: Option<Meaning>,
    /// Required for a service.
    pub territory_id: Option<i64>,
}

/// The new code, label and national code of a value, as typed.
#[derive(Debug, Clone, Default)]
pub struct ValueChange<'a> {
    pub code: &'a str,
    pub label: &'a str,
    /// Empty: none. Ignored for territories and services.
    pub national_code: &'a str,
    /// The code, label and national code the form was built from (optimistic check): when
    /// the stored ones differ, someone changed the value meanwhile and nothing is written.
    pub read: Option<ReadValue<'a>>,
}

/// A value as a form showed it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadValue<'a> {
    pub code: &'a str,
    pub label: &'a str,
    pub national_code: &'a str,
}

/// Up or down in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub const fn code(self) -> &'static str {
        match self {
            Direction::Up => "haut",
            Direction::Down => "bas",
        }
    }
}
