-- A change of weights and usage counts alone (what learn() makes most of
-- the time) is taken into the backend's index in place; any other change
-- builds a new index.  Either way the answers are, to the bit, those of an
-- index built anew in a new session.
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT setval('categorize.patterns_id_seq', 5200, false);
INSERT INTO categorize.categories (id, name, user_id) VALUES
    (51, 'Coffee', NULL), (52, 'Groceries', NULL), (53, 'Fuel', NULL),
    (54, 'Bob''s Boat', 'bob');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight, user_id) VALUES
    (1, 51, 'merchant', 'Blue Bottle', 3, NULL),
    (2, 51, 'keyword', 'coffee', 2, NULL),
    (3, 51, 'description', 'espresso bar', 2, NULL),
    (4, 52, 'keyword', 'groceries', 3, NULL),
    (5, 52, 'merchant', 'Blue Bottle', 1, NULL),
    (6, 53, 'regex', 'fuel\s+stop\s+\d+', 2, NULL),
    (7, 53, 'merchant', 'Shell', 3, NULL),
    (8, 54, 'merchant', 'Blue Bottle', 1, 'bob'),
    (9, 53, 'keyword', 'coffee', 1, 'bob');
-- 20 amount and time patterns on Groceries: found through condition masks
INSERT INTO categorize.patterns (id, category_id, kind, value)
    SELECT 100 + i, 52,
           CASE WHEN i % 2 = 1 THEN 'amount_range' ELSE 'time' END,
           CASE WHEN i % 2 = 1
                THEN (ARRAY['0.00-10.00', '5.00-15.00', '10.00-20.00', '0.00-10.00'])[1 + (i / 2) % 4]
                ELSE (ARRAY['weekend', 'weekday'])[1 + (i / 2) % 2] END
      FROM generate_series(1, 20) i;
INSERT INTO categorize.patterns (id, category_id, kind, value, user_id) VALUES
    (200, 51, 'amount_range', '0.00-10.00', NULL),
    (201, 54, 'amount_range', '0.00-100.00', 'bob');

CREATE TABLE refresh_probe (
    id          int PRIMARY KEY,
    user_id     text,
    description text,
    merchant    text,
    amount      numeric,
    transaction_date timestamptz
);
INSERT INTO refresh_probe VALUES
    (1, NULL,  'BLUE BOTTLE #12 OAKLAND',   'Blue Bottle', 4.50, '2026-11-28 09:00'),
    (2, 'bob', 'BLUE BOTTLE #12 OAKLAND',   'Blue Bottle', 4.50, '2026-11-28 09:00'),
    (3, NULL,  'corner shop groceries',     NULL,          12.00, '2026-11-29 18:00'),
    (4, NULL,  'groceries and coffee',      NULL,          8.00, '2026-11-30 10:00'),
    (5, NULL,  'FUEL STOP 4411',            NULL,          60.00, '2026-11-30 10:00'),
    (6, NULL,  'card payment',              'Blue Botle',  3.00, '2026-11-28 09:00'),
    (7, 'bob', 'the espresso bar, coffee',  NULL,          9.00, '2026-11-27 07:30'),
    (8, NULL,  'Shell station',             'Shell',       45.00, '2026-11-27 07:30'),
    (9, NULL,  'nothing to see',            NULL,          NULL,  NULL);

CREATE VIEW refresh_answers AS
SELECT p.id, x.rank, x.category, x.confidence, x.pattern_ids, x.method
  FROM refresh_probe p, LATERAL categorize.explain(p) x;

-- all answers in one exact digest (float8 prints its shortest exact form)
CREATE VIEW answers_digest AS
SELECT md5(string_agg(format('%s', a), ',' ORDER BY a.id, a.rank)) AS digest
  FROM refresh_answers a;

-- what the index has done: a new index starts at 0 refreshes
CREATE FUNCTION index_state(OUT refreshes int, OUT refreshed_at_set boolean)
LANGUAGE sql AS $$
    SELECT i.refreshes, c.refreshed_at IS NOT NULL
      FROM categorize.index_info() i, categorize.index_cache c
     WHERE c.pid = pg_backend_pid()
$$;

SELECT id, rank, category, round(confidence::numeric, 4) AS confidence, pattern_ids, method
  FROM refresh_answers WHERE rank = 1 ORDER BY id;
SELECT * FROM index_state();
SELECT built_at AS built FROM categorize.index_cache WHERE pid = pg_backend_pid() \gset
SELECT index_builds AS builds, index_refreshes AS refreshes FROM categorize.stats \gset

-- new weights and usage counts of a merchant, a keyword, a regex, a
-- booster found through masks, one tested alone, and a user's pattern
BEGIN;
UPDATE categorize.patterns SET weight = 5 WHERE id IN (5, 6, 101);
UPDATE categorize.patterns SET weight = 0.5, usage_count = 40, success_count = 4 WHERE id IN (1, 2);
UPDATE categorize.patterns SET usage_count = 10, success_count = 10 WHERE id IN (8, 200, 102, 103);
-- seen at once in this transaction, by refreshing the index in place
SELECT id, rank, category, round(confidence::numeric, 4) AS confidence, pattern_ids, method
  FROM refresh_answers WHERE rank = 1 ORDER BY id;
