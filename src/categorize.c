/*-------------------------------------------------------------------------
 *
 * categorize.c
 *	  Module load: settings (categorize.*), shared memory hooks and the
 *	  background worker registration of the subsystems.
 *
 *	  Shared memory and the supervisor worker exist only when the library
 *	  is loaded through shared_preload_libraries (cz_preloaded); without
 *	  it categorization still works, and whatever needs shared state says
 *	  so with an error (cz_require_shared_state).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "batch.h"
#include "categorize.h"

double		cz_min_confidence = 0.5;
double		cz_fuzzy_threshold = 0.5;
int			cz_fuzzy_max_candidates = 128;
bool		cz_regex_dfa = true;
int			cz_time_budget_ms = 25;
int			cz_max_alternatives = 5;
int			cz_breaker_failure_threshold = 5;
int			cz_breaker_reset_timeout_s = 30;
int			cz_max_workers = 2;
int			cz_batch_chunk_rows = 10000;
int			cz_queue_capacity = 1024;
int			cz_sync_batch_rows = 50000;
bool		cz_learning = true;

bool		cz_preloaded = false;

void		_PG_init(void);

static void
define_settings(void)
{
	DefineCustomRealVariable("categorize.min_confidence",
							 "Lowest confidence at which a category is assigned.",
							 "Below it categorize() returns NULL; explain() still lists the candidates.",
							 &cz_min_confidence, 0.5, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("categorize.fuzzy_threshold",
							 "Lowest trigram similarity at which a merchant pattern matches fuzzily.",
							 "0 turns fuzzy merchant matching off.",
							 &cz_fuzzy_threshold, 0.5, 0.0, 1.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.fuzzy_max_candidates",
							"Most trigram postings one fuzzy merchant lookup examines.",
							"Candidates sharing the query's rarest trigrams come first; 0 examines them all.",
							&cz_fuzzy_max_candidates, 128, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("categorize.regex_dfa",
							 "Runs simple regex patterns on the extension's own DFA.",
							 "Off runs every regex pattern through PostgreSQL's regex engine; the answers are the same.",
							 &cz_regex_dfa, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.time_budget",
							"Longest a single categorization may take before it gives up.",
							"A call over budget answers NULL and counts as a breaker failure; 0 disables the budget.",
							&cz_time_budget_ms, 25, 0, 60 * 1000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.max_alternatives",
							"Most candidate categories explain() returns.",
							NULL,
							&cz_max_alternatives, 5, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.breaker_failure_threshold",
							"Consecutive failures after which the circuit breaker opens.",
							NULL,
							&cz_breaker_failure_threshold, 5, 1, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.breaker_reset_timeout",
							"Time the circuit breaker stays open before letting one probe call through.",
							NULL,
							&cz_breaker_reset_timeout_s, 30, 1, 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.max_workers",
							"Most background workers running batch chunks at once.",
							"Also bounded by max_worker_processes.",
							&cz_max_workers, 2, 0, 64,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.batch_chunk_rows",
							"Rows per chunk of a batch job (rounded to whole heap pages).",
							NULL,
							&cz_batch_chunk_rows, 10000, 100, 10000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	/*
	 * Sizes shared memory when preloaded.  Defining a PGC_POSTMASTER setting
	 * after startup is FATAL, so without preload (where it sizes nothing) it
	 * is a plain reloadable setting.
	 */
	DefineCustomIntVariable("categorize.queue_capacity",
							"Most chunks waiting in the shared job queue; more is refused at once.",
							NULL,
							&cz_queue_capacity, 1024, 1, 1000000,
							cz_preloaded ? PGC_POSTMASTER : PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.sync_batch_rows",
							"Tables up to this many rows are batch-categorized in the calling backend.",
							NULL,
							&cz_sync_batch_rows, 50000, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("categorize.learning",
							 "Whether categorize.learn() changes patterns.",
							 "Off: corrections are still recorded, patterns stay as they are.",
							 &cz_learning, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("categorize.test_commit_delay",
							"For tests: how long a commit that changed patterns waits once it is visible, before it is announced.",
							NULL,
							&cz_test_commit_delay_ms, 0, 0, 60000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL,
							NULL, NULL, NULL);
}

void
_PG_init(void)
{
	cz_preloaded = process_shared_preload_libraries_in_progress;

	define_settings();
	cz_shmem_init();
	cz_batch_init();
	MarkGUCPrefixReserved("categorize");
}
