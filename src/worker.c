/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Batch job background workers.
 *
 *	  The supervisor is a static background worker (registered from
 *	  _PG_init, restarted by the postmaster) connected to no database.  On
 *	  start it runs a scanner worker in each database, which puts the
 *	  pending chunks of unfinished jobs back into the shared queue: after a
 *	  crash restart the queue is empty but the chunk tables are not, so
 *	  work resumes without resubmission.  Then it starts dynamic chunk
 *	  workers, up to categorize.max_workers and the free worker slots, for
 *	  the databases that have queued chunks.
 *
 *	  A chunk worker connects to one database as the bootstrap superuser
 *	  (PostgreSQL 15 needs a LOGIN role to connect) and takes that
 *	  database's chunks from the queue until none is left.  Each chunk is
 *	  one transaction: lock the chunk row (SKIP LOCKED) and check it is
 *	  still pending, run the UPDATE of its ctid range as the job's owner
 *	  (so privileges, row-level security and triggers apply as for that
 *	  role), mark the chunk done, and close the job when it was the last.
 *	  The submitter's categorize.* session settings (min_confidence,
 *	  fuzzy_threshold, time_budget, max_alternatives) apply to the chunk's
 *	  transaction.  While the circuit breaker is open a worker holds its
 *	  chunk and waits; a chunk during which the breaker opened is rolled
 *	  back and done again, so rows never get NULL from a short circuit.
 *	  A chunk's transaction commits with synchronous_commit = off unless it
 *	  closes the job (see chunk_commit_async for why exactly-once holds).
 *	  Deadlocks and serialization failures are retried with backoff; any
 *	  other error marks the chunk failed and the worker goes on.  SIGTERM
 *	  ends the worker at the next interrupt check, rolling back the chunk
 *	  in progress; SIGINT (categorize.cancel) interrupts the chunk.
 *
 *	  Locking: the worker slots and the queue are under cz_batch->lock
 *	  (batch.c); each slot records the chunk its worker holds so that a
 *	  worker that exits on an error gives it back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "batch.h"
#include "categorize.h"

#define CHUNK_MAX_ATTEMPTS		5
#define BACKOFF_BASE_MS			50
#define BREAKER_RECHECK_MS		500

/* supervisor-local handles of the chunk workers it started */
static BackgroundWorkerHandle *slot_handles[CZ_BATCH_MAX_SLOTS];

/* chunk worker: my slot */
static int	my_slot = -1;

/* ---------------------------------------------------------------------
 * Registration
 * ---------------------------------------------------------------------
 */
void
cz_batch_register_supervisor(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "categorize");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "cz_batch_supervisor_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "categorize batch supervisor");
	snprintf(worker.bgw_type, BGW_MAXLEN, "categorize batch supervisor");
	RegisterBackgroundWorker(&worker);
}

static bool
start_dynamic(CzWorkerMode mode, Oid dboid, int slot, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	CzWorkerArgs args;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_notify_pid = MyProcPid;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "categorize");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "cz_batch_worker_main");
	if (mode == CZ_WORKER_SCAN)
	{
		snprintf(worker.bgw_name, BGW_MAXLEN, "categorize batch scanner for database %u", dboid);
		snprintf(worker.bgw_type, BGW_MAXLEN, "categorize batch scanner");
	}
	else
	{
		snprintf(worker.bgw_name, BGW_MAXLEN, "categorize batch worker %d", slot);
		snprintf(worker.bgw_type, BGW_MAXLEN, "categorize batch worker");
	}
	args.mode = mode;
	args.dboid = dboid;
	args.slot = slot;
	memcpy(worker.bgw_extra, &args, sizeof(args));
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/* ---------------------------------------------------------------------
 * Supervisor
 * ---------------------------------------------------------------------
 */

