#!/usr/bin/env bash
# Benchmark: `assay eval` against the same computation as one DuckDB SQL query, on the
# same generated CSV, in the same session. See benches/eval/README.md.
#
# usage: benches/eval/run.sh [ORGANISATIONS...]      (default: 100000 1000000)
# Needs python3 (DuckDB is installed into target/bench-venv from PyPI on first run).
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)

cargo build --release --quiet
cargo build --release --quiet --example gen_qipp
benches/duckdb-venv.sh >/dev/null
venv=target/bench-venv

# Wall seconds and peak RSS (MB) from a `/usr/bin/time -v` report.
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; $("$venv/bin/python" -c 'import duckdb; print("duckdb", duckdb.__version__)'); assay $(target/release/assay --version | cut -d' ' -f2)"
printf '%-10s %10s %10s %7s %12s %10s %10s  %s\n' organisations assay_s duckdb_s ratio rows_per_s assay_MB duckdb_MB totals
for n in "${sizes[@]}"; do
  dir=target/bench-data/qipp-$n
  if [ ! -f "$dir/benchmark.csv" ]; then
    target/release/examples/gen_qipp --orgs "$n" --out "$dir" >/dev/null
  fi
  # Warm the page cache so both read the file from memory.
  cat "$dir/benchmark.csv" >/dev/null
  /usr/bin/time -v target/release/assay eval --rules benches/eval/rules --data "$dir" \
    --methodology national_average --select national_average --format csv --output "$dir/assay.csv" 2>"$dir/assay.time"
  /usr/bin/time -v "$venv/bin/python" benches/eval/national_average.py "$dir" "$dir/duckdb.csv" 2>"$dir/duckdb.time"
  a=$(wall "$dir/assay.time"); d=$(wall "$dir/duckdb.time")
  check=$("$venv/bin/python" benches/eval/compare.py "$dir/assay.csv" "$dir/duckdb.csv")
  printf '%-10s %10.2f %10.2f %7.2f %12.0f %10s %10s  %s\n' "$n" "$a" "$d" "$(echo "$a / $d" | bc -l)" \
    "$(echo "$n / $a" | bc -l)" "$(rss "$dir/assay.time")" "$(rss "$dir/duckdb.time")" "$check"
done
