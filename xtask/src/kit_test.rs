//! `cargo xtask kit-test`: test what ships. Builds both kits, unpacks each into an empty folder
//! and runs it there — the Linux binary natively, the Windows exe under Wine — and checks that
//! the exe imports only Windows system DLLs and the Linux binary is static.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clap::Args;
use field_kit::{FileState, MANIFEST_FILE, Manifest};
use object::Object;

use crate::dist::{self, DistArgs, Kit, VERSION};
use crate::platform::Platform;
use crate::tools;
use crate::util::{self, Result};

/// Options of `cargo xtask kit-test`.
#[derive(Debug, Args)]
pub struct KitTestArgs {
    /// Test only this platform's kit.
    #[arg(long, value_enum)]
    pub only: Option<Platform>,
    /// Do not install missing tools (apt packages, rustup targets); fail instead.
    #[arg(long)]
    pub no_install: bool,
    /// Skip the second, from-scratch build that proves the archives are reproducible.
    #[arg(long)]
    pub skip_reproducibility: bool,
}

/// Windows DLLs the exe may import: all ship with Windows 10 / Server 2016 and newer.
const SYSTEM_DLLS: &[&str] = &[
    "advapi32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "crypt32.dll",
    "kernel32.dll",
    "msvcrt.dll",
    "ncrypt.dll",
    "ntdll.dll",
    "ole32.dll",
    "oleaut32.dll",
    "secur32.dll",
    "shell32.dll",
    "user32.dll",
    "userenv.dll",
    "ws2_32.dll",
];

/// Pass/fail bookkeeping: every check runs and is reported; the run fails if any did.
#[derive(Default)]
struct Checks {
    passed: usize,
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, name: &str, result: Result<()>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                eprintln!("kit-test: ok     {name}");
            }
            Err(e) => {
                eprintln!("kit-test: FAILED {name}: {e}");
                self.failed.push(format!("{name}: {e}"));
            }
        }
    }
}

/// Runs the whole kit test.
pub fn run(args: &KitTestArgs) -> Result<()> {
    tools::ensure(&needs(args.only), !args.no_install)?;
    let kits = dist::run(&DistArgs {
        only: args.only,
        out: None,
        check_reproducible: !args.skip_reproducibility,
        no_install: args.no_install,
    })?;
    let mut checks = Checks::default();
    let sim = Sim::start();
    if let Err(e) = &sim {
        checks.check(
            "simulated SQL Servers for the audit scenario",
            Err(e.clone()),
        );
    }
    let scratch = tempfile::Builder::new()
        .prefix("autodbaudit-kit-test-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let wine = if kits.iter().any(|k| k.platform == Platform::Windows) {
        Some(Wine::start()?)
    } else {
        None
    };
    for kit in &kits {
        let name = kit.platform.label();
        checks.check(
            &format!("{name}: executable is self-contained"),
            self_contained(kit),
        );
        if kit.platform == Platform::Windows {
            checks.check(
                "windows-x86_64: exe carries version information, icon and manifest",
                windows_resources(kit),
            );
        }
        let root = scratch.path().join(name);
        let kit_dir = match unpack(kit, &root) {
            Ok(dir) => dir,
            Err(e) => {
                checks.check(&format!("{name}: unpack"), Err(e));
                continue;
            }
        };
        checks.check(
            &format!("{name}: archive holds exactly the manifest's files"),
            archive_matches_manifest(&kit_dir),
        );
        let runner = Runner {
            platform: kit.platform,
            kit_dir,
            wine: wine.as_ref(),
        };
        scenario(&runner, &root, &mut checks);
        if let Ok(sim) = &sim {
            audit_scenario(&runner, &root, sim, &mut checks);
            remediation_scenario(&runner, &root, sim, &mut checks);
        }
        demo_scenario(&runner, &root, &mut checks);
    }
    if let Some(wine) = &wine {
        checks.check(
            "windows: unit tests of the Windows-specific crates under Wine",
            windows_unit_tests(wine),
        );
    }
    eprintln!(
        "kit-test: {} passed, {} failed",
        checks.passed,
        checks.failed.len()
    );
    println!("{} passed, {} failed", checks.passed, checks.failed.len());
    if checks.failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "kit-test failed:\n  {}",
            checks.failed.join("\n  ")
        ))
    }
}

