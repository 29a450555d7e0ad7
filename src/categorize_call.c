/*-------------------------------------------------------------------------
 *
 * categorize_call.c
 *	  One guarded categorization: the circuit breaker, the time budget,
 *	  error containment and statistics around cz_match().
 *
 *	  Every categorization (SQL functions, trigger, batch workers, learn)
 *	  goes through cz_categorize_guarded():
 *	    - breaker open → nothing is matched, the call is short-circuited;
 *	    - the index is fetched (rebuilt if patterns changed).  A failed
 *	      build counts as a breaker failure; with never_throw (the trigger)
 *	      the build runs in a subtransaction so its failure leaves the row
 *	      uncategorized instead of failing the insert;
 *	    - matching runs under categorize.time_budget (not counting the
 *	      index build) and inside PG_TRY: matching takes no locks, pins or
 *	      SPI, so an error in it (out of memory, a failing regex) can be
 *	      caught without a subtransaction and turns into a NULL answer.
 *	      What interrupt processing raises is never swallowed: matching
 *	      code checks for interrupts with CZ_CHECK_FOR_INTERRUPTS(), which
 *	      marks an error from ProcessInterrupts() (a cancel, a timeout, a
 *	      recovery conflict, a parallel worker's error) so that it
 *	      propagates whatever its SQLSTATE.
 *
 *	  Backend-local except for what cz_breaker_* and cz_stats_* touch in
 *	  shared memory (see shmem.c for their locking).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "categorize.h"

/* set while ProcessInterrupts() runs for cz_process_interrupts() */
static bool interrupt_raised = false;
static bool deadline_active = false;
static instr_time deadline_start;
static double deadline_budget_ms;
static bool build_failure_warned = false;

bool
cz_deadline_passed(void)
{
	instr_time	now;

	if (!deadline_active)
		return false;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, deadline_start);
	return INSTR_TIME_GET_MILLISEC(now) > deadline_budget_ms;
}

/*
 * Microseconds left of the running call's time budget: -1 when no budget
 * is running, 0 once it is spent.  Used by the regex budget.
 */
int64
cz_deadline_remaining_us(void)
{
	instr_time	now;
	double		left_ms;

	if (!deadline_active)
		return -1;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, deadline_start);
	left_ms = deadline_budget_ms - INSTR_TIME_GET_MILLISEC(now);
	return left_ms > 0 ? (int64) (left_ms * 1000.0) + 1 : 0;
}

/*
 * Identifies the running call's budget (its start, in microseconds): 0
 * when no budget is running.
 */
uint64
cz_deadline_id(void)
{
	if (!deadline_active)
		return 0;
	return Max(INSTR_TIME_GET_MICROSEC(deadline_start), 1);
}

/* A regex ran out of the running call's budget (no clock read). */
bool
cz_deadline_expired(void)
{
	return deadline_active && deadline_budget_ms < 0;
}

/* The running call's budget is spent (a regex ran out of it). */
void
cz_deadline_expire(void)
{
	if (deadline_active)
		deadline_budget_ms = -1.0;
}

void
cz_process_interrupts(void)
{
	/* if ProcessInterrupts() throws, the flag stays set for the catcher */
	interrupt_raised = true;
	ProcessInterrupts();
	interrupt_raised = false;
}

/*
 * Errors that must reach the caller rather than become a NULL answer or
 * an uncategorized row: whatever interrupt processing raised inside the
 * match (cz_process_interrupts), a cancel or a timeout, a shutdown, a
 * serialization failure (also a recovery conflict's: the transaction or
 * statement must be retried), and anything worse than ERROR.
 */
static bool
must_propagate(ErrorData *edata)
{
	return interrupt_raised ||
		edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		edata->elevel > ERROR;
}

/*
 * Fetch the index in a subtransaction, so that a failing build (say a
 * pattern table made unreadable) cannot abort the caller's transaction.
 * Returns NULL on failure.
 */
