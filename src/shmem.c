/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared state: circuit breaker and statistics.
 *
 *	  This first version keeps no shared state: without
 *	  shared_preload_libraries the breaker always allows and statistics
 *	  are not kept.  The shared-memory implementation replaces it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "categorize.h"

void
cz_shmem_init(void)
{
}

bool
cz_breaker_allow(void)
{
	return true;
}

bool
cz_breaker_is_open(void)
{
	return false;
}

void
cz_breaker_record(bool success)
{
}

void
cz_stats_record_call(CzOutcome outcome, int64 elapsed_us, bool cache_hit)
{
}

void
cz_stats_record_index_build(bool ok, int64 build_us, int npatterns)
{
}

void
cz_require_shared_state(const char *what)
{
	if (!cz_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs categorize's shared memory", what),
				 errhint("Add categorize to shared_preload_libraries and restart the server.")));
}
