"""Compare Assay's and DuckDB's classify aggregates row by row.

usage: python compare.py ASSAY.csv DUCKDB.csv
Prints "same (N rows)" when both have the same rows (entity, period, classified, outputs,
amount to the penny, record count), in any order; otherwise prints the first differences
and exits 1.
"""
import csv
import sys
from decimal import Decimal


def rows(path):
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["organisation"], r["year"], r["classified"].lower(), r["function"] or "", r["activity"] or "", r["class"] or "")
            out[key] = (Decimal(r["amount"]), int(r["records"]))
    return out


def main():
    a, d = rows(sys.argv[1]), rows(sys.argv[2])
    diffs = [k for k in sorted(set(a) | set(d)) if a.get(k) != d.get(k)]
    if diffs:
        for k in diffs[:10]:
            print("differ:", k, "assay", a.get(k), "duckdb", d.get(k))
        sys.exit(1)
    print(f"same ({len(a)} rows)")


if __name__ == "__main__":
    main()
