//! Families: a new fratrie with its adults and home, a family seen before taken from the
//! pool, the links of its adults, the authors of an IP.

use chrono::{DateTime, Days, Months, NaiveDate, TimeDelta, Utc};
use rand::Rng;
use vigie_domain::{Address, Adult, Author, BirthDate};

use crate::catalog::{Lieu, MotifKind};
use crate::names::{MEN, MNA_SURNAMES, SURNAMES};

use super::{EXPECTED_RATE, Family, Generator, Kid, Role, add_days, fnv, pick, weighted};

/// The adults of a new family and what the children take from them.
struct Parents {
    adults: Vec<Adult>,
    roles: Vec<Role>,
    authority: Vec<bool>,
    /// The fratrie's surname.
    surname: String,
    mother_name: &'static str,
    mother: bool,
    father: bool,
}

impl Generator {
    /// A new family: a fratrie of 1–6 children (mostly 1–3) with coherent ages, its parents and home.
    pub(super) fn new_family(&mut self, received_at: DateTime<Utc>, primary: MotifKind) -> Family {
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
            return self.mna_family(received_at, span, commune, territory, address);
        }
        let Parents {
            adults,
            roles,
            authority,
            surname,
            mother_name,
            mother,
            father,
        } = self.parents(&address);
        let kids = self.fratrie(&surname, mother_name, mother, received, span);
        let csp_father = self.csp(father);
        let csp_mother = self.csp(mother);
        let lieu = self.home(mother, father);
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

    /// A mineur non accompagné: one child of 14 or more, no adult, homeless or in an
    /// institution.
    fn mna_family(
        &mut self,
        received_at: DateTime<Utc>,
        span: i64,
        commune: Option<usize>,
        territory: usize,
        address: Address,
    ) -> Family {
        let received = received_at.date_naive();
        let surname = pick(&mut self.rng, MNA_SURNAMES);
        let birth = add_days(received, -self.rng.random_range(14 * 365 + 4..=span));
        let kid = self.kid(surname, birth, received, &[], true);
        let lieu = if self.rng.random_bool(0.5) {
            Lieu::Homeless
        } else {
            Lieu::Institution
        };
        Family {
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
        }
    }

    /// Who is around the fratrie (mother, father, a step-parent), their names, the fratrie's
    /// surname and the parental authority.
    fn parents(&mut self, address: &Address) -> Parents {
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
            adults.push(self.parent(true, mother_name, usage, address));
            roles.push(Role::Mother);
            authority.push(self.rng.random_bool(0.97));
        }
        if father {
            adults.push(self.parent(false, father_name, None, address));
            roles.push(Role::Father);
            authority.push(self.rng.random_bool(0.92));
        }
        if step {
            let step_name = pick(&mut self.rng, SURNAMES);
            adults.push(self.parent(false, step_name, None, address));
            roles.push(Role::Step);
            authority.push(false);
        }
        Parents {
            adults,
            roles,
            authority,
            surname,
            mother_name,
            mother,
            father,
        }
    }

    /// The children: gaps between births, then the youngest's age (all minors within `span`
    /// days), sometimes an enfant à naître when there is a mother.
    fn fratrie(
        &mut self,
        surname: &str,
        mother_name: &str,
        mother: bool,
        received: NaiveDate,
        span: i64,
    ) -> Vec<Kid> {
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
            let kid = self.kid(surname, birth, received, &kids, false);
            kids.push(kid);
            birth = add_days(birth, *gap);
        }
        if with_unborn {
            let kid = self.unborn(surname, received, &kids);
            kids.push(kid);
        }
        if self.rng.random_bool(0.02)
            && let Some(k) = kids.first_mut()
            && k.person.birth_name != mother_name
        {
            k.person.usage_name = Some(mother_name.to_owned());
        }
        kids
    }

    /// Where the children live: mostly with their parents, sometimes elsewhere.
    fn home(&mut self, mother: bool, father: bool) -> Lieu {
        match self.rng.random_range(0..100) {
            0..4 => Lieu::Alternate,
            4..8 => Lieu::ThirdParty,
            8..10 => Lieu::FosterFamily,
            10..12 => Lieu::Institution,
            12..17 => Lieu::Unknown,
            _ if mother && father => Lieu::BothParents,
            _ if mother => Lieu::Mother,
            _ => Lieu::Father,
        }
    }

    /// Takes an earlier family that can be seen again at this date, updated: its children
    /// still minor (or still unborn), a baby born since, perhaps a new sibling.
    pub(super) fn reuse(&mut self, received_at: DateTime<Utc>) -> Option<(usize, Family, usize)> {
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

    pub(super) fn link(&self, r: Role) -> Option<i64> {
        match r {
            Role::Mother => self.t.link_mother,
            Role::Father => self.t.link_father,
            Role::Step => self.t.link_step,
        }
    }

    /// The alleged authors for the fratrie, from the main motif.
    pub(super) fn authors(&mut self, f: &Family, primary: MotifKind) -> Vec<Author> {
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

    pub(super) fn person_name_man(&mut self) -> String {
        let first = pick(&mut self.rng, MEN);
        let last = pick(&mut self.rng, SURNAMES);
        format!("{first} {last}")
    }
}