/// What kit-test needs beyond building: Wine for the Windows exe (Debian's `wine64` only
/// recommends `wine`, which holds the `wine` and `wineserver` commands; with
/// --no-install-recommends both must be named) and LibreOffice, a third, independent reader of
/// the demo workbook.
fn needs(only: Option<Platform>) -> tools::Needs {
    let platforms: Vec<Platform> = only.map_or(Platform::ALL.to_vec(), |p| vec![p]);
    let mut needs = tools::kits(&platforms);
    if platforms.contains(&Platform::Windows) {
        needs.programs.extend([
            ("wine", &["wine", "wine64"][..]),
            ("wineserver", &["wine", "wine64"][..]),
        ]);
    }
    needs.programs.push(("soffice", &["libreoffice-calc"]));
    needs
}

/// Windows: imports only system DLLs (no libgcc / libwinpthread). Linux: no interpreter, no
/// shared libraries.
fn self_contained(kit: &Kit) -> Result<()> {
    let data = fs::read(&kit.exe).map_err(|e| format!("{}: {e}", kit.exe.display()))?;
    let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", kit.exe.display()))?;
    match kit.platform {
        Platform::Windows => {
            let mut libraries: Vec<String> = file
                .imports()
                .map_err(|e| e.to_string())?
                .iter()
                .map(|i| String::from_utf8_lossy(i.library()).to_lowercase())
                .collect();
            libraries.sort();
            libraries.dedup();
            let foreign: Vec<&String> = libraries
                .iter()
                .filter(|l| !SYSTEM_DLLS.contains(&l.as_str()) && !l.starts_with("api-ms-win-"))
                .collect();
            if foreign.is_empty() {
                eprintln!("kit-test:        imports: {}", libraries.join(", "));
                Ok(())
            } else {
                Err(format!(
                    "imports DLLs that are not part of Windows: {foreign:?}"
                ))
            }
        }
        Platform::Linux => {
            let dynamic_imports = file.imports().map_err(|e| e.to_string())?;
            if !dynamic_imports.is_empty() {
                return Err(format!(
                    "the binary imports {} dynamic symbols",
                    dynamic_imports.len()
                ));
            }
            static_elf_has_no_interp(&data)
        }
    }
}

/// The exe has an RT_VERSION with the product version, an icon group and an application manifest.
fn windows_resources(kit: &Kit) -> Result<()> {
    use object::read::pe::PeFile64;
    let data = fs::read(&kit.exe).map_err(|e| e.to_string())?;
    let pe = PeFile64::parse(&*data).map_err(|e| e.to_string())?;
    let sections = pe.section_table();
    let directory = pe
        .data_directories()
        .resource_directory(&*data, &sections)
        .map_err(|e| e.to_string())?
        .ok_or("the exe has no resources")?;
    let types: Vec<u16> = directory
        .root()
        .map_err(|e| e.to_string())?
        .entries
        .iter()
        .filter_map(|e| e.name_or_id().id())
        .collect();
    for (id, what) in [
        (16u16, "version information (RT_VERSION)"),
        (14, "icon (RT_GROUP_ICON)"),
        (24, "manifest (RT_MANIFEST)"),
    ] {
        if !types.contains(&id) {
            return Err(format!("no {what}; resource types present: {types:?}"));
        }
    }
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    for needle in [
        "ProductName",
        "AutoDBAudit - SQL Server security audit",
        VERSION,
    ] {
        let bytes = utf16(needle);
        if !data.windows(bytes.len()).any(|w| w == bytes.as_slice()) {
            return Err(format!("the version information lacks \"{needle}\""));
        }
    }
    Ok(())
}

/// Reads the ELF program headers directly: a static binary has no PT_INTERP segment.
fn static_elf_has_no_interp(data: &[u8]) -> Result<()> {
    use object::read::elf::{ElfFile64, FileHeader, ProgramHeader};
    let elf = ElfFile64::<object::Endianness>::parse(data).map_err(|e| e.to_string())?;
    let endian = elf.endian();
    let headers = elf
        .elf_header()
        .program_headers(endian, data)
        .map_err(|e| e.to_string())?;
    if headers
        .iter()
        .any(|h| h.p_type(endian) == object::elf::PT_INTERP)
    {
        Err("PT_INTERP present: the binary needs a dynamic loader".to_owned())
    } else {
        Ok(())
    }
}

