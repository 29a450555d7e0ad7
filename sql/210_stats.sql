-- Statistics: a known workload gives exact counts; the latency histogram;
-- cache hits and misses; index builds; pattern-set generations advanced at
-- commit only; the index_cache view; who may reset.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Books');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 2, 'keyword', 'book', 3),
    (3, 2, 'regex', 'paper ?back', 3);

SELECT categorize.stats_reset() <= now() + interval '1 minute' AS reset;
SELECT calls, categorized, uncategorized, errors, timeouts, short_circuited,
       mean_us, p50_us, p95_us, p99_us, index_builds, cache_hits, cache_misses
  FROM categorize.stats;

-- 9 calls (the NULL row is answered without one): the first rebuilds the
-- index (a miss), 6 categorized, 3 not
SELECT categorize.categorize(d) AS category
  FROM (VALUES ('Starbucks #12'), ('a used book'), ('paperback'), ('nothing'),
               ('STARBUCKS'), ('book club'), ('rent'), ('fuel'), ('paper back'),
               (NULL)) v(d);
SELECT calls, categorized, uncategorized, errors, timeouts, short_circuited,
       index_builds, index_build_failures, patterns_loaded, cache_hits, cache_misses,
       mean_us > 0 AS has_mean, p50_us <= p95_us AND p95_us <= p99_us AS ordered,
       index_build_mean_ms >= 0 AS has_build_time, breaker_state
  FROM categorize.stats;
-- the no-argument form answers NULL without a call
SELECT categorize.categorize(NULL::text, NULL::text);
SELECT calls FROM categorize.stats;

-- generations: a committed change advances this database's generation once,
-- a rolled-back one does not
SELECT pattern_generation AS gen0 FROM categorize.stats \gset
BEGIN;
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (4, 1, 'keyword', 'latte');
UPDATE categorize.patterns SET weight = 2 WHERE value = 'latte';
SELECT pattern_generation - :gen0 AS advanced_before_commit FROM categorize.stats;
COMMIT;
SELECT pattern_generation - :gen0 AS advanced_after_commit FROM categorize.stats;
BEGIN;
DELETE FROM categorize.patterns WHERE value = 'latte';
ROLLBACK;
SELECT pattern_generation - :gen0 AS advanced_after_rollback FROM categorize.stats;
-- this backend's index is now stale; the next call rebuilds it from the new generation
SELECT index_generation < pattern_generation AS stale_before, stale
  FROM categorize.index_cache WHERE pid = pg_backend_pid();
SELECT stale_backends FROM categorize.stats;
SELECT categorize.categorize('latte');
SELECT index_generation - :gen0 AS built_from, stale, patterns
  FROM categorize.index_cache WHERE pid = pg_backend_pid();
SELECT stale_backends, index_builds, cache_misses, patterns_loaded FROM categorize.stats;

-- reset starts from zero; totals are exact again afterwards
SELECT categorize.stats_reset() IS NOT NULL AS reset;
SELECT calls, categorized, cache_hits, cache_misses, index_builds, mean_us, p99_us
  FROM categorize.stats;
SELECT count(categorize.categorize('book ' || i)) FROM generate_series(1, 250) i;
SELECT calls, categorized, cache_hits, cache_misses FROM categorize.stats;

-- who may reset: not PUBLIC; categorize_admin members may
CREATE ROLE regress_cz_user;
CREATE ROLE regress_cz_admin IN ROLE categorize_admin;
SET ROLE regress_cz_user;
SELECT calls > 0 AS can_read FROM categorize.stats;
SELECT categorize.stats_reset();
SELECT categorize.breaker_reset();
RESET ROLE;
-- granted EXECUTE directly, the function itself still refuses
GRANT EXECUTE ON FUNCTION categorize.stats_reset() TO regress_cz_user;
SET ROLE regress_cz_user;
SELECT categorize.stats_reset();
RESET ROLE;
REVOKE EXECUTE ON FUNCTION categorize.stats_reset() FROM regress_cz_user;
SET ROLE regress_cz_admin;
SELECT categorize.stats_reset() IS NOT NULL AS admin_reset;
SELECT categorize.breaker_reset();
RESET ROLE;
SELECT calls FROM categorize.stats;
DROP ROLE regress_cz_user;
DROP ROLE regress_cz_admin;

TRUNCATE categorize.categories CASCADE;
