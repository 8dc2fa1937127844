//! Linked Servers, Triggers, Agent Jobs, Backups, Audit Settings, Encryption, Paths to
//! Sysadmin.

use audit_core::entity_key;

use super::{Align::*, Ctx, Row, Sheet, SheetSpec, Tone, Value, col, date, minutes};

/// Linked servers with their login mappings.
pub static LINKED_SERVERS: SheetSpec = SheetSpec {
    id: Sheet::LinkedServers,
    name: "Linked Servers",
    columns: &[
        col("Linked Server", 22.0, Left),
        col("Product", 14.0, Left),
        col("Provider", 16.0, Left),
        col("Data Source", 28.0, Left),
        col("RPC Out", 10.0, Center),
        col("Login Mappings", 40.0, Wrap),
    ],
    key_columns: 1,
    rows: linked_servers,
};

fn linked_servers(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(servers) = &ctx.snapshot.linked_servers else {
        return;
    };
    for ls in servers {
        let mappings: Vec<String> = ls
            .logins
            .iter()
            .map(|m| {
                let local = m.local.as_deref().unwrap_or("(every login)");
                let remote = if m.uses_self {
                    "(itself)"
                } else {
                    m.remote.as_deref().unwrap_or("(no login)")
                };
                format!("{local} \u{2192} {remote}")
            })
            .collect();
        out.push(Row::new(
            entity_key("linked_server", &[&ls.name]),
            vec![
                Value::text(&ls.name),
                Value::text(&ls.product),
                Value::text(&ls.provider),
                Value::text(&ls.data_source),
                Value::yes_no(ls.rpc_out, false),
                Value::text(mappings.join("\n")),
            ],
        ));
    }
}

/// SQL Server Agent jobs: who owns them (X30) and whether they run at Agent start-up (X31).
pub static AGENT_JOBS: SheetSpec = SheetSpec {
    id: Sheet::AgentJobs,
    name: "Agent Jobs",
    columns: &[
        col("Job Name", 32.0, Left),
        col("Owner", 26.0, Left),
        col("Owner SID", 30.0, Left),
        col("Enabled", 10.0, Center),
        col("Runs at Agent Start", 26.0, Wrap),
    ],
    key_columns: 1,
    rows: agent_jobs,
};

fn agent_jobs(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    if let Ok(jobs) = &ctx.snapshot.agent_jobs {
        for j in jobs {
            out.push(Row::new(
                entity_key("agent_job", &[&j.name]),
                vec![
                    Value::text(&j.name),
                    Value::text(j.owner.as_deref().unwrap_or("(no login)")),
                    Value::text(&j.owner_sid),
                    Value::flag(Some(j.enabled)),
                    Value::text(if j.startup_schedules.is_empty() {
                        "-".to_owned()
                    } else {
                        j.startup_schedules.join(", ")
                    }),
                ],
            ));
        }
    }
}

/// Server triggers and database triggers.
pub static TRIGGERS: SheetSpec = SheetSpec {
    id: Sheet::Triggers,
    name: "Triggers",
    columns: &[
        col("Scope", 10.0, Center),
        col("Database", 20.0, Left),
        col("Parent", 24.0, Left),
        col("Trigger Name", 28.0, Left),
        col("Events", 24.0, Wrap),
        col("Enabled", 10.0, Center),
    ],
    key_columns: 4,
    rows: triggers,
};

fn triggers(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    if let Ok(triggers) = &ctx.snapshot.server_triggers {
        for t in triggers {
            out.push(Row::new(
                entity_key("server_trigger", &[&t.name]),
                vec![
                    Value::text("SERVER"),
                    Value::text("(Server)"),
                    Value::text(&t.parent),
                    Value::text(&t.name),
                    Value::text(t.events.join(", ")),
                    Value::flag(Some(!t.disabled)),
                ],
            ));
        }
    }
    if let Ok(details) = &ctx.snapshot.database_details {
        for d in details {
            for t in &d.triggers {
                out.push(Row::new(
                    entity_key("db_trigger", &[&d.database, &t.parent, &t.name]),
                    vec![
                        Value::text("DATABASE"),
                        Value::text(&d.database),
                        Value::text(&t.parent),
                        Value::text(&t.name),
                        Value::text(t.events.join(", ")),
                        Value::flag(Some(!t.disabled)),
                    ],
                ));
            }
        }
    }
}

/// Last backups of every database but tempdb.
pub static BACKUPS: SheetSpec = SheetSpec {
    id: Sheet::Backups,
    name: "Backups",
    columns: &[
        col("Database", 24.0, Left),
        col("Recovery Model", 14.0, Center),
        col("State", 12.0, Center),
        col("Last Full Backup", 18.0, Center),
        col("Last Log Backup", 18.0, Center),
    ],
    key_columns: 1,
    rows: backups,
};

