//! One child of the dossier form: identity, facts, links to the adults, alleged authors,
//! motifs, conclusion, other dossiers, and the known persons it may be.

use chrono::NaiveDate;
use vigie_domain::dossier::Suggestion;
use vigie_domain::labels as L;
use vigie_domain::text::{COMMENT_MAX, SHORT_MAX};
use vigie_domain::{ParamKind, Sex};

use super::model::*;
use super::render::Render;
use super::widgets::*;
use crate::dossier::form::{BIRTH_KINDS, ChildForm, DossierForm, marked, parse_local_datetime};
use crate::dossier::view::OtherView;
use crate::shared::Choice;

impl Render<'_> {
    /// The children: their group, the grid that sums them up, and each child.
    pub(super) fn children(
        &self,
        f: &DossierForm,
        b: &mut B<'_>,
    ) -> (Group, Vec<GridRow>, Vec<ChildView>) {
        let group = b.group("children");
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
            let x = ChildCtx {
                i,
                n_children,
                p: &p,
                adult_names: &adult_names,
                received_on,
                removing,
            };
            let view = self.child(b, c, &x);
            grid.push(self.grid_row(c, i, &p, view.anchor.clone(), removing));
            children.push(view);
        }
        (group, grid, children)
    }

    /// One child's row in the grid: name, sex, birth, motifs, conclusion, whether it is
    /// being removed or has errors.
    fn grid_row(
        &self,
        c: &ChildForm,
        i: usize,
        p: &str,
        anchor: String,
        removing: bool,
    ) -> GridRow {
        GridRow {
            anchor,
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
                .map(|id| self.ctx.cat.label(Some(id)))
                .unwrap_or_default(),
            removing,
            invalid: self
                .errors
                .iter()
                .any(|e| e.field.starts_with(&format!("{p}."))),
        }
    }

    /// One child: its fields part by part, its hidden fields, what is known of its person,
    /// and the known persons it may be.
    fn child(&self, b: &mut B<'_>, c: &ChildForm, x: &ChildCtx<'_>) -> ChildView {
        let (i, p) = (x.i, x.p);
        // The builder is called in the page's order: field keys and the error summary follow it.
        let group = b.group(p);
        let identity = child_identity(b, c, p);
        let adult_confirm = adult_confirm(b, c, p, x.received_on);
        let address = child_address(b, c, p);
        let facts = self.child_facts(b, c, p);
        let (links_group, links) = self.child_links(b, c, p, x.adult_names);
        let (authors_group, authors) = self.child_authors(b, c, p, x.adult_names);
        let (motifs_group, motifs) = self.child_motifs(b, c, p);
        let conclusion = self.child_conclusion(b, c, p);
        let others = other_views(c);
        let is_new = c.id.trim().is_empty();
        ChildView {
            index: i,
            n: i + 1,
            anchor: format!("enfant-{}", i + 1),
            title: c.display(i),
            named: c.display(i) != format!("Enfant {}", i + 1),
            group,
            removing: x.removing,
            is_new,
            hidden: child_hidden(c, p),
            person: person_text(c, is_new, &others),
            identity,
            adult_confirm,
            address,
            facts,
            links,
            links_group,
            authors,
            authors_group,
            motifs,
            motifs_group,
            conclusion,
            others,
            first: i == 0,
            last: i + 1 == x.n_children,
            conflict: self.conflict_children.contains(&i),
            searched: self.suggestions.as_ref().is_some_and(|(k, _)| *k == i),
            suggestions: self.child_suggestions(i),
        }
    }

    /// The child's facts: the parents' socio-professional categories, where it lives, comment.
    fn child_facts(&self, b: &mut B<'_>, c: &ChildForm, p: &str) -> Vec<W> {
        let cat = &self.ctx.cat;
        vec![
            b.select(
                &format!("{p}.csp_father_id"),
                L::CSP_FATHER,
                param_opts(cat, ParamKind::Csp, &c.csp_father_id, Some("—")),
            ),
            b.select(
                &format!("{p}.csp_mother_id"),
                L::CSP_MOTHER,
                param_opts(cat, ParamKind::Csp, &c.csp_mother_id, Some("—")),
            ),
            b.select(
                &format!("{p}.lieu_de_vie_id"),
                L::LIEU_DE_VIE,
                param_opts(cat, ParamKind::LieuDeVie, &c.lieu_de_vie_id, Some("—")),
            ),
            b.area(
                &format!("{p}.comment"),
                L::COMMENT,
                &c.comment,
                COMMENT_MAX,
                2,
            ),
        ]
    }

    /// The child's links to the adults: their group, then for each adult the link and
    /// whether they hold parental authority.
    fn child_links(
        &self,
        b: &mut B<'_>,
        c: &ChildForm,
        p: &str,
        adult_names: &[String],
    ) -> (Group, Vec<LinkView>) {
        let cat = &self.ctx.cat;
        let links_group = b.group(&format!("{p}.adults"));
        let links = c
            .adults
            .iter()
            .enumerate()
            .take(adult_names.len())
            .map(|(k, l)| {
                let q = format!("{p}.adults[{k}]");
                let name = &adult_names[k];
                LinkView {
                    adult: name.clone(),
                    link: b.select(
                        &format!("{q}.link_id"),
                        &format!("Lien de {name} avec l'enfant"),
                        param_opts(cat, ParamKind::Link, &l.link_id, Some("— aucun lien —")),
                    ),
                    authority: b.check(
                        &format!("{q}.parental_authority"),
                        &format!("{name} : titulaire de l'autorité parentale"),
                        l.parental_authority,
                    ),
                }
            })
            .collect();
        (links_group, links)
    }

    /// The alleged authors: their group, then for each who (an adult or a third party),
    /// the third party's name and the link to the child.
    fn child_authors(
        &self,
        b: &mut B<'_>,
        c: &ChildForm,
        p: &str,
        adult_names: &[String],
    ) -> (Group, Vec<AuthorView>) {
        let cat = &self.ctx.cat;
        let authors_group = b.group(&format!("{p}.authors"));
        let authors = c
            .authors
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let q = format!("{p}.authors[{k}]");
                AuthorView {
                    index: k,
                    n: k + 1,
                    group: b.group(&q),
                    widgets: vec![
                        b.select(
                            &format!("{q}.adult"),
                            &format!("Auteur présumé {} : qui", k + 1),
                            author_opts(adult_names, a.adult.trim()),
                        ),
                        b.text(
                            &format!("{q}.third_party_name"),
                            "Tiers : nom",
                            &a.third_party_name,
                            SHORT_MAX,
                        ),
                        b.select(
                            &format!("{q}.link_id"),
                            L::ADULT_LINK,
                            param_opts(cat, ParamKind::Link, &a.link_id, Some("— choisir —")),
                        ),
                    ],
                }
            })
            .collect();
        (authors_group, authors)
    }

    /// The motifs: their group, then a checkbox for each active motif, each disabled one
    /// still checked, and each checked value the catalog does not know.
    fn child_motifs(&self, b: &mut B<'_>, c: &ChildForm, p: &str) -> (Group, Vec<W>) {
        let motifs_group = b.group(&format!("{p}.motifs"));
        let name = format!("{p}.motifs");
        let mut v = Vec::new();
        let mut seen = Vec::new();
        for m in self.ctx.cat.of_kind(ParamKind::Motif) {
            let id = m.id.to_string();
            let on = c.motifs.iter().any(|x| x.trim() == id);
            if on {
                seen.push(id.clone());
            }
            if m.active || on {
                v.push(W {
                    kind: "checkbox",
                    name: name.clone(),
                    id: format!("{}-{}", fid(&name), m.id),
                    label: if m.active {
                        m.label.clone()
                    } else {
                        format!("{} (désactivé)", m.label)
                    },
                    value: id,
                    checked: on,
                    ..W::default()
                });
            }
        }
        for x in c
            .motifs
            .iter()
            .filter(|x| !seen.contains(&x.trim().to_owned()))
        {
            v.push(W {
                kind: "checkbox",
                name: name.clone(),
                id: format!("{}-x{}", fid(&name), v.len()),
                label: format!("Valeur inconnue ({x})"),
                value: x.clone(),
                checked: true,
                ..W::default()
            });
        }
        (motifs_group, v)
    }

    /// The conclusion: evaluation result, conclusion, its date and its comment.
    fn child_conclusion(&self, b: &mut B<'_>, c: &ChildForm, p: &str) -> Vec<W> {
        let cat = &self.ctx.cat;
        vec![
            b.select(
                &format!("{p}.evaluation_result_id"),
                L::EVALUATION_RESULT,
                param_opts(
                    cat,
                    ParamKind::EvaluationResult,
                    &c.evaluation_result_id,
                    Some("— non renseigné —"),
                ),
            ),
            b.select(
                &format!("{p}.conclusion"),
                L::CONCLUSION,
                param_opts(
                    cat,
                    ParamKind::Conclusion,
                    &c.conclusion,
                    Some("— aucune —"),
                ),
            ),
            b.w(
                "date",
                &format!("{p}.conclusion.on"),
                L::CONCLUSION_ON,
                &c.conclusion_on,
            ),
            b.area(
                &format!("{p}.conclusion.comment"),
                L::CONCLUSION_COMMENT,
                &c.conclusion_comment,
                COMMENT_MAX,
                2,
            ),
        ]
    }

    /// The known persons found for child `i`, if it is the one they were looked for.
    fn child_suggestions(&self, i: usize) -> Vec<SuggestionView> {
        self.suggestions
            .iter()
            .filter(|(k, _)| *k == i)
            .flat_map(|(_, list)| list)
            .map(|sg| suggestion_view(sg, self.ctx.tz))
            .collect()
    }
}

