-- categorize install script: shared state — statistics, index-cache state,
-- health and the circuit breaker.  All of it needs the library in
-- shared_preload_libraries; without it these functions raise an error whose
-- hint says so (categorize() itself keeps working).

CREATE FUNCTION categorize._stats(
    OUT calls bigint,
    OUT categorized bigint,
    OUT uncategorized bigint,
    OUT errors bigint,
    OUT timeouts bigint,
    OUT short_circuited bigint,
    OUT mean_us float8,
    OUT p50_us float8,
    OUT p95_us float8,
    OUT p99_us float8,
    OUT index_builds bigint,
    OUT index_build_failures bigint,
    OUT index_build_mean_ms float8,
    OUT index_refreshes bigint,
    OUT patterns_loaded bigint,
    OUT cache_hits bigint,
    OUT cache_misses bigint,
    OUT pattern_generation bigint,
    OUT stale_backends int,
    OUT breaker_state text,
    OUT breaker_failures int,
    OUT breaker_opened_at timestamptz,
    OUT breaker_trips bigint,
    OUT queue_depth bigint,
    OUT jobs_running bigint,
    OUT workers_running int,
    OUT workers_max int,
    OUT stats_reset timestamptz)
    AS 'MODULE_PATHNAME', 'categorize_stats'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW categorize.stats AS SELECT * FROM categorize._stats();

COMMENT ON VIEW categorize.stats IS
    'Cluster-wide categorization statistics since the last categorize.stats_reset(), '
    'with the circuit breaker and the index-cache state of this database.';

CREATE FUNCTION categorize.stats_reset()
    RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'categorize_stats_reset'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION categorize.stats_reset() IS
    'Start the statistics from zero (superuser, extension owner or categorize_admin).';

CREATE FUNCTION categorize._index_cache(
    OUT pid int,
    OUT index_generation bigint,
    OUT pattern_generation bigint,
    OUT stale boolean,
    OUT built_at timestamptz,
    OUT patterns bigint,
    OUT refreshed_at timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'categorize_index_cache'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW categorize.index_cache AS SELECT * FROM categorize._index_cache();

COMMENT ON VIEW categorize.index_cache IS
    'Backends of this database holding a compiled index, with the pattern-set generation it was built from; '
    'stale: built before the latest committed pattern change; '
    'refreshed_at: when it last took changed weights and usage counts in place (NULL: not since built).';

CREATE FUNCTION categorize.health(
    OUT metric text,
    OUT value float8,
    OUT status text,
    OUT detail text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'categorize_health'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 5;

COMMENT ON FUNCTION categorize.health() IS
    'Index hit rate, p99 latency, error and timeout rates and breaker state, each healthy, degraded, warning or critical '
    '(thresholds: categorize.health_* settings).';

CREATE FUNCTION categorize.breaker_reset()
    RETURNS text
    AS 'MODULE_PATHNAME', 'categorize_breaker_reset'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION categorize.breaker_reset() IS
    'Close the circuit breaker now; returns the state it was in (superuser, extension owner or categorize_admin).';

REVOKE ALL ON FUNCTION categorize.stats_reset(), categorize.breaker_reset() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION categorize.stats_reset(), categorize.breaker_reset() TO categorize_admin;
GRANT SELECT ON categorize.stats, categorize.index_cache TO PUBLIC;
