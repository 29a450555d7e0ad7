/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  categorize's shared memory: requesting it (PG15 shmem_request_hook)
 *	  with the named LWLock tranche "categorize", initializing it
 *	  (shmem_startup_hook), the pattern-set generations, the privilege
 *	  check of the admin functions, and the error every function needing
 *	  shared state raises without shared_preload_libraries.
 *
 *	  Pattern-set generations: every committed transaction that changed
 *	  categorize.patterns or categorize.categories advances its database's
 *	  generation (the statement trigger notes the change, our transaction
 *	  callback bumps the counter at commit; a rollback bumps nothing).  The
 *	  bump happens after the commit is visible and before the relcache
 *	  invalidation is sent, and a backend reads the generation before
 *	  taking the snapshot its index is built from, so the generation it
 *	  records is never newer than its index: monitoring may see a backend
 *	  as stale a moment too long, never as current too early.
 *
 *	  Locking: see shared_state.h.  Here the LWLock is taken only to
 *	  claim a database's generation entry (once per database).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/acl.h"

#include "categorize.h"
#include "shared_state.h"

#define CZ_TRANCHE_NAME "categorize"

CzShared   *cz_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static bool pattern_change_pending = false;
static bool xact_callback_registered = false;
static CzDbGeneration *my_generation = NULL;	/* MyDatabaseId's entry */

static int
slot_count(void)
{
	/* regular backends, autovacuum and background workers have pgprocno < MaxBackends */
	return MaxBackends;
}

static Size
slot_stride(void)
{
	return TYPEALIGN(PG_CACHE_LINE_SIZE, sizeof(CzStatsSlot));
}

static Size
shared_size(void)
{
	Size		size = TYPEALIGN(PG_CACHE_LINE_SIZE, sizeof(CzShared));

	size = add_size(size, mul_size(slot_count(), slot_stride()));
	/* room to align the slots to a cache line */
	return add_size(size, PG_CACHE_LINE_SIZE);
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche(CZ_TRANCHE_NAME, 1);
}

static void
shmem_startup(void)
{
	bool		found;
	CzShared   *shared;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("categorize", shared_size(), &found);
	if (!found)
	{
		int			i;
		int			j;

		memset(shared, 0, sizeof(CzShared));
		shared->lock = &(GetNamedLWLockTranche(CZ_TRANCHE_NAME))->lock;
		pg_atomic_init_u32(&shared->breaker_state, CZ_BREAKER_CLOSED);
		pg_atomic_init_u32(&shared->breaker_failures, 0);
		pg_atomic_init_u64(&shared->breaker_opened_at, 0);
		pg_atomic_init_u64(&shared->probe_started_at, 0);
		pg_atomic_init_u64(&shared->patterns_loaded, 0);
		shared->stats_reset_at = GetCurrentTimestamp();
		for (i = 0; i <= CZ_MAX_DATABASES; i++)
		{
			pg_atomic_init_u32(&shared->generations[i].dbid, InvalidOid);
			pg_atomic_init_u64(&shared->generations[i].generation, 1);
		}
		shared->nslots = slot_count();
		shared->slot_stride = slot_stride();
		shared->slots = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE,
										   (char *) shared + sizeof(CzShared));
		for (i = 0; i < shared->nslots; i++)
		{
			CzStatsSlot *slot = (CzStatsSlot *) (shared->slots + (Size) i * shared->slot_stride);

			memset(slot, 0, sizeof(CzStatsSlot));
			for (j = 0; j < CZ_NVALUES; j++)
				pg_atomic_init_u64(&slot->values[j], 0);
			pg_atomic_init_u32(&slot->pid, 0);
			pg_atomic_init_u64(&slot->index_generation, 0);
			pg_atomic_init_u64(&slot->index_built_at, 0);
			pg_atomic_init_u64(&slot->index_patterns, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
	cz_shared = shared;
}

/*
 * From _PG_init: install the hooks when preloaded, define the health
 * thresholds.  Without preload nothing is attached: cz_shared stays NULL
 * and every entry point degrades (breaker allows, no statistics).
 */
void
cz_shmem_init(void)
{
	cz_health_define_settings();

	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

void
cz_require_shared_state(const char *what)
{
	if (cz_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs categorize's shared memory", what),
				 errhint("Add categorize to shared_preload_libraries and restart the server.")));
}

/*
 * The admin functions (breaker_reset, stats_reset): superuser, the
 * extension's owner, or a member of categorize_admin.
 */
void
cz_check_admin(const char *what)
{
	Oid			ext = get_extension_oid("categorize", true);
	Oid			admin = get_role_oid("categorize_admin", true);
	Oid			user = GetUserId();

	if (OidIsValid(ext) && pg_extension_ownercheck(ext, user))
		return;
	if (OidIsValid(admin) && has_privs_of_role(user, admin))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to run %s", what),
			 errhint("Only a superuser, the owner of extension categorize or a member of categorize_admin may.")));
}

/* ---------- pattern-set generations ---------- */

/* The generation entry of a database; claimed under the lock on first use. */
static CzDbGeneration *
generation_entry(Oid dbid)
{
	CzDbGeneration *found = NULL;
	int			i;

	for (i = 0; i < CZ_MAX_DATABASES; i++)
	{
		Oid			owner = pg_atomic_read_u32(&cz_shared->generations[i].dbid);

		if (owner == dbid)
			return &cz_shared->generations[i];
		if (owner == InvalidOid)
			break;				/* entries are claimed in order */
	}

	LWLockAcquire(cz_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < CZ_MAX_DATABASES; i++)
	{
		CzDbGeneration *entry = &cz_shared->generations[i];
		Oid			owner = pg_atomic_read_u32(&entry->dbid);

		if (owner == dbid)
		{
			found = entry;
			break;
		}
		if (owner == InvalidOid)
		{
			pg_atomic_write_u64(&entry->generation, 1);
			pg_write_barrier();
			pg_atomic_write_u32(&entry->dbid, dbid);
			found = entry;
			break;
		}
	}
	LWLockRelease(cz_shared->lock);
	/* more databases than entries: the rest share the overflow entry */
	return found ? found : &cz_shared->generations[CZ_MAX_DATABASES];
}

uint64
cz_generation_of(Oid dbid)
{
	return pg_atomic_read_u64(&generation_entry(dbid)->generation);
}

/*
 * The current database's pattern-set generation, read before building an
 * index (0 without shared memory).
 */
uint64
cz_cache_generation(void)
{
	if (cz_shared == NULL || !OidIsValid(MyDatabaseId))
		return 0;
	if (my_generation == NULL)
		my_generation = generation_entry(MyDatabaseId);
	return pg_atomic_read_u64(&my_generation->generation);
}

/*
 * Has a pattern change committed since the given generation was read?
 * One atomic read; false without shared memory or before the first build.
 */
bool
cz_cache_generation_changed(uint64 generation)
{
	return my_generation != NULL &&
		pg_atomic_read_u64(&my_generation->generation) != generation;
}

static void
generation_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (pattern_change_pending && cz_shared != NULL && OidIsValid(MyDatabaseId))
				pg_atomic_fetch_add_u64(&generation_entry(MyDatabaseId)->generation, 1);
			pattern_change_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			pattern_change_pending = false;
			break;
		default:
			break;
	}
}

/* The pattern or category table changed in this transaction. */
void
cz_cache_note_pattern_change(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(generation_xact_callback, NULL);
		xact_callback_registered = true;
	}
	pattern_change_pending = true;
}
