#!/usr/bin/env bash
# Benchmark: `assay verify` against the same policies as DuckDB SQL, on the same generated
# CSV, interleaved (assay, DuckDB, assay, DuckDB, ...) in one session. See README.md here.
#
# usage: benches/verify/run.sh [ROWS] [ROUNDS]      (default: 1000000 rows, 3 rounds)
# ROWS is both the plan's rows and the return's organisations.
# Needs python3 (DuckDB is installed into target/bench-venv from PyPI on first run).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
rounds=${2:-3}

cargo build --release --quiet
cargo build --release --quiet --example gen_plan --example gen_qipp
py=$(benches/duckdb-venv.sh)
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }

# The activities' classes come from the rules: the committed CSV must still match them.
if ! cmp -s <(benches/verify/activity_class.sh) benches/verify/activity_class.csv; then
  echo "benches/verify/activity_class.csv is out of date: run benches/verify/activity_class.sh >benches/verify/activity_class.csv" >&2
  exit 1
fi

plan=target/bench-data/plan-$n
dq=target/bench-data/qipp-dirty-$n
[ -f "$plan/plan.csv" ] || target/release/examples/gen_plan --rows "$n" --out "$plan" 2>/dev/null
if [ ! -f "$dq/benchmark.csv" ]; then
  clean=target/bench-data/qipp-$n
  [ -f "$clean/benchmark.csv" ] || target/release/examples/gen_qipp --orgs "$n" --out "$clean" >/dev/null 2>&1
  mkdir -p "$dq"
  python3 benches/verify/dirty.py "$clean/benchmark.csv" "$dq/benchmark.csv"
fi

# Wall seconds and peak RSS (MB) from a `/usr/bin/time -v` report.
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; $("$py" -c 'import duckdb; print("duckdb", duckdb.__version__)'); assay $(target/release/assay --version | cut -d' ' -f2), commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%d)"
results=$(mktemp)
# The plan policies plan.sql writes in SQL: the grouped `co_operative_investment_whole` and
# the indexed `priority_areas_covered` are not in it yet (nor are priority areas in the
# generated plan), so the plan workload runs these nine.
plan_policies=strategic_in_house,operational_not_outsourced,transactional_candidates,co_operative_scale,co_operative_equitable_shares,co_operative_exit_costs,co_operative_new_partner_savings,align_before_sharing,partners_by_april_2011
for w in plan data_quality; do
  if [ $w = plan ]; then dir=$plan csv=$plan/plan.csv classes=benches/verify/activity_class.csv only=(--policy "$plan_policies"); else dir=$dq csv=$dq/benchmark.csv classes= only=(); fi
  cat "$csv" >/dev/null # both read it from the page cache
  for r in $(seq "$rounds"); do
    # Exit status 1 means an error policy is broken, which the data means to do.
    /usr/bin/time -v target/release/assay verify --data "$dir" "${only[@]}" --format csv --output "$dir/assay.csv" \
      >/dev/null 2>"$dir/assay.time" || [ $? = 1 ]
    /usr/bin/time -v "$py" benches/verify/verify_duckdb.py benches/verify/$w.sql "$csv" "$dir/duckdb.csv" $classes \
      2>"$dir/duckdb.time"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' $w "$r" "$(wall "$dir/assay.time")" "$(rss "$dir/assay.time")" \
      "$(wall "$dir/duckdb.time")" "$(rss "$dir/duckdb.time")" | tee -a "$results"
  done
  echo "== $w: violations per policy (last round)"
  "$py" benches/verify/compare.py "$dir/assay.csv" "$dir/duckdb.csv" || true
done
echo "== summary ($n rows, $rounds rounds; medians; MB is peak RSS, the largest of the rounds)"
python3 - "$results" "$n" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
n = int(sys.argv[2])
print(f"{'workload':<13} {'assay_s':>8} {'duckdb_s':>9} {'ratio':>6} {'assay_rows/s':>13} {'assay_MB':>9} {'duckdb_MB':>10}  rounds (assay/duckdb s)")
for w in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == w]
    a = statistics.median(float(r[2]) for r in rs)
    d = statistics.median(float(r[4]) for r in rs)
    each = " ".join(f"{float(r[2]):.2f}/{float(r[4]):.2f}" for r in rs)
    print(f"{w:<13} {a:>8.2f} {d:>9.2f} {a / d:>6.2f} {n / a:>13.0f} {max(int(r[3]) for r in rs):>9} {max(int(r[5]) for r in rs):>10}  {each}")
PY
rm -f "$results"
