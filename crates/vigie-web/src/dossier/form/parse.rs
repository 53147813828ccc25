//! Reading a post: the pairs, in order, into the form (every value kept as typed), each
//! repeated part bounded by the domain's limits.

use vigie_domain::FieldError;
use vigie_domain::labels as L;

use super::*;

impl AddressForm {
    fn set(&mut self, key: &str, v: &str) -> bool {
        let f = match key {
            "number" => &mut self.number,
            "street" => &mut self.street,
            "complement" => &mut self.complement,
            "postal_code" => &mut self.postal_code,
            "commune_insee" => &mut self.commune_insee,
            "city" => &mut self.city,
            _ => return false,
        };
        *f = v.to_owned();
        true
    }
}

/// One segment of a field name: `children[0]` → (`children`, Some(0)).
fn segments(name: &str) -> Option<Vec<(&str, Option<usize>)>> {
    name.split('.')
        .map(|s| match s.find('[') {
            Some(open) => {
                let inner = s.strip_suffix(']')?.get(open + 1..)?;
                Some((&s[..open], Some(inner.parse().ok()?)))
            }
            None => Some((s, None)),
        })
        .collect()
}

/// Row `i` of `v`, created when missing; `None` beyond `max` rows.
fn row<T: Default>(v: &mut Vec<T>, i: usize, max: usize) -> Option<&mut T> {
    if i >= max {
        return None;
    }
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    v.get_mut(i)
}

/// Adds `v` unless empty or already there; `false` when the list already holds `max`
/// values (the scan is bounded by `max`, so a post parses in linear time).
fn push_unique(list: &mut Vec<String>, v: &str, max: usize) -> bool {
    #[cfg(test)]
    tests::SCANNED.with(|c| c.set(c.get() + list.len() as u64));
    if v.is_empty() || list.iter().any(|x| x == v) {
        return true;
    }
    if list.len() >= max {
        return false;
    }
    list.push(v.to_owned());
    true
}

/// [`push_unique`] within the list's limit; beyond, the limit is noted for the field.
fn push_bounded(
    (list, max): (&mut Vec<String>, usize),
    v: &str,
    over: &mut Vec<FieldError>,
    field: impl FnOnce() -> String,
    part: Part,
) {
    if !push_unique(list, v, max) {
        note_over(over, field(), part, max);
    }
}

/// Records that `field` was posted beyond its limit (once per field).
fn note_over(over: &mut Vec<FieldError>, field: String, (label, what, per): Part, max: usize) {
    if over.iter().any(|e| e.field == field) {
        return;
    }
    let message = vigie_domain::limits::too_many(what, max, None, per);
    over.push(FieldError::new(field, label, message));
}