fn backups(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(dbs) = &ctx.snapshot.databases else {
        return;
    };
    let when = |ts: Option<&str>| match ts {
        Some(ts) => Value::text(minutes(ts)),
        None => Value::judged("NEVER", Tone::Bad),
    };
    for d in dbs
        .iter()
        .filter(|d| !d.name.eq_ignore_ascii_case("tempdb"))
    {
        let log = if d.recovery_model.eq_ignore_ascii_case("SIMPLE") {
            Value::text("n/a (SIMPLE)")
        } else {
            when(d.last_log_backup.as_deref())
        };
        out.push(Row::new(
            entity_key("database", &[&d.name]),
            vec![
                Value::text(&d.name),
                Value::text(&d.recovery_model),
                Value::text(&d.state),
                when(d.last_full_backup.as_deref()),
                log,
            ],
        ));
    }
}

/// Login auditing, server audits, encryption of connections and attestations.
pub static AUDIT_SETTINGS: SheetSpec = SheetSpec {
    id: Sheet::AuditSettings,
    name: "Audit Settings",
    columns: &[
        col("Setting", 34.0, Left),
        col("Current Value", 30.0, Left),
        col("Recommended", 30.0, Left),
    ],
    key_columns: 1,
    rows: audit_settings,
};

fn audit_settings(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let s = ctx.snapshot;
    let level = match &s.login_audit_level {
        Ok(0) => "None".to_owned(),
        Ok(1) => "Successful logins only".to_owned(),
        Ok(2) => "Failed logins only".to_owned(),
        Ok(3) => "Successful and failed logins".to_owned(),
        Ok(n) => format!("level {n}"),
        Err(why) => format!("unknown: {}", why.reason),
    };
    // The checks that judge these settings place their findings on these rows (R22, X09).
    let setting = |key: &str, name: &str, current: String, recommended: &str| {
        Row::new(
            entity_key("setting", &[key]),
            vec![
                Value::text(name),
                Value::text(current),
                Value::text(recommended),
            ],
        )
    };
    out.push(setting(
        "login_audit_level",
        "Login auditing",
        level,
        "Successful and failed logins",
    ));
    let force = match &s.force_encryption {
        Ok(on) => if *on { "On" } else { "Off" }.to_owned(),
        Err(why) => format!("unknown: {}", why.reason),
    };
    out.push(setting("force_encryption", "Force Encryption", force, "On"));
    let session = if s.connection.encrypted {
        "Encrypted (TLS)"
    } else {
        "Not encrypted"
    };
    out.push(setting(
        "audit_connection",
        "This audit's connection",
        session.to_owned(),
        "Encrypted (TLS)",
    ));
    for (key, name) in [
        ("host_firewall", "Host firewall (attestation)"),
        (
            "connection_strings",
            "Application connection strings (attestation)",
        ),
    ] {
        let key = entity_key("attestation", &[key]);
        out.push(Row::new(
            key,
            vec![
                Value::text(name),
                Value::text("attested by a person"),
                Value::text("documented in Justification"),
            ],
        ));
    }
    if let Ok(audits) = &s.audits {
        for a in audits {
            let specs: Vec<String> = a
                .specifications
                .iter()
                .map(|sp| {
                    format!(
                        "{}{}: {}",
                        sp.name,
                        if sp.enabled { "" } else { " (disabled)" },
                        sp.actions.join(", ")
                    )
                })
                .collect();
            out.push(Row::new(
                entity_key("server_audit", &[&a.name]),
                vec![
                    Value::text(format!("Server audit {}", a.name)),
                    Value::yes_no(a.enabled, true),
                    Value::text(format!("{} \u{2192} {}", a.destination, specs.join("; "))),
                ],
            ));
        }
    }
}

/// Certificates and database encryption keys.
pub static ENCRYPTION: SheetSpec = SheetSpec {
    id: Sheet::Encryption,
    name: "Encryption",
    columns: &[
        col("Database", 20.0, Left),
        col("Kind", 20.0, Left),
        col("Name", 26.0, Left),
        col("Detail", 30.0, Left),
        col("Expiry", 12.0, Center),
        col("Key Backup", 18.0, Center),
    ],
    key_columns: 3,
    rows: encryption,
};

