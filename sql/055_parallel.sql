-- In a parallel query every worker builds its own index, from the
-- query's snapshot (it may take no other), and drops it at the end of the
-- transaction: the answers are those of the leader alone, the
-- transaction's own uncommitted pattern changes included.
SET categorize.time_budget = 0;
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Fuel'), (3, 'Groceries');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Blue Bottle', 3),
    (2, 2, 'regex', 'fuel\s+stop\s+\d+', 3),
    (3, 3, 'keyword', 'groceries', 3),
    (4, 2, 'merchant', 'Shell', 3);
CREATE TABLE parallel_expenses AS
SELECT g AS id,
       (ARRAY['BLUE BOTTLE #12', 'FUEL STOP 4411', 'weekly groceries', 'SHELL OIL 0042',
              'Blue Botle Oakland', 'nothing here'])[1 + g % 6] AS description
  FROM generate_series(1, 6000) g;
ANALYZE parallel_expenses;

CREATE VIEW parallel_answers AS
SELECT categorize.categorize(e) AS category, count(*) AS n FROM parallel_expenses e GROUP BY 1;

-- the leader alone
SET max_parallel_workers_per_gather = 0;
SELECT * FROM parallel_answers ORDER BY 1;
CREATE TEMP TABLE serial_answers AS SELECT * FROM parallel_answers;

-- with workers
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT * FROM parallel_answers;
SELECT index_builds AS builds_before FROM categorize.stats \gset
CREATE TEMP TABLE worker_answers AS SELECT * FROM parallel_answers;
-- the workers built indexes of their own (the leader's is current)
SELECT index_builds > :builds_before AS workers_built FROM categorize.stats;
SELECT count(*) AS differences FROM (
    (SELECT * FROM worker_answers EXCEPT SELECT * FROM serial_answers)
    UNION ALL
    (SELECT * FROM serial_answers EXCEPT SELECT * FROM worker_answers)) d;

-- the transaction's own change, in the workers too; gone after rollback
BEGIN;
UPDATE categorize.patterns SET category_id = 3 WHERE id = 1;
SELECT * FROM parallel_answers ORDER BY 1;
ROLLBACK;
SELECT * FROM parallel_answers ORDER BY 1;

-- the leader taking part, its own index out of date when the query starts
-- (it then builds one for this transaction only, in parallel mode)
SET parallel_leader_participation = on;
BEGIN;
UPDATE categorize.patterns SET weight = 4 WHERE id = 3;
SELECT * FROM parallel_answers ORDER BY 1;
ROLLBACK;

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
DROP VIEW parallel_answers;
DROP TABLE parallel_expenses;
TRUNCATE categorize.categories CASCADE;
