//! The statistics layer on both backends: counts by dimension, delays, overdue evaluations,
//! follow-ups, known children and danger grave, within a scope and a period in the
//! département's time zone; the milestones a save records or a creation infers; and the
//! milestones migration 12 fills for the dossiers stored before it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use vigie_domain::dossier::milestones::Milestones;
use vigie_domain::dossier::{DirectConclusionCode, DossierEdit, Saved};
use vigie_domain::stats::build::{CrossCounts, Spec, crosstab, measures_table};
use vigie_domain::stats::delays::{Delays, percentile};
use vigie_domain::stats::{Dimension, Measure, Period, Value};
use vigie_domain::*;
use vigie_store::migrate::{Migration, migrations};
use vigie_store::stats::{Counts, FollowUpRow, Group, OverdueRow, StatsFilter};
use vigie_store::testing::{TestDb, now, raw_sql, table_names};
use vigie_store::{Actor, DbUrl, Store, StoreError};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Counts keyed as `stats_count` keys them, from `(key, n)` pairs.
fn counts<const N: usize>(pairs: &[([&str; N], u64)]) -> Counts {
    pairs
        .iter()
        .map(|(k, n)| (k.iter().map(|s| (*s).to_owned()).collect(), *n))
        .collect()
}

/// The filter of `period` (local dates in Europe/Paris, the test stores' time zone).
fn filter(scope: Scope, period: &Period) -> StatsFilter {
    let (from, to) = period.instants(&Paris);
    StatsFilter {
        scope,
        from,
        to,
        territory_id: None,
        type_id: None,
    }
}

