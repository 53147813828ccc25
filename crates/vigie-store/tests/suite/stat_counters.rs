//! The statistics' counters (`vigie_store::stats`, kept by every save in its transaction)
//! give exactly what the dossiers give: on a demo base, after saves of every kind — status,
//! territory, date of reception, danger grave, a person's sex and birth date (shared with
//! their other dossiers), a child linked to another dossier's person, motifs, follow-ups,
//! assignments cancelled and asked to another territory's service, a late entry received
//! before a known child's dossiers — every figure the counters answer is compared with the
//! same figure read from the dossiers, for each scope, period and filter; then again after
//! the migration counts the stored dossiers anew. Both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{Datelike, Duration};
use chrono_tz::America::Cayenne;
use chrono_tz::Europe::Paris;
use vigie_domain::dossier::DossierEdit;
use vigie_domain::stats::delays::DelayCounts;
use vigie_domain::stats::{Bucket, Dimension as D, Measure, Period};
use vigie_domain::*;
use vigie_store::stats::{Flag, Group, StatsFilter};
use vigie_store::testing::{TestDb, now, raw_texts};
use vigie_store::{Actor, Store};

/// Saves dossier `id` after `edit`; a save the status rules refuse changes nothing (`false`).
async fn edit(s: &Store, id: i64, f: impl FnOnce(&mut DossierEdit)) -> bool {
    let a = Actor::system();
    let rec = s.read_dossier(now(), &a, &Scope::All, id).await.unwrap();
    let mut e = DossierEdit::from_record(&rec);
    f(&mut e);
    s.save_dossier(now(), &a, &Scope::All, &e).await.is_ok()
}

/// Saves of every kind on the demo's dossiers; returns how many were saved.
#[allow(clippy::too_many_lines)]
async fn edits(s: &Store, ids: &[i64]) -> usize {
    let cat = s.catalog().await.unwrap();
    let territories: Vec<i64> = cat.territories.iter().map(|t| t.id).collect();
    let services: Vec<(i64, i64)> = cat
        .services
        .iter()
        .map(|x| (x.id, x.territory_id))
        .collect();
    let motifs: Vec<i64> = cat.of_kind(ParamKind::Motif).map(|m| m.id).collect();
    let statuses = [
        DossierStatus::Qualifiee,
        DossierStatus::EnEvaluation,
        DossierStatus::Recue,
    ];
    let mut saved = 0;
    for (i, id) in ids.iter().step_by(7).take(48).enumerate() {
        let other = ids[(i * 13 + 5) % ids.len()];
        let a = Actor::system();
        let other_rec = s.read_dossier(now(), &a, &Scope::All, other).await.unwrap();
        let ok = edit(s, *id, |e| {
            let d = &mut e.input;
            match i % 10 {
                0 => d.header.danger_grave = !d.header.danger_grave,
                1 => {
                    let now_t = d.header.territory_id;
                    d.header.territory_id = *territories.iter().find(|t| **t != now_t).unwrap();
                }
                2 => d.header.received_at -= Duration::days(400),
                3 => {
                    if let Some(c) = d.children.first_mut() {
                        c.person.sex = if c.person.sex == Sex::Female {
                            Sex::Male
                        } else {
                            Sex::Female
                        };
                        c.person.birth = BirthDate::Exact(day("2024-06-30"));
                    }
                }
                4 => {
                    if let (Some(c), Some(o)) = (d.children.first_mut(), other_rec.children.first())
                    {
                        c.person_id = Some(o.person_id);
                        c.person = o.data.person.clone();
                    }
                }
                5 => {
                    if let Some(c) = d.children.first_mut() {
                        c.motif_ids = vec![motifs[i % motifs.len()]];
                    }
                }
                6 => {
                    for fu in &mut d.follow_ups {
                        if fu.done_at.is_none() {
                            fu.done_at = Some(d.header.received_at + Duration::days(3));
                            fu.not_done_reason = None;
                        }
                    }
                }
                7 => {
                    if let Some(a) = d.assignments.first_mut() {
                        a.cancelled = true;
                    }
                }
                8 => {
                    let t = d.header.territory_id;
                    let on = d.header.received_at.date_naive();
                    if let Some((sid, _)) = services.iter().find(|(_, st)| *st != t) {
                        d.assignments.push(AssignmentInput {
                            service_id: *sid,
                            asked_on: on,
                            due_on: on + Duration::days(90),
                            evaluators: vec![],
                            returned_on: Some(on + Duration::days(40 + i as i64)),
                            result_id: None,
                            cancelled: false,
                            comment: None,
                        });
                    }
                }
                _ => d.header.status = statuses[i % statuses.len()],
            }
        })
        .await;
        saved += usize::from(ok);
    }
    // A save of free texts only leaves the counters as they are (not even read); the same
    // texts with a counted change count it.
    for (j, id) in ids.iter().skip(3).step_by(11).take(4).enumerate() {
        let ok = edit(s, *id, |e| {
            let h = &mut e.input.header;
            h.observation = Some(format!("Observation {j}"));
            h.expose = Some(format!("Exposé {j}"));
            if j % 2 == 1 {
                h.danger_grave = !h.danger_grave;
            }
        })
        .await;
        assert!(ok, "free texts saved");
        saved += 1;
    }
    // A late entry: received before the dossiers of a known child, linked to that child.
    let rec = s
        .read_dossier(now(), &Actor::system(), &Scope::All, ids[ids.len() / 2])
        .await
        .unwrap();
    if let Some(c) = rec.children.first() {
        let mut d = DossierEdit::from_record(&rec).input;
        d.header.status = DossierStatus::Recue;
        d.header.received_at = rec.header.received_at - Duration::days(30);
        d.assignments.clear();
        d.follow_ups.clear();
        d.adults.clear();
        d.children = vec![ChildInput {
            person_id: Some(c.person_id),
            adults: vec![],
            authors: vec![],
            conclusion: None,
            evaluation_result_id: None,
            ..c.data.clone()
        }];
        let created = s.create_dossier(now(), &Actor::system(), &d).await;
        assert!(created.is_ok(), "{created:?}");
        saved += 1;
    }
    saved
}

