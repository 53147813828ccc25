//! Administration of the drop-down lists (parameter tables, territories, services), on
//! SQLite and PostgreSQL: add, rename, reorder, deactivate/reactivate, delete when unused;
//! values in use keep their code; every change is audited; nothing is written on error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use crate::common::*;
use vigie_domain::catalog::{ParamValue, Service, Territory};
use vigie_domain::*;
use vigie_store::params_admin::{
    AdminValue, Direction, NewValue, ReadValue, Table, ValueChange, counted_references,
};
use vigie_store::testing::now;
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store, StoreError};

const MOTIF: Table = Table::Param(ParamKind::Motif);

/// Everything an administration change could touch: the audit head and the three tables.
#[derive(Debug, PartialEq)]
struct Snapshot {
    audit_seq: i64,
    params: Vec<ParamValue>,
    territories: Vec<Territory>,
    services: Vec<Service>,
}

async fn snapshot(s: &Store) -> Snapshot {
    let cat = s.catalog().await.unwrap();
    Snapshot {
        audit_seq: s.audit_tail(1).await.unwrap().first().map_or(0, |e| e.seq),
        params: cat.params.clone(),
        territories: cat.territories.clone(),
        services: cat.services.clone(),
    }
}

fn admin() -> Actor {
    Actor::user(1, Some("192.0.2.1".into()))
}

/// The field errors of a refusal: (field, message).
fn field_errors(e: &StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(d) => d
            .fields()
            .iter()
            .map(|f| (f.field.clone(), f.message.clone()))
            .collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// The message of a refused operation.
fn rule_message(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(DomainError::Rule(m)) => m.clone(),
        other => panic!("expected a rule refusal, got {other:?}"),
    }
}

fn find<'a>(values: &'a [AdminValue], code: &str) -> &'a AdminValue {
    values.iter().find(|v| v.code == code).unwrap()
}

fn codes(values: &[AdminValue]) -> Vec<&str> {
    values.iter().map(|v| v.code.as_str()).collect()
}

/// The last audit entry: (action, object type, object id, detail).
async fn last_audit(s: &Store) -> (String, Option<String>, Option<i64>, Option<String>) {
    let e = s.audit_tail(1).await.unwrap().remove(0);
    (e.action, e.object_type, e.object_id, e.detail)
}

