//! Build script: records the target triple for `--version`, and on Windows embeds the version
//! information, the icon and the application manifest as resources.

use std::path::Path;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown-target".to_owned());
    println!("cargo:rustc-env=AUTODBAUDIT_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        embed_windows_resources();
    }
}

/// Writes a resource script with the crate's version and compiles it with the target's
/// resource compiler (windres from mingw-w64 when cross-compiling).
fn embed_windows_resources() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let assets = Path::new(&manifest_dir).join("assets");
    let icon = assets.join("autodbaudit.ico");
    let manifest = assets.join("autodbaudit.exe.manifest");
    println!("cargo:rerun-if-changed={}", icon.display());
    println!("cargo:rerun-if-changed={}", manifest.display());

    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let numbers: Vec<u16> = version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.parse().unwrap_or(0))
        .chain(std::iter::repeat(0))
        .take(4)
        .collect();
    let comma = numbers
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rc_path = |p: &Path| p.display().to_string().replace('\\', "/");
    let script = format!(
        r#"1 ICON "{icon}"
1 24 "{manifest}"
1 VERSIONINFO
FILEVERSION {comma}
PRODUCTVERSION {comma}
FILEFLAGSMASK 0x3F
FILEFLAGS 0x0
FILEOS 0x40004
FILETYPE 0x1
FILESUBTYPE 0x0
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "AutoDBAudit"
      VALUE "FileDescription", "AutoDBAudit - SQL Server security audit"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "autodbaudit"
      VALUE "LegalCopyright", "AutoDBAudit developers"
      VALUE "OriginalFilename", "AutoDBAudit.exe"
      VALUE "ProductName", "AutoDBAudit"
      VALUE "ProductVersion", "{version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#,
        icon = rc_path(&icon),
        manifest = rc_path(&manifest),
    );
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("autodbaudit.rc");
    std::fs::write(&out, script).expect("OUT_DIR is writable");
    embed_resource::compile(&out, embed_resource::NONE)
        .manifest_required()
        .expect("the Windows resource compiler (x86_64-w64-mingw32-windres) must be installed");
}