/// What one child's part of the form needs besides its form and the field builder.
#[derive(Debug)]
struct ChildCtx<'a> {
    /// The child's position among the children, from 0.
    i: usize,
    /// How many children the form has.
    n_children: usize,
    /// The prefix of its field keys (`children[i]`).
    p: &'a str,
    /// The adults' display names, by position.
    adult_names: &'a [String],
    /// The day the information was received (the young adult check depends on it).
    received_on: Option<NaiveDate>,
    /// Whether the child is marked for removal.
    removing: bool,
}

/// The child's identity: sex, birth name, usage name, first names, birth date and its
/// precision.
fn child_identity(b: &mut B<'_>, c: &ChildForm, p: &str) -> Vec<W> {
    let sexes = fixed_opts(
        [Sex::Unknown, Sex::Male, Sex::Female]
            .iter()
            .map(|s| (s.code(), s.label().to_owned())),
        &c.sex,
    );
    vec![
        b.select(&format!("{p}.sex"), L::SEX, sexes),
        W {
            required: true,
            hint: "« INCONNU » si le nom n'est pas connu.".into(),
            ..b.text(
                &format!("{p}.birth_name"),
                L::BIRTH_NAME,
                &c.birth_name,
                SHORT_MAX,
            )
        },
        b.text(
            &format!("{p}.usage_name"),
            L::USAGE_NAME,
            &c.usage_name,
            SHORT_MAX,
        ),
        b.text(
            &format!("{p}.first_names"),
            L::FIRST_NAMES,
            &c.first_names,
            SHORT_MAX,
        ),
        b.select(
            &format!("{p}.birth_precision"),
            "Date de naissance : précision",
            fixed_opts(
                BIRTH_KINDS.iter().map(|(k, l)| (*k, (*l).to_owned())),
                &c.birth_precision,
            ),
        ),
        W {
            hint: "jj/mm/aaaa ; pour une date approximative, l'année suffit.".into(),
            ..b.w(
                "date",
                &format!("{p}.birth_date"),
                L::BIRTH_DATE,
                &c.birth_date,
            )
        },
    ]
}

