-- The policies of rules/policies.assay over dataset `plan`, as DuckDB SQL: one query per
-- policy, each returning the rows that do not pass, with the columns of
-- `assay verify --format csv` that identify them (policy, severity, status, period, entity).
-- verify_duckdb.py replaces {data} and {classes}, runs the setup, then writes the rows of
-- every policy query, in order, to one CSV.
--
-- Missing values are NULL, and SQL's three-valued AND/OR/NOT is the engine's (false AND
-- missing is false, true OR missing is true): a requirement that is NULL is `undecided`,
-- FALSE is `failed`.

-- setup
-- A row's status from its requirement: NULL (a value it needs is missing) is undecided.
CREATE MACRO verdict(ok) AS CASE WHEN ok IS NULL THEN 'undecided' ELSE 'failed' END;
CREATE TEMP TABLE activity_class AS SELECT * FROM read_csv('{classes}', header = true, all_varchar = true);
-- Spellings of the members of set `sharing_model` (rules/sets.assay: name, title, aliases),
-- lowercased.
CREATE TEMP TABLE sharing_model(spelling VARCHAR, member VARCHAR);
INSERT INTO sharing_model VALUES
  ('in_house', 'in_house'), ('in-house solution', 'in_house'), ('in-house', 'in_house'),
  ('co_operative', 'co_operative'), ('shared service co-operative', 'co_operative'),
  ('co-operative', 'co_operative'), ('trading fund', 'co_operative'),
  ('shared_services_company', 'shared_services_company'), ('shared services company', 'shared_services_company'),
  ('joint_venture', 'joint_venture'), ('joint venture or partnership', 'joint_venture'),
  ('outsourcing', 'outsourcing');
CREATE TEMP TABLE plan AS
SELECT
  p."Organisation" AS entity,
  p."Consortium" AS consortium,
  p."Activity" AS activity,
  c.class AS class,
  m.member AS model,
  CAST(p."Employees served" AS BIGINT) AS employees_served,
  CAST(rtrim(p."Investment share", '%') AS DECIMAL(18, 6)) AS investment_share,
  CAST(rtrim(p."Savings share", '%') AS DECIMAL(18, 6)) AS savings_share,
  lower(p."Exit costs paid by leaving partner") AS exit_costs_paid_by_leaver,
  lower(p."New partners' unit-cost savings shared by all") AS new_partner_savings_shared,
  lower(p."Processes simplified and standardised first") AS processes_aligned,
  CAST(p."Partners agreed" AS DATE) AS partners_agreed
FROM read_csv('{data}', header = true, all_varchar = true) p
LEFT JOIN activity_class c ON c.spelling = lower(p."Activity")
LEFT JOIN sharing_model m ON m.spelling = lower(p."Model");

-- policy: strategic_in_house
SELECT 'strategic_in_house' AS policy, 'error' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, class != 'strategic' OR model = 'in_house' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: operational_not_outsourced
SELECT 'operational_not_outsourced' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, class != 'operational' OR model != 'outsourcing' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: transactional_candidates
SELECT 'transactional_candidates' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, class != 'transactional' OR model != 'in_house' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: co_operative_scale
SELECT 'co_operative_scale' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, NOT (model = 'co_operative') OR (employees_served IS NOT NULL AND employees_served >= 20000) AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: co_operative_equitable_shares
SELECT 'co_operative_equitable_shares' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, model != 'co_operative' OR (savings_share IS NOT NULL AND savings_share = investment_share) AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: co_operative_exit_costs
SELECT 'co_operative_exit_costs' AS policy, 'error' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, model != 'co_operative' OR exit_costs_paid_by_leaver = 'yes' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: co_operative_new_partner_savings
SELECT 'co_operative_new_partner_savings' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, model != 'co_operative' OR new_partner_savings_shared = 'yes' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: align_before_sharing
SELECT 'align_before_sharing' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, model = 'in_house' OR processes_aligned = 'yes' AS ok FROM plan) WHERE ok IS NOT TRUE;

-- policy: partners_by_april_2011
SELECT 'partners_by_april_2011' AS policy, 'warning' AS severity, verdict(ok) AS status, '' AS period, entity
FROM (SELECT entity, model = 'in_house' OR (partners_agreed IS NOT NULL AND partners_agreed <= DATE '2011-04-01') AS ok FROM plan) WHERE ok IS NOT TRUE;
