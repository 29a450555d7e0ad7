/*-------------------------------------------------------------------------
 *
 * shared_state.h
 *	  Private layout of categorize's shared memory, shared by shmem.c
 *	  (allocation, hooks, pattern-set generations), breaker.c (circuit
 *	  breaker), stats.c (statistics) and health.c (health grades).
 *
 *	  Locking rules, in one place:
 *	    - CzShared.lock (one LWLock of the "categorize" tranche) guards
 *	      every breaker state transition, the statistics baseline and
 *	      reset time, and claiming a database's generation entry.
 *	    - Breaker state, consecutive failures, open and probe times are
 *	      pg_atomic values so the hot path reads them without the lock;
 *	      they are only ever changed with the lock held, except the
 *	      consecutive-failure counter, which is an atomic counter.
 *	    - Each backend writes only its own statistics slot (indexed by
 *	      its pgprocno), without a lock and without locked instructions:
 *	      counters are single-writer pg_atomic_uint64 values, so readers
 *	      summing the slots never see torn values.  Nobody else writes a
 *	      slot; stats_reset() moves a baseline instead of zeroing slots.
 *	    - Generations are atomic counters, bumped at commit.  Each
 *	      database's entry has a spinlock over its list of pattern
 *	      commits in flight; the generation and the registration counter
 *	      are changed only with it held (and read without it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_SHARED_STATE_H
#define CZ_SHARED_STATE_H

#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

/* Counters kept per backend; summed for the stats view. */
typedef enum CzCounter
{
	CZ_C_CALLS,
	CZ_C_CATEGORIZED,
	CZ_C_UNCATEGORIZED,
	CZ_C_ERRORS,
	CZ_C_TIMEOUTS,
	CZ_C_SHORT_CIRCUITED,
	CZ_C_TIMED_CALLS,			/* calls with a measured latency */
	CZ_C_ELAPSED_US,			/* their total latency */
	CZ_C_CACHE_HITS,
	CZ_C_CACHE_MISSES,
	CZ_C_INDEX_BUILDS,
	CZ_C_INDEX_BUILD_FAILURES,
	CZ_C_INDEX_BUILD_US,
	CZ_C_INDEX_REFRESHES,		/* weight changes taken in place */
	CZ_NCOUNTERS
} CzCounter;

/*
 * Latency histogram: values below 16 µs have a bucket each; above, every
 * power of two is split into 8 buckets (at most 12.5% wide), up to
 * 2^40 µs.  Percentiles interpolate inside a bucket.
 */
#define CZ_HIST_EXACT		16
#define CZ_HIST_SUB_BITS	3
#define CZ_HIST_SUB			(1 << CZ_HIST_SUB_BITS)
#define CZ_HIST_MAX_EXP		40
#define CZ_HIST_BUCKETS		(CZ_HIST_EXACT + (CZ_HIST_MAX_EXP - 4 + 1) * CZ_HIST_SUB)

/* Everything a slot sums: the counters, then the histogram. */
#define CZ_NVALUES			(CZ_NCOUNTERS + CZ_HIST_BUCKETS)

typedef struct CzStatsSlot
{
	pg_atomic_uint64 values[CZ_NVALUES];

	/* this backend's index cache, for categorize.index_cache */
	pg_atomic_uint32 pid;		/* 0: no live backend */
	Oid			dbid;
	pg_atomic_uint64 index_generation;	/* 0: no index built */
	pg_atomic_uint64 index_built_at;	/* TimestampTz */
	pg_atomic_uint64 index_refreshed_at;	/* TimestampTz; 0: not since built */
	pg_atomic_uint64 index_patterns;
} CzStatsSlot;

/* Breaker states (CzShared.breaker_state). */
#define CZ_BREAKER_CLOSED		0
#define CZ_BREAKER_OPEN			1
#define CZ_BREAKER_HALF_OPEN	2

/*
 * Pattern-set generation of one database, and its pattern commits in
 * flight: transactions that changed patterns and are between their
 * pre-commit and the end of their commit (see shmem.c).
 */
#define CZ_MAX_DATABASES	64
#define CZ_MAX_COMMITTING	16
typedef struct CzDbGeneration
{
	pg_atomic_uint32 dbid;		/* InvalidOid: free (last entry: overflow) */
	pg_atomic_uint64 generation;
	pg_atomic_uint64 registrations; /* commits ever entered in the list */
	slock_t		mutex;			/* guards the list, and changes of the two
								 * counters */
	int			ncommitting;
	TransactionId committing[CZ_MAX_COMMITTING];
} CzDbGeneration;

typedef struct CzShared
{
	LWLock	   *lock;

	/* circuit breaker */
	pg_atomic_uint32 breaker_state;
	pg_atomic_uint32 breaker_failures;	/* consecutive */
	pg_atomic_uint64 breaker_opened_at; /* TimestampTz */
	pg_atomic_uint64 probe_started_at;	/* TimestampTz, half-open */
	int			probe_pid;		/* lock */
	uint64		breaker_trips;	/* lock: times it opened */

	/* statistics */
	pg_atomic_uint64 patterns_loaded;	/* by the latest successful build */
	TimestampTz stats_reset_at; /* lock */
	uint64		baseline[CZ_NVALUES];	/* lock: sums at the last reset */

	/* pattern-set generations, the last entry shared by overflow */
	CzDbGeneration generations[CZ_MAX_DATABASES + 1];

	int			nslots;
	Size		slot_stride;
	char	   *slots;			/* nslots * slot_stride, cache-line aligned */
} CzShared;

/* NULL unless preloaded and attached. */
extern CzShared *cz_shared;

static inline CzStatsSlot *
cz_slot(int i)
{
	return (CzStatsSlot *) (cz_shared->slots + (Size) i * cz_shared->slot_stride);
}

/* Totals since the last reset, read for the views and health(). */
typedef struct CzStatsSnapshot
{
	uint64		v[CZ_NVALUES];
	uint64		patterns_loaded;
	uint64		pattern_generation; /* this database's */
	int			live_backends;	/* with an index for this database */
	int			stale_backends;
	TimestampTz stats_reset_at;
	int			breaker_state;	/* CZ_BREAKER_*, as seen now */
	uint32		breaker_failures;
	TimestampTz breaker_opened_at;	/* 0: never */
	uint64		breaker_trips;
} CzStatsSnapshot;

/* shmem.c */
extern uint64 cz_generation_of(Oid dbid);
extern void cz_check_admin(const char *what);

/* breaker.c */
extern int	cz_breaker_state_now(TimestampTz now);
extern const char *cz_breaker_state_name(int state);

/* stats.c */
extern void cz_stats_snapshot(CzStatsSnapshot *snap);
extern double cz_stats_percentile(const uint64 *hist, uint64 total, double fraction);

/* health.c */
extern void cz_health_define_settings(void);

#endif							/* CZ_SHARED_STATE_H */
