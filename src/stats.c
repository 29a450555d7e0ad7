/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Statistics every backend updates: calls by outcome, a latency
 *	  histogram (p50/p95/p99), cache hits and misses, index builds; the
 *	  categorize.stats view, categorize.stats_reset() and the
 *	  categorize.index_cache view (which backends run a stale index).
 *
 *	  Locking: each backend counts in its own slot of shared memory,
 *	  indexed by its pgprocno, with plain (unlocked) atomic reads and
 *	  writes: one writer per slot, no global lock and no locked
 *	  instruction on the hot path.  A slot outlives its backend and keeps
 *	  counting for the next backend with that pgprocno, so sums only grow.
 *	  Readers take CzShared.lock shared to sum the slots and subtract the
 *	  baseline; stats_reset() takes it exclusive to make the current sums
 *	  the new baseline.  A reader may see a call half-counted (its outcome
 *	  but not yet its latency): totals are exact once calls have finished.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "categorize.h"
#include "shared_state.h"

/* Filled by the batch subsystem; NULL until it installs itself. */
cz_batch_counts_hook_type cz_batch_counts_hook = NULL;

static CzStatsSlot *my_slot = NULL;
static bool my_slot_tried = false;

static void
release_slot(int code, Datum arg)
{
	if (my_slot != NULL)
	{
		pg_atomic_write_u64(&my_slot->index_generation, 0);
		pg_atomic_write_u32(&my_slot->pid, 0);
	}
	my_slot = NULL;
}

/* This backend's slot, or NULL without shared memory. */
static CzStatsSlot *
attach_slot(void)
{
	my_slot_tried = true;
	if (cz_shared == NULL || MyProc == NULL ||
		MyProc->pgprocno < 0 || MyProc->pgprocno >= cz_shared->nslots)
		return NULL;
	my_slot = cz_slot(MyProc->pgprocno);
	my_slot->dbid = MyDatabaseId;
	pg_atomic_write_u64(&my_slot->index_generation, 0);
	pg_atomic_write_u64(&my_slot->index_refreshed_at, 0);
	pg_atomic_write_u32(&my_slot->pid, (uint32) MyProcPid);
	before_shmem_exit(release_slot, (Datum) 0);
	return my_slot;
}

static inline CzStatsSlot *
get_slot(void)
{
	if (likely(my_slot != NULL))
		return my_slot;
	if (my_slot_tried)
		return NULL;
	return attach_slot();
}

/* Single writer: a plain read and write, no locked instruction. */
static inline void
slot_add(CzStatsSlot *slot, int i, uint64 n)
{
	pg_atomic_write_u64(&slot->values[i], pg_atomic_read_u64(&slot->values[i]) + n);
}

static inline int
hist_bucket(uint64 us)
{
	int			exp;

	if (us < CZ_HIST_EXACT)
		return (int) us;
	exp = pg_leftmost_one_pos64(us);
	if (exp > CZ_HIST_MAX_EXP)
		return CZ_HIST_BUCKETS - 1;
	return CZ_HIST_EXACT + (exp - 4) * CZ_HIST_SUB +
		(int) ((us >> (exp - CZ_HIST_SUB_BITS)) & (CZ_HIST_SUB - 1));
}

/* Lowest latency of a bucket, and its width. */
static void
hist_bucket_range(int b, double *lo, double *width)
{
	int			exp;
	int			sub;

	if (b < CZ_HIST_EXACT)
	{
		*lo = b;
		*width = 1;
		return;
	}
	exp = 4 + (b - CZ_HIST_EXACT) / CZ_HIST_SUB;
	sub = (b - CZ_HIST_EXACT) % CZ_HIST_SUB;
	*width = ldexp(1.0, exp - CZ_HIST_SUB_BITS);
	*lo = ldexp(1.0, exp) + sub * *width;
}

