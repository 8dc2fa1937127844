//! The two kit platforms: their Rust targets, file names and archive formats.

use clap::ValueEnum;

/// A platform a Field Kit is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Platform {
    /// Windows x86_64: the primary platform.
    Windows,
    /// Linux x86_64, fully static.
    Linux,
}

impl Platform {
    /// Both, Windows first.
    pub const ALL: [Platform; 2] = [Platform::Windows, Platform::Linux];

    /// The Rust target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Platform::Windows => "x86_64-pc-windows-gnu",
            Platform::Linux => "x86_64-unknown-linux-musl",
        }
    }

    /// The name in archive names.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Windows => "windows-x86_64",
            Platform::Linux => "linux-x86_64",
        }
    }

    /// What cargo produces.
    pub fn built_name(self) -> &'static str {
        match self {
            Platform::Windows => "autodbaudit.exe",
            Platform::Linux => "autodbaudit",
        }
    }

    /// The executable's name inside the kit.
    pub fn exe_name(self) -> &'static str {
        match self {
            Platform::Windows => "AutoDBAudit.exe",
            Platform::Linux => "autodbaudit",
        }
    }

    /// The kit's folder name (also the top folder inside the archive).
    pub fn kit_name(self, version: &str) -> String {
        format!("AutoDBAudit-{version}-{}", self.label())
    }

    /// The archive's file name.
    pub fn archive_name(self, version: &str) -> String {
        match self {
            Platform::Windows => format!("{}.zip", self.kit_name(version)),
            Platform::Linux => format!("{}.tar.gz", self.kit_name(version)),
        }
    }
}
