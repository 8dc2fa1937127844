//! Built-in instances (`builtin:NAME`) and reproducible generated fleets (`--generate N --seed S`).
//!
//! Every built-in instance has the SQL logins the demo and the tests connect with:
//! `autodbaudit` (sysadmin) and `limited_auditor`, both with [`DEMO_PASSWORD`].

use crate::{Database, Instance, Login, Startup};

/// Password of the `autodbaudit` and `limited_auditor` logins of every built-in instance.
pub const DEMO_PASSWORD: &str = "AutoDBAudit-Demo-1!";

/// The built-in fixture names, oldest version first.
pub const BUILTIN: [&str; 8] = [
    "legacy-2008r2",
    "sql2012",
    "sql2014",
    "sql2016",
    "sql2017",
    "typical-2019",
    "hardened-2022",
    "sql2025",
];

fn with_demo_logins(mut instance: Instance) -> Instance {
    instance.logins.insert(
        0,
        Login::new("autodbaudit", DEMO_PASSWORD).in_role("sysadmin"),
    );
    instance
        .logins
        .insert(1, Login::new("limited_auditor", DEMO_PASSWORD));
    instance
}

fn set_service_account(instance: &mut Instance, index: usize, account: &str) {
    if let Some(service) = instance.services.get_mut(index) {
        service.account = account.to_owned();
    }
}

/// A built-in instance by name.
pub fn builtin(name: &str) -> Option<Instance> {
    let instance = match name {
        // SQL Server 2008 R2 SP3, misconfigured in every way the audit looks for (so far as the
        // simulator models it: more arrives with the catalog).
        "legacy-2008r2" => {
            let mut i = Instance::new(
                "LEGACYSQL01",
                (10, 50, 6000, 34),
                "Standard Edition (64-bit)",
            );
            i.sa = Login {
                policy_checked: false,
                ..Login::new("sa", "sa")
            };
            let mut app_admin = Login::new("app_admin", "app_admin").in_role("sysadmin");
            app_admin.policy_checked = false;
            i.logins = vec![
                app_admin,
                Login::new("old_vendor", "Vendor#2009"),
                Login::new("report_user", "Reports-2011"),
            ];
            i.databases = vec![
                Database {
                    name: "AdventureWorks2008R2".into(),
                    trustworthy: false,
                },
                Database {
                    name: "SalesDB".into(),
                    trustworthy: true,
                },
            ];
            i.configurations = [
                "xp_cmdshell",
                "Ad Hoc Distributed Queries",
                "Database Mail XPs",
                "remote access",
            ]
            .into_iter()
            .map(|n| (n.to_owned(), 1))
            .collect();
            set_service_account(&mut i, 0, "LocalSystem");
            i.services.push(crate::Service {
                name: "SQL Server Browser".into(),
                account: "NT AUTHORITY\\LOCALSERVICE".into(),
                startup: Startup::Automatic,
                running: true,
            });
            i.services.push(crate::Service {
                name: "SQL Server Reporting Services (MSSQLSERVER)".into(),
                account: "NT AUTHORITY\\NETWORKSERVICE".into(),
                startup: Startup::Automatic,
                running: true,
            });
            i
        }
        // SQL Server 2019 RTM, mostly compliant: sa disabled but not renamed, CLR enabled.
        "typical-2019" => {
            let mut i = Instance::new(
                "SQLAPP02\\SQL2019",
                (15, 0, 2000, 5),
                "Enterprise Edition (64-bit)",
            );
            i.sa.enabled = false;
            i.databases = vec![Database {
                name: "Payroll".into(),
                trustworthy: false,
            }];
            i.configurations = vec![("clr enabled".into(), 1)];
            i
        }
        // SQL Server 2022 at a recent CU, everything compliant.
        "hardened-2022" => {
            let mut i = Instance::new(
                "SQLSEC03\\PROD",
                (16, 0, 4165, 4),
                "Enterprise Edition: Core-based Licensing (64-bit)",
            );
            i.sa = Login {
                enabled: false,
                ..Login::new("$@", "Fj3#kq-0982-Zx!")
            };
            i.databases = vec![Database {
                name: "Finance".into(),
                trustworthy: false,
            }];
            i
        }
        "sql2012" => Instance::new("SQL2012HOST", (11, 0, 7001, 0), "Standard Edition (64-bit)"),
        "sql2014" => Instance::new("SQL2014HOST", (12, 0, 6024, 0), "Standard Edition (64-bit)"),
        "sql2016" => Instance::new(
            "SQL2016HOST\\APPS",
            (13, 0, 6300, 2),
            "Standard Edition (64-bit)",
        ),
        "sql2017" => Instance::new(
            "SQL2017HOST",
            (14, 0, 3456, 2),
            "Developer Edition (64-bit)",
        ),
        "sql2025" => Instance::new(
            "SQL2025HOST\\NEXT",
            (17, 0, 1000, 7),
            "Enterprise Edition (64-bit)",
        ),
        _ => return None,
    };
    Some(with_demo_logins(instance))
}

