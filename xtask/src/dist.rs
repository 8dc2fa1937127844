//! `cargo xtask dist`: build the executables, lay out each kit, write its manifest, archive it.
//!
//! Reproducible: paths are remapped out of the binaries, the PE timestamp is omitted (see
//! `.cargo/config.toml`), archive entries are sorted with fixed owners, modes and timestamps
//! taken from SOURCE_DATE_EPOCH (default: the time of the last commit).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use field_kit::{MANIFEST_FILE, Manifest};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::platform::Platform;
use crate::tools;
use crate::util::{self, Result};

/// Options of `cargo xtask dist`.
#[derive(Debug, Args)]
pub struct DistArgs {
    /// Build only this platform's kit.
    #[arg(long, value_enum)]
    pub only: Option<Platform>,
    /// Where to write the archives (default: dist/ in the workspace).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Build everything a second time in another target directory and require byte-identical
    /// archives.
    #[arg(long)]
    pub check_reproducible: bool,
    /// Do not install missing tools (rustup targets, MinGW-w64, musl-tools); fail instead,
    /// naming them.
    #[arg(long)]
    pub no_install: bool,
}

/// A built kit.
#[derive(Debug, Clone)]
pub struct Kit {
    /// Its platform.
    pub platform: Platform,
    /// The archive in dist/.
    pub archive: PathBuf,
    /// The executable that went into it.
    pub exe: PathBuf,
}

/// The product version (the workspace's, which xtask shares).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the requested kits, first installing what the build needs (as `kit-test` does).
pub fn run(args: &DistArgs) -> Result<Vec<Kit>> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| util::workspace_root().join("dist"));
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let epoch = source_date_epoch()?;
    let commit = git_commit();
    let platforms: Vec<Platform> = match args.only {
        Some(p) => vec![p],
        None => Platform::ALL.to_vec(),
    };
    // A fresh machine has neither the targets nor the linkers ("can't find crate for core").
    tools::ensure(&tools::kits(&platforms), !args.no_install)?;
    let target_dir = util::target_dir();
    let mut kits = Vec::new();
    for &platform in &platforms {
        let kit = build_kit(
            platform,
            epoch,
            &commit,
            &target_dir,
            &target_dir.join("xtask/kits"),
            &out,
        )?;
        let size = fs::metadata(&kit.archive).map(|m| m.len()).unwrap_or(0);
        eprintln!("xtask: {} ({})", kit.archive.display(), util::mib(size));
        kits.push(kit);
    }
    if args.check_reproducible {
        check_reproducible(&kits, epoch, &commit)?;
    }
    Ok(kits)
}

/// Builds, stages and archives one platform's kit.
fn build_kit(
    platform: Platform,
    epoch: i64,
    commit: &str,
    target_dir: &Path,
    kits: &Path,
    out: &Path,
) -> Result<Kit> {
    let exe = build(platform, epoch, target_dir)?;
    let dir = stage(platform, &exe, epoch, commit, kits)?;
    let archive = out.join(platform.archive_name(VERSION));
    write_archive(platform, &dir, &archive, epoch)?;
    Ok(Kit {
        platform,
        archive,
        exe,
    })
}

