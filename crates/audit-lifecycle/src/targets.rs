//! The configured targets as a run uses them: which ones a request selects, their secrets, and
//! how to reach each (audit and remediation connect alike).

use std::path::Path;
use std::time::Duration;

use audit_config::model::{AuthMode, EncryptMode, Target};
use audit_credentials::{CredentialRef, CredentialStores, Resolver};
use collect::fleet::Job;
use collect::{Auth, Encryption, Endpoint};

use crate::Error;

/// The enabled targets that `ids` (when any) and `tags` (when any) select, in config order. An
/// id no target has, or a selection that leaves nothing, is a usage error.
pub fn select(targets: &[Target], ids: &[String], tags: &[String]) -> Result<Vec<Target>, Error> {
    for wanted in ids {
        if !targets.iter().any(|t| t.id.eq_ignore_ascii_case(wanted)) {
            let known: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
            return Err(
                Error::usage(format!("--targets: no target has the id `{wanted}`")).hint(format!(
                    "the ids in config/sql_targets.jsonc are: {}",
                    known.join(", ")
                )),
            );
        }
    }
    let selected: Vec<Target> = targets
        .iter()
        .filter(|t| t.enabled)
        .filter(|t| ids.is_empty() || ids.iter().any(|w| w.eq_ignore_ascii_case(&t.id)))
        .filter(|t| tags.is_empty() || tags.iter().any(|tag| t.tags.contains(tag)))
        .cloned()
        .collect();
    if selected.is_empty() {
        return Err(
            Error::usage("no enabled target matches the selection; nothing was audited")
                .hint("check --targets / --tag, or `enabled` in config/sql_targets.jsonc"),
        );
    }
    Ok(selected)
}

/// Each target's password from its credential reference, resolved through the workspace's
/// credential stores (a `prompt` reference asks on the terminal).
pub fn configured_secret(workspace: &Path) -> impl Fn(&Target) -> Result<String, Error> + use<> {
    let resolver = Resolver::new(CredentialStores::new(workspace.join("credentials")));
    move |target| secret(target, &resolver)
}

/// A target's password as its credential reference says (empty without one).
fn secret(target: &Target, resolver: &Resolver) -> Result<String, Error> {
    let login = target.username.clone().unwrap_or_default();
    let Some(text) = target.credential.as_deref() else {
        return Ok(String::new());
    };
    let reference: CredentialRef = text
        .parse()
        .map_err(|e| Error::usage(format!("target `{}`: credential: {e}", target.id)))?;
    Ok(resolver
        .resolve(&reference, &format!("{login}@{}", target.id))
        .map_err(|e| {
            Error::usage(format!("target `{}`: {e}", target.id))
                .hint("`autodbaudit credentials check` tests every target's credential")
        })?
        .expose()
        .to_owned())
}

/// How to reach `target` with `password`: its endpoint and timeouts.
pub fn job(target: &Target, password: String) -> Job {
    let login = target.username.clone().unwrap_or_default();
    let auth = match target.auth {
        AuthMode::Sql => Auth::Sql {
            user: login,
            password,
        },
        AuthMode::Windows => Auth::Windows {
            user: login,
            password,
        },
    };
    Job {
        id: target.id.clone(),
        endpoint: Endpoint {
            host: target.server.clone(),
            port: target.port.map(|p| p.get()),
            instance: target.instance.clone(),
            browser_port: None,
            auth,
            encryption: match target.encrypt {
                EncryptMode::Strict => Encryption::Strict,
                EncryptMode::On => Encryption::On,
                EncryptMode::Off => Encryption::Off,
            },
            trust_server_certificate: target.trust_server_certificate,
            connect_timeout: Duration::from_secs(u64::from(target.connect_timeout_s.max(1))),
        },
        query_timeout: Duration::from_secs(u64::from(target.query_timeout_s.max(1))),
    }
}

/// `server\instance`, or the server alone for a default instance.
pub(crate) fn instance_label(target: &Target) -> String {
    match &target.instance {
        Some(i) => format!("{}\\{i}", target.server),
        None => target.server.clone(),
    }
}
