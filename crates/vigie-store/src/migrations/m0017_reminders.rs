//! Version 17: the reminders of overdue evaluations (« Relancer les services », from the
//! Échéances page).
//!
//! - `reminder_batch`: one run of the grouped reminder — who, when, the day it counts for, the
//!   filter it was run with (territory, service: kept as ids without a foreign key, a record
//!   of the filter rather than a use of the value, so an unused territory or service can still
//!   be deleted) and the letters' format.
//! - `assignment_reminder`: one reminder of one assignment: its day, its channel (`courrier`
//!   for the batch; e-mail reminders will add theirs), the batch, who, when, and the letter stored
//!   in the assignment's dossier (and its PDF). An assignment is reminded at most once a day,
//!   whatever the channel (`UNIQUE (assignment_id, reminded_on)`): a second batch the same day,
//!   or an e-mail after the letter, finds it done. Append-only for the application; removed
//!   with its assignment.

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
        assignment_id {BIGINT} NOT NULL REFERENCES assignment (id) ON DELETE CASCADE,
        reminded_on {DATE} NOT NULL,
        channel TEXT NOT NULL,
        batch_id {BIGINT} REFERENCES reminder_batch (id),
        reminded_by {BIGINT} REFERENCES app_user (id),
        reminded_at {TS} NOT NULL,
        document_id {BIGINT} REFERENCES document (id),
        pdf_document_id {BIGINT} REFERENCES document (id),
        UNIQUE (assignment_id, reminded_on)
    )",
    "CREATE INDEX IF NOT EXISTS assignment_reminder_batch ON assignment_reminder (batch_id)",
];

pub const GRANTS: &[(&str, Privileges)] = &[
    ("reminder_batch", Privileges::AppendOnly),
    ("assignment_reminder", Privileges::AppendOnly),
];
