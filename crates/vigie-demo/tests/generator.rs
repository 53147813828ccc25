//! The demo generator: valid, deterministic, realistic enough.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use vigie_demo::{
    Catalog, CommuneRef, DemoDossier, Generator, ParamRef, TerritoryRef, demo_territories,
};
use vigie_domain::deadline::{age_on, evaluation_due};
use vigie_domain::param::defaults;
use vigie_domain::{BirthDate, DossierStatus, Meaning, ParamKind, Person, SourceConfidentiality};

fn now() -> DateTime<Utc> {
    "2026-11-25T10:30:00Z".parse().unwrap()
}

const COMMUNES: &[(&str, &str, &str)] = &[
    ("18033", "18000", "Bourges"),
    ("18279", "18100", "Vierzon"),
    ("18197", "18200", "Saint-Amand-Montrond"),
    ("18015", "18700", "Aubigny-sur-Nère"),
    ("18241", "18300", "Sancerre"),
    ("18141", "18500", "Mehun-sur-Yèvre"),
    ("18205", "18230", "Saint-Doulchard"),
    ("18207", "18400", "Saint-Florent-sur-Cher"),
    ("18087", "18130", "Dun-sur-Auron"),
    ("18057", "18370", "Châteaumeillant"),
    ("18108", "18150", "La Guerche-sur-l'Aubois"),
    ("18127", "18160", "Lignières"),
];

/// A tiny catalog: the default parameter values with fake ids, the demo territories, a few communes.
fn catalog() -> Catalog {
    let params = defaults()
        .into_iter()
        .enumerate()
        .map(|(i, d)| ParamRef {
            id: 100 + i as i64,
            kind: d.kind,
            code: d.code.to_owned(),
            meaning: d.meaning,
        })
        .collect();
    let mut service = 0;
    let territories = demo_territories()
        .iter()
        .enumerate()
        .map(|(i, t)| TerritoryRef {
            id: 10 + i as i64,
            services: t
                .services
                .iter()
                .map(|_| {
                    service += 1;
                    1000 + service
                })
                .collect(),
        })
        .collect();
    let communes = COMMUNES
        .iter()
        .map(|(insee, cp, name)| CommuneRef {
            insee: (*insee).into(),
            postal_code: (*cp).into(),
            name: (*name).into(),
        })
        .collect();
    Catalog {
        params,
        territories,
        communes,
        agents: vec![7, 8, 9],
    }
}

fn generate(seed: u64, count: usize) -> Vec<DemoDossier> {
    Generator::new(seed, catalog(), now(), count).collect()
}

fn meaning_of(c: &Catalog, id: i64) -> Option<Meaning> {
    c.params.iter().find(|p| p.id == id).and_then(|p| p.meaning)
}

fn kind_of(c: &Catalog, id: i64) -> Option<ParamKind> {
    c.params.iter().find(|p| p.id == id).map(|p| p.kind)
}

fn code_of(c: &Catalog, id: i64) -> &str {
    c.params
        .iter()
        .find(|p| p.id == id)
        .map_or("", |p| p.code.as_str())
}

#[test]
fn the_first_5000_dossiers_of_seeds_1_and_2_are_valid() {
    for seed in [1, 2] {
        let mut n = 0;
        for (i, d) in Generator::new(seed, catalog(), now(), 5_000).enumerate() {
            if let Err(e) = d.input.validate(now()) {
                panic!("seed {seed}, dossier {i}: {e}\n{:#?}", d.input);
            }
            n += 1;
        }
        assert_eq!(n, 5_000);
    }
}

#[test]
fn same_seed_same_output_and_different_seed_different_output() {
    let a: Vec<String> = generate(7, 200).iter().map(|d| format!("{d:?}")).collect();
    let b: Vec<String> = generate(7, 200).iter().map(|d| format!("{d:?}")).collect();
    let c: Vec<String> = generate(8, 200).iter().map(|d| format!("{d:?}")).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.iter().zip(&c).filter(|(x, y)| x == y).count() < 5);
}

#[test]
fn count_is_respected() {
    assert!(Generator::new(1, catalog(), now(), 0).next().is_none());
    let g = Generator::new(1, catalog(), now(), 3);
    assert_eq!(g.len(), 3);
    assert_eq!(g.count(), 3);
    let mut g = Generator::new(1, catalog(), now(), 1);
    assert!(g.next_dossier().is_some());
    assert!(g.next_dossier().is_none());
    assert!(g.next_dossier().is_none());
}

