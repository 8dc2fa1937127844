//! `autodbaudit credentials add | list | remove`.

use std::io::{self, IsTerminal, Read};
use std::path::Path;

use audit_credentials::{
    CredentialName, CredentialRef, CredentialStores, Resolver, Secret, StoreKind,
};

use crate::cli::{CredentialAddArgs, CredentialRemoveArgs, CredentialsCommand, StoreArg};
use crate::exit::{CliError, CmdResult, Exit};
use crate::{logging, ui};

/// Runs a `credentials` subcommand against the workspace's `credentials/` folder.
pub fn run(workspace: &Path, command: &CredentialsCommand) -> CmdResult {
    let stores = CredentialStores::new(workspace.join("credentials"));
    match command {
        CredentialsCommand::Add(args) => add(workspace, &stores, args),
        CredentialsCommand::List => list(&stores),
        CredentialsCommand::Remove(args) => remove(workspace, &stores, args),
        CredentialsCommand::Check => check(workspace, stores),
    }
}

fn store_kind(arg: Option<StoreArg>) -> StoreKind {
    match arg {
        Some(StoreArg::Dpapi) => StoreKind::Dpapi,
        Some(StoreArg::Keyring) => StoreKind::Keyring,
        None => StoreKind::platform_default(),
    }
}

fn parse_name(name: &str) -> Result<CredentialName, CliError> {
    name.parse()
        .map_err(|e| CliError::usage(format!("invalid credential name: {e}")))
}

fn store_error(e: audit_credentials::StoreError) -> CliError {
    match e {
        audit_credentials::StoreError::Io { .. } => CliError::internal(e.to_string()),
        other => CliError::usage(other.to_string()),
    }
}

fn add(workspace: &Path, stores: &CredentialStores, args: &CredentialAddArgs) -> CmdResult {
    let name = parse_name(&args.name)?;
    let kind = store_kind(args.store);
    if !kind.is_available() {
        let other = if kind == StoreKind::Dpapi {
            "--store keyring"
        } else {
            "an env:NAME reference"
        };
        return Err(
            CliError::usage(format!("the {kind} store is not available on this system"))
                .hint(format!("use {other} instead")),
        );
    }
    require_workspace(workspace)?;
    // The index is rewritten: no other run may be changing the workspace meanwhile. Taken
    // before the secret is asked for, so nobody types it only to be refused.
    let _lock = lock(workspace)?;
    let secret = if args.stdin {
        read_stdin()?
    } else {
        read_terminal(&name)?
    };
    if secret.is_empty() {
        return Err(CliError::usage("the secret is empty; nothing was stored"));
    }
    if secret.expose().chars().count() < MIN_SECRET_CHARS {
        return Err(CliError::usage(format!(
            "the secret is shorter than {MIN_SECRET_CHARS} characters; nothing was stored"
        )));
    }
    // Everything that can be refused is checked before anything is written.
    stores.check_index().map_err(store_error)?;
    let log = logging::attach_run_log(workspace, "credentials-add").map_err(|e| {
        CliError::internal(format!("{}: {e}", workspace.join("output/logs").display()))
    })?;
    stores
        .put(kind, &name, &secret)
        .map_err(|e| CliError::internal(e.to_string()))?;
    tracing::info!(credential = %name, store = %kind, log = %log.display(), "credential stored");
    ui::success(&format!("stored credential `{name}` in the {kind} store"));
    ui::out(&format!(
        "use it in config/sql_targets.jsonc as:  \"credential\": \"{}\"",
        kind.reference(&name)
    ));
    Ok(Exit::Success)
}

/// The workspace lock, held while the credential index changes (exit 4 when another run has it).
fn lock(workspace: &Path) -> Result<audit_lifecycle::workspace::Workspace, CliError> {
    audit_lifecycle::workspace::Workspace::lock(workspace).map_err(CliError::from)
}

/// Shortest secret accepted: shorter ones could not be scrubbed from logs without destroying
/// them (see `audit_credentials::redact`), and no password policy allows them.
const MIN_SECRET_CHARS: usize = 4;

/// Refuses a folder that is not a workspace, so that a mistyped `--workspace` does not scatter
/// credential indexes and logs into a new folder.
fn require_workspace(workspace: &Path) -> Result<(), CliError> {
    if workspace.join("config").is_dir() {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "{} is not a workspace (it has no config/ folder); nothing was stored",
            workspace.display()
        ))
        .hint("run `autodbaudit init` there first, or pass --workspace with the right folder"))
    }
}

/// The secret from standard input: one line, its line ending and a byte-order mark removed.
/// More than one line is refused, so that a mistakenly piped file is not stored as a password.
/// Every copy is wiped.
fn read_stdin() -> Result<Secret, CliError> {
    if io::stdin().is_terminal() {
        return Err(CliError::usage(
            "--stdin reads a piped secret, but standard input is the terminal",
        )
        .hint("leave out --stdin to be asked without echo"));
    }
    let mut all = zeroize::Zeroizing::new(String::new());
    io::stdin().lock().read_to_string(&mut all).map_err(|e| {
        CliError::usage(format!(
            "cannot read the secret from standard input (it must be UTF-8 text): {e}"
        ))
    })?;
    let text = all.trim_start_matches('\u{feff}');
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.contains(['\n', '\r']) {
        return Err(
            CliError::usage("standard input holds more than one line; nothing was stored")
                .hint("pipe exactly one line: the secret"),
        );
    }
    Ok(Secret::new(text.to_owned()))
}

