"""The national-average computation of benches/eval/rules as one DuckDB SQL query.

Reads the same benchmark.csv as `assay eval`, computes every organisation's cost share per
function, the interquartile mean per organisation type and function (floor(n x 25%)
dropped from each end, ties by code), savings above it, scaled by 1 / return rate, and
writes the totals by type and function (and the grand total) as CSV.

usage: python national_average.py DATA_DIR OUT.csv [--exact]
  --exact reads money as DECIMAL(18,2) instead of DOUBLE (closer to Assay's arithmetic).
"""
import sys
import time

import duckdb

FUNCTIONS = [
    ("finance", "Finance"),
    ("human_resources", "HR"),
    ("information_technology", "IM&T"),
    ("procurement", "Procurement"),
    ("estates", "Estates"),
    ("payroll", "Payroll"),
    ("governance_and_risk", "Governance and risk"),
]
RATES = {
    "Acute trust": 0.87,
    "Acute foundation trust": 0.58,
    "PCT – undifferentiated": 0.92,
    "PCT – commissioner": 0.92,
    "PCT – provider": 0.92,
    "Mental health trust": 1.00,
    "Mental health foundation trust": 0.53,
    "Ambulance trust": 0.82,
    "Community trust": 1.00,
}


def query(data_dir: str, out: str, exact: bool) -> str:
    money = "DECIMAL(18,2)" if exact else "DOUBLE"
    types = {"Turnover": money, "Total pay": money}
    for _, title in FUNCTIONS:
        types[f"{title} cost"] = money
        types[f"{title} FTE"] = "DOUBLE"
    type_list = ", ".join(f"'{k}': '{v}'" for k, v in types.items())
    unions = "\nUNION ALL\n".join(
        f"SELECT Code, Type, Turnover, \"Total pay\" AS pay, '{name}' AS f, \"{title} cost\" AS cost, "
        f"\"{title} FTE\" AS fte FROM src"
        for name, title in FUNCTIONS
    )
    rates = ", ".join(f"('{t}', {r})" for t, r in RATES.items())
    return f"""
    COPY (
    WITH src AS (SELECT * FROM read_csv('{data_dir}/benchmark.csv', header = true, types = {{{type_list}}},
                                        nullstr = ['Not Applicable', ''], thousands = ',')),
    long AS ({unions}),
    kpis AS (SELECT *, cost / Turnover AS cost_share, cost / pay AS pay_share, cost / fte AS cost_per_fte FROM long),
    ranked AS (SELECT Type, f, cost_share,
                      row_number() OVER (PARTITION BY Type, f ORDER BY cost_share, Code) AS rn,
                      count(*) OVER (PARTITION BY Type, f) AS n
               FROM kpis WHERE cost_share IS NOT NULL),
    target AS (SELECT Type, f, avg(cost_share) AS target, any_value(n) AS n FROM ranked
               WHERE rn > floor(n * 0.25) AND rn <= n - floor(n * 0.25) GROUP BY Type, f),
    rates(Type, rate) AS (VALUES {rates}),
    savings AS (SELECT k.Type, k.f, greatest(0, k.cost_share - t.target) * k.Turnover / r.rate AS saving
                FROM kpis k JOIN target t USING (Type, f) JOIN rates r USING (Type) WHERE t.n >= 4)
    SELECT Type, f, sum(saving) AS saving FROM savings GROUP BY GROUPING SETS ((Type, f), ()) ORDER BY Type, f
    ) TO '{out}' (HEADER)
    """


def main() -> None:
    data_dir, out = sys.argv[1], sys.argv[2]
    exact = "--exact" in sys.argv
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(query(data_dir, out, exact))
    print(f"duckdb {duckdb.__version__}: {time.perf_counter() - start:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
