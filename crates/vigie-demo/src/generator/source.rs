//! The motifs of a child, the status of a dossier, its source, and the children's part of
//! the exposé.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use vigie_domain::deadline::age_on;
use vigie_domain::{BirthDate, DossierStatus, Source, SourceConfidentiality};

use crate::catalog::{MotifKind, SourceKind};
use crate::names::{MEN, SCHOOL_NAMES, SURNAMES, WOMEN};

use super::{Family, Generator, MONTHS, pick, weighted};

impl Generator {
    /// 1–3 motifs for a child: mostly the fratrie's main one, sometimes others.
    pub(super) fn motifs(&mut self, primary: MotifKind, first: bool) -> (Vec<i64>, bool) {
        let mut kinds = [primary; 3];
        let mut n = 0;
        if first || self.rng.random_bool(0.9) {
            n = 1;
        }
        let extra = weighted(&mut self.rng, &[(0usize, 55), (1, 32), (2, 13)]);
        for _ in 0..extra {
            for _ in 0..4 {
                if let Some(k) = self.t.secondary_motifs.pick(&mut self.rng)
                    && k != primary
                    && !kinds[..n].contains(&k)
                {
                    kinds[n] = k;
                    n += 1;
                    break;
                }
            }
        }
        if n == 0 {
            n = 1;
        }
        let mut ids = Vec::with_capacity(n);
        let mut conjugal = false;
        for &k in &kinds[..n] {
            conjugal |= k == MotifKind::Conjugal;
            if let Some(id) = self.t.motif(k, &mut self.rng)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        (ids, conjugal)
    }

    pub(super) fn status(&mut self, received: NaiveDate) -> DossierStatus {
        use DossierStatus::*;
        let age = (self.today - received).num_days();
        let table: &[(DossierStatus, u32)] = match age {
            ..3 => &[(Recue, 75), (Qualifiee, 25)],
            3..30 => &[(Recue, 30), (Qualifiee, 35), (EnEvaluation, 35)],
            30..90 => &[(Qualifiee, 10), (EnEvaluation, 75), (Conclue, 15)],
            90..180 => &[(EnEvaluation, 45), (Conclue, 55)],
            180..365 => &[(EnEvaluation, 8), (Conclue, 52), (Cloturee, 40)],
            _ => &[(Conclue, 12), (Cloturee, 88)],
        };
        weighted(&mut self.rng, table)
    }

    pub(super) fn source(&mut self, kind: SourceKind, f: &Family) -> Source {
        let category_id = self.t.category(kind).or(self.t.category(SourceKind::Other));
        let r = self.rng.random_range(0..100);
        let confidentiality = confidentiality(kind, r);
        if confidentiality == SourceConfidentiality::Anonymous {
            return Source::anonymous(category_id);
        }
        let commune = self.commune_name(f).to_owned();
        let mut s = Source::anonymous(category_id);
        s.confidentiality = confidentiality;
        if kind == SourceKind::Snated {
            s.organisation = Some(
                "Service national d'accueil téléphonique de l'enfance en danger (119)".to_owned(),
            );
            return s;
        }
        let (first, last) = self.source_name(kind, f);
        s.organisation = self.organisation(kind, &commune);
        let professional = kind.is_professional();
        if professional || self.rng.random_bool(0.7) {
            let mobile = !professional || self.rng.random_bool(0.3);
            s.phone = Some(self.phone(mobile));
        }
        s.email = ((professional && self.rng.random_bool(0.7)) || self.rng.random_bool(0.1))
            .then(|| self.email(&first, &last, !professional));
        if professional && self.rng.random_bool(0.4) {
            s.address = self.address(f.commune, true);
        }
        s.name = Some(format!("{first} {last}"));
        s
    }

    /// The first and last names of a known source: the family's own for a relative or the
    /// child, else drawn (fewer women among police officers).
    fn source_name(&mut self, kind: SourceKind, f: &Family) -> (String, String) {
        let woman = self.rng.random_bool(if kind == SourceKind::Police {
            0.35
        } else {
            0.75
        });
        let first = if woman {
            pick(&mut self.rng, WOMEN)
        } else {
            pick(&mut self.rng, MEN)
        };
        let last = match kind {
            SourceKind::Family if self.rng.random_bool(0.5) => f
                .adults
                .first()
                .map_or(f.surname.as_str(), |a| a.birth_name.as_str())
                .to_owned(),
            SourceKind::Minor => f
                .kids
                .first()
                .map_or(f.surname.clone(), |k| k.person.birth_name.clone()),
            _ => pick(&mut self.rng, SURNAMES).to_owned(),
        };
        let first = match kind {
            SourceKind::Minor => f
                .kids
                .first()
                .map_or(first, |k| {
                    if k.person.first_names.is_empty() {
                        first
                    } else {
                        k.person.first_names.as_str()
                    }
                })
                .to_owned(),
            _ => first.to_owned(),
        };
        (first, last)
    }

    /// The organisation of a source by its kind: a school, a health service, a police or
    /// gendarmerie unit, a social service, an association, sometimes a club.
    fn organisation(&mut self, kind: SourceKind, commune: &str) -> Option<String> {
        let school = pick(&mut self.rng, SCHOOL_NAMES);
        match kind {
            SourceKind::School => Some(match self.rng.random_range(0..3) {
                0 => format!("École élémentaire {school}, {commune}"),
                1 => format!("Collège {school}, {commune}"),
                _ => format!("École maternelle {school}, {commune}"),
            }),
            SourceKind::Health => Some(
                match self.rng.random_range(0..4) {
                    0 => "Service de pédiatrie, centre hospitalier",
                    1 => "Centre médico-psychologique infanto-juvénile",
                    2 => "Protection maternelle et infantile",
                    _ => "Cabinet médical",
                }
                .to_owned()
                    + ", "
                    + commune,
            ),
            SourceKind::Police => Some(if self.rng.random_bool(0.4) {
                format!("Commissariat de police, {commune}")
            } else {
                format!("Brigade de gendarmerie, {commune}")
            }),
            SourceKind::Social => Some(match self.rng.random_range(0..3) {
                0 => format!("CCAS de {commune}"),
                1 => "Service social de la CAF".to_owned(),
                _ => "Service social départemental".to_owned(),
            }),
            SourceKind::Association => Some(
                pick(
                    &mut self.rng,
                    &[
                        "Association d'aide aux victimes",
                        "Centre d'hébergement et de réinsertion sociale",
                        "Association de prévention spécialisée",
                    ],
                )
                .to_owned(),
            ),
            SourceKind::Other if self.rng.random_bool(0.5) => {
                Some(format!("Club sportif de {commune}"))
            }
            _ => None,
        }
    }

    /// Builds the text of the children for the exposé.
    pub(super) fn children_text(out: &mut String, f: &Family, received: NaiveDate) {
        let n = f.kids.len();
        for (i, k) in f.kids.iter().enumerate() {
            if i > 0 {
                out.push_str(if i + 1 == n { " et " } else { ", " });
            }
            let p = &k.person;
            match p.birth {
                BirthDate::Expected(d) => {
                    let _ = write!(
                        out,
                        "l'enfant à naître (terme prévu en {} {})",
                        MONTHS[d.month0() as usize],
                        d.year()
                    );
                }
                BirthDate::Unknown => {
                    let _ = write!(out, "{} {}", p.first_names, p.birth_name);
                }
                BirthDate::Exact(d) | BirthDate::Approximate(d) => {
                    let years = age_on(d, received);
                    if years >= 2 {
                        let _ = write!(out, "{} {} ({years} ans)", p.first_names, p.birth_name);
                    } else {
                        let months = (received.year() - d.year()) * 12 + received.month() as i32
                            - d.month() as i32
                            - i32::from(received.day() < d.day());
                        let _ = write!(
                            out,
                            "{} {} ({} mois)",
                            p.first_names,
                            p.birth_name,
                            months.max(0)
                        );
                    }
                }
            }
        }
    }
}

/// How confidential a source is by its kind, from a draw `r` in 0..100.
fn confidentiality(kind: SourceKind, r: i32) -> SourceConfidentiality {
    match kind {
        SourceKind::Anonymous => SourceConfidentiality::Anonymous,
        SourceKind::Family | SourceKind::Neighbour if r < 30 => SourceConfidentiality::Anonymous,
        SourceKind::Family | SourceKind::Neighbour if r < 75 => SourceConfidentiality::Confidential,
        SourceKind::Minor if r < 60 => SourceConfidentiality::Confidential,
        SourceKind::Other if r < 10 => SourceConfidentiality::Anonymous,
        SourceKind::Other if r < 20 => SourceConfidentiality::Confidential,
        SourceKind::School
        | SourceKind::Health
        | SourceKind::Police
        | SourceKind::Social
        | SourceKind::Association
            if r < 11 =>
        {
            SourceConfidentiality::Confidential
        }
        _ => SourceConfidentiality::Known,
    }
}
