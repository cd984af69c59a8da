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
# Both must explain the figure identically; each also fills the cache it reads if needed.
if ! cmp -s <("$old" "${args[@]}") <("$new" "${args[@]}"); then
  echo "the two builds explain the figure differently" >&2
  exit 1
fi
python3 - "$runs" "$old" "$new" "${args[@]}" <<'PY'
import statistics, subprocess, sys, time

runs, binaries, args = int(sys.argv[1]), sys.argv[2:4], sys.argv[4:]
walls = {b: [] for b in binaries}
for _ in range(runs):
    for b in binaries:
        t = time.perf_counter()
        subprocess.run([b, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls[b].append((time.perf_counter() - t) * 1000)
for b in binaries:
    w = sorted(walls[b])
    print(f"{b}: median {statistics.median(w):.1f} ms, fastest {w[0]:.1f}, slowest {w[-1]:.1f} ({runs} runs)")
PY
