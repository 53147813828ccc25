//! Version 17: the reminders of overdue evaluations (« Relancer les services », from the
//! Échéances page).
//!
//! - `reminder_batch`: one run of the grouped reminder — who, when, the day it counts for, the
//!   filter it was run with (territory, service: kept as ids without a foreign key, a record
//!   of the filter rather than a use of the value, so an unused territory or service can still
//!   be deleted) and the letters' format.
//! - `assignment_reminder`: one reminder of one assignment: the dossier and the service reminded
//!   (as they were: an assignment moved to another service later keeps its reminder under the
//!   first), its day, its channel (`courrier` for the batch; e-mail reminders will add theirs),
//!   the batch, who, when, and the letter stored in the dossier (and its PDF). An assignment is
//!   reminded at most once a day per service, whatever the channel
//!   (`UNIQUE (assignment_id, service_id, reminded_on)`): a second batch the same day, or an
//!   e-mail after the letter, finds it done. Append-only for the application; an assignment
//!   removed from its dossier leaves its reminders (the link emptied), a dossier deleted takes
//!   them.

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS reminder_batch (
        id {ID},
        made_by {BIGINT} REFERENCES app_user (id),
        made_at {TS} NOT NULL,
        reminded_on {DATE} NOT NULL,
        territory_id {BIGINT},
        service_id {BIGINT},
        format TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS assignment_reminder (
        id {ID},
        assignment_id {BIGINT} REFERENCES assignment (id) ON DELETE SET NULL,
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        service_id {BIGINT} NOT NULL REFERENCES service (id),
        reminded_on {DATE} NOT NULL,
        channel TEXT NOT NULL,
        batch_id {BIGINT} REFERENCES reminder_batch (id),
        reminded_by {BIGINT} REFERENCES app_user (id),
        reminded_at {TS} NOT NULL,
        document_id {BIGINT} REFERENCES document (id),
        pdf_document_id {BIGINT} REFERENCES document (id),
        UNIQUE (assignment_id, service_id, reminded_on)
    )",
    "CREATE INDEX IF NOT EXISTS assignment_reminder_batch ON assignment_reminder (batch_id)",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("reminder_batch", Privileges::AppendOnly),
    ("assignment_reminder", Privileges::AppendOnly),
];
