//! The command tree, declared with clap derive. Every command of the product is here from the
//! start, so `--help` shows the whole workflow even where a step is not built yet.

use std::collections::BTreeSet;
use std::path::PathBuf;

use audit_core::checks::Framework;
use audit_core::checks::selection::Profile;
use audit_core::{CheckId, Release, Severity};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// `autodbaudit <semver> (<target triple>)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("AUTODBAUDIT_TARGET"),
    ")"
);

/// AutoDBAudit: SQL Server security audits for DBAs and auditors.
///
/// Audits SQL Server instances (2008 R2 to 2025) against a fixed list of security requirements,
/// writes an Excel workbook and a history, and tracks fixes and exceptions until the audit is
/// finalized. Start with `autodbaudit init`, or `autodbaudit demo` to see it work.
#[derive(Debug, Parser)]
#[command(name = "autodbaudit", version = VERSION, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The workspace folder: holds config/, output/ and audit_history.db.
    #[arg(
        long,
        short = 'w',
        global = true,
        value_name = "DIR",
        default_value = ".",
        env = "AUTODBAUDIT_WORKSPACE"
    )]
    pub workspace: PathBuf,
    /// Print only errors (and the results a command exists to print).
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail; repeat for debug output (-vv).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never use colours (the NO_COLOR environment variable does the same).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: commented config templates, their JSON Schemas, output/.
    Init(InitArgs),
    /// Check or show the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store, list and remove the passwords targets refer to (never in plain text).
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Collect from every target, evaluate every check, store history, write the workbook.
    Audit(AuditArgs),
    /// Re-audit, merge the auditors' annotations back, classify fixed/regressed/new/excepted.
    Sync(SyncArgs),
    /// Dashboard of the current audit: open, fixed, excepted, regressed, unknown.
    Status(StatusArgs),
    /// Re-render the workbook of a run from history.
    Report(ReportArgs),
    /// Generate, apply and roll back T-SQL fixes.
    #[command(subcommand)]
    Remediate(RemediateCommand),
    /// Approve today's results as the baseline, show the baselines and their drift, clear them.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Freeze the audit: an archived copy of the workbook with its SHA-256.
    Finalize(FinalizeArgs),
    /// Undo `finalize` so that the audit can change again.
    Definalize,
    /// Start simulated SQL Servers in-process, audit them and write a real report.
    Demo(DemoArgs),
    /// Verify this Field Kit against its manifest, and that the workspace is usable.
    Selftest,
    /// List the checks: severity, family, what they read, CIS / STIG / VA / dbachecks /
    /// sp_Blitz references.
    Checks(ChecksArgs),
    /// The least rights a dedicated audit login needs, or the T-SQL that creates it.
    #[command(disable_version_flag = true)]
    Permissions(PermissionsArgs),
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the workspace in (default: --workspace, i.e. the current folder).
    pub dir: Option<PathBuf>,
    /// Overwrite existing config templates and schemas.
    #[arg(long)]
    pub force: bool,
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check both config files; every problem with its file:line:column, field and fix.
    Validate,
    /// Print the effective configuration (defaults filled in, secrets never shown).
    Show(ShowArgs),
}

/// `config show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

/// How `config show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// A readable summary.
    Text,
    /// The effective configuration as JSON.
    Json,
}

/// `credentials …`.
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Store a secret under NAME (asked without echo, or read from standard input).
    Add(CredentialAddArgs),
    /// List stored credentials (names and stores only).
    List,
    /// Delete a stored credential.
    Remove(CredentialRemoveArgs),
    /// Resolve every credential the targets refer to and say which work (values never shown).
    Check,
}

/// Which protected store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// Windows DPAPI, current user (Windows only; the default there).
    Dpapi,
    /// The OS keyring (the default on Linux).
    Keyring,
}

/// `credentials add`.
#[derive(Debug, Args)]
pub struct CredentialAddArgs {
    /// Name to store it under; targets refer to it as keyring:NAME or dpapi:NAME.
    pub name: String,
    /// Read the secret from standard input (one line) instead of asking.
    #[arg(long)]
    pub stdin: bool,
    /// Where to store it (default: dpapi on Windows, keyring elsewhere).
    #[arg(long, value_enum)]
    pub store: Option<StoreArg>,
}

/// `credentials remove`.
#[derive(Debug, Args)]
pub struct CredentialRemoveArgs {
    /// The name it was stored under.
    pub name: String,
    /// Only from this store (default: wherever it is).
    #[arg(long, value_enum)]
    pub store: Option<StoreArg>,
}

/// `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Start a new named audit with its own baseline (default: continue the latest audit).
    #[arg(long, value_name = "NAME")]
    pub new: Option<String>,
    /// Only these target ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub targets: Vec<String>,
    /// Only targets with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Targets audited at once (default: from audit_config.jsonc).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Outputs to write (comma-separated): xlsx, json, and the export formats ckl, cklb
    /// (DISA STIG Viewer checklists, one per instance), sarif, junit, html, csv.
    #[arg(long, value_delimiter = ',', default_value = "xlsx,json")]
    pub format: Vec<String>,
    /// Which checks to evaluate: all, cis, stig (the DISA STIG of each server's version) or
    /// va (default: `profile` in audit_config.jsonc, else all).
    #[arg(long, value_name = "PROFILE", value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// Only these checks (comma-separated ids, within the profile).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub checks: Option<BTreeSet<CheckId>>,
    /// Never these checks (comma-separated ids).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub skip_checks: Option<BTreeSet<CheckId>>,
    /// Exit with code 5 when a finding has this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Build data (latest builds, support end dates) to judge R02/R03 with, instead of the
    /// workspace's config/builds.json or the built-in data.
    #[arg(long, value_name = "FILE")]
    pub builds: Option<PathBuf>,
}

