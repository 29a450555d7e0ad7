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
 *	  as stale a moment too long, never as current too early.  For the
 *	  moment between a commit's visibility and its bump, the commit is
 *	  listed as in flight from its pre-commit on (below).
 *
 *	  Locking: see shared_state.h.  Here the LWLock is taken only to
 *	  claim a database's generation entry (once per database); each
 *	  entry's spinlock is held only to copy or change its short list of
 *	  commits in flight, with no call out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/snapmgr.h"

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
			pg_atomic_init_u64(&shared->generations[i].registrations, 0);
			SpinLockInit(&shared->generations[i].mutex);
			shared->generations[i].ncommitting = 0;
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

/* ---------- pattern commits in flight ---------- */

/*
 * A pattern commit becomes visible (ProcArrayEndTransaction) before its
 * XACT_EVENT_COMMIT callback bumps the generation and before its relcache
 * invalidation goes out.  A statement starting in between sees the new
 * patterns in its snapshot while the backend's index, with the generation
 * unchanged and no invalidation received, still looks current.  So a
 * committing transaction also enters its xid in its database's list at
 * pre-commit, before it can become visible, and takes it out when it bumps
 * the generation.  A backend building its index copies the list first
 * (before the build's snapshot) and keeps as pending the xids that
 * snapshot does not see; a registration after the copy shows in the
 * registration counter, and its xid is added to the pending ones at the
 * next call.  While some xid is pending, each call checks it against the
 * running statement's snapshot: once the statement sees one of them
 * committed, the index is out of date.  The common case stays two atomic
 * reads a call.
 *
 * More than CZ_MAX_COMMITTING pattern commits in flight at once in one
 * database: the others are not listed and fall back to the generation
 * bump, as before.  Prepared transactions are not listed either (COMMIT
 * PREPARED runs no callback of ours): their relcache invalidation is what
 * announces them.
 */
static TransactionId listed_xid = InvalidTransactionId; /* ours, if listed */

/* The build's copy of the list, and what the index waits for. */
static TransactionId build_list[CZ_MAX_COMMITTING];
static int	build_nlist = 0;
static bool inflight_tracked = false;	/* the index follows the list */
static uint64 index_registrations = 0;
static TransactionId pending[CZ_MAX_COMMITTING];
static int	npending = 0;

/*
 * Copy this database's list of commits in flight into list (room for
 * CZ_MAX_COMMITTING), with the generation (returned) and the registration
 * count (into index_registrations) read at the same moment.
 */
static uint64
read_inflight(TransactionId *list, int *nlist)
{
	uint64		generation;

	SpinLockAcquire(&my_generation->mutex);
	generation = pg_atomic_read_u64(&my_generation->generation);
	index_registrations = pg_atomic_read_u64(&my_generation->registrations);
	*nlist = my_generation->ncommitting;
	memcpy(list, my_generation->committing, sizeof(TransactionId) * *nlist);
	SpinLockRelease(&my_generation->mutex);
	return generation;
}

/*
 * Before an index build: the generation it will be built from (returned),
 * with the list of pattern commits in flight and the registration count
 * read at the same moment.  0 without shared memory.
 */
uint64
cz_cache_build_begin(void)
{
	inflight_tracked = false;
	npending = 0;
	build_nlist = 0;
	if (cz_shared == NULL || !OidIsValid(MyDatabaseId))
		return 0;
	if (my_generation == NULL)
		my_generation = generation_entry(MyDatabaseId);
	return read_inflight(build_list, &build_nlist);
}

/*
 * The build reads the tables under this (latest) snapshot: the listed
 * commits it does not see are pending.  Not called for a build from the
 * query's snapshot (parallel mode), whose index is dropped at the end of
 * the transaction.
 */
void
cz_cache_build_snapshot(Snapshot snapshot)
{
	int			i;

	npending = 0;
	for (i = 0; i < build_nlist; i++)
		if (XidInMVCCSnapshot(build_list[i], snapshot))
			pending[npending++] = build_list[i];
	inflight_tracked = (my_generation != NULL);
}

/*
 * The slow path of cz_cache_index_outdated(): take in the commits listed
 * since the build, then ask about each pending one.
 */
