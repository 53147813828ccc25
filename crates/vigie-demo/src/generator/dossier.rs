//! One whole dossier: header, children, adults, evaluation, conclusion and follow-ups.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use rand::Rng;
use vigie_domain::deadline::evaluation_due;
use vigie_domain::{
    AdultLink, AssignmentInput, ChildInput, Conclusion, DossierInput, DossierStatus, FollowUp,
    FollowUpKind, Header, Sex, SourceConfidentiality,
};

use crate::catalog::{Eval, MotifKind, SourceKind};
use crate::names::EVALUATOR_TITLES;
use crate::text::{self, CHILD_COMMENTS, CONCLUSION_COMMENTS, NOT_DONE_PARENTS, TextCtx};

use super::{DemoDossier, Generator, POOL_CAP, REUSE_RATE, Role, add_days, pick, weighted};

impl Generator {
    pub(super) fn dossier(&mut self, received_at: DateTime<Utc>) -> DemoDossier {
        let received = received_at.date_naive();
        let mut primary = self
            .t
            .primary_motifs
            .pick(&mut self.rng)
            .unwrap_or(MotifKind::Other);

        // The family: seen before, or new.
        let mut reused = None;
        let mut fam = None;
        if self.rng.random_bool(REUSE_RATE)
            && let Some((idx, f, born)) = self.reuse(received_at)
        {
            reused = Some((idx, born));
            if f.adults.is_empty() {
                primary = MotifKind::Mna;
            } else if primary == MotifKind::Mna {
                primary = MotifKind::Neglect;
            }
            fam = Some(f);
        }
        let mut fam = match fam {
            Some(f) => f,
            None => self.new_family(received_at, primary),
        };
        fam.last = received_at;
        let n_new = reused.map_or(fam.kids.len(), |(_, born)| born);

        // Header.
        let danger_grave = self.rng.random_bool(match primary {
            MotifKind::Sexual => 0.40,
            MotifKind::Physical => 0.15,
            MotifKind::Prostitution => 0.30,
            MotifKind::Mna => 0.05,
            _ => 0.02,
        });
        let type_id = match self.t.type_direct {
            Some(id) if danger_grave && self.rng.random_bool(0.45) => id,
            _ => self.t.types.pick(&mut self.rng).unwrap_or(self.t.type_ip),
        };
        let snated = self.t.channel_snated.filter(|_| self.rng.random_bool(0.15));
        let channel_id = match snated {
            Some(id) => id,
            None => self.t.channels.pick(&mut self.rng).unwrap_or_default(),
        };
        let snated_number = snated.map(|_| {
            format!(
                "SNATED-{}-{:06}",
                received.year(),
                self.rng.random_range(1..1_000_000)
            )
        });
        let status = self.status(received);
        let territory = fam.territory;
        let receiving_agent_id = (!self.t.agents.is_empty())
            .then(|| self.t.agents[self.rng.random_range(0..self.t.agents.len())]);

        // Children.
        let authors = self.authors(&fam, primary);
        let concluded = matches!(status, DossierStatus::Conclue | DossierStatus::Cloturee);
        let mut children = Vec::with_capacity(fam.kids.len());
        let mut person_refs = Vec::with_capacity(fam.kids.len());
        let mut new_persons = Vec::with_capacity(n_new);
        let mut conjugal = false;
        let mut secondary = None;
        let lieu_id = self.t.lieu(fam.lieu);
        let first_new = self.next_person - n_new;
        for (i, kid) in fam.kids.iter().enumerate() {
            if kid.k >= first_new {
                person_refs.push(None);
                new_persons.push(kid.k);
            } else {
                person_refs.push(Some(kid.k));
            }
            let (motif_ids, c) = self.motifs(primary, i == 0);
            conjugal |= c;
            if secondary.is_none() && motif_ids.len() > 1 {
                secondary = self.t.secondary_motifs.pick(&mut self.rng);
            }
            let adults = fam
                .roles
                .iter()
                .enumerate()
                .filter_map(|(j, r)| {
                    self.link(*r).map(|link_id| AdultLink {
                        adult: j as i64,
                        link_id,
                        parental_authority: fam.authority[j],
                    })
                })
                .collect();
            let comment = self
                .rng
                .random_bool(0.08)
                .then(|| pick(&mut self.rng, CHILD_COMMENTS).to_owned());
            children.push(ChildInput {
                person_id: None,
                person: kid.person.clone(),
                address: fam.address.clone(),
                csp_father_id: fam.csp_father,
                csp_mother_id: fam.csp_mother,
                lieu_de_vie_id: lieu_id,
                comment,
                adults,
                authors: if self.rng.random_bool(0.9) {
                    authors.clone()
                } else {
                    Vec::new()
                },
                motif_ids,
                evaluation_result_id: None,
                conclusion: None,
            });
        }
        let violence_conjugale = conjugal || self.rng.random_bool(0.02);
        let sip = self.rng.random_bool(0.03);

        // Evaluation: assignments to the territory's services.
        let services = &self.t.territories[territory].1;
        let n_assign = if services.is_empty() {
            0
        } else {
            match status {
                DossierStatus::Recue | DossierStatus::Qualifiee => 0,
                DossierStatus::EnEvaluation => weighted(&mut self.rng, &[(1usize, 80), (2, 20)]),
                _ => weighted(&mut self.rng, &[(0usize, 10), (1, 78), (2, 12)]),
            }
        };
        let dossier_eval = if danger_grave {
            &self.t.results_grave
        } else {
            &self.t.results_normal
        };
        let dossier_eval = dossier_eval.pick(&mut self.rng);
        let due_on = evaluation_due(received);
        let offset = self.rng.random_range(0..services.len().max(1));
        let mut assignments = Vec::with_capacity(n_assign);
        let mut last_return: Option<NaiveDate> = None;
        let mut evaluated: Option<Eval> = None;
        for j in 0..n_assign {
            let service_id = self.t.territories[territory].1
                [(offset + j) % self.t.territories[territory].1.len()];
            let delay = self.rng.random_range(0..=6)
                + if j > 0 {
                    self.rng.random_range(0..20)
                } else {
                    0
                };
            let asked_on = add_days(received, delay).min(self.today).max(received);
            let cancelled = j > 0 && self.rng.random_bool(0.05);
            let returned_on = if cancelled {
                None
            } else if concluded {
                let days = if self.rng.random_bool(0.7) {
                    self.rng.random_range(20..=80)
                } else {
                    self.rng.random_range(81..=140)
                };
                Some(add_days(asked_on, days).min(self.today).max(asked_on))
            } else if status == DossierStatus::EnEvaluation && self.rng.random_bool(0.25) {
                Some(add_days(asked_on, self.rng.random_range(20..=100)))
                    .filter(|d| *d <= self.today)
            } else {
                None
            };
            let eval = returned_on.and(if j == 0 {
                dossier_eval
            } else {
                self.t.results_normal.pick(&mut self.rng)
            });
            if let Some(r) = returned_on {
                last_return = Some(last_return.map_or(r, |l| l.max(r)));
                evaluated = evaluated.or(eval);
            }
            let n_eval = weighted(&mut self.rng, &[(1usize, 45), (2, 45), (3, 10)]);
            let evaluators = (0..n_eval).map(|_| self.person_name()).collect();
            let comment = match returned_on {
                Some(r) if r > due_on && self.rng.random_bool(0.5) => {
                    Some(format!("Relance envoyée le {}.", due_on.format("%d/%m/%Y")))
                }
                _ if self.rng.random_bool(0.12) => Some(format!(
                    "Évaluation conjointe : {} et {}.",
                    pick(&mut self.rng, EVALUATOR_TITLES),
                    pick(&mut self.rng, EVALUATOR_TITLES)
                )),
                _ => None,
            };
            assignments.push(AssignmentInput {
                service_id,
                asked_on,
                due_on,
                evaluators,
                returned_on,
                result_id: eval.and_then(|e| self.t.result(e)),
                cancelled,
                comment,
            });
        }

        // Per child: evaluation result and conclusion.
        let mut any_parquet = false;
        let mut concluded_on = received;
        for c in &mut children {
            let eval = evaluated.map(|e| {
                if self.rng.random_bool(0.85) {
                    e
                } else {
                    self.t.results_normal.pick(&mut self.rng).unwrap_or(e)
                }
            });
            c.evaluation_result_id = eval.and_then(|e| self.t.result(e));
            if !concluded {
                continue;
            }
            let table = match eval {
                Some(Eval::Danger) => 0,
                Some(Eval::Risk) => 1,
                Some(Eval::Neither) => 2,
                None => 3,
            };
            let conclusion_id = match self.t.conclusion_parquet {
                Some(id) if danger_grave && self.rng.random_bool(0.7) => Some(id),
                _ => self.t.conclusions[table].pick(&mut self.rng),
            };
            let Some(conclusion_id) = conclusion_id else {
                continue;
            };
            any_parquet |= Some(conclusion_id) == self.t.conclusion_parquet;
            let base =
                last_return.unwrap_or_else(|| add_days(received, self.rng.random_range(3..=60)));
            let on = add_days(base, self.rng.random_range(0..=20))
                .min(self.today)
                .max(received);
            concluded_on = concluded_on.max(on);
            let comment = self
                .rng
                .random_bool(0.2)
                .then(|| pick(&mut self.rng, CONCLUSION_COMMENTS).to_owned());
            c.conclusion = Some(Conclusion {
                conclusion_id,
                on,
                comment,
            });
        }

        // Follow-ups.
        let mut follow_ups = Vec::new();
        if danger_grave || any_parquet {
            let at = if danger_grave {
                (received_at + TimeDelta::hours(self.rng.random_range(1..8)))
                    .min(self.now - TimeDelta::minutes(1))
            } else {
                let d = add_days(concluded_on, self.rng.random_range(0..=2)).min(self.today);
                self.stamp(d, received_at)
            };
            follow_ups.push(FollowUp {
                due_on: None,
                kind: FollowUpKind::Parquet,
                done_at: Some(at.max(received_at)),
                not_done_reason: None,
            });
        }
        let closed = status == DossierStatus::Cloturee;
        let fu_prob = |closed_p: f64, concluded_p: f64| if closed { closed_p } else { concluded_p };
        if concluded {
            if (closed && primary == MotifKind::Sexual && self.rng.random_bool(0.5))
                || self.rng.random_bool(0.03)
            {
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind: FollowUpKind::ParentsInformed,
                    done_at: None,
                    not_done_reason: Some(
                        NOT_DONE_PARENTS[usize::from(primary != MotifKind::Sexual)].to_owned(),
                    ),
                });
            } else if self.rng.random_bool(fu_prob(0.97, 0.6)) {
                let d = add_days(concluded_on, self.rng.random_range(1..=15)).min(self.today);
                let at = self.stamp(d, received_at);
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind: FollowUpKind::ParentsInformed,
                    done_at: Some(at),
                    not_done_reason: None,
                });
            }
        } else if status == DossierStatus::EnEvaluation
            && !fam.adults.is_empty()
            && self.rng.random_bool(0.35)
        {
            let d = add_days(received, self.rng.random_range(3..=20));
            if d <= self.today {
                let at = self.stamp(d, received_at);
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind: FollowUpKind::ParentsInformed,
                    done_at: Some(at),
                    not_done_reason: None,
                });
            }
        }

        // Source.
        let source_kind = if snated.is_some() {
            SourceKind::Snated
        } else if primary == MotifKind::Mna {
            [
                SourceKind::Police,
                SourceKind::Association,
                SourceKind::Social,
            ][self.rng.random_range(0..3)]
        } else {
            self.t
                .source_kinds
                .pick(&mut self.rng)
                .unwrap_or(SourceKind::Other)
        };
        let source = self.source(source_kind, &fam);
        if concluded {
            let professional = source_kind.is_professional()
                && source_kind != SourceKind::Snated
                && source.confidentiality != SourceConfidentiality::Anonymous;
            for (kind, wanted) in [
                (FollowUpKind::ProfessionalFeedback, professional),
                (FollowUpKind::Feedback119, snated.is_some()),
            ] {
                if wanted && self.rng.random_bool(fu_prob(0.93, 0.45)) {
                    let d = add_days(concluded_on, self.rng.random_range(2..=30)).min(self.today);
                    let at = self.stamp(d, received_at);
                    follow_ups.push(FollowUp {
                        due_on: None,
                        kind,
                        done_at: Some(at),
                        not_done_reason: None,
                    });
                }
            }
        }

        // Texts.
        let mut kids_text = String::with_capacity(64 * fam.kids.len());
        Self::children_text(&mut kids_text, &fam, received);
        let name_of = |i: Option<usize>, civ: &str| {
            i.map(|i| {
                let a = &fam.adults[i];
                format!("{civ} {}", a.usage_name.as_deref().unwrap_or(&a.birth_name))
            })
            .unwrap_or_default()
        };
        let mother = name_of(fam.adult(Role::Mother), "Mme");
        let father = name_of(fam.adult(Role::Father), "M.");
        let named = fam.kids.iter().find(|k| !k.person.first_names.is_empty());
        let ctx = TextCtx {
            children: &kids_text,
            commune: self.commune_name(&fam),
            mother: &mother,
            father: &father,
            child: named.map_or("", |k| k.person.first_names.as_str()),
            fem: named.is_some_and(|k| k.person.sex == Sex::Female),
            plural: fam.kids.len() > 1,
        };
        let mut rng = self.rng.clone();
        let mut expose = String::with_capacity(512);
        text::expose(&mut rng, &mut expose, &ctx, source_kind, primary, secondary);
        let observation = if danger_grave
            || (reused.is_some() && rng.random_bool(0.6))
            || rng.random_bool(if status == DossierStatus::Recue {
                0.15
            } else {
                0.45
            }) {
            let mut o = String::with_capacity(160);
            text::observation(&mut rng, &mut o, &ctx, reused.is_some(), danger_grave);
            Some(o)
        } else {
            None
        };
        self.rng = rng;

        let input = DossierInput {
            header: Header {
                received_at,
                type_id,
                danger_grave,
                violence_conjugale,
                sip,
                receiving_agent_id,
                channel_id,
                snated_number,
                territory_id: self.t.territories[territory].0,
                status,
                expose: Some(expose),
                observation,
            },
            source,
            adults: fam.adults.clone(),
            children,
            assignments,
            follow_ups,
        };

        // Keep the family to be seen again.
        match reused {
            Some((idx, _)) => self.pool[idx] = fam,
            None => {
                if self.pool.len() >= POOL_CAP {
                    self.pool.pop_front();
                }
                self.pool.push_back(fam);
            }
        }
        DemoDossier {
            input,
            person_refs,
            new_persons,
        }
    }
}