#[tokio::test]
async fn a_motif_is_added_renamed_moved_deactivated_and_deleted_only_while_unused() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin();

        // Add: at the end, active, unused, audited without its label.
        let id = s
            .admin_add(
                now(),
                &a,
                MOTIF,
                &NewValue {
                    code: " HARCEL ",
                    label: " Harcèlement scolaire ",
                    national_code: "12",
                    ..NewValue::default()
                },
            )
            .await
            .unwrap();
        let values = s.admin_values(MOTIF).await.unwrap();
        let v = values.last().unwrap();
        assert_eq!(
            (v.id, v.code.as_str(), v.label.as_str(), v.active),
            (id, "HARCEL", "Harcèlement scolaire", true)
        );
        assert_eq!(v.national_code.as_deref(), Some("12"));
        assert!(!v.usage.in_use());
        assert_eq!(
            last_audit(s).await,
            (
                "parametre.ajout".into(),
                Some("param_value".into()),
                Some(id),
                Some("table=motif code=HARCEL".into())
            )
        );
        // The entry catalog offers it at once.
        let cat = s.catalog().await.unwrap();
        assert!(cat.of_kind(ParamKind::Motif).any(|p| p.id == id && p.active));

        // Rename, and change the code while nobody uses it.
        assert!(
            s.admin_update(
                now(),
                &a,
                MOTIF,
                id,
                &ValueChange {
                    code: "HARCELEMENT",
                    label: "Harcèlement",
                    national_code: "12",
                    read: None,
                },
            )
            .await
            .unwrap()
        );
        let (action, _, _, detail) = last_audit(s).await;
        assert_eq!(action, "parametre.modification");
        assert_eq!(
            detail.as_deref(),
            Some("table=motif code=HARCELEMENT champs=code,label ancien_code=HARCEL")
        );
        assert_eq!(s.catalog().await.unwrap().label(Some(id)), "Harcèlement");
        // The same values again: nothing to write, no audit entry.
        let before = snapshot(s).await;
        assert!(
            !s.admin_update(
                now(),
                &a,
                MOTIF,
                id,
                &ValueChange {
                    code: "HARCELEMENT",
                    label: "Harcèlement",
                    national_code: "12",
                    read: None,
                },
            )
            .await
            .unwrap()
        );
        assert_eq!(snapshot(s).await, before);

        // Reorder: up past « Autre », then down again; the entry catalog follows.
        let order = codes(&s.admin_values(MOTIF).await.unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert_eq!(&order[order.len() - 2..], ["AUTRE", "HARCELEMENT"]);
        s.admin_move(now(), &a, MOTIF, id, Direction::Up)
            .await
            .unwrap();
        let moved = s.admin_values(MOTIF).await.unwrap();
        assert_eq!(
            &codes(&moved)[moved.len() - 2..],
            ["HARCELEMENT", "AUTRE"]
        );
        let cat_order: Vec<String> = s
            .catalog()
            .await
            .unwrap()
            .of_kind(ParamKind::Motif)
            .map(|p| p.code.clone())
            .collect();
        assert_eq!(cat_order, codes(&moved));
        assert_eq!(
            last_audit(s).await.3.as_deref(),
            Some("table=motif code=HARCELEMENT sens=haut")
        );
        s.admin_move(now(), &a, MOTIF, id, Direction::Down)
            .await
            .unwrap();
        assert_eq!(codes(&s.admin_values(MOTIF).await.unwrap()), order);
        // Past the end: refused, nothing written.
        let before = snapshot(s).await;
        let e = s
            .admin_move(now(), &a, MOTIF, id, Direction::Down)
            .await
            .unwrap_err();
        assert!(rule_message(&e).contains("dernière position"), "{e:?}");
        let first = s.admin_values(MOTIF).await.unwrap()[0].id;
        let e = s
            .admin_move(now(), &a, MOTIF, first, Direction::Up)
            .await
            .unwrap_err();
        assert!(rule_message(&e).contains("première position"), "{e:?}");
        assert_eq!(snapshot(s).await, before);

        // A dossier uses it: its code is locked, it cannot be deleted.
        let mut d = full_dossier(&f);
        d.children[0].motif_ids.push(id);
        let (dossier, _) = s.create_dossier(now(), &Actor::system(), &d).await.unwrap();
        let v = find(&s.admin_values(MOTIF).await.unwrap(), "HARCELEMENT").clone();
        assert_eq!(v.usage.dossiers, 1);
        assert_eq!(v.usage.describe(), "1 dossier");
        assert!(v.code_locked(MOTIF).is_some());
        let before = snapshot(s).await;
        let e = s
            .admin_update(
                now(),
                &a,
                MOTIF,
                id,
                &ValueChange {
                    code: "HARC",
                    label: "Harcèlement (renommé)",
                    national_code: "12",
                    read: None,
                },
            )
            .await
            .unwrap_err();
        let errs = field_errors(&e);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "code");
        assert!(
            errs[0].1.contains("« Harcèlement » est utilisée (1 dossier)")
                && errs[0].1.contains("code ne peut plus changer"),
            "{errs:?}"
        );
        let e = s.admin_delete(now(), &a, MOTIF, id).await.unwrap_err();
        let m = rule_message(&e);
        assert!(
            m.contains("« Harcèlement » est utilisée (1 dossier)") && m.contains("désactivée"),
            "{m}"
        );
        assert_eq!(snapshot(s).await, before, "nothing written on refusal");
        // The label still changes (everywhere at once, old dossiers included).
        s.admin_update(
            now(),
            &a,
            MOTIF,
            id,
            &ValueChange {
                code: "HARCELEMENT",
                label: "Harcèlement (scolaire)",
                national_code: "",
                read: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            last_audit(s).await.3.as_deref(),
            Some("table=motif code=HARCELEMENT champs=label,national_code")
        );

        // Deactivate: gone from new entries, kept and labelled on the old dossier.
        s.admin_set_active(now(), &a, MOTIF, id, false)
            .await
            .unwrap();
        assert_eq!(
            last_audit(s).await,
            (
                "parametre.desactivation".into(),
                Some("param_value".into()),
                Some(id),
                Some("table=motif code=HARCELEMENT".into())
            )
        );
        let cat = s.catalog().await.unwrap();
        assert!(!cat.param(id).unwrap().active);
        let e = s
            .create_dossier(now(), &Actor::system(), &d)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid(de) if de.fields().iter().any(|x| x.message.contains("désactivée"))),
            "{e:?}"
        );
        let rec = s
            .read_dossier(now(), &Actor::system(), &Scope::All, dossier)
            .await
            .unwrap();
        assert!(rec.children[0].data.motif_ids.contains(&id));
        assert_eq!(cat.label(Some(id)), "Harcèlement (scolaire)");
        // Deactivating twice is refused; reactivating works.
        let before = snapshot(s).await;
        let e = s
            .admin_set_active(now(), &a, MOTIF, id, false)
            .await
            .unwrap_err();
        assert!(rule_message(&e).contains("déjà désactivée"));
        assert_eq!(snapshot(s).await, before);
        s.admin_set_active(now(), &a, MOTIF, id, true)
            .await
            .unwrap();
        assert_eq!(last_audit(s).await.0, "parametre.reactivation");
        assert!(s.catalog().await.unwrap().param(id).unwrap().active);

        // An unused value is deleted.
        let unused = s
            .admin_add(
                now(),
                &a,
                MOTIF,
                &NewValue {
                    code: "TEMP",
                    label: "Motif provisoire",
                    ..NewValue::default()
                },
            )
            .await
            .unwrap();
        s.admin_delete(now(), &a, MOTIF, unused).await.unwrap();
        assert_eq!(
            last_audit(s).await,
            (
                "parametre.suppression".into(),
                Some("param_value".into()),
                Some(unused),
                Some("table=motif code=TEMP".into())
            )
        );
        assert!(s.catalog().await.unwrap().param(unused).is_none());
        // An id of another table is not found there.
        let conclusion = p(&f.cat, ParamKind::Conclusion, "AUTRE");
        assert!(matches!(
            s.admin_delete(now(), &a, MOTIF, conclusion).await,
            Err(StoreError::NotFound)
        ));
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin();
        let before = snapshot(s).await;
        let add = |code: &'static str, label: &'static str, national: &'static str| NewValue {
            code,
            label,
            national_code: national,
            ..NewValue::default()
        };
        for (new, field, expected) in [
            (add("", "Libellé", ""), "code", "obligatoire"),
            (add("AVEC ESPACE", "Libellé", ""), "code", "sans espace"),
            (add("ÉTÉ", "Libellé", ""), "code", "sans accents"),
            (add("NOUVEAU", "  ", ""), "label", "obligatoire"),
            (
                add("NOUVEAU", "deux\nlignes", ""),
                "label",
                "une seule ligne",
            ),
            // Codes are unique ignoring case; labels too, within the table.
            (
                add("violphys", "Autre libellé", ""),
                "code",
                "« VIOLPHYS » existe déjà",
            ),
            (
                add("NOUVEAU", "conflit PARENTAL", ""),
                "label",
                "porte déjà ce libellé",
            ),
            (
                add("NOUVEAU", "Libellé", "1 2"),
                "national_code",
                "sans espace",
            ),
        ] {
            let e = s.admin_add(now(), &a, MOTIF, &new).await.unwrap_err();
            let errs = field_errors(&e);
            assert!(
                errs.iter().any(|(k, m)| k == field && m.contains(expected)),
                "{:?} → {errs:?}",
                new.code
            );
        }
        let long = "x".repeat(201);
        let e = s
            .admin_add(
                now(),
                &a,
                MOTIF,
                &NewValue {
                    code: "LONG",
                    label: &long,
                    ..NewValue::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            field_errors(&e),
            [(
                "label".to_owned(),
                "201 caractères saisis, 200 au plus sont acceptés.".to_owned()
            )]
        );
        // A meaning of another table.
        let e = s
            .admin_add(
                now(),
                &a,
                MOTIF,
                &NewValue {
                    code: "NOUVEAU",
                    label: "Nouveau",
                    meaning: Some(Meaning::Danger),
                    ..NewValue::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_errors(&e)[0].0, "meaning");
        // A rename onto another value's label, an empty label.
        let id = p(&f.cat, ParamKind::Motif, "VIOLPSY");
        for (label, expected) in [
            ("Violences physiques", "porte déjà ce libellé"),
            ("", "obligatoire"),
        ] {
            let e = s
                .admin_update(
                    now(),
                    &a,
                    MOTIF,
                    id,
                    &ValueChange {
                        code: "VIOLPSY",
                        label,
                        national_code: "",
                        read: None,
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(field_errors(&e)[0].0, "label");
            assert!(field_errors(&e)[0].1.contains(expected));
        }
        // A form built from a label changed since (another administrator): refused.
        let stale = ReadValue {
            code: "VIOLPSY",
            label: "Violences psy (ancien libellé)",
            national_code: "",
        };
        let e = s
            .admin_update(
                now(),
                &a,
                MOTIF,
                id,
                &ValueChange {
                    code: "VIOLPSY",
                    label: "Violences psychologiques graves",
                    national_code: "",
                    read: Some(stale),
                },
            )
            .await
            .unwrap_err();
        assert!(
            rule_message(&e).contains("modifiée entre-temps par un autre administrateur"),
            "{e:?}"
        );
        assert_eq!(snapshot(s).await, before, "nothing written");
        // Built from the stored values: accepted.
        s.admin_update(
            now(),
            &a,
            MOTIF,
            id,
            &ValueChange {
                code: "VIOLPSY",
                label: "Violences psychologiques graves",
                national_code: "",
                read: Some(ReadValue {
                    label: "Violences psychologiques",
                    ..stale
                }),
            },
        )
        .await
        .unwrap();
        // A case change of its own label is not a duplicate.
        s.admin_update(
            now(),
            &a,
            MOTIF,
            id,
            &ValueChange {
                code: "VIOLPSY",
                label: "VIOLENCES psychologiques",
                national_code: "",
                read: None,
            },
        )
        .await
        .unwrap();
        db
    })
    .await;
}

#[tokio::test]
async fn meanings_and_the_closed_status_list_are_protected() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin();
        let before = snapshot(s).await;

        // Statuses: a closed list, only their labels change.
        let status = Table::Param(ParamKind::Status);
        let recue = p(&f.cat, ParamKind::Status, "recue");
        let e = s
            .admin_add(
                now(),
                &a,
                status,
                &NewValue {
                    code: "archivee",
                    label: "Archivée",
                    ..NewValue::default()
                },
            )
            .await
            .unwrap_err();
        assert!(rule_message(&e).contains("liste fixe"));
        let e = s
            .admin_update(
                now(),
                &a,
                status,
                recue,
                &ValueChange {
                    code: "recu",
                    label: "Reçue",
                    national_code: "",
                    read: None,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_errors(&e)[0].0, "code");
        for e in [
            s.admin_set_active(now(), &a, status, recue, false)
                .await
                .unwrap_err(),
            s.admin_delete(now(), &a, status, recue).await.unwrap_err(),
            s.admin_move(now(), &a, status, recue, Direction::Down)
                .await
                .unwrap_err(),
        ] {
            assert!(rule_message(&e).contains("statuts est fixe"), "{e:?}");
        }
        // A value with a meaning keeps its code and is never deleted; the last active
        // « danger » cannot be deactivated.
        let results = Table::Param(ParamKind::EvaluationResult);
        let danger = p(&f.cat, ParamKind::EvaluationResult, "DANGER");
        let e = s
            .admin_update(
                now(),
                &a,
                results,
                danger,
                &ValueChange {
                    code: "DGR",
                    label: "Danger",
                    national_code: "",
                    read: None,
                },
            )
            .await
            .unwrap_err();
        assert!(field_errors(&e)[0].1.contains("signification « danger »"));
        let e = s
            .admin_delete(now(), &a, results, danger)
            .await
            .unwrap_err();
        assert!(rule_message(&e).contains("signification « danger »"));
        let e = s
            .admin_set_active(now(), &a, results, danger, false)
            .await
            .unwrap_err();
        assert!(
            rule_message(&e).contains("seule valeur active qui signifie « danger »"),
            "{e:?}"
        );
        assert_eq!(snapshot(s).await, before, "nothing written");

        // With another value meaning « danger », the first one may go.
        let other = s
            .admin_add(
                now(),
                &a,
                results,
                &NewValue {
                    code: "DANGER2",
                    label: "Danger avéré",
                    meaning: Some(Meaning::Danger),
                    ..NewValue::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            last_audit(s).await.3.as_deref(),
            Some("table=resultat_evaluation code=DANGER2 signification=danger")
        );
        assert_eq!(
            s.catalog().await.unwrap().param(other).unwrap().meaning,
            Some(Meaning::Danger)
        );
        s.admin_set_active(now(), &a, results, danger, false)
            .await
            .unwrap();
        // A meaning no rule requires: deactivated freely.
        let link = Table::Param(ParamKind::Link);
        s.admin_set_active(now(), &a, link, p(&f.cat, ParamKind::Link, "PERE"), false)
            .await
            .unwrap();
        // Labels of statuses and of meaningful values change.
        s.admin_update(
            now(),
            &a,
            status,
            recue,
            &ValueChange {
                code: "recue",
                label: "Réceptionnée",
                national_code: "",
                read: None,
            },
        )
        .await
        .unwrap();
        let cat = s.catalog().await.unwrap();
        assert_eq!(cat.status_label(DossierStatus::Recue), "Réceptionnée");
        db
    })
    .await;
}