void
cz_stats_record_call(CzOutcome outcome, int64 elapsed_us, bool cache_hit)
{
	CzStatsSlot *slot = get_slot();
	int			counter;

	if (slot == NULL)
		return;
	switch (outcome)
	{
		case CZ_OUTCOME_CATEGORIZED:
			counter = CZ_C_CATEGORIZED;
			break;
		case CZ_OUTCOME_UNCATEGORIZED:
			counter = CZ_C_UNCATEGORIZED;
			break;
		case CZ_OUTCOME_ERROR:
			counter = CZ_C_ERRORS;
			break;
		case CZ_OUTCOME_TIMEOUT:
			counter = CZ_C_TIMEOUTS;
			break;
		default:
			/* short-circuited: no latency, no index consulted */
			slot_add(slot, CZ_C_SHORT_CIRCUITED, 1);
			slot_add(slot, CZ_C_CALLS, 1);
			return;
	}
	if (elapsed_us < 0)
		elapsed_us = 0;
	slot_add(slot, counter, 1);
	slot_add(slot, cache_hit ? CZ_C_CACHE_HITS : CZ_C_CACHE_MISSES, 1);
	slot_add(slot, CZ_C_TIMED_CALLS, 1);
	slot_add(slot, CZ_C_ELAPSED_US, (uint64) elapsed_us);
	slot_add(slot, CZ_NCOUNTERS + hist_bucket((uint64) elapsed_us), 1);
	/* last, so that a reader never sees more outcomes than calls */
	slot_add(slot, CZ_C_CALLS, 1);
}

void
cz_stats_record_index_build(bool ok, int64 build_us, int npatterns)
{
	CzStatsSlot *slot = get_slot();

	if (slot == NULL)
		return;
	slot_add(slot, ok ? CZ_C_INDEX_BUILDS : CZ_C_INDEX_BUILD_FAILURES, 1);
	slot_add(slot, CZ_C_INDEX_BUILD_US, (uint64) Max(build_us, 0));
	if (ok)
	{
		pg_atomic_write_u64(&cz_shared->patterns_loaded, (uint64) Max(npatterns, 0));
		pg_atomic_write_u64(&slot->index_patterns, (uint64) Max(npatterns, 0));
	}
}

void
cz_stats_record_index_refresh(int npatterns)
{
	CzStatsSlot *slot = get_slot();

	if (slot == NULL)
		return;
	slot_add(slot, CZ_C_INDEX_REFRESHES, 1);
	/* a refresh may have appended patterns */
	pg_atomic_write_u64(&cz_shared->patterns_loaded, (uint64) Max(npatterns, 0));
	pg_atomic_write_u64(&slot->index_patterns, (uint64) Max(npatterns, 0));
}

/*
 * This backend's index was built from the given pattern-set generation
 * (cz_cache_generation() read before the build).
 */
void
cz_cache_index_built(uint64 generation)
{
	CzStatsSlot *slot = get_slot();

	if (slot == NULL)
		return;
	pg_atomic_write_u64(&slot->index_built_at, (uint64) GetCurrentTimestamp());
	pg_atomic_write_u64(&slot->index_refreshed_at, 0);
	pg_atomic_write_u64(&slot->index_generation, generation);
}

/* ... or has been refreshed in place from it (weights and usage counts). */
void
cz_cache_index_refreshed(uint64 generation)
{
	CzStatsSlot *slot = get_slot();

	if (slot == NULL)
		return;
	pg_atomic_write_u64(&slot->index_refreshed_at, (uint64) GetCurrentTimestamp());
	pg_atomic_write_u64(&slot->index_generation, generation);
}

static void
sum_slots(uint64 *v)
{
	int			i,
				j;

	memset(v, 0, sizeof(uint64) * CZ_NVALUES);
	for (i = 0; i < cz_shared->nslots; i++)
	{
		CzStatsSlot *slot = cz_slot(i);

		for (j = 0; j < CZ_NVALUES; j++)
			v[j] += pg_atomic_read_u64(&slot->values[j]);
	}
}

