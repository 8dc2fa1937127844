//! Server-level sheets: Instances, SA Account, Server Logins, Sensitive Roles, Configuration,
//! Services, Client Protocols.

use audit_core::checks::{instance_key, login_key, service_key, service_kind_key};
use audit_core::entity_key;
use audit_core::snapshot::{Scope, Snapshot};

use super::{Align::*, Ctx, Row, Sheet, SheetSpec, Tone, Value, col, date, principal_kind};

/// One row per target, reached or not. Instance-level findings of every check that has no
/// other row land here (an unreached target's UNKNOWNs, a check that could not read its facts).
pub static INSTANCES: SheetSpec = SheetSpec {
    id: Sheet::Instances,
    name: "Instances",
    columns: &[
        col("Target", 20.0, Left),
        col("Port", 8.0, Center),
        col("Reached", 10.0, Center),
        col("Machine Name", 18.0, Left),
        col("Version", 14.0, Left),
        col("Release", 10.0, Center),
        col("Level", 12.0, Left),
        col("Edition", 26.0, Left),
        col("Clustered", 10.0, Center),
        col("OS", 30.0, Left),
        col("Audited As", 20.0, Left),
        col("Sysadmin", 10.0, Center),
        col("Encrypted", 10.0, Center),
    ],
    key_columns: 1,
    rows: instances,
};

/// One row per instance; instance-level findings without a placement of their own join it
/// (see `layout`).
fn instances(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let s = ctx.snapshot;
    out.push(Row::new(
        instance_key(),
        instance_cells(ctx.target, Some(s)),
    ));
}

/// The Instances cells of a target; `snapshot` none when it was not reached.
pub(crate) fn instance_cells(
    target: &crate::TargetResult,
    snapshot: Option<&Snapshot>,
) -> Vec<Value> {
    let port = target
        .port
        .map_or(Value::Empty, |p| Value::Number(f64::from(p)));
    let Some(s) = snapshot else {
        let reason = target.reason.as_deref().unwrap_or("not reached");
        let mut cells = vec![
            Value::text(&target.target_id),
            port,
            Value::judged(format!("\u{2717} {reason}"), Tone::Bad),
        ];
        cells.resize(INSTANCES.columns.len(), Value::Empty);
        return cells;
    };
    let level = match &s.server.update_level {
        Some(cu) => format!("{} {cu}", s.server.product_level),
        None => s.server.product_level.clone(),
    };
    let os = match &s.host {
        Ok(h) => format!("{} ({})", h.distribution, h.release),
        Err(_) => String::new(),
    };
    vec![
        Value::text(&target.target_id),
        port,
        Value::judged("\u{2713} Yes", Tone::Good),
        Value::text(&s.server.machine_name),
        Value::text(s.server.version.to_string()),
        Value::text(release_year(s.server.version.major)),
        Value::text(level),
        Value::text(&s.server.edition),
        Value::flag(Some(s.server.clustered)),
        Value::text(os),
        Value::text(&s.connection.login),
        Value::flag(Some(s.connection.sysadmin)),
        Value::yes_no(s.connection.encrypted, true),
    ]
}

/// The marketing year of a major version.
fn release_year(major: u16) -> String {
    match major {
        10 => "2008".into(),
        11 => "2012".into(),
        12 => "2014".into(),
        13 => "2016".into(),
        14 => "2017".into(),
        15 => "2019".into(),
        16 => "2022".into(),
        17 => "2025".into(),
        n => format!("v{n}"),
    }
}

/// The built-in `sa` (principal_id 1), whatever it is called now.
pub static SA_ACCOUNT: SheetSpec = SheetSpec {
    id: Sheet::SaAccount,
    name: "SA Account",
    columns: &[
        col("Current Name", 20.0, Left),
        col("Disabled", 10.0, Center),
        col("Renamed", 10.0, Center),
        col("Password Policy", 14.0, Center),
        col("Default Database", 18.0, Left),
    ],
    key_columns: 1,
    rows: sa_account,
};

fn sa_account(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(logins) = &ctx.snapshot.logins else {
        return;
    };
    for sa in logins.iter().filter(|l| l.principal_id == 1) {
        out.push(Row::new(
            login_key(sa),
            vec![
                Value::text(&sa.name),
                Value::yes_no(sa.disabled, true),
                Value::yes_no(!sa.name.eq_ignore_ascii_case("sa"), true),
                sa.policy_checked
                    .map_or(Value::Empty, |p| Value::yes_no(p, true)),
                Value::opt(sa.default_database.as_deref()),
            ],
        ));
    }
}

/// Every login.
pub static SERVER_LOGINS: SheetSpec = SheetSpec {
    id: Sheet::ServerLogins,
    name: "Server Logins",
    columns: &[
        col("Login Name", 28.0, Left),
        col("Login Type", 16.0, Left),
        col("Enabled", 10.0, Center),
        col("Password Policy", 14.0, Center),
        col("Password Expiration", 14.0, Center),
        col("Weak Password", 14.0, Center),
        col("Password Last Set", 18.0, Center),
        col("Default Database", 18.0, Left),
        col("Created", 12.0, Center),
    ],
    key_columns: 1,
    rows: server_logins,
};

