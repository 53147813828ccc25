//! The dossier form as a page: the context the form needs ([`Ctx`]), and [`Render`],
//! which builds the view model from the typed values, the errors and the conflicts (the
//! children in [`super::child`]).

use std::collections::{HashMap, HashSet};

use vigie_domain::catalog::Catalog;
use vigie_domain::dossier::{DirectConclusionCode, Part, PartConflict, Suggestion};
use vigie_domain::labels as L;
use vigie_domain::text::{COMMENT_MAX, LONG_MAX, SHORT_MAX};
use vigie_domain::{DossierStatus, FieldError, ParamKind, Permission, Sex, SourceConfidentiality};
use vigie_store::users::User;

use super::model::*;
use super::widgets::*;
use crate::AppState;
use crate::dossier::form::{Communes, Defaults, DossierForm, marked, parse_local_datetime};
use crate::http::error::WebError;
use crate::shared::Choice;
use crate::shared::dates::{date, datetime};

/// What the form needs besides the typed values.
#[derive(Debug)]
pub struct Ctx {
    pub cat: Catalog,
    pub users: Vec<User>,
    pub communes: Vec<vigie_store::communes::Commune>,
    pub defaults: Defaults,
    pub tz: chrono_tz::Tz,
}

/// The communes of the instance's départements (for addresses).
pub(super) async fn load_communes(
    state: &AppState,
) -> Result<Vec<vigie_store::communes::Commune>, WebError> {
    let s = &state.store;
    let departements = s
        .instance()
        .await?
        .map(|i| i.departements)
        .unwrap_or_default();
    Ok(s.communes_of(&departements).await?)
}

/// Each commune's name and postal codes, by INSEE code, for reading a typed address.
pub(super) fn commune_map(communes: &[vigie_store::communes::Commune]) -> Communes {
    let mut m: Communes = HashMap::new();
    for c in communes {
        let e = m
            .entry(c.insee.clone())
            .or_insert_with(|| (c.name.clone(), Vec::new()));
        if !e.1.contains(&c.postal_code) {
            e.1.push(c.postal_code.clone());
        }
    }
    m
}

impl Ctx {
    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        let communes = load_communes(state).await?;
        Self::with_communes(state, communes).await
    }

    /// The rest of the page's context, once the communes are loaded.
    pub(super) async fn with_communes(
        state: &AppState,
        communes: Vec<vigie_store::communes::Commune>,
    ) -> Result<Self, WebError> {
        let s = &state.store;
        let tz = s.timezone();
        let cat = s.catalog().await?;
        let users = s.list_users().await?;
        let under_two_months = s.under_two_months().await?;
        let lieu_de_vie = cat
            .of_kind(ParamKind::LieuDeVie)
            .find(|p| p.active && p.meaning == Some(vigie_domain::param::Meaning::NonRenseigne))
            .map(|p| p.id.to_string())
            .unwrap_or_default();
        Ok(Self {
            defaults: Defaults {
                today: state.now().with_timezone(&tz).date_naive(),
                lieu_de_vie,
                under_two_months,
            },
            cat,
            users,
            communes,
            tz,
        })
    }
}

/// The dossier being edited, as far as the page needs it (its number comes from the
/// record when the page opens, from the posted form afterwards).
pub(super) struct Stored {
    pub(super) id: i64,
    pub(super) number: String,
}

pub(super) struct Render<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) stored: Option<Stored>,
    pub(super) errors: &'a [FieldError],
    pub(super) conflicts: &'a [PartConflict],
    /// Form indexes of the conflicting children and assignments.
    pub(super) conflict_children: HashSet<usize>,
    pub(super) conflict_assignments: HashSet<usize>,
    pub(super) tab: Option<usize>,
    /// Known persons found for a child (form index).
    pub(super) suggestions: Option<(usize, Vec<Suggestion>)>,
}

