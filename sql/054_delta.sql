-- Literal patterns added since the build (a merchant learn() creates, say)
-- are taken in by a refresh, as a delta key set beside the built index,
-- once the index holds 1,000 patterns or more; anything else builds anew.
-- Either way the answers are, to the bit, those of an index built anew in
-- a new session.
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
INSERT INTO categorize.categories (id, name, user_id) VALUES
    (61, 'Coffee', NULL), (62, 'Groceries', NULL), (63, 'Fuel', NULL),
    (64, 'Misc', NULL), (65, 'Bob''s Boat', 'bob');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight, user_id) VALUES
    (1, 61, 'merchant', 'Blue Bottle', 3, NULL),
    (2, 61, 'keyword', 'coffee', 2, NULL),
    (3, 62, 'keyword', 'groceries', 3, NULL),
    (4, 63, 'regex', 'fuel\s+stop\s+\d+', 2, NULL),
    (5, 63, 'merchant', 'Shell', 3, NULL),
    (6, 62, 'amount_range', '0.00-20.00', 1, NULL),
    (7, 65, 'merchant', 'Marina Supplies', 2, 'bob');
-- 1,200 merchants and keywords no expense below holds
INSERT INTO categorize.patterns (id, category_id, kind, value)
    SELECT 100 + i, 64, CASE WHEN i % 2 = 0 THEN 'merchant' ELSE 'keyword' END,
           'filler' || i || 'qz'
      FROM generate_series(1, 1200) i;
SELECT setval('categorize.patterns_id_seq', 5000, false);

CREATE TABLE delta_probe (
    id          int PRIMARY KEY,
    user_id     text,
    description text,
    merchant    text,
    amount      numeric,
    transaction_date timestamptz
);
INSERT INTO delta_probe VALUES
    (1, NULL,    'BLUE BOTTLE #12 OAKLAND',     'Blue Bottle',      4.50, '2026-11-28 09:00'),
    (2, NULL,    'RITUAL ROASTERS SF',          'Ritual Roasters',  5.00, '2026-11-28 09:00'),
    (3, NULL,    'card payment',                'Ritual Roastrs',   5.00, '2026-11-28 09:00'),
    (4, NULL,    'weekly farmers market haul',  NULL,              15.00, '2026-11-29 18:00'),
    (5, NULL,    'GASNGO STATION 4411',         NULL,              60.00, '2026-11-30 10:00'),
    (6, 'bob',   'rope and cleats',             'Harbor Chandlery', 30.00, '2026-11-27 07:30'),
    (7, 'alice', 'rope and cleats',             'Harbor Chandlery', 30.00, '2026-11-27 07:30'),
    (8, NULL,    'Shell station',               'Shell',           45.00, '2026-11-27 07:30'),
    (9, NULL,    'nothing to see',              NULL,              NULL,  NULL);

CREATE VIEW delta_answers AS
SELECT p.id, x.rank, x.category, x.confidence, x.pattern_ids, x.method
  FROM delta_probe p, LATERAL categorize.explain(p) x;
CREATE VIEW delta_digest AS
SELECT md5(string_agg(format('%s', a), ',' ORDER BY a.id, a.rank)) AS digest
  FROM delta_answers a;
CREATE FUNCTION index_state(OUT patterns_loaded int, OUT delta_patterns int,
                            OUT refreshes int, OUT fuzzy_merchants int)
LANGUAGE sql AS $$
    SELECT patterns_loaded, delta_patterns, refreshes, fuzzy_merchants
      FROM categorize.index_info()
$$;
CREATE FUNCTION answers() RETURNS text
LANGUAGE sql AS $$
    SELECT string_agg(p.id || ':' || coalesce(c.name, '-'), ' ' ORDER BY p.id)
      FROM delta_probe p LEFT JOIN categorize.categories c
        ON c.id = categorize.categorize(p)
$$;

