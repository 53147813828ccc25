//! The period a dashboard covers, its comparisons, and its buckets (months, quarters,
//! years) as instants: a month is that of the configured time zone on both backends, so a
//! dossier received on 1 January at 00:30 Paris time counts in the new year.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::dimension::Dimension;
use super::table::Label;
use crate::DomainError;

pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// How the period was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Mois,
    Trimestre,
    Annee,
    /// Free dates.
    Dates,
}

/// Calendar dates `from` (included) to `to` (excluded), local to the département.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    /// Excluded.
    pub to: NaiveDate,
}

/// One bucket of a time dimension: its label and its instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub label: Label,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn bad(field: &str, label: &str, msg: &str) -> DomainError {
    DomainError::field(field, label, msg)
}

fn first_of(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// Local midnight of `d` in `tz`, as an instant.
pub fn local_midnight<Tz: TimeZone>(tz: &Tz, d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

impl Period {
    pub fn month(year: i32, month: u32) -> Result<Self, DomainError> {
        let from = first_of(year, month)
            .ok_or_else(|| bad("mois", "Mois", "choisissez un mois de 1 à 12."))?;
        Ok(Self {
            kind: PeriodKind::Mois,
            from,
            to: from + Months::new(1),
        })
    }

    pub fn quarter(year: i32, quarter: u32) -> Result<Self, DomainError> {
        if !(1..=4).contains(&quarter) {
            return Err(bad(
                "trimestre",
                "Trimestre",
                "choisissez un trimestre de 1 à 4.",
            ));
        }
        let from = first_of(year, quarter * 3 - 2)
            .ok_or_else(|| bad("annee", "Année", "année invalide."))?;
        Ok(Self {
            kind: PeriodKind::Trimestre,
            from,
            to: from + Months::new(3),
        })
    }

    pub fn year(year: i32) -> Result<Self, DomainError> {
        if !(1990..=2200).contains(&year) {
            return Err(bad(
                "annee",
                "Année",
                "saisissez une année entre 1990 et 2200.",
            ));
        }
        let from = first_of(year, 1).ok_or_else(|| bad("annee", "Année", "année invalide."))?;
        Ok(Self {
            kind: PeriodKind::Annee,
            from,
            to: from + Months::new(12),
        })
    }

    /// Free dates, both included (as typed), at most ten years.
    pub fn dates(from: NaiveDate, to_included: NaiveDate) -> Result<Self, DomainError> {
        if to_included < from {
            return Err(bad(
                "au",
                "Au",
                "la date de fin doit suivre la date de début.",
            ));
        }
        if (to_included - from).num_days() > 3660 {
            return Err(bad("au", "Au", "la période ne peut dépasser dix ans."));
        }
        Ok(Self {
            kind: PeriodKind::Dates,
            from,
            to: to_included.succ_opt().unwrap_or(to_included),
        })
    }

    /// The period just before, of the same kind and length.
    pub fn previous(&self) -> Self {
        let shift = |m: u32| Self {
            kind: self.kind,
            from: self.from - Months::new(m),
            to: self.to - Months::new(m),
        };
        match self.kind {
            PeriodKind::Mois => shift(1),
            PeriodKind::Trimestre => shift(3),
            PeriodKind::Annee => shift(12),
            PeriodKind::Dates => {
                let days = self.to - self.from;
                Self {
                    kind: self.kind,
                    from: self.from - days,
                    to: self.from,
                }
            }
        }
    }

    /// The same period a year before.
    pub fn year_before(&self) -> Self {
        Self {
            kind: self.kind,
            from: self.from - Months::new(12),
            to: self.to - Months::new(12),
        }
    }

    /// The last day included.
    pub fn last_day(&self) -> NaiveDate {
        self.to.pred_opt().unwrap_or(self.to)
    }

    /// « mars 2026 », « 1er trimestre 2026 », « 2026 », « du 01/01/2026 au 15/03/2026 ».
    pub fn label(&self) -> String {
        let y = self.from.year();
        match self.kind {
            PeriodKind::Mois => format!("{} {y}", MONTHS[self.from.month0() as usize]),
            PeriodKind::Trimestre => {
                let q = self.from.month0() / 3 + 1;
                let nth = if q == 1 {
                    "1er".to_owned()
                } else {
                    format!("{q}e")
                };
                format!("{nth} trimestre {y}")
            }
            PeriodKind::Annee => y.to_string(),
            PeriodKind::Dates => format!(
                "du {} au {}",
                self.from.format("%d/%m/%Y"),
                self.last_day().format("%d/%m/%Y")
            ),
        }
    }

    /// The period's instants in `tz`: [from, to).
    pub fn instants<Tz: TimeZone>(&self, tz: &Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (local_midnight(tz, self.from), local_midnight(tz, self.to))
    }

    /// The buckets of a time dimension over the period (months, quarters or years that
    /// overlap it, each cut to the period); empty for another dimension.
    pub fn buckets<Tz: TimeZone>(&self, dim: Dimension, tz: &Tz) -> Vec<Bucket> {
        let step = match dim {
            Dimension::Mois => 1,
            Dimension::Trimestre => 3,
            Dimension::Annee => 12,
            _ => return vec![],
        };
        let start_month = (self.from.month0() / step) * step + 1;
        let Some(mut cur) = first_of(self.from.year(), start_month) else {
            return vec![];
        };
        let mut out = Vec::new();
        while cur < self.to {
            let next = cur + Months::new(step);
            let (code, label) = match dim {
                Dimension::Mois => (
                    cur.format("%Y-%m").to_string(),
                    format!("{} {}", MONTHS[cur.month0() as usize], cur.year()),
                ),
                Dimension::Trimestre => {
                    let q = cur.month0() / 3 + 1;
                    (
                        format!("{}-T{q}", cur.year()),
                        format!("T{q} {}", cur.year()),
                    )
                }
                _ => (cur.year().to_string(), cur.year().to_string()),
            };
            let from = cur.max(self.from);
            let to = next.min(self.to);
            out.push(Bucket {
                label: Label::new(code, label),
                from: local_midnight(tz, from),
                to: local_midnight(tz, to),
            });
            cur = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_and_comparisons() {
        let m = Period::month(2026, 3).unwrap();
        assert_eq!((m.from, m.to), (d("2026-03-01"), d("2026-04-01")));
        assert_eq!(m.label(), "mars 2026");
        assert_eq!(m.previous().from, d("2026-02-01"));
        assert_eq!(m.year_before().from, d("2025-03-01"));
        let q = Period::quarter(2026, 1).unwrap();
        assert_eq!(q.label(), "1er trimestre 2026");
        assert_eq!(q.previous().from, d("2025-10-01"));
        let y = Period::year(2026).unwrap();
        assert_eq!(y.to, d("2027-01-01"));
        let f = Period::dates(d("2026-01-10"), d("2026-01-19")).unwrap();
        assert_eq!(f.previous().from, d("2025-12-31"));
        assert_eq!(f.previous().to, d("2026-01-10"));
        assert_eq!(f.label(), "du 10/01/2026 au 19/01/2026");
        assert!(Period::dates(d("2026-01-10"), d("2026-01-09")).is_err());
        assert!(Period::month(2026, 13).is_err());
        assert!(Period::quarter(2026, 5).is_err());
    }

    #[test]
    fn buckets_are_local_months() {
        // Paris in winter: UTC+1. The year starts at 23:00 UTC on 31 December.
        let paris = FixedOffset::east_opt(3600).unwrap();
        let y = Period::year(2026).unwrap();
        let b = y.buckets(Dimension::Mois, &paris);
        assert_eq!(b.len(), 12);
        assert_eq!(b[0].from.to_rfc3339(), "2025-12-31T23:00:00+00:00");
        assert_eq!(b[0].label.label, "janvier 2026");
        assert_eq!(b[11].to.to_rfc3339(), "2026-12-31T23:00:00+00:00");
        let q = y.buckets(Dimension::Trimestre, &paris);
        assert_eq!(q.len(), 4);
        assert_eq!(q[1].label.code, "2026-T2");
        // Free dates cut the first and last buckets.
        let f = Period::dates(d("2026-01-15"), d("2026-03-10")).unwrap();
        let b = f.buckets(Dimension::Mois, &paris);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].from.to_rfc3339(), "2026-01-14T23:00:00+00:00");
        assert_eq!(b[2].to.to_rfc3339(), "2026-03-10T23:00:00+00:00");
        assert!(f.buckets(Dimension::Territoire, &paris).is_empty());
    }
}
