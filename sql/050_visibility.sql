-- Pattern changes are transactional: a transaction sees its own changes at
-- once, a rollback leaves no trace.  (Other sessions: isolation specs.)
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Tea');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    VALUES (1, 1, 'keyword', 'coffee', 3);
SELECT categorize.categorize('coffee') AS before, categorize.categorize('chai') AS chai_before;

BEGIN;
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (2, 2, 'keyword', 'chai', 3);
SELECT categorize.categorize('chai') AS own_insert_seen;
UPDATE categorize.patterns SET category_id = 2 WHERE id = 1;
SELECT categorize.categorize('coffee') AS own_update_seen;
ROLLBACK;
SELECT categorize.categorize('coffee') AS after_rollback, categorize.categorize('chai') AS chai_after_rollback;

-- savepoints
BEGIN;
DELETE FROM categorize.patterns WHERE id = 1;
SELECT categorize.categorize('coffee') AS deleted_in_xact;
SAVEPOINT s;
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (3, 2, 'keyword', 'coffee', 3);
SELECT categorize.categorize('coffee') AS in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT categorize.categorize('coffee') AS after_rollback_to_savepoint;
COMMIT;
SELECT categorize.categorize('coffee') AS after_commit;

-- category changes count too
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (4, 1, 'keyword', 'coffee', 3);
BEGIN;
UPDATE categorize.categories SET active = false WHERE id = 1;
SELECT categorize.categorize('coffee') AS category_deactivated;
ROLLBACK;
SELECT categorize.categorize('coffee') AS category_back;

-- TRUNCATE invalidates
BEGIN;
TRUNCATE categorize.patterns;
SELECT categorize.categorize('coffee') AS after_truncate;
ROLLBACK;

-- in a repeatable read transaction the index still follows committed changes
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT categorize.categorize('coffee') AS rr_start;
UPDATE categorize.patterns SET category_id = 2 WHERE id = 4;
SELECT categorize.categorize('coffee') AS rr_own_change;
COMMIT;
SELECT categorize.categorize('coffee') AS committed;

-- the tables' own relcache invalidations (VACUUM, ANALYZE, reloptions)
-- keep the index; a rewrite, which fires no trigger, makes it read the
-- tables again (here nothing changed: it is refreshed in place)
BEGIN;
INSERT INTO categorize.patterns (id, category_id, kind, value)
    SELECT 1000 + g, 2, 'keyword', 'tea' || g FROM generate_series(1, 200) g;
ROLLBACK;
SELECT categorize.categorize('coffee') AS before_maintenance;
SELECT built_at AS built FROM categorize.index_cache WHERE pid = pg_backend_pid() \gset
VACUUM ANALYZE categorize.patterns;
ALTER TABLE categorize.patterns SET (autovacuum_vacuum_threshold = 100);
ALTER TABLE categorize.patterns RESET (autovacuum_vacuum_threshold);
ANALYZE categorize.categories;
SELECT categorize.categorize('coffee') AS after_maintenance;
SELECT built_at = :'built' AS index_kept
  FROM categorize.index_cache WHERE pid = pg_backend_pid();
VACUUM FULL categorize.patterns;
SELECT categorize.categorize('coffee') AS after_rewrite;
SELECT built_at = :'built' AS index_kept, refreshed_at > :'built' AS tables_read_again
  FROM categorize.index_cache WHERE pid = pg_backend_pid();
-- a rewrite that changes what is read: the index follows it, and drops it
-- again when it rolls back
BEGIN;
SELECT category, round(confidence::numeric, 4) AS confidence FROM categorize.explain('coffee');
ALTER TABLE categorize.patterns ALTER COLUMN weight TYPE float8 USING 5.0;
SELECT category, round(confidence::numeric, 4) AS confidence FROM categorize.explain('coffee');
ROLLBACK;
SELECT category, round(confidence::numeric, 4) AS confidence FROM categorize.explain('coffee');

-- a schema from before the signal view (the library updated first): the
-- tables' own invalidations announce the changes, as they did then
ALTER EXTENSION categorize DROP VIEW categorize._pattern_signal;
DROP VIEW categorize._pattern_signal;
SELECT categorize.categorize('coffee') AS without_signal_view;
BEGIN;
UPDATE categorize.patterns SET category_id = 1 WHERE id = 4;
SELECT categorize.categorize('coffee') AS own_change_without_signal_view;
ROLLBACK;
SELECT categorize.categorize('coffee') AS rolled_back_without_signal_view;
CREATE VIEW categorize._pattern_signal AS SELECT;
REVOKE ALL ON categorize._pattern_signal FROM PUBLIC;
COMMENT ON VIEW categorize._pattern_signal IS
    'Holds nothing: its relcache invalidations tell every backend that patterns or categories changed.';
ALTER EXTENSION categorize ADD VIEW categorize._pattern_signal;
-- an index built without the view still sees its own transaction's change
BEGIN;
UPDATE categorize.patterns SET category_id = 1 WHERE id = 4;
SELECT categorize.categorize('coffee') AS own_change_view_back;
ROLLBACK;
SELECT categorize.categorize('coffee') AS with_signal_view_again;

TRUNCATE categorize.categories CASCADE;