#[test]
fn dossiers_are_chronological_over_ten_years_before_now() {
    let ds = generate(3, 5_000);
    let ten_years_ago = now() - chrono::Months::new(120);
    let mut prev = ten_years_ago;
    let mut working_hours = 0;
    for d in &ds {
        let t = d.input.header.received_at;
        assert!(t >= prev, "not chronological: {t} < {prev}");
        assert!(t < now());
        prev = t;
        let h = t.format("%H").to_string().parse::<u32>().unwrap();
        if (7..18).contains(&h) {
            working_hours += 1;
        }
    }
    // Spread: the first dossiers are about ten years old, the last ones recent.
    assert!((ds[0].input.header.received_at - ten_years_ago).num_days() < 30);
    assert!((now() - ds[ds.len() - 1].input.header.received_at).num_days() < 30);
    assert!(working_hours * 100 / ds.len() >= 75, "{working_hours}");
}

#[test]
fn children_are_minors_at_reception_and_siblings_are_spaced() {
    let mut unborn = 0;
    let mut twins = 0;
    let mut sizes = [0usize; 8];
    let ds = generate(4, 5_000);
    for d in &ds {
        let received = d.input.header.received_at.date_naive();
        let born: Vec<_> = d
            .input
            .children
            .iter()
            .filter(|c| !matches!(c.person.birth, BirthDate::Expected(_)))
            .collect();
        sizes[born.len().min(7)] += 1;
        let mut exact = Vec::new();
        for c in &d.input.children {
            match c.person.birth {
                BirthDate::Exact(b) | BirthDate::Approximate(b) => {
                    let age = age_on(b, received);
                    assert!(
                        (0..=17).contains(&age),
                        "age {age} at {received}: {:?}",
                        c.person
                    );
                    if let BirthDate::Exact(b) = c.person.birth {
                        exact.push(b);
                    }
                }
                BirthDate::Expected(t) => {
                    unborn += 1;
                    assert!(
                        t > received && (t - received).num_days() <= 270,
                        "term {t} for {received}"
                    );
                }
                BirthDate::Unknown => {}
            }
        }
        exact.sort();
        for w in exact.windows(2) {
            let gap = (w[1] - w[0]).num_days();
            if gap == 0 {
                twins += 1;
            } else {
                assert!(
                    gap >= 270,
                    "siblings born {gap} days apart: {:?}",
                    d.input.children
                );
            }
        }
    }
    assert!(twins > 0);
    assert!((25..=250).contains(&unborn), "{unborn} enfants à naître");
    let one_to_three: usize = sizes[1..=3].iter().sum();
    assert!(one_to_three * 100 / ds.len() >= 80, "{sizes:?}");
    assert!(sizes[4..].iter().sum::<usize>() > 0, "{sizes:?}");
    assert!(sizes[7] == 0, "{sizes:?}");
}

#[test]
fn reused_persons_point_to_earlier_ones_and_are_the_same() {
    let ds = generate(5, 5_000);
    let mut persons: HashMap<usize, (Person, DateTime<Utc>)> = HashMap::new();
    let mut reusing = 0;
    let mut next = 0;
    for d in &ds {
        assert_eq!(d.person_refs.len(), d.input.children.len());
        assert_eq!(
            d.new_persons.len(),
            d.person_refs.iter().filter(|r| r.is_none()).count()
        );
        let received = d.input.header.received_at;
        let mut new = d.new_persons.iter();
        let mut reused = false;
        for (c, r) in d.input.children.iter().zip(&d.person_refs) {
            assert!(c.person_id.is_none());
            match r {
                Some(k) => {
                    let (p, first) = persons
                        .get(k)
                        .unwrap_or_else(|| panic!("person {k} not seen before"));
                    assert_eq!(p, &c.person);
                    assert!(*first < received);
                    if let Some(b) = c.person.birth.date()
                        && !matches!(c.person.birth, BirthDate::Expected(_))
                    {
                        assert!(age_on(b, received.date_naive()) < 18);
                    }
                    reused = true;
                }
                None => {
                    let k = *new.next().unwrap();
                    assert_eq!(k, next, "new persons are numbered in generation order");
                    next += 1;
                    persons.insert(k, (c.person.clone(), received));
                }
            }
        }
        if reused {
            reusing += 1;
        }
    }
    assert!(
        reusing * 100 / ds.len() >= 5,
        "{reusing} dossiers reuse a person"
    );
    assert!(
        reusing * 100 / ds.len() <= 20,
        "{reusing} dossiers reuse a person"
    );
}

