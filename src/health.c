/*-------------------------------------------------------------------------
 *
 * health.c
 *	  categorize.health(): the statistics graded against thresholds, one
 *	  row per check, each healthy, degraded, warning or critical; and the
 *	  settings holding those thresholds (categorize.health_*).
 *
 *	  Each check has a target, a warning and a critical threshold.  A value
 *	  meeting the target is healthy, one short of the target degraded, one
 *	  past the warning threshold warning, one past the critical threshold
 *	  critical.  The defaults are what users of the application-side
 *	  categorizer grade with: index hit rate 90 / 80 / 50 %, p99 latency
 *	  10 / 25 / 50 ms (their target, categorize.time_budget's default,
 *	  their current cost), error and timeout rates 1 / 5 / 10 %.  The
 *	  breaker is healthy closed, degraded closed with failures counting
 *	  up, warning half-open, critical open.
 *
 *	  Reads a statistics snapshot (stats.c); no locks of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "categorize.h"
#include "shared_state.h"

static double hit_rate_target = 90.0;
static double hit_rate_warning = 80.0;
static double hit_rate_critical = 50.0;
static double latency_target_ms = 10.0;
static double latency_warning_ms = 25.0;
static double latency_critical_ms = 50.0;
static double error_rate_target = 1.0;
static double error_rate_warning = 5.0;
static double error_rate_critical = 10.0;

static void
define_threshold(const char *name, const char *what, double *var, double boot,
				 double max, int flags)
{
	DefineCustomRealVariable(name, what,
							 "Used by categorize.health().",
							 var, boot, 0.0, max,
							 PGC_SUSET, flags, NULL, NULL, NULL);
}

void
cz_health_define_settings(void)
{
	define_threshold("categorize.health_hit_rate_target",
					 "Index hit rate (percent of calls answered without a rebuild) graded healthy.",
					 &hit_rate_target, 90.0, 100.0, 0);
	define_threshold("categorize.health_hit_rate_warning",
					 "Index hit rate (percent) below which health() warns.",
					 &hit_rate_warning, 80.0, 100.0, 0);
	define_threshold("categorize.health_hit_rate_critical",
					 "Index hit rate (percent) below which health() is critical.",
					 &hit_rate_critical, 50.0, 100.0, 0);
	define_threshold("categorize.health_latency_target",
					 "p99 call latency graded healthy.",
					 &latency_target_ms, 10.0, 3600 * 1000.0, GUC_UNIT_MS);
	define_threshold("categorize.health_latency_warning",
					 "p99 call latency above which health() warns.",
					 &latency_warning_ms, 25.0, 3600 * 1000.0, GUC_UNIT_MS);
	define_threshold("categorize.health_latency_critical",
					 "p99 call latency above which health() is critical.",
					 &latency_critical_ms, 50.0, 3600 * 1000.0, GUC_UNIT_MS);
	define_threshold("categorize.health_error_rate_target",
					 "Error and timeout rates (percent of calls) graded healthy.",
					 &error_rate_target, 1.0, 100.0, 0);
	define_threshold("categorize.health_error_rate_warning",
					 "Error or timeout rate (percent) above which health() warns.",
					 &error_rate_warning, 5.0, 100.0, 0);
	define_threshold("categorize.health_error_rate_critical",
					 "Error or timeout rate (percent) above which health() is critical.",
					 &error_rate_critical, 10.0, 100.0, 0);
}

/* Grade a value where higher is better (hit rate). */
static const char *
grade_higher(double v, double target, double warning, double critical)
{
	if (v < critical)
		return "critical";
	if (v < warning)
		return "warning";
	if (v < target)
		return "degraded";
	return "healthy";
}

/* Grade a value where lower is better (latency, error rates). */
static const char *
grade_lower(double v, double target, double warning, double critical)
{
	if (v > critical)
		return "critical";
	if (v > warning)
		return "warning";
	if (v > target)
		return "degraded";
	return "healthy";
}

/* The columns put_row() fills: metric, value, status, detail. */
static const Oid health_types[] = {TEXTOID, FLOAT8OID, TEXTOID, TEXTOID};

