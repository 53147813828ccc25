//! The rule that proposes known persons while a child's names and birth date are typed
//! (no duplicate children): (the family names match) and (the first names match), each by
//! the name search's rule ([`crate::search`]: so a child the search finds is proposed too),
//! and (birth dates within ±31 days, or the same year when one is approximate, or one is
//! unknown). Best first.

use crate::model::{BirthDate, Person};
use crate::search::{MatchKind, Names, Typed};

/// How well the words typed in one field match a candidate's names in that field: every
/// word by the search's rule ([`crate::search`]: joined or split, particles, one typo…),
/// or else at least one word alone (while typing, a family name of two words may match a
/// known child by one of them). 3 same spelling, 2 same sound, 1 a typo, 0 none.
fn field_match(typed: &str, candidate: &Names) -> u32 {
    let words = Typed::new(typed);
    let kind = words.matches(candidate).map(|m| m.kind).or_else(|| {
        words
            .required()
            .into_iter()
            .filter_map(|i| {
                Typed::new(&words.words()[i])
                    .matches(candidate)
                    .map(|m| m.kind)
            })
            .max()
    });
    match kind {
        Some(MatchKind::SameSpelling) => 3,
        Some(MatchKind::SameSound) => 2,
        Some(MatchKind::CloseSpelling) => 1,
        None => 0,
    }
}

fn family_names(p: &Person) -> Names {
    Names::of(&p.birth_name, p.usage_name.as_deref(), None)
}

/// Birth-date closeness: `None` when the rule excludes the pair, else a score.
fn birth_score(a: BirthDate, b: BirthDate) -> Option<u32> {
    use chrono::Datelike;
    match (a, b) {
        (BirthDate::Unknown, _) | (_, BirthDate::Unknown) => Some(0),
        (BirthDate::Exact(x), BirthDate::Exact(y))
        | (BirthDate::Expected(x), BirthDate::Expected(y))
        | (BirthDate::Exact(x), BirthDate::Expected(y))
        | (BirthDate::Expected(x), BirthDate::Exact(y)) => {
            let days = (x - y).num_days().abs();
            if days == 0 {
                Some(3)
            } else if days <= 31 {
                Some(2)
            } else {
                None
            }
        }
        (BirthDate::Approximate(x), other) | (other, BirthDate::Approximate(x)) => {
            let y = other.date()?;
            (x.year() == y.year()).then_some(1)
        }
    }
}

/// The score of a candidate for what is typed, or `None` when the rule excludes it.
pub fn score(typed: &Person, candidate: &Person) -> Option<u32> {
    let typed_family = format!(
        "{} {}",
        typed.birth_name,
        typed.usage_name.as_deref().unwrap_or_default()
    );
    let family = field_match(&typed_family, &family_names(candidate));
    let first = field_match(
        &typed.first_names,
        &Names::new(&[], &[&candidate.first_names]),
    );
    if family == 0 || first == 0 {
        return None;
    }
    Some(family * 20 + first * 15 + birth_score(typed.birth, candidate.birth)? * 5)
}

/// At most `limit` candidates that the rule keeps, best first (ties keep the given order).
pub fn best<'a, T>(
    typed: &Person,
    candidates: &'a [(T, Person)],
    limit: usize,
) -> Vec<(&'a T, u32)> {
    let mut v: Vec<(&T, u32)> = candidates
        .iter()
        .filter_map(|(id, p)| score(typed, p).map(|s| (id, s)))
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    v.truncate(limit);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sex;

    fn p(family: &str, usage: Option<&str>, first: &str, birth: BirthDate) -> Person {
        Person {
            birth_name: family.into(),
            usage_name: usage.map(Into::into),
            first_names: first.into(),
            sex: Sex::Unknown,
            birth,
        }
    }

    fn exact(s: &str) -> BirthDate {
        BirthDate::Exact(s.parse().unwrap())
    }

    #[test]
    fn names_and_dates_must_all_agree() {
        let known = p(
            "LEFÈVRE",
            Some("Dubois"),
            "Éloïse Marie",
            exact("2015-03-12"),
        );
        assert!(score(&p("Lefevre", None, "Eloise", exact("2015-03-12")), &known).is_some());
        assert!(
            score(&p("Lefebvre", None, "Héloïse", exact("2015-04-10")), &known).is_some(),
            "phonetic, 29 days"
        );
        assert!(
            score(&p("Dubois", None, "Marie", BirthDate::Unknown), &known).is_some(),
            "usage name, second first name"
        );
        assert!(
            score(&p("Lefevre", None, "Eloise", exact("2015-05-12")), &known).is_none(),
            "61 days apart"
        );
        assert!(
            score(&p("Martin", None, "Eloise", exact("2015-03-12")), &known).is_none(),
            "other family"
        );
        assert!(
            score(&p("Lefevre", None, "Chloé", exact("2015-03-12")), &known).is_none(),
            "other first name"
        );
        assert!(
            score(
                &p(
                    "Lefevre",
                    None,
                    "Eloise",
                    BirthDate::Approximate("2015-01-01".parse().unwrap())
                ),
                &known
            )
            .is_some()
        );
        assert!(
            score(
                &p(
                    "Lefevre",
                    None,
                    "Eloise",
                    BirthDate::Approximate("2014-01-01".parse().unwrap())
                ),
                &known
            )
            .is_none()
        );
    }

    #[test]
    fn the_search_rule_proposes_names_joined_split_or_with_a_typo() {
        let cases = [
            (
                p("N'Diaye", None, "Aminata", BirthDate::Unknown),
                "Ndiaye",
                "Aminata",
            ),
            (
                p("Delatour", None, "Charles", BirthDate::Unknown),
                "de La Tour",
                "Charles",
            ),
            (
                p("Martin", None, "Jean-Baptiste", BirthDate::Unknown),
                "Matrin",
                "Baptiste",
            ),
            (
                p("Ben Ali", None, "Yasmine", BirthDate::Unknown),
                "Benali",
                "Yasmine",
            ),
        ];
        for (known, family, first) in cases {
            let typed = p(family, None, first, BirthDate::Unknown);
            assert!(score(&typed, &known).is_some(), "{family} {first}");
        }
        let leo = p("Martin", None, "Léo", BirthDate::Unknown);
        assert!(score(&p("Martin", None, "Léa", BirthDate::Unknown), &leo).is_none());
    }

    #[test]
    fn best_first_and_at_most_the_limit() {
        let typed = p("Lefevre", None, "Eloise", exact("2015-03-12"));
        let cands: Vec<(i64, Person)> = vec![
            (1, p("Lefebvre", None, "Eloise", exact("2015-03-20"))),
            (2, p("Lefèvre", None, "Éloïse", exact("2015-03-12"))),
            (3, p("Lefèvre", None, "Éloïse", BirthDate::Unknown)),
            (4, p("Durand", None, "Éloïse", exact("2015-03-12"))),
        ];
        let ids: Vec<i64> = best(&typed, &cands, 10)
            .into_iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids, [2, 3, 1]);
        assert_eq!(best(&typed, &cands, 1).len(), 1);
    }
}
