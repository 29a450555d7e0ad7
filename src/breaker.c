/*-------------------------------------------------------------------------
 *
 * breaker.c
 *	  The circuit breaker shared by every backend, and
 *	  categorize.breaker_reset().
 *
 *	  closed --(breaker_failure_threshold consecutive failures)--> open
 *	  open --(breaker_reset_timeout elapsed, next call is the probe)--> half_open
 *	  half_open --(probe succeeds)--> closed
 *	  half_open --(probe fails)--> open (the timeout starts again)
 *
 *	  Failures are what categorize_call.c reports: errors while matching,
 *	  calls over categorize.time_budget, index builds that fail.  Only the
 *	  probe decides the half-open state; late results of calls admitted
 *	  before the breaker opened do not.  A probe whose backend never
 *	  reports (cancelled, terminated) expires after another reset timeout,
 *	  and the next call becomes the probe.
 *
 *	  Locking: every state transition happens under CzShared.lock.  The
 *	  closed-state fast path of cz_breaker_allow() is one atomic read; an
 *	  open breaker is checked against its open time without the lock.  A
 *	  success writes shared memory only when the consecutive-failure
 *	  counter is not already zero; a failure is one atomic increment and
 *	  takes the lock only when it reaches the threshold.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "categorize.h"
#include "shared_state.h"

/* This backend holds the half-open probe taken at probe_taken_at. */
static bool probe_held = false;
static TimestampTz probe_taken_at = 0;

static inline TimestampTz
reset_deadline(TimestampTz since)
{
	return since + (TimestampTz) cz_breaker_reset_timeout_s * USECS_PER_SEC;
}

/* Must be called with the lock held. */
static void
open_locked(TimestampTz now)
{
	pg_atomic_write_u64(&cz_shared->breaker_opened_at, (uint64) now);
	pg_atomic_write_u32(&cz_shared->breaker_state, CZ_BREAKER_OPEN);
	cz_shared->probe_pid = 0;
	cz_shared->breaker_trips++;
}

/*
 * Take the probe if the breaker is (still) open past its timeout, or
 * half-open with an expired probe.  Lock taken here.
 */
static bool
try_take_probe(void)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		taken = false;

	LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
	switch (pg_atomic_read_u32(&cz_shared->breaker_state))
	{
		case CZ_BREAKER_CLOSED:
			/* closed meanwhile: an ordinary call */
			LWLockRelease(cz_shared->lock);
			return true;
		case CZ_BREAKER_OPEN:
			taken = now >= reset_deadline((TimestampTz) pg_atomic_read_u64(&cz_shared->breaker_opened_at));
			break;
		case CZ_BREAKER_HALF_OPEN:
			taken = now >= reset_deadline((TimestampTz) pg_atomic_read_u64(&cz_shared->probe_started_at));
			break;
	}
	if (taken)
	{
		pg_atomic_write_u64(&cz_shared->probe_started_at, (uint64) now);
		pg_atomic_write_u32(&cz_shared->breaker_state, CZ_BREAKER_HALF_OPEN);
		cz_shared->probe_pid = MyProcPid;
		probe_held = true;
		probe_taken_at = now;
	}
	LWLockRelease(cz_shared->lock);
	return taken;
}

/*
 * May a categorization run now?  Closed: yes, lock-free.  Open before its
 * timeout, or half-open with the probe out: no.  Otherwise this call
 * becomes the probe.
 */
bool
cz_breaker_allow(void)
{
	uint32		state;
	TimestampTz since;

	if (cz_shared == NULL)
		return true;
	state = pg_atomic_read_u32(&cz_shared->breaker_state);
	if (likely(state == CZ_BREAKER_CLOSED))
		return true;

	since = (TimestampTz) pg_atomic_read_u64(state == CZ_BREAKER_OPEN ?
											 &cz_shared->breaker_opened_at :
											 &cz_shared->probe_started_at);
	if (GetCurrentTimestamp() < reset_deadline(since))
		return false;
	return try_take_probe();
}

/*
 * Peek for batch workers: true while calls would be refused, that is
 * open before its timeout or half-open with the probe out.  Never takes
 * the probe: when it answers false on a breaker that is not closed, the
 * next cz_breaker_allow() will (and the calls after it are refused until
 * the probe reports).
 */
