//! Actions on an account (disable, reactivate, reset the password or the second factor,
//! end its sessions), each a POST confirmed on a second page so that it works without
//! JavaScript, after a recent re-authentication.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use vigie_store::StoreError;
use vigie_store::sessions::SessionUser;
use vigie_store::users::temporary_password;

use super::users::{edit_page, hash, secret_page, user_href};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Form;
use crate::shared::reauth::require_reauth;
use crate::shared::{Chrome, actor, path_id, render};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccountAction {
    Disable,
    Enable,
    ResetPassword,
    ResetSecondFactor,
    EndSessions,
}

impl AccountAction {
    fn path(self) -> &'static str {
        match self {
            Self::Disable => "desactiver",
            Self::Enable => "reactiver",
            Self::ResetPassword => "mot-de-passe",
            Self::ResetSecondFactor => "second-facteur",
            Self::EndSessions => "sessions",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Disable => "Désactiver le compte",
            Self::Enable => "Réactiver le compte",
            Self::ResetPassword => "Réinitialiser le mot de passe",
            Self::ResetSecondFactor => "Réinitialiser le second facteur",
            Self::EndSessions => "Fermer toutes les sessions",
        }
    }

    fn consequence(self) -> &'static str {
        match self {
            Self::Disable => {
                "L'utilisateur ne pourra plus se connecter et toutes ses sessions sont fermées immédiatement. Le compte et son historique sont conservés ; il peut être réactivé."
            }
            Self::Enable => {
                "L'utilisateur pourra de nouveau se connecter avec son mot de passe et son second facteur."
            }
            Self::ResetPassword => {
                "Un mot de passe temporaire est créé et affiché une seule fois : transmettez-le à l'utilisateur par un canal sûr. Il devra le changer à sa prochaine connexion. Toutes ses sessions sont fermées."
            }
            Self::ResetSecondFactor => {
                "Le second facteur et les codes de secours de l'utilisateur sont supprimés ; il en enrôlera un nouveau à sa prochaine connexion. Toutes ses sessions sont fermées."
            }
            Self::EndSessions => {
                "L'utilisateur est déconnecté de tous ses postes ; il pourra se reconnecter."
            }
        }
    }
}

#[derive(Template)]
#[template(path = "admin_user_confirm.html")]
struct ConfirmPage {
    demo: bool,
    chrome: Chrome,
    title: &'static str,
    login: String,
    name: String,
    consequence: &'static str,
    action: String,
    back: String,
}

async fn account_action(
    state: AppState,
    ip: Option<String>,
    u: SessionUser,
    id: String,
    pairs: Vec<(String, String)>,
    what: AccountAction,
) -> Response {
    let id = match path_id(&id) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if let Some(r) = require_reauth(&state, &u, &user_href(id)) {
        return r;
    }
    let confirmed = pairs.iter().any(|(k, v)| k == "confirmer" && v == "oui");
    if !confirmed {
        let d = match state.store.user_detail(state.now(), id).await {
            Ok(d) => d,
            Err(e) => return WebError::from(e).into_response(),
        };
        return render(
            StatusCode::OK,
            &ConfirmPage {
                demo: state.config.demo,
                chrome: Chrome::new(&state, &u),
                title: what.title(),
                login: d.user.login,
                name: d.user.display_name,
                consequence: what.consequence(),
                action: format!("{}/{}", user_href(id), what.path()),
                back: user_href(id),
            },
        );
    }
    let a = actor(&u, ip);
    let now = state.now();
    let done = match what {
        AccountAction::Disable | AccountAction::Enable => state
            .store
            .set_user_active(now, &a, id, what == AccountAction::Enable)
            .await
            .map(|_| {
                if what == AccountAction::Enable {
                    "reactivation"
                } else {
                    "desactivation"
                }
            }),
        AccountAction::ResetSecondFactor => state
            .store
            .reset_second_factor(now, &a, id)
            .await
            .map(|()| "second-facteur"),
        AccountAction::EndSessions => state
            .store
            .end_user_sessions(now, &a, id)
            .await
            .map(|_| "sessions"),
        AccountAction::ResetPassword => {
            let login = match state.store.user_detail(now, id).await {
                Ok(d) => d.user.login,
                Err(e) => return WebError::from(e).into_response(),
            };
            let password = temporary_password();
            let phc = match hash(&password).await {
                Ok(h) => h,
                Err(e) => return e.into_response(),
            };
            return match state.store.reset_password(now, &a, id, &phc).await {
                Ok(()) => {
                    secret_page(&state, &u, "Mot de passe réinitialisé", id, login, password).await
                }
                Err(e) => WebError::from(e).into_response(),
            };
        }
    };
    match done {
        Ok(code) => Redirect::to(&format!("{}?fait={code}", user_href(id))).into_response(),
        Err(e @ StoreError::Invalid(_)) => {
            let e = WebError::from(e);
            let status = e.status();
            edit_page(&state, &u, id, None, status, Some(&e), "").await
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

macro_rules! action_handler {
    ($name:ident, $what:expr, $doc:literal) => {
        #[doc = $doc]
        pub async fn $name(
            State(state): State<AppState>,
            ClientIp(ip): ClientIp,
            Extension(u): Extension<SessionUser>,
            Path(id): Path<String>,
            Form(pairs): Form<Vec<(String, String)>>,
        ) -> Response {
            account_action(state, ip, u, id, pairs, $what).await
        }
    };
}

action_handler!(
    disable,
    AccountAction::Disable,
    "`POST /admin/utilisateurs/{id}/desactiver`"
);
action_handler!(
    enable,
    AccountAction::Enable,
    "`POST /admin/utilisateurs/{id}/reactiver`"
);
action_handler!(
    reset_password,
    AccountAction::ResetPassword,
    "`POST /admin/utilisateurs/{id}/mot-de-passe`"
);
action_handler!(
    reset_second_factor,
    AccountAction::ResetSecondFactor,
    "`POST /admin/utilisateurs/{id}/second-facteur`"
);
action_handler!(
    end_sessions,
    AccountAction::EndSessions,
    "`POST /admin/utilisateurs/{id}/sessions`"
);
