#!/usr/bin/env bash
# Benchmark: `assay classify` with a chart of accounts the size of a real one against the
# same classification in DuckDB, on a ledger whose cost centres are nearly all distinct
# (benches/classify/gen_chart.py), interleaved (assay, DuckDB, assay, ...) in one session.
# DuckDB runs the table both as one CASE and as joins (classify_duckdb.py --join); its
# faster time is the one compared. See README.md here.
#
# usage: benches/classify/chart.sh [LINES [TABLE_ROWS...]]   (default: 10000000 100 1000 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-10000000}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)

cargo build --release --quiet
py=$(benches/duckdb-venv.sh)
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

dir=target/bench-data/chart-$lines
for rows in "${sizes[@]}"; do python3 benches/classify/gen_chart.py "$rows" "$lines" "$dir"; done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; $("$py" -c 'import duckdb; print("duckdb", duckdb.__version__)'); assay commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%d)"
cat "$dir/ledger.csv" >/dev/null
printf '%-10s %10s %9s %8s %8s %7s %9s %10s  %s\n' lines table_rows assay_s case_s join_s ratio assay_MB duckdb_MB aggregates
for rows in "${sizes[@]}"; do
  /usr/bin/time -v target/release/assay classify --rules "$dir/rules-$rows" --table ledger_activity \
    --data "$dir/ledger.csv" --output "$dir/assay.csv" 2>"$dir/assay.time" >/dev/null
  /usr/bin/time -v "$py" benches/classify/classify_duckdb.py "$dir/ledger.csv" "$dir/case.csv" "$dir/rules-$rows" \
    2>"$dir/case.time"
  /usr/bin/time -v "$py" benches/classify/classify_duckdb.py "$dir/ledger.csv" "$dir/join.csv" "$dir/rules-$rows" --join \
    2>"$dir/join.time"
  a=$(wall "$dir/assay.time"); c=$(wall "$dir/case.time"); j=$(wall "$dir/join.time")
  best=$(echo "if ($c < $j) $c else $j" | bc -l)
  check="$("$py" benches/classify/compare.py "$dir/assay.csv" "$dir/case.csv" || true); join: $("$py" benches/classify/compare.py "$dir/assay.csv" "$dir/join.csv" || true)"
  printf '%-10s %10s %9.2f %8.2f %8.2f %7.2f %9s %10s  %s\n' "$lines" "$rows" "$a" "$c" "$j" "$(echo "$a / $best" | bc -l)" \
    "$(rss "$dir/assay.time")" "$(( $(rss "$dir/case.time") > $(rss "$dir/join.time") ? $(rss "$dir/case.time") : $(rss "$dir/join.time") ))" "$check"
done