impl Render<'_> {
    pub(super) fn view(&self, f: &DossierForm) -> EditView {
        // First pass: which keys can hold an error; then each error goes to its field, or
        // to the closest enclosing group.
        let empty = Errs::default();
        let mut b = B {
            errs: &empty,
            keys: HashSet::new(),
        };
        self.build(f, &mut b, vec![]);
        let keys = b.keys;
        let mut errs = Errs::default();
        let mut summary = Vec::new();
        for e in self.errors {
            let mut anchor = Some(e.field.as_str());
            while let Some(k) = anchor {
                if keys.contains(k) {
                    break;
                }
                anchor = parent_key(k);
            }
            let text = format!("{} : {}", e.label, e.message);
            match anchor {
                Some(k) => {
                    let shown = if k == e.field {
                        e.message.clone()
                    } else {
                        text.clone()
                    };
                    errs.at.entry(k.to_owned()).or_default().push(shown);
                    summary.push(ErrLink {
                        href: format!("#{}", fid(k)),
                        text,
                    });
                }
                None => summary.push(ErrLink {
                    href: "#formulaire".into(),
                    text,
                }),
            }
        }
        let mut b = B {
            errs: &errs,
            keys: HashSet::new(),
        };
        self.build(f, &mut b, summary)
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn build(&self, f: &DossierForm, b: &mut B<'_>, summary: Vec<ErrLink>) -> EditView {
        let cat = &self.ctx.cat;
        let tz = self.ctx.tz;
        // En-tête.
        let mut received = b.w(
            "datetime-local",
            "received_at",
            "Reçue le (date et heure)",
            &f.received_at,
        );
        received.required = true;
        received.hint = format!("Heure locale ({}).", tz.name());
        let mut type_id = b.select(
            "type_id",
            L::TYPE,
            param_opts(cat, ParamKind::DossierType, &f.type_id, Some("— choisir —")),
        );
        type_id.required = true;
        let agents = {
            let cur = f.receiving_agent_id.trim();
            let mut v = vec![Choice {
                value: String::new(),
                label: "— non renseigné —".into(),
                selected: cur.is_empty(),
            }];
            let mut found = false;
            for u in &self.ctx.users {
                let selected = u.id.to_string() == cur;
                found |= selected;
                if selected || (u.active && u.role.has(Permission::DossierWrite)) {
                    v.push(Choice {
                        value: u.id.to_string(),
                        label: if u.active {
                            u.display_name.clone()
                        } else {
                            format!("{} (compte désactivé)", u.display_name)
                        },
                        selected,
                    });
                }
            }
            unknown_opt(&mut v, cur, found);
            v
        };
        let receiving = b.select("receiving_agent_id", L::RECEIVING_AGENT, agents);
        let mut channel = b.select(
            "channel_id",
            L::CHANNEL,
            param_opts(cat, ParamKind::Channel, &f.channel_id, Some("— choisir —")),
        );
        channel.required = true;
        let snated = b.text(
            "snated_number",
            L::SNATED_NUMBER_HISTORY,
            &f.snated_number,
            SHORT_MAX,
        );
        let territories = {
            let cur = f.territory_id.trim();
            let mut v = vec![Choice {
                value: String::new(),
                label: "— choisir —".into(),
                selected: cur.is_empty(),
            }];
            let mut found = false;
            for t in &cat.territories {
                let selected = t.id.to_string() == cur;
                found |= selected;
                if t.active || selected {
                    v.push(Choice {
                        value: t.id.to_string(),
                        label: if t.active {
                            t.label.clone()
                        } else {
                            format!("{} (désactivé)", t.label)
                        },
                        selected,
                    });
                }
            }
            unknown_opt(&mut v, cur, found);
            v
        };
        let mut territory = b.select("territory_id", L::TERRITORY, territories);
        territory.required = true;
        let header = vec![received, type_id, receiving, channel, snated, territory];
        let flags = vec![
            b.check("sip", L::SIP, f.sip),
            b.check("danger_grave", L::DANGER_GRAVE, f.danger_grave),
            b.check(
                "violence_conjugale",
                L::VIOLENCE_CONJUGALE,
                f.violence_conjugale,
            ),
        ];
        let status = vec![
            b.select(
                "status",
                L::STATUS,
                fixed_opts(
                    DossierStatus::ALL
                        .iter()
                        .map(|s| (s.code(), cat.status_label(*s))),
                    &f.status,
                ),
            ),
            W {
                hint: "Pour passer à « Conclue » depuis « Reçue » ou « Qualifiée ».".into(),
                ..b.select("direct", "Conclusion sans évaluation : raison", {
                    let mut v = vec![Choice {
                        value: String::new(),
                        label: "— sans objet —".into(),
                        selected: f.direct.trim().is_empty(),
                    }];
                    v.extend(fixed_opts(
                        DirectConclusionCode::ALL
                            .iter()
                            .map(|d| (d.code(), capitalize(d.label()))),
                        &f.direct,
                    ));
                    v
                })
            },
            W {
                hint: "Quand un dossier conclu ou clôturé est rouvert.".into(),
                ..b.text(
                    "status_reason",
                    "Motif de réouverture",
                    &f.status_reason,
                    COMMENT_MAX,
                )
            },
        ];
        // Signalant.
        let s = &f.source;
        let source = vec![
            b.select(
                "source.category_id",
                "Catégorie",
                param_opts(
                    cat,
                    ParamKind::SourceCategory,
                    &s.category_id,
                    Some("— non renseignée —"),
                ),
            ),
            b.select(
                "source.confidentiality",
                "Identité",
                fixed_opts(
                    [
                        SourceConfidentiality::Known,
                        SourceConfidentiality::Confidential,
                        SourceConfidentiality::Anonymous,
                    ]
                    .iter()
                    .map(|c| (c.code(), c.label().to_owned())),
                    &s.confidentiality,
                ),
            ),
            b.text("source.name", "Nom", &s.name, SHORT_MAX),
            b.text(
                "source.organisation",
                "Organisme",
                &s.organisation,
                SHORT_MAX,
            ),
            W {
                kind: "email",
                ..b.text("source.email", "Courriel", &s.email, SHORT_MAX)
            },
            W {
                kind: "tel",
                ..b.text("source.phone", "Téléphone", &s.phone, SHORT_MAX)
            },
        ];
        let source_address = address(b, "source.address", &s.address);
        // Parents.
        let adults_group = b.group("adults");
        let adults = f
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = format!("adults[{i}]");
                AdultView {
                    index: i,
                    title: a.display(i),
                    named: a.display(i) != format!("Parent {}", i + 1),
                    group: b.group(&p),
                    hidden: vec![hidden(format!("{p}.id"), a.id.clone())],
                    identity: vec![
                        b.select(
                            &format!("{p}.civility_id"),
                            L::ADULT_CIVILITY,
                            param_opts(cat, ParamKind::Civility, &a.civility_id, Some("—")),
                        ),
                        W {
                            required: true,
                            ..b.text(
                                &format!("{p}.birth_name"),
                                L::BIRTH_NAME,
                                &a.birth_name,
                                SHORT_MAX,
                            )
                        },
                        b.text(
                            &format!("{p}.usage_name"),
                            L::USAGE_NAME,
                            &a.usage_name,
                            SHORT_MAX,
                        ),
                        b.text(
                            &format!("{p}.first_names"),
                            L::FIRST_NAMES,
                            &a.first_names,
                            SHORT_MAX,
                        ),
                    ],
                    address: address(b, &format!("{p}.address"), &a.address),
                    contact: vec![
                        W {
                            kind: "tel",
                            ..b.text(&format!("{p}.phone"), "Téléphone", &a.phone, SHORT_MAX)
                        },
                        W {
                            kind: "email",
                            ..b.text(&format!("{p}.email"), "Courriel", &a.email, SHORT_MAX)
                        },
                    ],
                }
            })
            .collect();
        // Enfants.
        let children_group = b.group("children");
        let adult_names: Vec<String> = f
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| a.display(i))
            .collect();
        let received_on = parse_local_datetime(&f.received_at).map(|d| d.date());
        let n_children = f.children.len();
        let mut grid = Vec::new();
        let mut children = Vec::new();
        for (i, c) in f.children.iter().enumerate() {
            let p = format!("children[{i}]");
            let removing = marked(&f.removed_children, &c.id);
            let view = self.child(b, c, i, n_children, &p, &adult_names, received_on, removing);
            grid.push(GridRow {
                anchor: view.anchor.clone(),
                n: i + 1,
                name: c.display(i),
                sex: Sex::parse(c.sex.trim())
                    .map(|s| s.label().to_owned())
                    .unwrap_or_default(),
                birth: c.birth().map(|b| b.display()).unwrap_or_default(),
                motifs: c.motifs.len(),
                conclusion: c
                    .conclusion
                    .trim()
                    .parse()
                    .ok()
                    .map(|id| cat.label(Some(id)))
                    .unwrap_or_default(),
                removing,
                invalid: self
                    .errors
                    .iter()
                    .any(|e| e.field.starts_with(&format!("{p}."))),
            });
            children.push(view);
        }
        // Exposé.
        let expose = vec![
            b.area("expose", L::EXPOSE, &f.expose, LONG_MAX, 10),
            b.area("observation", L::OBSERVATION, &f.observation, LONG_MAX, 6),
        ];
        // Traitement de l'information.
        let assignments_group = b.group("assignments");
        let deadline = f.default_due(tz, &self.ctx.defaults);
        let assignments = f
            .assignments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = format!("assignments[{i}]");
                let removing = marked(&f.removed_assignments, &a.id);
                let services = {
                    let cur = a.service_id.trim();
                    let mut v = vec![Choice {
                        value: String::new(),
                        label: "— choisir —".into(),
                        selected: cur.is_empty(),
                    }];
                    let mut found = false;
                    for s in &cat.services {
                        let selected = s.id.to_string() == cur;
                        found |= selected;
                        if s.active || selected {
                            let t = cat
                                .territory(s.territory_id)
                                .map(|t| t.label.as_str())
                                .unwrap_or("");
                            v.push(Choice {
                                value: s.id.to_string(),
                                label: format!(
                                    "{} — {t}{}",
                                    s.label,
                                    if s.active { "" } else { " (désactivé)" }
                                ),
                                selected,
                            });
                        }
                    }
                    unknown_opt(&mut v, cur, found);
                    v
                };
                let title = cat
                    .service(a.service_id.trim().parse().unwrap_or_default())
                    .map(|s| s.label.clone())
                    .unwrap_or_else(|| format!("Affectation {}", i + 1));
                let mut due = b.w("date", &format!("{p}.due_on"), L::DUE_ON, &a.due_on);
                due.required = true;
                if let Some((legal, short)) = deadline {
                    due.hint = if legal == short {
                        format!("Délai légal : {} (3 mois après la réception).", date(legal))
                    } else {
                        format!(
                            "Délai légal : {} ; délai réduit (enfant de moins de deux ans) : {}.",
                            date(legal),
                            date(short)
                        )
                    };
                }
                let mut evaluators = b.area(
                    &format!("{p}.evaluators"),
                    "Évaluateurs (un par ligne)",
                    &a.evaluators,
                    COMMENT_MAX,
                    3,
                );
                if !a.cancelled && a.evaluator_names().len() < 2 {
                    evaluators.warn =
                        "Moins de deux évaluateurs : l'évaluation doit être pluridisciplinaire."
                            .into();
                }
                AssignmentView {
                    index: i,
                    n: i + 1,
                    anchor: format!("affectation-{}", i + 1),
                    title,
                    group: b.group(&p),
                    removing,
                    is_new: a.id.trim().is_empty(),
                    hidden: vec![
                        hidden(format!("{p}.id"), a.id.clone()),
                        hidden(format!("{p}.version"), a.version.clone()),
                        hidden(format!("{p}.base"), a.base.clone()),
                    ],
                    widgets: vec![
                        W {
                            required: true,
                            ..b.select(&format!("{p}.service_id"), L::SERVICE, services)
                        },
                        W {
                            required: true,
                            ..b.w("date", &format!("{p}.asked_on"), L::ASKED_ON, &a.asked_on)
                        },
                        due,
                        evaluators,
                        b.w(
                            "date",
                            &format!("{p}.returned_on"),
                            L::RETURNED_ON_HISTORY,
                            &a.returned_on,
                        ),
                        b.select(
                            &format!("{p}.result_id"),
                            L::RESULT,
                            param_opts(cat, ParamKind::EvaluationResult, &a.result_id, Some("—")),
                        ),
                        b.check(&format!("{p}.cancelled"), L::CANCELLED, a.cancelled),
                        b.area(
                            &format!("{p}.comment"),
                            L::COMMENT,
                            &a.comment,
                            COMMENT_MAX,
                            2,
                        ),
                    ],
                    conflict: self.conflict_assignments.contains(&i),
                }
            })
            .collect();
        // Suites.
        let follow_ups = f
            .follow_ups
            .iter()
            .map(|fu| {
                let p = format!("follow_ups.{}", fu.kind.code());
                FollowUpView {
                    legend: fu.kind.label().to_owned(),
                    group: b.group(&p),
                    widgets: vec![
                        b.w(
                            "datetime-local",
                            &format!("{p}.done_at"),
                            "Fait le",
                            &fu.done_at,
                        ),
                        b.w(
                            "date",
                            &format!("{p}.due_on"),
                            "À faire pour le",
                            &fu.due_on,
                        ),
                        b.text(
                            &format!("{p}.not_done_reason"),
                            "Non fait : raison",
                            &fu.not_done_reason,
                            COMMENT_MAX,
                        ),
                    ],
                }
            })
            .collect();
        let (title, action, back, history) = match &self.stored {
            Some(s) => (
                format!("Modifier le dossier {}", s.number),
                format!("/dossiers/{}/modifier", s.id),
                format!("/dossiers/{}", s.id),
                Some(format!("/dossiers/{}/historique", s.id)),
            ),
            None => (
                "Nouveau dossier".to_owned(),
                "/dossiers/nouveau".to_owned(),
                "/dossiers".to_owned(),
                None,
            ),
        };
        let conflicts = self
            .conflicts
            .iter()
            .map(|c| self.conflict_view(c))
            .collect();
        let mut communes: Vec<Choice> = self
            .ctx
            .communes
            .iter()
            .map(|c| Choice {
                value: c.insee.clone(),
                label: format!("{} ({})", c.name, c.postal_code),
                selected: false,
            })
            .collect();
        communes.dedup_by(|a, b| a.value == b.value && a.label == b.label);
        EditView {
            title,
            is_new: self.stored.is_none(),
            number: self
                .stored
                .as_ref()
                .map(|s| s.number.clone())
                .unwrap_or_default(),
            action,
            back,
            history,
            version: f.version.clone(),
            base: f.base.clone(),
            summary,
            conflicts,
            header,
            flags,
            status,
            source,
            source_address,
            adults_group,
            adults,
            children_group,
            grid,
            next_child_anchor: format!("enfant-{}", n_children + 1),
            children,
            expose,
            assignments_group,
            next_assignment_anchor: format!("affectation-{}", f.assignments.len() + 1),
            assignments,
            follow_ups,
            removed_children: f.removed_children.clone(),
            removed_assignments: f.removed_assignments.clone(),
            communes,
            current_tab: self.tab.map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    fn conflict_view(&self, c: &PartConflict) -> ConflictView {
        let who = match (&c.by, c.at) {
            (Some(by), Some(at)) => format!("Modifié par {by} le {}", datetime(at, self.ctx.tz)),
            (Some(by), None) => format!("Modifié par {by}"),
            (None, Some(at)) => format!("Modifié le {}", datetime(at, self.ctx.tz)),
            (None, None) => "Modifié entre-temps".into(),
        };
        let who = if c.removed {
            format!(
                "{} : retiré du dossier entre-temps. Enregistrer à nouveau le recréera avec votre saisie.",
                who.replace("Modifié", "Retiré")
            )
        } else {
            who
        };
        let href = match c.part {
            Part::Header => "#entete",
            Part::Child => "#enfants",
            Part::Assignment => "#traitement",
        }
        .to_owned();
        ConflictView {
            title: c.part_label.clone(),
            who,
            removed: c.removed,
            rows: c
                .changes
                .iter()
                .map(|ch| ChangeRow {
                    label: ch.label.clone(),
                    current: ch.old.clone(),
                    typed: ch.new.clone(),
                })
                .collect(),
            href,
        }
    }
}
