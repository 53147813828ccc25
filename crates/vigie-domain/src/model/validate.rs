//! Validation of a dossier input: the whole input, part by part (header, source, adults,
//! children, assignments, follow-ups), every problem reported at once in that order; and the
//! age rule at reception.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Adult, AssignmentInput, BirthDate, ChildInput, Conclusion, DossierInput, FollowUp, Person,
    Source,
};
use crate::error::{DomainError, Errors};
use crate::labels as L;
use crate::text::{TextKind, check};

impl DossierInput {
    /// Validates the whole input; every problem is reported at once, each naming its field in French.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        let mut e = Errors::default();
        // Beyond the limits, nothing else is checked: the work stays bounded.
        super::limits::check(self, &mut e);
        if !e.is_empty() {
            return e.into_result();
        }
        self.header.check(&mut e, now);
        let received = self.header.received_at.date_naive();
        check_source(&mut e, &self.source);
        for (i, a) in self.adults.iter().enumerate() {
            check_adult(&mut e, i, a);
        }
        if self.children.is_empty() {
            e.push(
                "children",
                L::CHILDREN,
                "un dossier concerne au moins un enfant.",
            );
        }
        let n_adults = self.adults.len() as i64;
        for (i, c) in self.children.iter().enumerate() {
            check_child(&mut e, i, c, n_adults, received);
        }
        for (i, a) in self.assignments.iter().enumerate() {
            check_assignment(&mut e, i, a);
        }
        check_follow_ups(&mut e, &self.follow_ups);
        e.into_result()
    }
}

/// The source's texts and address.
fn check_source(e: &mut Errors, s: &Source) {
    check(
        e,
        "source.name",
        L::SOURCE_NAME,
        TextKind::Short,
        s.name.as_deref(),
    );
    check(
        e,
        "source.organisation",
        L::SOURCE_ORGANISATION,
        TextKind::Short,
        s.organisation.as_deref(),
    );
    check(
        e,
        "source.email",
        L::SOURCE_EMAIL,
        TextKind::Short,
        s.email.as_deref(),
    );
    check(
        e,
        "source.phone",
        L::SOURCE_PHONE,
        TextKind::Short,
        s.phone.as_deref(),
    );
    s.address.check(e, "source.address");
}

/// The `i`-th adult: a birth name, short texts, the address.
fn check_adult(e: &mut Errors, i: usize, a: &Adult) {
    let f = format!("adults[{i}]");
    if a.birth_name.trim().is_empty() {
        e.push(
            format!("{f}.birth_name"),
            L::ADULT_BIRTH_NAME,
            "obligatoire.",
        );
    }
    check(
        e,
        &format!("{f}.birth_name"),
        L::ADULT_BIRTH_NAME,
        TextKind::Short,
        Some(&a.birth_name),
    );
    check(
        e,
        &format!("{f}.usage_name"),
        L::ADULT_USAGE_NAME,
        TextKind::Short,
        a.usage_name.as_deref(),
    );
    check(
        e,
        &format!("{f}.first_names"),
        L::ADULT_FIRST_NAMES,
        TextKind::Short,
        a.first_names.as_deref(),
    );
    check(
        e,
        &format!("{f}.phone"),
        L::ADULT_PHONE,
        TextKind::Short,
        a.phone.as_deref(),
    );
    check(
        e,
        &format!("{f}.email"),
        L::ADULT_EMAIL,
        TextKind::Short,
        a.email.as_deref(),
    );
    a.address.check(e, &format!("{f}.address"));
}

/// The `i`-th child: the person, address and comment, the links to adults and authors, the
/// conclusion.
fn check_child(e: &mut Errors, i: usize, c: &ChildInput, n_adults: i64, received: NaiveDate) {
    let f = format!("children[{i}]");
    check_person(e, &f, &c.person, received);
    c.address.check(e, &format!("{f}.address"));
    check(
        e,
        &format!("{f}.comment"),
        L::COMMENT,
        TextKind::Comment,
        c.comment.as_deref(),
    );
    check_links(e, &f, c, n_adults);
    if let Some(conc) = &c.conclusion {
        check_conclusion(e, &f, conc, received);
    }
}

