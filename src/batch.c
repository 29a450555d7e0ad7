/*-------------------------------------------------------------------------
 *
 * batch.c
 *	  Batch jobs, the caller's side: categorize.batch() (submission),
 *	  categorize.wait(), categorize.cancel(), and the bounded shared queue
 *	  of chunks that the background workers (worker.c) drain.
 *
 *	  Submission writes the job and its chunks into categorize.batch_jobs
 *	  and categorize.batch_chunks and reserves room for the chunks in the
 *	  shared queue at once; a full queue refuses the job with an error
 *	  (backpressure).  The chunks enter the queue when the submitting
 *	  transaction commits (a transaction callback), and the reservation is
 *	  released if it aborts, so workers never see uncommitted jobs.
 *	  Cancellation likewise takes effect in shared memory at commit.
 *
 *	  Locking: everything in CzBatchShared is under its one LWLock (short
 *	  holds, no palloc or ereport while held) except the condition
 *	  variable.  The job tables are private; this file reads and writes
 *	  them as their owner (SetUserIdAndSecContext), after checking that the
 *	  caller is a member of the job's role.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "batch.h"
#include "categorize.h"

CzBatchShared *cz_batch = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/*
 * Work to do in shared memory when the current transaction ends: chunks to
 * enqueue (a reservation) and jobs cancelled.  Kept in TopMemoryContext.
 */
typedef struct PendingAction
{
	int			nest_level;		/* subtransaction that did it */
	bool		is_cancel;
	Oid			dboid;
	int64		job_id;
	int32		nchunks;		/* enqueue: chunks 0 .. nchunks-1 */
} PendingAction;

static List *pending_actions = NIL;

/*
 * The settings of the submitting session that a job's workers apply, so
 * that a job categorizes as the same call in the caller would.
 */
#define JOB_SETTINGS "'categorize.min_confidence', 'categorize.fuzzy_threshold', " \
	"'categorize.time_budget', 'categorize.max_alternatives'"

static bool xact_callback_registered = false;

static Size
batch_shmem_size(void)
{
	return add_size(offsetof(CzBatchShared, queue),
					mul_size(sizeof(CzChunkRef),
							 add_size(cz_queue_capacity, CZ_BATCH_MAX_SLOTS)));
}

static void
batch_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(batch_shmem_size());
	RequestNamedLWLockTranche("categorize_batch", 1);
}

static void
batch_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cz_batch = ShmemInitStruct("categorize batch queue", batch_shmem_size(), &found);
	if (!found)
	{
		memset(cz_batch, 0, offsetof(CzBatchShared, queue));
		cz_batch->lock = &(GetNamedLWLockTranche("categorize_batch"))->lock;
		ConditionVariableInit(&cz_batch->job_cv);
		cz_batch->capacity = cz_queue_capacity;
		cz_batch->array_len = cz_queue_capacity + CZ_BATCH_MAX_SLOTS;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * For categorize.stats: chunks queued, jobs with chunks queued or in
 * progress, workers at work.  The queue is copied under the lock and
 * counted outside it.
 */
static void
batch_counts(CzBatchCounts *counts)
{
	CzChunkRef *copy;
	int			n = 0;
	int			njobs = 0;
	int			workers = 0;

	memset(counts, 0, sizeof(*counts));
	if (cz_batch == NULL)
		return;
	copy = palloc(sizeof(CzChunkRef) * (cz_batch->array_len + CZ_BATCH_MAX_SLOTS));
	LWLockAcquire(cz_batch->lock, LW_SHARED);
	counts->queue_depth = cz_batch->count;
	memcpy(copy, cz_batch->queue, sizeof(CzChunkRef) * cz_batch->count);
	n = cz_batch->count;
	for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
	{
		if (!cz_batch->slots[i].in_use)
			continue;
		workers++;
		if (cz_batch->slots[i].job_id != 0)
		{
			copy[n].dboid = cz_batch->slots[i].dboid;
			copy[n].job_id = cz_batch->slots[i].job_id;
			n++;
		}
	}
	LWLockRelease(cz_batch->lock);

	/* distinct jobs: compact the distinct ones to the front */
	for (int i = 0; i < n; i++)
	{
		bool		seen = false;

		for (int k = 0; k < njobs && !seen; k++)
			seen = (copy[k].job_id == copy[i].job_id && copy[k].dboid == copy[i].dboid);
		if (!seen)
			copy[njobs++] = copy[i];
	}
	pfree(copy);
	counts->jobs_running = njobs;
	counts->workers_running = workers;
}

/*
 * Called from _PG_init.  Shared memory and the supervisor exist only when
 * preloaded.
 */
void
cz_batch_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = batch_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = batch_shmem_startup;
	cz_batch_counts_hook = batch_counts;
	cz_batch_register_supervisor();
}