/* Databases that accept connections (templates excluded). */
static List *
list_databases(void)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext outer = CurrentMemoryContext;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(outer);
		dbs = lappend_oid(dbs, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

static bool
database_connectable(Oid dboid)
{
	HeapTuple	tup;
	bool		ok = false;

	StartTransactionCommand();
	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (HeapTupleIsValid(tup))
	{
		ok = ((Form_pg_database) GETSTRUCT(tup))->datallowconn;
		ReleaseSysCache(tup);
	}
	CommitTransactionCommand();
	return ok;
}

/* Free the slots of chunk workers that have exited. */
static void
reap_workers(void)
{
	for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
	{
		pid_t		pid;

		if (slot_handles[i] == NULL)
			continue;
		if (GetBackgroundWorkerPid(slot_handles[i], &pid) != BGWH_STOPPED)
			continue;
		pfree(slot_handles[i]);
		slot_handles[i] = NULL;
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		/* a worker that never ran holds nothing; one that ran cleared it */
		if (cz_batch->slots[i].in_use && cz_batch->slots[i].job_id != 0)
		{
			CzChunkRef	ref;

			ref.dboid = cz_batch->slots[i].dboid;
			ref.job_id = cz_batch->slots[i].job_id;
			ref.chunk_no = cz_batch->slots[i].chunk_no;
			if (cz_batch->count < cz_batch->array_len)
			{
				memmove(&cz_batch->queue[1], &cz_batch->queue[0],
						sizeof(CzChunkRef) * cz_batch->count);
				cz_batch->queue[0] = ref;
				cz_batch->count++;
			}
		}
		memset(&cz_batch->slots[i], 0, sizeof(CzWorkerSlot));
		LWLockRelease(cz_batch->lock);
	}
}

/*
 * Start chunk workers for databases with queued chunks: one more for a
 * database while it has more queued chunks than workers, up to
 * categorize.max_workers in all.
 */
static void
start_workers(void)
{
	for (;;)
	{
		Oid			dboid = InvalidOid;
		int			free_slot = -1;
		int			running = 0;
		bool		ok;

		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
		{
			if (cz_batch->slots[i].in_use)
				running++;
			else if (free_slot < 0)
				free_slot = i;
		}
		if (cz_batch->count == 0)
			cz_batch->slots_exhausted = false;
		if (running < Min(cz_max_workers, CZ_BATCH_MAX_SLOTS) && free_slot >= 0)
		{
			/* first queued chunk whose database has fewer workers than chunks */
			for (int q = 0; q < cz_batch->count && !OidIsValid(dboid); q++)
			{
				Oid			db = cz_batch->queue[q].dboid;
				int			queued = 0;
				int			workers = 0;

				for (int k = 0; k < cz_batch->count; k++)
					if (cz_batch->queue[k].dboid == db)
						queued++;
				for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
					if (cz_batch->slots[i].in_use && cz_batch->slots[i].dboid == db &&
						cz_batch->slots[i].job_id == 0)
						workers++;
				if (queued > workers)
					dboid = db;
			}
		}
		if (OidIsValid(dboid))
		{
			memset(&cz_batch->slots[free_slot], 0, sizeof(CzWorkerSlot));
			cz_batch->slots[free_slot].in_use = true;
			cz_batch->slots[free_slot].dboid = dboid;
		}
		LWLockRelease(cz_batch->lock);

		if (!OidIsValid(dboid))
			return;

		if (!database_connectable(dboid))
		{
			/* dropped, or closed to connections: its chunks wait in the tables */
			LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
			memset(&cz_batch->slots[free_slot], 0, sizeof(CzWorkerSlot));
			for (int q = 0; q < cz_batch->count;)
			{
				if (cz_batch->queue[q].dboid == dboid)
				{
					memmove(&cz_batch->queue[q], &cz_batch->queue[q + 1],
							sizeof(CzChunkRef) * (cz_batch->count - q - 1));
					cz_batch->count--;
				}
				else
					q++;
			}
			LWLockRelease(cz_batch->lock);
			elog(LOG, "categorize batch: dropped the queued chunks of database %u, which accepts no connections",
				 dboid);
			continue;
		}

		ok = start_dynamic(CZ_WORKER_CHUNKS, dboid, free_slot, &slot_handles[free_slot]);
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		cz_batch->slots_exhausted = !ok;
		if (!ok)
			memset(&cz_batch->slots[free_slot], 0, sizeof(CzWorkerSlot));
		LWLockRelease(cz_batch->lock);
		if (!ok)
		{
			slot_handles[free_slot] = NULL;
			return;				/* no free worker process; retry later */
		}
	}
}

/*
 * Run the scanner in each database in turn; returns the databases still
 * to scan (those for which no worker could be started).
 */
static List *
run_scanners(List *dbs)
{
	List	   *left = NIL;
	ListCell   *lc;

	foreach(lc, dbs)
	{
		Oid			dboid = lfirst_oid(lc);
		BackgroundWorkerHandle *handle;
		pid_t		pid;

		if (!start_dynamic(CZ_WORKER_SCAN, dboid, -1, &handle))
		{
			left = lappend_oid(left, dboid);
			continue;
		}
		if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED)
			(void) WaitForBackgroundWorkerShutdown(handle);
		pfree(handle);
		/* let chunk workers start as soon as a database has work */
		start_workers();
	}
	list_free(dbs);
	return left;
}