/// Every (measure, groups) the dashboard and its cross-tabs ask, by months `m`.
fn shapes(m: &[Bucket]) -> Vec<(Measure, Vec<Group<'_>>)> {
    let mut v = Vec::new();
    for measure in [Measure::Dossiers, Measure::Enfants] {
        v.push((measure, vec![]));
        v.push((measure, vec![Group::Time(m)]));
        v.push((measure, vec![Group::Dim(D::Territoire)]));
        v.push((measure, vec![Group::Time(m), Group::Dim(D::Territoire)]));
        v.push((measure, vec![Group::Dim(D::Type)]));
    }
    for d in [D::CategorieSignalant, D::Support, D::Statut] {
        v.push((Measure::Dossiers, vec![Group::Dim(d)]));
        v.push((Measure::Dossiers, vec![Group::Time(m), Group::Dim(d)]));
    }
    for flag in [Flag::Known, Flag::Danger] {
        v.push((Measure::Dossiers, vec![Group::Flag(flag)]));
    }
    for d in [
        D::TrancheAge,
        D::Sexe,
        D::Motif,
        D::ResultatEvaluation,
        D::Conclusion,
    ] {
        v.push((Measure::Enfants, vec![Group::Dim(d)]));
        v.push((
            Measure::Enfants,
            vec![Group::Dim(D::Territoire), Group::Dim(d)],
        ));
    }
    v.push((
        Measure::Enfants,
        vec![Group::Dim(D::TrancheAge), Group::Dim(D::Sexe)],
    ));
    v.push((
        Measure::Enfants,
        vec![Group::Dim(D::Sexe), Group::Dim(D::TrancheAge)],
    ));
    v
}

/// Compares every figure from the counters with the dossiers'; returns how many figures
/// were compared that had something to count.
async fn compare(s: &Store) -> usize {
    let cat = s.catalog().await.unwrap();
    let t0 = cat.territories[0].id;
    let t1 = cat.territories[1].id;
    let foreign = cat
        .services
        .iter()
        .find(|x| x.territory_id != t0)
        .unwrap()
        .id;
    let type0 = cat.of_kind(ParamKind::DossierType).next().unwrap().id;
    let scopes = [
        Scope::All,
        Scope::Restricted {
            territories: vec![t0],
            services: vec![foreign],
            dossiers: vec![],
        },
        Scope::Restricted {
            territories: vec![],
            services: vec![foreign],
            dossiers: vec![],
        },
        Scope::Restricted {
            territories: vec![t0, t1],
            services: vec![],
            dossiers: vec![],
        },
        Scope::Nothing,
    ];
    let y = now().year();
    let mut periods: Vec<Period> = (y - 11..=y).map(|y| Period::year(y).unwrap()).collect();
    periods.push(Period::quarter(y - 3, 2).unwrap());
    periods.push(Period::month(y - 2, 11).unwrap());
    let mut non_empty = 0;
    // The evaluations overdue on a given day, whatever the period.
    let today = now().date_naive();
    for scope in &scopes {
        for (territory_id, type_id) in [(None, None), (Some(t1), None), (None, Some(type0))] {
            for day in [
                today,
                today.with_day(1).unwrap(),
                today - Duration::days(400),
            ] {
                s.read_counters(false);
                let rows = s
                    .stats_overdue(scope, territory_id, type_id, day)
                    .await
                    .unwrap();
                s.read_counters(true);
                let counted = s
                    .stats_overdue(scope, territory_id, type_id, day)
                    .await
                    .unwrap();
                assert_eq!(
                    counted, rows,
                    "overdue {scope:?} {territory_id:?} {type_id:?} {day}"
                );
                non_empty += usize::from(!rows.is_empty());
            }
        }
    }
    for scope in &scopes {
        for p in &periods {
            for (territory_id, type_id) in [(None, None), (Some(t1), None), (None, Some(type0))] {
                let (from, to) = p.instants(&Paris);
                let f = StatsFilter {
                    scope: scope.clone(),
                    from,
                    to,
                    territory_id,
                    type_id,
                };
                let months = p.buckets(D::Mois, &Paris);
                for (m, g) in shapes(&months) {
                    let counted = s.stats_count(&f, m, &g).await.unwrap();
                    let rows = s.stats_count_rows(&f, m, &g).await.unwrap();
                    assert_eq!(
                        counted, rows,
                        "{scope:?} {p:?} {territory_id:?} {type_id:?} {m:?} {g:?}"
                    );
                    non_empty += usize::from(rows.values().any(|n| *n > 0));
                }
                let mut by_rows = DelayCounts::default();
                for facts in s.stats_delay_facts(&f).await.unwrap() {
                    by_rows.add(&facts.keys(), 1);
                }
                assert_eq!(
                    s.stats_delays(&f).await.unwrap(),
                    by_rows,
                    "{scope:?} {p:?}"
                );
                assert_eq!(
                    s.stats_follow_ups(&f).await.unwrap(),
                    s.stats_follow_ups_rows(&f).await.unwrap(),
                    "{scope:?} {p:?}"
                );
            }
        }
    }
    non_empty
}

