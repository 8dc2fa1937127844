//! Built-in instances (`builtin:NAME`), fixture files, and reproducible generated fleets
//! (`--generate N --seed S`).
//!
//! The built-in instances are fixture files themselves (`crates/mssql-sim/fixtures/*.toml`,
//! compiled in), so the format documented in `docs/simulator.md` is exercised by every test.
//! Every built-in instance has the SQL logins the demo and the tests connect with:
//! `autodbaudit` (sysadmin) and `limited_auditor` (VIEW SERVER STATE and VIEW ANY
//! DEFINITION only), both with [`DEMO_PASSWORD`].

use std::path::Path;

use crate::instance::{Database, Instance, Login, Service, ServiceKind, Setting, Startup, Version};

/// Password of the `autodbaudit` and `limited_auditor` logins of every built-in instance.
pub const DEMO_PASSWORD: &str = "AutoDBAudit-Demo-1!";

/// The built-in fixtures: (name, TOML text), oldest version first.
const FILES: [(&str, &str); 9] = [
    (
        "legacy-2008r2",
        include_str!("../fixtures/legacy-2008r2.toml"),
    ),
    ("sql2012", include_str!("../fixtures/sql2012.toml")),
    ("sql2014", include_str!("../fixtures/sql2014.toml")),
    ("sql2016", include_str!("../fixtures/sql2016.toml")),
    ("sql2017", include_str!("../fixtures/sql2017.toml")),
    (
        "typical-2019",
        include_str!("../fixtures/typical-2019.toml"),
    ),
    (
        "hardened-2022",
        include_str!("../fixtures/hardened-2022.toml"),
    ),
    ("linux-2022", include_str!("../fixtures/linux-2022.toml")),
    ("sql2025", include_str!("../fixtures/sql2025.toml")),
];

/// The built-in fixture names, oldest version first: the demo's fleet.
pub const BUILTIN: [&str; 9] = [
    FILES[0].0, FILES[1].0, FILES[2].0, FILES[3].0, FILES[4].0, FILES[5].0, FILES[6].0, FILES[7].0,
    FILES[8].0,
];

/// Built-in fixtures for purpose-built tests, loadable as `builtin:NAME` but not part of
/// [`BUILTIN`] (the demo would show them): `hostile`, whose logins, databases, users, roles,
/// linked server and trigger are named to break quoting, comments, placeholders, spreadsheets
/// and terminals; `escalation-2019`, with one planted path to sysadmin per kind of edge of
/// the privilege graph and decoys that must not be reported (X56).
const ADVERSARIAL: [(&str, &str); 2] = [
    ("hostile", include_str!("../fixtures/hostile.toml")),
    (
        "escalation-2019",
        include_str!("../fixtures/escalation-2019.toml"),
    ),
];

/// The purpose-built test fixture names ([`ADVERSARIAL`]).
pub const ADVERSARIAL_BUILTIN: [&str; 2] = [ADVERSARIAL[0].0, ADVERSARIAL[1].0];

/// A built-in instance by name (the demo's and the adversarial ones).
pub fn builtin(name: &str) -> Option<Instance> {
    let text = builtin_text(name)?;
    Some(Instance::from_toml(text).unwrap_or_else(|e| panic!("built-in fixture {name}: {e}")))
}

/// The TOML text of a built-in fixture (a starting point for one's own).
pub fn builtin_text(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .chain(&ADVERSARIAL)
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// A fixture given on the command line: `builtin:NAME` or the path of a TOML file. Errors name
/// the file and say what to fix.
pub fn load(spec: &str) -> Result<Instance, String> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        return builtin(name).ok_or_else(|| {
            format!(
                "no built-in fixture `{name}`; known: {}, {}",
                BUILTIN.join(", "),
                ADVERSARIAL_BUILTIN.join(", ")
            )
        });
    }
    let path = Path::new(spec);
    let text = read_bounded(path)?;
    Instance::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The largest fixture file read: a generous bound (the built-in ones are a few kilobytes, a
/// generated fleet of thousands of logins a few megabytes) so that a device, a FIFO or a
/// runaway file gives an error instead of hanging or filling memory.
pub const MAX_FIXTURE_BYTES: u64 = 64 << 20;

/// A fixture file's text: only a regular file (or a link to one) within
/// [`MAX_FIXTURE_BYTES`].
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read the fixture: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{shown}: not a regular file (a folder, FIFO or device); give the path of a TOML fixture"
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FIXTURE_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| format!("{shown}: cannot read the fixture: {e}"))?;
    if text.len() as u64 > MAX_FIXTURE_BYTES {
        return Err(format!(
            "{shown}: larger than {} MiB, the most a fixture may hold; split it into one file per instance",
            MAX_FIXTURE_BYTES >> 20
        ));
    }
    Ok(text)
}

/// A small deterministic generator (SplitMix64), so a seed always gives the same fleet (and
/// the decoder fuzz test the same inputs).
#[doc(hidden)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// `count` instances drawn from `seed`: versions across 2008 R2 … 2025 and misconfigurations at
/// realistic rates. The same seed always gives the same fleet.
pub fn generate(count: usize, seed: u64) -> Vec<Instance> {
    generate_with(count, seed, None)
}

