//! `autodbaudit permissions [--version V] [--format text|sql] [--login NAME]`: the least rights a
//! dedicated audit login needs, per SQL Server version — each right with the facts and checks
//! that need it and the Microsoft page that documents it — or, as `sql`, the script a DBA runs
//! as sysadmin to create that login. Needs no workspace. The model is
//! `audit_core::permissions`.

use audit_core::permissions::{self, Grant, Requirement, ScriptOptions, release_title, required};
use audit_core::{RELEASES, Release};

use crate::cli::{PermissionsArgs, PermissionsFormat};
use crate::exit::{CliError, CmdResult, Exit};
use crate::ui;

/// Prints the rights, or the script.
pub fn run(args: &PermissionsArgs) -> CmdResult {
    let options = ScriptOptions {
        login: args.login.clone(),
        password_hashes: !args.no_password_hashes,
    };
    match args.format {
        PermissionsFormat::Sql => {
            let Some(release) = args.version else {
                return Err(CliError::usage(
                    "the script differs from one SQL Server version to the next: say which",
                )
                .hint(
                    "add --version with a release (2008, 2008R2, 2012, 2014, 2016, 2017, 2019, \
                     2022, 2025) or the server's build number (SELECT SERVERPROPERTY('ProductVersion'))",
                ));
            };
            let sql = permissions::script(release, &options)
                .map_err(|e| CliError::usage(e.to_string()).hint("choose another --login"))?;
            ui::out(sql.trim_end());
        }
        PermissionsFormat::Text => {
            let releases: Vec<Release> = match args.version {
                Some(r) => vec![r],
                None => RELEASES.to_vec(),
            };
            let mut text = String::new();
            if args.version.is_none() {
                text.push_str(
                    "The least rights AutoDBAudit needs to read everything it audits, per SQL \
                     Server version.\n`autodbaudit permissions --version V --format sql` writes \
                     the script that creates such a login.\n\n",
                );
            }
            for (i, release) in releases.iter().enumerate() {
                if i > 0 {
                    text.push('\n');
                }
                section(&mut text, *release, &options);
            }
            ui::out(text.trim_end());
        }
    }
    Ok(Exit::Success)
}

fn list<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

fn entry(out: &mut String, title: &str, r: &Requirement) {
    let facts: Vec<&str> = r.facts().iter().map(|f| f.as_str()).collect();
    let checks: Vec<&str> = r.checks.iter().map(|c| c.as_str()).collect();
    let mut reads: Vec<&str> = Vec::new();
    for n in &r.needs {
        if !reads.contains(&n.reads) {
            reads.push(n.reads);
        }
    }
    out.push_str(&format!("  {title}\n"));
    wrapped(out, "facts:", &list(&facts));
    wrapped(
        out,
        "checks:",
        &if checks.is_empty() {
            "none".to_owned()
        } else {
            list(&checks)
        },
    );
    wrapped(out, "reads:", &reads.join("; "));
    for note in r.notes() {
        wrapped(out, "note:", note);
    }
    for (i, source) in r.sources().iter().enumerate() {
        let label = if i == 0 { "docs:" } else { "     " };
        out.push_str(&format!("      {label}   {source}\n"));
    }
}

/// `      label   text`, the text wrapped at 100 columns under itself.
fn wrapped(out: &mut String, label: &str, text: &str) {
    const WIDTH: usize = 100;
    let indent = " ".repeat(14);
    let mut line = format!("      {label:<8}");
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// One release: what to grant, what the script leaves out, what every login has.
fn section(out: &mut String, release: Release, options: &ScriptOptions) {
    let all = required(release);
    out.push_str(&format!(
        "{} — a dedicated audit login needs:\n",
        release_title(release)
    ));
    let skipped = |r: &Requirement| {
        !options.password_hashes
            && r.needs
                .iter()
                .all(|n| n.reads == permissions::PASSWORD_HASH)
    };
    let granted: Vec<&Requirement> = all
        .iter()
        .filter(|r| r.grant.is_granted_by_script() && !skipped(r))
        .collect();
    for r in &granted {
        let title = match r.grant {
            Grant::Server(permission) => format!("GRANT {permission}"),
            Grant::UserInEveryDatabase => {
                "a user for the login in every online database (no CONNECT ANY DATABASE before 2014; \
                 run the script again after creating a database)"
                    .to_owned()
            }
            Grant::User(database) => format!("a user for the login in {database}"),
            Grant::Object {
                database,
                permission,
                object,
            } => format!("GRANT {permission} ON {database}.{object}"),
            Grant::Sysadmin | Grant::Everyone => continue,
        };
        entry(out, &title, r);
    }
    let left: Vec<&Requirement> = all
        .iter()
        .filter(|r| r.grant == Grant::Sysadmin || skipped(r))
        .collect();
    if !left.is_empty() {
        out.push_str(
            "Not granted (the facts stay UNKNOWN for the login, with the reason in each finding):\n",
        );
        for r in left {
            let title = match r.grant {
                Grant::Server(permission) => {
                    format!("{permission} (left out: --no-password-hashes)")
                }
                _ => "sysadmin — Microsoft documents nothing smaller".to_owned(),
            };
            entry(out, &title, r);
        }
    }
    if let Some(everyone) = all.iter().find(|r| r.grant == Grant::Everyone) {
        let reads: Vec<String> = everyone
            .needs
            .iter()
            .map(|n| format!("{} ({})", n.fact, n.reads))
            .collect();
        out.push_str(&format!(
            "Every login may already read: {}.\n",
            reads.join("; ")
        ));
    }
}
