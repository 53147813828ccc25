//! The rule that proposes known persons while a child's names and birth date are typed
//! (no duplicate children): (a family name matches, normalised or phonetically) and
//! (a first name matches, normalised or phonetically) and (birth dates within ±31 days,
//! or the same year when one is approximate, or one is unknown). Best first.

use crate::model::{BirthDate, Person};
use crate::names::{phonetic, tokens};

/// How well two word lists match: 2 a normalised word in common, 1 a phonetic one, 0 none.
fn words_match(a: &[String], b: &[String]) -> u32 {
    if a.iter().any(|w| b.contains(w)) {
        return 2;
    }
    let pb: Vec<String> = b
        .iter()
        .map(|w| phonetic(w))
        .filter(|p| !p.is_empty())
        .collect();
    if a.iter()
        .map(|w| phonetic(w))
        .any(|p| !p.is_empty() && pb.contains(&p))
    {
        1
    } else {
        0
    }
}

fn family_words(p: &Person) -> Vec<String> {
    let mut w = tokens(&p.birth_name);
    if let Some(u) = &p.usage_name {
        w.extend(tokens(u));
    }
    w
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
    let family = words_match(&family_words(typed), &family_words(candidate));
    let first = words_match(&tokens(&typed.first_names), &tokens(&candidate.first_names));
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