/* ---------------------------------------------------------------------
 * The queue.  Callers hold no lock; these take it.
 * ---------------------------------------------------------------------
 */

static bool
queue_contains_locked(const CzChunkRef *ref)
{
	for (int i = 0; i < cz_batch->count; i++)
	{
		CzChunkRef *q = &cz_batch->queue[i];

		if (q->job_id == ref->job_id && q->chunk_no == ref->chunk_no &&
			q->dboid == ref->dboid)
			return true;
	}
	return false;
}

/*
 * Add a chunk (at the back, or at the front for one given back).  Returns
 * false when there is no room.  Duplicates are skipped (returns true).
 */
bool
cz_queue_push(const CzChunkRef *ref, bool front)
{
	bool		ok = true;

	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	if (queue_contains_locked(ref))
		ok = true;
	else if (cz_batch->count >= cz_batch->array_len ||
			 (!front && cz_batch->count + cz_batch->reserved >= cz_batch->capacity))
		ok = false;
	else if (front)
	{
		memmove(&cz_batch->queue[1], &cz_batch->queue[0],
				sizeof(CzChunkRef) * cz_batch->count);
		cz_batch->queue[0] = *ref;
		cz_batch->count++;
	}
	else
		cz_batch->queue[cz_batch->count++] = *ref;
	LWLockRelease(cz_batch->lock);
	return ok;
}

/* Room left for new chunks (queued and reserved count against capacity). */
int
cz_queue_free(void)
{
	int			free_entries;

	LWLockAcquire(cz_batch->lock, LW_SHARED);
	free_entries = Max(0, cz_batch->capacity - cz_batch->count - cz_batch->reserved);
	LWLockRelease(cz_batch->lock);
	return free_entries;
}

void
cz_batch_wake_supervisor(void)
{
	Latch	   *latch = cz_batch->supervisor_latch;

	if (latch)
		SetLatch(latch);
}

/* For the statistics view: queued chunks, capacity, running workers. */
void
cz_batch_queue_counts(int *queued, int *capacity, int *workers)
{
	int			n = 0;

	if (cz_batch == NULL)
	{
		*queued = *capacity = *workers = 0;
		return;
	}
	LWLockAcquire(cz_batch->lock, LW_SHARED);
	*queued = cz_batch->count;
	*capacity = cz_batch->capacity;
	for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
		if (cz_batch->slots[i].in_use)
			n++;
	*workers = n;
	LWLockRelease(cz_batch->lock);
}

/* ---------------------------------------------------------------------
 * Transaction end: publish enqueues and cancellations, or drop them.
 * ---------------------------------------------------------------------
 */

static void
apply_cancel(const PendingAction *a)
{
	pid_t		pids[CZ_BATCH_MAX_SLOTS];
	int			npids = 0;
	int			i = 0;

	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	while (i < cz_batch->count)
	{
		CzChunkRef *q = &cz_batch->queue[i];

		if (q->job_id == a->job_id && q->dboid == a->dboid)
		{
			memmove(q, q + 1, sizeof(CzChunkRef) * (cz_batch->count - i - 1));
			cz_batch->count--;
		}
		else
			i++;
	}
	for (i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
	{
		CzWorkerSlot *s = &cz_batch->slots[i];

		if (s->in_use && s->pid != 0 && s->dboid == a->dboid && s->job_id == a->job_id)
			pids[npids++] = s->pid;
	}
	LWLockRelease(cz_batch->lock);

	/* interrupt the chunks in progress: their transactions roll back */
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGINT);
}

static void
batch_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;
	bool		commit;

	if (pending_actions == NIL)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		commit = true;
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		commit = false;
	else
		return;

	foreach(lc, pending_actions)
	{
		PendingAction *a = (PendingAction *) lfirst(lc);

		if (a->is_cancel)
		{
			if (commit)
				apply_cancel(a);
			continue;
		}
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		cz_batch->reserved -= a->nchunks;
		if (commit)
		{
			for (int i = 0; i < a->nchunks && cz_batch->count < cz_batch->array_len; i++)
			{
				CzChunkRef *q = &cz_batch->queue[cz_batch->count++];

				q->dboid = a->dboid;
				q->job_id = a->job_id;
				q->chunk_no = i;
			}
		}
		LWLockRelease(cz_batch->lock);
	}
	list_free_deep(pending_actions);
	pending_actions = NIL;

	if (commit)
	{
		cz_batch_wake_supervisor();
		ConditionVariableBroadcast(&cz_batch->job_cv);
	}
}