static struct CzIndex *
index_get_contained(bool *rebuilt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	struct CzIndex *volatile index = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	interrupt_raised = false;
	PG_TRY();
	{
		index = cz_index_get(rebuilt);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (must_propagate(edata))
		{
			interrupt_raised = false;
			ReThrowError(edata);
		}
		if (!build_failure_warned)
		{
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("categorize could not build its pattern index: %s", edata->message),
					 errdetail("Rows are left uncategorized until the index builds.")));
			build_failure_warned = true;
		}
		FreeErrorData(edata);
		index = NULL;
	}
	PG_END_TRY();
	return index;
}

CzOutcome
cz_categorize_guarded(CzExpense *expense, CzResult *result, bool never_throw,
					  bool with_evidence)
{
	instr_time	start,
				end;
	struct CzIndex *index;
	bool		rebuilt = false;
	CzOutcome	outcome;
	MemoryContext oldcxt = CurrentMemoryContext;

	memset(result, 0, sizeof(CzResult));
	INSTR_TIME_SET_CURRENT(start);

	if (!cz_breaker_allow())
	{
		cz_stats_record_call(CZ_OUTCOME_SHORT_CIRCUITED, 0, true);
		return CZ_OUTCOME_SHORT_CIRCUITED;
	}

	if (never_throw && !cz_index_is_current())
		index = index_get_contained(&rebuilt);
	else
	{
		PG_TRY();
		{
			index = cz_index_get(&rebuilt);
		}
		PG_CATCH();
		{
			cz_breaker_record(false);
			cz_stats_record_call(CZ_OUTCOME_ERROR, 0, false);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	if (index == NULL)
	{
		cz_breaker_record(false);
		cz_stats_record_call(CZ_OUTCOME_ERROR, 0, false);
		return CZ_OUTCOME_ERROR;
	}
	if (rebuilt)
		build_failure_warned = false;

	/*
	 * The budget covers matching, not an index build: the clock is read
	 * again only after one.  Matching reads it on long texts and between
	 * regexes; the end of the call is checked against it here.
	 */
	if (cz_time_budget_ms > 0)
	{
		if (rebuilt || never_throw)
			INSTR_TIME_SET_CURRENT(deadline_start);
		else
			deadline_start = start;
		deadline_budget_ms = cz_time_budget_ms;
		deadline_active = true;
	}

	interrupt_raised = false;
	PG_TRY();
	{
		bool		over_budget = false;

		cz_match(index, expense, result, Max(cz_max_alternatives, 1), with_evidence);
		INSTR_TIME_SET_CURRENT(end);
		if (deadline_active)
		{
			instr_time	spent = end;

			INSTR_TIME_SUBTRACT(spent, deadline_start);
			over_budget = INSTR_TIME_GET_MILLISEC(spent) > deadline_budget_ms;
		}
		deadline_active = false;
		if (result->timed_out || over_budget)
			outcome = CZ_OUTCOME_TIMEOUT;
		else if (result->ncandidates > 0 &&
				 result->candidates[0].confidence >= cz_min_confidence)
			outcome = CZ_OUTCOME_CATEGORIZED;
		else
			outcome = CZ_OUTCOME_UNCATEGORIZED;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		deadline_active = false;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (must_propagate(edata))
		{
			interrupt_raised = false;
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		FlushErrorState();
		ereport(DEBUG1,
				(errmsg("categorize: error while matching, answering NULL: %s",
						edata->message)));
		FreeErrorData(edata);
		memset(result, 0, sizeof(CzResult));
		outcome = CZ_OUTCOME_ERROR;
		INSTR_TIME_SET_CURRENT(end);
	}
	PG_END_TRY();

	if (outcome == CZ_OUTCOME_TIMEOUT)
		memset(result, 0, sizeof(CzResult));

	INSTR_TIME_SUBTRACT(end, start);
	cz_breaker_record(outcome != CZ_OUTCOME_ERROR && outcome != CZ_OUTCOME_TIMEOUT);
	cz_stats_record_call(outcome, (int64) INSTR_TIME_GET_MICROSEC(end), !rebuilt);
	return outcome;
}
