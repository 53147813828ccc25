//! The generator: dossiers in chronological order over the ten years before `now`.
//!
//! Here the types (the dossier produced, the families kept for reuse, the generator's state),
//! small helpers and the iterator; the generator's methods live by concern in `time`
//! (reception calendar), `people`, `family`, `source` (motifs, status, source, exposé) and
//! `dossier` (one whole dossier).

mod dossier;
mod family;
mod people;
mod source;
mod time;

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::deadline::age_on;
use vigie_domain::{Address, Adult, BirthDate, DossierInput, Person};

use crate::catalog::{Catalog, Lieu, Tables};

/// Share of dossiers about a fratrie seen before.
const REUSE_RATE: f64 = 0.12;
/// How many past families are kept for reuse (bounds memory on big runs).
const POOL_CAP: usize = 8192;
/// Share of dossiers with an enfant à naître.
const EXPECTED_RATE: f64 = 0.022;

/// One generated dossier.
///
/// `person_refs[i]` is `Some(k)` when child `i` is a person that already appeared in an
/// earlier generated dossier: `k` is that person's index in generation order (see
/// `new_persons`), so the inserter maps it to the stored person id (the "ancien dossier").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDossier {
    /// The dossier to create; every `person_id` is `None`.
    pub input: DossierInput,
    /// Per child: `Some(k)` for a person first created in an earlier dossier.
    pub person_refs: Vec<Option<usize>>,
    /// Indexes `k` assigned to this dossier's new persons, in the order of the children
    /// whose `person_refs` is `None`.
    pub new_persons: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Mother,
    Father,
    Step,
}

/// A child of a family: the person and its real birth date (for ages, even when the
/// recorded date is approximate or unknown; the term for an enfant à naître).
#[derive(Debug, Clone)]
struct Kid {
    k: usize,
    person: Person,
    birth: NaiveDate,
}

impl Kid {
    fn unborn(&self) -> bool {
        matches!(self.person.birth, BirthDate::Expected(_))
    }

    /// Still a minor (or still unborn) on that date.
    fn eligible(&self, on: NaiveDate) -> bool {
        if self.unborn() {
            return self.birth > on;
        }
        let recorded = self.person.birth.date().unwrap_or(self.birth);
        self.birth <= on
            && recorded <= on
            && age_on(self.birth, on) < 18
            && age_on(recorded, on) < 18
    }
}

/// A fratrie and the adults around it, kept to be seen again.
#[derive(Debug, Clone)]
struct Family {
    adults: Vec<Adult>,
    roles: Vec<Role>,
    authority: Vec<bool>,
    kids: Vec<Kid>,
    last: DateTime<Utc>,
    commune: Option<usize>,
    territory: usize,
    address: Address,
    surname: String,
    csp_father: Option<i64>,
    csp_mother: Option<i64>,
    lieu: Lieu,
}

impl Family {
    fn adult(&self, r: Role) -> Option<usize> {
        self.roles.iter().position(|x| *x == r)
    }
}

/// The deterministic generator of demo dossiers.
pub struct Generator {
    rng: ChaCha8Rng,
    t: Tables,
    now: DateTime<Utc>,
    today: NaiveDate,
    count: usize,
    produced: usize,
    start: NaiveDate,
    n_days: u32,
    total_weight: f64,
    day: u32,
    cum: f64,
    day_times: Vec<DateTime<Utc>>,
    next_person: usize,
    pool: VecDeque<Family>,
}

fn pick<'a, R: Rng>(rng: &mut R, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn weighted<T: Copy, R: Rng>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut r = rng.random_range(0..total.max(1));
    for (v, w) in items {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d + Days::new(n as u64)
    } else {
        d - Days::new(n.unsigned_abs())
    }
}

/// French public holidays with a fixed date.
fn fixed_holiday(d: NaiveDate) -> bool {
    matches!(
        (d.month(), d.day()),
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    )
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

impl Generator {
    /// A generator of `count` dossiers received over the ten years before `now`.
    ///
    /// # Panics
    /// When the catalog has no territory, no dossier type or no channel.
    pub fn new(seed: u64, catalog: Catalog, now: DateTime<Utc>, count: usize) -> Self {
        let t = Tables::new(catalog);
        let today = now.date_naive();
        let last = today.pred_opt().unwrap_or(today);
        let start = today.checked_sub_months(Months::new(120)).unwrap_or(last);
        let n_days = u32::try_from((last - start).num_days() + 1)
            .unwrap_or(1)
            .max(1);
        let mut g = Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            t,
            now,
            today,
            count,
            produced: 0,
            start,
            n_days,
            total_weight: 0.0,
            day: 0,
            cum: 0.0,
            day_times: Vec::new(),
            next_person: 0,
            pool: VecDeque::new(),
        };
        let mut total = 0.0;
        for i in 0..n_days {
            total += g.day_weight(i);
        }
        g.total_weight = total;
        g
    }

    /// Dossiers in chronological order of reception (oldest first), spread over the 10 years before `now`.
    /// `None` after `count` dossiers.
    pub fn next_dossier(&mut self) -> Option<DemoDossier> {
        if self.produced >= self.count {
            return None;
        }
        let received_at = self.next_time();
        self.produced += 1;
        Some(self.dossier(received_at))
    }
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("now", &self.now)
            .field("count", &self.count)
            .field("produced", &self.produced)
            .field("persons", &self.next_person)
            .finish_non_exhaustive()
    }
}

impl Iterator for Generator {
    type Item = DemoDossier;

    fn next(&mut self) -> Option<DemoDossier> {
        self.next_dossier()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.count - self.produced;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Generator {}