/// A child's person (field prefix `f`): names (first names optional for an enfant à naître),
/// a birth date not after the reception.
fn check_person(e: &mut Errors, f: &str, p: &Person, received: NaiveDate) {
    if p.birth_name.trim().is_empty() {
        e.push(
            format!("{f}.birth_name"),
            L::BIRTH_NAME,
            "obligatoire (« INCONNU » si le nom n'est pas connu).",
        );
    }
    if p.first_names.trim().is_empty() && !matches!(p.birth, BirthDate::Expected(_)) {
        e.push(
            format!("{f}.first_names"),
            L::FIRST_NAMES,
            "obligatoire, sauf pour un enfant à naître.",
        );
    }
    check(
        e,
        &format!("{f}.birth_name"),
        L::BIRTH_NAME,
        TextKind::Short,
        Some(&p.birth_name),
    );
    check(
        e,
        &format!("{f}.usage_name"),
        L::USAGE_NAME,
        TextKind::Short,
        p.usage_name.as_deref(),
    );
    check(
        e,
        &format!("{f}.first_names"),
        L::FIRST_NAMES,
        TextKind::Short,
        Some(&p.first_names),
    );
    match p.birth {
        BirthDate::Exact(d) | BirthDate::Approximate(d) if d > received => {
            e.push(
                format!("{f}.birth_date"),
                L::BIRTH_DATE,
                "postérieure à la réception de l'information.",
            );
        }
        _ => {}
    }
}

/// A child's links (field prefix `f`): each linked adult and each author is an adult of the
/// dossier (or, for an author, a named third party).
fn check_links(e: &mut Errors, f: &str, c: &ChildInput, n_adults: i64) {
    for l in &c.adults {
        if l.adult < 0 || l.adult >= n_adults {
            e.push(
                format!("{f}.adults"),
                L::CHILD_ADULTS,
                "le parent lié n'existe pas dans ce dossier.",
            );
        }
    }
    for a in &c.authors {
        match (&a.adult, &a.third_party_name) {
            (Some(ix), None) if *ix >= 0 && *ix < n_adults => {}
            (None, Some(name)) if !name.trim().is_empty() => {
                check(
                    e,
                    &format!("{f}.authors"),
                    L::AUTHOR,
                    TextKind::Short,
                    Some(name),
                );
            }
            _ => e.push(
                format!("{f}.authors"),
                L::AUTHOR,
                "un parent du dossier ou un tiers nommé, l'un ou l'autre.",
            ),
        }
    }
}

/// A child's conclusion (field prefix `f`): its comment, a date not before the reception.
fn check_conclusion(e: &mut Errors, f: &str, conc: &Conclusion, received: NaiveDate) {
    check(
        e,
        &format!("{f}.conclusion.comment"),
        L::CONCLUSION_COMMENT,
        TextKind::Comment,
        conc.comment.as_deref(),
    );
    if conc.on < received {
        e.push(
            format!("{f}.conclusion.on"),
            L::CONCLUSION_ON,
            "antérieure à la réception de l'information.",
        );
    }
}

/// The `i`-th assignment: dates in order, evaluators' names, comment.
fn check_assignment(e: &mut Errors, i: usize, a: &AssignmentInput) {
    let f = format!("assignments[{i}]");
    if a.due_on < a.asked_on {
        e.push(
            format!("{f}.due_on"),
            L::DUE_ON,
            "antérieure à la date de demande.",
        );
    }
    if let Some(r) = a.returned_on
        && r < a.asked_on
    {
        e.push(
            format!("{f}.returned_on"),
            L::RETURNED_ON,
            "antérieure à la date de demande.",
        );
    }
    for ev in &a.evaluators {
        check(
            e,
            &format!("{f}.evaluators"),
            L::EVALUATORS,
            TextKind::Short,
            Some(ev),
        );
    }
    check(
        e,
        &format!("{f}.comment"),
        L::COMMENT,
        TextKind::Comment,
        a.comment.as_deref(),
    );
}

/// The follow-ups' reasons for not doing.
fn check_follow_ups(e: &mut Errors, follow_ups: &[FollowUp]) {
    for fu in follow_ups {
        check(
            e,
            &format!("follow_ups.{}", fu.kind.code()),
            fu.kind.label(),
            TextKind::Comment,
            fu.not_done_reason.as_deref(),
        );
    }
}

impl DossierInput {
    /// The age rule at reception: a child aged 18 to 20 is a *jeune majeur* and needs the
    /// agent's confirmation (index listed in `confirmed`); 21 or more is refused.
    pub fn check_ages(&self, confirmed: &[usize]) -> Result<(), DomainError> {
        let mut e = Errors::default();
        let received = self.header.received_at.date_naive();
        for (i, c) in self.children.iter().enumerate() {
            let birth = match c.person.birth {
                BirthDate::Exact(d) | BirthDate::Approximate(d) => d,
                _ => continue,
            };
            let age = crate::deadline::age_on(birth, received);
            if age >= 21 {
                e.push(
                    format!("children[{i}].birth_date"),
                    L::BIRTH_DATE,
                    format!("{age} ans à la réception : la protection de l'enfance s'arrête à 21 ans (jeunes majeurs)."),
                );
            } else if age >= 18 && !confirmed.contains(&i) {
                e.push(
                    format!("children[{i}].birth_date"),
                    L::BIRTH_DATE,
                    format!("{age} ans à la réception : confirmez qu'il s'agit d'un jeune majeur (jusqu'à 21 ans) en cochant « Jeune majeur confirmé »."),
                );
            }
        }
        e.into_result()
    }
}
