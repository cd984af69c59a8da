#!/usr/bin/env bash
# Benchmark: rule files with one huge formula, to show that parsing, checking, formatting
# and evaluating stay linear in the rule text (issue #23). For each size it generates two
# rule trees (under target/bench-data/huge-rules/):
#   same    `kpi total = a + b + a + b + ...`, N terms over two dataset fields;
#   params  N parameters `param p17 : GBP = 17` and `kpi total = p0 + p1 + ... ` over all
#           of them (a generated mapping: N definitions and N distinct references);
# then times, with the release build, `check`, `fmt --check` and `eval --select total`
# (whole commands, and with ASSAY_TIMINGS their parse, check, format and evaluate
# phases), and prints each one's time per term in microseconds. Linear work keeps time per term flat as N grows; the last
# column is the largest size's time per term over the smallest's (about 1 when linear,
# 10 when quadratic from 20k to 200k).
#
# usage: benches/huge-rules.sh [SIZES...]        (default: 20000 60000 200000)
# Needs python3 (to generate the files and read the timings).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20000 60000 200000)

cargo build --release --quiet
bin=$PWD/target/release/assay
out=target/bench-data/huge-rules
mkdir -p "$out"

python3 - "$bin" "$out" "${sizes[@]}" <<'PY'
import os, re, subprocess, sys, time

binary, out, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
ROWS = [(f"E{i}", i + 1, 2 * i + 1) for i in range(5)]

def write(folder, rules):
    os.makedirs(f"{folder}/rules", exist_ok=True)
    os.makedirs(f"{folder}/data", exist_ok=True)
    with open(f"{folder}/data/t.csv", "w") as f:
        f.write("Code,Year,A,B\n" + "".join(f"{c},2020,{a},{b}\n" for c, a, b in ROWS))
    with open(f"{folder}/rules/huge.assay", "w") as f:
        f.write(rules)

# The files are written as `assay fmt` writes them, so that `fmt --check` finds nothing
# to change (and exits 0) after formatting every line.
HEAD = ('unit GBP "pound sterling"\n\n'
        'dataset t "T" {\n  file "t.csv"\n  entity org key "Code"\n  period year from "Year"\n'
        '  field a : GBP from "A"\n  field b : GBP from "B"\n}\n\n')

def total(terms):
    # Twenty terms a line, as a generator that wraps its output would write them.
    lines = [" + ".join(terms[i:i + 20]) for i in range(0, len(terms), 20)]
    return 'kpi total "Total" : GBP =\n  ' + "\n    + ".join(lines) + "\n"

def same(n):
    return HEAD + total(["a" if i % 2 == 0 else "b" for i in range(n)])

def params(n):
    defs = "".join(f"param p{i} : GBP = {i}\n" for i in range(n))
    return HEAD + defs + "\n" + total([f"p{i}" for i in range(n)])

def phases(cmd):
    env = dict(os.environ, ASSAY_TIMINGS="1")
    t = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()[-2000:]}")
    laps = dict(re.findall(r"timing: ([^:]+): ([0-9.]+) s", done.stderr.decode()))
    return wall, {k: float(v) for k, v in laps.items()}

rows = {}
for shape, make in (("same", same), ("params", params)):
    for n in sizes:
        folder = f"{out}/{shape}-{n}"
        write(folder, make(n))
        rules, data = f"{folder}/rules", f"{folder}/data"
        wall_check, check = phases([binary, "check", rules])
        wall_fmt, fmt = phases([binary, "fmt", "--check", rules])
        wall_eval, ev = phases([binary, "eval", "--rules", rules, "--data", data, "--select", "total"])
        nan = float("nan")
        rows[(shape, n)] = {
            "parse": check.get("read and parse rules", nan),
            "check": check.get("check rules", nan),
            "format": fmt.get("format", nan),
            "evaluate": ev.get("evaluate", nan),
            "check (wall)": wall_check,
            "fmt (wall)": wall_fmt,
            "eval (wall)": wall_eval,
        }

print(f"machine: {os.cpu_count()} cores; {subprocess.run([binary, '--version'], capture_output=True, text=True).stdout.strip()}")
print("time per term in microseconds (wall clock includes starting the process)\n")
cols = list(next(iter(rows.values())).keys())
print(f"{'shape':8} {'terms':>8}  " + "  ".join(f"{c:>13}" for c in cols))
for (shape, n), r in rows.items():
    print(f"{shape:8} {n:>8}  " + "  ".join(f"{r[c] / n * 1e6:>13.2f}" for c in cols))
lo, hi = min(sizes), max(sizes)
if lo != hi:
    print(f"\nratio of time per term, {hi} terms over {lo}:")
    for shape in ("same", "params"):
        a, b = rows[(shape, lo)], rows[(shape, hi)]
        print(f"{shape:8} " + "  ".join(f"{c} {(b[c] / hi) / (a[c] / lo):.2f}" for c in cols))
PY
