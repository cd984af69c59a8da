#!/usr/bin/env bash
# Compare two builds of `assay explain` on the benchmark's figure, run in alternation so
# both see the same stretch of a machine whose speed drifts (see benches/explain/README.md).
#
# usage: benches/explain/ab.sh OLD_BINARY NEW_BINARY [ORGANISATIONS] [RUNS]   (default: 1000000 21)
# Copy a build aside first (cp target/release/assay /tmp/assay-old), then change and rebuild.
# The data must exist: benches/explain/run.sh makes it. Needs python3 (the timing loop).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
old=$1
new=$2
n=${3:-1000000}
runs=${4:-21}
dir=target/bench-data/qipp-$n
if [ ! -f "$dir/benchmark.csv" ]; then
  echo "no data in $dir: run benches/explain/run.sh $n first" >&2
  exit 2
fi
export ASSAY_CACHE="$PWD/target/bench-cache"
args=(explain 'saving[finance]' --rules benches/eval/rules --data "$dir" --methodology national_average --entity SA000001)
# Both must explain the figure identically (as JSON: the value and its derivation, not the
# wording of hints); each also fills the cache it reads if needed.
if ! cmp -s <("$old" "${args[@]}" --format json) <("$new" "${args[@]}" --format json); then
  echo "the two builds explain the figure differently" >&2
  exit 1
fi
exec benches/ab.sh "$old" "$new" "$runs" "${args[@]}"