/// Unpacks the archive into `root` with the same crates a user's unzip would agree with;
/// returns the kit folder.
fn unpack(kit: &Kit, root: &Path) -> Result<PathBuf> {
    fs::create_dir_all(root).map_err(|e| e.to_string())?;
    let file =
        fs::File::open(&kit.archive).map_err(|e| format!("{}: {e}", kit.archive.display()))?;
    match kit.platform {
        Platform::Windows => zip::ZipArchive::new(file)
            .and_then(|mut z| z.extract(root))
            .map_err(|e| format!("unzip: {e}"))?,
        Platform::Linux => tar::Archive::new(flate2::read::GzDecoder::new(file))
            .unpack(root)
            .map_err(|e| format!("untar: {e}"))?,
    }
    let dir = root.join(kit.platform.kit_name(VERSION));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!("the archive has no top folder {}", dir.display()))
    }
}

fn archive_matches_manifest(kit_dir: &Path) -> Result<()> {
    let text = fs::read_to_string(kit_dir.join(MANIFEST_FILE)).map_err(|e| e.to_string())?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if manifest.version != VERSION {
        return Err(format!(
            "manifest version {} != {VERSION}",
            manifest.version
        ));
    }
    let problems: Vec<String> = field_kit::verify(kit_dir, &manifest)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(_, state)| *state != FileState::Intact)
        .map(|(path, state)| format!("{path}: {state:?}"))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join(", "))
    }
}

/// A temporary Wine prefix with a persistent wineserver, so that each run of the exe neither
/// re-creates the prefix nor waits for a server to exit.
pub struct Wine {
    prefix: tempfile::TempDir,
}

impl Wine {
    fn start() -> Result<Wine> {
        let prefix = tempfile::Builder::new()
            .prefix("autodbaudit-wine-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let wine = Wine { prefix };
        let _ = wine
            .command("wineserver")
            .arg("-p")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // wineboot starts Wine's background services, which would inherit (and hold open) any
        // pipe given to it: its output goes nowhere.
        let status = wine
            .command("wine")
            .args(["wineboot", "--init"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot start wine: {e}"))?;
        if !status.success() {
            return Err(format!("wineboot --init failed with {status}"));
        }
        // The stub DLL goes into the prefix's system32, never beside the exe.
        let system32 = wine.prefix.path().join("drive_c/windows/system32");
        let assets = util::workspace_root().join("xtask/assets");
        util::run(
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-shared", "-O2", "-o"])
                .arg(system32.join("bcryptprimitives.dll"))
                .arg(assets.join("bcryptprimitives-stub.c"))
                .arg(assets.join("bcryptprimitives-stub.def"))
                .arg("-ladvapi32"),
        )?;
        Ok(wine)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
        cmd
    }
}

impl Drop for Wine {
    /// Ends the wineserver and Wine's services, so nothing outlives the test.
    fn drop(&mut self) {
        let _ = self
            .command("wineserver")
            .arg("-k")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs the kit's executable, natively or under Wine.
struct Runner<'a> {
    platform: Platform,
    kit_dir: PathBuf,
    wine: Option<&'a Wine>,
}

impl Runner<'_> {
    /// The executable with `args`, in `cwd`, colour off.
    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let exe = self.kit_dir.join(self.platform.exe_name());
        let mut cmd = match (self.platform, self.wine) {
            (Platform::Windows, Some(wine)) => {
                let mut c = wine.command("wine");
                c.arg(exe);
                c
            }
            _ => Command::new(exe),
        };
        cmd.current_dir(cwd)
            .env("NO_COLOR", "1")
            .env_remove("AUTODBAUDIT_WORKSPACE")
            .args(args);
        cmd
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Result<Output> {
        util::capture(self.command(cwd, args).stdin(Stdio::null()))
    }

    /// Runs and requires `code`; returns stdout + stderr for further checks.
    fn expect(&self, cwd: &Path, args: &[&str], code: i32) -> Result<String> {
        let out = self.run(cwd, args)?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        match out.status.code() {
            Some(c) if c == code => Ok(text),
            other => Err(format!(
                "`{}` exited {other:?}, expected {code}:\n{text}",
                args.join(" ")
            )),
        }
    }

    fn expect_with_stdin(&self, cwd: &Path, args: &[&str], input: &str) -> Result<String> {
        use std::io::Write;
        let mut child = self
            .command(cwd, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input.as_bytes())
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "`{}` failed ({}):\n{text}",
                args.join(" "),
                out.status
            ))
        }
    }
}

