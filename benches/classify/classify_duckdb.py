"""The DuckDB side of the classify benchmark: the same classification and aggregation as
`assay classify --table ledger_activity`, as one SQL query over the same CSV.

usage: python classify_duckdb.py LEDGER.csv OUT.csv [RULES_DIR] [--join] [--records]

The CASE expression is generated from the decision table in
`RULES_DIR/tables/ledger_activity.assay` (default `rules`), row by row in order, so it has
the table's `hit first` semantics: the first row whose cells all match gives the
activity and class; the activity's function comes from the `function` definitions.
Amounts are read as DECIMAL(18,2), so sums are exact like Assay's. The output has
Assay's CSV columns; the row order does not matter (compare.py sorts).

With `--join` (for the large generated charts of gen_chart.py, where a CASE of thousands of
branches tests every line against every row), the table becomes a table of rows and each
line finds its candidate rows by joins an analyst would write: equality on exact cost
centres, equality on the first L characters for each length L of the `starts` prefixes, a
range join on the account, patterns tried against the lines; the candidates are then checked
against the rest of their row's cells and the first (lowest) row kept, as `hit first` does.

With `--records` (beside `assay classify --records`), every line is written instead of the
aggregates: organisation, year, cost centre, account, amount, classified, function,
activity, class, in the order DuckDB gives them.
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


def table_lines(rules):
    """The table's header cells and its rows' lines."""
    text = (rules / "tables" / "ledger_activity.assay").read_text()
    body = text[text.index("classify ledger_activity"):]
    rows = [l.strip() for l in body.splitlines() if l.strip().startswith("|")]
    return cells(rows[0]), rows[1:]


def table_case(rules):
    header, rows = table_lines(rules)
    whens = []
    for row in rows:
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


def table_rows(rules):
    """The table's rows as (row, cc kind, cc value, account lo, hi, amount op, amount, activity, class)."""
    header, rows = table_lines(rules)
    out = []
    for n, row in enumerate(rows):
        c = dict(zip(header, cells(row)))
        cc, account, amount = c["cost_centre"], c["account"], c["amount"]
        if cc == "*":
            kind, value = "any", None
        elif m := re.fullmatch(r'starts "(.*)"', cc):
            kind, value = "starts", m[1]
        elif m := re.fullmatch(r'matches "(.*)"', cc):
            kind, value = "regex", m[1]
        elif m := re.fullmatch(r'"(.*)"', cc):
            kind, value = "exact", m[1]
        else:
            raise SystemExit(f"cell not understood in --join: {cc}")
        lo = hi = None
        if m := re.fullmatch(r'"(.*)"\.\."(.*)"', account):
            lo, hi = m[1], m[2]
        elif account != "*":
            raise SystemExit(f"cell not understood in --join: {account}")
        op = value_amount = None
        if m := re.fullmatch(r"(<=|>=|<|>)\s*£?(-?[0-9.]+)", amount):
            op, value_amount = m[1], m[2]
        elif amount != "*":
            raise SystemExit(f"cell not understood in --join: {amount}")
        out.append((n, kind, value, lo, hi, op, value_amount, c["=> activity"], c["=> class"]))
    return out