static void
supervisor_exit(int code, Datum arg)
{
	if (cz_batch == NULL)
		return;
	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	if (cz_batch->supervisor_pid == MyProcPid)
	{
		cz_batch->supervisor_pid = 0;
		cz_batch->supervisor_latch = NULL;
	}
	LWLockRelease(cz_batch->lock);
}

void
cz_batch_supervisor_main(Datum arg)
{
	List	   *to_scan;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	/* it runs no statement a cancel could mean (pg_cancel_backend) */
	pqsignal(SIGINT, SIG_IGN);
	BackgroundWorkerUnblockSignals();

	if (cz_batch == NULL)
		proc_exit(0);

	/* no database: the supervisor reads only pg_database */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	cz_batch->supervisor_pid = MyProcPid;
	cz_batch->supervisor_latch = MyLatch;
	/* slots of workers started by an earlier supervisor: their handles are gone */
	for (int i = 0; i < CZ_BATCH_MAX_SLOTS; i++)
		if (cz_batch->slots[i].in_use && cz_batch->slots[i].pid == 0)
			memset(&cz_batch->slots[i], 0, sizeof(CzWorkerSlot));
	LWLockRelease(cz_batch->lock);
	before_shmem_exit(supervisor_exit, (Datum) 0);

	to_scan = list_databases();
	elog(DEBUG1, "categorize batch supervisor: scanning %d databases for pending chunks",
		 list_length(to_scan));

	while (!ShutdownRequestPending)
	{
		bool		rescan;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		reap_workers();
		if (to_scan != NIL)
			to_scan = run_scanners(to_scan);

		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		rescan = cz_batch->rescan_needed &&
			cz_batch->count + cz_batch->reserved < cz_batch->capacity / 2;
		if (rescan)
			cz_batch->rescan_needed = false;
		LWLockRelease(cz_batch->lock);
		if (rescan && to_scan == NIL)
			to_scan = list_databases();

		start_workers();

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);

		/*
		 * Absorb procsignal barriers (DROP DATABASE waits until every
		 * process has released its smgr handles).  SIGTERM only sets
		 * ShutdownRequestPending, which the loop tests.
		 */
		CHECK_FOR_INTERRUPTS();
	}

	/*
	 * Exit code 1: the postmaster starts us again after bgw_restart_time
	 * (code 0 would unregister the supervisor for good, and a terminated
	 * supervisor would leave pending chunks waiting until a restart).  In a
	 * shutdown nothing is restarted anyway.
	 */
	proc_exit(1);
}

/* ---------------------------------------------------------------------
 * Scanner: requeue the pending chunks of one database
 * ---------------------------------------------------------------------
 */
