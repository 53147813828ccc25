//! The rules of a dossier's life: status transitions and what each requires.
//! reçue → qualifiée → en évaluation → conclue → clôturée, and reçue → conclue
//! directly when the qualification says so. Every refusal says in French what is missing.

use chrono::{DateTime, Utc};

use crate::model::{DossierStatus, FollowUpKind};

/// Why a dossier may be concluded without an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectConclusion {
    /// The qualification found it is not an information préoccupante.
    NotAnIp,
    /// The situation is already followed.
    AlreadyFollowed,
    /// Direct transmission to the parquet (signalement).
    ParquetTransmission,
}

impl DirectConclusion {
    pub const fn label(self) -> &'static str {
        match self {
            Self::NotAnIp => "pas une information préoccupante",
            Self::AlreadyFollowed => "situation déjà suivie",
            Self::ParquetTransmission => "transmission directe au parquet",
        }
    }
}

/// What the rules need to know of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierFacts {
    pub status: DossierStatus,
    pub danger_grave: bool,
    /// First names (or « enfant n ») of the children without a conclusion.
    pub children_without_conclusion: Vec<String>,
    /// Labels of the assignments neither returned nor cancelled.
    pub open_assignments: Vec<String>,
    pub assignments: usize,
    /// When the transmission to the parquet was done, if it was.
    pub parquet_transmitted_at: Option<DateTime<Utc>>,
}

/// A requested change of status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: DossierStatus,
    /// For reçue → conclue.
    pub direct: Option<DirectConclusion>,
    /// For a reopening (back from conclue or clôturée).
    pub reason: Option<String>,
}

fn rank(s: DossierStatus) -> u8 {
    match s {
        DossierStatus::Recue => 0,
        DossierStatus::Qualifiee => 1,
        DossierStatus::EnEvaluation => 2,
        DossierStatus::Conclue => 3,
        DossierStatus::Cloturee => 4,
    }
}