static pg_noinline bool
inflight_outdated(uint64 generation)
{
	Snapshot	snapshot;
	int			i;

	if (inflight_tracked &&
		pg_atomic_read_u64(&my_generation->registrations) != index_registrations)
	{
		TransactionId list[CZ_MAX_COMMITTING];
		int			nlist;

		/* one that has come and gone bumped the generation */
		if (read_inflight(list, &nlist) != generation)
			return true;
		for (i = 0; i < nlist; i++)
		{
			int			j;

			/* already judged: pending, or seen by the build */
			for (j = 0; j < npending; j++)
				if (pending[j] == list[i])
					break;
			if (j < npending)
				continue;
			for (j = 0; j < build_nlist; j++)
				if (build_list[j] == list[i])
					break;
			if (j < build_nlist)
				continue;
			/* listed after the build began: its snapshot may not see it */
			if (npending == CZ_MAX_COMMITTING)
				return true;
			pending[npending++] = list[i];
		}
	}

	/*
	 * Does the running statement see one of them?  Its snapshot says
	 * whether the transaction had ended when the statement began, with no
	 * lock; then the commit log whether it committed.  One that ended
	 * before every running transaction began may have rolled back, but
	 * is taken as committed: a rebuild too many, never a change missed.
	 */
	snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
	for (i = 0; i < npending;)
	{
		TransactionId xid = pending[i];

		if (snapshot != NULL ? XidInMVCCSnapshot(xid, snapshot) :
			TransactionIdIsInProgress(xid))
			i++;				/* not visible to this statement */
		else if (TransactionIdPrecedes(xid, RecentXmin) ||
				 TransactionIdDidCommit(xid))
			return true;
		else
			pending[i] = pending[--npending];	/* rolled back */
	}
	return false;
}

/*
 * Is an index built from the given generation (cz_cache_build_begin) out
 * of date: has a pattern change committed since?  Two atomic reads, and
 * more only while a pattern commit is in flight; false without shared
 * memory or before the first build.
 */
bool
cz_cache_index_outdated(uint64 generation)
{
	if (my_generation == NULL)
		return false;
	if (pg_atomic_read_u64(&my_generation->generation) != generation)
		return true;
	if (likely(npending == 0) &&
		(!inflight_tracked ||
		 pg_atomic_read_u64(&my_generation->registrations) == index_registrations))
		return false;
	return inflight_outdated(generation);
}

/* Hidden test setting: sleep this long in a pattern commit, once visible. */
int			cz_test_commit_delay_ms = 0;

/* Take our xid out of the list; with bump, advance the generation too. */
static void
unlist_commit(CzDbGeneration *entry, bool bump)
{
	int			i;

	SpinLockAcquire(&entry->mutex);
	for (i = 0; i < entry->ncommitting; i++)
		if (entry->committing[i] == listed_xid)
		{
			entry->committing[i] = entry->committing[--entry->ncommitting];
			break;
		}
	if (bump)
		pg_atomic_write_u64(&entry->generation,
							pg_atomic_read_u64(&entry->generation) + 1);
	SpinLockRelease(&entry->mutex);
	listed_xid = InvalidTransactionId;
}

static void
generation_xact_callback(XactEvent event, void *arg)
{
	CzDbGeneration *entry;

	if (!pattern_change_pending || cz_shared == NULL || !OidIsValid(MyDatabaseId))
	{
		pattern_change_pending = false;
		return;
	}
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			{
				TransactionId xid = GetTopTransactionIdIfAny();

				/* no xid: nothing was written, nothing to announce early */
				if (!TransactionIdIsValid(xid))
					break;
				entry = generation_entry(MyDatabaseId);
				SpinLockAcquire(&entry->mutex);
				if (entry->ncommitting < CZ_MAX_COMMITTING)
				{
					entry->committing[entry->ncommitting++] = xid;
					pg_atomic_write_u64(&entry->registrations,
										pg_atomic_read_u64(&entry->registrations) + 1);
					listed_xid = xid;
				}
				SpinLockRelease(&entry->mutex);
				break;
			}
		case XACT_EVENT_COMMIT:
			if (cz_test_commit_delay_ms > 0)
				pg_usleep(cz_test_commit_delay_ms * 1000L);
			unlist_commit(generation_entry(MyDatabaseId), true);
			pattern_change_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			if (TransactionIdIsValid(listed_xid))
				unlist_commit(generation_entry(MyDatabaseId), false);
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