fn contains(text: &str, needle: &str) -> Result<()> {
    if text.contains(needle) {
        Ok(())
    } else {
        Err(format!("output lacks `{needle}`:\n{text}"))
    }
}

/// The end-to-end run of one unpacked kit, from an empty folder.
fn scenario(runner: &Runner<'_>, root: &Path, checks: &mut Checks) {
    let name = runner.platform.label();
    let kit = runner.kit_dir.clone();
    let triple = runner.platform.triple();
    checks.check(&format!("{name}: --version"), {
        runner
            .expect(root, &["--version"], 0)
            .and_then(|t| contains(&t, &format!("autodbaudit {VERSION} ({triple})")))
    });
    checks.check(&format!("{name}: --help"), {
        runner
            .expect(root, &["--help"], 0)
            .and_then(|t| contains(&t.to_lowercase(), "usage: autodbaudit"))
    });
    checks.check(&format!("{name}: selftest in the kit folder"), {
        runner
            .expect(&kit, &["selftest"], 0)
            .and_then(|t| contains(&t, "selftest passed"))
    });

    let work = root.join("work");
    checks.check(&format!("{name}: init"), {
        runner.expect(root, &["init", "work"], 0).and_then(|_| {
            if work.join("config/sql_targets.jsonc").is_file() {
                Ok(())
            } else {
                Err("no config written".into())
            }
        })
    });
    checks.check(
        &format!("{name}: config validate"),
        runner.expect(&work, &["config", "validate"], 0).map(|_| ()),
    );

    let credential = format!("kit-test-{}", std::process::id());
    let secret = format!("Kit-Secret-{}-ü!", std::process::id());
    let scheme = if runner.platform == Platform::Windows {
        "dpapi"
    } else {
        "keyring"
    };
    checks.check(&format!("{name}: credentials add + check ({scheme})"), (|| {
        let added = runner.expect_with_stdin(&work, &["credentials", "add", &credential, "--stdin"], &format!("{secret}\n"))?;
        contains(&added, &format!("\"credential\": \"{scheme}:{credential}\""))?;
        fs::write(
            work.join("config/sql_targets.jsonc"),
            format!(
                r#"{{ "targets": [ {{ "id": "kit", "server": "127.0.0.1", "port": 14330, "auth": "sql",
                     "username": "autodbaudit", "credential": "{scheme}:{credential}" }} ] }}"#
            ),
        )
        .map_err(|e| e.to_string())?;
        let checked = runner.expect(&work, &["credentials", "check"], 0)?;
        contains(&checked, "usable")?;
        let shown = runner.expect(&work, &["config", "show"], 0)?;
        contains(&shown, "(stored)")?;
        for text in [&added, &checked, &shown] {
            if text.contains(&secret) {
                return Err("the secret appeared in the output".into());
            }
        }
        for path in field_kit::list_files(&work).map_err(|e| e.to_string())? {
            let bytes = fs::read(work.join(&path)).map_err(|e| e.to_string())?;
            if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                return Err(format!("the secret is in clear text in {path}"));
            }
        }
        runner.expect(&work, &["credentials", "remove", &credential], 0)?;
        runner.expect(&work, &["credentials", "check"], 2).map(|_| ())
    })());
    checks.check(&format!("{name}: selftest in a workspace"), {
        let args = ["--workspace", "work", "selftest"];
        runner
            .expect(root, &args, 0)
            .and_then(|t| contains(&t, "selftest passed"))
    });
    checks.check(
        &format!("{name}: selftest detects an altered kit"),
        (|| {
            let guide = kit.join("docs/user-guide.md");
            let original = fs::read(&guide).map_err(|e| e.to_string())?;
            fs::write(&guide, [original.as_slice(), b"tampered"].concat())
                .map_err(|e| e.to_string())?;
            let result = runner
                .expect(&kit, &["selftest"], 1)
                .and_then(|t| contains(&t, "ALTERED  docs/user-guide.md"));
            fs::write(&guide, original).map_err(|e| e.to_string())?;
            result
        })(),
    );
}

/// `mssql-sim` serving several built-in instances on loopback ports, for the kits' audits and
/// the kill -9 soak.
pub(crate) struct Sim {
    child: std::process::Child,
    /// (fixture, port).
    pub(crate) ports: Vec<(String, u16)>,
}

