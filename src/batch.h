/*-------------------------------------------------------------------------
 *
 * batch.h
 *	  Batch jobs: the shared chunk queue (batch.c) and the background
 *	  workers that drain it (worker.c).
 *
 *	  A job is a row of categorize.batch_jobs plus one row of
 *	  categorize.batch_chunks per block range.  The tables are the truth;
 *	  the shared queue only says which chunk to try next, so it may be
 *	  lost (crash restart) or hold a chunk twice without harm: a worker
 *	  locks the chunk row and checks that it is still pending in the same
 *	  transaction that categorizes its rows and marks it done.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CATEGORIZE_BATCH_H
#define CATEGORIZE_BATCH_H

#include "postgres.h"

#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

/* Upper bound of categorize.max_workers (its GUC maximum). */
#define CZ_BATCH_MAX_SLOTS		64

/* One chunk waiting to be worked on. */
typedef struct CzChunkRef
{
	Oid			dboid;
	int32		chunk_no;
	int64		job_id;
} CzChunkRef;

/* A dynamic worker slot, owned by the supervisor (which fills it) and the
 * worker (which records the chunk in hand). */
typedef struct CzWorkerSlot
{
	bool		in_use;
	pid_t		pid;			/* 0 until the worker has started */
	Oid			dboid;
	int64		job_id;			/* chunk in hand, or 0 */
	int32		chunk_no;
} CzWorkerSlot;

/*
 * Shared state, all of it under "lock" except the condition variable.
 * queue[0 .. count-1] is FIFO; "reserved" counts entries promised to
 * transactions that submitted jobs and have not yet committed.  The array
 * has CZ_BATCH_MAX_SLOTS spare entries beyond capacity so that chunks
 * given back by exiting workers always fit.
 */
typedef struct CzBatchShared
{
	LWLock	   *lock;
	ConditionVariable job_cv;	/* broadcast when a job may have changed */
	pid_t		supervisor_pid;
	Latch	   *supervisor_latch;
	int			capacity;		/* categorize.queue_capacity */
	int			array_len;
	int			count;
	int			reserved;
	bool		slots_exhausted;	/* last worker registration failed */
	bool		rescan_needed;	/* a scan found more than would fit */
	uint64		chunks_done;	/* since server start */
	uint64		chunks_failed;
	CzWorkerSlot slots[CZ_BATCH_MAX_SLOTS];
	CzChunkRef	queue[FLEXIBLE_ARRAY_MEMBER];
} CzBatchShared;

/* Worker modes (bgw_extra). */
typedef enum CzWorkerMode
{
	CZ_WORKER_CHUNKS,			/* take chunks of one database from the queue */
	CZ_WORKER_SCAN				/* enqueue the pending chunks of one database */
} CzWorkerMode;

typedef struct CzWorkerArgs
{
	CzWorkerMode mode;
	Oid			dboid;
	int			slot;			/* CZ_WORKER_CHUNKS only */
} CzWorkerArgs;

extern CzBatchShared *cz_batch;

/* batch.c */
extern void cz_batch_init(void);
extern bool cz_queue_push(const CzChunkRef *ref, bool front);
extern int	cz_queue_free(void);
extern void cz_batch_wake_supervisor(void);
extern void cz_batch_queue_counts(int *queued, int *capacity, int *workers);

/* worker.c */
extern void cz_batch_register_supervisor(void);
extern PGDLLEXPORT void cz_batch_supervisor_main(Datum arg);
extern PGDLLEXPORT void cz_batch_worker_main(Datum arg);

#endif							/* CATEGORIZE_BATCH_H */