#[test]
fn names_are_french_with_accents_and_compounds() {
    let ds = generate(6, 5_000);
    let mut surnames = HashSet::new();
    let mut first = HashSet::new();
    for d in &ds {
        for c in &d.input.children {
            surnames.insert(c.person.birth_name.clone());
            first.insert(c.person.first_names.clone());
        }
        for a in &d.input.adults {
            surnames.insert(a.birth_name.clone());
            if let Some(f) = &a.first_names {
                first.insert(f.clone());
            }
        }
    }
    assert!(surnames.len() >= 150, "{}", surnames.len());
    for name in [
        "Lefèvre",
        "Lefebvre",
        "Lefèvre-Dubois",
        "N'Diaye",
        "Da Silva",
        "Le Gall",
        "Müller",
    ] {
        assert!(surnames.contains(name), "{name}");
    }
    assert!(surnames.iter().any(|s| !s.is_ascii()));
    assert!(surnames.iter().any(|s| s.contains('-')));
    for name in ["Éloïse", "Léa", "Chloé", "Maël", "Noé", "Anaïs", "Jérôme"] {
        assert!(first.contains(name), "{name}");
    }
}

#[test]
fn frequencies_are_plausible() {
    let c = catalog();
    let ds = generate(9, 10_000);
    let n = ds.len();
    let pct = |k: usize| k * 100 / n;
    let count = |f: &dyn Fn(&DemoDossier) -> bool| ds.iter().filter(|d| f(d)).count();
    let danger = count(&|d| d.input.header.danger_grave);
    let vc = count(&|d| d.input.header.violence_conjugale);
    let sip = count(&|d| d.input.header.sip);
    let snated = count(&|d| d.input.header.snated_number.is_some());
    let ip = count(&|d| {
        meaning_of(&c, d.input.header.type_id) == Some(Meaning::InformationPreoccupante)
    });
    let anonymous = count(&|d| d.input.source.confidentiality == SourceConfidentiality::Anonymous);
    let confidential =
        count(&|d| d.input.source.confidentiality == SourceConfidentiality::Confidential);
    assert!((3..=8).contains(&pct(danger)), "danger grave {danger}");
    assert!((10..=22).contains(&pct(vc)), "violence conjugale {vc}");
    assert!((1..=5).contains(&pct(sip)), "sip {sip}");
    assert!((11..=19).contains(&pct(snated)), "119 {snated}");
    assert!(pct(ip) >= 80, "IP {ip}");
    assert!((6..=14).contains(&pct(anonymous)), "anonymous {anonymous}");
    assert!(
        (10..=20).contains(&pct(confidential)),
        "confidential {confidential}"
    );

    let mut motifs: HashMap<&str, usize> = HashMap::new();
    for d in &ds {
        for ch in &d.input.children {
            assert!((1..=3).contains(&ch.motif_ids.len()), "{:?}", ch.motif_ids);
            for m in &ch.motif_ids {
                assert_eq!(kind_of(&c, *m), Some(ParamKind::Motif));
                *motifs.entry(code_of(&c, *m)).or_default() += 1;
            }
        }
    }
    let m = |code: &str| motifs.get(code).copied().unwrap_or(0);
    assert!(m("NEGLIG") > 10 * m("PROSTIT").max(1), "{motifs:?}");
    assert!(m("EDUC") > 10 * m("MNA").max(1), "{motifs:?}");
    assert!(m("VIOLCONJ") > m("VIOLSEX"), "{motifs:?}");
    assert!(m("PROSTIT") > 0 && m("MNA") > 0, "{motifs:?}");
}

