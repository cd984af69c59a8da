"""Check that Assay and DuckDB found the same national-average totals.

usage: python compare.py ASSAY.csv DUCKDB.csv
Prints "same" when every total by type and function, and the grand total, agree to a
relative 1e-9 (DuckDB computes in floating point, Assay in exact decimals); exits 1 and
prints the differences otherwise.
"""
import csv
import sys


def assay_totals(path):
    totals = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] != "total" or row["methodology"] != "national_average" or row["name"] != "saving":
                continue
            by = dict(p.split("=", 1) for p in row["index"].split(";") if p)
            if set(by) == {"org_type", "qipp_function"}:
                totals[(by["org_type"], by["qipp_function"])] = float(row["value"] or "nan")
            elif not by:
                totals[("", "")] = float(row["value"])
    return totals


def duckdb_totals(path, titles):
    totals = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (titles.get(row["Type"], row["Type"]), row["f"]) if row["Type"] else ("", "")
            totals[key] = float(row["saving"])
    return totals


TYPES = {
    "Acute trust": "acute",
    "Acute foundation trust": "acute_ft",
    "PCT – undifferentiated": "pct_undifferentiated",
    "PCT – commissioner": "pct_commissioner",
    "PCT – provider": "pct_provider",
    "Mental health trust": "mental_health",
    "Mental health foundation trust": "mental_health_ft",
    "Ambulance trust": "ambulance",
    "Community trust": "community",
}

a = assay_totals(sys.argv[1])
d = duckdb_totals(sys.argv[2], TYPES)
bad = [(k, a.get(k), d.get(k)) for k in sorted(set(a) | set(d)) if a.get(k) is None or d.get(k) is None or abs(a[k] - d[k]) > 1e-9 * max(1.0, abs(d[k]))]
if bad:
    for k, x, y in bad[:10]:
        print(f"differ {k}: assay {x} duckdb {y}")
    sys.exit(1)
print(f"same ({len(a)} totals)")