void
cz_stats_snapshot(CzStatsSnapshot *snap)
{
	int			i;
	TimestampTz now = GetCurrentTimestamp();

	memset(snap, 0, sizeof(CzStatsSnapshot));
	LWLockAcquire(cz_shared->lock, LW_SHARED);
	sum_slots(snap->v);
	for (i = 0; i < CZ_NVALUES; i++)
		snap->v[i] = snap->v[i] >= cz_shared->baseline[i] ? snap->v[i] - cz_shared->baseline[i] : 0;
	snap->stats_reset_at = cz_shared->stats_reset_at;
	snap->breaker_state = cz_breaker_state_now(now);
	snap->breaker_failures = pg_atomic_read_u32(&cz_shared->breaker_failures);
	snap->breaker_opened_at = (TimestampTz) pg_atomic_read_u64(&cz_shared->breaker_opened_at);
	snap->breaker_trips = cz_shared->breaker_trips;
	LWLockRelease(cz_shared->lock);

	snap->patterns_loaded = pg_atomic_read_u64(&cz_shared->patterns_loaded);
	snap->pattern_generation = cz_cache_generation();
	for (i = 0; i < cz_shared->nslots; i++)
	{
		CzStatsSlot *slot = cz_slot(i);
		uint64		gen;

		if (pg_atomic_read_u32(&slot->pid) == 0 || slot->dbid != MyDatabaseId)
			continue;
		gen = pg_atomic_read_u64(&slot->index_generation);
		if (gen == 0)
			continue;
		snap->live_backends++;
		if (gen < snap->pattern_generation)
			snap->stale_backends++;
	}
}

/*
 * The latency below which the given fraction of calls fall, interpolated
 * inside its histogram bucket; NaN without calls.
 */
double
cz_stats_percentile(const uint64 *hist, uint64 total, double fraction)
{
	double		rank = fraction * (double) total;
	double		seen = 0;
	int			b;

	if (total == 0)
		return get_float8_nan();
	for (b = 0; b < CZ_HIST_BUCKETS; b++)
	{
		double		lo,
					width;

		if (hist[b] == 0)
			continue;
		if (seen + (double) hist[b] >= rank)
		{
			hist_bucket_range(b, &lo, &width);
			return lo + width * (rank - seen) / (double) hist[b];
		}
		seen += (double) hist[b];
	}
	{
		double		lo,
					width;

		/* only reached through rounding: the top of the highest bucket */
		hist_bucket_range(CZ_HIST_BUCKETS - 1, &lo, &width);
		return lo + width;
	}
}

/* The columns categorize_stats() fills, in order. */
static const Oid stats_types[] = {
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,	/* calls .. short_circuited */
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, /* mean_us .. p99_us */
	INT8OID, INT8OID, FLOAT8OID, INT8OID,	/* index builds, failures, mean, refreshes */
	INT8OID, INT8OID, INT8OID, INT8OID, /* patterns_loaded .. pattern_generation */
	INT4OID, TEXTOID, INT4OID, TIMESTAMPTZOID, INT8OID, /* stale_backends, breaker */
	INT8OID, INT8OID, INT4OID, INT4OID, /* queue_depth .. workers_max */
	TIMESTAMPTZOID				/* stats_reset */
};