#[test]
fn header_source_and_adults_are_coherent() {
    let c = catalog();
    let ds = generate(10, 5_000);
    for d in &ds {
        let h = &d.input.header;
        assert!(c.territories.iter().any(|t| t.id == h.territory_id));
        assert!(h.receiving_agent_id.is_some_and(|a| c.agents.contains(&a)));
        assert_eq!(kind_of(&c, h.type_id), Some(ParamKind::DossierType));
        assert_eq!(kind_of(&c, h.channel_id), Some(ParamKind::Channel));
        let is_119 = meaning_of(&c, h.channel_id) == Some(Meaning::Snated);
        assert_eq!(is_119, h.snated_number.is_some());
        if let Some(n) = &h.snated_number {
            assert!(
                n.starts_with(&format!("SNATED-{}-", h.received_at.format("%Y"))) && n.len() == 18,
                "{n}"
            );
        }
        let expose = h.expose.as_deref().unwrap();
        let sentences = expose.replace("M. ", "M ").matches(". ").count() + 1;
        assert!((2..=6).contains(&sentences), "{expose}");
        assert!(!expose.contains('{'), "{expose}");

        let s = &d.input.source;
        if let Some(cat) = s.category_id {
            assert_eq!(kind_of(&c, cat), Some(ParamKind::SourceCategory));
        }
        match s.confidentiality {
            SourceConfidentiality::Anonymous => {
                assert!(s.name.is_none() && s.phone.is_none() && s.email.is_none())
            }
            _ => assert!(s.name.is_some() || s.organisation.is_some()),
        }
        if let Some(e) = &s.email {
            assert!(e.ends_with("@example.org") && e.is_ascii(), "{e}");
        }

        assert!(d.input.adults.len() <= 2 + 1);
        for a in &d.input.adults {
            assert_eq!(
                kind_of(&c, a.civility_id.unwrap()),
                Some(ParamKind::Civility)
            );
            assert_eq!(a.address, d.input.adults[0].address, "same address");
            if let Some(p) = &a.phone {
                assert!(p.starts_with("06 39 98 ") && p.len() == 14, "{p}");
            }
        }
        for ch in &d.input.children {
            assert_eq!(ch.adults.len(), d.input.adults.len());
            for l in &ch.adults {
                let m = meaning_of(&c, l.link_id);
                assert!(
                    matches!(m, Some(Meaning::Mere | Meaning::Pere | Meaning::BeauParent)),
                    "{m:?}"
                );
                if m == Some(Meaning::BeauParent) {
                    assert!(!l.parental_authority);
                }
            }
            for a in &ch.authors {
                assert_eq!(kind_of(&c, a.link_id), Some(ParamKind::Link));
                if a.third_party_name.is_some() {
                    assert!(matches!(
                        meaning_of(&c, a.link_id),
                        Some(Meaning::Tiers | Meaning::AutreFamille)
                    ));
                }
            }
            if let Some(commune) = &ch.address.commune_insee {
                assert!(COMMUNES.iter().any(|(i, _, _)| i == commune));
            }
        }
    }
    let with_authority = ds
        .iter()
        .flat_map(|d| d.input.children.iter().flat_map(|c| &c.adults))
        .filter(|l| meaning_of(&c, l.link_id) != Some(Meaning::BeauParent))
        .fold((0, 0), |(y, n), l| {
            if l.parental_authority {
                (y + 1, n)
            } else {
                (y, n + 1)
            }
        });
    assert!(
        with_authority.0 > 10 * with_authority.1,
        "{with_authority:?}"
    );
    let with_authors = ds
        .iter()
        .filter(|d| d.input.children.iter().any(|c| !c.authors.is_empty()))
        .count();
    assert!(
        with_authors > 1_000 && with_authors < 4_500,
        "{with_authors}"
    );
    assert!(ds.iter().any(|d| {
        d.input
            .children
            .iter()
            .any(|c| c.authors.iter().any(|a| a.third_party_name.is_some()))
    }));
}