/// Rebuilds every kit from scratch in a second target directory and compares the archives
/// byte for byte; on a difference, names the files that differ.
fn check_reproducible(kits: &[Kit], epoch: i64, commit: &str) -> Result<()> {
    let second = util::target_dir().join("xtask/reproducibility");
    let (target_dir, staged, out) = (
        second.join("target"),
        second.join("kits"),
        second.join("dist"),
    );
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for kit in kits {
        let again = build_kit(kit.platform, epoch, commit, &target_dir, &staged, &out)?;
        let (a, b) = (fs::read(&kit.archive), fs::read(&again.archive));
        match (a, b) {
            (Ok(a), Ok(b)) if a == b => {
                eprintln!(
                    "xtask: reproducible: {} (SHA-256 {})",
                    kit.archive.display(),
                    field_kit::sha256_bytes(&a)
                );
            }
            _ => {
                let first = util::target_dir()
                    .join("xtask/kits")
                    .join(kit.platform.kit_name(VERSION));
                let second = staged.join(kit.platform.kit_name(VERSION));
                let (m1, m2) = (field_kit::describe(&first), field_kit::describe(&second));
                let differing: Vec<String> = match (m1, m2) {
                    (Ok(m1), Ok(m2)) => m1
                        .iter()
                        .filter(|f| !m2.contains(f))
                        .map(|f| f.path.clone())
                        .collect(),
                    _ => vec!["(could not compare the staged kits)".to_owned()],
                };
                return Err(format!(
                    "{} differs between two builds of the same commit; differing files: {}",
                    kit.archive.display(),
                    differing.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// SOURCE_DATE_EPOCH if set, else the committer time of HEAD.
pub fn source_date_epoch() -> Result<i64> {
    if let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") {
        return value
            .trim()
            .parse()
            .map_err(|_| format!("SOURCE_DATE_EPOCH={value} is not a number of seconds"));
    }
    let text = util::stdout_of(
        std::process::Command::new("git").current_dir(util::workspace_root()).args(["log", "-1", "--format=%ct"]),
    )
    .map_err(|e| format!("cannot read the commit time for SOURCE_DATE_EPOCH (set it, or build from a git checkout): {e}"))?;
    text.trim()
        .parse()
        .map_err(|_| format!("unexpected `git log` output: {text}"))
}

/// HEAD's commit id, with `-dirty` when tracked files have uncommitted changes.
fn git_commit() -> String {
    let root = util::workspace_root();
    let head = util::stdout_of(
        std::process::Command::new("git")
            .current_dir(&root)
            .args(["rev-parse", "HEAD"]),
    )
    .map(|s| s.trim().to_owned())
    .unwrap_or_else(|_| "unknown".to_owned());
    let dirty = util::stdout_of(std::process::Command::new("git").current_dir(&root).args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .map(|s| !s.trim().is_empty())
    .unwrap_or(false);
    if dirty { format!("{head}-dirty") } else { head }
}

/// `cargo build --release` for the platform, with paths remapped so the binary does not
/// depend on where the checkout, the cargo home or the target directory are.
fn build(platform: Platform, epoch: i64, target_dir: &Path) -> Result<PathBuf> {
    let root = util::workspace_root();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let target_dir = target_dir.to_path_buf();
    let remaps = [
        (&root, "/autodbaudit"),
        (&target_dir, "/target"),
        (&cargo_home, "/cargo"),
    ]
    .iter()
    .map(|(from, to)| format!("\"--remap-path-prefix={}={to}\"", from.display()))
    .collect::<Vec<_>>()
    .join(", ");
    util::run(
        util::cargo()
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .args([
                "build",
                "--release",
                "--locked",
                "--package",
                "autodbaudit",
                "--target",
                platform.triple(),
            ])
            .arg("--config")
            .arg(format!(
                "target.{}.rustflags = [{remaps}]",
                platform.triple()
            )),
    )?;
    let exe = target_dir
        .join(platform.triple())
        .join("release")
        .join(platform.built_name());
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("the build did not produce {}", exe.display()))
    }
}

/// Lays out the kit folder and writes its manifest.
fn stage(platform: Platform, exe: &Path, epoch: i64, commit: &str, kits: &Path) -> Result<PathBuf> {
    let dir = kits.join(platform.kit_name(VERSION));
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let write = |relative: &Path, bytes: &[u8]| -> Result<()> {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().expect("kit files are inside the kit"))
            .and_then(|()| fs::write(&path, bytes))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let binary = fs::read(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    write(Path::new(platform.exe_name()), &binary)?;
    set_executable(&dir.join(platform.exe_name()))?;
    for (relative, contents) in audit_config::templates::workspace_files() {
        write(&relative, contents.as_bytes())?;
    }
    let root = util::workspace_root();
    for doc in ["user-guide.md", "configuration.md", "checks.md"] {
        let bytes =
            fs::read(root.join("docs").join(doc)).map_err(|e| format!("docs/{doc}: {e}"))?;
        write(&Path::new("docs").join(doc), &bytes)?;
    }
    // The build data the executable embeds, for auditors to copy to config/builds.json and
    // update (docs/configuration.md, "Build data").
    write(
        Path::new("data/builds.json"),
        audit_core::build_data::EMBEDDED_TEXT.as_bytes(),
    )?;
    if platform == Platform::Windows {
        write(
            Path::new("Start-Shell.cmd"),
            include_bytes!("../assets/Start-Shell.cmd"),
        )?;
    }
    let manifest = Manifest {
        product: "AutoDBAudit".to_owned(),
        version: VERSION.to_owned(),
        target: platform.triple().to_owned(),
        git_commit: commit.to_owned(),
        build_date: OffsetDateTime::from_unix_timestamp(epoch)
            .map_err(|e| format!("SOURCE_DATE_EPOCH out of range: {e}"))?
            .format(&Rfc3339)
            .expect("a UTC time formats"),
        files: field_kit::describe(&dir).map_err(|e| format!("{}: {e}", dir.display()))?,
    };
    let mut text = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    text.push('\n');
    write(Path::new(MANIFEST_FILE), text.as_bytes())?;
    Ok(dir)
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<()> {
    Ok(())
}

/// The archive entries of a kit folder: the manifest and every file, sorted, with their mode.
fn entries(platform: Platform, dir: &Path) -> Result<Vec<(String, u32)>> {
    let mut files = field_kit::list_files(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    files.push(MANIFEST_FILE.to_owned());
    files.sort();
    Ok(files
        .into_iter()
        .map(|f| {
            let mode = if f == platform.exe_name() {
                0o755
            } else {
                0o644
            };
            (f, mode)
        })
        .collect())
}

/// Writes the zip (Windows) or tar.gz (Linux), each entry under the kit's folder name.
fn write_archive(platform: Platform, dir: &Path, archive: &Path, epoch: i64) -> Result<()> {
    let top = dir
        .file_name()
        .expect("the kit folder has a name")
        .to_string_lossy()
        .into_owned();
    let entries = entries(platform, dir)?;
    let tmp = archive.with_extension("partial");
    let file = fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let io = |e: std::io::Error| format!("{}: {e}", archive.display());
    match platform {
        Platform::Windows => {
            let when = OffsetDateTime::from_unix_timestamp(epoch.max(315_532_800))
                .map_err(|e| e.to_string())?;
            let stamp = zip::DateTime::from_date_and_time(
                when.year() as u16,
                when.month() as u8,
                when.day(),
                when.hour(),
                when.minute(),
                when.second(),
            )
            .map_err(|e| format!("zip timestamp: {e}"))?;
            let mut zip = zip::ZipWriter::new(file);
            for (name, mode) in &entries {
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(9))
                    .last_modified_time(stamp)
                    .unix_permissions(*mode);
                zip.start_file(format!("{top}/{name}"), options)
                    .map_err(|e| format!("zip: {e}"))?;
                zip.write_all(&fs::read(dir.join(name)).map_err(io)?)
                    .map_err(io)?;
            }
            zip.finish().map_err(|e| format!("zip: {e}"))?;
        }
        Platform::Linux => {
            let gz = flate2::GzBuilder::new()
                .mtime(0)
                .write(file, flate2::Compression::best());
            let mut tar = tar::Builder::new(gz);
            for (name, mode) in &entries {
                let bytes = fs::read(dir.join(name)).map_err(io)?;
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(bytes.len() as u64);
                header.set_mode(*mode);
                header.set_mtime(epoch.max(0) as u64);
                header.set_uid(0);
                header.set_gid(0);
                header.set_username("root").map_err(io)?;
                header.set_groupname("root").map_err(io)?;
                tar.append_data(&mut header, format!("{top}/{name}"), bytes.as_slice())
                    .map_err(io)?;
            }
            tar.into_inner().map_err(io)?.finish().map_err(io)?;
        }
    }
    fs::rename(&tmp, archive).map_err(io)
}
