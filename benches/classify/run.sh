#!/usr/bin/env bash
# Benchmark: `assay classify` against the same classification and aggregation as one
# DuckDB SQL query, on the same generated ledger CSV, in the same session.
# See benches/classify/README.md.
#
# usage: benches/classify/run.sh [ROWS...]      (default: 1000000 10000000)
# Needs python3 (DuckDB is installed into target/bench-venv from PyPI on first run).
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)

cargo build --release --quiet
cargo build --release --quiet --example gen_ledger
benches/duckdb-venv.sh >/dev/null
venv=target/bench-venv

# Wall seconds and peak RSS (MB) from a `/usr/bin/time -v` report.
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; $("$venv/bin/python" -c 'import duckdb; print("duckdb", duckdb.__version__)'); assay $(target/release/assay --version | cut -d' ' -f2)"
printf '%-10s %8s %9s %9s %7s %12s %9s %10s  %s\n' rows csv_MB assay_s duckdb_s ratio rows_per_s assay_MB duckdb_MB aggregates
for n in "${sizes[@]}"; do
  dir=target/bench-data/ledger-$n
  if [ ! -f "$dir/ledger.csv" ]; then
    target/release/examples/gen_ledger --rows "$n" --orgs $(( n / 20000 + 8 )) --out "$dir" >/dev/null
  fi
  mb=$(( $(stat -c %s "$dir/ledger.csv") / 1000000 ))
  # Warm the page cache so both read the file from memory.
  cat "$dir/ledger.csv" >/dev/null
  /usr/bin/time -v target/release/assay classify --table ledger_activity --data "$dir/ledger.csv" \
    --output "$dir/assay.csv" 2>"$dir/assay.time"
  /usr/bin/time -v "$venv/bin/python" benches/classify/classify_duckdb.py "$dir/ledger.csv" "$dir/duckdb.csv" rules \
    2>"$dir/duckdb.time"
  a=$(wall "$dir/assay.time"); d=$(wall "$dir/duckdb.time")
  check=$("$venv/bin/python" benches/classify/compare.py "$dir/assay.csv" "$dir/duckdb.csv" || true)
  printf '%-10s %8s %9.2f %9.2f %7.2f %12.0f %9s %10s  %s\n' "$n" "$mb" "$a" "$d" "$(echo "$a / $d" | bc -l)" \
    "$(echo "$n / $a" | bc -l)" "$(rss "$dir/assay.time")" "$(rss "$dir/duckdb.time")" "$check"
done