def join_sql(con, rows):
    """Load the rows into a table and give the query of each line's first matching row."""
    con.execute("""CREATE TEMP TABLE chart (n INTEGER, kind VARCHAR, cc VARCHAR, lo VARCHAR, hi VARCHAR,
                   op VARCHAR, amount DECIMAL(18,2), activity VARCHAR, class VARCHAR)""")
    con.executemany("INSERT INTO chart VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    lengths = sorted({len(r[2]) for r in rows if r[1] == "starts"})
    # Each row is found through its most selective cell: the account range where it has
    # one, else its cost centre; the other cells are checked after.
    anchors = ["SELECT l.id, c.n FROM lines l JOIN (SELECT * FROM chart WHERE lo IS NOT NULL) c "
               "ON l.account BETWEEN c.lo AND c.hi"]
    anchors.append("SELECT l.id, c.n FROM lines l JOIN (SELECT * FROM chart WHERE kind = 'exact' AND lo IS NULL) c "
                   "ON l.cc = c.cc")
    anchors += [f"SELECT l.id, c.n FROM lines l JOIN (SELECT * FROM chart WHERE kind = 'starts' AND lo IS NULL "
                f"AND length(cc) = {n}) c ON left(l.cc, {n}) = c.cc" for n in lengths]
    anchors.append("SELECT l.id, c.n FROM lines l JOIN (SELECT * FROM chart WHERE kind = 'any' AND lo IS NULL) c ON TRUE")
    anchors.append("SELECT l.id, c.n FROM lines l JOIN (SELECT * FROM chart WHERE kind = 'regex' AND lo IS NULL) c "
                   "ON regexp_matches(l.cc, c.cc)")
    cc_ok = ("(c.kind = 'any' OR (c.kind = 'exact' AND l.cc = c.cc) OR (c.kind = 'starts' AND starts_with(l.cc, c.cc))"
             " OR (c.kind = 'regex' AND regexp_matches(l.cc, c.cc)))")
    amount_ok = " OR ".join(f"(c.op = '{op}' AND l.amount {op} c.amount)" for op in ("<", "<=", ">", ">="))
    return f"""
      candidates AS ({" UNION ALL ".join(anchors)}),
      first AS (
        SELECT cand.id, min(cand.n) AS n FROM candidates cand
        JOIN lines l ON l.id = cand.id JOIN chart c ON c.n = cand.n
        WHERE {cc_ok} AND (c.lo IS NULL OR l.account BETWEEN c.lo AND c.hi) AND (c.op IS NULL OR {amount_ok})
        GROUP BY cand.id
      ),
      classified AS (
        SELECT l.organisation, l.year, l.cc, l.account, c.activity, c.class, l.amount
        FROM lines l LEFT JOIN first f ON f.id = l.id LEFT JOIN chart c ON c.n = f.n
      )"""


def main():
    join = "--join" in sys.argv
    records = "--records" in sys.argv
    args = [a for a in sys.argv[1:] if a not in ("--join", "--records")]
    ledger, out = args[0], args[1]
    rules = pathlib.Path(args[2] if len(args) > 2 else "rules")
    fmap = ", ".join(f"({quote(a)}, {quote(f)})" for a, f in functions(rules).items())
    con = duckdb.connect()
    read = f"""read_csv({quote(ledger)}, header = true, quote = '"', escape = '"',
                      columns = {{'Organisation': 'VARCHAR', 'Year': 'VARCHAR', 'Cost centre': 'VARCHAR',
                                 'Account': 'VARCHAR', 'Amount': 'DECIMAL(18,2)', 'Description': 'VARCHAR'}})"""
    if join:
        con.execute(f"""CREATE TEMP TABLE lines AS
            SELECT row_number() OVER () AS id, "Organisation" AS organisation, "Year" AS year,
                   trim("Cost centre") AS cc, trim("Account") AS account, "Amount" AS amount FROM {read}""")
        classified = join_sql(con, table_rows(rules)).strip()
    else:
        activity, klass = table_case(rules)
        classified = f"""lines AS (
            SELECT "Organisation" AS organisation, "Year" AS year, trim("Cost centre") AS cc,
                   trim("Account") AS account, "Amount" AS amount
            FROM {read}
          ),
          classified AS (SELECT organisation, year, cc, account, {activity} AS activity, {klass} AS class, amount
                         FROM lines)"""
    if records:
        con.execute(f"""
        COPY (
          WITH {classified},
          fmap(activity, function) AS (VALUES {fmap})
          SELECT organisation, year, cc AS cost_centre, account, amount, activity IS NOT NULL AS classified,
                 function, activity, class
          FROM classified LEFT JOIN fmap USING (activity)
        ) TO {quote(out)} (HEADER, DELIMITER ',')
        """)
        return
    con.execute(f"""
    COPY (
      WITH {classified},
      fmap(activity, function) AS (VALUES {fmap})
      SELECT organisation, year, activity IS NOT NULL AS classified, function, activity, class,
             sum(amount) AS amount, count(*) AS records
      FROM classified LEFT JOIN fmap USING (activity)
      GROUP BY ALL
    ) TO {quote(out)} (HEADER, DELIMITER ',')
    """)

if __name__ == "__main__":
    main()