static void
put_row(ReturnSetInfo *rsinfo, const char *metric, bool has_value, double value,
		const char *status, const char *detail)
{
	Datum		values[lengthof(health_types)];
	bool		nulls[lengthof(health_types)] = {0};

	values[0] = CStringGetTextDatum(metric);
	if (has_value)
		values[1] = Float8GetDatum(value);
	else
		nulls[1] = true;
	values[2] = CStringGetTextDatum(status);
	values[3] = CStringGetTextDatum(detail);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static void
rate_row(ReturnSetInfo *rsinfo, const char *metric, uint64 part, uint64 whole)
{
	double		rate;

	if (whole == 0)
	{
		put_row(rsinfo, metric, false, 0, "healthy", "no calls since the last stats reset");
		return;
	}
	rate = 100.0 * (double) part / (double) whole;
	put_row(rsinfo, metric, true, rate,
			grade_lower(rate, error_rate_target, error_rate_warning, error_rate_critical),
			psprintf("%llu of %llu calls; target %g%%, warning above %g%%, critical above %g%%",
					 (unsigned long long) part, (unsigned long long) whole,
					 error_rate_target, error_rate_warning, error_rate_critical));
}

/* categorize.health() → metric, value, status, detail */
PG_FUNCTION_INFO_V1(categorize_health);
Datum
categorize_health(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CzStatsSnapshot snap;
	uint64		lookups;
	uint64		calls;
	uint64		timed;

	cz_require_shared_state("categorize.health()");
	InitMaterializedSRF(fcinfo, 0);
	cz_check_result_shape(rsinfo->setDesc, health_types, lengthof(health_types),
						  "categorize.health()");
	cz_stats_snapshot(&snap);

	/* index hit rate */
	lookups = snap.v[CZ_C_CACHE_HITS] + snap.v[CZ_C_CACHE_MISSES];
	if (lookups == 0)
		put_row(rsinfo, "index_hit_rate", false, 0, "healthy",
				"no calls since the last stats reset");
	else
	{
		double		rate = 100.0 * (double) snap.v[CZ_C_CACHE_HITS] / (double) lookups;

		put_row(rsinfo, "index_hit_rate", true, rate,
				grade_higher(rate, hit_rate_target, hit_rate_warning, hit_rate_critical),
				psprintf("%llu of %llu calls answered from a current index; target %g%%, warning below %g%%, critical below %g%%",
						 (unsigned long long) snap.v[CZ_C_CACHE_HITS],
						 (unsigned long long) lookups,
						 hit_rate_target, hit_rate_warning, hit_rate_critical));
	}

	/* p99 latency */
	timed = snap.v[CZ_C_TIMED_CALLS];
	if (timed == 0)
		put_row(rsinfo, "p99_latency_ms", false, 0, "healthy",
				"no calls since the last stats reset");
	else
	{
		double		p99 = cz_stats_percentile(&snap.v[CZ_NCOUNTERS], timed, 0.99) / 1000.0;

		put_row(rsinfo, "p99_latency_ms", true, p99,
				grade_lower(p99, latency_target_ms, latency_warning_ms, latency_critical_ms),
				psprintf("target %g ms, warning above %g ms, critical above %g ms",
						 latency_target_ms, latency_warning_ms, latency_critical_ms));
	}

	/* error and timeout rates, over calls that ran */
	calls = snap.v[CZ_C_CALLS] - Min(snap.v[CZ_C_SHORT_CIRCUITED], snap.v[CZ_C_CALLS]);
	rate_row(rsinfo, "error_rate", snap.v[CZ_C_ERRORS], calls);
	rate_row(rsinfo, "timeout_rate", snap.v[CZ_C_TIMEOUTS], calls);

	/* breaker */
	{
		const char *status;
		const char *detail;

		switch (snap.breaker_state)
		{
			case CZ_BREAKER_OPEN:
				status = "critical";
				detail = "open: calls answer NULL at once";
				break;
			case CZ_BREAKER_HALF_OPEN:
				status = "warning";
				detail = "half_open: the next call is a probe";
				break;
			default:
				status = snap.breaker_failures > 0 ? "degraded" : "healthy";
				detail = psprintf("closed, %u consecutive failures (opens at %d)",
								  snap.breaker_failures, cz_breaker_failure_threshold);
				break;
		}
		/* value by severity: 0 closed, 1 half-open, 2 open */
		put_row(rsinfo, "breaker_state", true,
				snap.breaker_state == CZ_BREAKER_OPEN ? 2.0 :
				snap.breaker_state == CZ_BREAKER_HALF_OPEN ? 1.0 : 0.0,
				status, detail);
	}
	return (Datum) 0;
}