/// A repeated part as its limit message names it: label, plural noun, per what.
type Part = (&'static str, &'static str, &'static str);

fn checked(v: &str) -> bool {
    !v.is_empty() && v != "0"
}

impl DossierForm {
    /// Reads the posted pairs, in order; returns the form and the requested action.
    pub fn parse(pairs: &[(String, String)]) -> (Self, Option<Action>) {
        let mut f = Self::empty();
        let mut action = None;
        for (k, v) in pairs {
            if k == "action" {
                action = Some(Action::parse(v));
                continue;
            }
            f.set(k, v);
        }
        let n = f.adults.len();
        for c in &mut f.children {
            c.adults.resize_with(n, LinkForm::default);
        }
        // No button (Enter in a field, or an old browser): a save.
        (f, action.unwrap_or(Some(Action::Save)))
    }

    /// Sets the field named `name` (`children[0].birth_name`…) to `v`; an unknown name is
    /// ignored, a row beyond its part's limit is noted in `over_limit`.
    fn set(&mut self, name: &str, v: &str) {
        let Some(segs) = segments(name) else { return };
        let s = |x: &mut String| *x = v.to_owned();
        match segs.as_slice() {
            [("version", None)] => s(&mut self.version),
            [("base", None)] => s(&mut self.base),
            [("number", None)] => s(&mut self.number),
            [("received_at", None)] => s(&mut self.received_at),
            [("type_id", None)] => s(&mut self.type_id),
            [("sip", None)] => self.sip = checked(v),
            [("danger_grave", None)] => self.danger_grave = checked(v),
            [("violence_conjugale", None)] => self.violence_conjugale = checked(v),
            [("receiving_agent_id", None)] => s(&mut self.receiving_agent_id),
            [("channel_id", None)] => s(&mut self.channel_id),
            [("snated_number", None)] => s(&mut self.snated_number),
            [("territory_id", None)] => s(&mut self.territory_id),
            [("status", None)] => s(&mut self.status),
            [("direct", None)] => s(&mut self.direct),
            [("status_reason", None)] => s(&mut self.status_reason),
            [("expose", None)] => s(&mut self.expose),
            [("observation", None)] => s(&mut self.observation),
            [("removed_children", None)] => push_bounded(
                (&mut self.removed_children, MAX_CHILDREN),
                v,
                &mut self.over_limit,
                || "removed_children".into(),
                (L::REMOVED_CHILDREN, "enfants", "dossier"),
            ),
            [("removed_assignments", None)] => push_bounded(
                (&mut self.removed_assignments, MAX_ASSIGNMENTS),
                v,
                &mut self.over_limit,
                || "removed_assignments".into(),
                (L::REMOVED_ASSIGNMENTS, "affectations", "dossier"),
            ),
            [("source", None), rest @ ..] => self.set_source(rest, v),
            [("adults", Some(i)), rest @ ..] => self.set_adult(*i, rest, v),
            [("children", Some(i)), rest @ ..] => self.set_child(*i, rest, v),
            [("assignments", Some(i)), (field, None)] => self.set_assignment(*i, field, v),
            [("follow_ups", None), (kind, None), (field, None)] => {
                self.set_follow_up(kind, field, v);
            }
            _ => {}
        }
    }

    /// `source.…`: a field of the source.
    fn set_source(&mut self, rest: &[(&str, Option<usize>)], v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let src = &mut self.source;
        match rest {
            [("category_id", None)] => s(&mut src.category_id),
            [("confidentiality", None)] => s(&mut src.confidentiality),
            [("name", None)] => s(&mut src.name),
            [("organisation", None)] => s(&mut src.organisation),
            [("email", None)] => s(&mut src.email),
            [("phone", None)] => s(&mut src.phone),
            [("address", None), (k, None)] => {
                src.address.set(k, v);
            }
            _ => {}
        }
    }

    /// `adults[i].…`: a field of the `i`-th adult.
    fn set_adult(&mut self, i: usize, rest: &[(&str, Option<usize>)], v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(a) = row(&mut self.adults, i, MAX_ADULTS) else {
            let f = "adults".to_owned();
            note_over(
                &mut self.over_limit,
                f,
                (L::ADULTS, "adultes", "dossier"),
                MAX_ADULTS,
            );
            return;
        };
        match rest {
            [("id", None)] => s(&mut a.id),
            [("civility_id", None)] => s(&mut a.civility_id),
            [("birth_name", None)] => s(&mut a.birth_name),
            [("usage_name", None)] => s(&mut a.usage_name),
            [("first_names", None)] => s(&mut a.first_names),
            [("phone", None)] => s(&mut a.phone),
            [("email", None)] => s(&mut a.email),
            [("address", None), (k, None)] => {
                a.address.set(k, v);
            }
            _ => {}
        }
    }

    /// `children[i].…`: a field of the `i`-th child (its adults' links and its authors
    /// through [`Self::set_child_link`] and [`Self::set_child_author`]).
    fn set_child(&mut self, i: usize, rest: &[(&str, Option<usize>)], v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(c) = row(&mut self.children, i, MAX_CHILDREN) else {
            let (f, l) = ("children".to_owned(), L::CHILDREN);
            note_over(
                &mut self.over_limit,
                f,
                (l, "enfants", "dossier"),
                MAX_CHILDREN,
            );
            return;
        };
        match rest {
            [("id", None)] => s(&mut c.id),
            [("version", None)] => s(&mut c.version),
            [("base", None)] => s(&mut c.base),
            [("person_id", None)] => s(&mut c.person_id),
            [("sex", None)] => s(&mut c.sex),
            [("birth_name", None)] => s(&mut c.birth_name),
            [("usage_name", None)] => s(&mut c.usage_name),
            [("first_names", None)] => s(&mut c.first_names),
            [("birth_precision", None)] => s(&mut c.birth_precision),
            [("birth_date", None)] => s(&mut c.birth_date),
            [("csp_father_id", None)] => s(&mut c.csp_father_id),
            [("csp_mother_id", None)] => s(&mut c.csp_mother_id),
            [("lieu_de_vie_id", None)] => s(&mut c.lieu_de_vie_id),
            [("comment", None)] => s(&mut c.comment),
            [("evaluation_result_id", None)] => s(&mut c.evaluation_result_id),
            [("conclusion", None)] => s(&mut c.conclusion),
            [("conclusion", None), ("on", None)] => s(&mut c.conclusion_on),
            [("conclusion", None), ("comment", None)] => s(&mut c.conclusion_comment),
            [("confirmed_adult", None)] => c.confirmed_adult = checked(v),
            // Display only: beyond the bound, the rest is not shown again.
            [("others", Some(k)), (field, None)] => {
                if let Some(o) = row(&mut c.others, *k, MAX_OTHERS_PER_CHILD) {
                    match *field {
                        "id" => s(&mut o.id),
                        "text" => s(&mut o.text),
                        _ => {}
                    }
                }
            }
            [("motifs", None)] => push_bounded(
                (&mut c.motifs, MAX_MOTIFS_PER_CHILD),
                v,
                &mut self.over_limit,
                || format!("children[{i}].motifs"),
                (L::MOTIFS, "motifs", "enfant"),
            ),
            [("address", None), (k, None)] => {
                c.address.set(k, v);
            }
            [("adults", Some(k)), (field, None)] => self.set_child_link(i, *k, field, v),
            [("authors", Some(k)), (field, None)] => self.set_child_author(i, *k, field, v),
            _ => {}
        }
    }

    /// `children[i].adults[k].…`: the `i`-th child's link to the `k`-th adult.
    fn set_child_link(&mut self, i: usize, k: usize, field: &str, v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(c) = self.children.get_mut(i) else {
            return;
        };
        let Some(l) = row(&mut c.adults, k, MAX_ADULTS) else {
            let f = format!("children[{i}].adults");
            note_over(
                &mut self.over_limit,
                f,
                (L::CHILD_ADULTS, "adultes", "enfant"),
                MAX_ADULTS,
            );
            return;
        };
        match field {
            "link_id" => s(&mut l.link_id),
            "parental_authority" => l.parental_authority = checked(v),
            _ => {}
        }
    }

    /// `children[i].authors[k].…`: the `i`-th child's `k`-th presumed author.
    fn set_child_author(&mut self, i: usize, k: usize, field: &str, v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(c) = self.children.get_mut(i) else {
            return;
        };
        let Some(a) = row(&mut c.authors, k, MAX_AUTHORS) else {
            let f = format!("children[{i}].authors");
            let l = L::AUTHOR;
            note_over(
                &mut self.over_limit,
                f,
                (l, "auteurs", "enfant"),
                MAX_AUTHORS,
            );
            return;
        };
        match field {
            "adult" => s(&mut a.adult),
            "third_party_name" => s(&mut a.third_party_name),
            "link_id" => s(&mut a.link_id),
            _ => {}
        }
    }

    /// `assignments[i].…`: a field of the `i`-th assignment.
    fn set_assignment(&mut self, i: usize, field: &str, v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(a) = row(&mut self.assignments, i, MAX_ASSIGNMENTS) else {
            let (f, l) = ("assignments".to_owned(), L::ASSIGNMENTS);
            note_over(
                &mut self.over_limit,
                f,
                (l, "affectations", "dossier"),
                MAX_ASSIGNMENTS,
            );
            return;
        };
        match field {
            "id" => s(&mut a.id),
            "version" => s(&mut a.version),
            "base" => s(&mut a.base),
            "service_id" => s(&mut a.service_id),
            "asked_on" => s(&mut a.asked_on),
            "due_on" => s(&mut a.due_on),
            "evaluators" => s(&mut a.evaluators),
            "returned_on" => s(&mut a.returned_on),
            "result_id" => s(&mut a.result_id),
            "cancelled" => a.cancelled = checked(v),
            "comment" => s(&mut a.comment),
            _ => {}
        }
    }

    /// `follow_ups.<kind>.…`: a field of a follow-up (an unknown kind is ignored).
    fn set_follow_up(&mut self, kind: &str, field: &str, v: &str) {
        let s = |x: &mut String| *x = v.to_owned();
        let Some(fu) = self.follow_ups.iter_mut().find(|f| f.kind.code() == kind) else {
            return;
        };
        match field {
            "done_at" => s(&mut fu.done_at),
            "due_on" => s(&mut fu.due_on),
            "not_done_reason" => s(&mut fu.not_done_reason),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Values compared by [`push_unique`] (the parser's only scan).
        pub(super) static SCANNED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// A post with `n` motifs for one child and `n` removed children.
    fn post(n: usize) -> Vec<(String, String)> {
        let mut pairs = vec![("children[0].birth_name".to_owned(), "A".to_owned())];
        for i in 0..n {
            pairs.push(("children[0].motifs".into(), i.to_string()));
            pairs.push(("removed_children".into(), format!("{i}:1")));
        }
        pairs
    }

    fn scanned(n: usize) -> (u64, DossierForm) {
        SCANNED.with(|c| c.set(0));
        let (form, _) = DossierForm::parse(&post(n));
        (SCANNED.with(std::cell::Cell::get), form)
    }

    #[test]
    fn a_maximal_post_parses_in_linear_time() {
        // 80,000 values (about 1.9 MB) and twice as many: the work doubles, no more.
        let (small, form) = scanned(80_000);
        let (large, _) = scanned(160_000);
        assert!(small > 0);
        let ratio = large as f64 / small as f64;
        assert!(
            ratio < 2.1,
            "{small} then {large} comparisons: ratio {ratio:.2}"
        );
        assert_eq!(form.children[0].motifs.len(), MAX_MOTIFS_PER_CHILD);
        let over = |f: &str| form.over_limit.iter().find(|e| e.field == f).unwrap();
        assert_eq!(form.over_limit.len(), 2);
        assert!(over("children[0].motifs").message.contains("50 au plus"));
        assert!(over("removed_children").message.contains("30 au plus"));
    }
}
