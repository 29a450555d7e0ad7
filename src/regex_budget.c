/*-------------------------------------------------------------------------
 *
 * regex_budget.c
 *	  categorize.time_budget enforced inside pg_regexec(), so a hostile
 *	  regex or a huge text cannot hold a backend.
 *
 *	  PostgreSQL's regex engine polls for a query cancel (InterruptPending
 *	  with QueryCancelPending) and gives up with REG_CANCEL.  At the first
 *	  regex of a call under a budget we arm a timeout for what is left of
 *	  the call's budget (once per call, not per regex: re-arming replaces
 *	  the previous call's timeout, which is otherwise left to expire
 *	  harmlessly).  When it fires, the budget is spent; if a regex is
 *	  running, the handler also raises a cancel request, remembering
 *	  whether one was already pending.  After the regex returns, the
 *	  request is withdrawn only if we raised it and no SIGINT arrived
 *	  since the regex started (counted by a SIGINT handler chained in front
 *	  of the backend's own); then any real interrupt is serviced with
 *	  CHECK_FOR_INTERRUPTS() and the call's deadline is marked passed.  So
 *	  a user's cancel, a statement_timeout or a terminate request arriving
 *	  meanwhile is never swallowed.
 *
 *	  Arming costs no system call in the common case: PostgreSQL's timeout
 *	  machinery keeps the interval timer when the new deadline is later
 *	  than the pending signal.
 *
 *	  Backend-local; no shared state.  The flags below are written by
 *	  signal handlers, hence volatile sig_atomic_t.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <signal.h>

#include "libpq/pqsignal.h"
#include "miscadmin.h"
#include "utils/timeout.h"

#include "categorize.h"
#include "regex_budget.h"

static bool budget_ready = false;
static bool budget_unavailable = false;
static TimeoutId budget_timeout;
static pqsigfunc previous_sigint = NULL;
static uint64 armed_call = 0;	/* cz_deadline_id() the timeout is armed for */
static uint64 spent_call = 0;	/* cz_deadline_id() whose budget ran out here */

static volatile sig_atomic_t regex_running = false;
static volatile sig_atomic_t budget_fired = false;
static volatile sig_atomic_t cancel_raised_by_us = false;
static volatile sig_atomic_t sigint_count = 0;

/* SIGINT: count it, then let the backend's handler do its work. */
static void
counting_sigint_handler(SIGNAL_ARGS)
{
	sigint_count++;
	if (previous_sigint != NULL)
		previous_sigint(postgres_signal_arg);
}

/* The budget ran out (timeout handler: called from the SIGALRM handler). */
static void
budget_timeout_handler(void)
{
	budget_fired = true;
	if (regex_running && !QueryCancelPending)
	{
		cancel_raised_by_us = true;
		QueryCancelPending = true;
		InterruptPending = true;
	}
}

static bool
prepare_budget(void)
{
	pqsigfunc	previous;

	if (budget_ready)
		return true;
	if (budget_unavailable)
		return false;
	previous = pqsignal(SIGINT, counting_sigint_handler);
	if (previous == SIG_ERR || previous == SIG_IGN || previous == SIG_DFL)
	{
		/* no cancel handler to chain to: leave SIGINT alone, no budget here */
		if (previous != SIG_ERR)
			pqsignal(SIGINT, previous);
		budget_unavailable = true;
		return false;
	}
	previous_sigint = previous;
	budget_timeout = RegisterTimeout(USER_TIMEOUT, budget_timeout_handler);
	budget_ready = true;
	return true;
}

/*
 * Withdraw the cancel request we raised, unless a SIGINT came in since
 * sigint_mark (then the request may be the user's, and it stands) or our
 * SIGINT handler was replaced (then we cannot tell).  Signals are blocked
 * while deciding, so none can slip between the check and the clear.
 */
static void
withdraw_our_cancel(sig_atomic_t sigint_mark)
{
	sigset_t	saved;
	struct sigaction current;

	sigprocmask(SIG_BLOCK, &BlockSig, &saved);
	if (cancel_raised_by_us && sigint_count == sigint_mark &&
		sigaction(SIGINT, NULL, &current) == 0 &&
		current.sa_handler == counting_sigint_handler)
		QueryCancelPending = false;
	cancel_raised_by_us = false;
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

/*
 * pg_regexec() on the whole of data, within what is left of the call's
 * time budget.  When the budget runs out, returns REG_NOMATCH with the
 * call's deadline marked passed (cz_deadline_passed() is then true).
 * Other results are pg_regexec()'s.
 */
int
cz_regexec_budgeted(regex_t *re, pg_wchar *data, int len)
{
	uint64		call = cz_deadline_id();
	sig_atomic_t sigint_mark;
	int			rc;

	if (call == 0 || !prepare_budget())
		return pg_regexec(re, data, len, 0, NULL, 0, NULL, 0);

	if (call != armed_call)
	{
		int64		left_us = cz_deadline_remaining_us();

		if (left_us <= 0)
		{
			spent_call = call;
			return REG_NOMATCH; /* cz_deadline_passed() says so already */
		}
		/* round up: the timer never fires before the budget is spent */
		enable_timeout_after(budget_timeout, (int) Min((left_us + 999) / 1000, INT_MAX));
		/* only now: the previous call's timeout can no longer fire */
		budget_fired = false;
		cancel_raised_by_us = false;
		armed_call = call;
	}
	if (budget_fired)
	{
		spent_call = call;
		cz_deadline_expire();
		return REG_NOMATCH;
	}

	sigint_mark = sigint_count;
	regex_running = true;
	PG_TRY();
	{
		rc = pg_regexec(re, data, len, 0, NULL, 0, NULL, 0);
	}
	PG_FINALLY();
	{
		regex_running = false;
		if (cancel_raised_by_us)
			withdraw_our_cancel(sigint_mark);
	}
	PG_END_TRY();

	if (budget_fired)
	{
		CZ_CHECK_FOR_INTERRUPTS();
		spent_call = call;
		cz_deadline_expire();
		return REG_NOMATCH;
	}
	return rc;
}

/*
 * True once the running call's budget ran out in a regex: the remaining
 * regexes need not even prepare their text.
 */
bool
cz_regex_budget_spent(void)
{
	return spent_call != 0 && spent_call == cz_deadline_id();
}
