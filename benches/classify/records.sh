#!/usr/bin/env bash
# Benchmark: `assay classify --records` (every ledger line written as classified) against
# the same per-line classification as DuckDB SQL writing a CSV, on the same generated
# ledger, interleaved (assay, DuckDB, assay, DuckDB, ...). See benches/classify/README.md.
#
# usage: benches/classify/records.sh [ROUNDS [ROWS...]]      (default: 3 rounds of 10000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000000)
cargo build --release --quiet
cargo build --release --quiet --example gen_ledger
benches/duckdb-venv.sh >/dev/null
venv=target/bench-venv
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
echo "machine: $(nproc) cores; $("$venv/bin/python" -c 'import duckdb; print("duckdb", duckdb.__version__)'); assay commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%d)"
printf '%-10s %5s %9s %9s %7s %9s %10s %9s %9s  %s\n' rows round assay_s duckdb_s ratio assay_peak duckdb_peak assay_out duckdb_out lines
for n in "${sizes[@]}"; do
  dir=target/bench-data/ledger-$n
  [ -f "$dir/ledger.csv" ] || target/release/examples/gen_ledger --rows "$n" --orgs $(( n / 20000 + 8 )) --out "$dir" >/dev/null
  cat "$dir/ledger.csv" >/dev/null
  for r in $(seq "$rounds"); do
    rm -f "$dir/records-assay.csv" "$dir/records-duckdb.csv"
    /usr/bin/time -v target/release/assay classify --table ledger_activity --data "$dir/ledger.csv" \
      --output "$dir/assay.csv" --records "$dir/records-assay.csv" 2>"$dir/records-assay.time"
    /usr/bin/time -v "$venv/bin/python" benches/classify/classify_duckdb.py "$dir/ledger.csv" \
      "$dir/records-duckdb.csv" rules --records 2>"$dir/records-duckdb.time"
    a=$(wall "$dir/records-assay.time"); d=$(wall "$dir/records-duckdb.time")
    am=$(( $(stat -c %s "$dir/records-assay.csv") / 1000000 )); dm=$(( $(stat -c %s "$dir/records-duckdb.csv") / 1000000 ))
    lines="$(( $(wc -l < "$dir/records-assay.csv") - 1 )) / $(( $(wc -l < "$dir/records-duckdb.csv") - 1 ))"
    printf '%-10s %5s %9.2f %9.2f %7.2f %9s %10s %9s %9s  %s\n' "$n" "$r" "$a" "$d" "$(echo "$a / $d" | bc -l)" \
      "$(rss "$dir/records-assay.time")" "$(rss "$dir/records-duckdb.time")" "${am}MB" "${dm}MB" "$lines"
  done
  rm -f "$dir/records-assay.csv" "$dir/records-duckdb.csv"
done
