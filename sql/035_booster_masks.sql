-- A category with many amount and time patterns (CZ_BOOSTER_MASK_MIN = 16
-- or more) finds its matching boosters through a bitmap per distinct
-- condition: the same patterns, in the same order, as testing each one.
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Groceries'), (2, 'Fuel');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (100, 1, 'keyword', 'groceries', 3),
    (200, 2, 'keyword', 'fuel', 3);
-- 40 boosters on category 1, conditions repeated; 3 on category 2
INSERT INTO categorize.patterns (id, category_id, kind, value)
    SELECT 100 + i, 1,
           CASE WHEN i % 2 = 1 THEN 'amount_range' ELSE 'time' END,
           CASE WHEN i % 2 = 1
                THEN (ARRAY['0.00-10.00', '5.00-15.00', '10.00-20.00', '0.00-10.00',
                            '100.00-200.00'])[1 + (i / 2) % 5]
                ELSE (ARRAY['weekend', 'weekday', 'weekend'])[1 + (i / 2) % 3] END
      FROM generate_series(1, 40) i;
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES
    (201, 2, 'amount_range', '0.00-10.00'), (202, 2, 'time', 'weekend'),
    (203, 2, 'amount_range', '5.00-15.00');
-- one more on category 1 that only user bob may use
INSERT INTO categorize.patterns (id, category_id, kind, value, user_id)
    VALUES (141, 1, 'amount_range', '0.00-1000.00', 'bob');
SELECT boosters FROM categorize.index_info();

-- what each booster's condition says, computed here in SQL
CREATE FUNCTION expected_boosters(cat bigint, amount numeric, at timestamptz)
RETURNS bigint[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(id ORDER BY id), '{}')
      FROM categorize.patterns p
     WHERE p.category_id = cat AND p.user_id IS NULL
       AND CASE p.kind
             WHEN 'amount_range' THEN amount BETWEEN split_part(value, '-', 1)::numeric
                                                 AND split_part(value, '-', 2)::numeric
             WHEN 'time' THEN CASE value WHEN 'weekend' THEN extract(isodow FROM at) >= 6
                                         WHEN 'weekday' THEN extract(isodow FROM at) <= 5 END
           END
$$;

SELECT a AS amount, to_char(t, 'Dy') AS day, c AS category,
       e.pattern_ids[2:] AS boosters,
       e.pattern_ids[2:] = expected_boosters(c, a, t) AS as_expected
  FROM unnest(ARRAY[5, 10, 12.5, 150, 300, NULL]::numeric[]) a,
       unnest(ARRAY['2026-11-28 12:00', '2026-11-24 12:00', NULL]::timestamptz[]) t,
       unnest(ARRAY[1, 2]) c,
       LATERAL (SELECT * FROM categorize.explain(CASE c WHEN 1 THEN 'groceries' ELSE 'fuel' END,
                                                 NULL, a, t)) e
 ORDER BY c, a NULLS LAST, t NULLS LAST;

-- categorize() and the trigger take the shared boosters of a condition that
-- holds in one product, computed at build, and do not list them; explain()
-- lists them one by one.  The confidence is the same to the last bit, with
-- and without bob's own booster.
CREATE TABLE booster_rows (description text, amount numeric, transaction_date timestamptz,
                           user_id text, category_id bigint, confidence float8);
CREATE TRIGGER categorize BEFORE INSERT ON booster_rows
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id', 'confidence');
INSERT INTO booster_rows (description, amount, transaction_date, user_id)
SELECT d, a, t, u
  FROM unnest(ARRAY['groceries', 'fuel', 'groceries and fuel']) d,
       unnest(ARRAY[5, 10, 12.5, 150, 300, NULL]::numeric[]) a,
       unnest(ARRAY['2026-11-28 12:00', '2026-11-24 12:00', NULL]::timestamptz[]) t,
       unnest(ARRAY[NULL, 'bob', 'alice']) u;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE e.category_id = r.category_id
                          AND e.confidence = r.confidence) AS same_as_explain,
       count(DISTINCT r.confidence) AS distinct_confidences,
       count(*) FILTER (WHERE categorize.categorize(r) = r.category_id) AS same_as_categorize
  FROM booster_rows r,
       LATERAL (SELECT * FROM categorize.explain(r) WHERE rank = 1) e;
-- bob's booster (0-1000) raises his groceries rows over everyone else's
SELECT r.user_id, r.amount, round(r.confidence::numeric, 6) AS confidence,
       (SELECT pattern_ids FROM categorize.explain(r) WHERE rank = 1) AS pattern_ids
  FROM booster_rows r
 WHERE r.description = 'groceries' AND r.transaction_date = '2026-11-24 12:00'
   AND r.amount IN (12.5, 300)
 ORDER BY r.amount, r.user_id NULLS FIRST;
DROP TABLE booster_rows;

DROP FUNCTION expected_boosters(bigint, numeric, timestamptz);
TRUNCATE categorize.categories CASCADE;
