#!/usr/bin/env bash
# Builds the baseline BENCHMARKS.md compares against: how the earlier Python tool shipped — a
# PyInstaller one-file executable of a minimal program that imports the Python tool's
# dependency set (pyodbc, openpyxl, jinja2, typer, pydantic, cryptography).
#
# Usage: bash bench/pyinstaller-baseline.sh [OUT_DIR]     (default: target/pyinstaller)
# Then:  cargo xtask bench --baseline target/pyinstaller/dist/baseline
# Needs python3 with venv and pip, and PyPI. pyodbc's wheel needs unixODBC's libodbc at run time
# (Debian package unixodbc), which this script installs with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/pyinstaller}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if ! ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2' && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unixodbc >/dev/null
fi

python3 -m venv "$out/venv"
"$out/venv/bin/pip" install -q --disable-pip-version-check \
  pyinstaller pyodbc openpyxl jinja2 typer pydantic cryptography

cat > "$out/baseline.py" <<'PY'
"""Minimal stand-in for the Python AutoDBAudit: imports its dependency set and prints a version."""
import cryptography.fernet  # noqa: F401  (credential encryption)
import jinja2  # noqa: F401  (remediation templates)
import openpyxl  # noqa: F401  (workbook)
import pydantic  # noqa: F401  (config models)
import pyodbc  # noqa: F401  (SQL Server access)
import typer

app = typer.Typer()


@app.command()
def main(version: bool = typer.Option(False, "--version")) -> None:
    if version:
        print("baseline 0.0.0 (pyinstaller)")


if __name__ == "__main__":
    app()
PY

cd "$out"
"$out/venv/bin/pyinstaller" --onefile --noconfirm --clean --log-level WARN --name baseline baseline.py
ls -l "$out/dist/baseline"
"$out/dist/baseline" --version
