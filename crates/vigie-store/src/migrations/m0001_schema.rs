//! Version 1: the whole schema of the Foundation.
//!
//! Written once for both backends with a few type tokens (see [`super::render`]):
//! `{ID}` an auto-increment 64-bit key, `{BIGINT}`, `{BOOL}`, `{TS}` an instant (UTC),
//! `{DATE}` a calendar date. Every integer is 64-bit on both backends.

use crate::migrate::Privileges;

pub const STATEMENTS: &[&str] = &[
    "CREATE TABLE instance (
        id {BIGINT} PRIMARY KEY CHECK (id = 1),
        demo {BOOL} NOT NULL,
        departements TEXT NOT NULL,
        secret_key TEXT NOT NULL,
        created_at {TS} NOT NULL
    )",
    "CREATE TABLE territory (
        id {ID},
        code TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        sort_order {BIGINT} NOT NULL DEFAULT 0,
        active {BOOL} NOT NULL DEFAULT TRUE
    )",
    "CREATE TABLE service (
        id {ID},
        territory_id {BIGINT} NOT NULL REFERENCES territory (id),
        code TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        sort_order {BIGINT} NOT NULL DEFAULT 0,
        active {BOOL} NOT NULL DEFAULT TRUE
    )",
    "CREATE INDEX service_territory ON service (territory_id)",
    "CREATE TABLE param_value (
        id {ID},
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        label TEXT NOT NULL,
        sort_order {BIGINT} NOT NULL DEFAULT 0,
        active {BOOL} NOT NULL DEFAULT TRUE,
        national_code TEXT,
        meaning TEXT,
        UNIQUE (kind, code)
    )",
    "CREATE TABLE app_user (
        id {ID},
        login TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        service_id {BIGINT} REFERENCES service (id),
        active {BOOL} NOT NULL DEFAULT TRUE,
        must_change_password {BOOL} NOT NULL DEFAULT FALSE,
        demo {BOOL} NOT NULL DEFAULT FALSE,
        version {BIGINT} NOT NULL DEFAULT 1,
        created_at {TS} NOT NULL,
        updated_at {TS} NOT NULL
    )",
    "CREATE TABLE user_territory (
        user_id {BIGINT} NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        territory_id {BIGINT} NOT NULL REFERENCES territory (id),
        PRIMARY KEY (user_id, territory_id)
    )",
    "CREATE TABLE web_session (
        id TEXT PRIMARY KEY,
        user_id {BIGINT} NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        created_at {TS} NOT NULL,
        last_seen_at {TS} NOT NULL,
        expires_at {TS} NOT NULL
    )",
    "CREATE INDEX web_session_user ON web_session (user_id)",
    "CREATE TABLE commune (
        insee TEXT NOT NULL,
        postal_code TEXT NOT NULL,
        name TEXT NOT NULL,
        departement TEXT NOT NULL,
        kind TEXT NOT NULL,
        name_key TEXT NOT NULL,
        PRIMARY KEY (insee, postal_code)
    )",
    "CREATE INDEX commune_name_key ON commune (name_key)",
    "CREATE INDEX commune_postal_code ON commune (postal_code)",
    "CREATE TABLE person (
        id {ID},
        birth_name TEXT NOT NULL,
        usage_name TEXT,
        first_names TEXT NOT NULL,
        sex TEXT NOT NULL,
        birth_precision TEXT NOT NULL,
        birth_date {DATE},
        birth_year {BIGINT},
        version {BIGINT} NOT NULL DEFAULT 1,
        created_at {TS} NOT NULL,
        updated_at {TS} NOT NULL
    )",
    "CREATE TABLE person_key (
        key TEXT NOT NULL,
        person_id {BIGINT} NOT NULL REFERENCES person (id) ON DELETE CASCADE,
        PRIMARY KEY (key, person_id)
    )",
    "CREATE INDEX person_key_person ON person_key (person_id)",
    "CREATE TABLE dossier_counter (
        year {BIGINT} PRIMARY KEY,
        last_seq {BIGINT} NOT NULL
    )",
    "CREATE TABLE dossier (
        id {ID},
        number TEXT NOT NULL UNIQUE,
        received_at {TS} NOT NULL,
        type_id {BIGINT} NOT NULL REFERENCES param_value (id),
        danger_grave {BOOL} NOT NULL DEFAULT FALSE,
        violence_conjugale {BOOL} NOT NULL DEFAULT FALSE,
        sip {BOOL} NOT NULL DEFAULT FALSE,
        receiving_agent_id {BIGINT} REFERENCES app_user (id),
        channel_id {BIGINT} NOT NULL REFERENCES param_value (id),
        snated_number TEXT,
        territory_id {BIGINT} NOT NULL REFERENCES territory (id),
        status TEXT NOT NULL,
        expose TEXT,
        observation TEXT,
        version {BIGINT} NOT NULL DEFAULT 1,
        created_by {BIGINT} REFERENCES app_user (id),
        created_at {TS} NOT NULL,
        updated_by {BIGINT} REFERENCES app_user (id),
        updated_at {TS} NOT NULL
    )",
    "CREATE INDEX dossier_received ON dossier (received_at, id)",
    "CREATE INDEX dossier_territory_received ON dossier (territory_id, received_at, id)",
    "CREATE INDEX dossier_status_received ON dossier (status, received_at, id)",
    // The list filtered on territory and status, newest first, in one index range.
    "CREATE INDEX dossier_territory_status_received ON dossier (territory_id, status, received_at, id)",
    "CREATE INDEX dossier_snated ON dossier (snated_number)",
    "CREATE TABLE dossier_source (
        dossier_id {BIGINT} PRIMARY KEY REFERENCES dossier (id) ON DELETE CASCADE,
        category_id {BIGINT} REFERENCES param_value (id),
        confidentiality TEXT NOT NULL,
        name TEXT,
        organisation TEXT,
        addr_number TEXT,
        addr_street TEXT,
        addr_complement TEXT,
        addr_postal_code TEXT,
        addr_insee TEXT,
        addr_city TEXT,
        email TEXT,
        phone TEXT
    )",
    "CREATE TABLE adult (
        id {ID},
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        position {BIGINT} NOT NULL,
        civility_id {BIGINT} REFERENCES param_value (id),
        birth_name TEXT NOT NULL,
        usage_name TEXT,
        first_names TEXT,
        addr_number TEXT,
        addr_street TEXT,
        addr_complement TEXT,
        addr_postal_code TEXT,
        addr_insee TEXT,
        addr_city TEXT,
        phone TEXT,
        email TEXT,
        version {BIGINT} NOT NULL DEFAULT 1
    )",
    "CREATE INDEX adult_dossier ON adult (dossier_id)",
    "CREATE TABLE dossier_child (
        id {ID},
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        person_id {BIGINT} NOT NULL REFERENCES person (id),
        position {BIGINT} NOT NULL,
        addr_number TEXT,
        addr_street TEXT,
        addr_complement TEXT,
        addr_postal_code TEXT,
        addr_insee TEXT,
        addr_city TEXT,
        csp_father_id {BIGINT} REFERENCES param_value (id),
        csp_mother_id {BIGINT} REFERENCES param_value (id),
        lieu_de_vie_id {BIGINT} REFERENCES param_value (id),
        comment TEXT,
        evaluation_result_id {BIGINT} REFERENCES param_value (id),
        conclusion_id {BIGINT} REFERENCES param_value (id),
        conclusion_on {DATE},
        conclusion_comment TEXT,
        version {BIGINT} NOT NULL DEFAULT 1,
        UNIQUE (dossier_id, person_id)
    )",
    "CREATE INDEX dossier_child_person ON dossier_child (person_id)",
    "CREATE TABLE child_adult (
        child_id {BIGINT} NOT NULL REFERENCES dossier_child (id) ON DELETE CASCADE,
        adult_id {BIGINT} NOT NULL REFERENCES adult (id) ON DELETE CASCADE,
        link_id {BIGINT} NOT NULL REFERENCES param_value (id),
        parental_authority {BOOL} NOT NULL,
        PRIMARY KEY (child_id, adult_id)
    )",
    "CREATE TABLE child_author (
        id {ID},
        child_id {BIGINT} NOT NULL REFERENCES dossier_child (id) ON DELETE CASCADE,
        adult_id {BIGINT} REFERENCES adult (id) ON DELETE CASCADE,
        third_party_name TEXT,
        link_id {BIGINT} NOT NULL REFERENCES param_value (id),
        CHECK ((adult_id IS NULL AND third_party_name IS NOT NULL) OR (adult_id IS NOT NULL AND third_party_name IS NULL))
    )",
    "CREATE INDEX child_author_child ON child_author (child_id)",
    "CREATE TABLE child_motif (
        child_id {BIGINT} NOT NULL REFERENCES dossier_child (id) ON DELETE CASCADE,
        motif_id {BIGINT} NOT NULL REFERENCES param_value (id),
        PRIMARY KEY (child_id, motif_id)
    )",
    "CREATE TABLE assignment (
        id {ID},
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        service_id {BIGINT} NOT NULL REFERENCES service (id),
        asked_on {DATE} NOT NULL,
        due_on {DATE} NOT NULL,
        returned_on {DATE},
        result_id {BIGINT} REFERENCES param_value (id),
        cancelled {BOOL} NOT NULL DEFAULT FALSE,
        comment TEXT,
        version {BIGINT} NOT NULL DEFAULT 1
    )",
    "CREATE INDEX assignment_dossier ON assignment (dossier_id)",
    "CREATE INDEX assignment_service ON assignment (service_id, dossier_id)",
    "CREATE TABLE assignment_evaluator (
        assignment_id {BIGINT} NOT NULL REFERENCES assignment (id) ON DELETE CASCADE,
        position {BIGINT} NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (assignment_id, position)
    )",
    "CREATE TABLE follow_up (
        dossier_id {BIGINT} NOT NULL REFERENCES dossier (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        done_at {TS},
        not_done_reason TEXT,
        PRIMARY KEY (dossier_id, kind)
    )",
    "CREATE TABLE audit_head (
        id {BIGINT} PRIMARY KEY CHECK (id = 1),
        last_seq {BIGINT} NOT NULL,
        last_hash TEXT NOT NULL
    )",
    "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')",
    "CREATE TABLE audit_entry (
        seq {BIGINT} PRIMARY KEY,
        at {TS} NOT NULL,
        user_id {BIGINT},
        action TEXT NOT NULL,
        object_type TEXT,
        object_id {BIGINT},
        detail TEXT,
        ip TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )",
    "CREATE INDEX audit_entry_user ON audit_entry (user_id, seq)",
    "CREATE INDEX audit_entry_object ON audit_entry (object_type, object_id, seq)",
];

