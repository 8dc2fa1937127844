//! Writing items as the fix and rollback scripts, from the templates embedded in the binary.
//!
//! Every template renders through one rule: a string reaches the output only through a quoting
//! filter (`ident`, `literal`, `keyword`, `comment`, `comment_text`, `placeholder_name`); a bare string is a
//! rendering error, so no template can forget to quote a name from a server. Numbers and
//! booleans need no quoting.

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State};
use serde::Serialize;

use crate::plan::{Action, Hold, Item, Level};
use crate::quote;

/// What the script header says.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// The target's id.
    pub target_id: String,
    /// Server as configured.
    pub server: String,
    /// Instance or `(Default)`.
    pub instance: String,
    /// The audit.
    pub audit: String,
    /// The run whose facts the scripts were built from.
    pub run: i64,
    /// The level.
    pub level: u8,
    /// When (UTC).
    pub generated: String,
    /// `AutoDBAudit x.y.z`.
    pub tool: String,
}

/// The scripts of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scripts {
    /// The fix script.
    pub fix: String,
    /// The rollback script.
    pub rollback: String,
    /// The generated secrets the fix script's live sections use, with the login each is for
    /// (their values are not here).
    pub secrets: Vec<crate::secrets::SecretUse>,
}

/// Why a script could not be rendered (a template bug: every value is checked before).
#[derive(Debug, thiserror::Error)]
#[error("cannot render the remediation script: {0:#}")]
pub struct RenderError(#[from] Error);

const FRAMES: [(&str, &str); 2] = [
    ("fix", include_str!("../templates/fix.sql.j2")),
    ("rollback", include_str!("../templates/rollback.sql.j2")),
];

const ACTIONS: [(&str, &str); 15] = [
    (
        "database_option",
        include_str!("../templates/actions/database_option.sql.j2"),
    ),
    (
        "revoke_permission",
        include_str!("../templates/actions/revoke_permission.sql.j2"),
    ),
    (
        "database_role_member",
        include_str!("../templates/actions/database_role_member.sql.j2"),
    ),
    ("config", include_str!("../templates/actions/config.sql.j2")),
    (
        "sa_account",
        include_str!("../templates/actions/sa_account.sql.j2"),
    ),
    (
        "new_password",
        include_str!("../templates/actions/new_password.sql.j2"),
    ),
    (
        "check_policy",
        include_str!("../templates/actions/check_policy.sql.j2"),
    ),
    (
        "drop_orphan",
        include_str!("../templates/actions/drop_orphan.sql.j2"),
    ),
    (
        "guest_connect",
        include_str!("../templates/actions/guest_connect.sql.j2"),
    ),
    (
        "trustworthy",
        include_str!("../templates/actions/trustworthy.sql.j2"),
    ),
    (
        "role_member",
        include_str!("../templates/actions/role_member.sql.j2"),
    ),
    (
        "disable_login",
        include_str!("../templates/actions/disable_login.sql.j2"),
    ),
    (
        "login_audit",
        include_str!("../templates/actions/login_audit.sql.j2"),
    ),
    (
        "linked_logins",
        include_str!("../templates/actions/linked_logins.sql.j2"),
    ),
    ("manual", include_str!("../templates/actions/manual.sql.j2")),
];

fn invalid(e: quote::QuoteError) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string())
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(false);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("tsql"));
    env.set_formatter(|out, _state: &State<'_, '_>, value: &Value| {
        if value.is_safe() || value.is_number() || value.kind() == minijinja::value::ValueKind::Bool
        {
            write!(out, "{value}").map_err(Error::from)
        } else {
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("`{value}` reached a script without a quoting filter"),
            ))
        }
    });
    env.add_filter("ident", |v: String| {
        quote::ident(&v)
            .map(Value::from_safe_string)
            .map_err(invalid)
    });
    env.add_filter("literal", |v: String| {
        quote::literal(&v)
            .map(Value::from_safe_string)
            .map_err(invalid)
    });
    env.add_filter("keyword", |v: String| {
        quote::keyword(&v)
            .map(Value::from_safe_string)
            .map_err(invalid)
    });
    env.add_filter("comment", |v: String| {
        Value::from_safe_string(quote::comment(&v))
    });
    // Text inside a comment line that is already open: no line break can survive.
    env.add_filter("comment_text", |v: String| {
        Value::from_safe_string(
            v.chars()
                .map(|c| if quote::is_hidden(c) { ' ' } else { c })
                .collect(),
        )
    });
    env.add_filter("placeholder_name", |v: String| {
        if !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            Ok(Value::from_safe_string(v))
        } else {
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("`{v}` is not a placeholder name"),
            ))
        }
    });
    for (name, source) in FRAMES.iter().chain(&ACTIONS) {
        env.add_template(name, source)
            .expect("the embedded templates parse (tested)");
    }
    env
}

