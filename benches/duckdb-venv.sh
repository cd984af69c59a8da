#!/usr/bin/env bash
# Makes sure target/bench-venv holds a Python with DuckDB (from PyPI), for the benchmarks
# against DuckDB and for the DuckDB differential test that .ci/run runs, and with jsonschema
# (and the two packages it checks `uri` and `date-time` formats with) and lxml, from PyPI, for
# the test that validates `assay verify`'s SARIF and JUnit output against their schemas
# (tests/verify_schemas.rs), and with playwright, from PyPI, which drives Debian's Chromium
# (benches/chromium.sh installs it) for the browser test of report pages (tests/browser.rs):
# `playwright install` is never run, since it downloads a browser from outside the registries.
# Idempotent: a venv that already imports them all is left alone, and one that lacks some gets
# only what is missing. Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
packages=(duckdb jsonschema lxml rfc3986-validator rfc3339-validator playwright)
imports=duckdb,jsonschema,lxml,rfc3986_validator,rfc3339_validator,playwright.sync_api
mkdir -p target
# Tests run in parallel: one venv is made at a time, the others wait for it.
exec 9>target/bench-venv.lock
flock 9
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
  command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-venv; } >&2
  if [ ! -x "$venv/bin/pip" ]; then
    python3 -m venv "$venv" >&2 || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv "$venv"; } >&2
  fi
  "$venv/bin/pip" install --quiet "${packages[@]}" >&2
  "$venv/bin/python" -c "import $imports" >&2
fi
echo "$PWD/$venv/bin/python"