async fn count(s: &Store, f: &StatsFilter, m: Measure, groups: &[Group<'_>]) -> Counts {
    s.stats_count(f, m, groups).await.unwrap()
}

async fn total(s: &Store, f: &StatsFilter, m: Measure) -> u64 {
    let c = count(s, f, m, &[]).await;
    assert!(c.len() <= 1, "{c:?}");
    c.get(&Vec::new()).copied().unwrap_or(0)
}

fn id(v: i64) -> String {
    v.to_string()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn kid(f: &Fixture, first: &str, sex: Sex, birth: BirthDate, motifs: &[&str]) -> ChildInput {
    let mut c = child("Enfant", first, birth);
    c.person.sex = sex;
    c.motif_ids = motifs
        .iter()
        .map(|m| p(&f.cat, ParamKind::Motif, m))
        .collect();
    c
}

fn exact(s: &str) -> BirthDate {
    BirthDate::Exact(day(s))
}

fn conclusion(f: &Fixture, code: &str, on: &str) -> Option<Conclusion> {
    Some(Conclusion {
        conclusion_id: p(&f.cat, ParamKind::Conclusion, code),
        on: day(on),
        comment: None,
    })
}

fn result(f: &Fixture, code: &str) -> Option<i64> {
    Some(p(&f.cat, ParamKind::EvaluationResult, code))
}

/// A dossier of `territory` received at `received`, with its status, type, channel and the
/// source's category (`None`: not filled in).
#[allow(clippy::too_many_arguments)]
fn dossier(
    f: &Fixture,
    territory: i64,
    received: &str,
    status: DossierStatus,
    type_code: &str,
    channel: &str,
    source: Option<&str>,
    children: Vec<ChildInput>,
) -> DossierInput {
    let mut d = simple(f, territory, received, children);
    d.header.status = status;
    d.header.type_id = p(&f.cat, ParamKind::DossierType, type_code);
    d.header.channel_id = p(&f.cat, ParamKind::Channel, channel);
    d.source = Source::anonymous(source.map(|c| p(&f.cat, ParamKind::SourceCategory, c)));
    d
}

fn asked(service: i64, on: &str, due: &str, returned: Option<&str>) -> AssignmentInput {
    AssignmentInput {
        service_id: service,
        asked_on: day(on),
        due_on: day(due),
        evaluators: vec![],
        returned_on: returned.map(day),
        result_id: None,
        cancelled: false,
        comment: None,
    }
}

fn follow_up(kind: FollowUpKind, done: Option<&str>, reason: Option<&str>) -> FollowUp {
    FollowUp {
        kind,
        due_on: None,
        done_at: done.map(at),
        not_done_reason: reason.map(str::to_owned),
    }
}

/// Reads dossier `id` and saves it at `when` after `edit`.
async fn step(
    s: &Store,
    a: &Actor,
    id: i64,
    when: &str,
    edit: impl FnOnce(&mut DossierEdit),
) -> Result<Saved, StoreError> {
    let rec = s.read_dossier(at(when), a, &Scope::All, id).await.unwrap();
    let mut e = DossierEdit::from_record(&rec);
    edit(&mut e);
    s.save_dossier(at(when), a, &Scope::All, &e).await
}

/// The stored milestones of dossier `id`, read through a connection of our own to `url`
/// (`vigie_store::milestones::load` takes any connection; the store keeps its own).
async fn milestones_at(url: &DbUrl, ids: &[i64]) -> Vec<Milestones> {
    let c = sea_orm::Database::connect(url.expose()).await.unwrap();
    let mut out = Vec::new();
    for id in ids {
        out.push(vigie_store::milestones::load(&c, *id).await.unwrap());
    }
    c.close().await.unwrap();
    out
}

fn ms(
    qualified: Option<&str>,
    evaluation: Option<&str>,
    concluded: Option<&str>,
    closed: Option<&str>,
) -> Milestones {
    Milestones {
        qualified_at: qualified.map(at),
        evaluation_at: evaluation.map(at),
        concluded_at: concluded.map(at),
        closed_at: closed.map(at),
    }
}

// ---------------------------------------------------------------------------------------
// The data set of the figures and scope tests
// ---------------------------------------------------------------------------------------

/// Eleven dossiers received from August to October 2026 (Paris), and one in July.
///
/// | id  | terr. | received (UTC)  | status        | type    | channel   | source  | children (sex, age band, motifs)                         | assignments                                      |
/// |-----|-------|-----------------|---------------|---------|-----------|---------|----------------------------------------------------------|--------------------------------------------------|
/// | d0  | T1    | 07-10 12:00     | en évaluation | IP      | TEL       | EN      | Léo M 6-10 EDUC (the person d6 names again)              | S1 asked 07-13, due 10-10, open (overdue)        |
/// | d1  | T1    | 08-03 12:00     | conclue*      | IP      | TEL       | EN      | Alice F 0-2 VIOLPHYS+NEGLIG, DANGER, MESADM 09-25        | S1 asked 08-06, returned 09-20, DANGER           |
/// | d11 | T2    | 08-07 12:00     | en évaluation | DEMRENS | COURRIER  | ASSO    | Lina F 6-10 NEGLIG                                       | S2 asked 08-10, returned 11-16 (late), DANGER    |
/// | d2  | T1    | 08-12 12:00     | conclue       | IP      | MEL       | SOCIAL  | Bruno M 11-14 VIOLPSY, CSS 08-14                         | —                                                |
/// | d3  | T2    | 08-20 12:00     | en évaluation | IP      | 119       | 119     | Chloé F 6-10 EDUC; unborn NR EDUC                        | S2 asked 08-21, due 11-20, open (overdue)        |
/// | d4  | T1    | 09-02 12:00     | clôturée      | IP      | COURRIER  | POLICE  | David M 6-10 (11 the next day) CONFLIT, RISQUE, DROITCOM | S1 asked 09-04, returned 10-10, RISQUE           |
/// | d5  | T2    | 09-10 12:00     | qualifiée     | SIGDIR  | TEL       | FAMILLE | Emma F 3-5 (approx.) VIOLSEX                             | —                                                |
/// | d6  | T2    | 09-18 12:00     | reçue         | IP      | ENTRETIEN | EN      | Léo (known) M 6-10 VIOLPHYS                              | —                                                |
/// | d7  | T1    | 09-25 12:00     | en évaluation | IP      | TEL       | EN      | Gaëlle F 11-14 NEGLIG; Gabin M 6-10 NEGLIG               | S1 asked 09-27 returned 10-30 NI; S2 asked 09-28 open |
/// | d8  | T1    | 10-05 12:00     | conclue       | IP      | TEL       | —       | Hugo M unknown age AUTRE, NI, CSS 10-22                  | S1 asked 10-06, returned 10-20, NI               |
/// | d9  | T2    | 10-12 12:00     | reçue         | IP      | 119       | 119     | Inès F 15-17 (15 that day) VIOLCONJ                      | —                                                |
/// | d10 | T2    | 10-20 12:00     | en évaluation | IP      | TEL       | EN      | Jules M 0-2 VIOLPHYS                                     | S2 asked 10-23 open; S2 asked 10-21 cancelled    |
///
/// *d1 goes reçue → qualifiée (08-04 12:00) → en évaluation (08-06 12:00) → conclue (09-25
/// 12:00) by successive saves; d5 is created qualifiée on 09-15 12:00; the others are
/// created at their status on 2026-11-24 (their milestones inferred from their data).
/// Danger grave: d3 and d6.
#[allow(clippy::too_many_lines)]
async fn data_set(s: &Store) -> Fixture {
    use DossierStatus::*;
    use Sex::*;
    let f = fixture(s).await;
    let a = Actor::user(agent(s, "agent.stats").await, None);
    let create = |d: DossierInput, when: DateTime<Utc>| {
        let a = a.clone();
        async move { s.create_dossier(when, &a, &d).await.unwrap().0 }
    };

    // d0, out of the period: Léo's first dossier.
    let mut d = dossier(
        &f,
        f.t1,
        "2026-07-10T12:00:00Z",
        EnEvaluation,
        "IP",
        "TEL",
        Some("EN"),
        vec![kid(&f, "Léo", Male, exact("2016-05-01"), &["EDUC"])],
    );
    d.assignments = vec![asked(f.s1, "2026-07-13", "2026-10-10", None)];
    d.follow_ups = vec![follow_up(FollowUpKind::ParentsInformed, None, None)];
    let d0 = create(d, now()).await;
    let leo = s.read_dossier(now(), &a, &Scope::All, d0).await.unwrap();

    // d1: successive saves.
    let mut d = dossier(
        &f,
        f.t1,
        "2026-08-03T12:00:00Z",
        Recue,
        "IP",
        "TEL",
        Some("EN"),
        vec![kid(
            &f,
            "Alice",
            Female,
            exact("2025-03-01"),
            &["VIOLPHYS", "NEGLIG"],
        )],
    );
    d.follow_ups = vec![follow_up(
        FollowUpKind::ParentsInformed,
        Some("2026-08-10T10:00:00Z"),
        None,
    )];
    let d1 = s
        .save_dossier(
            at("2026-08-03T12:00:00Z"),
            &a,
            &Scope::All,
            &DossierEdit::create(d),
        )
        .await
        .unwrap()
        .id;
    step(s, &a, d1, "2026-08-04T12:00:00Z", |e| {
        e.input.header.status = Qualifiee;
    })
    .await
    .unwrap();
    step(s, &a, d1, "2026-08-06T12:00:00Z", |e| {
        e.input.header.status = EnEvaluation;
        e.input
            .assignments
            .push(asked(f.s1, "2026-08-06", "2026-11-03", None));
        e.assignments.push(None);
    })
    .await
    .unwrap();
    step(s, &a, d1, "2026-09-25T12:00:00Z", |e| {
        e.input.header.status = Conclue;
        e.input.assignments[0].returned_on = Some(day("2026-09-20"));
        e.input.assignments[0].result_id = result(&f, "DANGER");
        e.input.children[0].evaluation_result_id = result(&f, "DANGER");
        e.input.children[0].conclusion = conclusion(&f, "MESADM", "2026-09-25");
    })
    .await
    .unwrap();

    // d11: returned after the legal deadline (2026-11-07).
    let mut c = kid(&f, "Lina", Female, exact("2019-08-01"), &["NEGLIG"]);
    c.evaluation_result_id = result(&f, "DANGER");
    let mut d = dossier(
        &f,
        f.t2,
        "2026-08-07T12:00:00Z",
        EnEvaluation,
        "DEMRENS",
        "COURRIER",
        Some("ASSO"),
        vec![c],
    );
    d.assignments = vec![AssignmentInput {
        result_id: result(&f, "DANGER"),
        ..asked(f.s2, "2026-08-10", "2026-11-07", Some("2026-11-16"))
    }];
    create(d, now()).await;

    // d2: concluded without evaluation.
    let mut c = kid(&f, "Bruno", Male, exact("2014-01-10"), &["VIOLPSY"]);
    c.conclusion = conclusion(&f, "CSS", "2026-08-14");
    let mut d = dossier(
        &f,
        f.t1,
        "2026-08-12T12:00:00Z",
        Conclue,
        "IP",
        "MEL",
        Some("SOCIAL"),
        vec![c],
    );
    d.follow_ups = vec![follow_up(
        FollowUpKind::ParentsInformed,
        None,
        Some("Contraire à l'intérêt de l'enfant"),
    )];
    create(d, now()).await;

    // d3: danger grave, an unborn child, an evaluation overdue.
    let mut d = dossier(
        &f,
        f.t2,
        "2026-08-20T12:00:00Z",
        EnEvaluation,
        "IP",
        "119",
        Some("119"),
        vec![
            kid(&f, "Chloé", Female, exact("2020-06-01"), &["EDUC"]),
            kid(
                &f,
                "",
                Unknown,
                BirthDate::Expected(day("2026-12-01")),
                &["EDUC"],
            ),
        ],
    );
    d.header.danger_grave = true;
    d.assignments = vec![asked(f.s2, "2026-08-21", "2026-11-20", None)];
    d.follow_ups = vec![
        follow_up(FollowUpKind::Parquet, Some("2026-08-20T15:00:00Z"), None),
        follow_up(FollowUpKind::ParentsInformed, None, None),
    ];
    create(d, now()).await;

    // d4: closed.
    let mut c = kid(&f, "David", Male, exact("2015-09-03"), &["CONFLIT"]);
    c.evaluation_result_id = result(&f, "RISQUE");
    c.conclusion = conclusion(&f, "DROITCOM", "2026-10-15");
    let mut d = dossier(
        &f,
        f.t1,
        "2026-09-02T12:00:00Z",
        Cloturee,
        "IP",
        "COURRIER",
        Some("POLICE"),
        vec![c],
    );
    d.assignments = vec![AssignmentInput {
        result_id: result(&f, "RISQUE"),
        ..asked(f.s1, "2026-09-04", "2026-12-02", Some("2026-10-10"))
    }];
    d.follow_ups = vec![follow_up(
        FollowUpKind::ParentsInformed,
        Some("2026-10-20T09:00:00Z"),
        None,
    )];
    create(d, now()).await;

    // d5: qualified, created on 09-15 at noon.
    let d = dossier(
        &f,
        f.t2,
        "2026-09-10T12:00:00Z",
        Qualifiee,
        "SIGDIR",
        "TEL",
        Some("FAMILLE"),
        vec![kid(
            &f,
            "Emma",
            Female,
            BirthDate::Approximate(day("2023-01-01")),
            &["VIOLSEX"],
        )],
    );
    create(d, at("2026-09-15T12:00:00Z")).await;

    // d6: Léo again, danger grave.
    let mut c = kid(&f, "Léo", Male, exact("2016-05-01"), &["VIOLPHYS"]);
    c.person = leo.children[0].data.person.clone();
    c.person_id = Some(leo.children[0].person_id);
    let mut d = dossier(
        &f,
        f.t2,
        "2026-09-18T12:00:00Z",
        Recue,
        "IP",
        "ENTRETIEN",
        Some("EN"),
        vec![c],
    );
    d.header.danger_grave = true;
    d.follow_ups = vec![follow_up(
        FollowUpKind::Parquet,
        Some("2026-09-18T14:00:00Z"),
        None,
    )];
    let d6 = create(d, now()).await;

    // d7: two services, one still open.
    let mut d = dossier(
        &f,
        f.t1,
        "2026-09-25T12:00:00Z",
        EnEvaluation,
        "IP",
        "TEL",
        Some("EN"),
        vec![
            kid(&f, "Gaëlle", Female, exact("2012-11-30"), &["NEGLIG"]),
            kid(&f, "Gabin", Male, exact("2018-04-04"), &["NEGLIG"]),
        ],
    );
    d.assignments = vec![
        AssignmentInput {
            result_id: result(&f, "NI"),
            ..asked(f.s1, "2026-09-27", "2026-12-25", Some("2026-10-30"))
        },
        asked(f.s2, "2026-09-28", "2026-12-25", None),
    ];
    d.follow_ups = vec![follow_up(
        FollowUpKind::ProfessionalFeedback,
        Some("2026-10-01T10:00:00Z"),
        None,
    )];
    create(d, now()).await;

    // d8: concluded, no source category, a child of unknown age.
    let mut c = kid(&f, "Hugo", Male, BirthDate::Unknown, &["AUTRE"]);
    c.evaluation_result_id = result(&f, "NI");
    c.conclusion = conclusion(&f, "CSS", "2026-10-22");
    let mut d = dossier(
        &f,
        f.t1,
        "2026-10-05T12:00:00Z",
        Conclue,
        "IP",
        "TEL",
        None,
        vec![c],
    );
    d.assignments = vec![AssignmentInput {
        result_id: result(&f, "NI"),
        ..asked(f.s1, "2026-10-06", "2027-01-05", Some("2026-10-20"))
    }];
    d.follow_ups = vec![follow_up(
        FollowUpKind::ParentsInformed,
        Some("2026-10-23T10:00:00Z"),
        None,
    )];
    create(d, now()).await;

    // d9: received on Inès's sixteenth birthday.
    let mut d = dossier(
        &f,
        f.t2,
        "2026-10-12T12:00:00Z",
        Recue,
        "IP",
        "119",
        Some("119"),
        vec![kid(&f, "Inès", Female, exact("2011-10-12"), &["VIOLCONJ"])],
    );
    d.follow_ups = vec![follow_up(FollowUpKind::Feedback119, None, None)];
    create(d, now()).await;

    // d10: an open evaluation and a cancelled one (asked earlier).
    let mut d = dossier(
        &f,
        f.t2,
        "2026-10-20T12:00:00Z",
        EnEvaluation,
        "IP",
        "TEL",
        Some("EN"),
        vec![kid(&f, "Jules", Male, exact("2026-02-01"), &["VIOLPHYS"])],
    );
    d.assignments = vec![
        asked(f.s2, "2026-10-23", "2027-01-20", None),
        AssignmentInput {
            cancelled: true,
            ..asked(f.s2, "2026-10-21", "2027-01-20", None)
        },
    ];
    create(d, now()).await;

    // d6's child is d0's: the dossier screen shows it as an earlier dossier.
    let known = s.read_dossier(now(), &a, &Scope::All, d6).await.unwrap();
    assert_eq!(known.children[0].other_dossiers[0].id, Some(d0));
    f
}

fn period() -> Period {
    Period::dates(day("2026-08-01"), day("2026-10-31")).unwrap()
}

// ---------------------------------------------------------------------------------------
// 1. The figures
// ---------------------------------------------------------------------------------------

#[tokio::test]
#[allow(clippy::too_many_lines)]
async fn the_counts_by_dimension_are_exact() {
    on_both(|db| async move {
        let s = &db.store;
        let f = &data_set(s).await;
        let all = filter(Scope::All, &period());
        let (t1, t2) = (id(f.t1), id(f.t2));
        let (s1, s2) = (id(f.s1), id(f.s2));
        let m = |code: &str| id(p(&f.cat, ParamKind::Motif, code));

        // Totals: eleven dossiers (d0 is in July), thirteen children, eight evaluations
        // (d10's cancelled one aside).
        assert_eq!(total(s, &all, Measure::Dossiers).await, 11);
        assert_eq!(total(s, &all, Measure::Enfants).await, 13);
        assert_eq!(total(s, &all, Measure::Evaluations).await, 8);

        // The territory and type filters.
        let only = |t: Option<i64>, ty: Option<&str>| StatsFilter {
            territory_id: t,
            type_id: ty.map(|c| p(&f.cat, ParamKind::DossierType, c)),
            ..all.clone()
        };
        assert_eq!(
            total(s, &only(Some(f.t2), None), Measure::Dossiers).await,
            6
        );
        assert_eq!(total(s, &only(Some(f.t2), None), Measure::Enfants).await, 7);
        assert_eq!(
            total(s, &only(None, Some("IP")), Measure::Dossiers).await,
            9
        );
        assert_eq!(
            total(s, &only(Some(f.t2), Some("IP")), Measure::Dossiers).await,
            4
        );

        // By territory.
        let by = |d| [Group::Dim(d)];
        assert_eq!(
            count(s, &all, Measure::Dossiers, &by(Dimension::Territoire)).await,
            counts(&[([t1.as_str()], 5), ([t2.as_str()], 6)])
        );

        // By month of reception (Paris), keyed by the bucket's index.
        let buckets = period().buckets(Dimension::Mois, &Paris);
        assert_eq!(buckets.len(), 3);
        assert_eq!(buckets[0].label.label, "août 2026");
        assert_eq!(buckets[0].from, at("2026-07-31T22:00:00Z"));
        assert_eq!(buckets[2].to, at("2026-10-31T23:00:00Z"));
        let months = [Group::Time(&buckets)];
        let by_month_d = count(s, &all, Measure::Dossiers, &months).await;
        assert_eq!(by_month_d, counts(&[(["0"], 4), (["1"], 4), (["2"], 3)]));
        let by_month_e = count(s, &all, Measure::Enfants, &months).await;
        assert_eq!(by_month_e, counts(&[(["0"], 5), (["1"], 5), (["2"], 3)]));
        assert_eq!(
            count(s, &all, Measure::Evaluations, &months).await,
            counts(&[(["0"], 3), (["1"], 3), (["2"], 2)])
        );

        // The same through the measures' table.
        let t = measures_table(
            "par_mois",
            "Par mois",
            Dimension::Mois,
            &f.cat,
            &buckets,
            &[
                (Measure::Dossiers, &by_month_d, 11),
                (Measure::Enfants, &by_month_e, 13),
            ],
        );
        let labels: Vec<&str> = t.rows.items.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["août 2026", "septembre 2026", "octobre 2026"]);
        let c = Value::Count;
        assert_eq!(
            t.cells,
            vec![vec![c(4), c(5)], vec![c(4), c(5)], vec![c(3), c(3)]]
        );
        assert_eq!(t.column_totals, Some(vec![c(11), c(13)]));

        // By motif: a dossier counts once under each of its motifs (d1's child has two,
        // d3's two children the same one), and once in the total.
        let by_motif_d = count(s, &all, Measure::Dossiers, &by(Dimension::Motif)).await;
        assert_eq!(
            by_motif_d,
            counts(&[
                ([m("VIOLPHYS").as_str()], 3),
                ([m("NEGLIG").as_str()], 3),
                ([m("VIOLPSY").as_str()], 1),
                ([m("EDUC").as_str()], 1),
                ([m("VIOLSEX").as_str()], 1),
                ([m("CONFLIT").as_str()], 1),
                ([m("AUTRE").as_str()], 1),
                ([m("VIOLCONJ").as_str()], 1),
            ])
        );
        assert_eq!(by_motif_d.values().sum::<u64>(), 12);
        assert_eq!(
            count(s, &all, Measure::Enfants, &by(Dimension::Motif)).await,
            counts(&[
                ([m("VIOLPHYS").as_str()], 3),
                ([m("NEGLIG").as_str()], 4),
                ([m("VIOLPSY").as_str()], 1),
                ([m("EDUC").as_str()], 2),
                ([m("VIOLSEX").as_str()], 1),
                ([m("CONFLIT").as_str()], 1),
                ([m("AUTRE").as_str()], 1),
                ([m("VIOLCONJ").as_str()], 1),
            ])
        );

        // Two dimensions: children by territory and sex.
        assert_eq!(
            count(
                s,
                &all,
                Measure::Enfants,
                &[
                    Group::Dim(Dimension::Territoire),
                    Group::Dim(Dimension::Sexe)
                ]
            )
            .await,
            counts(&[
                ([t1.as_str(), "F"], 2),
                ([t1.as_str(), "M"], 4),
                ([t2.as_str(), "F"], 4),
                ([t2.as_str(), "M"], 2),
                ([t2.as_str(), "NR"], 1),
            ])
        );
        // A time dimension with another: dossiers by territory and month.
        assert_eq!(
            count(
                s,
                &all,
                Measure::Dossiers,
                &[Group::Dim(Dimension::Territoire), Group::Time(&buckets)]
            )
            .await,
            counts(&[
                ([t1.as_str(), "0"], 2),
                ([t1.as_str(), "1"], 2),
                ([t1.as_str(), "2"], 1),
                ([t2.as_str(), "0"], 2),
                ([t2.as_str(), "1"], 2),
                ([t2.as_str(), "2"], 2),
            ])
        );

        // Age at reception: David is 10 the day before his eleventh birthday, Inès 15 on
        // her birthday; an unborn child and an unknown birth date have their own bands.
        assert_eq!(
            count(s, &all, Measure::Enfants, &by(Dimension::TrancheAge)).await,
            counts(&[
                (["0-2"], 2),
                (["3-5"], 1),
                (["6-10"], 5),
                (["11-14"], 2),
                (["15-17"], 1),
                (["a_naitre"], 1),
                (["inconnu"], 1),
            ])
        );

        // The other dimensions, « Non renseigné » keyed "".
        let code = |k: ParamKind, c: &str| id(p(&f.cat, k, c));
        let cat = |c: &str| code(ParamKind::SourceCategory, c);
        assert_eq!(
            count(
                s,
                &all,
                Measure::Dossiers,
                &by(Dimension::CategorieSignalant)
            )
            .await,
            counts(&[
                ([cat("EN").as_str()], 4),
                ([cat("SOCIAL").as_str()], 1),
                ([cat("119").as_str()], 2),
                ([cat("ASSO").as_str()], 1),
                ([cat("POLICE").as_str()], 1),
                ([cat("FAMILLE").as_str()], 1),
                ([""], 1),
            ])
        );
        let ch = |c: &str| code(ParamKind::Channel, c);
        assert_eq!(
            count(s, &all, Measure::Dossiers, &by(Dimension::Support)).await,
            counts(&[
                ([ch("TEL").as_str()], 5),
                ([ch("MEL").as_str()], 1),
                ([ch("119").as_str()], 2),
                ([ch("COURRIER").as_str()], 2),
                ([ch("ENTRETIEN").as_str()], 1),
            ])
        );
        let ty = |c: &str| code(ParamKind::DossierType, c);
        assert_eq!(
            count(s, &all, Measure::Dossiers, &by(Dimension::Type)).await,
            counts(&[
                ([ty("IP").as_str()], 9),
                ([ty("DEMRENS").as_str()], 1),
                ([ty("SIGDIR").as_str()], 1),
            ])
        );
        assert_eq!(
            count(s, &all, Measure::Dossiers, &by(Dimension::Statut)).await,
            counts(&[
                (["recue"], 2),
                (["qualifiee"], 1),
                (["en_evaluation"], 4),
                (["conclue"], 3),
                (["cloturee"], 1),
            ])
        );
        // Services: a dossier under each service asked (d7 under both), the cancelled
        // request aside; evaluations by service.
        assert_eq!(
            count(s, &all, Measure::Dossiers, &by(Dimension::Service)).await,
            counts(&[([s1.as_str()], 4), ([s2.as_str()], 4)])
        );
        assert_eq!(
            count(s, &all, Measure::Evaluations, &by(Dimension::Service)).await,
            counts(&[([s1.as_str()], 4), ([s2.as_str()], 4)])
        );
        let res = |c: &str| code(ParamKind::EvaluationResult, c);
        assert_eq!(
            count(
                s,
                &all,
                Measure::Evaluations,
                &by(Dimension::ResultatEvaluation)
            )
            .await,
            counts(&[
                ([res("DANGER").as_str()], 2),
                ([res("RISQUE").as_str()], 1),
                ([res("NI").as_str()], 2),
                ([""], 3),
            ])
        );
        let conc = |c: &str| code(ParamKind::Conclusion, c);
        assert_eq!(
            count(s, &all, Measure::Enfants, &by(Dimension::Conclusion)).await,
            counts(&[
                ([conc("MESADM").as_str()], 1),
                ([conc("CSS").as_str()], 2),
                ([conc("DROITCOM").as_str()], 1),
                ([""], 9),
            ])
        );
        db
    })
    .await;
}

#[tokio::test]
async fn a_crosstab_counts_its_margins_instead_of_summing_them() {
    on_both(|db| async move {
        let s = &db.store;
        let f = &data_set(s).await;
        let all = filter(Scope::All, &period());
        let (t1, t2) = (id(f.t1), id(f.t2));
        let m = |code: &str| id(p(&f.cat, ParamKind::Motif, code));
        let rows = Group::Dim(Dimension::Motif);
        let cols = Group::Dim(Dimension::Territoire);
        let n = CrossCounts {
            cells: count(s, &all, Measure::Dossiers, &[rows, cols]).await,
            rows: count(s, &all, Measure::Dossiers, &[rows]).await,
            columns: count(s, &all, Measure::Dossiers, &[cols]).await,
            total: total(s, &all, Measure::Dossiers).await,
        };
        assert_eq!(
            n.cells,
            counts(&[
                ([m("VIOLPHYS").as_str(), t1.as_str()], 1),
                ([m("VIOLPHYS").as_str(), t2.as_str()], 2),
                ([m("NEGLIG").as_str(), t1.as_str()], 2),
                ([m("NEGLIG").as_str(), t2.as_str()], 1),
                ([m("VIOLPSY").as_str(), t1.as_str()], 1),
                ([m("CONFLIT").as_str(), t1.as_str()], 1),
                ([m("AUTRE").as_str(), t1.as_str()], 1),
                ([m("EDUC").as_str(), t2.as_str()], 1),
                ([m("VIOLSEX").as_str(), t2.as_str()], 1),
                ([m("VIOLCONJ").as_str(), t2.as_str()], 1),
            ])
        );
        let spec = Spec {
            key: "motifs_territoires",
            title: "Motifs par territoire".into(),
            measure: Measure::Dossiers,
            rows: Dimension::Motif,
            columns: Some(Dimension::Territoire),
        };
        let t = crosstab(&spec, &f.cat, &[], &n);
        let row = |code: &str| {
            t.rows
                .items
                .iter()
                .position(|l| l.code == code)
                .unwrap_or_else(|| panic!("row {code}"))
        };
        let col = |code: &str| {
            t.columns
                .items
                .iter()
                .position(|l| l.code == code)
                .unwrap_or_else(|| panic!("column {code}"))
        };
        let c = Value::Count;
        // Every active motif is a row, in the catalog's order; no « Non renseigné ».
        assert_eq!(
            t.rows.items.len(),
            f.cat.of_kind(ParamKind::Motif).filter(|v| v.active).count()
        );
        assert!(t.rows.items.iter().all(|l| !l.code.is_empty()));
        assert_eq!(t.columns.items.len(), 2);
        let (i1, i2) = (col(&t1), col(&t2));
        assert_eq!(t.columns.items[i1].label, "MDS Bourges Nord");
        let cells = &t.cells;
        assert_eq!(cells[row(&m("NEGLIG"))][i1], c(2));
        assert_eq!(cells[row(&m("NEGLIG"))][i2], c(1));
        assert_eq!(cells[row(&m("VIOLPHYS"))][i2], c(2));
        assert_eq!(cells[row(&m("MNA"))][i1], c(0));
        // Row totals are the motifs' counts…
        let rt = t.row_totals.as_ref().unwrap();
        assert_eq!(rt[row(&m("VIOLPHYS"))], c(3));
        assert_eq!(rt[row(&m("NEGLIG"))], c(3));
        assert_eq!(rt[row(&m("EDUC"))], c(1));
        assert_eq!(rt[row(&m("MNA"))], c(0));
        // …column totals the territories' dossiers: T1 has 5, though its cells sum to 6
        // (d1 under two motifs)…
        let ct = t.column_totals.as_ref().unwrap();
        assert_eq!(ct[i1], c(5));
        assert_eq!(ct[i2], c(6));
        let sum_t1: u64 = cells
            .iter()
            .map(|r| match r[i1] {
                Value::Count(n) => n,
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(sum_t1, 6);
        // …and the total the dossiers, once each.
        assert_eq!(t.total, Some(c(11)));
        assert!(t.note.as_deref().unwrap().contains("Un dossier"));
        db
    })
    .await;
}

#[tokio::test]
#[allow(clippy::too_many_lines)]
async fn delays_overdue_follow_ups_known_children_and_danger_are_exact() {
    on_both(|db| async move {
        let s = &db.store;
        let f = &data_set(s).await;
        let all = filter(Scope::All, &period());

        // One row per dossier of the period, with what its delays need.
        let mut rows = s.stats_delay_facts(&all).await.unwrap();
        rows.sort_by_key(|r| r.received_on);
        let seen: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.received_on,
                    r.qualified_on,
                    r.concluded_on,
                    r.returned_on,
                    r.youngest_birth,
                )
            })
            .collect();
        // The local dates of the saves' instants (noon UTC).
        let noon = |d: &str| Some(day(d));
        let row = |received: &str,
                   qualified: Option<NaiveDate>,
                   concluded: Option<NaiveDate>,
                   returned: Option<&str>,
                   youngest: Option<&str>| {
            (
                day(received),
                qualified,
                concluded,
                returned.map(day),
                youngest.map(day),
            )
        };
        assert_eq!(
            seen,
            vec![
                // d1: the saves' instants.
                row(
                    "2026-08-03",
                    noon("2026-08-04"),
                    noon("2026-09-25"),
                    Some("2026-09-20"),
                    Some("2025-03-01")
                ),
                // d11: qualified when the evaluation was asked (noon UTC).
                row(
                    "2026-08-07",
                    noon("2026-08-10"),
                    None,
                    Some("2026-11-16"),
                    Some("2019-08-01")
                ),
                // d2: qualified and concluded on the conclusion's date.
                row(
                    "2026-08-12",
                    noon("2026-08-14"),
                    noon("2026-08-14"),
                    None,
                    Some("2014-01-10")
                ),
                // d3: the youngest is the unborn child (expected term).
                row(
                    "2026-08-20",
                    noon("2026-08-21"),
                    None,
                    None,
                    Some("2026-12-01")
                ),
                // d4: closed; concluded on its conclusion date.
                row(
                    "2026-09-02",
                    noon("2026-09-04"),
                    noon("2026-10-15"),
                    Some("2026-10-10"),
                    Some("2015-09-03")
                ),
                // d5: qualified at its creation.
                row(
                    "2026-09-10",
                    noon("2026-09-15"),
                    None,
                    None,
                    Some("2023-01-01")
                ),
                // d6: reçue.
                row("2026-09-18", None, None, None, Some("2016-05-01")),
                // d7: one evaluation still open: not returned.
                row(
                    "2026-09-25",
                    noon("2026-09-27"),
                    None,
                    None,
                    Some("2018-04-04")
                ),
                // d8: no birth date.
                row(
                    "2026-10-05",
                    noon("2026-10-06"),
                    noon("2026-10-22"),
                    Some("2026-10-20"),
                    None
                ),
                row("2026-10-12", None, None, None, Some("2011-10-12")),
                // d10: the cancelled request (10-21) is not the first one asked.
                row(
                    "2026-10-20",
                    noon("2026-10-23"),
                    None,
                    None,
                    Some("2026-02-01")
                ),
            ]
        );

        // The delays in days: qualification [1,1,1,2,2,2,3,3,5], evaluation returned
        // [15,38,48,101], conclusion [2,17,43,53].
        let d = Delays::of(&rows, None);
        // The counters give the same figures.
        assert_eq!(s.stats_delays(&all).await.unwrap().delays(None), d);
        assert_eq!(d.series.len(), 3);
        assert_eq!(
            d.series[0].1,
            vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 5.0]
        );
        assert_eq!(d.series[1].1, vec![15.0, 38.0, 48.0, 101.0]);
        assert_eq!(d.series[2].1, vec![2.0, 17.0, 43.0, 53.0]);
        let pct = |i: usize, q: f64| percentile(&d.series[i].1, q).unwrap();
        assert!(close(pct(0, 50.0), 2.0), "{}", pct(0, 50.0));
        assert!(close(pct(0, 90.0), 3.4), "{}", pct(0, 90.0));
        assert!(close(pct(1, 50.0), 43.0), "{}", pct(1, 50.0));
        assert!(close(pct(1, 90.0), 85.1), "{}", pct(1, 90.0));
        assert!(close(pct(2, 50.0), 30.0), "{}", pct(2, 50.0));
        assert!(close(pct(2, 90.0), 50.0), "{}", pct(2, 90.0));
        assert!(close(d.median_conclusion().unwrap(), 30.0));
        // Within the legal three months: d1, d4, d8; d11 after (due 11-07, returned 11-16).
        assert_eq!((d.within, d.late), (3, 1));
        assert!(close(d.share_within().unwrap(), 75.0));
        let table = d.table(false);
        assert_eq!(table.cells[0][0], Value::Count(9));
        assert!(matches!(table.cells[0][1], Value::Days(v) if close(v, 2.0)));
        assert!(matches!(table.cells[0][2], Value::Days(v) if close(v, 3.4)));
        assert_eq!(table.cells[1][0], Value::Count(4));
        // Four dossiers or fewer: hidden from an aggregates-only reader.
        assert_eq!(d.table(true).cells[1], vec![Value::Suppressed; 3]);
        assert_eq!(
            d.deadline_table().column_totals,
            Some(vec![Value::Count(4)])
        );
        // With a one-month deadline for the under-twos, d1 (Alice, 17 months) is late too.
        let d = Delays::of(&rows, Some(1));
        assert_eq!((d.within, d.late), (2, 2));
        // The same through the setting.
        s.set_under_two_months(now(), &Actor::system(), Some(1))
            .await
            .unwrap();
        let d = Delays::of(&rows, s.under_two_months().await.unwrap());
        assert_eq!((d.within, d.late), (2, 2));
        let counted = s.stats_delays(&all).await.unwrap();
        assert_eq!(counted.delays(s.under_two_months().await.unwrap()), d);

        // Evaluations overdue on a given day, by service, whatever the period: d0's (S1,
        // due 10-10) and d3's (S2, due 11-20).
        let overdue = |scope: Scope, t: Option<i64>, ty: Option<i64>, today: &str| {
            let s = s.clone();
            let today = day(today);
            async move {
                let mut v = s.stats_overdue(&scope, t, ty, today).await.unwrap();
                v.sort_by_key(|r| r.service_id);
                v
            }
        };
        let row = |service_id, count| OverdueRow { service_id, count };
        assert_eq!(
            overdue(Scope::All, None, None, "2026-11-24").await,
            vec![row(f.s1, 1), row(f.s2, 1)]
        );
        // Due on the 20th is not overdue on the 20th.
        assert_eq!(
            overdue(Scope::All, None, None, "2026-11-20").await,
            vec![row(f.s1, 1)]
        );
        assert_eq!(
            overdue(Scope::All, None, None, "2026-11-21").await,
            vec![row(f.s1, 1), row(f.s2, 1)]
        );
        assert!(
            overdue(Scope::All, None, None, "2026-10-10")
                .await
                .is_empty()
        );
        // Open or cancelled requests due later never count; the filters apply.
        assert_eq!(
            overdue(Scope::All, Some(f.t2), None, "2026-11-24").await,
            vec![row(f.s2, 1)]
        );
        let sigdir = p(&f.cat, ParamKind::DossierType, "SIGDIR");
        assert!(
            overdue(Scope::All, None, Some(sigdir), "2026-11-24")
                .await
                .is_empty()
        );
        // On 2026-12-26, d7's S2 request (due 12-25) is overdue too; d10's cancelled one
        // (due 2027-01-20) never.
        assert_eq!(
            overdue(Scope::All, None, None, "2026-12-26").await,
            vec![row(f.s1, 1), row(f.s2, 2)]
        );
        assert_eq!(
            overdue(Scope::All, None, None, "2027-01-21").await,
            vec![row(f.s1, 1), row(f.s2, 3)]
        );

        // Follow-ups of the period, in the kinds' order (d0's pending one is in July).
        let fu = |kind, done, not_done, pending| FollowUpRow {
            kind,
            done,
            not_done,
            pending,
        };
        assert_eq!(
            s.stats_follow_ups(&all).await.unwrap(),
            vec![
                fu(FollowUpKind::Parquet, 2, 0, 0),
                fu(FollowUpKind::ParentsInformed, 3, 1, 1),
                fu(FollowUpKind::ProfessionalFeedback, 1, 0, 0),
                fu(FollowUpKind::Feedback119, 0, 0, 1),
            ]
        );

        // Known children (d6: Léo had d0 in July) and danger grave (d3, d6).
        assert_eq!(s.stats_known_and_danger(&all).await.unwrap(), (1, 2));
        // d0 itself, alone in July: no earlier dossier.
        let july = filter(Scope::All, &Period::month(2026, 7).unwrap());
        assert_eq!(s.stats_known_and_danger(&july).await.unwrap(), (0, 0));
        assert_eq!(total(s, &july, Measure::Dossiers).await, 1);
        // An empty period: nothing, without error.
        let empty = filter(Scope::All, &Period::month(2025, 7).unwrap());
        assert_eq!(s.stats_known_and_danger(&empty).await.unwrap(), (0, 0));
        assert!(s.stats_follow_ups(&empty).await.unwrap().is_empty());
        assert!(s.stats_delay_facts(&empty).await.unwrap().is_empty());
        assert_eq!(s.stats_delays(&empty).await.unwrap(), Default::default());
        assert_eq!(total(s, &empty, Measure::Enfants).await, 0);
        db
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 2. The scope
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_evaluator_counts_only_the_dossiers_of_their_scope() {
    on_both(|db| async move {
        let s = &db.store;
        let f = &data_set(s).await;
        let (t1, t2) = (id(f.t1), id(f.t2));
        let (s1, s2) = (id(f.s1), id(f.s2));

        // Territory T1 and service S2: T1's five dossiers, and d3, d10, d11 of T2 (asked
        // to S2); not d5, d6, d9.
        let scope = Scope::for_user(Role::EvaluateurTerritorial, &[f.t1], Some(f.s2));
        let e = filter(scope.clone(), &period());
        assert_eq!(total(s, &e, Measure::Dossiers).await, 8);
        assert_eq!(total(s, &e, Measure::Enfants).await, 10);
        assert_eq!(total(s, &e, Measure::Evaluations).await, 8);
        assert_eq!(
            count(
                s,
                &e,
                Measure::Dossiers,
                &[Group::Dim(Dimension::Territoire)]
            )
            .await,
            counts(&[([t1.as_str()], 5), ([t2.as_str()], 3)])
        );
        assert_eq!(
            count(s, &e, Measure::Dossiers, &[Group::Dim(Dimension::Service)]).await,
            counts(&[([s1.as_str()], 4), ([s2.as_str()], 4)])
        );
        assert_eq!(
            s.stats_follow_ups(&e).await.unwrap(),
            vec![
                FollowUpRow {
                    kind: FollowUpKind::Parquet,
                    done: 1,
                    not_done: 0,
                    pending: 0
                },
                FollowUpRow {
                    kind: FollowUpKind::ParentsInformed,
                    done: 3,
                    not_done: 1,
                    pending: 1
                },
                FollowUpRow {
                    kind: FollowUpKind::ProfessionalFeedback,
                    done: 1,
                    not_done: 0,
                    pending: 0
                },
            ]
        );
        // d6 (known, danger grave) is outside; d3 (danger grave) inside.
        assert_eq!(s.stats_known_and_danger(&e).await.unwrap(), (0, 1));
        assert_eq!(s.stats_delay_facts(&e).await.unwrap().len(), 8);

        // Service S1 only (no territory): d1, d4, d7, d8 (d2, in T1, was never asked to
        // S1); by service, d7 also under S2.
        let scope = Scope::for_user(Role::EvaluateurTerritorial, &[], Some(f.s1));
        let e = filter(scope.clone(), &period());
        assert_eq!(total(s, &e, Measure::Dossiers).await, 4);
        assert_eq!(total(s, &e, Measure::Enfants).await, 5);
        assert_eq!(
            count(s, &e, Measure::Dossiers, &[Group::Dim(Dimension::Service)]).await,
            counts(&[([s1.as_str()], 4), ([s2.as_str()], 1)])
        );
        assert_eq!(
            count(
                s,
                &e,
                Measure::Evaluations,
                &[Group::Dim(Dimension::Service)]
            )
            .await,
            counts(&[([s1.as_str()], 4), ([s2.as_str()], 1)])
        );
        // Overdue: d0 (July, S1) is in this scope, d3 (T2, S2) is not.
        let mut o = s
            .stats_overdue(&scope, None, None, day("2026-11-24"))
            .await
            .unwrap();
        o.sort_by_key(|r| r.service_id);
        assert_eq!(
            o,
            vec![OverdueRow {
                service_id: f.s1,
                count: 1
            }]
        );

        // Territory T2 and service S1: T2's six, and d1, d4, d7, d8 of T1.
        let scope = Scope::for_user(Role::EvaluateurTerritorial, &[f.t2], Some(f.s1));
        assert_eq!(
            total(s, &filter(scope, &period()), Measure::Dossiers).await,
            10
        );

        // No scope: nothing.
        let nothing = filter(Scope::Nothing, &period());
        assert_eq!(total(s, &nothing, Measure::Dossiers).await, 0);
        assert!(
            count(
                s,
                &nothing,
                Measure::Dossiers,
                &[Group::Dim(Dimension::Motif)]
            )
            .await
            .is_empty()
        );
        assert_eq!(s.stats_known_and_danger(&nothing).await.unwrap(), (0, 0));
        assert!(
            s.stats_overdue(&Scope::Nothing, None, None, day("2026-11-24"))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            Scope::for_user(Role::EvaluateurTerritorial, &[], None),
            Scope::Nothing
        );
        db
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 3. Months and years of the département
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_dossier_received_after_local_midnight_counts_in_the_new_month_and_year() {
    on_both(|db| async move {
        let s = &db.store;
        assert_eq!(s.timezone(), chrono_tz::Europe::Paris);
        let f = fixture(s).await;
        let a = Actor::system();
        let kid = || vec![child("Martin", "Léa", BirthDate::Unknown)];
        // 1 January 2026 at 00:30 in Paris (winter, UTC+1), in T1.
        s.create_dossier(now(), &a, &simple(&f, f.t1, "2025-12-31T23:30:00Z", kid()))
            .await
            .unwrap();
        // 31 December 2025 at 23:30 in Paris, in T2.
        s.create_dossier(now(), &a, &simple(&f, f.t2, "2025-12-31T22:30:00Z", kid()))
            .await
            .unwrap();
        // 1 July 2026 at 00:30 in Paris (summer, UTC+2), in T1; 30 June 23:30, in T2.
        s.create_dossier(now(), &a, &simple(&f, f.t1, "2026-06-30T22:30:00Z", kid()))
            .await
            .unwrap();
        s.create_dossier(now(), &a, &simple(&f, f.t2, "2026-06-30T21:30:00Z", kid()))
            .await
            .unwrap();
        let (t1, t2) = (id(f.t1), id(f.t2));
        let all = |p: &Period| filter(Scope::All, p);

        // Months: December 2025 then January 2026.
        let p = Period::dates(day("2025-12-01"), day("2026-01-31")).unwrap();
        let b = p.buckets(Dimension::Mois, &Paris);
        assert_eq!(b[1].label.code, "2026-01");
        assert_eq!(
            count(
                s,
                &all(&p),
                Measure::Dossiers,
                &[Group::Dim(Dimension::Territoire), Group::Time(&b)]
            )
            .await,
            counts(&[([t2.as_str(), "0"], 1), ([t1.as_str(), "1"], 1)])
        );
        // Years.
        let p = Period::dates(day("2025-01-01"), day("2026-12-31")).unwrap();
        let b = p.buckets(Dimension::Annee, &Paris);
        assert_eq!(b.len(), 2);
        assert_eq!(
            count(
                s,
                &all(&p),
                Measure::Dossiers,
                &[Group::Time(&b), Group::Dim(Dimension::Territoire)]
            )
            .await,
            counts(&[
                (["0", t2.as_str()], 1),
                (["1", t1.as_str()], 2),
                (["1", t2.as_str()], 1),
            ])
        );
        // Quarters: June's in T2, July's in T3.
        let b = Period::year(2026)
            .unwrap()
            .buckets(Dimension::Trimestre, &Paris);
        assert_eq!(
            count(
                s,
                &all(&Period::year(2026).unwrap()),
                Measure::Dossiers,
                &[Group::Time(&b), Group::Dim(Dimension::Territoire)]
            )
            .await,
            counts(&[
                (["0", t1.as_str()], 1),
                (["1", t2.as_str()], 1),
                (["2", t1.as_str()], 1),
            ])
        );
        // The period itself: the year 2026 has three of them, December 2025 one, July
        // 2026 one.
        assert_eq!(
            total(s, &all(&Period::year(2026).unwrap()), Measure::Dossiers).await,
            3
        );
        assert_eq!(
            total(s, &all(&Period::year(2025).unwrap()), Measure::Dossiers).await,
            1
        );
        let july = all(&Period::month(2026, 7).unwrap());
        assert_eq!(
            count(
                s,
                &july,
                Measure::Dossiers,
                &[Group::Dim(Dimension::Territoire)]
            )
            .await,
            counts(&[([t1.as_str()], 1)])
        );
        let june = all(&Period::month(2026, 6).unwrap());
        assert_eq!(
            count(
                s,
                &june,
                Measure::Dossiers,
                &[Group::Dim(Dimension::Territoire)]
            )
            .await,
            counts(&[([t2.as_str()], 1)])
        );
        // The delays' local date of reception too.
        let rows = s
            .stats_delay_facts(&all(&Period::month(2026, 1).unwrap()))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].received_on, day("2026-01-01"));
        db
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 4. Milestones: recorded by the saves, inferred at creation
// ---------------------------------------------------------------------------------------

/// Dossiers whose milestones are recorded or inferred, with the milestones expected.
#[allow(clippy::too_many_lines)]
async fn milestone_cases(s: &Store) -> Vec<(i64, Milestones)> {
    use DossierStatus::*;
    let f = fixture(s).await;
    let a = Actor::user(agent(s, "agent.jalons").await, None);
    let css = |on: &str| conclusion(&f, "CSS", on);

    // e1: reçue → qualifiée → en évaluation → conclue, reopened, concluded, closed.
    let d = simple(
        &f,
        f.t1,
        "2026-05-04T08:00:00Z",
        vec![child("Petit", "Paul", exact("2015-01-01"))],
    );
    let e1 = s
        .save_dossier(
            at("2026-05-04T09:00:00Z"),
            &a,
            &Scope::All,
            &DossierEdit::create(d),
        )
        .await
        .unwrap()
        .id;
    step(s, &a, e1, "2026-05-05T09:00:00Z", |e| {
        e.input.header.status = Qualifiee;
    })
    .await
    .unwrap();
    step(s, &a, e1, "2026-05-06T09:00:00Z", |e| {
        e.input.header.status = EnEvaluation;
        e.input
            .assignments
            .push(asked(f.s1, "2026-05-06", "2026-08-04", None));
        e.assignments.push(None);
    })
    .await
    .unwrap();
    // Refused (the child has no conclusion): nothing recorded.
    let refused = step(s, &a, e1, "2026-05-15T09:00:00Z", |e| {
        e.input.header.status = Conclue;
    })
    .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    step(s, &a, e1, "2026-05-21T09:00:00Z", |e| {
        e.input.header.status = Conclue;
        e.input.assignments[0].returned_on = Some(day("2026-05-20"));
        e.input.children[0].conclusion = css("2026-05-21");
    })
    .await
    .unwrap();
    step(s, &a, e1, "2026-05-22T09:00:00Z", |e| {
        e.input.header.status = EnEvaluation;
        e.status_reason = Some("Élément nouveau".into());
    })
    .await
    .unwrap();
    // A save that does not change the status records nothing.
    step(s, &a, e1, "2026-05-22T15:00:00Z", |e| {
        e.input.header.observation = Some("Nouvelle évaluation".into());
    })
    .await
    .unwrap();
    step(s, &a, e1, "2026-05-23T09:00:00Z", |e| {
        e.input.header.status = Conclue;
    })
    .await
    .unwrap();
    step(s, &a, e1, "2026-05-24T09:00:00Z", |e| {
        e.input.header.status = Cloturee;
    })
    .await
    .unwrap();
    let m1 = ms(
        Some("2026-05-05T09:00:00Z"),
        Some("2026-05-06T09:00:00Z"),
        Some("2026-05-23T09:00:00Z"),
        Some("2026-05-24T09:00:00Z"),
    );

    // e2: created concluded without evaluation (the save infers from the conclusion date).
    let mut c = child("Petit", "Zoé", exact("2016-01-01"));
    c.conclusion = css("2026-05-09");
    let mut d = simple(&f, f.t1, "2026-05-08T08:00:00Z", vec![c]);
    d.header.status = Conclue;
    let mut e = DossierEdit::create(d);
    e.direct = Some(DirectConclusionCode::AlreadyFollowed);
    let e2 = s
        .save_dossier(at("2026-05-10T09:00:00Z"), &a, &Scope::All, &e)
        .await
        .unwrap()
        .id;
    let m2 = ms(
        Some("2026-05-09T12:00:00Z"),
        None,
        Some("2026-05-09T12:00:00Z"),
        None,
    );

    // e3: created qualifiée (its creation is its qualification), then concluded directly.
    let mut d = simple(
        &f,
        f.t2,
        "2026-05-11T08:00:00Z",
        vec![child("Petit", "Noé", exact("2017-01-01"))],
    );
    d.header.status = Qualifiee;
    let e3 = s
        .save_dossier(
            at("2026-05-11T09:00:00Z"),
            &a,
            &Scope::All,
            &DossierEdit::create(d),
        )
        .await
        .unwrap()
        .id;
    step(s, &a, e3, "2026-05-12T09:00:00Z", |e| {
        e.input.header.status = Conclue;
        e.direct = Some(DirectConclusionCode::NotAnIp);
        e.input.children[0].conclusion = css("2026-05-12");
    })
    .await
    .unwrap();
    let m3 = ms(
        Some("2026-05-11T09:00:00Z"),
        None,
        Some("2026-05-12T09:00:00Z"),
        None,
    );

    // e4: created « en évaluation » (an import): sent to evaluation at noon UTC of the
    // first request (the cancelled one aside), qualified then.
    let mut d = simple(
        &f,
        f.t2,
        "2026-05-13T08:00:00Z",
        vec![child("Petit", "Max", exact("2018-01-01"))],
    );
    d.header.status = EnEvaluation;
    d.assignments = vec![
        AssignmentInput {
            cancelled: true,
            ..asked(f.s2, "2026-05-13", "2026-08-13", None)
        },
        asked(f.s2, "2026-05-15", "2026-08-13", None),
    ];
    let (e4, _) = s
        .create_dossier(at("2026-05-20T10:00:00Z"), &a, &d)
        .await
        .unwrap();
    let m4 = ms(
        Some("2026-05-15T12:00:00Z"),
        Some("2026-05-15T12:00:00Z"),
        None,
        None,
    );

    // e5: created « en évaluation » with a request dated before the reception, and
    // created « clôturée » with a follow-up done after the creation: clamped to
    // [reception, creation].
    let mut d = simple(
        &f,
        f.t2,
        "2026-05-16T08:00:00Z",
        vec![child("Petit", "Léon", exact("2018-02-01"))],
    );
    d.header.status = EnEvaluation;
    d.assignments = vec![asked(f.s2, "2026-05-14", "2026-08-16", None)];
    let (e5, _) = s
        .create_dossier(at("2026-05-20T10:00:00Z"), &a, &d)
        .await
        .unwrap();
    let m5 = ms(
        Some("2026-05-16T08:00:00Z"),
        Some("2026-05-16T08:00:00Z"),
        None,
        None,
    );
    let mut c = child("Petit", "Lou", exact("2018-03-01"));
    c.conclusion = css("2026-05-18");
    let mut d = simple(&f, f.t1, "2026-05-17T08:00:00Z", vec![c]);
    d.header.status = Cloturee;
    d.assignments = vec![asked(f.s1, "2026-05-17", "2026-08-17", Some("2026-05-18"))];
    d.follow_ups = vec![follow_up(
        FollowUpKind::ParentsInformed,
        Some("2026-05-25T10:00:00Z"),
        None,
    )];
    let (e6, _) = s
        .create_dossier(at("2026-05-20T10:00:00Z"), &a, &d)
        .await
        .unwrap();
    let m6 = ms(
        Some("2026-05-17T12:00:00Z"),
        Some("2026-05-17T12:00:00Z"),
        Some("2026-05-18T12:00:00Z"),
        Some("2026-05-20T10:00:00Z"),
    );

    // e7: reçue: no milestone.
    let d = simple(
        &f,
        f.t1,
        "2026-05-18T08:00:00Z",
        vec![child("Petit", "Ada", exact("2019-01-01"))],
    );
    let (e7, _) = s
        .create_dossier(at("2026-05-20T10:00:00Z"), &a, &d)
        .await
        .unwrap();

    vec![
        (e1, m1),
        (e2, m2),
        (e3, m3),
        (e4, m4),
        (e5, m5),
        (e6, m6),
        (e7, Milestones::default()),
    ]
}

#[tokio::test]
async fn a_save_records_the_moment_of_each_stage_and_a_creation_infers_them() {
    on_both(|db| async move {
        let s = &db.store;
        let cases = milestone_cases(s).await;
        let ids: Vec<i64> = cases.iter().map(|(id, _)| *id).collect();
        let got = milestones_at(&db.app_url(), &ids).await;
        for ((id, want), got) in cases.iter().zip(&got) {
            assert_eq!(got, want, "dossier {id}");
        }
        // No row for a dossier that never left « reçue ».
        let n = vigie_store::testing::raw_texts(
            s,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM dossier_milestone WHERE dossier_id = {}",
                ids[6]
            ),
        )
        .await;
        assert_eq!(n, vec![Some("0".to_owned())]);
        // The delays read them: e1 qualified a day after its reception, concluded 19 days
        // and one hour after it.
        let may = filter(Scope::All, &Period::month(2026, 5).unwrap());
        let rows = s.stats_delay_facts(&may).await.unwrap();
        let e1 = rows
            .iter()
            .find(|r| r.received_on == day("2026-05-04"))
            .unwrap();
        assert_eq!(e1.qualified_on, Some(day("2026-05-05")));
        assert_eq!(e1.concluded_on, Some(day("2026-05-23")));
        assert_eq!(e1.returned_on, Some(day("2026-05-20")));
        db
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 5. Migration 12 fills the milestones of the dossiers stored before it
// ---------------------------------------------------------------------------------------

/// The `revision.part` of a header revision, as every save since schema v2 writes it
/// (`Part::Header.code()`: `entete`): the backfill must read them by that code.
const HEADER: &str = vigie_domain::dossier::Part::Header.code();

/// A header revision of dossier `id` (version `version`, at `when`) that changes the
/// status from label `old` to label `new`, as the saves wrote them before version 12.
async fn status_revision(s: &Store, id: i64, version: i64, when: &str, old: &str, new: &str) {
    raw_sql(
        s,
        &format!(
            "INSERT INTO revision (dossier_id, part, part_id, part_label, version, at, user_id, reason, changes) \
             VALUES ({id}, '{HEADER}', NULL, 'Dossier', {version}, '{when}', NULL, NULL, \
             '[{{\"field\":\"status\",\"label\":\"Statut\",\"old\":\"{old}\",\"new\":\"{new}\"}}]')"
        ),
    )
    .await
    .unwrap();
}

async fn set_status(s: &Store, id: i64, status: DossierStatus) {
    raw_sql(
        s,
        &format!(
            "UPDATE dossier SET status = '{}' WHERE id = {id}",
            status.code()
        ),
    )
    .await
    .unwrap();
}

/// On a database at version 11 (`owner` migrates it; `url` reaches it as the owner):
/// dossiers and their history as the program of version 11 stored them, then the
/// migration to the latest version, then the milestones it filled.
#[allow(clippy::too_many_lines)]
async fn backfill_case(owner: &Store, url: &DbUrl) {
    use DossierStatus::*;
    let v11: Vec<Migration> = migrations()
        .into_iter()
        .filter(|m| m.version <= 11)
        .collect();
    assert_eq!(
        owner.migrate_with(&v11, now()).await.unwrap(),
        (1..=11).collect::<Vec<i64>>()
    );
    owner
        .init_instance(now(), false, &["18".into()])
        .await
        .unwrap();
    assert!(
        !table_names(owner)
            .await
            .contains(&"dossier_milestone".to_owned())
    );
    // Today's saves also write the tables of versions 12 and 13: they stand in while the
    // data of version 11 are written, and go before the migration.
    for t in [
        "CREATE TABLE dossier_milestone (dossier_id BIGINT PRIMARY KEY, qualified_at TIMESTAMPTZ,
            evaluation_at TIMESTAMPTZ, concluded_at TIMESTAMPTZ, closed_at TIMESTAMPTZ)",
        "CREATE TABLE stat_counter (kind TEXT NOT NULL, via BIGINT NOT NULL, month BIGINT NOT NULL,
            territory_id BIGINT NOT NULL, type_id BIGINT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL,
            n BIGINT NOT NULL, PRIMARY KEY (kind, via, month, territory_id, type_id, k1, k2))",
    ] {
        raw_sql(owner, t).await.unwrap();
    }
    let f = fixture(owner).await;
    let a = Actor::system();
    let css = |on: &str| conclusion(&f, "CSS", on);
    // Created « reçue » through the store (which version 11 could do too), then given the
    // status and the revisions version 11's saves wrote.
    let create = |d: DossierInput, when: &str| {
        let a = a.clone();
        let when = at(when);
        async move { owner.create_dossier(when, &a, &d).await.unwrap().0 }
    };

    // b1: reçue → qualifiée → en évaluation by two saves (the request's date is ignored:
    // the saves' moments are known).
    let mut d = simple(
        &f,
        f.t1,
        "2026-03-02T07:00:00Z",
        vec![child("Ancien", "Aline", exact("2015-01-01"))],
    );
    d.assignments = vec![asked(f.s1, "2026-03-04", "2026-06-02", None)];
    let b1 = create(d, "2026-03-02T08:00:00Z").await;
    status_revision(owner, b1, 2, "2026-03-03T09:00:00Z", "Reçue", "Qualifiée").await;
    status_revision(
        owner,
        b1,
        3,
        "2026-03-05T09:00:00Z",
        "Qualifiée",
        "En évaluation",
    )
    .await;
    set_status(owner, b1, EnEvaluation).await;

    // b2: imported « conclue », no history: inferred from the request and the conclusion.
    let mut c = child("Ancien", "Basile", exact("2015-02-01"));
    c.conclusion = css("2026-03-10");
    let mut d = simple(&f, f.t1, "2026-03-03T10:00:00Z", vec![c]);
    d.assignments = vec![asked(f.s1, "2026-03-04", "2026-06-03", Some("2026-03-09"))];
    let b2 = create(d, "2026-03-20T10:00:00Z").await;
    set_status(owner, b2, Conclue).await;

    // b3: created « qualifiée » (no revision but its creation's), then concluded by a
    // save: qualified at its creation, concluded at the save (not on the conclusion date).
    let mut c = child("Ancien", "Camille", exact("2015-03-01"));
    c.conclusion = css("2026-03-14");
    let d = simple(&f, f.t2, "2026-03-05T10:00:00Z", vec![c]);
    let b3 = create(d, "2026-03-06T10:00:00Z").await;
    raw_sql(
        owner,
        &format!(
            "INSERT INTO revision (dossier_id, part, part_id, part_label, version, at, user_id, reason, changes) \
             VALUES ({b3}, '{HEADER}', NULL, 'Dossier', 1, '2026-03-06T10:00:00Z', NULL, NULL, \
             '[{{\"field\":\"status\",\"label\":\"Statut\",\"old\":\"\",\"new\":\"Qualifiée\"}}]')"
        ),
    )
    .await
    .unwrap();
    status_revision(owner, b3, 2, "2026-03-15T10:00:00Z", "Qualifiée", "Conclue").await;
    set_status(owner, b3, Conclue).await;

    // b4: reçue, never changed: no milestone.
    let d = simple(
        &f,
        f.t2,
        "2026-03-06T10:00:00Z",
        vec![child("Ancien", "Denis", exact("2015-04-01"))],
    );
    let b4 = create(d, "2026-03-06T11:00:00Z").await;

    // b5: a status label renamed since (« Qualifiée » is now « Retenue »); a later header
    // revision without a change of status is no change.
    let d = simple(
        &f,
        f.t2,
        "2026-03-07T10:00:00Z",
        vec![child("Ancien", "Elsa", exact("2015-05-01"))],
    );
    let b5 = create(d, "2026-03-07T11:00:00Z").await;
    raw_sql(
        owner,
        &format!(
            "UPDATE param_value SET label = 'Retenue' WHERE kind = '{}' AND code = 'qualifiee'",
            ParamKind::Status.code()
        ),
    )
    .await
    .unwrap();
    status_revision(owner, b5, 2, "2026-03-08T10:00:00Z", "Reçue", "Retenue").await;
    raw_sql(
        owner,
        &format!(
            "INSERT INTO revision (dossier_id, part, part_id, part_label, version, at, user_id, reason, changes) \
             VALUES ({b5}, '{HEADER}', NULL, 'Dossier', 3, '2026-03-09T10:00:00Z', NULL, NULL, \
             '[{{\"field\":\"observation\",\"label\":\"Observation\",\"old\":\"\",\"new\":\"statut à revoir\"}}]')"
        ),
    )
    .await
    .unwrap();
    set_status(owner, b5, Qualifiee).await;

    // b6: imported « clôturée »: closed at the last follow-up done, concluded on the
    // conclusion's date, qualified then.
    let mut c = child("Ancien", "Fanny", exact("2015-06-01"));
    c.conclusion = css("2026-03-20");
    let mut d = simple(&f, f.t1, "2026-03-09T10:00:00Z", vec![c]);
    d.follow_ups = vec![
        follow_up(
            FollowUpKind::ParentsInformed,
            Some("2026-03-25T15:00:00Z"),
            None,
        ),
        follow_up(FollowUpKind::Parquet, Some("2026-03-09T11:00:00Z"), None),
    ];
    let b6 = create(d, "2026-03-30T10:00:00Z").await;
    set_status(owner, b6, Cloturee).await;

    // b7: imported « conclue » with a conclusion dated after its creation: clamped.
    let mut c = child("Ancien", "Gaspard", exact("2015-07-01"));
    c.conclusion = css("2026-03-28");
    let d = simple(&f, f.t1, "2026-03-10T10:00:00Z", vec![c]);
    let b7 = create(d, "2026-03-12T10:00:00Z").await;
    set_status(owner, b7, Conclue).await;

    // b8: concluded, reopened with a reason, concluded again, closed: every save counts.
    let mut c = child("Ancien", "Hector", exact("2015-08-01"));
    c.conclusion = css("2026-03-12");
    let mut d = simple(&f, f.t2, "2026-03-11T10:00:00Z", vec![c]);
    d.assignments = vec![asked(f.s2, "2026-03-11", "2026-06-11", Some("2026-03-12"))];
    let b8 = create(d, "2026-03-11T11:00:00Z").await;
    for (v, when, old, new) in [
        (2, "2026-03-11T12:00:00Z", "Reçue", "Retenue"),
        (3, "2026-03-11T13:00:00Z", "Retenue", "En évaluation"),
        (4, "2026-03-12T13:00:00Z", "En évaluation", "Conclue"),
        (5, "2026-03-13T13:00:00Z", "Conclue", "En évaluation"),
        (6, "2026-03-14T13:00:00Z", "En évaluation", "Conclue"),
        (7, "2026-03-15T13:00:00Z", "Conclue", "Clôturée"),
    ] {
        status_revision(owner, b8, v, when, old, new).await;
    }
    set_status(owner, b8, Cloturee).await;

    for t in ["dossier_milestone", "stat_counter"] {
        raw_sql(owner, &format!("DROP TABLE {t}")).await.unwrap();
    }

    // Version 12: the table, and the milestones of every dossier (and version 13).
    assert_eq!(
        owner.migrate(now()).await.unwrap(),
        (12..=vigie_store::migrate::latest_version()).collect::<Vec<i64>>()
    );
    let ids = [b1, b2, b3, b4, b5, b6, b7, b8];
    let got = milestones_at(url, &ids).await;
    let want = [
        ms(
            Some("2026-03-03T09:00:00Z"),
            Some("2026-03-05T09:00:00Z"),
            None,
            None,
        ),
        ms(
            Some("2026-03-04T12:00:00Z"),
            Some("2026-03-04T12:00:00Z"),
            Some("2026-03-10T12:00:00Z"),
            None,
        ),
        ms(
            Some("2026-03-06T10:00:00Z"),
            None,
            Some("2026-03-15T10:00:00Z"),
            None,
        ),
        Milestones::default(),
        ms(Some("2026-03-08T10:00:00Z"), None, None, None),
        ms(
            Some("2026-03-20T12:00:00Z"),
            None,
            Some("2026-03-20T12:00:00Z"),
            Some("2026-03-25T15:00:00Z"),
        ),
        ms(
            Some("2026-03-12T10:00:00Z"),
            None,
            Some("2026-03-12T10:00:00Z"),
            None,
        ),
        ms(
            Some("2026-03-11T12:00:00Z"),
            Some("2026-03-11T13:00:00Z"),
            Some("2026-03-14T13:00:00Z"),
            Some("2026-03-15T13:00:00Z"),
        ),
    ];
    let wrong: Vec<String> = ids
        .iter()
        .zip(&want)
        .zip(&got)
        .filter(|((_, want), got)| got != want)
        .map(|((id, want), got)| format!("dossier {id}: filled {got:?}, expected {want:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let rows = vigie_store::testing::raw_texts(
        owner,
        "SELECT CAST(COUNT(*) AS TEXT) FROM dossier_milestone",
    )
    .await;
    assert_eq!(rows, vec![Some("7".to_owned())], "b4 has none");
    // Migrating again changes nothing.
    assert!(owner.migrate(now()).await.unwrap().is_empty());
}

/// The dossiers with changes of status (b1, b3, b5, b8) get the moments of their saves.
#[tokio::test]
async fn migration_12_fills_the_milestones_of_the_dossiers_stored_before_it() {
    // SQLite: an empty database file.
    let dir = tempfile::tempdir().unwrap();
    let url: DbUrl = format!("sqlite://{}", dir.path().join("vigie.db").display())
        .parse()
        .unwrap();
    let store = Store::connect(&url, chrono_tz::Europe::Paris)
        .await
        .unwrap();
    eprintln!("— backend sqlite");
    backfill_case(&store, &url).await;
    store.close().await;
    // PostgreSQL: an empty database, migrated by its owner.
    if let Some(db) = TestDb::postgres_empty().await {
        eprintln!("— backend postgres");
        backfill_case(db.owner().await, &db.owner_url()).await;
        db.finish().await;
    }
}

/// The dossiers changed by saves (e1, e3) get the same milestones back.
#[tokio::test]
async fn migration_12_run_again_finds_what_the_saves_recorded() {
    on_both(|db| async move {
        let cases = milestone_cases(&db.store).await;
        let ids: Vec<i64> = cases.iter().map(|(id, _)| *id).collect();
        let recorded = milestones_at(&db.app_url(), &ids).await;
        // The changes of status are in header revisions, whose part is `entete`.
        let parts = vigie_store::testing::raw_texts(
            &db.store,
            "SELECT DISTINCT part FROM revision WHERE version > 1 AND changes LIKE '%\"status\"%'",
        )
        .await;
        assert_eq!(parts, vec![Some(HEADER.to_owned())]);
        // Forget them, and the migration that filled them.
        db.raw("DELETE FROM dossier_milestone").await.unwrap();
        db.raw("DELETE FROM schema_migrations WHERE version >= 12")
            .await
            .unwrap();
        assert!(
            milestones_at(&db.app_url(), &ids)
                .await
                .iter()
                .all(Milestones::is_empty)
        );
        assert_eq!(
            db.owner().await.migrate(now()).await.unwrap(),
            (12..=vigie_store::migrate::latest_version()).collect::<Vec<i64>>()
        );
        let filled = milestones_at(&db.app_url(), &ids).await;
        for ((id, want), rec) in cases.iter().zip(&recorded) {
            assert_eq!(rec, want, "dossier {id} as saved");
        }
        let wrong: Vec<String> = cases
            .iter()
            .zip(&filled)
            .filter(|((_, want), got)| *got != want)
            .map(|((id, want), got)| format!("dossier {id}: filled {got:?}, expected {want:?}"))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        db
    })
    .await;
}
