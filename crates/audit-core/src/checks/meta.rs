//! What a check declares besides its rule: its family, the versions and platforms it applies
//! to, and the benchmark items it satisfies. Plain data, so that `autodbaudit checks`, the
//! generated `docs/checks.md`, `findings.json` and the workbook all show the same thing.

use serde::Serialize;

/// The area of SQL Server security a check belongs to (how `docs/checks.md` and
/// `autodbaudit checks` group the catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// What is installed and where: versions, instances, databases.
    Inventory,
    /// Supported versions and updates.
    Updates,
    /// Logins, passwords, authentication.
    Authentication,
    /// Roles, permissions, principals inside databases.
    Permissions,
    /// Features and options that widen the attack surface.
    SurfaceArea,
    /// Windows services and their accounts.
    Services,
    /// Protocols, ports, encryption of connections.
    Network,
    /// Login auditing, server audits, traces.
    Auditing,
    /// Keys, certificates, TDE, backups.
    DataProtection,
    /// Linked servers and what they expose.
    LinkedServers,
}

impl Family {
    /// As people name it.
    pub fn title(self) -> &'static str {
        match self {
            Family::Inventory => "Inventory",
            Family::Updates => "Versions and updates",
            Family::Authentication => "Logins and authentication",
            Family::Permissions => "Roles and permissions",
            Family::SurfaceArea => "Surface area",
            Family::Services => "Services",
            Family::Network => "Network and protocols",
            Family::Auditing => "Auditing",
            Family::DataProtection => "Keys, encryption and backups",
            Family::LinkedServers => "Linked servers",
        }
    }
}

/// Where a check applies. The engine does not run a check outside it and records one INFO
/// saying why, so a check never has to test the version for its own applicability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applicability {
    /// The first major version it applies to (10 = 2008 / 2008 R2, 16 = 2022); none = all.
    pub since_major: Option<u16>,
    /// The last major version it applies to; none = every later one.
    pub until_major: Option<u16>,
    /// Only where SQL Server runs on Windows (services, registry, Windows accounts).
    pub windows_only: bool,
    /// The engine editions (`SERVERPROPERTY('EngineEdition')`: 2 Standard, 3 Enterprise,
    /// 4 Express, 8 Azure SQL Managed Instance …) it applies to; empty = every edition.
    pub engine_editions: &'static [i64],
}

impl Applicability {
    /// Every version, every platform.
    pub const ALL: Applicability = Applicability {
        since_major: None,
        until_major: None,
        windows_only: false,
        engine_editions: &[],
    };

    /// Every version, Windows hosts only.
    pub const WINDOWS: Applicability = Applicability {
        since_major: None,
        until_major: None,
        windows_only: true,
        engine_editions: &[],
    };

    /// Why it does not apply to a server of this major version, engine edition and platform;
    /// none when it applies. `platform` is `Windows` or `Linux` when known.
    pub fn excludes(
        &self,
        major: u16,
        engine_edition: i64,
        platform: Option<&str>,
    ) -> Option<String> {
        if !self.engine_editions.is_empty() && !self.engine_editions.contains(&engine_edition) {
            return Some(format!(
                "applies to engine editions {:?} only; this server is engine edition {engine_edition}",
                self.engine_editions
            ));
        }
        if let Some(since) = self.since_major
            && major < since
        {
            return Some(format!(
                "applies from SQL Server major version {since} on; this server is version {major}"
            ));
        }
        if let Some(until) = self.until_major
            && major > until
        {
            return Some(format!(
                "applies up to SQL Server major version {until}; this server is version {major}"
            ));
        }
        if self.windows_only && platform.is_some_and(|p| p.eq_ignore_ascii_case("linux")) {
            return Some("applies to SQL Server on Windows only; this server runs on Linux".into());
        }
        None
    }

