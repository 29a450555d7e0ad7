/*-------------------------------------------------------------------------
 *
 * categorize.h
 *	  Declarations shared by the categorize extension's source files:
 *	  settings (GUC variables), the hooks each subsystem exposes to
 *	  _PG_init, and the categorization entry point used by the SQL
 *	  functions, the trigger, learning and the batch workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CATEGORIZE_H
#define CATEGORIZE_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/snapshot.h"

/* ---- settings (defined in categorize.c) ---- */
extern double cz_min_confidence;
extern double cz_fuzzy_threshold;
extern int	cz_fuzzy_max_candidates;
extern bool cz_regex_dfa;
extern int	cz_time_budget_ms;
extern int	cz_max_alternatives;
extern int	cz_breaker_failure_threshold;
extern int	cz_breaker_reset_timeout_s;
extern int	cz_max_workers;
extern int	cz_batch_chunk_rows;
extern int	cz_queue_capacity;
extern int	cz_sync_batch_rows;
extern bool cz_learning;

/* True when loaded through shared_preload_libraries. */
extern bool cz_preloaded;

/*
 * One expense, as the matcher sees it.  Text fields point at the caller's
 * (detoasted) data and are not NUL-terminated; a NULL field has ptr NULL.
 * Amount, time and user are kept raw and converted on first use by
 * cz_expense_amount(), cz_expense_time() and cz_expense_user(), since most
 * calls never need them.
 */
typedef struct CzExpense
{
	const char *description;
	int			description_len;
	const char *merchant;
	int			merchant_len;

	Oid			amount_type;	/* InvalidOid: NULL or no such column */
	Datum		amount;
	Oid			when_type;		/* DATEOID, TIMESTAMPOID, TIMESTAMPTZOID */
	Datum		when;
	Oid			user_type;
	Datum		user;
	FmgrInfo   *user_out;		/* output function for non-text user ids */

	/* conversion cache */
	bool		amount_done;
	bool		has_amount;
	double		amount_value;
	bool		time_done;
	bool		has_time;		/* a time of day is known */
	bool		has_date;		/* a day of week is known */
	int			minute_of_day;	/* 0 .. 1439 */
	int			day_of_week;	/* 0 = Sunday .. 6 = Saturday */
	bool		user_done;
	const char *user_id;		/* NUL-terminated, or NULL */
} CzExpense;

/* Bits of CzCandidate.methods, in order of strength. */
#define CZ_M_MERCHANT_EXACT		0x0001
#define CZ_M_MERCHANT_WORDS		0x0002
#define CZ_M_KEYWORD			0x0004
#define CZ_M_DESCRIPTION		0x0008
#define CZ_M_REGEX				0x0010
#define CZ_M_MERCHANT_FUZZY		0x0020
#define CZ_M_AMOUNT_RANGE		0x0040
#define CZ_M_TIME				0x0080

/* One category that matched an expense, with the evidence for it. */
typedef struct CzCandidate
{
	int64		category_id;
	int32		category_index; /* into the index's category table */
	double		confidence;
	float		best_weight;
	uint32		methods;		/* CZ_M_* bits */
	int32		npatterns;		/* the patterns that matched; amount and
								 * time patterns only when the evidence is
								 * asked for (explain, learn) */
	int32		first_pattern;	/* into CzResult.pattern_index */
} CzCandidate;

typedef struct CzResult
{
	int			ncandidates;	/* sorted best first */
	CzCandidate *candidates;
	int32	   *pattern_index;	/* pattern positions in the index */
	bool		timed_out;
} CzResult;

/* Outcome of one categorization, for statistics and the breaker. */
typedef enum CzOutcome
{
	CZ_OUTCOME_CATEGORIZED,
	CZ_OUTCOME_UNCATEGORIZED,
	CZ_OUTCOME_ERROR,
	CZ_OUTCOME_TIMEOUT,
	CZ_OUTCOME_SHORT_CIRCUITED
} CzOutcome;

struct CzIndex;

/* ---- pattern_index.c ---- */
extern struct CzIndex *cz_index_get(bool *rebuilt);
extern bool cz_index_is_current(void);
extern void cz_index_init_callbacks(void);
extern int64 cz_index_pattern_id(struct CzIndex *index, int32 pattern_index);
extern const char *cz_index_category_name(struct CzIndex *index, int32 category_index);
extern int	cz_index_pattern_count(struct CzIndex *index);

