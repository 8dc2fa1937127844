//! Records the target triple so that `--version` can say which build this is.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown-target".to_owned());
    println!("cargo:rustc-env=AUTODBAUDIT_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
