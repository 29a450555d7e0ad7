-- Replay of the labeled expense set (see accuracy.sh): in date order, each
-- expense is categorized with categorize.categorize(), then the true
-- category is taught with categorize.learn().  Expects psql variables csv
-- and per_user (1: each household is a user_id and learns on its own; 0:
-- one shared learner).
\set ON_ERROR_STOP 1
\timing off
CREATE EXTENSION IF NOT EXISTS categorize;
SELECT * FROM categorize.load_sample_data();

CREATE TABLE expenses (
    id               serial PRIMARY KEY,
    transaction_date timestamp NOT NULL,
    description      text NOT NULL,
    merchant_name    text,
    amount           numeric(12,2),
    category         text NOT NULL,
    household        text NOT NULL,
    user_id          text
);
COPY expenses (transaction_date, description, merchant_name, amount, category, household) FROM :'csv' WITH (FORMAT csv, HEADER);
UPDATE expenses SET merchant_name = NULL WHERE merchant_name = '';
UPDATE expenses SET user_id = household WHERE :per_user = 1;
SELECT CASE WHEN :per_user = 1 THEN 'per user (households learn separately)'
            ELSE 'shared (one learner)' END AS learning_mode;

-- Every label must be a category of the starter set.
SELECT count(*) AS unknown_labels
  FROM expenses e LEFT JOIN categorize.categories c ON c.name = e.category
 WHERE c.id IS NULL;

CREATE TABLE replay (
    seq        int PRIMARY KEY,
    id         int NOT NULL,
    truth      bigint NOT NULL,
    static     bigint,       -- starter patterns only, no learning
    predicted  bigint,       -- prequential: before learning this expense
    predict_us float8,
    learn_us   float8
);

-- Starter patterns alone.
INSERT INTO replay (seq, id, truth, static)
SELECT row_number() OVER (ORDER BY e.transaction_date, e.id), e.id, c.id, categorize.categorize(e)
  FROM expenses e JOIN categorize.categories c ON c.name = e.category;

CREATE PROCEDURE run_replay() LANGUAGE plpgsql AS $$
DECLARE
    e     expenses;
    r     replay;
    p     bigint;
    t0    timestamptz;
    t1    timestamptz;
    t2    timestamptz;
    n     int := 0;
BEGIN
    FOR r IN SELECT * FROM replay ORDER BY seq LOOP
        SELECT * INTO e FROM expenses WHERE id = r.id;
        t0 := clock_timestamp();
        p := categorize.categorize(e);
        t1 := clock_timestamp();
        PERFORM categorize.learn(e, r.truth);
        t2 := clock_timestamp();
        UPDATE replay SET predicted = p,
               predict_us = extract(epoch FROM t1 - t0) * 1e6,
               learn_us = extract(epoch FROM t2 - t1) * 1e6
         WHERE seq = r.seq;
        n := n + 1;
        IF n % 500 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$$;

\timing on
CALL run_replay();
\timing off

-- Baseline: the category last seen for exactly the same description.
CREATE VIEW baseline AS
SELECT r.seq, r.truth,
       lag(r.truth) OVER (PARTITION BY e.user_id, e.description ORDER BY r.seq) AS predicted
  FROM replay r JOIN expenses e ON e.id = r.id;

-- A stronger one: the same description once digits are dropped and the
-- text normalized (store numbers, dates and references no longer differ).
CREATE VIEW baseline_nodigits AS
SELECT r.seq, r.truth,
       lag(r.truth) OVER (PARTITION BY e.user_id, categorize.normalize(regexp_replace(e.description, '[0-9]', '', 'g'))
                          ORDER BY r.seq) AS predicted
  FROM replay r JOIN expenses e ON e.id = r.id;

\echo
\echo === accuracy (share of all expenses categorized correctly; NULL counts as wrong)
WITH n AS (SELECT count(*) AS total FROM replay),
m AS (
  SELECT 'learn (prequential)' AS method, r.seq, r.truth, r.predicted FROM replay r
  UNION ALL SELECT 'starter patterns only', r.seq, r.truth, r.static FROM replay r
  UNION ALL SELECT 'baseline: same description', b.seq, b.truth, b.predicted FROM baseline b
  UNION ALL SELECT 'baseline: same description without digits', b.seq, b.truth, b.predicted
              FROM baseline_nodigits b
)
SELECT method,
       count(*) AS expenses,
       round(100.0 * avg((coalesce(predicted = truth, false))::int), 1) AS accuracy_pct,
       round(100.0 * avg((predicted IS NOT NULL)::int), 1) AS coverage_pct,
       round(100.0 * sum((predicted = truth)::int) / nullif(sum((predicted IS NOT NULL)::int), 0), 1)
           AS precision_pct,
       round(100.0 * avg((coalesce(predicted = truth, false))::int)
             FILTER (WHERE seq > 0.8 * (SELECT total FROM n)), 1) AS last20_accuracy_pct,
       round(100.0 * avg((predicted IS NOT NULL)::int)
             FILTER (WHERE seq > 0.8 * (SELECT total FROM n)), 1) AS last20_coverage_pct
  FROM m GROUP BY method ORDER BY method;

\echo === accuracy by tenth of the stream (learn)
SELECT (seq - 1) * 10 / (SELECT count(*) FROM replay) + 1 AS tenth,
       round(100.0 * avg((coalesce(predicted = truth, false))::int), 1) AS accuracy_pct,
       round(100.0 * avg((predicted IS NOT NULL)::int), 1) AS coverage_pct
  FROM replay GROUP BY 1 ORDER BY 1;

\echo === timing
SELECT round(avg(predict_us)::numeric, 1) AS predict_mean_us,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY predict_us))::numeric, 1) AS predict_p95_us,
       round(avg(learn_us)::numeric, 1) AS learn_mean_us,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY learn_us))::numeric, 1) AS learn_p95_us
  FROM replay;

\echo === what learning did
SELECT kind, count(*) AS learned_patterns, count(*) FILTER (WHERE active) AS active
  FROM categorize.patterns WHERE user_created GROUP BY kind ORDER BY kind;
SELECT count(*) AS feedback_rows, count(*) FILTER (WHERE corrected) AS corrections,
       sum(cardinality(weakened_pattern_ids)) AS weakenings,
       sum(cardinality(deactivated_pattern_ids)) AS deactivations
  FROM categorize.feedback;

\echo === most frequent errors in the last 20% (learn)
SELECT e.description, tc.name AS truth, pc.name AS predicted
  FROM replay r JOIN expenses e ON e.id = r.id
  JOIN categorize.categories tc ON tc.id = r.truth
  LEFT JOIN categorize.categories pc ON pc.id = r.predicted
 WHERE r.seq > 0.8 * (SELECT count(*) FROM replay)
   AND r.predicted IS DISTINCT FROM r.truth
 ORDER BY r.seq LIMIT 40;