/* ---- scoring.c ---- */
extern void cz_match(struct CzIndex *index, CzExpense *expense,
					 CzResult *result, int max_candidates,
					 bool with_evidence);
extern const char *cz_methods_text(uint32 methods);

/* ---- expense.c ---- */
typedef struct CzColumnMap CzColumnMap;
extern CzColumnMap *cz_column_map(TupleDesc tupdesc, MemoryContext cxt,
								  CzColumnMap *previous);
extern void cz_expense_from_tuple(CzColumnMap *map, HeapTuple tuple,
								  TupleDesc tupdesc, CzExpense *expense);
extern void cz_column_map_values(CzColumnMap *map, Datum **values,
								 bool **isnull);
extern void cz_expense_from_values(CzExpense *expense, text *description,
								   text *merchant, Datum amount, Oid amount_type,
								   Datum when, Oid when_type);
extern bool cz_expense_amount(CzExpense *expense, double *amount);
extern bool cz_numeric_to_double(Datum numeric, double *out);
extern void cz_expense_time(CzExpense *expense);
extern const char *cz_expense_user(CzExpense *expense);

/* ---- categorize_call.c: guarded categorization (breaker, budget, stats) ---- */
extern CzOutcome cz_categorize_guarded(CzExpense *expense, CzResult *result,
									   bool never_throw, bool with_evidence);

/* ---- shared state (shmem.c); no-ops unless preloaded ---- */
extern void cz_shmem_init(void);	/* from _PG_init: hooks */
extern bool cz_breaker_allow(void);
extern bool cz_breaker_is_open(void);	/* peek, never takes the probe */
extern void cz_breaker_record(bool success);
extern void cz_stats_record_call(CzOutcome outcome, int64 elapsed_us,
								 bool cache_hit);
extern void cz_stats_record_index_build(bool ok, int64 build_us, int npatterns);
extern void cz_stats_record_index_refresh(int npatterns);
extern void cz_require_shared_state(const char *what);

/* index-cache state (shmem.c, stats.c): pattern-set generations */
extern uint64 cz_cache_generation(void);
extern uint64 cz_cache_build_begin(void);	/* before building: generation */
extern void cz_cache_build_snapshot(Snapshot snapshot);
extern bool cz_cache_index_outdated(uint64 generation);
extern int	cz_test_commit_delay_ms;
extern void cz_cache_index_built(uint64 generation);
extern void cz_cache_index_refreshed(uint64 generation);
extern void cz_cache_note_pattern_change(void); /* from the statement trigger */

/*
 * Batch counts for the categorize.stats view: the batch subsystem sets
 * cz_batch_counts_hook (from _PG_init) to a function filling them from
 * its own shared state; without it they read 0.
 */
typedef struct CzBatchCounts
{
	int64		queue_depth;	/* chunks waiting in the queue */
	int64		jobs_running;	/* jobs queued or running */
	int32		workers_running;	/* background workers at work */
} CzBatchCounts;
typedef void (*cz_batch_counts_hook_type) (CzBatchCounts *counts);
extern cz_batch_counts_hook_type cz_batch_counts_hook;

/* ---- result_shape.c ---- */
extern void cz_check_result_shape(TupleDesc tupdesc, const Oid *types, int ncolumns,
								  const char *what);

/* ---- normalize.c ---- */
extern int	cz_normalize(const char *in, int len, char *out);
#define CZ_NORMALIZED_MAX(len) ((len) + 2)

/* ---- deadline (categorize_call.c) ---- */
extern bool cz_deadline_passed(void);
extern int64 cz_deadline_remaining_us(void);	/* -1: no budget running */
extern uint64 cz_deadline_id(void); /* 0: no budget running */
extern void cz_deadline_expire(void);
extern bool cz_deadline_expired(void);	/* cz_deadline_expire() was called */

/*
 * CHECK_FOR_INTERRUPTS() for code that runs inside a guarded match, whose
 * errors become a NULL answer: an error ProcessInterrupts() raises there
 * (a cancel, a timeout, a recovery conflict, a parallel worker's error) is
 * marked as such and always reaches the caller, whatever its SQLSTATE.
 */
extern void cz_process_interrupts(void);
#define CZ_CHECK_FOR_INTERRUPTS() \
	do { \
		if (INTERRUPTS_PENDING_CONDITION()) \
			cz_process_interrupts(); \
	} while (0)

#endif							/* CATEGORIZE_H */
