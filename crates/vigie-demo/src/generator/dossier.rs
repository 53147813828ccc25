//! One whole dossier: header, children, adults, evaluation, conclusion and follow-ups.
//!
//! `dossier` runs the sections in a fixed order (family, header, children, evaluation,
//! conclusions, follow-ups, source, texts): every random draw happens in that order, so a
//! seed always gives the same data.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use rand::Rng;
use vigie_domain::deadline::evaluation_due;
use vigie_domain::{
    AdultLink, AssignmentInput, ChildInput, Conclusion, DossierInput, DossierStatus, FollowUp,
    FollowUpKind, Header, Sex, Source, SourceConfidentiality,
};

use crate::catalog::{Eval, MotifKind, SourceKind};
use crate::names::EVALUATOR_TITLES;
use crate::text::{self, CHILD_COMMENTS, CONCLUSION_COMMENTS, NOT_DONE_PARENTS, TextCtx};

use super::{DemoDossier, Family, Generator, POOL_CAP, REUSE_RATE, Role, add_days, pick, weighted};

/// A family seen before: its index in the pool and how many of its children are new.
type Reuse = Option<(usize, usize)>;

/// The header's draws, made before the children: the later sections depend on them.
struct Head {
    received_at: DateTime<Utc>,
    received: NaiveDate,
    primary: MotifKind,
    danger_grave: bool,
    type_id: i64,
    /// The SNATED channel, when the 119 sent the information.
    snated: Option<i64>,
    channel_id: i64,
    snated_number: Option<String>,
    status: DossierStatus,
    receiving_agent_id: Option<i64>,
}

impl Head {
    /// Concluded or closed: the children have a conclusion.
    fn concluded(&self) -> bool {
        matches!(
            self.status,
            DossierStatus::Conclue | DossierStatus::Cloturee
        )
    }

    /// Closed.
    fn closed(&self) -> bool {
        self.status == DossierStatus::Cloturee
    }

    /// A follow-up's probability: one for a closed dossier, another for a concluded one.
    fn follow_up_prob(&self, closed_p: f64, concluded_p: f64) -> f64 {
        if self.closed() { closed_p } else { concluded_p }
    }
}

/// The children's part of a dossier, before the evaluation.
struct Children {
    children: Vec<ChildInput>,
    person_refs: Vec<Option<usize>>,
    new_persons: Vec<usize>,
    /// A child has a motif of violence conjugale.
    conjugal: bool,
    /// The secondary motif told in the exposé.
    secondary: Option<MotifKind>,
}

/// The evaluation: the assignments, the last return and the result found.
struct Evaluation {
    assignments: Vec<AssignmentInput>,
    last_return: Option<NaiveDate>,
    evaluated: Option<Eval>,
}

impl Generator {
    pub(super) fn dossier(&mut self, received_at: DateTime<Utc>) -> DemoDossier {
        let primary = self
            .t
            .primary_motifs
            .pick(&mut self.rng)
            .unwrap_or(MotifKind::Other);
        let (mut fam, reused, primary) = self.family_for(received_at, primary);
        fam.last = received_at;
        let n_new = reused.map_or(fam.kids.len(), |(_, born)| born);

        let head = self.head(received_at, primary);
        let Children {
            mut children,
            person_refs,
            new_persons,
            conjugal,
            secondary,
        } = self.children(&fam, primary, n_new);
        let violence_conjugale = conjugal || self.rng.random_bool(0.02);
        let sip = self.rng.random_bool(0.03);

        let evaluation = self.evaluation(&head, fam.territory);
        let (any_parquet, concluded_on) = self.conclusions(&head, &mut children, &evaluation);
        let mut follow_ups =
            self.follow_ups(&head, any_parquet, concluded_on, !fam.adults.is_empty());

        let source_kind = self.source_kind(&head);
        let source = self.source(source_kind, &fam);
        self.feedbacks(&head, source_kind, &source, concluded_on, &mut follow_ups);

        let (expose, observation) =
            self.texts(&head, &fam, reused.is_some(), source_kind, secondary);

        let input = DossierInput {
            header: Header {
                received_at,
                type_id: head.type_id,
                danger_grave: head.danger_grave,
                violence_conjugale,
                sip,
                receiving_agent_id: head.receiving_agent_id,
                channel_id: head.channel_id,
                snated_number: head.snated_number,
                territory_id: self.t.territories[fam.territory].0,
                status: head.status,
                expose: Some(expose),
                observation,
            },
            source,
            adults: fam.adults.clone(),
            children,
            assignments: evaluation.assignments,
            follow_ups,
        };
        self.keep(fam, reused);
        DemoDossier {
            input,
            person_refs,
            new_persons,
        }
    }

