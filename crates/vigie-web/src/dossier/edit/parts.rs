//! The dossier form's parts besides the children and the assignments: en-tête, flags,
//! status, source, adults, exposé and follow-ups.

use vigie_domain::catalog::Catalog;
use vigie_domain::dossier::DirectConclusionCode;
use vigie_domain::labels as L;
use vigie_domain::text::{COMMENT_MAX, LONG_MAX, SHORT_MAX};
use vigie_domain::{DossierStatus, ParamKind, Permission, SourceConfidentiality};

use super::model::*;
use super::render::Render;
use super::widgets::*;
use crate::dossier::form::{AdultForm, DossierForm};
use crate::shared::Choice;

impl Render<'_> {
    /// The en-tête: reception date, type, receiving agent, channel, SNATED number, territory.
    pub(super) fn header(&self, f: &DossierForm, b: &mut B<'_>) -> Vec<W> {
        let cat = &self.ctx.cat;
        let mut received = b.w(
            "datetime-local",
            "received_at",
            "Reçue le (date et heure)",
            &f.received_at,
        );
        received.required = true;
        received.hint = format!("Heure locale ({}).", self.ctx.tz.name());
        let mut type_id = b.select(
            "type_id",
            L::TYPE,
            param_opts(cat, ParamKind::DossierType, &f.type_id, Some("— choisir —")),
        );
        type_id.required = true;
        let agents = self.agent_opts(&f.receiving_agent_id);
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
        let territories = territory_opts(cat, &f.territory_id);
        let mut territory = b.select("territory_id", L::TERRITORY, territories);
        territory.required = true;
        vec![received, type_id, receiving, channel, snated, territory]
    }

    /// The receiving agents: active users who may write dossiers, and the current one.
    fn agent_opts(&self, cur: &str) -> Vec<Choice> {
        let cur = cur.trim();
        let mut v = vec![Choice {
            value: String::new(),
            label: "— non renseigné —".into(),
            selected: cur.is_empty(),
        }];
        let mut found = false;
        for u in self.ctx.users.iter() {
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
    }

    /// The status, the reason of a direct conclusion and the reason of a reopening.
    pub(super) fn status(&self, f: &DossierForm, b: &mut B<'_>) -> Vec<W> {
        let cat = &self.ctx.cat;
        vec![
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
                ..b.select(
                    "direct",
                    "Conclusion sans évaluation : raison",
                    direct_opts(&f.direct),
                )
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
        ]
    }

    /// The source (signalant): category, identity, name, organisation, contact; and its
    /// address.
    pub(super) fn source(&self, f: &DossierForm, b: &mut B<'_>) -> (Vec<W>, Vec<W>) {
        let s = &f.source;
        let source = vec![
            b.select(
                "source.category_id",
                "Catégorie",
                param_opts(
                    &self.ctx.cat,
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
        (source, source_address)
    }

    /// The adults (parents): their group, then each adult.
    pub(super) fn adults(&self, f: &DossierForm, b: &mut B<'_>) -> (Group, Vec<AdultView>) {
        let group = b.group("adults");
        let adults = f
            .adults
            .iter()
            .enumerate()
            .map(|(i, a)| self.adult(b, i, a))
            .collect();
        (group, adults)
    }

    /// One adult: identity, address and contact.
    fn adult(&self, b: &mut B<'_>, i: usize, a: &AdultForm) -> AdultView {
        let cat = &self.ctx.cat;
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
    }
}

/// The territories: the active ones, and the current one.
fn territory_opts(cat: &Catalog, cur: &str) -> Vec<Choice> {
    let cur = cur.trim();
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
}

/// The reasons of a direct conclusion, after « sans objet ».
fn direct_opts(cur: &str) -> Vec<Choice> {
    let mut v = vec![Choice {
        value: String::new(),
        label: "— sans objet —".into(),
        selected: cur.trim().is_empty(),
    }];
    v.extend(fixed_opts(
        DirectConclusionCode::ALL
            .iter()
            .map(|d| (d.code(), capitalize(d.label()))),
        cur,
    ));
    v
}

/// The flags: SIP, danger grave, violence conjugale.
pub(super) fn flags(f: &DossierForm, b: &mut B<'_>) -> Vec<W> {
    vec![
        b.check("sip", L::SIP, f.sip),
        b.check("danger_grave", L::DANGER_GRAVE, f.danger_grave),
        b.check(
            "violence_conjugale",
            L::VIOLENCE_CONJUGALE,
            f.violence_conjugale,
        ),
    ]
}

/// The exposé and the observation.
pub(super) fn expose(f: &DossierForm, b: &mut B<'_>) -> Vec<W> {
    vec![
        b.area("expose", L::EXPOSE, &f.expose, LONG_MAX, 10),
        b.area("observation", L::OBSERVATION, &f.observation, LONG_MAX, 6),
    ]
}

/// The follow-ups, one group per kind: done on, due on, reason when not done.
pub(super) fn follow_ups(f: &DossierForm, b: &mut B<'_>) -> Vec<FollowUpView> {
    f.follow_ups
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
        .collect()
}
