#!/usr/bin/env bash
# Benchmark: `assay explain` of one figure over the eval benchmark's generated data (see
# benches/explain/README.md). The figure is `saving[finance]` of SA000001, an acute trust:
# its peer group is the largest type, about 232,000 organisations at 1,000,000.
#
# usage: benches/explain/run.sh [ORGANISATIONS] [RUNS]      (default: 1000000 21)
# Needs python3 (for the timing loop only).
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-1000000}
runs=${2:-21}

cargo build --release --quiet
cargo build --release --quiet --example gen_qipp
dir=target/bench-data/qipp-$n
if [ ! -f "$dir/benchmark.csv" ]; then
  target/release/examples/gen_qipp --orgs "$n" --out "$dir" >/dev/null
fi
# A cache of its own, so the benchmark neither reads nor fills the user's.
export ASSAY_CACHE="$PWD/target/bench-cache"
args=(explain 'saving[finance]' --rules benches/eval/rules --data "$dir" --methodology national_average --entity SA000001)

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; assay $(target/release/assay --version | cut -d' ' -f2); $n organisations"
# The first explanation parses the CSV and writes the cache; the timed ones read it, as
# an auditor's questions after the first do.
start=$(date +%s.%N)
target/release/assay "${args[@]}" >/dev/null
echo "first run (parse and cache): $(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.2f') s"
python3 - "$runs" target/release/assay "${args[@]}" <<'PY'
import resource, statistics, subprocess, sys, time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
walls = []
for _ in range(runs):
    t = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    walls.append(time.perf_counter() - t)
    if done.returncode != 0:
        sys.exit(f"explain failed: {done.stderr.decode()}")
walls.sort()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
ms = lambda s: f"{s * 1000:.1f}"
print(f"{runs} runs from the cache: median {ms(statistics.median(walls))} ms, "
      f"fastest {ms(walls[0])}, slowest {ms(walls[-1])}, runs under 100 ms: "
      f"{sum(w < 0.1 for w in walls)} of {runs}; peak memory {peak:.0f} MB")
PY
