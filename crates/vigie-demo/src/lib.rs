//! Vigie's demo data: ONE deterministic generator of realistic, entirely fictional
//! dossiers (fratries, parents, sources, motifs, evaluations, conclusions, follow-ups),
//! used by `vigie demo`, by tests and by benchmarks.
//!
//! Pure Rust: no I/O and no clock. The caller gives the reference data already in the
//! database ([`Catalog`]: parameter values, territories and services, communes, agents),
//! a seed and `now`; the same inputs always give the same dossiers
//! (`ChaCha8Rng::seed_from_u64(seed)`).
//!
//! Names are fictional combinations of common French first and family names; phone
//! numbers are in the ranges the ARCEP reserves for fiction (02 61 91 … and 06 39 98 …);
//! e-mail addresses are on `example.org`.
//!
//! ```
//! # use vigie_demo::*;
//! # fn catalog() -> Catalog { unimplemented!() }
//! # fn run() {
//! let now = "2026-11-25T10:00:00Z".parse().unwrap();
//! for d in Generator::new(42, catalog(), now, 1_000) {
//!     d.input.validate(now).unwrap();
//! }
//! # }
//! ```

// Functions stay short (clippy.toml: `too-many-lines-threshold`); the few allowed
// longer ones say why. Tests read as one scenario each and are not held to it.
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

mod catalog;
mod generator;
mod names;
mod text;

pub use catalog::{Catalog, CommuneRef, ParamRef, TerritoryRef};
pub use generator::{DemoDossier, Generator};

/// A territory of the demo département and its services, to be inserted by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTerritory {
    pub code: &'static str,
    pub label: &'static str,
    /// (code, label) of each service of the territory.
    pub services: Vec<(&'static str, &'static str)>,
}

/// Territories and services of the demo département (Cher): names only, inserted by the store.
pub fn demo_territories() -> Vec<DemoTerritory> {
    let t = |code, label, services| DemoTerritory {
        code,
        label,
        services,
    };
    vec![
        t(
            "MDS-BN",
            "MDS Bourges Nord",
            vec![
                ("EVAL-BN", "Service évaluation Bourges Nord"),
                ("SOC-BN", "Service social Bourges Nord"),
            ],
        ),
        t(
            "MDS-BS",
            "MDS Bourges Sud",
            vec![
                ("EVAL-BS", "Service évaluation Bourges Sud"),
                ("SOC-BS", "Service social Bourges Sud"),
            ],
        ),
        t(
            "MDS-VZ",
            "MDS Vierzon",
            vec![
                ("EVAL-VZ", "Service évaluation Vierzon"),
                ("SOC-VZ", "Service social Vierzon"),
            ],
        ),
        t(
            "MDS-SAM",
            "MDS Saint-Amand-Montrond",
            vec![
                ("EVAL-SAM", "Service évaluation Saint-Amand-Montrond"),
                ("SOC-SAM", "Service social Saint-Amand-Montrond"),
            ],
        ),
        t(
            "MDS-SA",
            "MDS Sancerre / Aubigny",
            vec![
                ("EVAL-SA", "Service évaluation Sancerre / Aubigny"),
                ("SOC-SA", "Service social Sancerre / Aubigny"),
            ],
        ),
    ]
}