static void
batch_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	List	   *keep = NIL;
	ListCell   *lc;

	if (pending_actions == NIL)
		return;
	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;

	foreach(lc, pending_actions)
	{
		PendingAction *a = (PendingAction *) lfirst(lc);

		if (a->nest_level < level)
			keep = lappend(keep, a);
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			a->nest_level = level - 1;
			keep = lappend(keep, a);
		}
		else
		{
			if (!a->is_cancel)
			{
				LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
				cz_batch->reserved -= a->nchunks;
				LWLockRelease(cz_batch->lock);
			}
			pfree(a);
		}
	}
	list_free(pending_actions);
	pending_actions = keep;
}

static void
remember_action(bool is_cancel, int64 job_id, int32 nchunks)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	PendingAction *a = palloc0(sizeof(PendingAction));

	if (!xact_callback_registered)
	{
		RegisterXactCallback(batch_xact_callback, NULL);
		RegisterSubXactCallback(batch_subxact_callback, NULL);
		xact_callback_registered = true;
	}
	a->nest_level = GetCurrentTransactionNestLevel();
	a->is_cancel = is_cancel;
	a->dboid = MyDatabaseId;
	a->job_id = job_id;
	a->nchunks = nchunks;
	pending_actions = lappend(pending_actions, a);
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------------
 * Helpers for the SQL functions
 * ---------------------------------------------------------------------
 */

