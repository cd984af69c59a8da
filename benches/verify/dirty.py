"""Make a generated benchmarking return look like returns as they come in: a copy of
benchmark.csv with a few percent of organisations' cells blanked, zeroed or mistyped, so
that every data-quality policy of rules/data_quality.assay has rows to find (gen_qipp
writes clean returns: on its own it breaks only `payslip_cost_outlier`).

usage: python3 dirty.py IN.csv OUT.csv

Deterministic: which row gets which fault depends only on the row's number.
"""
import csv
import sys

FUNCTIONS = ["Finance", "HR", "IM&T", "Procurement", "Estates", "Payroll", "Governance and risk"]
NA = "Not Applicable"


def faults(i):
    """The faults of data row i (0-based): a list of (column, value-maker)."""
    h = (i * 2654435761 + 12345) % 2**32
    u = h % 1000
    f = FUNCTIONS[(h >> 10) % 7]
    if u < 8:  # FTE left blank where there is a cost
        return [(f"{f} FTE", lambda v: NA)]
    if u < 14:  # FTE written as zero
        return [(f"{f} FTE", lambda v: "0.00")]
    if u < 20:  # shared or outsourced cost above the function's cost (typed in pounds twice)
        return [(f"{f} shared or outsourced cost", None)]
    if u < 23:  # a negative shared cost (a credit typed in the wrong column)
        return [(f"{f} shared or outsourced cost", lambda v: "-" + v if v not in ("", NA, "0.00") else "-125.00")]
    if u < 27:  # the function's cost left blank while its shared part is filled in
        return [(f"{f} cost", lambda v: NA), (f"{f} shared or outsourced cost", lambda v: v if v != "0.00" else "10.00")]
    if u < 29:  # turnover not filled in (zero)
        return [("Turnover", lambda v: "0.00")]
    if u < 31:  # total pay not filled in (zero)
        return [("Total pay", lambda v: "0.00")]
    if u < 35:  # no payslips counted, but a payroll cost
        return [("Payslips", lambda v: "0")]
    return []


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, newline="") as fi, open(dst, "w", newline="") as fo:
        r = csv.reader(fi)
        w = csv.writer(fo, lineterminator="\n")
        header = next(r)
        w.writerow(header)
        col = {name: k for k, name in enumerate(header)}
        for i, row in enumerate(r):
            for name, make in faults(i):
                k = col[name]
                if make is None:  # shared cost = 10 x the function's cost, plus a pound
                    cost = row[col[name.replace(" shared or outsourced cost", " cost")]]
                    row[k] = f"{float(cost) * 10 + 1:.2f}" if cost not in ("", NA) else "1.00"
                else:
                    row[k] = make(row[k])
            w.writerow(row)


main()