    /// As people read it: `all versions`, `2017 and later, Windows`.
    pub fn describe(&self) -> String {
        let versions = match (self.since_major, self.until_major) {
            (None, None) => "all versions".to_owned(),
            (Some(s), None) => format!("{} and later", major_name(s)),
            (None, Some(u)) => format!("up to {}", major_name(u)),
            (Some(s), Some(u)) => format!("{} to {}", major_name(s), major_name(u)),
        };
        let versions = if self.engine_editions.is_empty() {
            versions
        } else {
            format!("{versions}, engine editions {:?}", self.engine_editions)
        };
        if self.windows_only {
            format!("{versions}, Windows only")
        } else {
            versions
        }
    }
}

/// The release name of a major version (`16` → `2022`).
fn major_name(major: u16) -> String {
    crate::RELEASES
        .iter()
        .find(|r| r.major == major)
        .map_or_else(|| format!("v{major}"), |r| r.name.to_owned())
}

/// Which CIS benchmark an item number belongs to: the numbering differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CisBenchmark {
    /// CIS Microsoft SQL Server 2019 Benchmark and 2022 Benchmark (they share the numbering).
    #[serde(rename = "CIS SQL Server 2019/2022")]
    Sql2019And2022,
    /// CIS Microsoft SQL Server 2016 / 2017 Benchmark (v1.2.0 numbering), for items the
    /// 2019/2022 benchmarks dropped.
    #[serde(rename = "CIS SQL Server 2016/2017")]
    Sql2016And2017,
}

impl CisBenchmark {
    /// As the references column shows it.
    pub fn label(self) -> &'static str {
        match self {
            CisBenchmark::Sql2019And2022 => "CIS SQL Server 2019/2022",
            CisBenchmark::Sql2016And2017 => "CIS SQL Server 2016/2017",
        }
    }
}

/// One CIS benchmark item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CisItem {
    /// The benchmark.
    pub benchmark: CisBenchmark,
    /// Its item number (`2.13`).
    pub item: &'static str,
}

/// A CIS SQL Server 2019/2022 item.
pub const fn cis(item: &'static str) -> CisItem {
    CisItem {
        benchmark: CisBenchmark::Sql2019And2022,
        item,
    }
}

/// A CIS SQL Server 2016/2017 item (only for items the later benchmarks dropped).
pub const fn cis2017(item: &'static str) -> CisItem {
    CisItem {
        benchmark: CisBenchmark::Sql2016And2017,
        item,
    }
}

/// The public benchmark items a check satisfies, fully or in part. Sources:
/// `../shared/reference/coverage-map.md` §1 lists where each list was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct References {
    /// CIS Microsoft SQL Server benchmark items.
    pub cis: &'static [CisItem],
    /// DISA STIG ids of the MS SQL Server 2016 Instance (V3R6) and Database STIGs
    /// (`SQL6-D0-…`).
    pub stig_2016: &'static [&'static str],
    /// DISA STIG ids of the MS SQL Server 2022 Instance (V1R4, `SQLI-22-…`) and Database
    /// (V1R1, `SQLD-22-…`) STIGs.
    pub stig_2022: &'static [&'static str],
    /// Microsoft SQL Vulnerability Assessment rule ids (`VA1047`).
    pub va: &'static [&'static str],
    /// dbachecks check names (`SaDisabled`).
    pub dbachecks: &'static [&'static str],
    /// sp_Blitz check ids.
    pub sp_blitz: &'static [u16],
}

impl References {
    /// No reference (inventory and the tool's own checks).
    pub const NONE: References = References {
        cis: &[],
        stig_2016: &[],
        stig_2022: &[],
        va: &[],
        dbachecks: &[],
        sp_blitz: &[],
    };

    /// Every reference as one short label each (`CIS SQL Server 2019/2022 2.13`,
    /// `STIG SQLI-22-016300`, `VA1047`, `dbachecks SaDisabled`, `sp_Blitz 1`).
    pub fn labels(&self) -> Vec<String> {
        Framework::ALL
            .into_iter()
            .flat_map(|framework| self.labels_of(framework))
            .collect()
    }