#[tokio::test]
async fn territories_and_services_are_administered_the_same_way() {
    on_both(|db| async move {
        let s = &db.store;
        let f = fixture(s).await;
        let a = admin();
        s.create_dossier(now(), &Actor::system(), &full_dossier(&f))
            .await
            .unwrap();
        s.add_user(
            now(),
            &a,
            &NewUser {
                login: "eval".into(),
                display_name: "Évaluatrice".into(),
                password_hash: "x".into(),
                role: Role::EvaluateurTerritorial,
                territories: vec![f.t2],
                service_id: Some(f.s2),
                demo: false,
            },
        )
        .await
        .unwrap();
        let ts = s.admin_values(Table::Territories).await.unwrap();
        assert_eq!(codes(&ts), ["T1", "T2"]);
        let t1 = find(&ts, "T1");
        assert_eq!(
            (t1.usage.dossiers, t1.usage.services, t1.usage.users),
            (1, 1, 0)
        );
        let t2 = find(&ts, "T2");
        assert_eq!(t2.usage.describe(), "1 service, 1 utilisateur");
        let ss = s.admin_values(Table::Services).await.unwrap();
        assert_eq!(find(&ss, "S1").usage.describe(), "1 dossier");
        assert_eq!(find(&ss, "S2").usage.describe(), "1 utilisateur");
        assert_eq!(find(&ss, "S2").territory_id, Some(f.t2));

        // A new territory with a service.
        let t3 = s
            .admin_add(
                now(),
                &a,
                Table::Territories,
                &NewValue {
                    code: "T3",
                    label: "MDS Saint-Amand",
                    ..NewValue::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            last_audit(s).await,
            (
                "parametre.ajout".into(),
                Some("territory".into()),
                Some(t3),
                Some("table=territoires code=T3".into())
            )
        );
        let before = snapshot(s).await;
        for territory_id in [None, Some(9_999)] {
            let e = s
                .admin_add(
                    now(),
                    &a,
                    Table::Services,
                    &NewValue {
                        code: "S3",
                        label: "Évaluation Saint-Amand",
                        territory_id,
                        ..NewValue::default()
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(field_errors(&e)[0].0, "territory_id");
        }
        // Service codes are unique across territories.
        let e = s
            .admin_add(
                now(),
                &a,
                Table::Services,
                &NewValue {
                    code: "s1",
                    label: "Autre",
                    territory_id: Some(t3),
                    ..NewValue::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_errors(&e)[0].0, "code");
        assert_eq!(snapshot(s).await, before);
        let s3 = s
            .admin_add(
                now(),
                &a,
                Table::Services,
                &NewValue {
                    code: "S3",
                    label: "Évaluation Saint-Amand",
                    territory_id: Some(t3),
                    ..NewValue::default()
                },
            )
            .await
            .unwrap();
        let cat = s.catalog().await.unwrap();
        assert_eq!(cat.service(s3).unwrap().territory_id, t3);
        // T3 has a service: not deletable; once the service is gone, it is.
        let e = s
            .admin_delete(now(), &a, Table::Territories, t3)
            .await
            .unwrap_err();
        assert!(
            rule_message(&e).contains("« MDS Saint-Amand » est utilisée (1 service)"),
            "{e:?}"
        );
        s.admin_delete(now(), &a, Table::Services, s3)
            .await
            .unwrap();
        s.admin_delete(now(), &a, Table::Territories, t3)
            .await
            .unwrap();
        // T1 is used by a dossier: its code is locked, its label changes, it can be
        // deactivated and moved.
        let e = s
            .admin_update(
                now(),
                &a,
                Table::Territories,
                f.t1,
                &ValueChange {
                    code: "NORD",
                    label: "MDS Bourges Nord",
                    ..ValueChange::default()
                },
            )
            .await
            .unwrap_err();
        assert!(field_errors(&e)[0].1.contains("1 dossier, 1 service"));
        s.admin_update(
            now(),
            &a,
            Table::Territories,
            f.t1,
            &ValueChange {
                code: "T1",
                label: "MDS Bourges-Nord",
                ..ValueChange::default()
            },
        )
        .await
        .unwrap();
        s.admin_move(now(), &a, Table::Territories, f.t1, Direction::Down)
            .await
            .unwrap();
        s.admin_set_active(now(), &a, Table::Territories, f.t1, false)
            .await
            .unwrap();
        let cat = s.catalog().await.unwrap();
        let order: Vec<&str> = cat.territories.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(order, ["T2", "T1"]);
        let t1 = cat.territory(f.t1).unwrap();
        assert_eq!((t1.label.as_str(), t1.active), ("MDS Bourges-Nord", false));
        // Index counts.
        let tables = s.admin_tables().await.unwrap();
        let terr = tables
            .iter()
            .find(|t| t.table == Table::Territories)
            .unwrap();
        assert_eq!((terr.total, terr.active), (2, 1));
        let motifs = tables.iter().find(|t| t.table == MOTIF).unwrap();
        assert_eq!(motifs.total, motifs.active);
        assert!(motifs.total >= 11);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
        db
    })
    .await;
}

/// A new column referencing a drop-down value must be counted as a use, else a value in use
/// could have its code changed, and its deletion would only be stopped by the foreign key.
#[tokio::test]
async fn every_reference_to_a_dropdown_value_is_counted_as_a_use() {
    on_both(|db| async move {
        let declared: BTreeSet<(String, String, String)> = db
            .store
            .dropdown_foreign_keys()
            .await
            .unwrap()
            .into_iter()
            .collect();
        let counted: BTreeSet<(String, String, String)> = counted_references()
            .into_iter()
            .map(|(t, c, r)| (t.to_owned(), c.to_owned(), r.to_owned()))
            .collect();
        assert!(declared.len() >= 17, "{declared:?}");
        assert_eq!(
            declared, counted,
            "add the new reference to `refs` in crates/vigie-store/src/params_admin.rs"
        );
        db
    })
    .await;
}