/* Owner of categorize.batch_jobs: the role the bookkeeping runs as. */
static Oid
job_tables_owner(void)
{
	Oid			relid = get_relname_relid("batch_jobs", get_namespace_oid("categorize", false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		elog(ERROR, "table categorize.batch_jobs is missing");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

typedef struct SavedUser
{
	Oid			userid;
	int			sec_context;
} SavedUser;

static void
become_tables_owner(SavedUser *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(job_tables_owner(),
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

static void
restore_user(const SavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/*
 * The target checks: a plain table, UPDATE right on it (or on the column),
 * and an integer category column.  Returns the column's attnum.
 */
static void
check_target(Oid relid, const char *column)
{
	HeapTuple	tup;
	char		relkind;
	AttrNumber	attnum;
	Oid			atttype;
	AclResult	aclresult;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = ((Form_pg_class) GETSTRUCT(tup))->relkind;
	ReleaseSysCache(tup);

	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("categorize.batch cannot categorize \"%s\": it is not a table",
						get_rel_name(relid)),
				 relkind == RELKIND_PARTITIONED_TABLE ?
				 errhint("Call categorize.batch for each partition.") : 0));

	attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" does not exist",
						column, get_rel_name(relid)),
				 errhint("Name the category column: CALL categorize.batch('%s', 'my_column').",
						 get_rel_name(relid))));
	atttype = get_atttype(relid, attnum);
	if (atttype != INT8OID && atttype != INT4OID && atttype != INT2OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" is of type %s, not an integer type",
						column, get_rel_name(relid), format_type_be(atttype)),
				 errhint("Category ids are bigint; use a bigint (or integer) column.")));

	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE);
	if (aclresult != ACLCHECK_OK)
		aclresult = pg_attribute_aclcheck(relid, attnum, GetUserId(), ACL_UPDATE);
	if (aclresult != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to categorize table \"%s\"", get_rel_name(relid)),
				 errdetail("Role \"%s\" needs the UPDATE privilege on column \"%s\".",
						   GetUserNameFromId(GetUserId(), false), column),
				 errhint("GRANT UPDATE ON %s TO %s;",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													get_rel_name(relid)),
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* Run a query returning one int8 column in one row; 0 for NULL. */
static int64
spi_int8(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	bool		isnull;
	Datum		d;
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false, 0);

	if (rc < 0 || SPI_processed != 1)
		elog(ERROR, "unexpected result of \"%s\": %d", sql, rc);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* ---------------------------------------------------------------------
 * categorize._batch_submit(target, column, only_uncategorized) → job id
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(categorize_batch_submit);
Datum
categorize_batch_submit(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *column;
	bool		only_uncategorized;
	Oid			owner = GetUserId();
	char	   *table;
	StringInfoData sql;
	int64		rows_all;
	int64		rows_pending;
	int64		job_id;
	bool		in_caller;
	BlockNumber nblocks;
	int64		blocks_per_chunk;
	int32		nchunks;
	SavedUser	saved;
	Relation	rel;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("categorize.batch needs a table, a category column and only_uncategorized, not NULL")));
	relid = PG_GETARG_OID(0);
	column = NameStr(*PG_GETARG_NAME(1));
	only_uncategorized = PG_GETARG_BOOL(2);

	check_target(relid, column);
	table = qualified_name(relid);

	/* hold the table against DROP and ALTER while the job is created */
	rel = table_open(relid, RowExclusiveLock);
	nblocks = RelationGetNumberOfBlocks(rel);
	table_close(rel, NoLock);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Rows as the caller sees them (row-level security applies), all and
	 * still to do, in one scan: this runs before any worker can start.
	 */
	initStringInfo(&sql);
	if (only_uncategorized)
		appendStringInfo(&sql, "SELECT count(*), count(*) FILTER (WHERE %s IS NULL) FROM %s",
						 quote_identifier(column), table);
	else
		appendStringInfo(&sql, "SELECT count(*), count(*) FROM %s", table);
	if (SPI_execute(sql.data, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not count the rows of %s", table);
	{
		bool		isnull;

		rows_all = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		rows_pending = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}

	in_caller = (rows_pending <= cz_sync_batch_rows || nblocks == 0);
	if (in_caller)
	{
		int64		done;

		resetStringInfo(&sql);
		appendStringInfo(&sql, "UPDATE %s t SET %s = categorize.categorize(t)",
						 table, quote_identifier(column));
		if (only_uncategorized)
			appendStringInfo(&sql, " WHERE t.%s IS NULL", quote_identifier(column));
		if (SPI_execute(sql.data, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "batch update of %s failed", table);
		done = (int64) SPI_processed;

		become_tables_owner(&saved);
		{
			Oid			types[5] = {OIDOID, NAMEOID, BOOLOID, OIDOID, INT8OID};
			Datum		values[5];

			values[0] = ObjectIdGetDatum(relid);
			values[1] = PG_GETARG_DATUM(1);
			values[2] = BoolGetDatum(only_uncategorized);
			values[3] = ObjectIdGetDatum(owner);
			values[4] = Int64GetDatum(done);
			job_id = spi_int8("INSERT INTO categorize.batch_jobs (target, category_column, only_uncategorized,"
							  " owner, state, rows_total, chunks_total, in_caller, started_at, finished_at)"
							  " VALUES ($1, $2, $3, $4, 'done', $5, 1, true, now(), clock_timestamp())"
							  " RETURNING job_id", 5, types, values);
			values[0] = Int64GetDatum(job_id);
			values[1] = Int64GetDatum(Max(nblocks, 1));
			values[2] = Int64GetDatum(done);
			types[0] = INT8OID;
			types[1] = INT8OID;
			types[2] = INT8OID;
			if (SPI_execute_with_args("INSERT INTO categorize.batch_chunks (job_id, chunk_no, first_block,"
									  " end_block, state, rows_done, attempts, started_at, finished_at)"
									  " VALUES ($1, 0, 0, $2, 'done', $3, 1, now(), clock_timestamp())",
									  3, types, values, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not record batch job");
		}
		restore_user(&saved);
		SPI_finish();
		PG_RETURN_INT64(job_id);
	}

	cz_require_shared_state("categorize.batch for tables over categorize.sync_batch_rows");
	if (cz_batch == NULL)
		cz_require_shared_state("categorize.batch");

	/* chunks of whole pages, about batch_chunk_rows rows each */
	blocks_per_chunk = (int64) rint((double) cz_batch_chunk_rows * nblocks / Max(rows_all, 1));
	blocks_per_chunk = Max(blocks_per_chunk, 1);
	nchunks = (int32) ((nblocks + blocks_per_chunk - 1) / blocks_per_chunk);

	/* backpressure: reserve queue room now, or refuse at once */
	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	if (cz_batch->count + cz_batch->reserved + nchunks > cz_batch->capacity)
	{
		int			queued = cz_batch->count + cz_batch->reserved;
		int			capacity = cz_batch->capacity;

		LWLockRelease(cz_batch->lock);
		if (nchunks > capacity)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("batch job for \"%s\" needs %d chunks, more than the job queue holds (%d)",
							get_rel_name(relid), nchunks, capacity),
					 errhint("Raise categorize.batch_chunk_rows (now %d) or categorize.queue_capacity.",
							 cz_batch_chunk_rows)));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("batch job queue is full: %d of %d chunks taken, this job needs %d",
						queued, capacity, nchunks),
				 errhint("Try again when running jobs have progressed (see categorize.jobs), "
						 "or raise categorize.queue_capacity.")));
	}
	cz_batch->reserved += nchunks;
	LWLockRelease(cz_batch->lock);

	/* from here on, an error releases the reservation at abort */
	remember_action(false, 0, nchunks);

	become_tables_owner(&saved);
	{
		Oid			types[6] = {OIDOID, NAMEOID, BOOLOID, OIDOID, INT8OID, INT4OID};
		Datum		values[6];
		PendingAction *a;

		values[0] = ObjectIdGetDatum(relid);
		values[1] = PG_GETARG_DATUM(1);
		values[2] = BoolGetDatum(only_uncategorized);
		values[3] = ObjectIdGetDatum(owner);
		values[4] = Int64GetDatum(rows_pending);
		values[5] = Int32GetDatum(nchunks);
		job_id = spi_int8("INSERT INTO categorize.batch_jobs (target, category_column, only_uncategorized,"
						  " owner, rows_total, chunks_total, settings)"
						  " SELECT $1, $2, $3, $4, $5, $6, pg_catalog.jsonb_object_agg(n, pg_catalog.current_setting(n))"
						  "   FROM pg_catalog.unnest(ARRAY[" JOB_SETTINGS "]) n"
						  " RETURNING job_id", 6, types, values);
		a = (PendingAction *) llast(pending_actions);
		a->job_id = job_id;

		types[0] = INT8OID;
		types[1] = INT8OID;
		types[2] = INT8OID;
		values[0] = Int64GetDatum(job_id);
		values[1] = Int64GetDatum(blocks_per_chunk);
		values[2] = Int64GetDatum((int64) nblocks);
		if (SPI_execute_with_args("INSERT INTO categorize.batch_chunks (job_id, chunk_no, first_block, end_block)"
								  " SELECT $1, n::int, n * $2, least((n + 1) * $2, $3)"
								  "   FROM generate_series(0, ($3 + $2 - 1) / $2 - 1) n",
								  3, types, values, NULL, false, 0) != SPI_OK_INSERT ||
			SPI_processed != (uint64) nchunks)
			elog(ERROR, "could not record the chunks of batch job " INT64_FORMAT, job_id);
	}
	restore_user(&saved);
	SPI_finish();

	PG_RETURN_INT64(job_id);
}