fn encryption(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    if let Ok(certs) = &ctx.snapshot.certificates {
        for c in certs {
            let backup = match (&c.last_backup, c.has_private_key) {
                (_, false) => Value::text("no private key"),
                (None, true) => Value::text("not recorded"),
                (Some(None), true) => Value::judged("\u{2717} never", Tone::Bad),
                (Some(Some(ts)), true) => Value::judged(date(ts), Tone::Good),
            };
            out.push(Row::new(
                entity_key("certificate", &[&c.database, &c.name]),
                vec![
                    Value::text(&c.database),
                    Value::text("Certificate"),
                    Value::text(&c.name),
                    Value::text(&c.subject),
                    Value::text(date(&c.expiry)),
                    backup,
                ],
            ));
        }
    }
    if let Ok(keys) = &ctx.snapshot.encryption_keys {
        for k in keys {
            out.push(Row::new(
                entity_key("tde_database", &[&k.database]),
                vec![
                    Value::text(&k.database),
                    Value::text("Database encryption key"),
                    Value::text(k.certificate.as_deref().unwrap_or("")),
                    Value::text(format!("{} (state {})", k.encryptor_type, k.state)),
                    Value::Empty,
                    Value::Empty,
                ],
            ));
        }
    }
    // The host's SCHANNEL protocol versions (X32): Windows only, where the keys exist.
    let linux = ctx
        .snapshot
        .host
        .as_ref()
        .is_ok_and(|h| h.platform.eq_ignore_ascii_case("Linux"));
    if let (Ok(host), false) = (&ctx.snapshot.host_settings, linux) {
        for protocol in ["TLS 1.2", "TLS 1.0", "TLS 1.1", "SSL 2.0", "SSL 3.0"] {
            let side = |side: &str| {
                let key = host.schannel.iter().find(|k| {
                    k.protocol.eq_ignore_ascii_case(protocol) && k.side.eq_ignore_ascii_case(side)
                });
                let value = |v: Option<i64>| v.map_or("absent".to_owned(), |v| v.to_string());
                format!(
                    "{side}: Enabled={}, DisabledByDefault={}",
                    value(key.and_then(|k| k.enabled)),
                    value(key.and_then(|k| k.disabled_by_default))
                )
            };
            out.push(Row::new(
                entity_key("tls_protocol", &[protocol]),
                vec![
                    Value::text("(host)"),
                    Value::text("TLS protocol (SCHANNEL)"),
                    Value::text(protocol),
                    Value::text(format!("{}; {}", side("Client"), side("Server"))),
                    Value::Empty,
                    Value::Empty,
                ],
            ));
        }
    }
}

/// The most step columns: a longer path puts its remaining steps, one per line, in the last.
const PATH_STEP_COLUMNS: usize = 6;

/// Paths to sysadmin (X56): one row per principal that is not privileged but can reach
/// sysadmin or CONTROL SERVER, its shortest path one step per column, computed from the
/// snapshot by the same pure function as the check ([`audit_core::privilege_graph`]).
pub static PATHS_TO_SYSADMIN: SheetSpec = SheetSpec {
    id: Sheet::PathsToSysadmin,
    name: "Paths to Sysadmin",
    columns: &[
        col("Principal", 30.0, Left),
        col("Kind", 14.0, Center),
        col("Steps", 8.0, Center),
        col("Step 1", 30.0, Wrap),
        col("Step 2", 30.0, Wrap),
        col("Step 3", 30.0, Wrap),
        col("Step 4", 30.0, Wrap),
        col("Step 5", 30.0, Wrap),
        col("Step 6", 36.0, Wrap),
    ],
    key_columns: 1,
    rows: paths_to_sysadmin,
};

fn paths_to_sysadmin(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    use audit_core::checks::x56_paths_to_sysadmin::entity;
    use audit_core::privilege_graph::{NodeKind, paths_to_sysadmin};
    for path in paths_to_sysadmin(ctx.snapshot) {
        let (_, _, key) = entity(ctx.snapshot, &path);
        let kind = match path.principal.kind {
            NodeKind::DatabaseUser => "database user",
            _ => "login",
        };
        let step = |s: &audit_core::privilege_graph::Step| {
            format!("\u{2014}{}\u{2192} {}", s.edge, s.to.label())
        };
        let mut values = vec![
            Value::text(path.principal.label()),
            Value::text(kind),
            Value::Number(path.steps.len() as f64),
        ];
        for n in 0..PATH_STEP_COLUMNS {
            let text = if n + 1 < PATH_STEP_COLUMNS {
                path.steps.get(n).map(step).unwrap_or_default()
            } else {
                path.steps
                    .iter()
                    .skip(n)
                    .map(step)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            values.push(if text.is_empty() {
                Value::Empty
            } else {
                Value::text(text)
            });
        }
        out.push(Row::new(key, values));
    }
}
