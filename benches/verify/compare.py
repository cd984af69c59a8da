"""Compare the rows `assay verify --format csv` reports with those DuckDB's queries return:
per policy, the failed and undecided counts of each, and whether the two name the same rows
(the multiset of status, period and entity). Prints a table; exits 1 on any disagreement.

usage: python compare.py ASSAY.csv DUCKDB.csv
"""
import csv
import sys
from collections import Counter


def read(path):
    rows = Counter()
    order = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            p = r["policy"]
            if p not in order:
                order.append(p)
            rows[(p, r["status"], r["period"], r["entity"])] += 1
    return rows, order


assay, order_a = read(sys.argv[1])
duck, order_d = read(sys.argv[2])
policies = order_a + [p for p in order_d if p not in order_a]
ok = True
print(f"{'policy':<45} {'assay failed':>12} {'duckdb failed':>13} {'assay undecided':>15} {'duckdb undecided':>16}  same rows")
for p in policies:
    def count(rows, status):
        return sum(n for (q, s, _, _), n in rows.items() if q == p and s == status)

    a = {k: n for k, n in assay.items() if k[0] == p}
    d = {k: n for k, n in duck.items() if k[0] == p}
    same = a == d
    ok &= same
    print(f"{p:<45} {count(assay, 'failed'):>12} {count(duck, 'failed'):>13} "
          f"{count(assay, 'undecided'):>15} {count(duck, 'undecided'):>16}  {'yes' if same else 'NO'}")
print("all policies agree" if ok else "DISAGREEMENT: see the rows marked NO")
sys.exit(0 if ok else 1)