#[test]
fn evaluation_conclusions_and_follow_ups_follow_the_status() {
    let c = catalog();
    let today: NaiveDate = now().date_naive();
    let ds = generate(11, 5_000);
    let mut parquet_follow_ups = 0;
    for d in &ds {
        let h = &d.input.header;
        let received = h.received_at.date_naive();
        let age = (today - received).num_days();
        if age > 365 {
            assert!(
                matches!(h.status, DossierStatus::Conclue | DossierStatus::Cloturee),
                "{age} days: {:?}",
                h.status
            );
        }
        if age < 3 {
            assert!(
                matches!(h.status, DossierStatus::Recue | DossierStatus::Qualifiee),
                "{age} days: {:?}",
                h.status
            );
        }
        let services = &c
            .territories
            .iter()
            .find(|t| t.id == h.territory_id)
            .unwrap()
            .services;
        assert!(d.input.assignments.len() <= 2);
        for a in &d.input.assignments {
            assert!(services.contains(&a.service_id));
            assert!(a.asked_on >= received && a.asked_on <= today);
            assert_eq!(a.due_on, evaluation_due(received));
            assert!((1..=3).contains(&a.evaluators.len()));
            if let Some(r) = a.returned_on {
                assert!(r >= a.asked_on && r <= today);
                assert_eq!(
                    kind_of(&c, a.result_id.unwrap()),
                    Some(ParamKind::EvaluationResult)
                );
            }
        }
        let concluded = matches!(h.status, DossierStatus::Conclue | DossierStatus::Cloturee);
        let mut parquet = h.danger_grave;
        for ch in &d.input.children {
            assert_eq!(ch.conclusion.is_some(), concluded);
            if let Some(conc) = &ch.conclusion {
                assert!(conc.on >= received && conc.on <= today);
                assert_eq!(kind_of(&c, conc.conclusion_id), Some(ParamKind::Conclusion));
                parquet |= meaning_of(&c, conc.conclusion_id) == Some(Meaning::SignalementParquet);
            }
            if let Some(r) = ch.evaluation_result_id {
                assert_eq!(kind_of(&c, r), Some(ParamKind::EvaluationResult));
            }
        }
        let has = |k| d.input.follow_ups.iter().any(|f| f.kind == k);
        assert_eq!(has(vigie_domain::FollowUpKind::Parquet), parquet);
        if parquet {
            parquet_follow_ups += 1;
        }
        if !concluded {
            assert!(
                !has(vigie_domain::FollowUpKind::Feedback119)
                    && !has(vigie_domain::FollowUpKind::ProfessionalFeedback)
            );
        }
        for f in &d.input.follow_ups {
            assert!(f.done_at.is_some() != f.not_done_reason.is_some());
            if let Some(t) = f.done_at {
                assert!(t >= h.received_at && t < now(), "{t} vs {}", h.received_at);
            }
        }
    }
    assert!(parquet_follow_ups > 0);
    let closed: Vec<_> = ds
        .iter()
        .filter(|d| d.input.header.status == DossierStatus::Cloturee)
        .collect();
    let informed = closed
        .iter()
        .filter(|d| {
            d.input.follow_ups.iter().any(|f| {
                f.kind == vigie_domain::FollowUpKind::ParentsInformed && f.done_at.is_some()
            })
        })
        .count();
    assert!(
        informed * 100 / closed.len() >= 85,
        "{informed} / {}",
        closed.len()
    );
}

#[test]
fn an_empty_agent_list_leaves_no_receiving_agent() {
    let mut c = catalog();
    c.agents.clear();
    for d in Generator::new(1, c, now(), 100) {
        assert!(d.input.header.receiving_agent_id.is_none());
    }
}

#[test]
fn a_minimal_catalog_still_gives_valid_dossiers() {
    let c = Catalog {
        params: vec![
            ParamRef {
                id: 1,
                kind: ParamKind::DossierType,
                code: "IP".into(),
                meaning: None,
            },
            ParamRef {
                id: 2,
                kind: ParamKind::Channel,
                code: "TEL".into(),
                meaning: None,
            },
        ],
        territories: vec![TerritoryRef {
            id: 3,
            services: vec![],
        }],
        communes: vec![],
        agents: vec![],
    };
    for d in Generator::new(1, c, now(), 2_000) {
        d.input.validate(now()).unwrap();
        assert_eq!(
            (
                d.input.header.type_id,
                d.input.header.channel_id,
                d.input.header.territory_id
            ),
            (1, 2, 3)
        );
        assert!(d.input.assignments.is_empty());
        assert!(
            d.input
                .children
                .iter()
                .all(|c| c.motif_ids.is_empty() && c.adults.is_empty() && c.conclusion.is_none())
        );
    }
}

#[test]
#[should_panic(expected = "aucun territoire")]
fn a_catalog_without_territory_is_refused() {
    let mut c = catalog();
    c.territories.clear();
    let _ = Generator::new(1, c, now(), 1);
}

#[test]
fn demo_territories_of_the_cher() {
    let t = demo_territories();
    assert_eq!(t.len(), 5);
    let mut codes = HashSet::new();
    for x in &t {
        assert!(codes.insert(x.code));
        assert_eq!(x.services.len(), 2);
        for (code, label) in &x.services {
            assert!(codes.insert(code));
            assert!(label.starts_with("Service "));
        }
    }
    assert!(t.iter().any(|x| x.label == "MDS Vierzon"));
}

#[test]
fn generates_20000_dossiers() {
    let mut n = 0;
    let mut children = 0;
    for d in Generator::new(12, catalog(), now(), 20_000) {
        n += 1;
        children += d.input.children.len();
    }
    assert_eq!(n, 20_000);
    assert!(children > n);
}
