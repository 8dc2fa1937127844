//! The workspace configuration: `config/sql_targets.jsonc` and `config/audit_config.jsonc`.
//!
//! - [`model`]: the typed structs (the single source of truth for the format);
//! - [`schema`]: JSON Schemas generated from them, and validation with readable messages;
//! - [`jsonc`]: the JSONC parser front end that remembers where every value is;
//! - [`validate`]: rules a schema cannot express (unique ids, dependent fields, references);
//! - [`load`]: reading a workspace's config, collecting every problem at once;
//! - [`templates`]: the commented templates `init` writes and the Field Kit ships;
//! - [`builds`]: the build data (latest builds, support end dates) that replaces the embedded one.
//!
//! Nothing here opens a network connection or resolves a secret; credential references are
//! only checked for syntax.

// A `Diagnostic` is returned at most once per file read, on the error path; boxing it would
// cost clarity for no measurable gain.
#![allow(clippy::result_large_err)]

pub mod builds;
mod diagnostic;
pub mod jsonc;
pub mod load;
pub mod model;
pub mod schema;
mod source;
pub mod templates;
pub mod validate;

pub use diagnostic::{Diagnostic, Level, field_path};
pub use load::{Config, load};
pub use source::{MAX_CONFIG_BYTES, SourceFile};

/// The config files of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigFile {
    /// `config/sql_targets.jsonc`: the instances to audit.
    SqlTargets,
    /// `config/audit_config.jsonc`: organisation, audit name, thresholds, exclusions.
    AuditConfig,
}

impl ConfigFile {
    /// Both files, in the order they are read.
    pub const ALL: [ConfigFile; 2] = [ConfigFile::SqlTargets, ConfigFile::AuditConfig];

    /// The file name inside `config/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ConfigFile::SqlTargets => "sql_targets.jsonc",
            ConfigFile::AuditConfig => "audit_config.jsonc",
        }
    }

    /// The schema's file name inside `config/schemas/`.
    pub fn schema_file_name(self) -> &'static str {
        match self {
            ConfigFile::SqlTargets => "sql_targets.schema.json",
            ConfigFile::AuditConfig => "audit_config.schema.json",
        }
    }
}
