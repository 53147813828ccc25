//! Every text the store accepts from a user, fed with arbitrary strings (control characters,
//! NUL, line breaks, long and odd Unicode) on both backends: each call succeeds or refuses
//! with a French field error — never a database error. PostgreSQL refuses U+0000 in text,
//! SQLite stores it: the domain's rule decides before either sees it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use vigie_domain::dossier::DossierEdit;
use vigie_domain::*;
use vigie_store::params_admin::{NewValue, Table, ValueChange};
use vigie_store::testing::now;
use vigie_store::users::{NewUser, UserInput};
use vigie_store::{Actor, Store, StoreError};

/// Arbitrary strings, biased towards what breaks: control characters, line breaks, NUL.
fn strings() -> impl Strategy<Value = String> {
    proptest::prop_oneof![
        proptest::string::string_regex("[\\x00-\\x1f\\x7f-\\x9fa-zé' -]{0,12}").unwrap(),
        proptest::arbitrary::any::<String>(),
        proptest::string::string_regex("[a-zA-Zéèç' -]{1,30}").unwrap(),
    ]
}

/// The cases every run tries, then sampled ones (the same on every run: a failure repeats).
fn cases(n: usize) -> Vec<String> {
    let mut v: Vec<String> = [
        "Mar\u{0}tin",
        "\u{0}",
        "a\u{1}b",
        "tab\there",
        "two\nlines",
        "cr\r",
        "del\u{7f}",
        "nel\u{85}",
        "\u{202e}rtl",
        "Zoé d'Arçon-Lefèvre",
        "",
        "   ",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("x".repeat(60_000));
    let mut runner = TestRunner::deterministic();
    let strategy = strings();
    for _ in 0..n {
        v.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    v
}

/// Success, or a refusal the user can act on: never a database error.
fn acceptable<T: std::fmt::Debug>(what: &str, s: &str, r: &Result<T, StoreError>) {
    let ok = matches!(
        r,
        Ok(_)
            | Err(StoreError::Invalid(_))
            | Err(StoreError::NotFound)
            | Err(StoreError::Duplicate(..))
    );
    assert!(
        ok,
        "{what} with {:?}: {r:?}",
        s.chars().take(40).collect::<String>()
    );
    // A short text holding a NUL: the refusal names it (a field of its own format, like a
    // login, says what it expects instead).
    if let Err(StoreError::Invalid(e)) = r
        && s.contains('\u{0}')
        && s.chars().count() <= 200
        && what != "add_user (login)"
    {
        assert!(
            e.fields().iter().any(|f| f.message.contains("U+0000")),
            "{what}: a NUL is named: {e}"
        );
    }
}

/// A control character (other than tab and line breaks) inside the text is always refused
/// (the store trims texts first: U+0085 at an end is whitespace).
fn refused_if_control<T: std::fmt::Debug>(what: &str, s: &str, r: &Result<T, StoreError>) {
    if text::forbidden_char(s.trim(), true).is_some() {
        assert!(
            matches!(r, Err(StoreError::Invalid(_))),
            "{what} must refuse {s:?}: {r:?}"
        );
    }
}

/// Every text field of a whole dossier set to `s`.
fn dossier_with(f: &Fixture, s: &str) -> DossierInput {
    let mut d = full_dossier(f);
    let o = Some(s.to_owned());
    let addr = Address {
        number: o.clone(),
        street: o.clone(),
        complement: o.clone(),
        // A postal code has its own format (five digits): not a free text.
        postal_code: None,
        commune_insee: None,
        city: o.clone(),
    };
    d.header.snated_number = o.clone();
    d.header.expose = o.clone();
    d.header.observation = o.clone();
    d.source.name = o.clone();
    d.source.organisation = o.clone();
    d.source.email = o.clone();
    d.source.phone = o.clone();
    d.source.address = addr.clone();
    for a in &mut d.adults {
        a.birth_name = s.to_owned();
        a.usage_name = o.clone();
        a.first_names = o.clone();
        a.phone = o.clone();
        a.email = o.clone();
        a.address = addr.clone();
    }
    for c in &mut d.children {
        c.person.birth_name = s.to_owned();
        c.person.usage_name = o.clone();
        c.person.first_names = s.to_owned();
        c.comment = o.clone();
        c.address = addr.clone();
        for a in &mut c.authors {
            if a.third_party_name.is_some() {
                a.third_party_name = o.clone();
            }
        }
        if let Some(conc) = &mut c.conclusion {
            conc.comment = o.clone();
        }
    }
    for a in &mut d.assignments {
        a.evaluators = vec![s.to_owned()];
        a.comment = o.clone();
    }
    for fu in &mut d.follow_ups {
        fu.not_done_reason = o.clone();
    }
    d
}

async fn every_text_entry_point(store: &Store, f: &Fixture, strings: &[String]) {
    let sys = Actor::system();
    let now = now();
    let agent_id = agent(store, "agent.texte").await;
    let agent_actor = Actor::user(agent_id, None);
    let dossier = store
        .create_dossier(now, &sys, &full_dossier(f))
        .await
        .unwrap()
        .0;
    let motif = p(&f.cat, ParamKind::Motif, "VIOLPHYS");
    let territories = Table::Territories;
    let motifs = Table::Param(ParamKind::Motif);
    let motif_value = store
        .admin_values(motifs)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == motif)
        .unwrap();
    let mut created = 0;
    for (i, s) in strings.iter().enumerate() {
        let r = store.create_dossier(now, &sys, &dossier_with(f, s)).await;
        created += usize::from(r.is_ok());
        acceptable("create_dossier", s, &r);
        refused_if_control("create_dossier", s, &r);

        // The edit path: every text of the saved dossier, and the reason of a status change.
        let rec = store
            .read_dossier(now, &sys, &Scope::All, dossier)
            .await
            .unwrap();
        let mut edit = DossierEdit::from_record(&rec);
        let typed = dossier_with(f, s);
        edit.input.header.expose = typed.header.expose.clone();
        edit.input.source = typed.source.clone();
        edit.input.children[0].person = typed.children[0].person.clone();
        edit.input.children[0].comment = typed.children[0].comment.clone();
        edit.status_reason = Some(s.clone());
        let r = store.save_dossier(now, &sys, &Scope::All, &edit).await;
        acceptable("save_dossier", s, &r);
        refused_if_control("save_dossier", s, &r);

        let r = store.search_dossiers(now, &sys, &Scope::All, s, 1).await;
        acceptable("search_dossiers", s, &r);
        refused_if_control("search_dossiers", s, &r);

        let r = store.audit_find_children(now, &sys, &Scope::All, s).await;
        acceptable("audit_find_children", s, &r);
        refused_if_control("audit_find_children", s, &r);

        let typed = Person {
            birth_name: s.clone(),
            usage_name: Some(s.clone()),
            first_names: s.clone(),
            sex: Sex::Unknown,
            birth: BirthDate::Unknown,
        };
        let r = store.suggest_persons(&Scope::All, &typed, 10).await;
        acceptable("suggest_persons", s, &r);
        refused_if_control("suggest_persons", s, &r);

        let r = store.login_hash(s).await;
        acceptable("login_hash", s, &r);
        refused_if_control("login_hash", s, &r);

        let r = store.find_communes(s, &["18".to_owned()], 10).await;
        acceptable("find_communes", s, &r);
        refused_if_control("find_communes", s, &r);

        let new_user = NewUser {
            login: format!("texte{i}"),
            display_name: s.clone(),
            password_hash: "x".into(),
            role: Role::AgentCrip,
            territories: vec![],
            service_id: None,
            demo: false,
        };
        let r = store.add_user(now, &sys, &new_user).await;
        acceptable("add_user", s, &r);
        refused_if_control("add_user", s, &r);
        let r = store
            .add_user(
                now,
                &sys,
                &NewUser {
                    login: s.clone(),
                    ..new_user
                },
            )
            .await;
        acceptable("add_user (login)", s, &r);
        refused_if_control("add_user (login)", s, &r);
        let input = UserInput {
            display_name: s.clone(),
            role: "agent_crip".into(),
            territories: vec![],
            service_id: None,
        };
        let r = store
            .create_user(now, &sys, &format!("cree{i}"), &input, "x")
            .await;
        acceptable("create_user", s, &r);
        refused_if_control("create_user", s, &r);

        let r = store.grant_break_glass(now, &agent_actor, dossier, s).await;
        acceptable("grant_break_glass", s, &r);
        refused_if_control("grant_break_glass", s, &r);

        let code = format!("T{i}");
        let new = NewValue {
            code: &code,
            label: s,
            ..Default::default()
        };
        let r = store.admin_add(now, &sys, motifs, &new).await;
        acceptable("admin_add (motif)", s, &r);
        refused_if_control("admin_add (motif)", s, &r);
        let change = ValueChange {
            code: &motif_value.code,
            label: s,
            national_code: motif_value.national_code.as_deref().unwrap_or_default(),
            read: None,
        };
        let r = store.admin_update(now, &sys, motifs, motif, &change).await;
        acceptable("admin_update (motif)", s, &r);
        refused_if_control("admin_update (motif)", s, &r);

        let new = NewValue {
            code: s,
            label: s,
            national_code: s,
            meaning: None,
            territory_id: None,
        };
        let r = store.admin_add(now, &sys, territories, &new).await;
        acceptable("admin_add", s, &r);
        refused_if_control("admin_add", s, &r);
        let change = ValueChange {
            code: "T1",
            label: s,
            national_code: "",
            read: None,
        };
        let r = store
            .admin_update(now, &sys, territories, f.t1, &change)
            .await;
        acceptable("admin_update", s, &r);
        refused_if_control("admin_update", s, &r);
    }
    // Clean texts are saved (the test is not all refusals); whatever was refused, the
    // database still answers and the trail still verifies.
    assert!(created >= 1, "no dossier saved");
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

#[tokio::test]
async fn every_text_input_is_accepted_or_refused_by_field_never_a_database_error() {
    let strings = cases(40);
    on_both(|db| {
        let strings = strings.clone();
        async move {
            let f = fixture(&db.store).await;
            every_text_entry_point(&db.store, &f, &strings).await;
            db
        }
    })
    .await;
}