impl Sim {
    const FIXTURES: [&'static str; 3] = ["legacy-2008r2", "typical-2019", "hardened-2022"];

    /// Builds the simulator and starts it with three built-in instances.
    pub(crate) fn start() -> Result<Sim> {
        util::run(util::cargo().args([
            "build",
            "--quiet",
            "-p",
            "mssql-sim",
            "--bin",
            "mssql-sim",
        ]))?;
        let binary = util::target_dir().join("debug").join("mssql-sim");
        let mut command = Command::new(&binary);
        for fixture in Self::FIXTURES {
            command.args(["--fixture", &format!("builtin:{fixture}")]);
        }
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let mut ports = Vec::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let line = line.map_err(|e| e.to_string())?;
            if line.starts_with("ready") {
                break;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(addr)) = (words.next(), words.next()) else {
                continue;
            };
            let port = addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("mssql-sim printed `{line}`"))?;
            ports.push((name.to_owned(), port));
        }
        if ports.len() != Self::FIXTURES.len() {
            let _ = child.kill();
            return Err(format!(
                "mssql-sim started {} of {} instances",
                ports.len(),
                Self::FIXTURES.len()
            ));
        }
        Ok(Sim { child, ports })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `demo` from the unpacked kit: the simulated servers start inside the kit's executable and
/// are audited, with no arguments beyond a folder.
fn demo_scenario(runner: &Runner<'_>, root: &Path, checks: &mut Checks) {
    let name = runner.platform.label();
    checks.check(
        &format!("{name}: demo"),
        (|| {
            let text = runner.expect(root, &["demo", "demo-run"], 0)?;
            contains(&text, "findings: ")?;
            contains(&text, "workbook: ")?;
            let workbook = root.join("demo-run/output/2026-H2/2026-H2.xlsx");
            workbook_opens(&workbook)?;
            let findings = root.join("demo-run/output/2026-H2/findings.json");
            let doc: serde_json::Value = serde_json::from_slice(
                &fs::read(&findings).map_err(|e| format!("{}: {e}", findings.display()))?,
            )
            .map_err(|e| e.to_string())?;
            let reached = doc["targets"]
                .as_array()
                .map_or(0, |t| t.iter().filter(|t| t["reached"] == true).count());
            if reached < 8 {
                return Err(format!(
                    "the demo reached {reached} of 8 simulated servers:\n{text}"
                ));
            }
            exports_read(&root.join("demo-run/output/2026-H2"), reached)
        })(),
    );
    checks.check(
        &format!("{name}: report --format writes every export from the history"),
        (|| {
            let folder = root.join("demo-run/output/2026-H2");
            for file in ["2026-H2.sarif", "2026-H2.html", "checklists"] {
                let path = folder.join(file);
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(|e| format!("{}: {e}", path.display()))?;
            }
            let text = runner.expect(
                root,
                &[
                    "--workspace",
                    "demo-run",
                    "report",
                    "--format",
                    "ckl,cklb,sarif,junit,html,csv",
                ],
                0,
            )?;
            contains(&text, "STIG checklists in")?;
            let reached = fs::read_dir(folder.join("checklists"))
                .map_err(|e| e.to_string())?
                .count()
                / 2;
            exports_read(&folder, reached)
        })(),
    );
}

/// The export files of an audit folder parse as what they claim to be: SARIF and CKLB as JSON
/// with their top-level structure, JUnit and CKL as XML, the HTML self-contained, the CSV with
/// its byte-order mark and header; one CKL and one CKLB per reached instance.
fn exports_read(folder: &Path, instances: usize) -> Result<()> {
    let read = |name: &str| {
        let path = folder.join(name);
        fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let json = |name: &str| -> Result<serde_json::Value> {
        serde_json::from_slice(&read(name)?).map_err(|e| format!("{name}: {e}"))
    };
    let xml = |name: &str, root: &str| -> Result<()> {
        let bytes = read(name)?;
        let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
        let mut buf = Vec::new();
        let mut first = None;
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(e)) if first.is_none() => {
                    first = Some(e.name().into_inner().to_owned());
                }
                Ok(_) => {}
                Err(e) => return Err(format!("{name}: not well-formed XML: {e}")),
            }
            buf.clear();
        }
        if first.as_deref() == Some(root) {
            Ok(())
        } else {
            Err(format!("{name}: root element {first:?}, expected {root}"))
        }
    };
    let sarif = json("2026-H2.sarif")?;
    if sarif["version"] != "2.1.0" || sarif["runs"][0]["results"].as_array().is_none() {
        return Err("2026-H2.sarif: not a SARIF 2.1.0 log with results".into());
    }
    xml("2026-H2.junit.xml", "testsuites")?;
    let html = String::from_utf8(read("2026-H2.html")?).map_err(|e| e.to_string())?;
    if !html.starts_with("<!DOCTYPE html") || html.contains("https://") || html.contains("<script")
    {
        return Err("2026-H2.html: not a self-contained HTML document".into());
    }
    let csv = read("2026-H2.csv")?;
    if !csv.starts_with(b"\xEF\xBB\xBF\"target_id\"") {
        return Err("2026-H2.csv: no byte-order mark and header".into());
    }
    let mut ckl = 0;
    let mut cklb = 0;
    for entry in fs::read_dir(folder.join("checklists")).map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let name = format!("checklists/{}", name.to_string_lossy());
        if name.ends_with(".ckl") {
            xml(&name, "CHECKLIST")?;
            ckl += 1;
        } else if name.ends_with(".cklb") {
            if json(&name)?["stigs"]
                .as_array()
                .is_none_or(|s| s.len() != 2)
            {
                return Err(format!("{name}: not a checklist of two STIGs"));
            }
            cklb += 1;
        }
    }
    if ckl < instances || cklb < instances {
        return Err(format!(
            "{ckl} .ckl and {cklb} .cklb for {instances} instances"
        ));
    }
    Ok(())
}