bool
cz_breaker_is_open(void)
{
	uint32		state;
	TimestampTz since;

	if (cz_shared == NULL)
		return false;
	state = pg_atomic_read_u32(&cz_shared->breaker_state);
	if (likely(state == CZ_BREAKER_CLOSED))
		return false;
	since = (TimestampTz) pg_atomic_read_u64(state == CZ_BREAKER_OPEN ?
											 &cz_shared->breaker_opened_at :
											 &cz_shared->probe_started_at);
	return GetCurrentTimestamp() < reset_deadline(since);
}

/* The probe this backend holds reports; false if it is no longer ours. */
static bool
probe_reports(bool success)
{
	bool		ours;

	probe_held = false;
	LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
	ours = pg_atomic_read_u32(&cz_shared->breaker_state) == CZ_BREAKER_HALF_OPEN &&
		cz_shared->probe_pid == MyProcPid &&
		(TimestampTz) pg_atomic_read_u64(&cz_shared->probe_started_at) == probe_taken_at;
	if (ours)
	{
		if (success)
		{
			pg_atomic_write_u32(&cz_shared->breaker_failures, 0);
			pg_atomic_write_u32(&cz_shared->breaker_state, CZ_BREAKER_CLOSED);
			cz_shared->probe_pid = 0;
		}
		else
			open_locked(GetCurrentTimestamp());
	}
	LWLockRelease(cz_shared->lock);
	return ours;
}

void
cz_breaker_record(bool success)
{
	uint32		failures;

	if (cz_shared == NULL)
		return;
	if (unlikely(probe_held) && probe_reports(success))
		return;

	if (likely(success))
	{
		if (unlikely(pg_atomic_read_u32(&cz_shared->breaker_failures) != 0))
			pg_atomic_write_u32(&cz_shared->breaker_failures, 0);
		return;
	}

	failures = pg_atomic_add_fetch_u32(&cz_shared->breaker_failures, 1);
	if (failures >= (uint32) cz_breaker_failure_threshold &&
		pg_atomic_read_u32(&cz_shared->breaker_state) == CZ_BREAKER_CLOSED)
	{
		LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
		if (pg_atomic_read_u32(&cz_shared->breaker_state) == CZ_BREAKER_CLOSED &&
			pg_atomic_read_u32(&cz_shared->breaker_failures) >= (uint32) cz_breaker_failure_threshold)
			open_locked(GetCurrentTimestamp());
		LWLockRelease(cz_shared->lock);
	}
}

/*
 * The state as users see it: an open breaker whose timeout has passed is
 * half-open (its next call is the probe).
 */
int
cz_breaker_state_now(TimestampTz now)
{
	uint32		state = pg_atomic_read_u32(&cz_shared->breaker_state);

	if (state == CZ_BREAKER_OPEN &&
		now >= reset_deadline((TimestampTz) pg_atomic_read_u64(&cz_shared->breaker_opened_at)))
		return CZ_BREAKER_HALF_OPEN;
	return (int) state;
}

const char *
cz_breaker_state_name(int state)
{
	switch (state)
	{
		case CZ_BREAKER_OPEN:
			return "open";
		case CZ_BREAKER_HALF_OPEN:
			return "half_open";
		default:
			return "closed";
	}
}

/* categorize.breaker_reset(): close the breaker now.  Returns the state it had. */
PG_FUNCTION_INFO_V1(categorize_breaker_reset);
Datum
categorize_breaker_reset(PG_FUNCTION_ARGS)
{
	int			previous;

	cz_require_shared_state("categorize.breaker_reset()");
	cz_check_admin("categorize.breaker_reset()");

	LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
	previous = cz_breaker_state_now(GetCurrentTimestamp());
	pg_atomic_write_u32(&cz_shared->breaker_failures, 0);
	pg_atomic_write_u32(&cz_shared->breaker_state, CZ_BREAKER_CLOSED);
	cz_shared->probe_pid = 0;
	LWLockRelease(cz_shared->lock);
	probe_held = false;

	PG_RETURN_TEXT_P(cstring_to_text(cz_breaker_state_name(previous)));
}