/* ---------------------------------------------------------------------
 * wait and cancel
 * ---------------------------------------------------------------------
 */

/* The job's state if the caller may see it, else NULL. */
static char *
job_state(int64 job_id)
{
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		values[2];
	SavedUser	saved;
	char	   *state = NULL;
	Oid			caller = GetUserId();

	values[0] = Int64GetDatum(job_id);
	values[1] = ObjectIdGetDatum(caller);
	become_tables_owner(&saved);
	if (SPI_execute_with_args("SELECT state FROM categorize.batch_jobs"
							  " WHERE job_id = $1 AND pg_catalog.pg_has_role($2, owner, 'MEMBER')",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read batch job " INT64_FORMAT, job_id);
	if (SPI_processed == 1)
	{
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		state = MemoryContextStrdup(TopTransactionContext, s);
	}
	restore_user(&saved);
	return state;
}

static bool
state_is_final(const char *state)
{
	return strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 ||
		strcmp(state, "cancelled") == 0;
}

static void job_not_found(int64 job_id) pg_attribute_noreturn();

static void
job_not_found(int64 job_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("batch job " INT64_FORMAT " does not exist", job_id),
			 errhint("categorize.jobs lists your jobs.")));
}

PG_FUNCTION_INFO_V1(categorize_batch_wait);
Datum
categorize_batch_wait(PG_FUNCTION_ARGS)
{
	int64		job_id;
	TimestampTz deadline = 0;
	char	   *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	job_id = PG_GETARG_INT64(0);
	if (!PG_ARGISNULL(1))
	{
		Interval   *timeout = PG_GETARG_INTERVAL_P(1);

		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(GetCurrentTimestamp()),
														   IntervalPGetDatum(timeout)));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (cz_batch != NULL)
		ConditionVariablePrepareToSleep(&cz_batch->job_cv);
	for (;;)
	{
		long		sleep_ms = 1000;

		state = job_state(job_id);
		if (state == NULL)
			job_not_found(job_id);
		if (state_is_final(state))
			break;
		if (IsolationUsesXactSnapshot())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("categorize.wait cannot see a job progress in a REPEATABLE READ or SERIALIZABLE transaction"),
					 errhint("Call it in a READ COMMITTED transaction.")));
		cz_require_shared_state("categorize.wait");
		if (deadline != 0)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (now >= deadline)
				break;
			sleep_ms = Min(sleep_ms, TimestampDifferenceMilliseconds(now, deadline) + 1);
		}
		/* woken by workers when a job ends; the timeout re-reads anyway */
		(void) ConditionVariableTimedSleep(&cz_batch->job_cv, sleep_ms, PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(state));
}