/// Decides whether a transition is allowed; the refusal lists everything missing, in French.
pub fn check_transition(facts: &DossierFacts, t: &Transition) -> Result<(), Vec<String>> {
    use DossierStatus::*;
    let from = facts.status;
    let mut missing = Vec::new();
    if from == t.to {
        return Ok(());
    }
    let reopening = rank(t.to) < rank(from);
    if reopening {
        if !matches!(from, Conclue | Cloturee) {
            missing.push(format!(
                "un dossier « {} » ne revient pas à « {} ».",
                from.label(),
                t.to.label()
            ));
        }
        if t.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            missing.push("la réouverture d'un dossier demande un motif.".into());
        }
        return if missing.is_empty() {
            Ok(())
        } else {
            Err(missing)
        };
    }
    let allowed = match (from, t.to) {
        (Recue, Qualifiee)
        | (Qualifiee, EnEvaluation)
        | (EnEvaluation, Conclue)
        | (Conclue, Cloturee) => true,
        (Recue | Qualifiee, Conclue) => {
            if t.direct.is_none() {
                missing.push("conclure sans évaluation demande la raison de la qualification (pas une IP, situation déjà suivie, transmission directe au parquet).".into());
            }
            true
        }
        _ => false,
    };
    if !allowed {
        missing.push(format!("passage de « {} » à « {} » impossible : les étapes se suivent (reçue, qualifiée, en évaluation, conclue, clôturée).", from.label(), t.to.label()));
        return Err(missing);
    }
    if t.to == EnEvaluation && facts.assignments == 0 {
        missing.push("une évaluation demande au moins une affectation à un service (traitement de l'information).".into());
    }
    if matches!(t.to, Conclue | Cloturee) && !facts.children_without_conclusion.is_empty() {
        missing.push(format!(
            "conclusion manquante pour : {}.",
            facts.children_without_conclusion.join(", ")
        ));
    }
    if t.to == Cloturee && !facts.open_assignments.is_empty() {
        missing.push(format!(
            "affectation(s) ni retournée(s) ni annulée(s) : {}.",
            facts.open_assignments.join(", ")
        ));
    }
    let parquet_needed =
        facts.danger_grave || t.direct == Some(DirectConclusion::ParquetTransmission);
    if parquet_needed && rank(t.to) >= rank(Qualifiee) && facts.parquet_transmitted_at.is_none() {
        missing.push(format!(
            "{} : indiquez la date et l'heure de transmission au parquet ({}).",
            if facts.danger_grave {
                "danger grave et immédiat"
            } else {
                "transmission directe au parquet"
            },
            FollowUpKind::Parquet.label()
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DossierStatus::*;

    fn facts(status: DossierStatus) -> DossierFacts {
        DossierFacts {
            status,
            danger_grave: false,
            children_without_conclusion: vec![],
            open_assignments: vec![],
            assignments: 1,
            parquet_transmitted_at: None,
        }
    }

    fn to(s: DossierStatus) -> Transition {
        Transition {
            to: s,
            direct: None,
            reason: None,
        }
    }

    #[test]
    fn the_normal_path_is_allowed_step_by_step() {
        for (a, b) in [
            (Recue, Qualifiee),
            (Qualifiee, EnEvaluation),
            (EnEvaluation, Conclue),
            (Conclue, Cloturee),
        ] {
            assert_eq!(check_transition(&facts(a), &to(b)), Ok(()), "{a:?} → {b:?}");
        }
    }

    #[test]
    fn steps_cannot_be_skipped() {
        for (a, b) in [
            (Recue, EnEvaluation),
            (Recue, Cloturee),
            (Qualifiee, Cloturee),
            (EnEvaluation, Cloturee),
        ] {
            let e = check_transition(&facts(a), &to(b)).unwrap_err();
            assert!(e[0].contains("impossible"), "{a:?} → {b:?}: {e:?}");
        }
    }

    #[test]
    fn direct_conclusion_needs_the_qualification_reason() {
        let e = check_transition(&facts(Recue), &to(Conclue)).unwrap_err();
        assert!(e[0].contains("raison de la qualification"));
        for d in [DirectConclusion::NotAnIp, DirectConclusion::AlreadyFollowed] {
            assert_eq!(
                check_transition(
                    &facts(Recue),
                    &Transition {
                        to: Conclue,
                        direct: Some(d),
                        reason: None
                    }
                ),
                Ok(())
            );
        }
        let e = check_transition(
            &facts(Recue),
            &Transition {
                to: Conclue,
                direct: Some(DirectConclusion::ParquetTransmission),
                reason: None,
            },
        )
        .unwrap_err();
        assert!(e[0].contains("transmission au parquet"), "{e:?}");
    }

    #[test]
    fn concluding_needs_every_child_concluded() {
        let mut f = facts(EnEvaluation);
        f.children_without_conclusion = vec!["Léa".into(), "Noé".into()];
        let e = check_transition(&f, &to(Conclue)).unwrap_err();
        assert_eq!(e, ["conclusion manquante pour : Léa, Noé."]);
    }

    #[test]
    fn closing_needs_every_assignment_returned_or_cancelled() {
        let mut f = facts(Conclue);
        f.open_assignments = vec!["MDS Vierzon".into()];
        let e = check_transition(&f, &to(Cloturee)).unwrap_err();
        assert!(e[0].contains("MDS Vierzon"));
    }

    #[test]
    fn evaluation_needs_an_assignment() {
        let mut f = facts(Qualifiee);
        f.assignments = 0;
        assert!(check_transition(&f, &to(EnEvaluation)).unwrap_err()[0].contains("affectation"));
    }

    #[test]
    fn danger_grave_needs_the_parquet_transmission_time() {
        let mut f = facts(Recue);
        f.danger_grave = true;
        let e = check_transition(&f, &to(Qualifiee)).unwrap_err();
        assert!(e[0].contains("danger grave") && e[0].contains("parquet"));
        f.parquet_transmitted_at = Some("2026-11-20T10:00:00Z".parse().unwrap());
        assert_eq!(check_transition(&f, &to(Qualifiee)), Ok(()));
    }

    #[test]
    fn reopening_asks_for_a_reason() {
        for from in [Conclue, Cloturee] {
            let e = check_transition(&facts(from), &to(EnEvaluation)).unwrap_err();
            assert!(e[0].contains("motif"));
            let ok = Transition {
                to: EnEvaluation,
                direct: None,
                reason: Some("élément nouveau".into()),
            };
            assert_eq!(check_transition(&facts(from), &ok), Ok(()));
        }
        let e = check_transition(
            &facts(EnEvaluation),
            &Transition {
                to: Recue,
                direct: None,
                reason: Some("x".into()),
            },
        )
        .unwrap_err();
        assert!(e[0].contains("ne revient pas"));
    }

    #[test]
    fn every_refusal_is_reported_at_once() {
        let f = DossierFacts {
            status: Conclue,
            danger_grave: true,
            children_without_conclusion: vec!["Léa".into()],
            open_assignments: vec!["S1".into()],
            assignments: 1,
            parquet_transmitted_at: None,
        };
        assert_eq!(check_transition(&f, &to(Cloturee)).unwrap_err().len(), 3);
    }
}
