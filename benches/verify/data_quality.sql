-- The data-quality policies of rules/data_quality.assay over dataset `benchmark`, as
-- DuckDB SQL: one query per policy, each returning the organisations (per year) that do not
-- pass, with the columns of `assay verify --format csv` that identify them (policy,
-- severity, status, period, entity). verify_duckdb.py replaces {data}, runs the setup, then
-- writes the rows of every policy query, in order, to one CSV.
--
-- "Not Applicable" and blank cells are NULL, and SQL's three-valued AND/OR/NOT is the
-- engine's: a requirement that is NULL is `undecided`, FALSE is `failed`. Money is read as
-- DECIMAL (exact, as the engine's), after dropping thousands separators.

-- setup
-- A row's status from its requirement: NULL (a value it needs is missing) is undecided.
CREATE MACRO verdict(ok) AS CASE WHEN ok IS NULL THEN 'undecided' ELSE 'failed' END;
CREATE MACRO money(x) AS CAST(replace(x, ',', '') AS DECIMAL(18, 2));
CREATE TEMP TABLE benchmark AS
SELECT
  "Code" AS entity,
  "Year" AS period,
  money("Turnover") AS turnover,
  money("Total pay") AS total_pay,
  money("Finance cost") AS cost_finance,
  money("Finance FTE") AS fte_finance,
  money("Finance shared or outsourced cost") AS shared_cost_finance,
  money("HR cost") AS cost_human_resources,
  money("HR FTE") AS fte_human_resources,
  money("HR shared or outsourced cost") AS shared_cost_human_resources,
  money("IM&T cost") AS cost_information_technology,
  money("IM&T FTE") AS fte_information_technology,
  money("IM&T shared or outsourced cost") AS shared_cost_information_technology,
  money("Procurement cost") AS cost_procurement,
  money("Procurement FTE") AS fte_procurement,
  money("Procurement shared or outsourced cost") AS shared_cost_procurement,
  money("Estates cost") AS cost_estates,
  money("Estates FTE") AS fte_estates,
  money("Estates shared or outsourced cost") AS shared_cost_estates,
  money("Payroll cost") AS cost_payroll,
  money("Payroll FTE") AS fte_payroll,
  money("Payroll shared or outsourced cost") AS shared_cost_payroll,
  money("Governance and risk cost") AS cost_governance_and_risk,
  money("Governance and risk FTE") AS fte_governance_and_risk,
  money("Governance and risk shared or outsourced cost") AS shared_cost_governance_and_risk,
  CAST("Payslips" AS DECIMAL(18, 2)) AS payslips
FROM read_csv('{data}', header = true, all_varchar = true, nullstr = ['Not Applicable', '']);

-- cost_per_payslip (rules/kpis/finance.assay) is cost[payroll] / payslips, missing when
-- payslips is zero; mh_outlier_cost_per_payslip is £10 (rules/params/model_hospital.assay).
-- Compared as cost <= £10 x payslips (payslips are never negative), exact where DuckDB's
-- DECIMAL division would give a DOUBLE.
-- policy: payslip_cost_outlier
SELECT 'payslip_cost_outlier' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, payslips IS NULL OR CASE WHEN payslips = 0 THEN NULL ELSE cost_payroll <= 10 * payslips END AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: turnover_positive
SELECT 'turnover_positive' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, turnover > 0 AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: total_pay_positive
SELECT 'total_pay_positive' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, total_pay > 0 AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: finance_fte_with_cost
SELECT 'finance_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_finance IS NULL OR cost_finance <= 0 OR (fte_finance IS NOT NULL AND fte_finance > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: human_resources_fte_with_cost
SELECT 'human_resources_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_human_resources IS NULL OR cost_human_resources <= 0 OR (fte_human_resources IS NOT NULL AND fte_human_resources > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: information_technology_fte_with_cost
SELECT 'information_technology_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_information_technology IS NULL OR cost_information_technology <= 0 OR (fte_information_technology IS NOT NULL AND fte_information_technology > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: procurement_fte_with_cost
SELECT 'procurement_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_procurement IS NULL OR cost_procurement <= 0 OR (fte_procurement IS NOT NULL AND fte_procurement > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: estates_fte_with_cost
SELECT 'estates_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_estates IS NULL OR cost_estates <= 0 OR (fte_estates IS NOT NULL AND fte_estates > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: payroll_fte_with_cost
SELECT 'payroll_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_payroll IS NULL OR cost_payroll <= 0 OR (fte_payroll IS NOT NULL AND fte_payroll > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: governance_and_risk_fte_with_cost
SELECT 'governance_and_risk_fte_with_cost' AS policy, 'warning' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, cost_governance_and_risk IS NULL OR cost_governance_and_risk <= 0 OR (fte_governance_and_risk IS NOT NULL AND fte_governance_and_risk > 0) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: finance_shared_within_cost
SELECT 'finance_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_finance IS NULL OR (shared_cost_finance >= 0 AND shared_cost_finance <= cost_finance) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: human_resources_shared_within_cost
SELECT 'human_resources_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_human_resources IS NULL OR (shared_cost_human_resources >= 0 AND shared_cost_human_resources <= cost_human_resources) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: information_technology_shared_within_cost
SELECT 'information_technology_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_information_technology IS NULL OR (shared_cost_information_technology >= 0 AND shared_cost_information_technology <= cost_information_technology) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: procurement_shared_within_cost
SELECT 'procurement_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_procurement IS NULL OR (shared_cost_procurement >= 0 AND shared_cost_procurement <= cost_procurement) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: estates_shared_within_cost
SELECT 'estates_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_estates IS NULL OR (shared_cost_estates >= 0 AND shared_cost_estates <= cost_estates) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: payroll_shared_within_cost
SELECT 'payroll_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_payroll IS NULL OR (shared_cost_payroll >= 0 AND shared_cost_payroll <= cost_payroll) AS ok FROM benchmark) WHERE ok IS NOT TRUE;

-- policy: governance_and_risk_shared_within_cost
SELECT 'governance_and_risk_shared_within_cost' AS policy, 'error' AS severity, verdict(ok) AS status, period, entity
FROM (SELECT period, entity, shared_cost_governance_and_risk IS NULL OR (shared_cost_governance_and_risk >= 0 AND shared_cost_governance_and_risk <= cost_governance_and_risk) AS ok FROM benchmark) WHERE ok IS NOT TRUE;
