#!/usr/bin/env bash
# Makes sure target/bench-venv holds a Python with DuckDB (from PyPI), for the benchmarks
# against DuckDB and for the DuckDB differential test that .ci/run runs. Idempotent: a
# venv that already imports duckdb is left alone. Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-venv; } >&2
  python3 -m venv "$venv" >&2 || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv "$venv"; } >&2
  "$venv/bin/pip" install --quiet duckdb >&2
fi
echo "$PWD/$venv/bin/python"