/// The demo workbook is a real xlsx: it has every sheet the report writes (Cover first,
/// Actions last), and LibreOffice (an
/// independent implementation) opens it and converts it to PDF without error.
fn workbook_opens(workbook: &Path) -> Result<()> {
    let file = fs::File::open(workbook).map_err(|e| format!("{}: {e}", workbook.display()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("{}: {e}", workbook.display()))?;
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip
            .by_name("xl/workbook.xml")
            .map_err(|e| format!("{}: xl/workbook.xml: {e}", workbook.display()))?,
        &mut xml,
    )
    .map_err(|e| e.to_string())?;
    let sheets = xml.matches("<sheet ").count();
    let expected = report::sheets::sheet_names().len();
    if sheets != expected || !xml.contains("name=\"Cover\"") || !xml.contains("name=\"Actions\"") {
        return Err(format!(
            "{}: expected the {expected} sheets, found {sheets}",
            workbook.display()
        ));
    }
    let out = workbook.with_file_name("pdf");
    let profile = workbook.with_file_name("lo-profile");
    let result = util::capture(
        Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(&out)
            .arg(workbook)
            .stdin(Stdio::null()),
    )?;
    let pdf = out.join(
        workbook
            .with_extension("pdf")
            .file_name()
            .unwrap_or_default(),
    );
    match fs::metadata(&pdf) {
        Ok(m) if result.status.success() && m.len() > 1000 => Ok(()),
        _ => Err(format!(
            "LibreOffice could not convert {}: {}{}",
            workbook.display(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        )),
    }
}

/// The kit audits the simulated instances in parallel: every one reached, findings.json
/// written, the password nowhere in the output.
fn audit_scenario(runner: &Runner<'_>, root: &Path, sim: &Sim, checks: &mut Checks) {
    let name = runner.platform.label();
    checks.check(&format!("{name}: audit of {} simulated instances in parallel", sim.ports.len()), (|| {
        let work = root.join("audit-work");
        runner.expect(root, &["init", "audit-work"], 0)?;
        let targets: Vec<String> = sim
            .ports
            .iter()
            .map(|(fixture, port)| {
                format!(
                    r#"{{ "id": "{fixture}", "server": "127.0.0.1", "port": {port}, "auth": "sql", "username": "autodbaudit",
                         "credential": "env:KIT_TEST_SQL_PASSWORD", "trust_server_certificate": true }}"#
                )
            })
            .collect();
        fs::write(
            work.join("config/sql_targets.jsonc"),
            format!("{{ \"targets\": [{}] }}", targets.join(",")),
        )
        .map_err(|e| e.to_string())?;
        let password = "AutoDBAudit-Demo-1!";
        let mut command = runner.command(&work, &["audit", "--concurrency", "3"]);
        command.env("KIT_TEST_SQL_PASSWORD", password).stdin(Stdio::null());
        let out = util::capture(&mut command)?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.code() != Some(0) {
            return Err(format!("audit exited {:?}:\n{text}", out.status.code()));
        }
        if text.contains(password) {
            return Err("the password appeared in the output".into());
        }
        let findings = fs::read_dir(work.join("output"))
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("findings.json"))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("no findings.json:\n{text}"))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&fs::read(&findings).map_err(|e| e.to_string())?)
                .map_err(|e| format!("{}: {e}", findings.display()))?;
        let reached = doc["targets"]
            .as_array()
            .map_or(0, |t| t.iter().filter(|t| t["reached"] == true).count());
        if reached != sim.ports.len() {
            return Err(format!("{reached} of {} targets reached:\n{text}", sim.ports.len()));
        }
        Ok(())
    })());
}