SELECT answers();
SELECT * FROM index_state();
SELECT built_at AS built FROM categorize.index_cache WHERE pid = pg_backend_pid() \gset
SELECT index_builds AS builds, index_refreshes AS refreshes FROM categorize.stats \gset

-- appended: a merchant (found as such, and fuzzily through the delta's own
-- trigrams: row 3 was looked up before, and its memoized answer must go),
-- a keyword, a description, a user's merchant, and a merchant value the
-- built index holds for another category
BEGIN;
INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id) VALUES
    (61, 'merchant', 'Ritual Roasters', 3, NULL),
    (62, 'keyword', 'farmers market', 2, NULL),
    (63, 'description', 'gasngo', 2, NULL),
    (65, 'merchant', 'Harbor Chandlery', 2, 'bob'),
    (64, 'merchant', 'Shell', 1, NULL);
SELECT answers();
SELECT * FROM index_state();
SELECT id, rank, category, round(confidence::numeric, 4) AS confidence, pattern_ids, method
  FROM delta_answers ORDER BY id, rank;
SELECT digest AS in_transaction FROM delta_digest \gset
ROLLBACK;
-- after the rollback: the appended patterns are gone (a new build)
SELECT answers();
SELECT * FROM index_state();

-- the same, committed in two statements
SELECT setval('categorize.patterns_id_seq', 5000, false);
INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id) VALUES
    (61, 'merchant', 'Ritual Roasters', 3, NULL),
    (62, 'keyword', 'farmers market', 2, NULL);
SELECT * FROM index_state();
INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id) VALUES
    (63, 'description', 'gasngo', 2, NULL),
    (65, 'merchant', 'Harbor Chandlery', 2, 'bob'),
    (64, 'merchant', 'Shell', 1, NULL);
SELECT answers();
SELECT * FROM index_state();
SELECT digest AS appended FROM delta_digest \gset
SELECT :'appended' = :'in_transaction' AS same_as_in_transaction;
-- one build, after the rollback; both statements were refreshes
SELECT index_builds - :builds AS new_builds FROM categorize.stats;
SELECT built_at AS built FROM categorize.index_cache WHERE pid = pg_backend_pid() \gset

-- a weight change of an appended pattern is a refresh too
UPDATE categorize.patterns SET weight = 5 WHERE value = 'Shell' AND category_id = 64;
SELECT id, rank, category, pattern_ids, method FROM delta_answers WHERE id = 8 ORDER BY rank;
SELECT * FROM index_state();
SELECT built_at = :'built' AS same_index FROM categorize.index_cache WHERE pid = pg_backend_pid();
SELECT s.patterns_loaded, c.patterns
  FROM categorize.stats s, categorize.index_cache c WHERE c.pid = pg_backend_pid();
SELECT digest AS appended FROM delta_digest \gset

-- a new session builds its index anew: every answer is the same, to the bit
-- (a merchant value in both key sets was a document in each: one now)
\c
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
SELECT * FROM index_state();
SELECT digest = :'appended' AS same_answers FROM delta_digest;