/// The audit trail refuses UPDATE and DELETE at the database level too.
pub const SQLITE_ONLY: &[&str] = &[
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END",
];

pub const POSTGRES_ONLY: &[&str] = &[
    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit trail is append-only'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
];

/// What the application's role may do on the tables created here (see [`crate::grants`]).
pub const GRANTS: &[(&str, Privileges)] = &[
    ("instance", Privileges::ReadWrite),
    ("territory", Privileges::ReadWrite),
    ("service", Privileges::ReadWrite),
    ("param_value", Privileges::ReadWrite),
    ("app_user", Privileges::ReadWrite),
    ("user_territory", Privileges::ReadWrite),
    ("web_session", Privileges::ReadWrite),
    ("commune", Privileges::ReadOnly),
    ("person", Privileges::ReadWrite),
    ("person_key", Privileges::ReadWrite),
    ("dossier_counter", Privileges::ReadWrite),
    ("dossier", Privileges::ReadWrite),
    ("dossier_source", Privileges::ReadWrite),
    ("adult", Privileges::ReadWrite),
    ("dossier_child", Privileges::ReadWrite),
    ("child_adult", Privileges::ReadWrite),
    ("child_author", Privileges::ReadWrite),
    ("child_motif", Privileges::ReadWrite),
    ("assignment", Privileges::ReadWrite),
    ("assignment_evaluator", Privileges::ReadWrite),
    ("follow_up", Privileges::ReadWrite),
    ("audit_head", Privileges::Head),
    ("audit_entry", Privileges::AppendOnly),
];
