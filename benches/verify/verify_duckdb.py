"""Run the policies of a benches/verify/*.sql file in DuckDB and write the rows that do not
pass, policy by policy, to one CSV (policy,severity,status,period,entity).

usage: python verify_duckdb.py SQL DATA.csv OUT.csv [CLASSES.csv]

The SQL file has a `-- setup` part (statements run first) and then one `-- policy: NAME`
query per policy; {data} and {classes} are replaced by the paths given.
"""
import sys

import duckdb

sql_path, data, out = sys.argv[1:4]
classes = sys.argv[4] if len(sys.argv) > 4 else ""
text = open(sql_path).read().replace("{data}", data).replace("{classes}", classes)
setup, *policies = text.split("\n-- policy: ")
con = duckdb.connect()
con.execute(setup.split("-- setup", 1)[1])
queries = [p.split("\n", 1)[1].strip().rstrip(";") for p in policies]
union = "\nUNION ALL\n".join(f"SELECT * FROM ({q})" for q in queries)
con.execute(f"COPY ({union}) TO '{out}' (HEADER, DELIMITER ',')")
