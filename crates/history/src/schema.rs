//! The schema, as an ordered list of migrations. Version N is `MIGRATIONS[N - 1]`; the file's
//! version is `PRAGMA user_version`. A migration is never edited once released: changes are new
//! migrations appended at the end, so the version only increases.

/// Every migration, oldest first.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE audits (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        organization  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finalized')),
        finalized_at  TEXT
    );
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        kind          TEXT NOT NULL CHECK (kind IN ('audit', 'sync')),
        status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'completed_with_errors', 'failed')),
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        tool_version  TEXT NOT NULL,
        note          TEXT
    );
    CREATE INDEX runs_by_audit ON runs(audit_id, id);
    CREATE TABLE run_targets (
        run_id        INTEGER NOT NULL REFERENCES runs(id),
        target_id     TEXT NOT NULL,
        server        TEXT NOT NULL,
        instance      TEXT,
        port          INTEGER CHECK (port BETWEEN 1 AND 65535),
        reached       INTEGER NOT NULL CHECK (reached IN (0, 1)),
        reason        TEXT,
        version       TEXT,
        snapshot_json TEXT,
        PRIMARY KEY (run_id, target_id)
    ) WITHOUT ROWID;
    CREATE TABLE findings (
        id            INTEGER PRIMARY KEY,
        run_id        INTEGER NOT NULL REFERENCES runs(id),
        target_id     TEXT NOT NULL,
        check_id      TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('PASS', 'FAIL', 'WARN', 'REVIEW', 'INFO', 'UNKNOWN')),
        severity      TEXT NOT NULL,
        entity_type   TEXT NOT NULL,
        entity        TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        message       TEXT NOT NULL,
        evidence_json TEXT NOT NULL,
        remediation   TEXT NOT NULL
    );
    CREATE INDEX findings_by_run ON findings(run_id, target_id, entity_key);
    CREATE TABLE row_identities (
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        uuid          TEXT NOT NULL CHECK (length(uuid) = 8),
        first_run_id  INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (audit_id, sheet, entity_key),
        UNIQUE (audit_id, uuid)
    ) WITHOUT ROWID;
    CREATE TABLE annotations (
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        review_status TEXT,
        justification TEXT,
        notes         TEXT,
        last_reviewed TEXT,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (audit_id, sheet, entity_key)
    ) WITHOUT ROWID;
    CREATE TABLE annotation_changes (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        field         TEXT NOT NULL CHECK (field IN ('review_status', 'justification', 'notes', 'last_reviewed')),
        old_value     TEXT,
        new_value     TEXT,
        changed_at    TEXT NOT NULL,
        run_id        INTEGER REFERENCES runs(id),
        source        TEXT NOT NULL
    );
    CREATE INDEX annotation_changes_by_row ON annotation_changes(audit_id, sheet, entity_key);
    CREATE TABLE action_log (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        run_id        INTEGER REFERENCES runs(id),
        target_id     TEXT NOT NULL,
        sheet         TEXT,
        entity_key    TEXT,
        check_id      TEXT,
        change_type   TEXT NOT NULL,
        description   TEXT NOT NULL,
        detected_at   TEXT NOT NULL,
        notes         TEXT,
        manual        INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1))
    );
    CREATE INDEX action_log_by_audit ON action_log(audit_id, id);
    "#,
];