    /// The dossier's family: one seen before (at `REUSE_RATE`, when the pool has one) or a
    /// new one. A reused family settles the MNA case of the primary motif (MNA exactly when
    /// it has no adult). Returns the family, the reuse and the primary motif.
    fn family_for(
        &mut self,
        received_at: DateTime<Utc>,
        mut primary: MotifKind,
    ) -> (Family, Reuse, MotifKind) {
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
        let fam = match fam {
            Some(f) => f,
            None => self.new_family(received_at, primary),
        };
        (fam, reused, primary)
    }

    /// The header's draws: danger grave, type, channel (SNATED or another), status, agent.
    fn head(&mut self, received_at: DateTime<Utc>, primary: MotifKind) -> Head {
        let received = received_at.date_naive();
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
        let receiving_agent_id = (!self.t.agents.is_empty())
            .then(|| self.t.agents[self.rng.random_range(0..self.t.agents.len())]);
        Head {
            received_at,
            received,
            primary,
            danger_grave,
            type_id,
            snated,
            channel_id,
            snated_number,
            status,
            receiving_agent_id,
        }
    }

    /// The children: the person (new, or seen in an earlier dossier), motifs, links to the
    /// family's adults, authors and a rare comment.
    fn children(&mut self, fam: &Family, primary: MotifKind, n_new: usize) -> Children {
        let authors = self.authors(fam, primary);
        let mut out = Children {
            children: Vec::with_capacity(fam.kids.len()),
            person_refs: Vec::with_capacity(fam.kids.len()),
            new_persons: Vec::with_capacity(n_new),
            conjugal: false,
            secondary: None,
        };
        let lieu_id = self.t.lieu(fam.lieu);
        let first_new = self.next_person - n_new;
        for (i, kid) in fam.kids.iter().enumerate() {
            if kid.k >= first_new {
                out.person_refs.push(None);
                out.new_persons.push(kid.k);
            } else {
                out.person_refs.push(Some(kid.k));
            }
            let (motif_ids, c) = self.motifs(primary, i == 0);
            out.conjugal |= c;
            if out.secondary.is_none() && motif_ids.len() > 1 {
                out.secondary = self.t.secondary_motifs.pick(&mut self.rng);
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
            out.children.push(ChildInput {
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
        out
    }

    /// The evaluation: assignments to the territory's services (how many by status), each
    /// returned or not; the result of the first one is the dossier's.
    fn evaluation(&mut self, head: &Head, territory: usize) -> Evaluation {
        let services = &self.t.territories[territory].1;
        let n_assign = if services.is_empty() {
            0
        } else {
            match head.status {
                DossierStatus::Recue | DossierStatus::Qualifiee => 0,
                DossierStatus::EnEvaluation => weighted(&mut self.rng, &[(1usize, 80), (2, 20)]),
                _ => weighted(&mut self.rng, &[(0usize, 10), (1, 78), (2, 12)]),
            }
        };
        let dossier_eval = if head.danger_grave {
            &self.t.results_grave
        } else {
            &self.t.results_normal
        };
        let dossier_eval = dossier_eval.pick(&mut self.rng);
        let due_on = evaluation_due(head.received);
        let offset = self.rng.random_range(0..services.len().max(1));
        let mut out = Evaluation {
            assignments: Vec::with_capacity(n_assign),
            last_return: None,
            evaluated: None,
        };
        for j in 0..n_assign {
            let service_id = self.t.territories[territory].1
                [(offset + j) % self.t.territories[territory].1.len()];
            let (assignment, eval) = self.assignment(head, j, service_id, due_on, dossier_eval);
            if let Some(r) = assignment.returned_on {
                out.last_return = Some(out.last_return.map_or(r, |l| l.max(r)));
                out.evaluated = out.evaluated.or(eval);
            }
            out.assignments.push(assignment);
        }
        out
    }

    /// The `j`-th assignment (asked, returned or cancelled, evaluators, comment) and the result
    /// of its evaluation when returned (`dossier_eval` for the first one).
    fn assignment(
        &mut self,
        head: &Head,
        j: usize,
        service_id: i64,
        due_on: NaiveDate,
        dossier_eval: Option<Eval>,
    ) -> (AssignmentInput, Option<Eval>) {
        let received = head.received;
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
        } else if head.concluded() {
            let days = if self.rng.random_bool(0.7) {
                self.rng.random_range(20..=80)
            } else {
                self.rng.random_range(81..=140)
            };
            Some(add_days(asked_on, days).min(self.today).max(asked_on))
        } else if head.status == DossierStatus::EnEvaluation && self.rng.random_bool(0.25) {
            Some(add_days(asked_on, self.rng.random_range(20..=100))).filter(|d| *d <= self.today)
        } else {
            None
        };
        let eval = returned_on.and(if j == 0 {
            dossier_eval
        } else {
            self.t.results_normal.pick(&mut self.rng)
        });
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
        let assignment = AssignmentInput {
            service_id,
            asked_on,
            due_on,
            evaluators,
            returned_on,
            result_id: eval.and_then(|e| self.t.result(e)),
            cancelled,
            comment,
        };
        (assignment, eval)
    }

    /// Per child: the evaluation result and, for a concluded dossier, the conclusion. Returns
    /// whether a child went to the parquet and the date of the last conclusion.
    fn conclusions(
        &mut self,
        head: &Head,
        children: &mut [ChildInput],
        evaluation: &Evaluation,
    ) -> (bool, NaiveDate) {
        let received = head.received;
        let mut any_parquet = false;
        let mut concluded_on = received;
        for c in children {
            let eval = evaluation.evaluated.map(|e| {
                if self.rng.random_bool(0.85) {
                    e
                } else {
                    self.t.results_normal.pick(&mut self.rng).unwrap_or(e)
                }
            });
            c.evaluation_result_id = eval.and_then(|e| self.t.result(e));
            if !head.concluded() {
                continue;
            }
            let table = match eval {
                Some(Eval::Danger) => 0,
                Some(Eval::Risk) => 1,
                Some(Eval::Neither) => 2,
                None => 3,
            };
            let conclusion_id = match self.t.conclusion_parquet {
                Some(id) if head.danger_grave && self.rng.random_bool(0.7) => Some(id),
                _ => self.t.conclusions[table].pick(&mut self.rng),
            };
            let Some(conclusion_id) = conclusion_id else {
                continue;
            };
            any_parquet |= Some(conclusion_id) == self.t.conclusion_parquet;
            let base = evaluation
                .last_return
                .unwrap_or_else(|| add_days(received, self.rng.random_range(3..=60)));
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
        (any_parquet, concluded_on)
    }

    /// The first follow-ups: the parquet told (danger grave, or a child sent to the parquet),
    /// then the parents informed (or why not).
    fn follow_ups(
        &mut self,
        head: &Head,
        any_parquet: bool,
        concluded_on: NaiveDate,
        has_adults: bool,
    ) -> Vec<FollowUp> {
        let (received, received_at) = (head.received, head.received_at);
        let mut follow_ups = Vec::new();
        if head.danger_grave || any_parquet {
            let at = if head.danger_grave {
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
        let primary = head.primary;
        if head.concluded() {
            if (head.closed() && primary == MotifKind::Sexual && self.rng.random_bool(0.5))
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
            } else if self.rng.random_bool(head.follow_up_prob(0.97, 0.6)) {
                let d = add_days(concluded_on, self.rng.random_range(1..=15)).min(self.today);
                let at = self.stamp(d, received_at);
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind: FollowUpKind::ParentsInformed,
                    done_at: Some(at),
                    not_done_reason: None,
                });
            }
        } else if head.status == DossierStatus::EnEvaluation
            && has_adults
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
        follow_ups
    }

    /// The source's kind: SNATED when the 119 sent it, police, association or social services
    /// for a MNA, else drawn.
    fn source_kind(&mut self, head: &Head) -> SourceKind {
        if head.snated.is_some() {
            SourceKind::Snated
        } else if head.primary == MotifKind::Mna {
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
        }
    }

    /// The feedbacks of a concluded dossier: to a professional source that is not anonymous,
    /// and to the 119 for SNATED.
    fn feedbacks(
        &mut self,
        head: &Head,
        source_kind: SourceKind,
        source: &Source,
        concluded_on: NaiveDate,
        follow_ups: &mut Vec<FollowUp>,
    ) {
        if !head.concluded() {
            return;
        }
        let professional = source_kind.is_professional()
            && source_kind != SourceKind::Snated
            && source.confidentiality != SourceConfidentiality::Anonymous;
        for (kind, wanted) in [
            (FollowUpKind::ProfessionalFeedback, professional),
            (FollowUpKind::Feedback119, head.snated.is_some()),
        ] {
            if wanted && self.rng.random_bool(head.follow_up_prob(0.93, 0.45)) {
                let d = add_days(concluded_on, self.rng.random_range(2..=30)).min(self.today);
                let at = self.stamp(d, head.received_at);
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind,
                    done_at: Some(at),
                    not_done_reason: None,
                });
            }
        }
    }

    /// The exposé and, sometimes, the observation (always for a danger grave).
    fn texts(
        &mut self,
        head: &Head,
        fam: &Family,
        reused: bool,
        source_kind: SourceKind,
        secondary: Option<MotifKind>,
    ) -> (String, Option<String>) {
        let mut kids_text = String::with_capacity(64 * fam.kids.len());
        Self::children_text(&mut kids_text, fam, head.received);
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
            commune: self.commune_name(fam),
            mother: &mother,
            father: &father,
            child: named.map_or("", |k| k.person.first_names.as_str()),
            fem: named.is_some_and(|k| k.person.sex == Sex::Female),
            plural: fam.kids.len() > 1,
        };
        let mut rng = self.rng.clone();
        let mut expose = String::with_capacity(512);
        text::expose(
            &mut rng,
            &mut expose,
            &ctx,
            source_kind,
            head.primary,
            secondary,
        );
        let observation = if head.danger_grave
            || (reused && rng.random_bool(0.6))
            || rng.random_bool(if head.status == DossierStatus::Recue {
                0.15
            } else {
                0.45
            }) {
            let mut o = String::with_capacity(160);
            text::observation(&mut rng, &mut o, &ctx, reused, head.danger_grave);
            Some(o)
        } else {
            None
        };
        self.rng = rng;
        (expose, observation)
    }

    /// Keeps the family to be seen again: in its place when reused, else at the pool's end
    /// (the oldest one leaves a full pool).
    fn keep(&mut self, fam: Family, reused: Reuse) {
        match reused {
            Some((idx, _)) => self.pool[idx] = fam,
            None => {
                if self.pool.len() >= POOL_CAP {
                    self.pool.pop_front();
                }
                self.pool.push_back(fam);
            }
        }
    }
}