    /// The labels of one framework's items only, as [`References::labels`] writes them.
    pub fn labels_of(&self, framework: Framework) -> Vec<String> {
        match framework {
            Framework::Cis => self
                .cis
                .iter()
                .map(|c| format!("{} {}", c.benchmark.label(), c.item))
                .collect(),
            Framework::Stig => self
                .stig_2016
                .iter()
                .chain(self.stig_2022)
                .map(|s| format!("STIG {s}"))
                .collect(),
            Framework::Va => self.va.iter().map(|v| (*v).to_owned()).collect(),
            Framework::Dbachecks => self
                .dbachecks
                .iter()
                .map(|d| format!("dbachecks {d}"))
                .collect(),
            Framework::SpBlitz => self
                .sp_blitz
                .iter()
                .map(|b| format!("sp_Blitz {b}"))
                .collect(),
        }
    }

    /// Whether any item belongs to `framework` (`cis`, `stig`, `va`, `dbachecks`, `sp_blitz`).
    pub fn has(&self, framework: Framework) -> bool {
        match framework {
            Framework::Cis => !self.cis.is_empty(),
            Framework::Stig => !self.stig_2016.is_empty() || !self.stig_2022.is_empty(),
            Framework::Va => !self.va.is_empty(),
            Framework::Dbachecks => !self.dbachecks.is_empty(),
            Framework::SpBlitz => !self.sp_blitz.is_empty(),
        }
    }
}

/// A public benchmark the catalogue is mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// CIS Microsoft SQL Server benchmarks.
    Cis,
    /// DISA STIGs for SQL Server 2016 and 2022.
    Stig,
    /// Microsoft SQL Vulnerability Assessment.
    Va,
    /// dbachecks.
    Dbachecks,
    /// sp_Blitz.
    SpBlitz,
}

impl Framework {
    /// Every framework.
    pub const ALL: [Framework; 5] = [
        Framework::Cis,
        Framework::Stig,
        Framework::Va,
        Framework::Dbachecks,
        Framework::SpBlitz,
    ];

    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Cis => "cis",
            Framework::Stig => "stig",
            Framework::Va => "va",
            Framework::Dbachecks => "dbachecks",
            Framework::SpBlitz => "sp_blitz",
        }
    }

    /// The benchmark as people name it.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Cis => "CIS Microsoft SQL Server Benchmark",
            Framework::Stig => "DISA STIG for SQL Server",
            Framework::Va => "Microsoft SQL Vulnerability Assessment",
            Framework::Dbachecks => "dbachecks",
            Framework::SpBlitz => "sp_Blitz",
        }
    }
}

impl std::fmt::Display for Framework {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Framework {
    type Err = String;

    /// The command-line name (`cis`, `stig`, `va`, `dbachecks`, `sp_blitz`), ignoring case;
    /// `sp-blitz` and `spblitz` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        let wanted = if wanted == "spblitz" {
            "sp_blitz".to_owned()
        } else {
            wanted
        };
        Framework::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Framework::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "unknown framework `{}`: expected one of {}",
                    s.trim(),
                    names.join(", ")
                )
            })
    }
}

/// A data sheet of the workbook, named in the domain so that a check can say where its
/// findings go (the report crate draws each sheet; its rows are the entities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sheet {
    /// One row per instance.
    Instances,
    /// The built-in `sa` login.
    SaAccount,
    /// Every login.
    ServerLogins,
    /// Members of the privileged fixed server roles.
    SensitiveRoles,
    /// `sys.configurations`.
    Configuration,
    /// The instance's services.
    Services,
    /// Server network protocols.
    ClientProtocols,
    /// One row per database.
    Databases,
    /// Database users.
    DatabaseUsers,
    /// Database role memberships.
    DatabaseRoles,
    /// Principals against fixed database roles.
    RoleMatrix,
    /// Explicit server and database permissions.
    PermissionGrants,
    /// Users whose SID matches no login.
    OrphanedUsers,
    /// Linked servers.
    LinkedServers,
    /// Server and database triggers.
    Triggers,
    /// SQL Server Agent jobs.
    AgentJobs,
    /// Backups per database.
    Backups,
    /// Login auditing, encryption settings, attestations, server audits.
    AuditSettings,
    /// Certificates and TDE.
    Encryption,
    /// One row per principal with a path to sysadmin (X56), one step per column.
    PathsToSysadmin,
}