/// A section as the frame templates see it.
#[derive(Serialize)]
struct Section {
    number: usize,
    category: &'static str,
    check: String,
    title: String,
    entity: String,
    message: String,
    note: Option<String>,
    state: &'static str,
    secret: Option<String>,
    fix: Value,
}

fn action_body(
    env: &Environment<'_>,
    action: &Action,
    rollback: bool,
) -> Result<String, RenderError> {
    let kind = match action {
        Action::Config { .. } => "config",
        Action::SaAccount { .. } => "sa_account",
        Action::NewPassword { .. } => "new_password",
        Action::CheckPolicy { .. } => "check_policy",
        Action::DropOrphan { .. } => "drop_orphan",
        Action::GuestConnect { .. } => "guest_connect",
        Action::Trustworthy { .. } => "trustworthy",
        Action::RoleMember { .. } => "role_member",
        Action::DisableLogin { .. } => "disable_login",
        Action::LoginAudit { .. } => "login_audit",
        Action::LinkedLogins { .. } => "linked_logins",
        Action::DatabaseOption { .. } => "database_option",
        Action::RevokePermission { .. } => "revoke_permission",
        Action::DatabaseRoleMember { .. } => "database_role_member",
        Action::Manual => "manual",
    };
    let mut context = Value::from_serialize(action);
    let extra = Value::from_serialize(RollbackFlag { rollback });
    context = minijinja::context! { ..context, ..extra };
    Ok(env.get_template(kind)?.render(context)?)
}

#[derive(Serialize)]
struct RollbackFlag {
    rollback: bool,
}

/// Why a section is commented out, for its banner; none when it runs.
fn held_note(item: &Item, level: Level) -> (Option<String>, &'static str) {
    match (&item.hold, item.category.live_from()) {
        (Some(Hold::Exception { justification }), _) => (
            Some(format!(
                "HELD at every level: a documented exception. Justification: {justification}"
            )),
            "held",
        ),
        (Some(Hold::Lockout { reason }), _) => (
            Some(format!(
                "HELD at every level (lockout protection): {reason}."
            )),
            "held",
        ),
        (None, None) => (item.manual_reason.clone(), "info"),
        (None, Some(from)) if level < from => (
            Some(format!(
                "COMMENTED: {} fixes run from level {}; this script is level {}.",
                item.category.as_str(),
                from.get(),
                level.get()
            )),
            "commented",
        ),
        (None, Some(_)) => (None, "live"),
    }
}

fn commented(sql: &str) -> String {
    sql.lines()
        .map(|l| {
            if l.starts_with("--") {
                l.to_owned()
            } else {
                format!("-- {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders the fix and rollback scripts of one instance's items at `level`.
pub fn render(header: &Header, items: &[Item], level: Level) -> Result<Scripts, RenderError> {
    let env = environment();
    let mut fix_sections = Vec::with_capacity(items.len());
    let mut rollback_sections = Vec::new();
    let mut secrets = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let number = i + 1;
        let (note, state) = held_note(item, level);
        let live = state == "live";
        let fix = action_body(&env, &item.action, false)?;
        let secret = item.action.secret().map(str::to_owned);
        if live && let Some((name, login)) = item.action.secret_use() {
            secrets.push(crate::secrets::SecretUse {
                name: name.to_owned(),
                login: login.to_owned(),
            });
        }
        let section = |fix: String, note: Option<String>| Section {
            number,
            category: item.category.as_str(),
            check: item.check.to_string(),
            title: item.title.to_owned(),
            entity: item.entity.clone(),
            message: item.message.clone(),
            note,
            state,
            secret: if live { secret.clone() } else { None },
            fix: Value::from_safe_string(if live { fix } else { commented(&fix) }),
        };
        if item.action != Action::Manual {
            let rollback = action_body(&env, &item.action, true)?;
            let note = if live {
                None
            } else {
                Some(format!(
                    "Commented out because its fix is ({}).",
                    note.as_deref().unwrap_or("a manual step")
                ))
            };
            rollback_sections.push(Section {
                secret: None,
                ..section(rollback, note)
            });
        }
        fix_sections.push(section(fix, note));
    }
    rollback_sections.reverse();
    let level_text = level.describe();
    // sqlcmd replaces `$(…)` everywhere, inside quoted names too: a script naming such a
    // server object must only run through `apply`, which replaces bare placeholders only.
    let sqlcmd_unsafe = format!("{header:?}{items:?}").contains("$(");
    let fix = env.get_template("fix")?.render(minijinja::context! {
        ..Value::from_serialize(header),
        ..minijinja::context! { items => fix_sections, level_text => level_text, sqlcmd_unsafe => sqlcmd_unsafe }
    })?;
    let rollback = env.get_template("rollback")?.render(minijinja::context! {
        ..Value::from_serialize(header),
        ..minijinja::context! { items => rollback_sections, level_text => level_text }
    })?;
    Ok(Scripts {
        fix,
        rollback,
        secrets,
    })
}