/* categorize._stats(): the one row of the categorize.stats view. */
PG_FUNCTION_INFO_V1(categorize_stats);
Datum
categorize_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	CzStatsSnapshot snap;
	CzBatchCounts batch = {0};
	Datum		values[lengthof(stats_types)];
	bool		nulls[lengthof(stats_types)] = {0};
	const uint64 *hist;
	uint64		timed;
	int			i = 0;

	cz_require_shared_state("categorize.stats");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cz_check_result_shape(tupdesc, stats_types, lengthof(stats_types), "categorize._stats()");
	tupdesc = BlessTupleDesc(tupdesc);

	cz_stats_snapshot(&snap);
	if (cz_batch_counts_hook)
		cz_batch_counts_hook(&batch);
	hist = &snap.v[CZ_NCOUNTERS];
	timed = snap.v[CZ_C_TIMED_CALLS];

	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_CALLS]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_CATEGORIZED]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_UNCATEGORIZED]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_ERRORS]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_TIMEOUTS]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_SHORT_CIRCUITED]);
	if (timed > 0)
	{
		values[i++] = Float8GetDatum((double) snap.v[CZ_C_ELAPSED_US] / (double) timed);
		values[i++] = Float8GetDatum(cz_stats_percentile(hist, timed, 0.50));
		values[i++] = Float8GetDatum(cz_stats_percentile(hist, timed, 0.95));
		values[i++] = Float8GetDatum(cz_stats_percentile(hist, timed, 0.99));
	}
	else
	{
		for (; i < 10; i++)
			nulls[i] = true;
	}
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_INDEX_BUILDS]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_INDEX_BUILD_FAILURES]);
	if (snap.v[CZ_C_INDEX_BUILDS] + snap.v[CZ_C_INDEX_BUILD_FAILURES] > 0)
		values[i++] = Float8GetDatum((double) snap.v[CZ_C_INDEX_BUILD_US] / 1000.0 /
									 (double) (snap.v[CZ_C_INDEX_BUILDS] + snap.v[CZ_C_INDEX_BUILD_FAILURES]));
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_INDEX_REFRESHES]);
	values[i++] = Int64GetDatum((int64) snap.patterns_loaded);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_CACHE_HITS]);
	values[i++] = Int64GetDatum((int64) snap.v[CZ_C_CACHE_MISSES]);
	values[i++] = Int64GetDatum((int64) snap.pattern_generation);
	values[i++] = Int32GetDatum(snap.stale_backends);
	values[i++] = CStringGetTextDatum(cz_breaker_state_name(snap.breaker_state));
	values[i++] = Int32GetDatum((int32) snap.breaker_failures);
	if (snap.breaker_opened_at != 0)
		values[i++] = TimestampTzGetDatum(snap.breaker_opened_at);
	else
		nulls[i++] = true;
	values[i++] = Int64GetDatum((int64) snap.breaker_trips);
	values[i++] = Int64GetDatum(batch.queue_depth);
	values[i++] = Int64GetDatum(batch.jobs_running);
	values[i++] = Int32GetDatum(batch.workers_running);
	values[i++] = Int32GetDatum(cz_max_workers);
	values[i++] = TimestampTzGetDatum(snap.stats_reset_at);
	Assert(i == lengthof(values));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* categorize.stats_reset(): start counting from zero. */
PG_FUNCTION_INFO_V1(categorize_stats_reset);
Datum
categorize_stats_reset(PG_FUNCTION_ARGS)
{
	TimestampTz now = GetCurrentTimestamp();

	cz_require_shared_state("categorize.stats_reset()");
	cz_check_admin("categorize.stats_reset()");

	LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
	sum_slots(cz_shared->baseline);
	cz_shared->stats_reset_at = now;
	cz_shared->breaker_trips = 0;
	LWLockRelease(cz_shared->lock);
	PG_RETURN_TIMESTAMPTZ(now);
}

static const Oid index_cache_types[] = {
	INT4OID, INT8OID, INT8OID, BOOLOID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID
};

/*
 * categorize.index_cache: one row per live backend of this database that
 * has built an index, with the pattern-set generation it was built from.
 */
PG_FUNCTION_INFO_V1(categorize_index_cache);
Datum
categorize_index_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		current;
	int			i;

	cz_require_shared_state("categorize.index_cache");
	InitMaterializedSRF(fcinfo, 0);
	cz_check_result_shape(rsinfo->setDesc, index_cache_types, lengthof(index_cache_types),
						  "categorize._index_cache()");
	current = cz_cache_generation();

	for (i = 0; i < cz_shared->nslots; i++)
	{
		CzStatsSlot *slot = cz_slot(i);
		uint32		pid = pg_atomic_read_u32(&slot->pid);
		uint64		gen;
		Datum		values[lengthof(index_cache_types)];
		bool		nulls[lengthof(index_cache_types)] = {0};
		uint64		refreshed_at;

		if (pid == 0 || slot->dbid != MyDatabaseId)
			continue;
		gen = pg_atomic_read_u64(&slot->index_generation);
		if (gen == 0)
			continue;
		values[0] = Int32GetDatum((int32) pid);
		values[1] = Int64GetDatum((int64) gen);
		values[2] = Int64GetDatum((int64) current);
		values[3] = BoolGetDatum(gen < current);
		values[4] = TimestampTzGetDatum((TimestampTz) pg_atomic_read_u64(&slot->index_built_at));
		values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->index_patterns));
		refreshed_at = pg_atomic_read_u64(&slot->index_refreshed_at);
		if (refreshed_at != 0)
			values[6] = TimestampTzGetDatum((TimestampTz) refreshed_at);
		else
			nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