/// The young adult check, shown when it is ticked or the child was 18 or more on the day
/// the information was received.
fn adult_confirm(
    b: &mut B<'_>,
    c: &ChildForm,
    p: &str,
    received_on: Option<NaiveDate>,
) -> Option<W> {
    let age = match (c.birth(), received_on) {
        (
            Some(vigie_domain::BirthDate::Exact(d) | vigie_domain::BirthDate::Approximate(d)),
            Some(r),
        ) => Some(vigie_domain::deadline::age_on(d, r)),
        _ => None,
    };
    let confirm_key = format!("{p}.confirmed_adult");
    if c.confirmed_adult || age.is_some_and(|a| a >= 18) {
        Some(W {
            hint: "Jeune majeur : 18 à 20 ans à la réception de l'information.".into(),
            ..b.check(
                &confirm_key,
                "Jeune majeur confirmé (âge vérifié)",
                c.confirmed_adult,
            )
        })
    } else {
        None
    }
}

/// The child's address, its first field labelled as the street number.
fn child_address(b: &mut B<'_>, c: &ChildForm, p: &str) -> Vec<W> {
    let mut address = address(b, &format!("{p}.address"), &c.address);
    if let Some(first) = address.first_mut() {
        first.label = L::ADDRESS_NUMBER.into();
    }
    address
}