static void
scan_database(void)
{
	int			queued = 0;
	bool		full = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "scanning for pending batch chunks");

	if (SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'categorize'",
					true, 0) == SPI_OK_SELECT && SPI_processed == 1 &&
		SPI_execute("SELECT c.job_id, c.chunk_no"
					"  FROM categorize.batch_chunks c"
					"  JOIN categorize.batch_jobs j USING (job_id)"
					" WHERE c.state = 'pending' AND j.state IN ('queued', 'running')"
					" ORDER BY c.job_id, c.chunk_no", true, 0) == SPI_OK_SELECT)
	{
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			CzChunkRef	ref;
			bool		isnull;
			bool		held = false;

			ref.dboid = MyDatabaseId;
			ref.job_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 1, &isnull));
			ref.chunk_no = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc, 2, &isnull));
			LWLockAcquire(cz_batch->lock, LW_SHARED);
			for (int s = 0; s < CZ_BATCH_MAX_SLOTS; s++)
				if (cz_batch->slots[s].in_use && cz_batch->slots[s].dboid == ref.dboid &&
					cz_batch->slots[s].job_id == ref.job_id &&
					cz_batch->slots[s].chunk_no == ref.chunk_no)
					held = true;
			LWLockRelease(cz_batch->lock);
			if (held)
				continue;
			if (!cz_queue_push(&ref, false))
			{
				full = true;
				break;
			}
			queued++;
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	if (full)
	{
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		cz_batch->rescan_needed = true;
		LWLockRelease(cz_batch->lock);
	}
	if (queued > 0)
		elog(LOG, "categorize batch: resuming %d pending chunks in database %u",
			 queued, MyDatabaseId);
}

/* ---------------------------------------------------------------------
 * Chunk worker
 * ---------------------------------------------------------------------
 */

/* What a chunk needs, read from the job tables. */
typedef struct ChunkJob
{
	CzChunkRef	ref;
	Oid			target;
	char		column[NAMEDATALEN];
	bool		only_uncategorized;
	Oid			owner;
	int64		first_block;
	int64		end_block;
	char	   *settings;		/* jsonb text, in the worker's context */
} ChunkJob;

typedef enum ChunkResult
{
	CHUNK_DONE,					/* committed */
	CHUNK_SKIPPED,				/* not pending, held elsewhere, or job over */
	CHUNK_RETRY,				/* deadlock, serialization failure, spurious cancel */
	CHUNK_HELD,					/* the breaker opened meanwhile: rolled back */
	CHUNK_FAILED				/* error recorded */
} ChunkResult;

static void
slot_hold(const CzChunkRef *ref)
{
	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	cz_batch->slots[my_slot].job_id = ref ? ref->job_id : 0;
	cz_batch->slots[my_slot].chunk_no = ref ? ref->chunk_no : 0;
	LWLockRelease(cz_batch->lock);
}

/* Give back a chunk still in hand, free the slot, tell the supervisor. */
static void
worker_exit(int code, Datum arg)
{
	if (cz_batch == NULL || my_slot < 0)
		return;
	LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
	if (cz_batch->slots[my_slot].job_id != 0 && cz_batch->count < cz_batch->array_len)
	{
		CzChunkRef	ref;

		ref.dboid = cz_batch->slots[my_slot].dboid;
		ref.job_id = cz_batch->slots[my_slot].job_id;
		ref.chunk_no = cz_batch->slots[my_slot].chunk_no;
		memmove(&cz_batch->queue[1], &cz_batch->queue[0],
				sizeof(CzChunkRef) * cz_batch->count);
		cz_batch->queue[0] = ref;
		cz_batch->count++;
	}
	cz_batch->slots[my_slot].job_id = 0;
	cz_batch->slots[my_slot].pid = 0;
	LWLockRelease(cz_batch->lock);
	cz_batch_wake_supervisor();
}

