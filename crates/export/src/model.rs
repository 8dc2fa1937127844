//! What every format is written from: one recorded run, its instances, and each finding with
//! where it stands (exception, baseline, drift) and what auditors wrote about it.

use audit_core::{Finding, Standing};

/// An output format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// DISA STIG Viewer 2 checklist, one per instance.
    Ckl,
    /// DISA STIG Viewer 3 checklist, one per instance.
    Cklb,
    /// SARIF 2.1.0, one file.
    Sarif,
    /// JUnit XML, one file.
    Junit,
    /// Self-contained HTML, one file.
    Html,
    /// CSV of findings, one file.
    Csv,
}

impl Format {
    /// Every format, in the order the docs list them.
    pub const ALL: [Format; 6] = [
        Format::Ckl,
        Format::Cklb,
        Format::Sarif,
        Format::Junit,
        Format::Html,
        Format::Csv,
    ];

    /// The name `--format` takes, which is also the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ckl => "ckl",
            Format::Cklb => "cklb",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::Csv => "csv",
        }
    }

    /// The format `--format` names (case-insensitive).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// One file per instance (checklists) rather than one for the run.
    pub fn per_instance(self) -> bool {
        matches!(self, Format::Ckl | Format::Cklb)
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Junit => "junit.xml",
            Format::Sarif => "sarif",
            other => other.name(),
        }
    }
}

/// One recorded run, ready to write in any format.
#[derive(Debug, Clone)]
pub struct Report {
    /// `AutoDBAudit 0.1.0`: the tool that produced the results.
    pub tool: String,
    /// The tool's version alone (`0.1.0`), for formats with a version field.
    pub tool_version: String,
    /// The audit's name.
    pub audit: String,
    /// The organization audited, as configured.
    pub organization: String,
    /// The run's id in the history.
    pub run_id: i64,
    /// When the run started (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// The profile that selected the checks (`all`, `cis`, `stig`, `va`, or `custom`).
    pub profile: String,
    /// Per framework, how its items stand (the Cover sheet's compliance summary).
    pub compliance: Vec<audit_core::compliance::FrameworkSummary>,
    /// Every target of the run, in workbook order.
    pub instances: Vec<Instance>,
}

/// One audited target.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Its id in `sql_targets.jsonc`.
    pub target_id: String,
    /// The server as configured (host name, FQDN or address).
    pub server: String,
    /// The named instance; none for the default instance.
    pub instance: Option<String>,
    /// The TCP port, when configured.
    pub port: Option<u16>,
    /// `server\instance` (or `server`), as the workbook names it.
    pub label: String,
    /// The computer's name as SQL Server reports it (`SERVERPROPERTY('MachineName')`), when
    /// reached.
    pub host_name: Option<String>,
    /// The fully qualified name, when the configured server is one (contains a dot and is not
    /// an IP address).
    pub fqdn: Option<String>,
    /// An IP address, when the configured server is one.
    pub ip_address: Option<String>,
    /// The product version (`16.0.4135.4`), when reached.
    pub version: Option<String>,
    /// Its major version (`16`), which decides the STIG that applies.
    pub major: Option<u16>,
    /// `SERVERPROPERTY('Edition')`, when reached.
    pub edition: Option<String>,
    /// Reached and read.
    pub reached: bool,
    /// Why not, when not reached.
    pub reason: Option<String>,
    /// Checks the profile or `--checks`/`--skip-checks` left out for this instance: no result,
    /// never counted as passed.
    pub not_selected: Vec<audit_core::CheckId>,
    /// Its findings, in check and entity order.
    pub results: Vec<ResultRow>,
}

/// One finding with where it stands.
#[derive(Debug, Clone)]
pub struct ResultRow {
    /// The check's conclusion.
    pub finding: Finding,
    /// Open, excepted, baselined, drift or compliant.
    pub standing: Standing,
    /// For drift: what changed against the baseline (`new`, `status REVIEW → FAIL`, …).
    pub drift: Option<String>,
    /// What auditors wrote on the finding's workbook row.
    pub note: Option<Note>,
    /// A stable identifier of this finding (target, check, entity) that is the same in every
    /// run, so a dashboard follows it from run to run: lowercase hex SHA-256.
    pub fingerprint: String,
}

/// An auditor's annotation, as the checklists' COMMENTS and the HTML report show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// Review Status (`✓ Exception`, `⏳ Needs Review`, …).
    pub review_status: Option<String>,
    /// Why it is accepted.
    pub justification: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
}

/// The stable fingerprint of a finding: SHA-256 over the target id, the check id and the
/// entity key, separated by a byte no identifier contains.
pub fn fingerprint(target_id: &str, finding: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(target_id.as_bytes());
    hash.update([0u8]);
    hash.update(finding.check_id.to_string().as_bytes());
    hash.update([0u8]);
    hash.update(finding.entity_key.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
