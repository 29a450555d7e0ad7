-- categorize.batch on small tables (done in the calling backend), the
-- checks made at submission, and the job view, wait and cancel.
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Groceries'), (2, 'Transport');
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (1, 'merchant', 'whole foods', 4), (2, 'keyword', 'taxi', 4);

CREATE TABLE batch_exp (id int PRIMARY KEY, description text, merchant_name text,
                        category_id bigint, note text);
INSERT INTO batch_exp (id, description, merchant_name)
SELECT g, CASE WHEN g % 3 = 0 THEN 'taxi to airport' WHEN g % 3 = 1 THEN 'weekly shop' ELSE 'something else' END,
       CASE WHEN g % 3 = 1 THEN 'Whole Foods' END
  FROM generate_series(1, 30) g;
UPDATE batch_exp SET category_id = 2 WHERE id = 1;    -- set by hand: kept

-- a small table is done at once; the job is recorded as done
CALL categorize.batch('batch_exp');
SELECT category_id, count(*) FROM batch_exp GROUP BY 1 ORDER BY 1;
SELECT target, state, rows_total, rows_done, rows_failed, progress, chunks_total, chunks_done,
       category_column, only_uncategorized, owner, waiting_for
  FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;
SELECT categorize.wait(job_id) FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;
SELECT categorize.wait(job_id, '1 second') FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;
SELECT categorize.cancel(job_id) FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;

-- only_uncategorized => false recategorizes every row, including row 1
CALL categorize.batch('batch_exp', 'category_id', false);
SELECT category_id, count(*) FROM batch_exp GROUP BY 1 ORDER BY 1;
SELECT rows_total, rows_done FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;

-- only the rows still NULL (here: those no pattern matches) are tried again
CALL categorize.batch('batch_exp');
SELECT state, rows_total, rows_done, progress FROM categorize.jobs ORDER BY job_id DESC LIMIT 1;

-- INOUT job_id comes back
DO $$
DECLARE
    j bigint;
BEGIN
    CALL categorize.batch('batch_exp', job_id => j);
    RAISE NOTICE 'job returned: %', j = (SELECT max(job_id) FROM categorize.jobs);
END
$$;

-- checks at submission
CALL categorize.batch('batch_exp', 'no_such_column');
CALL categorize.batch('batch_exp', 'note');
CALL categorize.batch('no_such_table');
CREATE VIEW batch_view AS SELECT * FROM batch_exp;
CALL categorize.batch('batch_view');
CALL categorize.batch(NULL);
SELECT categorize.wait(-1);
SELECT categorize.cancel(-1);
SELECT categorize.wait(NULL);

-- a role without UPDATE is refused; one granted UPDATE (NOLOGIN) may
CREATE ROLE batch_reader NOLOGIN;
CREATE ROLE batch_clerk NOLOGIN;
GRANT SELECT ON batch_exp TO batch_reader, batch_clerk;
GRANT UPDATE (category_id) ON batch_exp TO batch_clerk;
UPDATE batch_exp SET category_id = NULL WHERE id <= 6;
SET ROLE batch_reader;
CALL categorize.batch('batch_exp');
SELECT count(*) AS visible_jobs FROM categorize.jobs;
SELECT * FROM categorize.batch_jobs;
RESET ROLE;
SET ROLE batch_clerk;
CALL categorize.batch('batch_exp');
SELECT state, rows_total, rows_done, owner FROM categorize.jobs;
RESET ROLE;
SELECT count(*) AS uncategorized FROM batch_exp WHERE category_id IS NULL;
-- another role neither sees nor cancels the clerk's job
SELECT max(job_id) AS clerk_job FROM categorize.batch_jobs \gset
SET ROLE batch_reader;
SELECT count(*) AS visible_jobs FROM categorize.jobs;
SELECT categorize.cancel(:clerk_job);
SELECT categorize.wait(:clerk_job);
RESET ROLE;
-- a member of the owning role sees it
GRANT batch_clerk TO batch_reader;
SET ROLE batch_reader;
SELECT count(*) AS visible_jobs FROM categorize.jobs;
SELECT categorize.wait(:clerk_job);
RESET ROLE;

-- a partitioned table: a clear error for the parent; each partition is a
-- table, read by its own column layout (here another order and a dropped
-- column)
CREATE TABLE batch_part (id int, description text, merchant_name text, category_id bigint,
                         part int) PARTITION BY LIST (part);
CREATE TABLE batch_part_1 PARTITION OF batch_part FOR VALUES IN (1);
CREATE TABLE batch_part_2 (junk int, category_id bigint, part int, merchant_name text,
                           description text, id int);
ALTER TABLE batch_part_2 DROP COLUMN junk;
ALTER TABLE batch_part ATTACH PARTITION batch_part_2 FOR VALUES IN (2);
INSERT INTO batch_part (id, description, merchant_name, part)
SELECT id, description, merchant_name, 1 + id % 2 FROM batch_exp;
CALL categorize.batch('batch_part');
DO $$
DECLARE j bigint;
BEGIN
    CALL categorize.batch('batch_part_2', job_id => j);
END $$;
SELECT state, rows_total, rows_done FROM categorize.jobs WHERE target = 'batch_part_2'::regclass;
SELECT tableoid::regclass AS partition, count(*) AS rows, count(category_id) AS categorized,
       count(*) FILTER (WHERE category_id IS DISTINCT FROM categorize.categorize(p)) AS differing
  FROM batch_part p GROUP BY 1 ORDER BY 1;
DROP TABLE batch_part;

-- the queue, with the library preloaded
SELECT capacity > 0 AS has_capacity, supervisor_pid IS NOT NULL AS supervisor_running
  FROM categorize.batch_queue();

DROP VIEW batch_view;
DROP TABLE batch_exp;
DROP ROLE batch_reader;
DROP ROLE batch_clerk;
DELETE FROM categorize.batch_jobs;
TRUNCATE categorize.categories CASCADE;
