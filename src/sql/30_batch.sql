-- categorize install script: batch jobs (tables, procedure, view, wait/cancel).
--
-- A job is one row of batch_jobs plus one row of batch_chunks per block
-- range of the target table.  Background workers categorize a chunk and
-- mark it done in the same transaction.  Both tables are private: users see
-- their own jobs through categorize.jobs and act on them through
-- categorize.batch/wait/cancel, which check ownership.

CREATE SEQUENCE categorize.batch_jobs_job_id_seq;

CREATE TABLE categorize.batch_jobs (
    job_id             bigint PRIMARY KEY DEFAULT nextval('categorize.batch_jobs_job_id_seq'),
    target             regclass NOT NULL,
    category_column    name NOT NULL,
    only_uncategorized boolean NOT NULL,
    owner              oid NOT NULL,           -- role the job runs as
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    rows_total         bigint NOT NULL,
    chunks_total       integer NOT NULL,
    in_caller          boolean NOT NULL DEFAULT false,  -- small table, done at once
    settings           jsonb NOT NULL DEFAULT '{}',     -- submitter's categorize.* session settings
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz
);
ALTER SEQUENCE categorize.batch_jobs_job_id_seq OWNED BY categorize.batch_jobs.job_id;

CREATE TABLE categorize.batch_chunks (
    job_id       bigint NOT NULL REFERENCES categorize.batch_jobs (job_id) ON DELETE CASCADE,
    chunk_no     integer NOT NULL,
    first_block  bigint NOT NULL,               -- ctid range [first_block, end_block)
    end_block    bigint NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'done', 'failed')),
    rows_done    bigint NOT NULL DEFAULT 0,
    rows_failed  bigint NOT NULL DEFAULT 0,
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    started_at   timestamptz,                   -- start of the transaction that did it
    finished_at  timestamptz,
    PRIMARY KEY (job_id, chunk_no),
    CHECK (end_block > first_block)
);
CREATE INDEX batch_chunks_pending_idx ON categorize.batch_chunks (job_id, chunk_no)
    WHERE state = 'pending';

REVOKE ALL ON categorize.batch_jobs, categorize.batch_chunks,
    categorize.batch_jobs_job_id_seq FROM PUBLIC;

COMMENT ON TABLE categorize.batch_jobs IS
    'Batch jobs (categorize.batch); read them through the categorize.jobs view.';
COMMENT ON TABLE categorize.batch_chunks IS
    'Block ranges of batch jobs; a chunk is marked done in the transaction that categorized its rows.';

CREATE FUNCTION categorize._batch_submit(target regclass, category_column name,
                                         only_uncategorized boolean)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_batch_submit'
    LANGUAGE C VOLATILE;

CREATE PROCEDURE categorize.batch(target regclass,
                                  category_column name DEFAULT 'category_id',
                                  only_uncategorized boolean DEFAULT true,
                                  INOUT job_id bigint DEFAULT NULL)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    job_id := categorize._batch_submit(target, category_column, only_uncategorized);
END
$$;

COMMENT ON PROCEDURE categorize.batch(regclass, name, boolean, bigint) IS
    'Categorize a table: small ones at once, larger ones as a background job (see categorize.jobs).';

CREATE FUNCTION categorize.wait(job_id bigint, timeout interval DEFAULT NULL)
    RETURNS text
    AS 'MODULE_PATHNAME', 'categorize_batch_wait'
    LANGUAGE C VOLATILE;

COMMENT ON FUNCTION categorize.wait(bigint, interval) IS
    'Wait until a batch job ends (or the timeout passes) and return its state.';

CREATE FUNCTION categorize.cancel(job_id bigint)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'categorize_batch_cancel'
    LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION categorize.cancel(bigint) IS
    'Cancel a queued or running batch job; chunks already committed stay committed.  False if it had already ended.';

CREATE FUNCTION categorize.batch_queue(OUT queued_chunks int, OUT reserved_chunks int,
                                       OUT capacity int, OUT workers int,
                                       OUT slots_exhausted boolean,
                                       OUT supervisor_pid int)
    AS 'MODULE_PATHNAME', 'categorize_batch_queue'
    LANGUAGE C VOLATILE;

COMMENT ON FUNCTION categorize.batch_queue() IS
    'The shared chunk queue and the batch workers, now.';

CREATE FUNCTION categorize._batch_wait_reason()
    RETURNS text
    AS 'MODULE_PATHNAME', 'categorize_batch_wait_reason'
    LANGUAGE C VOLATILE;

CREATE VIEW categorize.jobs WITH (security_barrier) AS
SELECT j.job_id,
       j.target,
       j.state,
       j.rows_total,
       coalesce(c.rows_done, 0)::bigint AS rows_done,
       coalesce(c.rows_failed, 0)::bigint AS rows_failed,
       j.submitted_at,
       j.started_at,
       j.finished_at,
       CASE WHEN j.rows_total = 0 THEN 100.0
            ELSE round(100.0 * least(coalesce(c.rows_done, 0) + coalesce(c.rows_failed, 0), j.rows_total)
                       / j.rows_total, 1)
       END AS progress,
       CASE WHEN j.started_at IS NOT NULL
                 AND coalesce(j.finished_at, now()) > j.started_at
            THEN round((coalesce(c.rows_done, 0)
                        / extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at))::numeric, 1)
       END AS rows_per_second,
       CASE WHEN j.state = 'running' AND coalesce(c.rows_done, 0) > 0
                 AND now() > j.started_at
            THEN (now() - j.started_at)
                 * (greatest(j.rows_total - coalesce(c.rows_done, 0) - coalesce(c.rows_failed, 0), 0)::float8
                    / c.rows_done)
       END AS eta,
       j.chunks_total,
       coalesce(c.chunks_done, 0)::int AS chunks_done,
       coalesce(c.chunks_failed, 0)::int AS chunks_failed,
       j.category_column,
       j.only_uncategorized,
       j.owner::regrole AS owner,
       CASE WHEN j.state = 'queued' THEN categorize._batch_wait_reason() END AS waiting_for,
       c.last_error
  FROM categorize.batch_jobs j
  LEFT JOIN LATERAL (
        SELECT sum(k.rows_done) AS rows_done,
               sum(k.rows_failed) AS rows_failed,
               count(*) FILTER (WHERE k.state = 'done') AS chunks_done,
               count(*) FILTER (WHERE k.state = 'failed') AS chunks_failed,
               max(k.error) AS last_error
          FROM categorize.batch_chunks k
         WHERE k.job_id = j.job_id) c ON true
 WHERE pg_catalog.pg_has_role(j.owner, 'MEMBER');

GRANT SELECT ON categorize.jobs TO PUBLIC;

COMMENT ON VIEW categorize.jobs IS
    'Your batch jobs: state, rows done/total/failed, progress (percent), rate (rows/s) and ETA.';