fn read_terminal(name: &CredentialName) -> Result<Secret, CliError> {
    if !io::stdin().is_terminal() {
        return Err(CliError::usage("no terminal to ask for the secret on")
            .hint("pipe the secret on standard input with --stdin"));
    }
    let ask = |prompt: &str| {
        audit_credentials::prompt_secret(prompt)
            .map_err(|e| CliError::usage(format!("cannot read the secret: {e}")))
    };
    let first = ask(&format!("Secret for `{name}` (not shown): "))?;
    let second = ask("Again, to confirm: ")?;
    if first.expose() != second.expose() {
        return Err(CliError::usage(
            "the two entries differ; nothing was stored",
        ));
    }
    Ok(first)
}

fn list(stores: &CredentialStores) -> CmdResult {
    let entries = stores.list().map_err(store_error)?;
    if entries.is_empty() {
        ui::note(
            "no credentials are stored in this workspace; add one with `autodbaudit credentials add NAME`",
        );
        return Ok(Exit::Success);
    }
    let mut rows = vec![["NAME", "STORE", "REFERENCE", "ADDED (UTC)", "STATE"].map(String::from)];
    for e in &entries {
        let reference = match e.store {
            StoreKind::Dpapi => format!("dpapi:{}", e.name),
            StoreKind::Keyring => format!("keyring:{}", e.name),
        };
        let state = if e.present {
            "present"
        } else {
            "MISSING from the store: add it again"
        };
        rows.push([
            e.name.clone(),
            e.store.to_string(),
            reference,
            e.added.clone(),
            state.to_owned(),
        ]);
    }
    ui::table(&rows, "");
    Ok(Exit::Success)
}

fn remove(workspace: &Path, stores: &CredentialStores, args: &CredentialRemoveArgs) -> CmdResult {
    let name = parse_name(&args.name)?;
    require_workspace(workspace)?;
    let _lock = lock(workspace)?;
    stores.check_index().map_err(store_error)?;
    let kinds: Vec<StoreKind> = match args.store {
        Some(_) => vec![store_kind(args.store)],
        None => [StoreKind::Dpapi, StoreKind::Keyring]
            .into_iter()
            .filter(|k| k.is_available())
            .collect(),
    };
    let mut removed = Vec::new();
    for kind in kinds {
        if stores.contains(kind, &name)
            || stores
                .list()
                .map_err(store_error)?
                .iter()
                .any(|e| e.name == name.as_str() && e.store == kind)
        {
            if removed.is_empty() {
                logging::attach_run_log(workspace, "credentials-remove").map_err(|e| {
                    CliError::internal(format!("{}: {e}", workspace.join("output/logs").display()))
                })?;
            }
            if stores.remove(kind, &name).map_err(store_error)? {
                tracing::info!(credential = %name, store = %kind, "credential removed");
                removed.push(kind);
            }
        }
    }
    if removed.is_empty() {
        return Err(
            CliError::usage(format!("no credential named `{name}` is stored"))
                .hint("`autodbaudit credentials list` shows the stored names"),
        );
    }
    for kind in removed {
        ui::success(&format!(
            "removed credential `{name}` from the {kind} store"
        ));
    }
    Ok(Exit::Success)
}

/// Resolves the credential of every enabled target, as an audit would, and reports the outcome.
fn check(workspace: &Path, stores: CredentialStores) -> CmdResult {
    let (config, _) = crate::console::load_config(workspace)?;
    let resolver = Resolver::new(stores);
    let mut rows = vec![["TARGET", "LOGIN", "CREDENTIAL", "RESULT"].map(String::from)];
    let mut failed = 0;
    for target in config.targets.targets.iter().filter(|t| t.enabled) {
        let Some(reference) = target
            .credential
            .as_deref()
            .and_then(|c| c.parse::<CredentialRef>().ok())
        else {
            continue;
        };
        let login = target.username.clone().unwrap_or_default();
        let result = match resolver.resolve(&reference, &format!("{login}@{}", target.id)) {
            Ok(_) => "usable".to_owned(),
            Err(e) => {
                failed += 1;
                format!("FAILED: {e}")
            }
        };
        rows.push([target.id.clone(), login, reference.to_string(), result]);
    }
    if rows.len() == 1 {
        ui::note("no enabled target refers to a credential");
        return Ok(Exit::Success);
    }
    ui::table(&rows, "");
    if failed > 0 {
        return Err(CliError::usage(format!("{failed} credential{} cannot be used", if failed == 1 { "" } else { "s" }))
            .hint("store missing ones with `autodbaudit credentials add NAME`, or set the environment variables"));
    }
    Ok(Exit::Success)
}
