//! The generator: dossiers in chronological order over the ten years before `now`.

use std::collections::VecDeque;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::deadline::{age_on, evaluation_due};
use vigie_domain::{
    Address, Adult, AdultLink, AssignmentInput, Author, BirthDate, ChildInput, Conclusion,
    DossierInput, DossierStatus, FollowUp, FollowUpKind, Header, Person, Sex, Source,
    SourceConfidentiality,
};

use crate::catalog::{Catalog, Eval, Lieu, MotifKind, SourceKind, Tables};
use crate::names::{
    BOYS, COMPLEMENTS, EVALUATOR_TITLES, GIRLS, MEN, MNA_BOYS, MNA_GIRLS, MNA_SURNAMES,
    SCHOOL_NAMES, STREETS, SURNAMES, WOMEN, email_part,
};
use crate::text::{self, CHILD_COMMENTS, CONCLUSION_COMMENTS, NOT_DONE_PARENTS, TextCtx};

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

    fn date_of(&self, day: u32) -> NaiveDate {
        self.start + Days::new(u64::from(day))
    }

    /// Relative number of IPs received on a day: few on week-ends and holidays, fewer
    /// in August, a slow rise over the years.
    fn day_weight(&self, day: u32) -> f64 {
        let d = self.date_of(day);
        let base = match d.weekday() {
            Weekday::Sat => 0.15,
            Weekday::Sun => 0.08,
            _ if fixed_holiday(d) => 0.1,
            _ => 1.0,
        };
        let season = if d.month() == 8 { 0.75 } else { 1.0 };
        base * season * (0.75 + 0.5 * f64::from(day) / f64::from(self.n_days))
    }

    /// The reception time of the next dossier: dossier `i` falls on the day where the
    /// cumulative day weight reaches `(i + ½) / count` of the total; times within a day are sorted.
    fn next_time(&mut self) -> DateTime<Utc> {
        if let Some(t) = self.day_times.pop() {
            return t;
        }
        loop {
            let end = self.cum + self.day_weight(self.day);
            let last_day = self.day + 1 >= self.n_days;
            let mut n = 0;
            while self.produced + n < self.count {
                let target = (self.produced + n) as f64 + 0.5;
                if !last_day && target / self.count as f64 * self.total_weight >= end {
                    break;
                }
                n += 1;
            }
            let d = self.date_of(self.day);
            self.cum = end;
            if !last_day {
                self.day += 1;
            }
            if n > 0 {
                for _ in 0..n {
                    let t = self.time_on(d);
                    self.day_times.push(t);
                }
                self.day_times.sort_unstable_by(|a, b| b.cmp(a));
                if let Some(t) = self.day_times.pop() {
                    return t;
                }
            }
        }
    }

    /// A time on a day: mostly working hours (08:30–18:00 in France) on working days.
    fn time_on(&mut self, d: NaiveDate) -> DateTime<Utc> {
        let working = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !fixed_holiday(d);
        let minute = if working && self.rng.random_bool(0.9) {
            450 + self.rng.random_range(0..570)
        } else {
            self.rng.random_range(0..1440)
        };
        let second = self.rng.random_range(0..60);
        let t = d
            .and_hms_opt(minute / 60, minute % 60, second)
            .unwrap_or_default()
            .and_utc();
        t.min(self.now - TimeDelta::seconds(1))
    }

    /// A timestamp on a date (working hours), never before `floor` nor after `now`.
    fn stamp(&mut self, d: NaiveDate, floor: DateTime<Utc>) -> DateTime<Utc> {
        let minute = 480 + self.rng.random_range(0..540);
        let t = d
            .and_hms_opt(minute / 60, minute % 60, 0)
            .unwrap_or_default()
            .and_utc();
        t.min(self.now - TimeDelta::minutes(1)).max(floor)
    }

    fn new_k(&mut self) -> usize {
        let k = self.next_person;
        self.next_person += 1;
        k
    }

    fn phone(&mut self, mobile: bool) -> String {
        let (a, b) = (self.rng.random_range(0..100), self.rng.random_range(0..100));
        if mobile {
            format!("06 39 98 {a:02} {b:02}")
        } else {
            format!("02 61 91 {a:02} {b:02}")
        }
    }

    fn email(&mut self, first: &str, last: &str, numbered: bool) -> String {
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

    fn person_name(&mut self) -> String {
        let first = if self.rng.random_bool(0.75) {
            pick(&mut self.rng, WOMEN)
        } else {
            pick(&mut self.rng, MEN)
        };
        let last = pick(&mut self.rng, SURNAMES);
        format!("{first} {last}")
    }

    fn commune_name(&self, f: &Family) -> &str {
        f.commune
            .map_or("Bourges", |i| self.t.communes[i].name.as_str())
    }

    fn address(&mut self, commune: Option<usize>, street: bool) -> Address {
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
    fn first_name(&mut self, sex: Sex, taken: &[Kid], mna: bool) -> &'static str {
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

    fn sex(&mut self) -> Sex {
        match self.rng.random_range(0..1000) {
            0..505 => Sex::Male,
            505..990 => Sex::Female,
            _ => Sex::Unknown,
        }
    }

    /// A born child: exact birth date mostly, approximate (the year) ~5%, unknown ~3%.
    fn kid(
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
    fn unborn(&mut self, surname: &str, received: NaiveDate, taken: &[Kid]) -> Kid {
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

    fn parent(
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

    fn csp(&mut self, present: bool) -> Option<i64> {
        if present && self.rng.random_bool(0.85) {
            self.t.csp_active.pick(&mut self.rng).or(self.t.csp_unknown)
        } else if self.rng.random_bool(0.6) {
            self.t.csp_unknown
        } else {
            None
        }
    }

    /// A new family: a fratrie of 1–6 children (mostly 1–3) with coherent ages, its parents and home.
    fn new_family(&mut self, received_at: DateTime<Utc>, primary: MotifKind) -> Family {
        let received = received_at.date_naive();
        let mna = primary == MotifKind::Mna;
        let commune = self.t.commune_weights.pick(&mut self.rng);
        let territory = match commune {
            Some(i) => (fnv(&self.t.communes[i].insee) % self.t.territories.len() as u64) as usize,
            None => self.rng.random_range(0..self.t.territories.len()),
        };
        let address = self.address(commune, !mna);
        let limit = received
            .checked_sub_months(Months::new(216))
            .unwrap_or(received)
            + Days::new(1);
        let span = (received - limit).num_days().max(1);

        if mna {
            let surname = pick(&mut self.rng, MNA_SURNAMES);
            let birth = add_days(received, -self.rng.random_range(14 * 365 + 4..=span));
            let kid = self.kid(surname, birth, received, &[], true);
            let lieu = if self.rng.random_bool(0.5) {
                Lieu::Homeless
            } else {
                Lieu::Institution
            };
            return Family {
                adults: Vec::new(),
                roles: Vec::new(),
                authority: Vec::new(),
                kids: vec![kid],
                last: received_at,
                commune,
                territory,
                address,
                surname: surname.to_owned(),
                csp_father: None,
                csp_mother: None,
                lieu,
            };
        }

        // Who is around the fratrie.
        let (mother, father, step) = match self.rng.random_range(0..100) {
            0..55 => (true, true, false),
            55..85 => (true, false, false),
            85..92 => (false, true, false),
            _ => (true, false, true),
        };
        let mother_name = pick(&mut self.rng, SURNAMES);
        let father_name = pick(&mut self.rng, SURNAMES);
        let surname: String = if father {
            match self.rng.random_range(0..100) {
                0..80 => father_name.to_owned(),
                80..85 if father_name != mother_name => format!("{father_name} {mother_name}"),
                _ => mother_name.to_owned(),
            }
        } else if self.rng.random_bool(0.55) {
            mother_name.to_owned()
        } else {
            father_name.to_owned()
        };
        let mut adults = Vec::with_capacity(2);
        let mut roles = Vec::with_capacity(2);
        let mut authority = Vec::with_capacity(2);
        if mother {
            let usage = if father && self.rng.random_bool(0.45) && father_name != mother_name {
                Some(father_name)
            } else {
                None
            };
            adults.push(self.parent(true, mother_name, usage, &address));
            roles.push(Role::Mother);
            authority.push(self.rng.random_bool(0.97));
        }
        if father {
            adults.push(self.parent(false, father_name, None, &address));
            roles.push(Role::Father);
            authority.push(self.rng.random_bool(0.92));
        }
        if step {
            let step_name = pick(&mut self.rng, SURNAMES);
            adults.push(self.parent(false, step_name, None, &address));
            roles.push(Role::Step);
            authority.push(false);
        }

        // The children: gaps between births, then the youngest's age.
        let with_unborn = mother && self.rng.random_bool(EXPECTED_RATE);
        let mut n: usize = if with_unborn && self.rng.random_bool(0.4) {
            0
        } else {
            weighted(
                &mut self.rng,
                &[(1, 480), (2, 270), (3, 140), (4, 60), (5, 30), (6, 20)],
            )
        };
        let mut gaps = [0i64; 6];
        let mut total = 0;
        for g in gaps.iter_mut().take(n.saturating_sub(1)) {
            *g = if self.rng.random_bool(0.03) {
                0
            } else {
                self.rng.random_range(274..=2000)
            };
            total += *g;
        }
        let min_young = if with_unborn { 120 } else { 0 };
        while n > 1 && total + min_young > span - 1 {
            n -= 1;
            total -= gaps[n - 1];
        }
        let youngest = self
            .rng
            .random_range(min_young..=(span - 1 - total).max(min_young));
        let mut birth = add_days(received, -(youngest + total));
        let mut kids: Vec<Kid> = Vec::with_capacity(n + 1);
        for gap in &gaps[..n] {
            let kid = self.kid(&surname, birth, received, &kids, false);
            kids.push(kid);
            birth = add_days(birth, *gap);
        }
        if with_unborn {
            let kid = self.unborn(&surname, received, &kids);
            kids.push(kid);
        }
        if self.rng.random_bool(0.02)
            && let Some(k) = kids.first_mut()
            && k.person.birth_name != mother_name
        {
            k.person.usage_name = Some(mother_name.to_owned());
        }

        let csp_father = self.csp(father);
        let csp_mother = self.csp(mother);
        let lieu = match self.rng.random_range(0..100) {
            0..4 => Lieu::Alternate,
            4..8 => Lieu::ThirdParty,
            8..10 => Lieu::FosterFamily,
            10..12 => Lieu::Institution,
            12..17 => Lieu::Unknown,
            _ if mother && father => Lieu::BothParents,
            _ if mother => Lieu::Mother,
            _ => Lieu::Father,
        };
        Family {
            adults,
            roles,
            authority,
            kids,
            last: received_at,
            commune,
            territory,
            address,
            surname,
            csp_father,
            csp_mother,
            lieu,
        }
    }

    /// Takes an earlier family that can be seen again at this date, updated: its children
    /// still minor (or still unborn), a baby born since, perhaps a new sibling.
    fn reuse(&mut self, received_at: DateTime<Utc>) -> Option<(usize, Family, usize)> {
        let received = received_at.date_naive();
        for _ in 0..6 {
            let len = self.pool.len();
            if len == 0 {
                return None;
            }
            let u: f64 = self.rng.random();
            let idx = len - 1 - ((u * u * len as f64) as usize).min(len - 1);
            let f = &self.pool[idx];
            if f.last + TimeDelta::days(45) > received_at
                || !f.kids.iter().any(|k| k.eligible(received) || k.unborn())
            {
                continue;
            }
            let mut fam = f.clone();
            fam.kids
                .retain(|k| k.eligible(received) || (k.unborn() && k.birth <= received));
            let mut born = 0;
            for i in 0..fam.kids.len() {
                if fam.kids[i].unborn() && fam.kids[i].birth <= received {
                    // The enfant à naître was born: a new person, with a name now.
                    let birth = fam.kids[i].birth;
                    let surname = fam.kids[i].person.birth_name.clone();
                    fam.kids[i] = self.kid(&surname, birth, received, &fam.kids, false);
                    fam.kids[i].person.birth = BirthDate::Exact(birth);
                    born += 1;
                }
            }
            if fam.kids.is_empty() {
                continue;
            }
            // A new sibling born since the last dossier.
            let youngest = fam
                .kids
                .iter()
                .filter(|k| !k.unborn())
                .map(|k| k.birth)
                .max();
            if fam.adult(Role::Mother).is_some()
                && fam.kids.len() < 6
                && !fam.kids.iter().any(Kid::unborn)
                && let Some(y) = youngest
                && self.rng.random_bool(0.25)
            {
                let from = (y + Days::new(274)).max(fam.last.date_naive() + Days::new(1));
                let to = received.pred_opt().unwrap_or(received);
                if from <= to {
                    let birth = add_days(from, self.rng.random_range(0..=(to - from).num_days()));
                    let surname = fam.surname.clone();
                    let kid = self.kid(&surname, birth, received, &fam.kids, false);
                    fam.kids.push(kid);
                    born += 1;
                }
            }
            return Some((idx, fam, born));
        }
        None
    }

    fn link(&self, r: Role) -> Option<i64> {
        match r {
            Role::Mother => self.t.link_mother,
            Role::Father => self.t.link_father,
            Role::Step => self.t.link_step,
        }
    }

    /// The alleged authors for the fratrie, from the main motif.
    fn authors(&mut self, f: &Family, primary: MotifKind) -> Vec<Author> {
        let p_any = match primary {
            MotifKind::Behaviour => 0.1,
            MotifKind::Mna => 0.0,
            MotifKind::Other => 0.2,
            MotifKind::Conflict => 0.5,
            _ => 0.65,
        };
        if !self.rng.random_bool(p_any) {
            return Vec::new();
        }
        let mother = f.adult(Role::Mother);
        let man = f.adult(Role::Step).or(f.adult(Role::Father));
        let mut out = Vec::new();
        let adult = |g: &Self, i: usize| {
            g.link(f.roles[i]).map(|link_id| Author {
                adult: Some(i as i64),
                third_party_name: None,
                link_id,
            })
        };
        let third = |g: &mut Self, family: bool| {
            let link = if family {
                g.t.link_family.or(g.t.link_third)
            } else {
                g.t.link_third
            };
            let name = g.person_name_man();
            link.map(|link_id| Author {
                adult: None,
                third_party_name: Some(name),
                link_id,
            })
        };
        match primary {
            MotifKind::Conjugal | MotifKind::Physical | MotifKind::Psychological => {
                let prefer_man = primary == MotifKind::Conjugal || self.rng.random_bool(0.7);
                if let Some(i) = if prefer_man {
                    man.or(mother)
                } else {
                    mother.or(man)
                } {
                    out.extend(adult(self, i));
                }
            }
            MotifKind::Sexual => {
                if let Some(i) = man.filter(|_| self.rng.random_bool(0.4)) {
                    out.extend(adult(self, i));
                } else {
                    let family = self.rng.random_bool(0.5);
                    out.extend(third(self, family));
                }
            }
            MotifKind::Prostitution => out.extend(third(self, false)),
            MotifKind::Neglect | MotifKind::Education | MotifKind::Conflict => {
                let both = primary == MotifKind::Conflict || self.rng.random_bool(0.5);
                if let Some(i) = mother {
                    out.extend(adult(self, i));
                }
                if let Some(i) = f.adult(Role::Father).filter(|_| both || mother.is_none()) {
                    out.extend(adult(self, i));
                }
            }
            _ => {
                if let Some(i) = mother.or(man) {
                    out.extend(adult(self, i));
                }
            }
        }
        out
    }

    fn person_name_man(&mut self) -> String {
        let first = pick(&mut self.rng, MEN);
        let last = pick(&mut self.rng, SURNAMES);
        format!("{first} {last}")
    }

    /// 1–3 motifs for a child: mostly the fratrie's main one, sometimes others.
    fn motifs(&mut self, primary: MotifKind, first: bool) -> (Vec<i64>, bool) {
        let mut kinds = [primary; 3];
        let mut n = 0;
        if first || self.rng.random_bool(0.9) {
            n = 1;
        }
        let extra = weighted(&mut self.rng, &[(0usize, 55), (1, 32), (2, 13)]);
        for _ in 0..extra {
            for _ in 0..4 {
                if let Some(k) = self.t.secondary_motifs.pick(&mut self.rng)
                    && k != primary
                    && !kinds[..n].contains(&k)
                {
                    kinds[n] = k;
                    n += 1;
                    break;
                }
            }
        }
        if n == 0 {
            n = 1;
        }
        let mut ids = Vec::with_capacity(n);
        let mut conjugal = false;
        for &k in &kinds[..n] {
            conjugal |= k == MotifKind::Conjugal;
            if let Some(id) = self.t.motif(k, &mut self.rng)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        (ids, conjugal)
    }

    fn status(&mut self, received: NaiveDate) -> DossierStatus {
        use DossierStatus::*;
        let age = (self.today - received).num_days();
        let table: &[(DossierStatus, u32)] = match age {
            ..3 => &[(Recue, 75), (Qualifiee, 25)],
            3..30 => &[(Recue, 30), (Qualifiee, 35), (EnEvaluation, 35)],
            30..90 => &[(Qualifiee, 10), (EnEvaluation, 75), (Conclue, 15)],
            90..180 => &[(EnEvaluation, 45), (Conclue, 55)],
            180..365 => &[(EnEvaluation, 8), (Conclue, 52), (Cloturee, 40)],
            _ => &[(Conclue, 12), (Cloturee, 88)],
        };
        weighted(&mut self.rng, table)
    }

    fn source(&mut self, kind: SourceKind, f: &Family) -> Source {
        let category_id = self.t.category(kind).or(self.t.category(SourceKind::Other));
        let r = self.rng.random_range(0..100);
        let confidentiality = match kind {
            SourceKind::Anonymous => SourceConfidentiality::Anonymous,
            SourceKind::Family | SourceKind::Neighbour if r < 30 => {
                SourceConfidentiality::Anonymous
            }
            SourceKind::Family | SourceKind::Neighbour if r < 75 => {
                SourceConfidentiality::Confidential
            }
            SourceKind::Minor if r < 60 => SourceConfidentiality::Confidential,
            SourceKind::Other if r < 10 => SourceConfidentiality::Anonymous,
            SourceKind::Other if r < 20 => SourceConfidentiality::Confidential,
            SourceKind::School
            | SourceKind::Health
            | SourceKind::Police
            | SourceKind::Social
            | SourceKind::Association
                if r < 11 =>
            {
                SourceConfidentiality::Confidential
            }
            _ => SourceConfidentiality::Known,
        };
        if confidentiality == SourceConfidentiality::Anonymous {
            return Source::anonymous(category_id);
        }
        let commune = self.commune_name(f).to_owned();
        let mut s = Source::anonymous(category_id);
        s.confidentiality = confidentiality;
        if kind == SourceKind::Snated {
            s.organisation = Some(
                "Service national d'accueil téléphonique de l'enfance en danger (119)".to_owned(),
            );
            return s;
        }
        let woman = self.rng.random_bool(if kind == SourceKind::Police {
            0.35
        } else {
            0.75
        });
        let first = if woman {
            pick(&mut self.rng, WOMEN)
        } else {
            pick(&mut self.rng, MEN)
        };
        let last = match kind {
            SourceKind::Family if self.rng.random_bool(0.5) => f
                .adults
                .first()
                .map_or(f.surname.as_str(), |a| a.birth_name.as_str())
                .to_owned(),
            SourceKind::Minor => f
                .kids
                .first()
                .map_or(f.surname.clone(), |k| k.person.birth_name.clone()),
            _ => pick(&mut self.rng, SURNAMES).to_owned(),
        };
        let first = match kind {
            SourceKind::Minor => f
                .kids
                .first()
                .map_or(first, |k| {
                    if k.person.first_names.is_empty() {
                        first
                    } else {
                        k.person.first_names.as_str()
                    }
                })
                .to_owned(),
            _ => first.to_owned(),
        };
        let school = pick(&mut self.rng, SCHOOL_NAMES);
        s.organisation = match kind {
            SourceKind::School => Some(match self.rng.random_range(0..3) {
                0 => format!("École élémentaire {school}, {commune}"),
                1 => format!("Collège {school}, {commune}"),
                _ => format!("École maternelle {school}, {commune}"),
            }),
            SourceKind::Health => Some(
                match self.rng.random_range(0..4) {
                    0 => "Service de pédiatrie, centre hospitalier",
                    1 => "Centre médico-psychologique infanto-juvénile",
                    2 => "Protection maternelle et infantile",
                    _ => "Cabinet médical",
                }
                .to_owned()
                    + ", "
                    + &commune,
            ),
            SourceKind::Police => Some(if self.rng.random_bool(0.4) {
                format!("Commissariat de police, {commune}")
            } else {
                format!("Brigade de gendarmerie, {commune}")
            }),
            SourceKind::Social => Some(match self.rng.random_range(0..3) {
                0 => format!("CCAS de {commune}"),
                1 => "Service social de la CAF".to_owned(),
                _ => "Service social départemental".to_owned(),
            }),
            SourceKind::Association => Some(
                pick(
                    &mut self.rng,
                    &[
                        "Association d'aide aux victimes",
                        "Centre d'hébergement et de réinsertion sociale",
                        "Association de prévention spécialisée",
                    ],
                )
                .to_owned(),
            ),
            SourceKind::Other if self.rng.random_bool(0.5) => {
                Some(format!("Club sportif de {commune}"))
            }
            _ => None,
        };
        let professional = kind.is_professional();
        if professional || self.rng.random_bool(0.7) {
            let mobile = !professional || self.rng.random_bool(0.3);
            s.phone = Some(self.phone(mobile));
        }
        s.email = ((professional && self.rng.random_bool(0.7)) || self.rng.random_bool(0.1))
            .then(|| self.email(&first, &last, !professional));
        if professional && self.rng.random_bool(0.4) {
            s.address = self.address(f.commune, true);
        }
        s.name = Some(format!("{first} {last}"));
        s
    }

    /// Builds the text of the children for the exposé.
    fn children_text(out: &mut String, f: &Family, received: NaiveDate) {
        let n = f.kids.len();
        for (i, k) in f.kids.iter().enumerate() {
            if i > 0 {
                out.push_str(if i + 1 == n { " et " } else { ", " });
            }
            let p = &k.person;
            match p.birth {
                BirthDate::Expected(d) => {
                    let _ = write!(
                        out,
                        "l'enfant à naître (terme prévu en {} {})",
                        MONTHS[d.month0() as usize],
                        d.year()
                    );
                }
                BirthDate::Unknown => {
                    let _ = write!(out, "{} {}", p.first_names, p.birth_name);
                }
                BirthDate::Exact(d) | BirthDate::Approximate(d) => {
                    let years = age_on(d, received);
                    if years >= 2 {
                        let _ = write!(out, "{} {} ({years} ans)", p.first_names, p.birth_name);
                    } else {
                        let months = (received.year() - d.year()) * 12 + received.month() as i32
                            - d.month() as i32
                            - i32::from(received.day() < d.day());
                        let _ = write!(
                            out,
                            "{} {} ({} mois)",
                            p.first_names,
                            p.birth_name,
                            months.max(0)
                        );
                    }
                }
            }
        }
    }

    fn dossier(&mut self, received_at: DateTime<Utc>) -> DemoDossier {
        let received = received_at.date_naive();
        let mut primary = self
            .t
            .primary_motifs
            .pick(&mut self.rng)
            .unwrap_or(MotifKind::Other);

        // The family: seen before, or new.
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
        let mut fam = match fam {
            Some(f) => f,
            None => self.new_family(received_at, primary),
        };
        fam.last = received_at;
        let n_new = reused.map_or(fam.kids.len(), |(_, born)| born);

        // Header.
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
        let territory = fam.territory;
        let receiving_agent_id = (!self.t.agents.is_empty())
            .then(|| self.t.agents[self.rng.random_range(0..self.t.agents.len())]);

        // Children.
        let authors = self.authors(&fam, primary);
        let concluded = matches!(status, DossierStatus::Conclue | DossierStatus::Cloturee);
        let mut children = Vec::with_capacity(fam.kids.len());
        let mut person_refs = Vec::with_capacity(fam.kids.len());
        let mut new_persons = Vec::with_capacity(n_new);
        let mut conjugal = false;
        let mut secondary = None;
        let lieu_id = self.t.lieu(fam.lieu);
        let first_new = self.next_person - n_new;
        for (i, kid) in fam.kids.iter().enumerate() {
            if kid.k >= first_new {
                person_refs.push(None);
                new_persons.push(kid.k);
            } else {
                person_refs.push(Some(kid.k));
            }
            let (motif_ids, c) = self.motifs(primary, i == 0);
            conjugal |= c;
            if secondary.is_none() && motif_ids.len() > 1 {
                secondary = self.t.secondary_motifs.pick(&mut self.rng);
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
            children.push(ChildInput {
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
        let violence_conjugale = conjugal || self.rng.random_bool(0.02);
        let sip = self.rng.random_bool(0.03);

        // Evaluation: assignments to the territory's services.
        let services = &self.t.territories[territory].1;
        let n_assign = if services.is_empty() {
            0
        } else {
            match status {
                DossierStatus::Recue | DossierStatus::Qualifiee => 0,
                DossierStatus::EnEvaluation => weighted(&mut self.rng, &[(1usize, 80), (2, 20)]),
                _ => weighted(&mut self.rng, &[(0usize, 10), (1, 78), (2, 12)]),
            }
        };
        let dossier_eval = if danger_grave {
            &self.t.results_grave
        } else {
            &self.t.results_normal
        };
        let dossier_eval = dossier_eval.pick(&mut self.rng);
        let due_on = evaluation_due(received);
        let offset = self.rng.random_range(0..services.len().max(1));
        let mut assignments = Vec::with_capacity(n_assign);
        let mut last_return: Option<NaiveDate> = None;
        let mut evaluated: Option<Eval> = None;
        for j in 0..n_assign {
            let service_id = self.t.territories[territory].1
                [(offset + j) % self.t.territories[territory].1.len()];
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
            } else if concluded {
                let days = if self.rng.random_bool(0.7) {
                    self.rng.random_range(20..=80)
                } else {
                    self.rng.random_range(81..=140)
                };
                Some(add_days(asked_on, days).min(self.today).max(asked_on))
            } else if status == DossierStatus::EnEvaluation && self.rng.random_bool(0.25) {
                Some(add_days(asked_on, self.rng.random_range(20..=100)))
                    .filter(|d| *d <= self.today)
            } else {
                None
            };
            let eval = returned_on.and(if j == 0 {
                dossier_eval
            } else {
                self.t.results_normal.pick(&mut self.rng)
            });
            if let Some(r) = returned_on {
                last_return = Some(last_return.map_or(r, |l| l.max(r)));
                evaluated = evaluated.or(eval);
            }
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
            assignments.push(AssignmentInput {
                service_id,
                asked_on,
                due_on,
                evaluators,
                returned_on,
                result_id: eval.and_then(|e| self.t.result(e)),
                cancelled,
                comment,
            });
        }

        // Per child: evaluation result and conclusion.
        let mut any_parquet = false;
        let mut concluded_on = received;
        for c in &mut children {
            let eval = evaluated.map(|e| {
                if self.rng.random_bool(0.85) {
                    e
                } else {
                    self.t.results_normal.pick(&mut self.rng).unwrap_or(e)
                }
            });
            c.evaluation_result_id = eval.and_then(|e| self.t.result(e));
            if !concluded {
                continue;
            }
            let table = match eval {
                Some(Eval::Danger) => 0,
                Some(Eval::Risk) => 1,
                Some(Eval::Neither) => 2,
                None => 3,
            };
            let conclusion_id = match self.t.conclusion_parquet {
                Some(id) if danger_grave && self.rng.random_bool(0.7) => Some(id),
                _ => self.t.conclusions[table].pick(&mut self.rng),
            };
            let Some(conclusion_id) = conclusion_id else {
                continue;
            };
            any_parquet |= Some(conclusion_id) == self.t.conclusion_parquet;
            let base =
                last_return.unwrap_or_else(|| add_days(received, self.rng.random_range(3..=60)));
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

        // Follow-ups.
        let mut follow_ups = Vec::new();
        if danger_grave || any_parquet {
            let at = if danger_grave {
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
        let closed = status == DossierStatus::Cloturee;
        let fu_prob = |closed_p: f64, concluded_p: f64| if closed { closed_p } else { concluded_p };
        if concluded {
            if (closed && primary == MotifKind::Sexual && self.rng.random_bool(0.5))
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
            } else if self.rng.random_bool(fu_prob(0.97, 0.6)) {
                let d = add_days(concluded_on, self.rng.random_range(1..=15)).min(self.today);
                let at = self.stamp(d, received_at);
                follow_ups.push(FollowUp {
                    due_on: None,
                    kind: FollowUpKind::ParentsInformed,
                    done_at: Some(at),
                    not_done_reason: None,
                });
            }
        } else if status == DossierStatus::EnEvaluation
            && !fam.adults.is_empty()
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

        // Source.
        let source_kind = if snated.is_some() {
            SourceKind::Snated
        } else if primary == MotifKind::Mna {
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
        };
        let source = self.source(source_kind, &fam);
        if concluded {
            let professional = source_kind.is_professional()
                && source_kind != SourceKind::Snated
                && source.confidentiality != SourceConfidentiality::Anonymous;
            for (kind, wanted) in [
                (FollowUpKind::ProfessionalFeedback, professional),
                (FollowUpKind::Feedback119, snated.is_some()),
            ] {
                if wanted && self.rng.random_bool(fu_prob(0.93, 0.45)) {
                    let d = add_days(concluded_on, self.rng.random_range(2..=30)).min(self.today);
                    let at = self.stamp(d, received_at);
                    follow_ups.push(FollowUp {
                        due_on: None,
                        kind,
                        done_at: Some(at),
                        not_done_reason: None,
                    });
                }
            }
        }

        // Texts.
        let mut kids_text = String::with_capacity(64 * fam.kids.len());
        Self::children_text(&mut kids_text, &fam, received);
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
            commune: self.commune_name(&fam),
            mother: &mother,
            father: &father,
            child: named.map_or("", |k| k.person.first_names.as_str()),
            fem: named.is_some_and(|k| k.person.sex == Sex::Female),
            plural: fam.kids.len() > 1,
        };
        let mut rng = self.rng.clone();
        let mut expose = String::with_capacity(512);
        text::expose(&mut rng, &mut expose, &ctx, source_kind, primary, secondary);
        let observation = if danger_grave
            || (reused.is_some() && rng.random_bool(0.6))
            || rng.random_bool(if status == DossierStatus::Recue {
                0.15
            } else {
                0.45
            }) {
            let mut o = String::with_capacity(160);
            text::observation(&mut rng, &mut o, &ctx, reused.is_some(), danger_grave);
            Some(o)
        } else {
            None
        };
        self.rng = rng;

        let input = DossierInput {
            header: Header {
                received_at,
                type_id,
                danger_grave,
                violence_conjugale,
                sip,
                receiving_agent_id,
                channel_id,
                snated_number,
                territory_id: self.t.territories[territory].0,
                status,
                expose: Some(expose),
                observation,
            },
            source,
            adults: fam.adults.clone(),
            children,
            assignments,
            follow_ups,
        };

        // Keep the family to be seen again.
        match reused {
            Some((idx, _)) => self.pool[idx] = fam,
            None => {
                if self.pool.len() >= POOL_CAP {
                    self.pool.pop_front();
                }
                self.pool.push_back(fam);
            }
        }
        DemoDossier {
            input,
            person_refs,
            new_persons,
        }
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