fn server_logins(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    use audit_core::snapshot::WeakPassword;
    let Ok(logins) = &ctx.snapshot.logins else {
        return;
    };
    for l in logins {
        let weak = match l.weak_password {
            Some(WeakPassword::No) => Value::judged("\u{2713} No", Tone::Good),
            Some(WeakPassword::Empty) => Value::judged("\u{2717} Empty", Tone::Bad),
            Some(WeakPassword::SameAsName) => Value::judged("\u{2717} Same as name", Tone::Bad),
            None => Value::Empty,
        };
        out.push(Row::new(
            login_key(l),
            vec![
                Value::text(&l.name),
                Value::text(principal_kind(&l.kind)),
                Value::yes_no(!l.disabled, true),
                l.policy_checked
                    .map_or(Value::Empty, |p| Value::yes_no(p, true)),
                l.expiration_checked
                    .map_or(Value::Empty, |p| Value::yes_no(p, true)),
                weak,
                Value::opt(l.password_last_set.as_deref().map(date).as_deref()),
                Value::opt(l.default_database.as_deref()),
                Value::text(date(&l.created)),
            ],
        ));
    }
}

/// Server role memberships (every role but `public`).
pub static SENSITIVE_ROLES: SheetSpec = SheetSpec {
    id: Sheet::SensitiveRoles,
    name: "Sensitive Roles",
    columns: &[
        col("Role", 18.0, Left),
        col("Member", 30.0, Left),
        col("Member Type", 16.0, Left),
        col("Member Enabled", 12.0, Center),
    ],
    key_columns: 2,
    rows: sensitive_roles,
};

fn sensitive_roles(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(members) = &ctx.snapshot.server_role_members else {
        return;
    };
    let logins = ctx.snapshot.logins.as_ref().ok();
    for m in members {
        // The same key R08 gives the membership: the member's SID when the login is known.
        let login = logins.and_then(|ls| {
            ls.iter()
                .find(|l| l.name == m.member || l.name.to_lowercase() == m.member.to_lowercase())
        });
        let id = login
            .map(|l| l.sid.trim())
            .filter(|sid| !sid.is_empty())
            .unwrap_or(&m.member);
        out.push(Row::new(
            entity_key("server_role_member", &[&m.role, id]),
            vec![
                Value::text(&m.role),
                Value::text(&m.member),
                Value::text(principal_kind(&m.member_kind)),
                Value::yes_no(!m.member_disabled, true),
            ],
        ));
    }
}

/// `sys.configurations`: every option, with the value the checks require where one does.
pub static CONFIGURATION: SheetSpec = SheetSpec {
    id: Sheet::Configuration,
    name: "Configuration",
    columns: &[
        col("Setting", 34.0, Left),
        col("Configured", 11.0, Center),
        col("In Use", 9.0, Center),
        col("Required", 10.0, Center),
        col("Advanced", 10.0, Center),
        col("Dynamic", 10.0, Center),
    ],
    key_columns: 1,
    rows: configuration,
};

/// One row per `sys.configurations` option, with the value the checks require when one does.
fn configuration(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(values) = &ctx.snapshot.configuration else {
        return;
    };
    for v in values {
        let key = entity_key("config", &[&v.name]);
        let required = ctx
            .target
            .findings
            .iter()
            .filter(|f| f.entity_key == key)
            .find_map(|f| f.evidence.get("required"))
            .map_or(Value::Empty, Value::text);
        out.push(Row::new(
            key,
            vec![
                Value::text(&v.name),
                Value::Number(v.value as f64),
                Value::Number(v.value_in_use as f64),
                required,
                Value::flag(Some(v.advanced)),
                Value::flag(Some(v.dynamic)),
            ],
        ));
    }
}

/// The instance's Windows services.
pub static SERVICES: SheetSpec = SheetSpec {
    id: Sheet::Services,
    name: "Services",
    columns: &[
        col("Service Name", 30.0, Left),
        col("Type", 24.0, Left),
        col("Service Account", 34.0, Left),
        col("Startup", 12.0, Center),
        col("Running", 10.0, Center),
    ],
    key_columns: 1,
    rows: services,
};

fn services(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(services) = &ctx.snapshot.services else {
        return;
    };
    for s in services {
        out.push(Row::new(
            service_key(s),
            vec![
                Value::text(&s.service_name),
                Value::text(s.kind.display_name()),
                Value::text(&s.account),
                Value::text(&s.startup),
                Value::flag(s.running),
            ],
        ));
    }
    // Services the audit could not read (the registry closed to its login) get a row too:
    // "not read" must be visible where the service would be, never an empty sheet.
    for gap in &ctx.snapshot.unread {
        if let Scope::Service(kind) = gap.scope
            && !services.iter().any(|s| s.kind == kind)
        {
            out.push(Row::new(
                service_kind_key(kind),
                vec![
                    Value::text("(not read)"),
                    Value::text(kind.display_name()),
                    Value::text(""),
                    Value::text(""),
                    Value::flag(None),
                ],
            ));
        }
    }
}

/// Server network protocols.
pub static CLIENT_PROTOCOLS: SheetSpec = SheetSpec {
    id: Sheet::ClientProtocols,
    name: "Client Protocols",
    columns: &[col("Protocol", 18.0, Left), col("Enabled", 10.0, Center)],
    key_columns: 1,
    rows: client_protocols,
};

fn client_protocols(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(p) = &ctx.snapshot.protocols else {
        return;
    };
    for (id, name, enabled) in [
        ("tcp", "TCP/IP", p.tcp),
        ("shared_memory", "Shared Memory", p.shared_memory),
        ("named_pipes", "Named Pipes", p.named_pipes),
        ("via", "VIA", p.via),
    ] {
        if id == "via" && enabled.is_none() {
            continue;
        }
        out.push(Row::new(
            entity_key("protocol", &[id]),
            vec![Value::text(name), Value::flag(enabled)],
        ));
    }
}
