//! The password throttle cannot be raced (issue 11, item 4): an attempt is counted before its
//! password is verified, in the transaction that reads the throttle, so simultaneous guesses
//! take the free slots one after the other. On SQLite and PostgreSQL: the login, the
//! re-authentication and the change of password.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use tokio::sync::Barrier;
use tower::ServiceExt;
use vigie_domain::Role;
use vigie_store::testing::{TestDb, now};
use vigie_store::users::NewUser;
use vigie_store::{Actor, Store};
use vigie_web::{AppState, WebConfig};

const PW: &str = "mot de passe de test";
const WRONG: &str = "login=agent&password=mauvais+mot+de+passe";
const IP: &str = "192.0.2.10";

/// The application, with a clock at the tests' fixed instant that the test moves.
async fn setup(s: &Store) -> (Router, vigie_web::ManualClock) {
    let hash = vigie_store::password::hash(PW);
    for (login, role) in [("agent", Role::AgentCrip), ("resp", Role::ResponsableCrip)] {
        s.add_user(
            now(),
            &Actor::system(),
            &NewUser {
                login: login.into(),
                display_name: format!("Nom {login}"),
                password_hash: hash.clone(),
                role,
                territories: vec![],
                service_id: None,
                demo: false,
            },
        )
        .await
        .unwrap();
    }
    let (clock, hands) = vigie_web::Clock::manual(now());
    (
        vigie_web::app(AppState::new(s.clone(), WebConfig::default(), clock)),
        hands,
    )
}

/// A form POST; the status and the session cookie it sets, if any.
async fn post(app: Router, uri: &str, cookie: Option<&str>, form: &str) -> (StatusCode, String) {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::HOST, "vigie.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let mut req = b.body(Body::from(form.to_owned())).unwrap();
    let addr: SocketAddr = format!("{IP}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.oneshot(req).await.unwrap();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.split(';').next())
        .unwrap_or("")
        .to_owned();
    (res.status(), cookie)
}

/// The forms sent at once (released together by a barrier); the statuses, in the same order.
async fn burst(app: &Router, uri: &str, cookie: Option<&str>, forms: &[String]) -> Vec<StatusCode> {
    let barrier = Arc::new(Barrier::new(forms.len()));
    let tasks: Vec<_> = forms
        .iter()
        .map(|form| {
            let (app, barrier) = (app.clone(), Arc::clone(&barrier));
            let (uri, cookie, form) = (uri.to_owned(), cookie.map(str::to_owned), form.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                post(app, &uri, cookie.as_deref(), &form).await.0
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], s: StatusCode) -> usize {
    statuses.iter().filter(|x| **x == s).count()
}

async fn actions(store: &Store, action: &str) -> usize {
    let page = store.audit_page(0, 100_000).await.unwrap();
    page.iter().filter(|e| e.action == action).count()
}

/// A session past both factors.
async fn full_login(app: &Router, store: &Store, login: &str) -> String {
    let form = format!("login={login}&password={}", PW.replace(' ', "+"));
    let (status, cookie) = post(app.clone(), "/connexion", None, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{login}");
    store
        .testing_pass_second_factor(&cookie, now())
        .await
        .unwrap();
    cookie
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_wrong_passwords_get_only_the_five_free_attempts() {
    for db in TestDb::both().await {
        let (app, _hands) = setup(&db.store).await;
        let forms = vec![WRONG.to_owned(); 30];
        let statuses = burst(&app, "/connexion", None, &forms).await;
        let (evaluated, refused) = (
            count(&statuses, StatusCode::UNAUTHORIZED),
            count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        );
        eprintln!(
            "{}: 30 simultaneous wrong passwords: {evaluated} evaluated (401), {refused} refused (429)",
            db.backend
        );
        assert_eq!((evaluated, refused), (5, 25), "{}", db.backend);
        // One failure traced per evaluated guess, one refusal per refused one.
        assert_eq!(actions(&db.store, "connexion.echec").await, 5);
        assert_eq!(actions(&db.store, "connexion.refusee").await, 25);
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_once_the_delay_is_over_gets_one_attempt() {
    for db in TestDb::both().await {
        let (app, hands) = setup(&db.store).await;
        for _ in 0..5 {
            let (status, _) = post(app.clone(), "/connexion", None, WRONG).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", db.backend);
        }
        // After five failures the next attempt waits one second.
        hands.advance(chrono::Duration::milliseconds(1500));
        let mut forms = vec![WRONG.to_owned(); 19];
        forms.push(format!("login=agent&password={}", PW.replace(' ', "+")));
        let statuses = burst(&app, "/connexion", None, &forms).await;
        let wrong_evaluated = count(&statuses[..19], StatusCode::UNAUTHORIZED);
        let right = statuses[19];
        eprintln!(
            "{}: burst of 19 wrong passwords and the right one after the delay: {wrong_evaluated} wrong evaluated (401), {} refused (429), the right one {right}",
            db.backend,
            count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        );
        // One slot is free: one guess is evaluated and the others wait. (When the right
        // password takes the slot, it gives it back once verified: one later guess may then
        // be evaluated, never more.)
        assert!(wrong_evaluated <= 1, "{}: {statuses:?}", db.backend);
        if right != StatusCode::SEE_OTHER {
            assert_eq!(right, StatusCode::TOO_MANY_REQUESTS, "{}", db.backend);
            assert_eq!(wrong_evaluated, 1, "{}: {statuses:?}", db.backend);
        }
        assert!(
            statuses.iter().all(|s| [
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SEE_OTHER
            ]
            .contains(s)),
            "{}: {statuses:?}",
            db.backend
        );
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reauthentication_and_password_change_guesses_are_counted_before_evaluation() {
    for db in TestDb::both().await {
        let (app, _hands) = setup(&db.store).await;
        let agent = full_login(&app, &db.store, "agent").await;
        let forms =
            vec!["current=mauvais&new=Un+tout+nouveau+mot+de+passe&confirm=Un+tout+nouveau+mot+de+passe".to_owned(); 30];
        let statuses = burst(&app, "/compte/mot-de-passe", Some(&agent), &forms).await;
        let (evaluated, refused) = (
            count(&statuses, StatusCode::UNPROCESSABLE_ENTITY),
            count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        );
        eprintln!(
            "{}: 30 simultaneous wrong current passwords: {evaluated} evaluated (422), {refused} refused (429)",
            db.backend
        );
        assert_eq!((evaluated, refused), (5, 25), "{}", db.backend);
        assert_eq!(actions(&db.store, "mot_de_passe.echec").await, 5);

        let resp = full_login(&app, &db.store, "resp").await;
        let forms = vec!["password=mauvais&code=&retour=%2F".to_owned(); 30];
        let statuses = burst(&app, "/reauthentification", Some(&resp), &forms).await;
        let (evaluated, refused) = (
            count(&statuses, StatusCode::UNAUTHORIZED),
            count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        );
        eprintln!(
            "{}: 30 simultaneous wrong re-authentications: {evaluated} evaluated (401), {refused} refused (429)",
            db.backend
        );
        assert_eq!((evaluated, refused), (5, 25), "{}", db.backend);
        assert_eq!(actions(&db.store, "reauthentification.echec").await, 5);
        db.finish().await;
    }
}