PG_FUNCTION_INFO_V1(categorize_batch_cancel);
Datum
categorize_batch_cancel(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		values[2];
	SavedUser	saved;
	bool		cancelled;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = Int64GetDatum(job_id);
	values[1] = ObjectIdGetDatum(GetUserId());
	become_tables_owner(&saved);
	if (SPI_execute_with_args("UPDATE categorize.batch_jobs SET state = 'cancelled', finished_at = now()"
							  " WHERE job_id = $1 AND pg_catalog.pg_has_role($2, owner, 'MEMBER')"
							  "   AND state IN ('queued', 'running')",
							  2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not cancel batch job " INT64_FORMAT, job_id);
	cancelled = (SPI_processed == 1);
	restore_user(&saved);
	if (!cancelled && job_state(job_id) == NULL)
		job_not_found(job_id);
	SPI_finish();

	if (cancelled && cz_batch != NULL)
		remember_action(true, job_id, 0);
	PG_RETURN_BOOL(cancelled);
}

/* ---------------------------------------------------------------------
 * Queue status
 * ---------------------------------------------------------------------
 */
static const Oid batch_queue_types[] = {INT4OID, INT4OID, INT4OID, INT4OID, BOOLOID, INT4OID};

PG_FUNCTION_INFO_V1(categorize_batch_queue);
Datum
categorize_batch_queue(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[lengthof(batch_queue_types)];
	bool		nulls[lengthof(batch_queue_types)] = {false};
	int			workers = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cz_check_result_shape(tupdesc, batch_queue_types, lengthof(batch_queue_types),
						  "categorize.batch_queue()");
	cz_require_shared_state("categorize.batch_queue");
	if (cz_batch == NULL)
		cz_require_shared_state("categorize.batch_queue");

	LWLockAcquire(cz_batch->lock, LW_SHARED);
	values[0] = Int32GetDatum(cz_batch->count);
	values[1] = Int32GetDatum(cz_batch->reserved);
	values[2] = Int32GetDatum(cz_batch->capacity);
	for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
		if (cz_batch->slots[i].in_use)
			workers++;
	values[3] = Int32GetDatum(workers);
	values[4] = BoolGetDatum(cz_batch->slots_exhausted);
	values[5] = Int32GetDatum((int32) cz_batch->supervisor_pid);
	nulls[5] = (cz_batch->supervisor_pid == 0);
	LWLockRelease(cz_batch->lock);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* Why a queued job is not running yet (for categorize.jobs). */
PG_FUNCTION_INFO_V1(categorize_batch_wait_reason);
Datum
categorize_batch_wait_reason(PG_FUNCTION_ARGS)
{
	const char *reason;
	bool		exhausted;
	pid_t		supervisor;

	if (cz_batch == NULL)
		PG_RETURN_TEXT_P(cstring_to_text("categorize is not in shared_preload_libraries"));
	LWLockAcquire(cz_batch->lock, LW_SHARED);
	exhausted = cz_batch->slots_exhausted;
	supervisor = cz_batch->supervisor_pid;
	LWLockRelease(cz_batch->lock);

	if (cz_max_workers == 0)
		reason = "categorize.max_workers is 0";
	else if (supervisor == 0)
		reason = "the batch supervisor is not running";
	else if (exhausted)
		reason = "no free background worker slot (max_worker_processes)";
	else
		reason = "a batch worker";
	PG_RETURN_TEXT_P(cstring_to_text(reason));
}