static void
sleep_ms(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

static void
begin_xact(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
end_xact(bool commit)
{
	SPI_finish();
	PopActiveSnapshot();
	if (commit)
		CommitTransactionCommand();
	else
		AbortCurrentTransaction();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * In a PG_CATCH block: take the error out of the error state and abort the
 * chunk's transaction.  Returns the error, allocated in cxt.
 */
static ErrorData *
abort_xact_with_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	pgstat_report_activity(STATE_IDLE, NULL);
	return edata;
}

/*
 * Read the job of a chunk and mark the job running.  False if the chunk
 * is no longer to be done.
 */
static bool
load_chunk(ChunkJob *job)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	bool		to_do_chunk = false;
	MemoryContext oldcxt = CurrentMemoryContext;

	values[0] = Int64GetDatum(job->ref.job_id);
	values[1] = Int32GetDatum(job->ref.chunk_no);

	PG_TRY();
	{
		begin_xact("reading a batch job");
		if (SPI_execute_with_args("SELECT j.target::oid, j.category_column, j.only_uncategorized, j.owner,"
								  "       c.first_block, c.end_block, j.state, j.settings::text"
								  "  FROM categorize.batch_jobs j"
								  "  JOIN categorize.batch_chunks c USING (job_id)"
								  " WHERE j.job_id = $1 AND c.chunk_no = $2 AND c.state = 'pending'"
								  "   AND j.state IN ('queued', 'running')",
								  2, types, values, NULL, false, 0) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			HeapTuple	tup = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			char	   *state;

			job->target = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
			strlcpy(job->column, NameStr(*DatumGetName(SPI_getbinval(tup, desc, 2, &isnull))),
					NAMEDATALEN);
			job->only_uncategorized = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
			job->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
			job->first_block = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
			job->end_block = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
			state = SPI_getvalue(tup, desc, 7);
			job->settings = MemoryContextStrdup(oldcxt, SPI_getvalue(tup, desc, 8));
			to_do_chunk = true;
			if (strcmp(state, "queued") == 0)
				SPI_execute_with_args("UPDATE categorize.batch_jobs SET state = 'running',"
									  " started_at = coalesce(started_at, now())"
									  " WHERE job_id = $1 AND state = 'queued'",
									  1, types, values, NULL, false, 0);
		}
		end_xact(true);
	}
	PG_CATCH();
	{
		ErrorData  *edata = abort_xact_with_error(oldcxt);

		/* e.g. the extension was dropped meanwhile */
		elog(LOG, "categorize batch: skipping chunk %d of job " INT64_FORMAT ": %s",
			 job->ref.chunk_no, job->ref.job_id, edata->message);
		FreeErrorData(edata);
		to_do_chunk = false;
	}
	PG_END_TRY();
	return to_do_chunk;
}

/* What finish_job_if_complete found. */
typedef enum JobCheck
{
	JOB_GONE,					/* cancelled (or deleted) meanwhile */
	JOB_GOES_ON,				/* other chunks are still pending */
	JOB_CLOSED					/* this transaction closes the job */
} JobCheck;

/*
 * Inside a chunk's transaction, after its rows: lock the job row (so that
 * workers finishing chunks of one job take turns and the last one sees
 * every other chunk's outcome), then close the job if no chunk is left.
 */
static JobCheck
finish_job_if_complete(int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state;

	values[0] = Int64GetDatum(job_id);
	if (SPI_execute_with_args("SELECT state FROM categorize.batch_jobs WHERE job_id = $1 FOR UPDATE",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		return JOB_GONE;
	state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0)
		return JOB_GONE;
	/* a new statement: its snapshot sees every chunk committed before our lock */
	if (SPI_execute_with_args("UPDATE categorize.batch_jobs j"
							  "   SET state = CASE WHEN EXISTS (SELECT 1 FROM categorize.batch_chunks c"
							  "                                  WHERE c.job_id = j.job_id AND c.state = 'failed')"
							  "                    THEN 'failed' ELSE 'done' END,"
							  "       started_at = coalesce(started_at, now()),"
							  "       finished_at = clock_timestamp()"
							  " WHERE j.job_id = $1"
							  "   AND NOT EXISTS (SELECT 1 FROM categorize.batch_chunks c"
							  "                    WHERE c.job_id = j.job_id AND c.state = 'pending')",
							  1, types, values, NULL, false, 0) == SPI_OK_UPDATE &&
		SPI_processed == 1)
		return JOB_CLOSED;
	return JOB_GOES_ON;
}

static char *
chunk_update_sql(const ChunkJob *job)
{
	StringInfoData sql;
	char	   *nsp = get_namespace_name(get_rel_namespace(job->target));
	char	   *rel = get_rel_name(job->target);

	if (nsp == NULL || rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table of batch job " INT64_FORMAT " no longer exists", job->ref.job_id)));
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s t SET %s = categorize.categorize(t)"
					 " WHERE t.ctid OPERATOR(pg_catalog.>=) '(" INT64_FORMAT ",0)'::pg_catalog.tid"
					 "   AND t.ctid OPERATOR(pg_catalog.<) '(" INT64_FORMAT ",0)'::pg_catalog.tid",
					 quote_qualified_identifier(nsp, rel), quote_identifier(job->column),
					 job->first_block, job->end_block);
	if (job->only_uncategorized)
		appendStringInfo(&sql, " AND t.%s IS NULL", quote_identifier(job->column));
	return sql.data;
}

/*
 * Commit the chunk's transaction without waiting for its WAL to reach disk
 * (synchronous_commit = off for this transaction only).  A chunk's commit
 * used to wait for the flush of everything its UPDATE wrote, and the next
 * worker to finish a chunk of the job waited for that too (the job row
 * lock), about 15-20 ms a chunk on this machine.
 *
 * Exactly once still holds.  The chunk's rows and its done-marker are in
 * one transaction, decided by one commit record, and a crash (or an
 * immediate shutdown) can only lose a suffix of the WAL: either the commit
 * record survives with the rows and the marker, or both are lost, the
 * chunk is pending again after recovery and the supervisor resumes it.
 * What async commit allows is that a chunk seen done before a crash (its
 * rows, rows_done in categorize.jobs) is undone by the crash and done
 * again afterwards; no row is lost or categorized twice.  Anything that
 * depended on it and committed synchronously (a user's later UPDATE of
 * such a row) has a later commit record whose flush covers it.
 *
 * The transaction that closes the job keeps the configured
 * synchronous_commit: its flush covers every chunk commit before it (its
 * job row lock was taken after them, so their commit records precede its
 * own), so a job seen done by categorize.wait or categorize.jobs is
 * durable as a whole.
 */
static void
chunk_commit_async(void)
{
	(void) set_config_option("synchronous_commit", "off",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* One attempt at a chunk: everything in one transaction. */
static ChunkResult
run_chunk(const ChunkJob *job, ErrorData **error)
{
	Oid			types[3] = {INT8OID, INT4OID, INT8OID};
	Datum		values[3];
	ChunkResult result = CHUNK_DONE;
	MemoryContext oldcxt = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec;

	values[0] = Int64GetDatum(job->ref.job_id);
	values[1] = Int32GetDatum(job->ref.chunk_no);
	*error = NULL;

	PG_TRY();
	{
		char	   *sql;
		uint64		rows;

		begin_xact("categorizing a batch chunk");
		if (SPI_execute_with_args("SELECT 1 FROM categorize.batch_chunks"
								  " WHERE job_id = $1 AND chunk_no = $2 AND state = 'pending'"
								  " FOR UPDATE SKIP LOCKED",
								  2, types, values, NULL, false, 0) != SPI_OK_SELECT ||
			SPI_processed != 1)
			result = CHUNK_SKIPPED;
		else
		{
			Oid			settings_type[1] = {TEXTOID};
			Datum		settings[1];

			sql = chunk_update_sql(job);

			/* the submitter's settings, for this transaction */
			settings[0] = CStringGetTextDatum(job->settings);
			if (SPI_execute_with_args("SELECT pg_catalog.set_config(key, value, true)"
									  "  FROM pg_catalog.jsonb_each_text($1::pg_catalog.jsonb)",
									  1, settings_type, settings, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not apply the settings of batch job " INT64_FORMAT,
					 job->ref.job_id);

			/* the rows, as the job's owner */
			GetUserIdAndSecContext(&save_userid, &save_sec);
			SetUserIdAndSecContext(job->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
			if (SPI_execute(sql, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "batch chunk update failed");
			rows = SPI_processed;
			SetUserIdAndSecContext(save_userid, save_sec);

			/*
			 * Rows categorized after the breaker opened got NULL: roll the
			 * chunk back and do it again once the breaker has closed.
			 */
			if (cz_breaker_is_open())
				result = CHUNK_HELD;

			values[2] = Int64GetDatum((int64) rows);
			if (result == CHUNK_DONE)
				SPI_execute_with_args("UPDATE categorize.batch_chunks"
									  "   SET state = 'done', rows_done = $3, attempts = attempts + 1,"
									  "       error = NULL, started_at = now(), finished_at = clock_timestamp()"
									  " WHERE job_id = $1 AND chunk_no = $2",
									  3, types, values, NULL, false, 0);
			if (result == CHUNK_DONE)
			{
				JobCheck	check = finish_job_if_complete(job->ref.job_id);

				if (check == JOB_GONE)
					result = CHUNK_SKIPPED; /* cancelled: roll the chunk back */
				else if (check == JOB_GOES_ON)
					chunk_commit_async();
			}
		}
		end_xact(result == CHUNK_DONE);
	}
	PG_CATCH();
	{
		ErrorData  *edata = abort_xact_with_error(oldcxt);

		*error = edata;
		if (edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
			edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
			edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			result = CHUNK_RETRY;
		else
			result = CHUNK_FAILED;
	}
	PG_END_TRY();
	return result;
}

/* Rows of a chunk the owner would have updated (for rows_failed). */
static int64
count_chunk_rows(const ChunkJob *job)
{
	StringInfoData sql;
	Oid			save_userid;
	int			save_sec;
	int64		n = 0;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		char	   *nsp = get_namespace_name(get_rel_namespace(job->target));
		char	   *rel = get_rel_name(job->target);

		if (nsp != NULL && rel != NULL)
		{
			initStringInfo(&sql);
			appendStringInfo(&sql,
							 "SELECT count(*) FROM %s t"
							 " WHERE t.ctid OPERATOR(pg_catalog.>=) '(" INT64_FORMAT ",0)'::pg_catalog.tid"
							 "   AND t.ctid OPERATOR(pg_catalog.<) '(" INT64_FORMAT ",0)'::pg_catalog.tid",
							 quote_qualified_identifier(nsp, rel), job->first_block, job->end_block);
			if (job->only_uncategorized)
				appendStringInfo(&sql, " AND t.%s IS NULL", quote_identifier(job->column));
			GetUserIdAndSecContext(&save_userid, &save_sec);
			SetUserIdAndSecContext(job->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
			if (SPI_execute(sql.data, true, 0) == SPI_OK_SELECT && SPI_processed == 1)
			{
				bool		isnull;

				n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												SPI_tuptable->tupdesc, 1, &isnull));
			}
			SetUserIdAndSecContext(save_userid, save_sec);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		n = 0;
	}
	PG_END_TRY();
	return n;
}

/* Record a chunk's last error and go on. */
static void
fail_chunk(const ChunkJob *job, const char *message, int attempts)
{
	Oid			types[5] = {INT8OID, INT4OID, TEXTOID, INT8OID, INT4OID};
	Datum		values[5];
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		begin_xact("recording a failed batch chunk");
		values[0] = Int64GetDatum(job->ref.job_id);
		values[1] = Int32GetDatum(job->ref.chunk_no);
		values[2] = CStringGetTextDatum(message);
		values[3] = Int64GetDatum(count_chunk_rows(job));
		values[4] = Int32GetDatum(attempts);
		SPI_execute_with_args("UPDATE categorize.batch_chunks"
							  "   SET state = 'failed', error = $3, rows_failed = $4,"
							  "       attempts = attempts + $5, finished_at = clock_timestamp()"
							  " WHERE job_id = $1 AND chunk_no = $2 AND state = 'pending'",
							  5, types, values, NULL, false, 0);
		if (SPI_processed == 1)
			(void) finish_job_if_complete(job->ref.job_id);
		end_xact(true);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
}

static void
process_chunk(const CzChunkRef *ref)
{
	ChunkJob	job;
	int			attempt = 0;

	memset(&job, 0, sizeof(job));
	job.ref = *ref;

	/* a cancel aimed at an earlier chunk must not hit this one */
	QueryCancelPending = false;
	if (!load_chunk(&job))
		return;

	for (;;)
	{
		ErrorData  *edata;
		ChunkResult result;

		/* breaker open: hold the chunk rather than categorize into NULLs */
		while (cz_breaker_is_open())
			sleep_ms(BREAKER_RECHECK_MS);

		attempt++;
		result = run_chunk(&job, &edata);
		if (result == CHUNK_DONE)
		{
			LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
			cz_batch->chunks_done++;
			LWLockRelease(cz_batch->lock);
			return;
		}
		if (result == CHUNK_SKIPPED)
			return;
		if (result == CHUNK_HELD)
		{
			attempt--;
			continue;
		}
		if (result == CHUNK_RETRY && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			/* categorize.cancel, or a stray signal: is the job still on? */
			FreeErrorData(edata);
			QueryCancelPending = false;
			if (!load_chunk(&job))
				return;
			attempt--;
			continue;
		}
		if (result == CHUNK_RETRY && attempt < CHUNK_MAX_ATTEMPTS)
		{
			long		backoff = BACKOFF_BASE_MS << (attempt - 1);

			elog(LOG, "categorize batch: retrying chunk %d of job " INT64_FORMAT " after: %s",
				 job.ref.chunk_no, job.ref.job_id, edata->message);
			FreeErrorData(edata);
			sleep_ms(backoff + (long) pg_prng_uint64_range(&pg_global_prng_state, 0, backoff));
			continue;
		}
		elog(LOG, "categorize batch: chunk %d of job " INT64_FORMAT " failed after %d attempts: %s",
			 job.ref.chunk_no, job.ref.job_id, attempt, edata->message);
		fail_chunk(&job, edata->message, attempt);
		FreeErrorData(edata);
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		cz_batch->chunks_failed++;
		LWLockRelease(cz_batch->lock);
		return;
	}
}

void
cz_batch_worker_main(Datum arg)
{
	CzWorkerArgs args;
	MemoryContext work_cxt;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));

	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	if (cz_batch == NULL)
		proc_exit(0);

	if (args.mode == CZ_WORKER_CHUNKS)
	{
		my_slot = args.slot;
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		cz_batch->slots[my_slot].pid = MyProcPid;
		cz_batch->slots[my_slot].job_id = 0;
		LWLockRelease(cz_batch->lock);
		before_shmem_exit(worker_exit, (Datum) 0);
	}

	/* the bootstrap superuser can always log in; chunks switch to the owner */
	BackgroundWorkerInitializeConnectionByOid(args.dboid, BOOTSTRAP_SUPERUSERID, 0);

	if (args.mode == CZ_WORKER_SCAN)
	{
		scan_database();
		proc_exit(0);
	}

	work_cxt = AllocSetContextCreate(TopMemoryContext, "categorize batch worker",
									 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		CzChunkRef	ref;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* hold back while the breaker is open, before taking a chunk */
		while (cz_breaker_is_open())
			sleep_ms(BREAKER_RECHECK_MS);

		/* take the chunk and mark it held in one step, so none is lost */
		LWLockAcquire(cz_batch->lock, LW_EXCLUSIVE);
		{
			bool		found = false;

			for (int i = 0; i < cz_batch->count; i++)
			{
				if (cz_batch->queue[i].dboid != MyDatabaseId)
					continue;
				ref = cz_batch->queue[i];
				memmove(&cz_batch->queue[i], &cz_batch->queue[i + 1],
						sizeof(CzChunkRef) * (cz_batch->count - i - 1));
				cz_batch->count--;
				cz_batch->slots[my_slot].job_id = ref.job_id;
				cz_batch->slots[my_slot].chunk_no = ref.chunk_no;
				found = true;
				break;
			}
			LWLockRelease(cz_batch->lock);
			if (!found)
				break;
		}

		MemoryContextSwitchTo(work_cxt);
		process_chunk(&ref);
		slot_hold(NULL);
		MemoryContextReset(work_cxt);
		ConditionVariableBroadcast(&cz_batch->job_cv);

		/*
		 * A worker runs many transactions without going idle: report the
		 * table statistics now and then (at most once a second), so that
		 * autovacuum and pg_stat_user_tables see the dead row versions of
		 * a long job before the worker exits.
		 */
		(void) pgstat_report_stat(false);
	}
	proc_exit(0);
}
