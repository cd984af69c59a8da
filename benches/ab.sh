#!/usr/bin/env bash
# Time two builds of assay on the same command, run in alternation (A, B, A, B, ...) so
# that both see the same stretch of a machine whose speed drifts by a third within
# minutes; prints each build's median, fastest and slowest wall time, and B/A.
#
# usage: benches/ab.sh OLD_BINARY NEW_BINARY RUNS ARGS...
#   e.g. benches/ab.sh /tmp/assay-old target/release/assay 11 eval --rules benches/eval/rules \
#          --data target/bench-data/qipp-1000000 --methodology national_average \
#          --select national_average --format csv --output /tmp/out.csv
# Standard output of each run is discarded; set AB_SAME=1 to first check that both builds
# print the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 4 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
old=$1 new=$2 runs=$3
shift 3
if [ "${AB_SAME:-0}" = 1 ] && ! cmp -s <("$old" "$@") <("$new" "$@"); then
  echo "the two builds print different output" >&2
  exit 1
fi
python3 - "$runs" "$old" "$new" "$@" <<'PY'
import statistics, subprocess, sys, time

runs, binaries, args = int(sys.argv[1]), sys.argv[2:4], sys.argv[4:]
walls = {b: [] for b in binaries}
for _ in range(runs):
    for b in binaries:
        t = time.perf_counter()
        subprocess.run([b, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls[b].append(time.perf_counter() - t)
for name, b in zip(("A", "B"), binaries):
    w = walls[b]
    print(f"{name} {b}: median {statistics.median(w):.3f} s, fastest {min(w):.3f}, slowest {max(w):.3f} ({len(w)} runs)")
a, b = (statistics.median(walls[x]) for x in binaries)
print(f"B/A median ratio: {b / a:.3f}")
PY