-- what builds anew, and what does not
CREATE FUNCTION after_change(statement text, OUT change text, OUT delta int,
                             OUT refreshes int, OUT answer text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    change := statement;
    SELECT i.delta_patterns, i.refreshes INTO delta, refreshes FROM categorize.index_info() i;
    answer := answers();
END
$$;
SELECT * FROM after_change('SELECT 1');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (62, ''keyword'', ''rope'')');
SELECT * FROM after_change('UPDATE categorize.patterns SET value = ''rope cleats'' WHERE value = ''rope''');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (62, ''keyword'', ''cleats'')');
SELECT * FROM after_change('DELETE FROM categorize.patterns WHERE value = ''cleats''');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (61, ''keyword'', ''roasters'')');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (61, ''regex'', ''ritual\s+r'')');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (64, ''keyword'', ''station'')');
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (64, ''amount_range'', ''40-50'')');
-- a pattern with a lower id than the newest read
SELECT * FROM after_change('INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (50, 64, ''keyword'', ''payment'')');
-- a category's change
SELECT * FROM after_change('INSERT INTO categorize.patterns (category_id, kind, value) VALUES (64, ''keyword'', ''weekly'')');
SELECT * FROM after_change('UPDATE categorize.categories SET name = ''Other'' WHERE id = 64');
-- more at once than a sixteenth of the built index (1,219 / 16 = 76) is a
-- new build; then 70 and 10 more stay within a sixteenth of that one's
SELECT patterns_loaded, delta_patterns FROM categorize.index_info();
SELECT * FROM after_change($$INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT 64, 'keyword', 'more' || i || 'qz' FROM generate_series(1, 80) i$$);
SELECT patterns_loaded, delta_patterns FROM categorize.index_info();
SELECT * FROM after_change($$INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT 64, 'keyword', 'fewer' || i || 'qz' FROM generate_series(1, 70) i$$);
SELECT * FROM after_change($$INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT 64, 'keyword', 'last' || i || 'qz' FROM generate_series(1, 10) i$$);

-- calls answered with a delta: after 16 per pattern built, a new build
-- folds the delta in
SELECT patterns_loaded, delta_patterns FROM categorize.index_info();
SELECT count(categorize.categorize('probe ' || i)) FROM generate_series(1, 16 * 1299) i;
SELECT patterns_loaded, delta_patterns, refreshes FROM categorize.index_info();

-- learn(): the merchant pattern it creates is appended
SELECT * FROM after_change($$SELECT categorize.learn(p, 63) FROM delta_probe p WHERE id = 9$$);
SELECT kind, value FROM categorize.patterns WHERE user_created;
SELECT delta_patterns, refreshes FROM categorize.index_info();
SELECT digest AS learned FROM delta_digest \gset
\c
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;
SELECT delta_patterns, refreshes FROM categorize.index_info();
SELECT digest = :'learned' AS same_answers FROM delta_digest;

-- forty users' own patterns for one merchant, appended at once: each
-- user's expense finds its own (also in the test build whose owner hashes
-- collide), another user's finds none
CREATE TABLE delta_users (id int, user_id text, description text, merchant text);
INSERT INTO delta_users VALUES
    (1, 'u1', 'rope', 'Harbor Chandlery'), (2, 'u7', 'rope', 'Harbor Chandlery'),
    (3, 'u40', 'rope', 'Harbor Chandlery'), (4, 'u41', 'rope', 'Harbor Chandlery'),
    (5, 'bob', 'rope', 'Harbor Chandlery'), (6, NULL, 'rope', 'Harbor Chandlery'),
    (7, 'u7', 'rope', 'Harbor Chandlry');
INSERT INTO categorize.patterns (category_id, kind, value, user_id)
    SELECT 62, 'merchant', 'Harbor Chandlery', 'u' || i FROM generate_series(1, 40) i;
SELECT delta_patterns FROM categorize.index_info();
SELECT e.id, e.user_id, x.category, x.method,
       (SELECT p.user_id FROM categorize.patterns p WHERE p.id = ANY (x.pattern_ids)) AS owner
  FROM delta_users e LEFT JOIN LATERAL categorize.explain(e) x ON x.rank = 1 ORDER BY e.id;
SELECT string_agg(e.id || ':' || coalesce(categorize.categorize(e)::text, '-'), ' ' ORDER BY e.id)
    AS with_delta FROM delta_users e \gset
\c
SELECT delta_patterns FROM categorize.index_info();
SELECT string_agg(e.id || ':' || coalesce(categorize.categorize(e)::text, '-'), ' ' ORDER BY e.id)
    = :'with_delta' AS same_answers FROM delta_users e;
DROP TABLE delta_users;

DROP VIEW delta_digest, delta_answers;
DROP TABLE delta_probe;
DROP FUNCTION index_state(), answers(), after_change(text);
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
