"""The DuckDB side of the classify benchmark: the same classification and aggregation as
`assay classify --table ledger_activity`, as one SQL query over the same CSV.

usage: python classify_duckdb.py LEDGER.csv OUT.csv [RULES_DIR]

The CASE expression is generated from the decision table in
`RULES_DIR/tables/ledger_activity.assay` (default `rules`), row by row in order, so it has
the table's `hit first` semantics: the first row whose cells all match gives the
activity and class; the activity's function comes from the `function` definitions.
Amounts are read as DECIMAL(18,2), so sums are exact like Assay's. The output has
Assay's CSV columns; the row order does not matter (compare.py sorts).
"""
import pathlib
import re
import sys

import duckdb

COLUMNS = {"cost_centre": "cc", "account": "account", "amount": "amount"}


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def cell_sql(column, cell):
    cell = cell.strip()
    if cell == "*":
        return None
    if m := re.fullmatch(r'starts "(.*)"', cell):
        return f"starts_with({column}, {quote(m[1])})"
    if m := re.fullmatch(r'matches "(.*)"', cell):
        return f"regexp_matches({column}, {quote(m[1])})"
    if m := re.fullmatch(r'"(.*)"\.\."(.*)"', cell):
        return f"({column} BETWEEN {quote(m[1])} AND {quote(m[2])})"
    if m := re.fullmatch(r"\{(.*)\}", cell):
        items = [quote(x.strip().strip('"')) for x in m[1].split(",")]
        return f"{column} IN ({', '.join(items)})"
    if m := re.fullmatch(r"(<=|>=|<|>)\s*£?(-?[0-9.]+)", cell):
        return f"{column} {m[1]} {m[2]}"
    if m := re.fullmatch(r'"(.*)"', cell):
        return f"{column} = {quote(m[1])}"
    raise SystemExit(f"cell not understood: {cell}")


def cells(row):
    """The cells of a table row, splitting on `|` outside quotes."""
    out, cur, inside = [], "", False
    for ch in row.strip()[1:]:
        if ch == '"':
            inside = not inside
        if ch == "|" and not inside:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out


def table_case(rules):
    text = (rules / "tables" / "ledger_activity.assay").read_text()
    body = text[text.index("classify ledger_activity"):]
    rows = [l.strip() for l in body.splitlines() if l.strip().startswith("|")]
    header = cells(rows[0])
    whens = []
    for row in rows[1:]:
        conds = []
        outs = []
        for name, cell in zip(header, cells(row)):
            if name.startswith("=>"):
                outs.append(cell)
            else:
                c = cell_sql(COLUMNS[name], cell)
                if c:
                    conds.append(c)
        whens.append((" AND ".join(conds) or "TRUE", outs[0], outs[1]))
    activity = "CASE " + " ".join(f"WHEN {c} THEN {quote(a)}" for c, a, _ in whens) + " END"
    klass = "CASE " + " ".join(f"WHEN {c} THEN {quote(k)}" for c, _, k in whens) + " END"
    return activity, klass


def functions(rules):
    out = {}
    for path in sorted((rules / "functions").glob("*.assay")):
        current = None
        for line in path.read_text().splitlines():
            if m := re.match(r"\s*function\s+(\w+)", line):
                current = m[1]
            elif (m := re.match(r"\s*activity\s+(\w+)", line)) and current:
                out[m[1]] = current
    return out


def main():
    ledger, out = sys.argv[1], sys.argv[2]
    rules = pathlib.Path(sys.argv[3] if len(sys.argv) > 3 else "rules")
    activity, klass = table_case(rules)
    fmap = ", ".join(f"({quote(a)}, {quote(f)})" for a, f in functions(rules).items())
    con = duckdb.connect()
    con.execute(f"""
    COPY (
      WITH lines AS (
        SELECT "Organisation" AS organisation, "Year" AS year, trim("Cost centre") AS cc,
               trim("Account") AS account, "Amount" AS amount
        FROM read_csv({quote(ledger)}, header = true, quote = '"', escape = '"',
                      columns = {{'Organisation': 'VARCHAR', 'Year': 'VARCHAR', 'Cost centre': 'VARCHAR',
                                 'Account': 'VARCHAR', 'Amount': 'DECIMAL(18,2)', 'Description': 'VARCHAR'}})
      ),
      classified AS (SELECT organisation, year, {activity} AS activity, {klass} AS class, amount FROM lines),
      fmap(activity, function) AS (VALUES {fmap})
      SELECT organisation, year, activity IS NOT NULL AS classified, function, activity, class,
             sum(amount) AS amount, count(*) AS records
      FROM classified LEFT JOIN fmap USING (activity)
      GROUP BY ALL
    ) TO {quote(out)} (HEADER, DELIMITER ',')
    """)


if __name__ == "__main__":
    main()