/// Remediation as shipped: the kit generates level-2 scripts from the audit above (so passwords
/// are generated and the secrets file is written, with DPAPI under Wine), applies them to the
/// simulated instances in parallel, sync sees the fixes, and the rollback restores the state.
/// The simulated instances are shared by both kits; the rollback puts back everything but the
/// replaced passwords, so the second kit still finds work (the sa account) at level 2.
fn remediation_scenario(runner: &Runner<'_>, root: &Path, sim: &Sim, checks: &mut Checks) {
    let name = runner.platform.label();
    checks.check(
        &format!(
            "{name}: remediate generate + apply + sync + rollback over {} instances in parallel",
            sim.ports.len()
        ),
        (|| {
            let work = root.join("audit-work");
            let password = "AutoDBAudit-Demo-1!";
            let mut outputs = String::new();
            let mut run = |args: &[&str], codes: &[i32]| -> Result<String> {
                let mut command = runner.command(&work, args);
                command
                    .env("KIT_TEST_SQL_PASSWORD", password)
                    .stdin(Stdio::null());
                let out = util::capture(&mut command)?;
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if !out.status.code().is_some_and(|c| codes.contains(&c)) {
                    return Err(format!(
                        "{args:?} exited {:?}, expected {codes:?}:\n{text}",
                        out.status.code()
                    ));
                }
                if text.contains(password) {
                    return Err(format!("{args:?}: the password appeared in the output"));
                }
                outputs.push_str(&text);
                Ok(text)
            };
            run(&["remediate", "generate", "--level", "2"], &[0])?;
            let folders = remediation_folders(&work)?;
            if folders.len() != sim.ports.len() {
                return Err(format!(
                    "{} remediation folders for {} instances: {folders:?}",
                    folders.len(),
                    sim.ports.len()
                ));
            }
            let secrets = secrets_files(runner.platform, &folders)?;
            run(&["remediate", "apply", "--dry-run"], &[0])?;
            let applied = run(&["remediate", "apply", "--concurrency", "3"], &[0])?;
            contains(&applied, "remediation complete")?;
            // Sync exits 0, or 3 when some check stays unknown; either way it must see fixes.
            let synced = run(&["sync"], &[0, 3])?;
            let fixed = synced
                .lines()
                .find_map(|l| l.split("since the last run:").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            if fixed == 0 {
                return Err(format!("sync saw nothing fixed after apply:\n{synced}"));
            }
            let rolled = run(&["remediate", "rollback", "--concurrency", "3"], &[0])?;
            contains(&rolled, "rollback complete")?;
            secrets_kept_secret(runner.platform, &work, &secrets, &outputs)
        })(),
    );
}

/// The per-instance folders `remediate generate` wrote (`output/<audit>/remediation/<target>`).
fn remediation_folders(work: &Path) -> Result<Vec<PathBuf>> {
    let mut folders = Vec::new();
    for audit in fs::read_dir(work.join("output")).map_err(|e| e.to_string())? {
        let remediation = audit.map_err(|e| e.to_string())?.path().join("remediation");
        let Ok(targets) = fs::read_dir(&remediation) else {
            continue;
        };
        for target in targets {
            let dir = target.map_err(|e| e.to_string())?.path();
            for script in ["fix.sql", "rollback.sql"] {
                if !dir.join(script).is_file() {
                    return Err(format!("{} has no {script}", dir.display()));
                }
            }
            folders.push(dir);
        }
    }
    folders.sort();
    Ok(folders)
}

/// The secrets files written at level 2: `secrets.dpapi` on Windows (no plain-text copy),
/// `secrets.txt` elsewhere. At least one instance must need a generated password.
fn secrets_files(platform: Platform, folders: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let (expected, forbidden) = if platform == Platform::Windows {
        ("secrets.dpapi", "secrets.txt")
    } else {
        ("secrets.txt", "secrets.dpapi")
    };
    let mut found = Vec::new();
    for dir in folders {
        if dir.join(forbidden).exists() {
            return Err(format!("{} holds {forbidden}", dir.display()));
        }
        let file = dir.join(expected);
        if file.is_file() {
            let fix = fs::read_to_string(dir.join("fix.sql")).map_err(|e| e.to_string())?;
            if !fix.contains("$(AUTODBAUDIT_") {
                return Err(format!(
                    "{} exists but fix.sql uses no $(AUTODBAUDIT_…) placeholder",
                    file.display()
                ));
            }
            found.push(file);
        }
    }
    if found.is_empty() {
        return Err(format!("no {expected} was written at level 2"));
    }
    Ok(found)
}

/// No generated password appears in any output or in any file of the workspace but its own
/// secrets file. On Windows the file is DPAPI-protected: it must not hold the names in clear.
fn secrets_kept_secret(
    platform: Platform,
    work: &Path,
    secrets: &[PathBuf],
    outputs: &str,
) -> Result<()> {
    if platform == Platform::Windows {
        for file in secrets {
            let bytes = fs::read(file).map_err(|e| e.to_string())?;
            if bytes
                .windows(13)
                .any(|w| w == b"AUTODBAUDIT_S" || w == b"AUTODBAUDIT_P")
            {
                return Err(format!("{} is readable as plain text", file.display()));
            }
        }
        return Ok(());
    }
    let mut values = Vec::new();
    for file in secrets {
        let text = fs::read_to_string(file).map_err(|e| e.to_string())?;
        values.extend(
            // `password = VALUE` in each entry (`NAME=value` in files of earlier versions).
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| match l.strip_prefix("password = ") {
                    Some(v) => Some(v.to_owned()),
                    None if !l.contains(" = ") => l.split_once('=').map(|(_, v)| v.to_owned()),
                    None => None,
                })
                .filter(|v| v.len() >= 16),
        );
    }
    if values.is_empty() {
        return Err("the secrets files hold no password".into());
    }
    if values.iter().any(|v| outputs.contains(v.as_str())) {
        return Err("a generated password appeared in the output".into());
    }
    let mut pending = vec![work.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else if !secrets.contains(&path) {
                let bytes = fs::read(&path).map_err(|e| e.to_string())?;
                if values
                    .iter()
                    .any(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
                {
                    return Err(format!("a generated password is in {}", path.display()));
                }
            }
        }
    }
    Ok(())
}

