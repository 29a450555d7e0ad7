-- (timing-sensitive) health(): every check graded against its categorize.health_* thresholds.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Puzzles');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 2, 'regex', '(\w{3,})\1z', 3);
SELECT categorize.breaker_reset();
SELECT categorize.stats_reset() IS NOT NULL AS reset;

-- no calls yet: nothing to grade
SELECT metric, value, status, detail FROM categorize.health();

-- 10 calls: 1 miss (the rebuild) and 9 hits, 1 timeout (200 ms budget: the
-- good calls fit even under valgrind, the hostile one never does)
SET categorize.time_budget = '200ms';
SELECT count(categorize.categorize('Starbucks ' || i)) FROM generate_series(1, 9) i;
SELECT categorize.categorize(
    (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 40) i) || 'z') AS timed_out;
SELECT calls, timeouts, cache_hits, cache_misses FROM categorize.stats;
SELECT metric, round(value::numeric, 2) AS value, status, detail
  FROM categorize.health() WHERE metric <> 'p99_latency_ms';

-- hit rate 90 %: healthy at target 90, degraded below 95, warning below the
-- warning threshold, critical below the critical one
SET categorize.health_hit_rate_target = 95;
SELECT status FROM categorize.health() WHERE metric = 'index_hit_rate';
SET categorize.health_hit_rate_warning = 91;
SELECT status FROM categorize.health() WHERE metric = 'index_hit_rate';
SET categorize.health_hit_rate_critical = 90.5;
SELECT status FROM categorize.health() WHERE metric = 'index_hit_rate';
RESET categorize.health_hit_rate_target;
RESET categorize.health_hit_rate_warning;
RESET categorize.health_hit_rate_critical;

-- timeout rate 10 %: warning (above 5), critical once the critical threshold is lower
SET categorize.health_error_rate_critical = 9;
SELECT status FROM categorize.health() WHERE metric = 'timeout_rate';
RESET categorize.health_error_rate_critical;

-- p99 latency against thresholds far above and below any real latency
SET categorize.health_latency_target = '1h';
SET categorize.health_latency_warning = '1h';
SET categorize.health_latency_critical = '1h';
SELECT value > 0 AS measured, status FROM categorize.health() WHERE metric = 'p99_latency_ms';
SET categorize.health_latency_target = 0;
SELECT status FROM categorize.health() WHERE metric = 'p99_latency_ms';
SET categorize.health_latency_warning = 0;
SELECT status FROM categorize.health() WHERE metric = 'p99_latency_ms';
SET categorize.health_latency_critical = 0;
SELECT status FROM categorize.health() WHERE metric = 'p99_latency_ms';
RESET categorize.health_latency_target;
RESET categorize.health_latency_warning;
RESET categorize.health_latency_critical;

-- thresholds are for superusers to set
CREATE ROLE regress_cz_health;
SET ROLE regress_cz_health;
SET categorize.health_hit_rate_target = 50;
SELECT count(*) FROM categorize.health();
RESET ROLE;
DROP ROLE regress_cz_health;

RESET categorize.time_budget;
SELECT categorize.breaker_reset();
TRUNCATE categorize.categories CASCADE;
