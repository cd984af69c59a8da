#!/usr/bin/env bash
# Benchmark: `assay report --all` over the shipped 315-organisation example, and one
# organisation's page over 1,000,000 generated organisations (after a first run has filled
# explain's column cache). See README.md here for the targets and the last measurements.
#
# usage: benches/report/run.sh [ROUNDS]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
cargo build --release --quiet
cargo build --release --quiet --example gen_qipp
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
big=target/bench-data/qipp-1000000
[ -f "$big/benchmark.csv" ] || target/release/examples/gen_qipp --orgs 1000000 --out "$big" >/dev/null 2>&1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
echo "machine: $(nproc) cores; assay $(target/release/assay --version | cut -d' ' -f2), commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%d)"
# Fill explain's cache for the large file once (not timed).
target/release/assay report peer_to_peer --entity SA000001 --data "$big" --output "$out/warm.html" 2>/dev/null
printf 'round\tall_315_s\tall_MB\tone_of_1M_s\tone_MB\n'
for r in $(seq "$rounds"); do
  /usr/bin/time -v target/release/assay report --all --output "$out/all" 2>"$out/all.time" >/dev/null
  /usr/bin/time -v target/release/assay report peer_to_peer --entity SA000001 --data "$big" --output "$out/one.html" \
    2>"$out/one.time" >/dev/null
  printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$(wall "$out/all.time")" "$(rss "$out/all.time")" "$(wall "$out/one.time")" "$(rss "$out/one.time")"
done
echo "pages: $(find "$out/all" -name '*.html' | wc -l), $(du -sm "$out/all" | cut -f1) MB"