/// Who an alleged author is: a third party, one of the adults, or the unknown current value.
fn author_opts(adult_names: &[String], cur: &str) -> Vec<Choice> {
    let mut who = vec![Choice {
        value: String::new(),
        label: "Un tiers (à nommer)".into(),
        selected: cur.is_empty(),
    }];
    let mut found = false;
    for (ix, name) in adult_names.iter().enumerate() {
        let selected = ix.to_string() == cur;
        found |= selected;
        who.push(Choice {
            value: ix.to_string(),
            label: name.clone(),
            selected,
        });
    }
    unknown_opt(&mut who, cur, found);
    who
}

/// The other dossiers of the child's person, with a link when their id is known.
fn other_views(c: &ChildForm) -> Vec<OtherView> {
    c.others
        .iter()
        .map(|o| OtherView {
            text: o.text.clone(),
            href: o
                .id
                .trim()
                .parse::<i64>()
                .ok()
                .map(|id| format!("/dossiers/{id}")),
        })
        .collect()
}

/// What the page says of the known person the child is, and of the dossiers sharing it.
fn person_text(c: &ChildForm, is_new: bool, others: &[OtherView]) -> Option<String> {
    (!c.person_id.trim().is_empty()).then(|| {
        if is_new {
            format!(
                "Enfant lié à une personne déjà connue (n° {}).",
                c.person_id.trim()
            )
        } else if others.is_empty() {
            format!("Personne n° {}.", c.person_id.trim())
        } else {
            let list: Vec<&str> = others.iter().map(|o: &OtherView| o.text.as_str()).collect();
            format!(
                "Personne n° {} : son identité est partagée avec {} autre{} dossier{} ({}). Modifier son nom, ses prénoms, son sexe ou sa date de naissance les modifie aussi dans {}.",
                c.person_id.trim(),
                others.len(),
                if others.len() > 1 { "s" } else { "" },
                if others.len() > 1 { "s" } else { "" },
                list.join(" ; "),
                if others.len() > 1 { "ces dossiers" } else { "ce dossier" }
            )
        }
    })
}

/// The child's hidden fields: id, version, base, person, and its other dossiers.
fn child_hidden(c: &ChildForm, p: &str) -> Vec<Hidden> {
    vec![
        hidden(format!("{p}.id"), c.id.clone()),
        hidden(format!("{p}.version"), c.version.clone()),
        hidden(format!("{p}.base"), c.base.clone()),
        hidden(format!("{p}.person_id"), c.person_id.clone()),
    ]
    .into_iter()
    .chain(c.others.iter().enumerate().flat_map(|(k, o)| {
        [
            hidden(format!("{p}.others[{k}].id"), o.id.clone()),
            hidden(format!("{p}.others[{k}].text"), o.text.clone()),
        ]
    }))
    .collect()
}

fn suggestion_view(sg: &Suggestion, tz: chrono_tz::Tz) -> SuggestionView {
    let p = &sg.person;
    let family = p.usage_name.clone().unwrap_or_else(|| p.birth_name.clone());
    let mut text = format!("{} {}", p.first_names, family.to_uppercase());
    if p.usage_name.is_some() {
        text.push_str(&format!(" (né·e {})", p.birth_name.to_uppercase()));
    }
    text.push_str(&format!(", {}", p.sex.label().to_lowercase()));
    match p.birth {
        vigie_domain::BirthDate::Unknown => text.push_str(", naissance inconnue"),
        b => text.push_str(&format!(", naissance : {}", b.display())),
    }
    SuggestionView {
        person_id: sg.person_id,
        text,
        dossiers: sg
            .dossiers
            .iter()
            .map(|d| {
                format!(
                    "dossier {} du {} ({}){}",
                    d.number,
                    d.received_at.with_timezone(&tz).format("%d/%m/%Y"),
                    d.territory_label,
                    if d.in_scope {
                        ""
                    } else {
                        " — hors de votre périmètre"
                    }
                )
            })
            .collect(),
    }
}