/// A small deterministic generator (SplitMix64), so a seed always gives the same fleet.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// `count` instances drawn from `seed`: versions across 2008 R2 … 2025 and misconfigurations at
/// realistic rates. The same seed always gives the same fleet.
pub fn generate(count: usize, seed: u64) -> Vec<Instance> {
    let mut rng = Rng(seed);
    let versions: [(u8, u8, u16, u16); 8] = [
        (10, 50, 6000, 34),
        (11, 0, 7001, 0),
        (12, 0, 6024, 0),
        (13, 0, 6300, 2),
        (14, 0, 3456, 2),
        (15, 0, 4355, 3),
        (16, 0, 4165, 4),
        (17, 0, 1000, 7),
    ];
    (0..count)
        .map(|n| {
            let version = *rng.pick(&versions);
            let name = if rng.chance(40) {
                format!("SQLGEN{n:05}\\INST{}", n % 7)
            } else {
                format!("SQLGEN{n:05}")
            };
            let edition = *rng.pick(&["Standard Edition (64-bit)", "Enterprise Edition (64-bit)"]);
            let mut i = Instance::new(&name, version, edition);
            i.sa.enabled = rng.chance(30);
            for option in [
                "xp_cmdshell",
                "clr enabled",
                "Ad Hoc Distributed Queries",
                "Database Mail XPs",
            ] {
                if rng.chance(15) {
                    i.configurations.push((option.to_owned(), 1));
                }
            }
            for k in 0..(rng.next() % 6) {
                let mut login = Login::new(
                    &format!("app{k}_{n}"),
                    &format!("Pw-{}", rng.next() % 100_000),
                );
                login.policy_checked = !rng.chance(20);
                if rng.chance(10) {
                    login.server_roles.push("sysadmin".into());
                }
                i.logins.push(login);
            }
            for k in 0..(1 + rng.next() % 5) {
                i.databases.push(Database {
                    name: format!("AppDB{k}"),
                    trustworthy: rng.chance(5),
                });
            }
            if rng.chance(20) {
                set_service_account(&mut i, 0, "LocalSystem");
            }
            with_demo_logins(i)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_exists_loads_and_has_the_demo_logins() {
        for name in BUILTIN {
            let instance = builtin(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                instance.login("AutoDBAudit").unwrap().password,
                DEMO_PASSWORD
            );
            assert!(instance.login("limited_auditor").is_some());
            crate::engine::Engine::new(&instance).unwrap();
        }
        assert!(builtin("nope").is_none());
    }

    #[test]
    fn generation_is_reproducible_and_varied() {
        let a = generate(50, 7);
        assert_eq!(a, generate(50, 7));
        assert_ne!(a, generate(50, 8));
        let versions: std::collections::BTreeSet<u8> = a.iter().map(|i| i.version.0).collect();
        assert!(versions.len() >= 5, "{versions:?}");
    }
}