SELECT * FROM index_state();
SELECT digest AS in_transaction FROM answers_digest \gset
ROLLBACK;
-- a rollback is a refresh back to what was
SELECT id, rank, category, round(confidence::numeric, 4) AS confidence
  FROM refresh_answers WHERE rank = 1 ORDER BY id;
SELECT * FROM index_state();

-- the same change committed
UPDATE categorize.patterns SET weight = 5 WHERE id IN (5, 6, 101);
UPDATE categorize.patterns SET weight = 0.5, usage_count = 40, success_count = 4 WHERE id IN (1, 2);
UPDATE categorize.patterns SET usage_count = 10, success_count = 10 WHERE id IN (8, 200, 102, 103);
SELECT digest AS refreshed FROM answers_digest \gset
SELECT :'refreshed' = :'in_transaction' AS same_as_in_transaction;
SELECT * FROM index_state();
-- still the index built at first, refreshed 3 times: in the transaction,
-- after its rollback, after the commits
SELECT built_at = :'built' AS same_index FROM categorize.index_cache WHERE pid = pg_backend_pid();
SELECT index_builds - :builds AS new_builds, index_refreshes - :refreshes AS new_refreshes
  FROM categorize.stats;

-- a new session builds its index anew: every answer is the same, to the bit
\c
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
SELECT * FROM index_state();
SELECT digest = :'refreshed' AS same_answers FROM answers_digest;

-- anything but weights and usage counts builds a new index
CREATE FUNCTION after_change(statement text, OUT change text, OUT refreshes int, OUT answer text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    change := statement;
    SELECT i.refreshes INTO after_change.refreshes FROM categorize.index_info() i;
    SELECT coalesce(string_agg(p.id || ':' || coalesce(categorize.categorize(p)::text, '-'), ' ' ORDER BY p.id), '')
      INTO answer FROM refresh_probe p;
END
$$;
SELECT refreshes FROM categorize.index_info();
UPDATE categorize.patterns SET weight = 4 WHERE id = 7;
SELECT refreshes FROM categorize.index_info();
SELECT * FROM after_change('UPDATE categorize.patterns SET value = ''Shel'' WHERE id = 7');
SELECT * FROM after_change('UPDATE categorize.patterns SET weight = 3 WHERE id = 7');
SELECT * FROM after_change('UPDATE categorize.patterns SET category_id = 51 WHERE id = 4');
SELECT * FROM after_change('UPDATE categorize.patterns SET kind = ''keyword'' WHERE id = 3');
SELECT * FROM after_change('UPDATE categorize.patterns SET user_id = ''bob'' WHERE id = 6');
SELECT * FROM after_change('UPDATE categorize.patterns SET active = false WHERE id = 200');
SELECT * FROM after_change('UPDATE categorize.categories SET name = ''Fuel & Gas'' WHERE id = 53');
SELECT * FROM after_change('UPDATE categorize.categories SET active = false WHERE id = 54');
SELECT * FROM after_change('UPDATE categorize.categories SET user_id = ''bob'' WHERE id = 52');
SELECT * FROM after_change('UPDATE categorize.categories SET user_id = NULL WHERE id = 52');
SELECT * FROM after_change('INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (300, 52, ''keyword'', ''nothing'')');
SELECT * FROM after_change('DELETE FROM categorize.patterns WHERE id = 300');
-- a pattern added with a lower id than the newest, and deleted again
SELECT * FROM after_change('INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (50, 53, ''keyword'', ''corner'', 5)');
SELECT * FROM after_change('DELETE FROM categorize.patterns WHERE id = 50');
-- with row security on the table (which the build's query would apply),
-- weights are not taken in place either
ALTER TABLE categorize.patterns ENABLE ROW LEVEL SECURITY;
SELECT * FROM after_change('UPDATE categorize.patterns SET weight = 2 WHERE id = 8');
ALTER TABLE categorize.patterns DISABLE ROW LEVEL SECURITY;
SELECT * FROM after_change('UPDATE categorize.patterns SET weight = 1 WHERE id = 4');

-- learn(): strengthening the right category's patterns is a refresh;
-- creating a pattern builds anew
SELECT refreshes FROM categorize.index_info();
SELECT categorize.learn(p, 53) IS NOT NULL AS learned FROM refresh_probe p WHERE id = 8;
SELECT id, weight, usage_count, success_count FROM categorize.patterns WHERE id = 7;
SELECT count(*) AS learned_patterns FROM categorize.patterns WHERE user_created;
SELECT refreshes FROM categorize.index_info();
SELECT categorize.learn(p, 53) IS NOT NULL AS learned FROM refresh_probe p WHERE id = 9;
SELECT kind, value FROM categorize.patterns WHERE user_created;
SELECT refreshes FROM categorize.index_info();
SELECT categorize.categorize(p) FROM refresh_probe p WHERE id = 9;

DROP VIEW answers_digest, refresh_answers;
DROP TABLE refresh_probe;
DROP FUNCTION index_state(), after_change(text);
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