/// `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Evaluate this profile's checks instead of those of the audit's last run (all, cis,
    /// stig, va).
    #[arg(long, value_name = "PROFILE", value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// Only these checks (comma-separated ids, within the profile).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub checks: Option<BTreeSet<CheckId>>,
    /// Never these checks (comma-separated ids).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub skip_checks: Option<BTreeSet<CheckId>>,
    /// Exit with code 5 when an open finding has this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Build data to judge R02/R03 with (as for `audit --builds`).
    #[arg(long, value_name = "FILE")]
    pub builds: Option<PathBuf>,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run to render (default: the latest).
    #[arg(long, value_name = "N")]
    pub run: Option<u64>,
    /// Outputs to write (comma-separated): xlsx, json, ckl, cklb, sarif, junit, html, csv.
    #[arg(long, value_delimiter = ',', default_value = "xlsx")]
    pub format: Vec<String>,
    /// Language of the workbook: en, or fa for a Persian right-to-left copy.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

/// `remediate …`.
#[derive(Debug, Subcommand)]
pub enum RemediateCommand {
    /// Write fix, rollback and secrets files per instance for review.
    Generate(GenerateArgs),
    /// Run the generated fix scripts, servers in parallel.
    Apply(ApplyArgs),
    /// Run the rollback scripts built from the state captured before the fix.
    Rollback(ApplyArgs),
}

/// `remediate generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// 1 = only SAFE fixes live; 2 = also CAUTION; 3 = also REVIEW. The rest is commented out.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub level: u8,
    /// Only these target ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub targets: Vec<String>,
}

/// `remediate apply` and `remediate rollback`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Parse and validate every batch and print what would run, without executing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only these target ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub targets: Vec<String>,
    /// Servers worked on at once.
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
}

/// `finalize`.
#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// Finalize even while undocumented FAIL/WARN findings remain.
    #[arg(long)]
    pub force: bool,
}

/// `baseline …`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Approve the latest run's results of each check on each server as their baseline: later
    /// results that match are baselined (not open); anything new, changed or gone is drift.
    Approve(BaselineApproveArgs),
    /// List the baselines, who approved them and when, and how the latest run compares.
    Show(BaselineShowArgs),
    /// End baselines (kept in the history): their results are open again.
    Clear(BaselineClearArgs),
}

/// `baseline approve`.
#[derive(Debug, Args)]
pub struct BaselineApproveArgs {
    /// Only these checks (comma-separated ids; default: every check the run evaluated).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub checks: Option<BTreeSet<CheckId>>,
    /// Only these target ids (comma-separated; default: every target the run reached).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub targets: Vec<String>,
    /// Who approves (default: the operating system's user name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Why, kept with the baseline.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

/// `baseline show`.
#[derive(Debug, Args)]
pub struct BaselineShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

/// `baseline clear`.
#[derive(Debug, Args)]
pub struct BaselineClearArgs {
    /// Only these checks (comma-separated ids; default: all).
    #[arg(long, value_name = "IDS", value_parser = parse_check_ids)]
    pub checks: Option<BTreeSet<CheckId>>,
    /// Only these target ids (comma-separated; default: all).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub targets: Vec<String>,
    /// Who clears (default: the operating system's user name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo workspace.
    #[arg(default_value = "autodbaudit-demo")]
    pub dir: PathBuf,
}

/// `checks`.
#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Only the checks with an item of this benchmark, and (as text) only its items.
    #[arg(long, value_name = "FRAMEWORK", value_parser = framework_parser())]
    pub framework: Option<Framework>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

/// The benchmarks' command-line names (`cis`, `stig`, `va`, `dbachecks`, `sp_blitz`), listed
/// in `--help` and in the error for any other value.
fn framework_parser() -> impl TypedValueParser<Value = Framework> {
    PossibleValuesParser::new(Framework::ALL.map(Framework::as_str)).map(|name| {
        name.parse::<Framework>()
            .expect("every possible value names a framework")
    })
}

/// `permissions`.
#[derive(Debug, Args)]
pub struct PermissionsArgs {
    /// The SQL Server version: a release (2019, 2008R2, "2008 R2"), a major version (16) or a
    /// build number (15.0.4430.1). Default: every version.
    #[arg(long, value_name = "V", value_parser = parse_release)]
    pub version: Option<Release>,
    /// text: each right, the facts and checks that need it, and the Microsoft page that
    /// documents it; sql: the script a sysadmin runs to create the login (needs --version).
    #[arg(long, value_enum, default_value_t = PermissionsFormat::Text)]
    pub format: PermissionsFormat,
    /// The audit login the script creates.
    #[arg(long, value_name = "NAME", default_value = audit_core::permissions::DEFAULT_LOGIN)]
    pub login: String,
    /// Leave out what reads password hashes (CONTROL SERVER before SQL Server 2022); R05's
    /// password tests then report UNKNOWN.
    #[arg(long)]
    pub no_password_hashes: bool,
}

/// How `permissions` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionsFormat {
    /// Readable: each right with why and where it is documented.
    Text,
    /// The T-SQL script that creates the audit login.
    Sql,
}

fn parse_release(s: &str) -> Result<Release, String> {
    Release::parse(s).map_err(|e| e.to_string())
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    s.parse()
}

fn parse_check_ids(s: &str) -> Result<BTreeSet<CheckId>, String> {
    audit_core::checks::selection::parse_ids(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
