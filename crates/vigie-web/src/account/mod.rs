//! The user's own account: login and logout ([`login`]), the second factor (TOTP
//! enrolment with a server-rendered QR code, login step, recovery codes:
//! [`second_factor`]), re-authentication before sensitive operations ([`reauth`]), and
//! « Mon compte »: change of password, new recovery codes, log out everywhere
//! ([`settings`]).

use vigie_store::authn::Throttle;
use vigie_store::sessions::SessionUser;

/// Redacts form secrets in debug output.
macro_rules! redacted_debug {
    ($t:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), " { … }"))
            }
        }
    };
}

pub mod login;
pub mod reauth;
pub mod second_factor;
pub mod settings;

/// Where a session that passed only the password goes next.
pub fn next_step(user: &SessionUser) -> &'static str {
    if user.fully_authenticated() {
        if user.must_change_password {
            "/compte"
        } else {
            "/"
        }
    } else if user.totp_enabled {
        "/connexion/second-facteur"
    } else {
        "/compte/second-facteur"
    }
}

pub(crate) fn throttled(t: Throttle) -> Option<String> {
    match t {
        Throttle::Allowed => None,
        Throttle::AddressBlocked => Some(
            "Trop de tentatives depuis cette adresse : réessayez dans une heure ou contactez l'assistance."
                .into(),
        ),
        Throttle::Wait(d) => Some(format!(
            "Trop de tentatives : réessayez dans {}.",
            human_delay(d.num_seconds().max(1))
        )),
    }
}

/// « 45 secondes », « 4 minutes ».
pub fn human_delay(secs: i64) -> String {
    if secs < 90 {
        format!("{secs} seconde{}", if secs > 1 { "s" } else { "" })
    } else {
        let m = (secs + 59) / 60;
        format!("{m} minutes")
    }
}
