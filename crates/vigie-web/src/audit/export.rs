//! The CSV export of the audit trail (`;`, UTF-8 with a byte order mark: what a French
//! spreadsheet opens directly), after a recent re-authentication, streamed page by page.
//! The export is itself recorded (`audit.export`, with the filters' ids).

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use vigie_store::Store;
use vigie_store::audit::{AuditFilter, Event};
use vigie_store::sessions::SessionUser;

use super::trail::{AuditQuery, RowView, filter_detail, page_for, parse, row_view};
use crate::AppState;
use crate::http::client::ClientIp;
use crate::http::error::WebError;
use crate::http::extract::Query;
use crate::shared::reauth::require_reauth;
use crate::shared::{actor, render};

/// Entries per query while exporting.
const EXPORT_PAGE: u32 = 2_000;

/// A CSV field: quoted when needed; a leading `=`, `+`, `-`, `@` is neutralised so that a
/// spreadsheet never runs it as a formula.
fn csv_field(out: &mut String, s: &str) {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([';', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

const CSV_HEADER: &[&str] = &[
    "N°",
    "Date (heure de Paris)",
    "Utilisateur",
    "Action",
    "Code de l'action",
    "Objet",
    "Détail",
    "Adresse IP",
];

fn csv_line(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

fn csv_row(out: &mut String, r: &RowView) {
    let seq = r.seq.to_string();
    csv_line(
        out,
        &[
            &seq,
            &r.at,
            &r.user,
            &r.action,
            &r.action_code,
            &r.object,
            &r.detail,
            &r.ip,
        ],
    );
}

/// `GET /tracabilite/export.csv`: the filtered trail as CSV, after a re-authentication.
pub async fn export(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(u): Extension<SessionUser>,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Some(redirect) = require_reauth(
        &state,
        &u,
        &format!("/tracabilite/export.csv{}", q.suffix()),
    ) {
        return redirect;
    }
    let tz = state.config.timezone;
    let parsed = match parse(&state.store, &q, tz).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if !parsed.errors.is_empty() {
        return match page_for(&state, &u, ip, &q, None).await {
            Ok((status, p)) => render(status, &p),
            Err(e) => e.into_response(),
        };
    }
    // Recorded before the first byte leaves.
    if let Err(e) = state
        .store
        .audit(
            state.now(),
            &actor(&u, ip),
            Event::new("audit.export").detail(filter_detail(&parsed.filter)),
        )
        .await
    {
        return WebError::from(e).into_response();
    }
    struct Cursor {
        store: Store,
        filter: AuditFilter,
        before: Option<i64>,
        first: bool,
        done: bool,
        tz: chrono_tz::Tz,
    }
    let start = Cursor {
        store: state.store.clone(),
        filter: parsed.filter,
        before: None,
        first: true,
        done: false,
        tz,
    };
    let body = futures_util::stream::unfold(start, |mut c| async move {
        if c.done {
            return None;
        }
        let mut out = String::new();
        if c.first {
            c.first = false;
            out.push('\u{feff}');
            csv_line(&mut out, CSV_HEADER);
        }
        match c.store.audit_search(&c.filter, c.before, EXPORT_PAGE).await {
            Ok(page) => {
                for r in &page.rows {
                    csv_row(&mut out, &row_view(r, c.tz));
                }
                c.before = page.next;
                c.done = page.next.is_none();
                Some((Ok::<_, std::io::Error>(out), c))
            }
            Err(e) => {
                tracing::error!(error = ?e, "export de la traçabilité interrompu");
                c.done = true;
                Some((Err(std::io::Error::other("export interrompu")), c))
            }
        }
    });
    let filename = format!(
        "attachment; filename=\"tracabilite-{}.csv\"",
        state.now().with_timezone(&tz).format("%Y%m%d-%H%M")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        let mut s = String::new();
        csv_line(
            &mut s,
            &["a;b", "dit \"non\"", "=SOMME(A1)", "simple", "l1\nl2"],
        );
        assert_eq!(
            s,
            "\"a;b\";\"dit \"\"non\"\"\";'=SOMME(A1);simple;\"l1\nl2\"\r\n"
        );
    }
}