/// Builds the unit tests of the crates with Windows-specific code for Windows and runs them
/// under Wine (DPAPI round trip and name binding, keyring, paths).
fn windows_unit_tests(wine: &Wine) -> Result<()> {
    let out = util::stdout_of(
        util::cargo()
            .current_dir(util::workspace_root())
            .args([
                "test",
                "--no-run",
                "--locked",
                "--message-format=json",
                "--target",
                Platform::Windows.triple(),
            ])
            .args([
                "-p",
                "audit-credentials",
                "-p",
                "audit-config",
                "-p",
                "field-kit",
            ]),
    )?;
    let executables: Vec<String> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["profile"]["test"] == true)
        .filter_map(|v| v["executable"].as_str().map(str::to_owned))
        .collect();
    if executables.is_empty() {
        return Err("no Windows test executables were built".into());
    }
    for exe in executables {
        let result = util::capture(wine.command("wine").arg(&exe).stdin(Stdio::null()))?;
        let text = String::from_utf8_lossy(&result.stdout);
        let summary = text
            .lines()
            .find(|l| l.starts_with("test result:"))
            .unwrap_or("no summary");
        eprintln!(
            "kit-test:        {}: {summary}",
            Path::new(&exe)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        );
        if !result.status.success() || !summary.starts_with("test result: ok") {
            return Err(format!(
                "{exe} failed under Wine:\n{text}\n{}",
                String::from_utf8_lossy(&result.stderr)
            ));
        }
    }
    Ok(())
}