/// As [`generate`], with exactly `databases` user databases per instance when given (the
/// audit benchmark uses about twenty).
pub fn generate_with(count: usize, seed: u64, databases: Option<usize>) -> Vec<Instance> {
    let mut rng = Rng(seed);
    let versions = [
        Version::new(10, 50, 6000, 34),
        Version::new(11, 0, 7001, 0),
        Version::new(12, 0, 6024, 0),
        Version::new(13, 0, 6300, 2),
        Version::new(14, 0, 3456, 2),
        Version::new(15, 0, 4355, 3),
        Version::new(16, 0, 4165, 4),
        Version::new(17, 0, 1000, 7),
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
            i.sa_mut().enabled = rng.chance(30);
            i.logins
                .push(Login::new("autodbaudit", DEMO_PASSWORD).in_role("sysadmin"));
            let mut limited = Login::new("limited_auditor", DEMO_PASSWORD);
            limited.permissions = vec!["VIEW SERVER STATE".into(), "VIEW ANY DEFINITION".into()];
            i.logins.push(limited);
            for option in [
                "xp_cmdshell",
                "clr enabled",
                "Ad Hoc Distributed Queries",
                "Database Mail XPs",
            ] {
                if rng.chance(15) {
                    i.configuration.insert(option.to_owned(), Setting::Value(1));
                }
            }
            for k in 0..(rng.next_u64() % 6) {
                let mut login = Login::new(
                    &format!("app{k}_{n}"),
                    &format!("Pw-{}", rng.next_u64() % 100_000),
                );
                login.check_policy = !rng.chance(20);
                if rng.chance(10) {
                    login.roles.push("sysadmin".into());
                }
                i.logins.push(login);
            }
            let database_count = databases.unwrap_or(1 + (rng.next_u64() % 5) as usize);
            for k in 0..database_count {
                let mut db = Database::new(&format!("AppDB{k}"));
                db.trustworthy = rng.chance(5);
                if !rng.chance(10) {
                    db.backups.push(crate::instance::Backup {
                        kind: "D".into(),
                        finished: crate::instance::When::try_from(format!(
                            "-{}h",
                            1 + rng.next_u64() % 200
                        ))
                        .expect("valid offset"),
                        size_mb: 100 + rng.next_u64() % 10_000,
                        encryption: None,
                        certificate: None,
                        device: None,
                    });
                }
                i.databases.push(db);
            }
            if rng.chance(20) {
                i.services[0].account = "LocalSystem".into();
            }
            if rng.chance(25) {
                i.services.push(Service {
                    kind: ServiceKind::Browser,
                    account: "NT AUTHORITY\\LOCAL SERVICE".into(),
                    startup: Startup::Automatic,
                    running: true,
                });
            }
            i.normalize().expect("generated instances are valid");
            i
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_path_that_is_not_a_bounded_regular_file_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let folder = load(dir.path().to_str().unwrap()).unwrap_err();
        assert!(folder.contains("not a regular file"), "{folder}");
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo.toml");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let e = load(fifo.to_str().unwrap()).unwrap_err();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let big = dir.path().join("big.toml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_FIXTURE_BYTES + 1).unwrap();
        let e = load(big.to_str().unwrap()).unwrap_err();
        assert!(e.contains("MiB"), "{e}");
    }

    #[test]
    fn every_builtin_exists_loads_and_has_the_demo_logins() {
        for name in BUILTIN {
            let instance = builtin(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                instance.login("AutoDBAudit").unwrap().password.as_deref(),
                Some(DEMO_PASSWORD)
            );
            assert!(instance.login("limited_auditor").is_some());
            crate::engine::Engine::new(&instance).unwrap();
        }
        assert!(builtin("nope").is_none());
        let legacy = builtin("legacy-2008r2").unwrap();
        assert!(legacy.sa().enabled && legacy.sa().name == "sa");
        assert!(legacy.database("SalesDB").unwrap().trustworthy);
        let hardened = builtin("hardened-2022").unwrap();
        assert!(!hardened.sa().enabled && hardened.sa().name != "sa");
        let linux = builtin("linux-2022").unwrap();
        assert!(linux.on_linux() && linux.instance_name().is_none());
        assert!(linux.services.is_empty(), "no Windows services on Linux");
        assert!(
            !linux
                .logins
                .iter()
                .any(|l| l.name.starts_with("NT ") || l.name.starts_with("BUILTIN")),
            "no Windows principals on Linux"
        );
    }

    #[test]
    fn the_hostile_fixture_loads_with_every_hostile_name() {
        let h = load("builtin:hostile").unwrap();
        crate::engine::Engine::new(&h).unwrap();
        for name in [
            "$(AUTODBAUDIT_SA_PASSWORD)",
            "$(X)",
            "bad]name",
            "o'brien",
            "quote\"d",
            "dash -- comment",
            "slash /* open",
            "=cmd|' /C calc'!A0",
            "+SUM(1,2)",
            "@SUM(1,2)",
            "fire \u{1F525} login",
            "admin\u{202E}nimda",
            "zero\u{200B}width",
            "  padded  ",
            "bell\u{7}ctl",
        ] {
            assert!(h.logins.iter().any(|l| l.name == name), "{name:?}");
        }
        assert!(h.logins.iter().any(|l| l.name.chars().count() == 128));
        assert!(h.logins.iter().any(|l| l.name == "CaseTwin"));
        assert!(h.database("CASETWIN").is_some());
        assert!(h.sa().enabled && h.sa().name == "sa");
        assert!(!BUILTIN.contains(&"hostile"), "the demo would show it");
    }

    #[test]
    fn generation_is_reproducible_and_varied() {
        let a = generate(50, 7);
        assert_eq!(a, generate(50, 7));
        assert_ne!(a, generate(50, 8));
        let versions: std::collections::BTreeSet<u8> = a.iter().map(|i| i.version.major).collect();
        assert!(versions.len() >= 5, "{versions:?}");
    }
}
