-- categorize install script: learning from corrections (categorize.learn),
-- the feedback log, the provenance of learned patterns, and decay.

-- One row per categorize.learn() call: what was predicted, what the user
-- said, and what learning changed.  It is a log: it has no foreign keys to
-- the categories and patterns, so it neither blocks nor cascades into
-- changes of those tables (TRUNCATE categorize.patterns keeps working) and
-- keeps the history of patterns deleted since.
CREATE TABLE categorize.feedback (
    id                       bigserial PRIMARY KEY,
    created_at               timestamptz NOT NULL DEFAULT now(),
    learned_by               name NOT NULL DEFAULT session_user,  -- the calling role
    user_id                  text,             -- the expense's user_id column, if any
    expense_key              text,             -- the expense's id column, if any
    description              text,
    merchant_name            text,
    predicted_category_id    bigint,           -- NULL: no category reached min_confidence
    predicted_confidence     float8,           -- of the best candidate, even below min_confidence
    correct_category_id      bigint NOT NULL,
    corrected                boolean NOT NULL, -- the prediction was wrong (or NULL)
    learned                  boolean NOT NULL, -- categorize.learning was on
    words                    text[] NOT NULL DEFAULT '{}',  -- distinctive words
    matched_pattern_ids      bigint[] NOT NULL DEFAULT '{}', -- every pattern that matched
    strengthened_pattern_ids bigint[] NOT NULL DEFAULT '{}',
    weakened_pattern_ids     bigint[] NOT NULL DEFAULT '{}',
    deactivated_pattern_ids  bigint[] NOT NULL DEFAULT '{}',
    created_pattern_ids      bigint[] NOT NULL DEFAULT '{}'  -- created, reactivated or raised
);

CREATE INDEX feedback_words_idx ON categorize.feedback USING gin (words);
CREATE INDEX feedback_correct_category_idx ON categorize.feedback (correct_category_id);

COMMENT ON TABLE categorize.feedback IS
    'Corrections recorded by categorize.learn(), with the patterns each one changed.';

-- Which corrections a learned pattern was made from: one row for the
-- correction that created a merchant pattern, one per correction that
-- counted towards a keyword pattern.
CREATE TABLE categorize.learned_from (
    pattern_id  bigint NOT NULL,
    feedback_id bigint NOT NULL,
    PRIMARY KEY (pattern_id, feedback_id)
);
CREATE INDEX learned_from_feedback_idx ON categorize.learned_from (feedback_id);

COMMENT ON TABLE categorize.learned_from IS
    'Provenance of learned patterns: the corrections (categorize.feedback) each was made from.';

-- Every pattern a correction touched, and how: join explain()'s
-- pattern_ids to this view to see why a learned pattern exists.
CREATE VIEW categorize.pattern_feedback AS
SELECT a.pattern_id, f.id AS feedback_id, a.action, f.created_at, f.user_id,
       f.expense_key, f.description, f.merchant_name,
       f.predicted_category_id, f.correct_category_id
  FROM categorize.feedback f
 CROSS JOIN LATERAL (
        SELECT unnest(f.created_pattern_ids), 'created'
        UNION ALL SELECT l.pattern_id, 'evidence' FROM categorize.learned_from l
                   WHERE l.feedback_id = f.id AND l.pattern_id <> ALL (f.created_pattern_ids)
        UNION ALL SELECT unnest(f.strengthened_pattern_ids), 'strengthened'
        UNION ALL SELECT unnest(f.weakened_pattern_ids), 'weakened'
        UNION ALL SELECT unnest(f.deactivated_pattern_ids), 'deactivated'
       ) AS a(pattern_id, action);

COMMENT ON VIEW categorize.pattern_feedback IS
    'Each pattern a correction created, counted towards (evidence), strengthened, weakened or deactivated.';

-- learn() is SECURITY DEFINER so that ordinary application roles can record
-- their users' corrections without being given write access to the pattern
-- tables: what it may change is bounded by its rules (weights move in small
-- steps within 0.1..5.0, only merchant and keyword patterns are created,
-- and an expense with a user_id only ever changes that user's own
-- patterns).  Its search_path is fixed and every name in it is
-- schema-qualified, so the caller cannot redirect what it runs.
CREATE FUNCTION categorize.learn(expense anyelement, category_id bigint)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_learn'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION categorize.learn(anyelement, bigint) IS
    'Records a correction (the expense belongs to category_id) and learns from it; returns the categorize.feedback id.';

GRANT EXECUTE ON FUNCTION categorize.learn(anyelement, bigint) TO PUBLIC;

-- Patterns not involved in any correction for older_than lose 10% of their
-- weight; those that would fall below the minimum weight (0.1) are
-- deactivated instead.  Patterns created by users (or learned) are left
-- alone.  Meant to be run once per period, e.g. monthly from cron.
CREATE FUNCTION categorize.decay(older_than interval DEFAULT '30 days',
                                 OUT decayed bigint, OUT deactivated bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'categorize.decay() needs a non-negative interval, got %',
            coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH changed AS (
        UPDATE categorize.patterns p
           SET weight = greatest(p.weight * 0.9::real, 0.1::real),
               active = (p.weight * 0.9::real >= 0.1::real)
         WHERE p.active AND NOT p.user_created
           AND coalesce(p.last_used_at, p.created_at) < now() - older_than
        RETURNING p.active
    )
    SELECT count(*), count(*) FILTER (WHERE NOT changed.active)
      INTO decayed, deactivated
      FROM changed;
END
$$;

COMMENT ON FUNCTION categorize.decay(interval) IS
    'System patterns unused for older_than lose 10% weight; below the minimum weight they are deactivated.';

REVOKE EXECUTE ON FUNCTION categorize.decay(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION categorize.decay(interval) TO categorize_admin;

-- User data: survives pg_dump / restore.
SELECT pg_catalog.pg_extension_config_dump('categorize.feedback', '');
SELECT pg_catalog.pg_extension_config_dump('categorize.feedback_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('categorize.learned_from', '');

-- Corrections hold users' expense descriptions: only categorize_admin reads
-- them (and may delete them); learn() writes them as the extension owner.
GRANT SELECT, DELETE ON categorize.feedback, categorize.learned_from TO categorize_admin;
GRANT SELECT ON categorize.pattern_feedback TO categorize_admin;
