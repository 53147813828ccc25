//! The people: person numbers, phones, e-mails, names, addresses, and the children and
//! parents of a family.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use vigie_domain::deadline::age_on;
use vigie_domain::{Address, Adult, BirthDate, Person, Sex};

use crate::names::{
    BOYS, COMPLEMENTS, GIRLS, MEN, MNA_BOYS, MNA_GIRLS, STREETS, SURNAMES, WOMEN, email_part,
};

use super::{Family, Generator, Kid, add_days, pick};

impl Generator {
    pub(super) fn new_k(&mut self) -> usize {
        let k = self.next_person;
        self.next_person += 1;
        k
    }

    pub(super) fn phone(&mut self, mobile: bool) -> String {
        let (a, b) = (self.rng.random_range(0..100), self.rng.random_range(0..100));
        if mobile {
            format!("06 39 98 {a:02} {b:02}")
        } else {
            format!("02 61 91 {a:02} {b:02}")
        }
    }

    pub(super) fn email(&mut self, first: &str, last: &str, numbered: bool) -> String {
        let mut s = String::with_capacity(first.len() + last.len() + 16);
        email_part(&mut s, first);
        s.push('.');
        email_part(&mut s, last);
        if numbered && self.rng.random_bool(0.5) {
            let _ = write!(s, "{}", self.rng.random_range(1..100));
        }
        s.push_str("@example.org");
        s
    }

    pub(super) fn person_name(&mut self) -> String {
        let first = if self.rng.random_bool(0.75) {
            pick(&mut self.rng, WOMEN)
        } else {
            pick(&mut self.rng, MEN)
        };
        let last = pick(&mut self.rng, SURNAMES);
        format!("{first} {last}")
    }

    pub(super) fn commune_name(&self, f: &Family) -> &str {
        f.commune
            .map_or("Bourges", |i| self.t.communes[i].name.as_str())
    }

    pub(super) fn address(&mut self, commune: Option<usize>, street: bool) -> Address {
        let mut a = Address::default();
        if let Some(i) = commune {
            let c = &self.t.communes[i];
            a.postal_code = Some(c.postal_code.clone());
            a.commune_insee = Some(c.insee.clone());
            a.city = Some(c.name.clone());
        }
        if street {
            let s = pick(&mut self.rng, STREETS);
            if !s.starts_with("lieu-dit") && self.rng.random_bool(0.92) {
                let n = self.rng.random_range(1..=180);
                a.number = Some(match self.rng.random_range(0..20) {
                    0 => format!("{n} bis"),
                    1 => format!("{n} ter"),
                    _ => n.to_string(),
                });
            }
            a.street = Some(s.to_owned());
            if self.rng.random_bool(0.15) {
                a.complement = Some(pick(&mut self.rng, COMPLEMENTS).to_owned());
            }
        }
        a
    }

    /// A first name not yet used in the fratrie.
    pub(super) fn first_name(&mut self, sex: Sex, taken: &[Kid], mna: bool) -> &'static str {
        let list = match (sex, mna) {
            (Sex::Male, false) => BOYS,
            (Sex::Female, false) => GIRLS,
            (Sex::Male, true) => MNA_BOYS,
            (Sex::Female, true) => MNA_GIRLS,
            (Sex::Unknown, _) => {
                if self.rng.random_bool(0.5) {
                    BOYS
                } else {
                    GIRLS
                }
            }
        };
        let mut name = pick(&mut self.rng, list);
        for _ in 0..8 {
            if !taken.iter().any(|k| k.person.first_names == name) {
                break;
            }
            name = pick(&mut self.rng, list);
        }
        name
    }

    pub(super) fn sex(&mut self) -> Sex {
        match self.rng.random_range(0..1000) {
            0..505 => Sex::Male,
            505..990 => Sex::Female,
            _ => Sex::Unknown,
        }
    }

    /// A born child: exact birth date mostly, approximate (the year) ~5%, unknown ~3%.
    pub(super) fn kid(
        &mut self,
        surname: &str,
        birth: NaiveDate,
        on: NaiveDate,
        taken: &[Kid],
        mna: bool,
    ) -> Kid {
        let sex = if mna {
            if self.rng.random_bool(0.85) {
                Sex::Male
            } else {
                Sex::Female
            }
        } else {
            self.sex()
        };
        let first = self.first_name(sex, taken, mna);
        let r = self.rng.random_range(0..1000);
        let recorded = if r < (if mna { 450 } else { 50 }) {
            let mut d = NaiveDate::from_ymd_opt(birth.year(), 1, 1).unwrap_or(birth);
            if age_on(d, on) >= 18 {
                d = NaiveDate::from_ymd_opt(birth.year() + 1, 1, 1)
                    .unwrap_or(birth)
                    .min(on);
            }
            BirthDate::Approximate(d)
        } else if r < 80 {
            BirthDate::Unknown
        } else {
            BirthDate::Exact(birth)
        };
        let k = self.new_k();
        Kid {
            k,
            person: Person {
                birth_name: surname.to_owned(),
                usage_name: None,
                first_names: first.to_owned(),
                sex,
                birth: recorded,
            },
            birth,
        }
    }

    /// An enfant à naître, term a few months after reception.
    pub(super) fn unborn(&mut self, surname: &str, received: NaiveDate, taken: &[Kid]) -> Kid {
        let term = add_days(received, self.rng.random_range(20..=200));
        let (sex, first) = if self.rng.random_bool(0.3) {
            let sex = if self.rng.random_bool(0.5) {
                Sex::Male
            } else {
                Sex::Female
            };
            (sex, self.first_name(sex, taken, false))
        } else {
            (Sex::Unknown, "")
        };
        let k = self.new_k();
        Kid {
            k,
            person: Person {
                birth_name: surname.to_owned(),
                usage_name: None,
                first_names: first.to_owned(),
                sex,
                birth: BirthDate::Expected(term),
            },
            birth: term,
        }
    }

    pub(super) fn parent(
        &mut self,
        woman: bool,
        birth_name: &str,
        usage_name: Option<&str>,
        address: &Address,
    ) -> Adult {
        let first = if woman {
            pick(&mut self.rng, WOMEN)
        } else {
            pick(&mut self.rng, MEN)
        };
        let first_known = woman || self.rng.random_bool(0.96);
        let phone = self.rng.random_bool(0.75).then(|| self.phone(true));
        let email = self
            .rng
            .random_bool(0.25)
            .then(|| self.email(first, usage_name.unwrap_or(birth_name), true));
        Adult {
            civility_id: if woman {
                self.t.civility_woman
            } else {
                self.t.civility_man
            },
            birth_name: birth_name.to_owned(),
            usage_name: usage_name.map(str::to_owned),
            first_names: first_known.then(|| first.to_owned()),
            address: address.clone(),
            phone,
            email,
        }
    }

    pub(super) fn csp(&mut self, present: bool) -> Option<i64> {
        if present && self.rng.random_bool(0.85) {
            self.t.csp_active.pick(&mut self.rng).or(self.t.csp_unknown)
        } else if self.rng.random_bool(0.6) {
            self.t.csp_unknown
        } else {
            None
        }
    }
}
