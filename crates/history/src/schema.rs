//! The schema, as an ordered list of migrations. Version N is `MIGRATIONS[N - 1]`; the file's
//! version is `PRAGMA user_version`. A migration is never edited once released: changes are new
//! migrations appended at the end, so the version only increases and every file can be brought
//! up to date step by step.
//!
//! Conventions: times are UTC text (`YYYY-MM-DD hh:mm:ss`); every column holding an enum has a
//! CHECK listing its values (the Rust names' stored forms), booleans are 0/1 with a CHECK;
//! every foreign key is indexed on the side that is looked up.

/// Every migration, oldest first. Each runs in one transaction with its version bump.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    -- An audit: a named series of runs, from its first baseline to its finalization.
    CREATE TABLE audits (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE CHECK (name <> ''),
        organization  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finalized')),
        finalized_at  TEXT,
        CHECK ((status = 'finalized') = (finalized_at IS NOT NULL))
    );

    -- A run: one `audit` or `sync`. Begun as `running` (its own transaction); its results are
    -- written together with its final status in one transaction.
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        kind          TEXT NOT NULL CHECK (kind IN ('audit', 'sync')),
        status        TEXT NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'completed', 'completed_with_errors', 'failed')),
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        tool_version  TEXT NOT NULL,
        note          TEXT,
        CHECK ((status = 'running') = (finished_at IS NULL))
    );
    CREATE INDEX runs_by_audit ON runs(audit_id);

    -- The targets a run saw, with the facts collected from each (JSON of
    -- audit_core::snapshot::Snapshot) so that a workbook can be rendered from the history alone.
    -- A rowid table, not WITHOUT ROWID: the facts are large.
    CREATE TABLE run_targets (
        run_id        INTEGER NOT NULL REFERENCES runs(id),
        target_id     TEXT NOT NULL,
        server        TEXT NOT NULL,
        instance      TEXT,
        port          INTEGER CHECK (port BETWEEN 0 AND 65535),
        reached       INTEGER NOT NULL CHECK (reached IN (0, 1)),
        reason        TEXT,
        version       TEXT,
        snapshot_json TEXT,
        PRIMARY KEY (run_id, target_id)
    );

    -- What the checks concluded, one row per finding, in the order the run produced them.
    CREATE TABLE findings (
        id                   INTEGER PRIMARY KEY,
        run_id               INTEGER NOT NULL REFERENCES runs(id),
        target_id            TEXT NOT NULL,
        check_id             TEXT NOT NULL,
        status               TEXT NOT NULL
                             CHECK (status IN ('PASS', 'FAIL', 'WARN', 'REVIEW', 'INFO', 'UNKNOWN')),
        severity             TEXT NOT NULL
                             CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
        entity_type          TEXT NOT NULL,
        entity               TEXT NOT NULL,
        entity_key           TEXT NOT NULL,
        message              TEXT NOT NULL,
        evidence_json        TEXT NOT NULL,
        remediation_category TEXT NOT NULL
                             CHECK (remediation_category IN ('safe', 'caution', 'review', 'manual', 'none'))
    );
    -- (run_id) also yields a run's findings in id order without a sort; (run_id, entity_key)
    -- serves comparing one entity across runs.
    CREATE INDEX findings_by_run ON findings(run_id, target_id);
    CREATE INDEX findings_by_run_entity ON findings(run_id, entity_key);

    -- The stable `_UUID` of each workbook row: given once per (sheet, entity) and kept for the
    -- audit's life, so that a row keeps its identity across runs and re-renders.
    CREATE TABLE row_identities (
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        uuid          TEXT NOT NULL CHECK (length(uuid) = 8 AND uuid NOT GLOB '*[^0-9A-F]*'),
        first_run_id  INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (audit_id, sheet, entity_key),
        UNIQUE (audit_id, uuid)
    ) WITHOUT ROWID;

    -- What auditors typed on a row: the current values, one row per entity.
    CREATE TABLE annotations (
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        review_status TEXT,
        justification TEXT,
        notes         TEXT,
        last_reviewed TEXT,
        purpose       TEXT,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (audit_id, sheet, entity_key)
    ) WITHOUT ROWID;

    -- Every change of an annotation field, oldest first: who changed what, when, from where.
    CREATE TABLE annotation_changes (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        sheet         TEXT NOT NULL,
        entity_key    TEXT NOT NULL,
        field         TEXT NOT NULL
                      CHECK (field IN ('review_status', 'justification', 'notes', 'last_reviewed', 'purpose')),
        old_value     TEXT,
        new_value     TEXT,
        changed_at    TEXT NOT NULL,
        run_id        INTEGER REFERENCES runs(id),
        source        TEXT NOT NULL
    );
    CREATE INDEX annotation_changes_by_row ON annotation_changes(audit_id, sheet, entity_key);

    -- The action log: what changed between runs, and entries auditors add by hand.
    CREATE TABLE action_log (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        run_id        INTEGER REFERENCES runs(id),
        target_id     TEXT NOT NULL,
        sheet         TEXT,
        entity_key    TEXT,
        check_id      TEXT,
        entity        TEXT NOT NULL DEFAULT '',
        change_type   TEXT NOT NULL,
        description   TEXT NOT NULL,
        detected_at   TEXT NOT NULL,
        notes         TEXT,
        manual        INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
        server        TEXT,
        instance      TEXT,
        category      TEXT,
        risk          TEXT
    );
    CREATE INDEX action_log_by_audit ON action_log(audit_id);
    CREATE INDEX action_log_by_run ON action_log(run_id);
    "#,
    // 2: remediation runs and every batch's outcome.
    r#"
    -- One `remediate apply` or `remediate rollback` (dry runs are not recorded).
    CREATE TABLE remediation_runs (
        id            INTEGER PRIMARY KEY,
        audit_id      INTEGER NOT NULL REFERENCES audits(id),
        kind          TEXT NOT NULL CHECK (kind IN ('apply', 'rollback')),
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL,
        tool_version  TEXT NOT NULL
    );
    CREATE INDEX remediation_runs_by_audit ON remediation_runs(audit_id);

    -- What each batch of each server's script did. Messages never hold a generated secret
    -- (they are masked before they get here).
    CREATE TABLE remediation_batches (
        run_id        INTEGER NOT NULL REFERENCES remediation_runs(id),
        target_id     TEXT NOT NULL,
        batch         INTEGER NOT NULL,
        check_id      TEXT,
        outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'skipped', 'error', 'not_run')),
        message       TEXT,
        PRIMARY KEY (run_id, target_id, batch)
    );
    "#,
    // 3: remediation runs are recorded server by server as each finishes, so a run that is
    // killed keeps what it did. `finished_at` is, while running or once interrupted, the time
    // the last server's outcomes were recorded.
    r#"
    ALTER TABLE remediation_runs ADD COLUMN status TEXT NOT NULL DEFAULT 'completed'
        CHECK (status IN ('running', 'completed', 'interrupted'));
    "#,
    // 4: a finding carries the fix its check names (JSON of `audit_core::Fix`), so that
    // remediation acts on what the check said, never on the wording of a message. NULL for
    // findings without one, and for findings recorded before.
    r#"
    ALTER TABLE findings ADD COLUMN fix_json TEXT;
    "#,
    // 5: services are keyed by their kind (`service:engine`, `service:browser` …), no longer by
    // the Windows service name the audit login happened to see (`service:mssqlserver` from the
    // registry, `service:sql server (mssqlserver)` from sys.dm_server_services). Existing keys
    // are rewritten so that the first sync after the upgrade does not report every service
    // finding as fixed and new, and rows keep their `_UUID` and annotations. Where both old
    // spellings exist for one row, the first rewritten wins (`OR IGNORE`); the other is an
    // orphan nothing refers to any more. The names come from `collect::queries::registry` and
    // Microsoft's service names (sys.dm_server_services: "SQL Server (…)", "SQL Server Agent
    // (…)", "SQL Full-text Filter Daemon Launcher (…)").
    r#"
    CREATE TEMP TABLE service_kinds (pattern TEXT NOT NULL, kind TEXT NOT NULL, rank INTEGER NOT NULL);
    INSERT INTO service_kinds VALUES
        ('sql server agent (%', 'agent', 1), ('sqlagent$%', 'agent', 1), ('sqlserveragent', 'agent', 1),
        ('sql full-text filter daemon launcher%', 'full_text', 1), ('mssqlfdlauncher%', 'full_text', 1),
        ('sql server (%', 'engine', 2), ('mssqlserver', 'engine', 1), ('mssql$%', 'engine', 1),
        ('sqlbrowser', 'browser', 1),
        ('reportserver%', 'reporting', 1), ('sqlserverreportingservices', 'reporting', 1),
        ('mssqlserverolapservice', 'analysis', 1), ('msolap$%', 'analysis', 1),
        ('msdtsserver%', 'integration', 1);

    UPDATE findings SET entity_key = 'service:' ||
        (SELECT kind FROM service_kinds WHERE substr(findings.entity_key, 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE entity_key LIKE 'service:%'
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(findings.entity_key, 9) LIKE pattern);

    UPDATE action_log SET entity_key = 'service:' ||
        (SELECT kind FROM service_kinds WHERE substr(action_log.entity_key, 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE entity_key LIKE 'service:%'
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(action_log.entity_key, 9) LIKE pattern);
    UPDATE action_log SET entity_key = substr(entity_key, 1, instr(entity_key, '/service:') + 8) ||
        (SELECT kind FROM service_kinds WHERE substr(action_log.entity_key, instr(action_log.entity_key, '/service:') + 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE instr(entity_key, '/service:') > 0
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(action_log.entity_key, instr(action_log.entity_key, '/service:') + 9) LIKE pattern);

    UPDATE OR IGNORE row_identities SET entity_key = substr(entity_key, 1, instr(entity_key, '/service:') + 8) ||
        (SELECT kind FROM service_kinds WHERE substr(row_identities.entity_key, instr(row_identities.entity_key, '/service:') + 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE instr(entity_key, '/service:') > 0
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(row_identities.entity_key, instr(row_identities.entity_key, '/service:') + 9) LIKE pattern);

    UPDATE OR IGNORE annotations SET entity_key = substr(entity_key, 1, instr(entity_key, '/service:') + 8) ||
        (SELECT kind FROM service_kinds WHERE substr(annotations.entity_key, instr(annotations.entity_key, '/service:') + 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE instr(entity_key, '/service:') > 0
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(annotations.entity_key, instr(annotations.entity_key, '/service:') + 9) LIKE pattern);

    UPDATE annotation_changes SET entity_key = substr(entity_key, 1, instr(entity_key, '/service:') + 8) ||
        (SELECT kind FROM service_kinds WHERE substr(annotation_changes.entity_key, instr(annotation_changes.entity_key, '/service:') + 9) LIKE pattern ORDER BY rank LIMIT 1)
    WHERE instr(entity_key, '/service:') > 0
      AND EXISTS (SELECT 1 FROM service_kinds WHERE substr(annotation_changes.entity_key, instr(annotation_changes.entity_key, '/service:') + 9) LIKE pattern);

    DROP TABLE temp.service_kinds;
    "#,
    // 6: check selection and baselines (step 13). A run records the selection that chose its
    // checks (`all`, `stig, --skip-checks X01` …) and each target the checks left out on it (a
    // comma-separated list of check ids; NULL: none), so a check not selected is never read as
    // passed. A baseline approves the result set of one check on one target as it stood in one
    // run: every entity with its status and the facts that decided it. Approving again or
    // clearing keeps the old baseline with the time it ended, so who approved what stays
    // on record; at most one baseline per check and target is current.
    r#"
    ALTER TABLE runs ADD COLUMN selection TEXT;
    ALTER TABLE run_targets ADD COLUMN not_selected TEXT;

    CREATE TABLE baselines (
        id            INTEGER PRIMARY KEY,
        target_id     TEXT NOT NULL CHECK (target_id <> ''),
        check_id      TEXT NOT NULL CHECK (check_id <> ''),
        run_id        INTEGER NOT NULL REFERENCES runs(id),
        approved_at   TEXT NOT NULL,
        approved_by   TEXT NOT NULL,
        note          TEXT,
        ended_at      TEXT,
        ended_by      TEXT,
        CHECK ((ended_at IS NULL) = (ended_by IS NULL))
    );
    CREATE UNIQUE INDEX baselines_current ON baselines(target_id, check_id) WHERE ended_at IS NULL;
    CREATE INDEX baselines_by_run ON baselines(run_id);

    CREATE TABLE baseline_results (
        baseline_id   INTEGER NOT NULL REFERENCES baselines(id),
        entity_key    TEXT NOT NULL,
        entity        TEXT NOT NULL,
        status        TEXT NOT NULL
                      CHECK (status IN ('PASS', 'FAIL', 'WARN', 'REVIEW', 'INFO', 'UNKNOWN')),
        evidence_json TEXT NOT NULL,
        PRIMARY KEY (baseline_id, entity_key)
    ) WITHOUT ROWID;
    "#,
];
