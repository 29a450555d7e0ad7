-- After the soak: every row present and categorized as categorize() does
-- under the pattern set it was inserted with.
\set ON_ERROR_STOP 1
\pset footer off
-- the index follows committed pattern sets, so a row may have been
-- categorized under the set its statement saw or the one after it (a
-- commit between the statement's start and its call); never anything
-- else, and never only under the one before
CREATE TABLE soak.replay (id bigint, version bigint, category_id bigint);
CREATE INDEX ON soak.expenses (pattern_version);
DO $$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT version, patterns FROM soak.pattern_versions ORDER BY version LOOP
        DELETE FROM categorize.patterns;
        INSERT INTO categorize.patterns
            SELECT * FROM jsonb_populate_recordset(NULL::categorize.patterns, v.patterns);
        INSERT INTO soak.replay
            SELECT e.id, v.version, categorize.categorize(e)
              FROM soak.expenses e
             WHERE e.pattern_version BETWEEN v.version - 1 AND v.version + 1;
    END LOOP;
END $$;
CREATE INDEX ON soak.replay (id);
ANALYZE soak.replay;

-- for each row, the replayed sets that give its category: its own, the one
-- before (a commit the statement saw that the backend's index missed: a
-- failure when no other set explains the row) or the one after (a commit
-- between the statement's start and its call)
SELECT count(*) AS rows_inserted,
       count(*) FILTER (WHERE m.same) AS same_set,
       count(*) FILTER (WHERE m.any) AS consistent,
       count(*) FILTER (WHERE NOT m.same AND m.before) AS set_before,
       count(*) FILTER (WHERE NOT m.same AND m.after) AS set_after,
       count(*) FILTER (WHERE m.before AND NOT m.same AND NOT m.after) AS only_before,
       count(DISTINCT pattern_version) AS pattern_sets_seen
  FROM soak.expenses e,
       LATERAL (SELECT coalesce(bool_or(r.version = e.pattern_version), false) AS same,
                       coalesce(bool_or(r.version = e.pattern_version - 1), false) AS before,
                       coalesce(bool_or(r.version = e.pattern_version + 1), false) AS after,
                       count(*) > 0 AS any
                  FROM soak.replay r
                 WHERE r.id = e.id AND r.category_id IS NOT DISTINCT FROM e.category_id) m \gset
\echo rows_inserted=:rows_inserted consistent=:consistent same_set=:same_set set_before=:set_before set_after=:set_after only_before=:only_before pattern_sets_seen=:pattern_sets_seen
SELECT count(*) AS backlog_rows, count(category_id) AS backlog_categorized FROM soak.backlog \gset
\echo backlog_rows=:backlog_rows backlog_categorized=:backlog_categorized