/// Where the findings of one entity type go: the first sheet of a check's list that has the
/// row wins, so a check can send orphaned users to their own sheet and the other users to the
/// general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The findings' entity type (`login`, `db_user`, `instance` …).
    pub entity_type: &'static str,
    /// The sheet.
    pub sheet: Sheet,
    /// The row's key when it is not the finding's own entity key (an instance-level verdict
    /// shown on a settings row: `setting:login_audit_level`).
    pub row: Option<&'static str>,
}

/// Findings of `entity_type` go to the row of `sheet` with the same entity key.
pub const fn on(entity_type: &'static str, sheet: Sheet) -> Placement {
    Placement {
        entity_type,
        sheet,
        row: None,
    }
}

/// Findings of `entity_type` go to the row keyed `row` of `sheet`.
pub const fn on_row(entity_type: &'static str, sheet: Sheet, row: &'static str) -> Placement {
    Placement {
        entity_type,
        sheet,
        row: Some(row),
    }
}

/// What a check's statuses mean, one sentence each, as `docs/checks.md` shows them (Markdown;
/// `–` where the check never gives that status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    /// When it passes.
    pub pass: &'static str,
    /// When it fails or warns, and how severe.
    pub fail_or_warn: &'static str,
    /// Its REVIEW, INFO and UNKNOWN findings.
    pub other: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_parse_by_their_command_line_names() {
        for framework in Framework::ALL {
            assert_eq!(framework.as_str().parse::<Framework>(), Ok(framework));
        }
        assert_eq!("SP-Blitz".parse::<Framework>(), Ok(Framework::SpBlitz));
        assert_eq!(" STIG ".parse::<Framework>(), Ok(Framework::Stig));
        let err = "nist".parse::<Framework>().unwrap_err();
        assert!(err.contains("`nist`") && err.contains("cis, stig, va, dbachecks, sp_blitz"));
    }

    #[test]
    fn labels_are_the_frameworks_labels_in_order() {
        const R: References = References {
            cis: &[cis("2.2"), cis2017("2.15")],
            stig_2016: &["SQL6-D0-007200"],
            stig_2022: &["SQLI-22-007200"],
            va: &["VA1059"],
            dbachecks: &["XpCmdShellDisabled"],
            sp_blitz: &[1065],
        };
        let r = R;
        assert_eq!(
            r.labels(),
            [
                "CIS SQL Server 2019/2022 2.2",
                "CIS SQL Server 2016/2017 2.15",
                "STIG SQL6-D0-007200",
                "STIG SQLI-22-007200",
                "VA1059",
                "dbachecks XpCmdShellDisabled",
                "sp_Blitz 1065",
            ]
        );
        assert_eq!(r.labels_of(Framework::Va), ["VA1059"]);
        assert!(References::NONE.labels().is_empty());
        assert!(r.has(Framework::SpBlitz) && !References::NONE.has(Framework::Cis));
    }

    #[test]
    fn applicability_names_why_a_server_is_out_of_scope() {
        assert_eq!(Applicability::ALL.excludes(10, 4, Some("Linux")), None);
        let modern = Applicability {
            since_major: Some(14),
            ..Applicability::ALL
        };
        let why = modern.excludes(13, 3, None).unwrap();
        assert!(why.contains("from SQL Server major version 14") && why.contains("13"));
        assert_eq!(modern.excludes(16, 3, None), None);
        let old = Applicability {
            until_major: Some(11),
            ..Applicability::ALL
        };
        assert!(old.excludes(12, 3, None).unwrap().contains("up to"));
        assert!(
            Applicability::WINDOWS
                .excludes(15, 2, Some("Linux"))
                .unwrap()
                .contains("Windows only")
        );
        assert_eq!(Applicability::WINDOWS.excludes(15, 2, None), None);
        let boxed = Applicability {
            engine_editions: &[2, 3, 4],
            ..Applicability::ALL
        };
        assert!(
            boxed
                .excludes(16, 8, None)
                .unwrap()
                .contains("engine edition 8")
        );
        assert_eq!(boxed.excludes(16, 3, None), None);
        assert_eq!(
            Applicability {
                since_major: Some(14),
                ..Applicability::WINDOWS
            }
            .describe(),
            "2017 and later, Windows only"
        );
    }
}
