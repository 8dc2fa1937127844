//! What the builds and tests need from outside cargo, and installing it: rustup targets, Debian
//! packages (apt-get) and Python modules (pip). One place, used by `dist`, `kit-test` and `test`,
//! so a fresh machine gets the same set-up whichever command runs first.
//!
//! Installing needs root (apt-get); elsewhere, or when asked not to install, the error names
//! exactly what to install.

use std::process::Command;

use crate::platform::Platform;
use crate::util::{self, Result};

/// A command on PATH and the Debian packages that provide it.
pub type Program = (&'static str, &'static [&'static str]);

/// A Python module (as imported) and the PyPI package that provides it.
pub type PythonModule = (&'static str, &'static str);

/// Everything one xtask command needs.
#[derive(Debug, Default, Clone)]
pub struct Needs {
    /// rustup targets (triples).
    pub targets: Vec<&'static str>,
    /// Commands and their Debian packages.
    pub programs: Vec<Program>,
    /// Python modules and their pip packages (python3 itself is then needed too).
    pub python: Vec<PythonModule>,
}

/// What building the kits for `platforms` needs: the Rust targets, the MinGW-w64 linker and
/// resource compiler for Windows, musl-gcc for the static Linux binary.
pub fn kits(platforms: &[Platform]) -> Needs {
    let mut needs = Needs::default();
    for &platform in platforms {
        needs.targets.push(platform.triple());
        match platform {
            Platform::Windows => needs.programs.extend([
                ("x86_64-w64-mingw32-gcc", &["gcc-mingw-w64-x86-64"][..]),
                (
                    "x86_64-w64-mingw32-windres",
                    &["binutils-mingw-w64-x86-64"][..],
                ),
            ]),
            Platform::Linux => needs.programs.push(("musl-gcc", &["musl-tools"])),
        }
    }
    needs
}

/// What the workspace tests need: the independent TDS clients the simulator's
/// interoperability tests drive (FreeTDS `tsql`; python-tds with pyOpenSSL for TLS and pyspnego
/// for NTLM; pyodbc over FreeTDS's ODBC driver; pymssql; tedious, which the tedious_node test
/// installs from npm with `npm ci` into a cache directory, so Node and npm), openpyxl (the sync tests type annotations with it, the workbook tests read with it),
/// LibreOffice (re-saves workbooks, as auditors without Excel do), and the export crate's
/// readers: jsonschema (validates SARIF against the OASIS schema), junitparser (reads JUnit
/// XML) and Chromium (opens, screenshots and prints the HTML report headless).
pub fn tests() -> Needs {
    Needs {
        targets: Vec::new(),
        programs: vec![
            ("tsql", &["freetds-bin"]),
            // unixODBC's isql stands for the ODBC stack; tdsodbc is FreeTDS's ODBC driver,
            // which pyodbc drives in mssql-sim's pyodbc_python tests.
            ("isql", &["unixodbc", "tdsodbc"]),
            ("soffice", &["libreoffice-calc"]),
            ("node", &["nodejs"]),
            ("npm", &["npm"]),
            ("chromium", &["chromium"]),
        ],
        python: vec![
            ("pytds", "python-tds"),
            ("OpenSSL", "pyOpenSSL"),
            ("spnego", "pyspnego"),
            ("pyodbc", "pyodbc"),
            ("pymssql", "pymssql"),
            ("openpyxl", "openpyxl"),
            ("jsonschema", "jsonschema"),
            ("junitparser", "junitparser"),
        ],
    }
}

/// Installs whatever of `needs` is missing (`install`), or fails naming it.
pub fn ensure(needs: &Needs, install: bool) -> Result<()> {
    let missing_targets = missing_targets(&needs.targets);
    let mut programs: Vec<Program> = needs.programs.clone();
    if !needs.python.is_empty() {
        programs.push(("python3", &["python3"]));
    }
    let mut packages: Vec<&str> = programs
        .iter()
        .filter(|(cmd, _)| !util::on_path(cmd))
        .flat_map(|(_, pkgs)| pkgs.iter().copied())
        .collect();
    packages.sort();
    packages.dedup();
    let python_missing = |needs: &Needs| -> Vec<PythonModule> {
        needs
            .python
            .iter()
            .copied()
            .filter(|(module, _)| !python_has(module))
            .collect()
    };
    let missing_python = python_missing(needs);
    if missing_targets.is_empty() && packages.is_empty() && missing_python.is_empty() {
        return Ok(());
    }
    let apt_usable = is_root() && util::on_path("apt-get");
    if !install || (!packages.is_empty() && !apt_usable) {
        let why = if !install {
            "installing was turned off (--no-install)".to_owned()
        } else if !util::on_path("apt-get") {
            "apt-get is not available here".to_owned()
        } else {
            "installing Debian packages needs root".to_owned()
        };
        return Err(format!(
            "missing tools, and {why}; install them, then run again:\n{}",
            instructions(&missing_targets, &packages, &missing_python)
        ));
    }
    if !missing_targets.is_empty() {
        util::run(
            Command::new("rustup")
                .args(["target", "add"])
                .args(&missing_targets),
        )?;
    }
    if !packages.is_empty() {
        apt_install(&packages)?;
    }
    for (module, package) in python_missing(needs) {
        pip_install(package)?;
        if !python_has(module) {
            return Err(format!(
                "`pip install {package}` succeeded but python3 still cannot import {module}"
            ));
        }
    }
    Ok(())
}

/// The commands that install what is missing, one per line.
fn instructions(targets: &[&str], packages: &[&str], python: &[PythonModule]) -> String {
    let mut lines = Vec::new();
    if !targets.is_empty() {
        lines.push(format!("  rustup target add {}", targets.join(" ")));
    }
    if !packages.is_empty() {
        lines.push(format!(
            "  sudo apt-get install --no-install-recommends {}",
            packages.join(" ")
        ));
    }
    if !python.is_empty() {
        let pkgs: Vec<&str> = python.iter().map(|(_, p)| *p).collect();
        lines.push(format!(
            "  python3 -m pip install {}   (add --break-system-packages where the system Python refuses, PEP 668)",
            pkgs.join(" ")
        ));
    }
    lines.join("\n")
}

/// The rustup targets of `wanted` that are not installed.
fn missing_targets(wanted: &[&'static str]) -> Vec<&'static str> {
    if wanted.is_empty() {
        return Vec::new();
    }
    let installed = util::stdout_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    wanted
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect()
}

/// `apt-get install` without recommends, non-interactive, after refreshing the lists.
fn apt_install(packages: &[&str]) -> Result<()> {
    util::run(Command::new("apt-get").args(["update", "-qq"]))?;
    util::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages),
    )
}

/// A plain pip install; where the system Python refuses it (PEP 668) with
/// --break-system-packages; where Python has no pip, Debian's pip first (root only).
fn pip_install(package: &str) -> Result<()> {
    let pip = |extra: &[&str]| {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(extra)
            .arg(package);
        eprintln!("xtask: $ {}", util::describe(&cmd));
        util::capture(&mut cmd)
    };
    let first = pip(&[])?;
    if first.status.success() {
        return Ok(());
    }
    let second = pip(&["--break-system-packages"])?;
    if second.status.success() {
        return Ok(());
    }
    let no_pip = String::from_utf8_lossy(&second.stderr).contains("No module named pip");
    if no_pip && is_root() && util::on_path("apt-get") {
        apt_install(&["python3-pip"])?;
        let third = pip(&["--break-system-packages"])?;
        if third.status.success() {
            return Ok(());
        }
        return Err(format!(
            "pip could not install {package}: {}",
            String::from_utf8_lossy(&third.stderr).trim()
        ));
    }
    Err(format!(
        "pip could not install {package}: {}",
        String::from_utf8_lossy(&second.stderr).trim()
    ))
}

/// Whether python3 imports `module`.
pub fn python_has(module: &str) -> bool {
    util::capture(Command::new("python3").args(["-c", &format!("import {module}")]))
        .is_ok_and(|o| o.status.success())
}

/// Whether we run as root (apt-get needs it); `id -u`, which every Unix has.
fn is_root() -> bool {
    util::stdout_of(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_the_windows_kit_needs_its_target_and_mingw() {
        let needs = kits(&[Platform::Windows]);
        assert_eq!(needs.targets, ["x86_64-pc-windows-gnu"]);
        let programs: Vec<&str> = needs.programs.iter().map(|(p, _)| *p).collect();
        assert!(programs.contains(&"x86_64-w64-mingw32-gcc"), "{programs:?}");
        let both = kits(&Platform::ALL);
        assert!(both.programs.iter().any(|(p, _)| *p == "musl-gcc"));
    }

    #[test]
    fn instructions_name_every_missing_piece() {
        let text = instructions(
            &["x86_64-pc-windows-gnu"],
            &["freetds-bin"],
            &[("pytds", "python-tds")],
        );
        assert!(
            text.contains("rustup target add x86_64-pc-windows-gnu"),
            "{text}"
        );
        assert!(text.contains("apt-get install --no-install-recommends freetds-bin"));
        assert!(text.contains("pip install python-tds"));
    }
}