#[tokio::test]
async fn the_counters_give_what_the_dossiers_give_after_every_kind_of_save() {
    on_both(|db: TestDb| async move {
        let s = &db.store;
        s.seed_demo_reference().await.unwrap();
        db.owner()
            .await
            .generate_demo(now(), 7, 400, |_| {})
            .await
            .unwrap();
        let ids: Vec<i64> = raw_texts(s, "SELECT CAST(id AS TEXT) FROM dossier ORDER BY id")
            .await
            .into_iter()
            .map(|v| v.unwrap().parse().unwrap())
            .collect();
        let saved = edits(s, &ids).await;
        assert!(saved >= 30, "only {saved} saves");
        let compared = compare(s).await;
        assert!(compared > 500, "{compared}");

        // The figures do come from the counters: emptied, they count nothing.
        db.raw("DELETE FROM stat_counter").await.unwrap();
        let y = Period::year(now().year() - 1).unwrap();
        let (from, to) = y.instants(&Paris);
        let f = StatsFilter {
            scope: Scope::All,
            from,
            to,
            territory_id: None,
            type_id: None,
        };
        let total = |c: vigie_store::stats::Counts| c.get(&Vec::new()).copied().unwrap_or(0);
        assert_eq!(
            total(s.stats_count(&f, Measure::Dossiers, &[]).await.unwrap()),
            0
        );
        assert!(
            total(
                s.stats_count_rows(&f, Measure::Dossiers, &[])
                    .await
                    .unwrap()
            ) > 20
        );

        // In another time zone, counters written in Paris's months are not read (emptied,
        // they would count nothing); `vigie migrate` counts them again in its months.
        let cayenne = Store::connect(&db.owner_url(), Cayenne).await.unwrap();
        let (from, to) = y.instants(&Cayenne);
        let fc = StatsFilter {
            scope: Scope::All,
            from,
            to,
            territory_id: None,
            type_id: None,
        };
        let months = y.buckets(D::Mois, &Cayenne);
        let by_month = [Group::Time(&months)];
        let rows = cayenne
            .stats_count_rows(&fc, Measure::Dossiers, &by_month)
            .await
            .unwrap();
        assert!(rows.values().sum::<u64>() > 20);
        assert_eq!(
            cayenne
                .stats_count(&fc, Measure::Dossiers, &by_month)
                .await
                .unwrap(),
            rows
        );
        assert!(cayenne.migrate(now()).await.unwrap().is_empty());
        assert_eq!(
            raw_texts(
                s,
                "SELECT value FROM setting WHERE key = 'statistiques_fuseau'"
            )
            .await,
            vec![Some("America/Cayenne".to_owned())]
        );
        let cayenne = Store::connect(&db.owner_url(), Cayenne).await.unwrap();
        assert_eq!(
            cayenne
                .stats_count(&fc, Measure::Dossiers, &by_month)
                .await
                .unwrap(),
            rows
        );

        // The migration counts the stored dossiers anew.
        db.raw("DELETE FROM schema_migrations WHERE version = 14")
            .await
            .unwrap();
        db.owner().await.migrate(now()).await.unwrap();
        // The table is made again: `vigie migrate` grants the application's role anew.
        if db.backend == "postgres" {
            db.owner()
                .await
                .grant_application_role(vigie_store::testing::PG_APP_ROLE)
                .await
                .unwrap();
        }
        assert!(compare(s).await > 500);
        db
    })
    .await;
}
