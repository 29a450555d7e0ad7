-- Per-user learning: an expense with a user_id is matched against shared
-- patterns plus its own user's; learn() changes and creates only that
-- user's patterns, so one user's corrections never change another's
-- results (nor those of expenses without a user).
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT setval('categorize.patterns_id_seq', 4200, false);
SELECT setval('categorize.feedback_id_seq', 4200, false);

INSERT INTO categorize.categories (id, name, user_id) VALUES
    (411, 'Groceries', NULL), (412, 'Restaurants', NULL), (413, 'Hobbies', NULL),
    (414, 'Alice''s Pottery', 'alice'), (415, 'Bob''s Boat', 'bob');
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (411, 'keyword', 'market', 3),             -- 4200
    (412, 'keyword', 'kitchen', 3);            -- 4201

CREATE TABLE user_expenses (
    id          int PRIMARY KEY,
    user_id     text,
    description text
);
INSERT INTO user_expenses VALUES
    (1, 'alice', 'CLAYWORKS STUDIO #12 OAKLAND CA'),
    (2, 'alice', 'CLAYWORKS STUDIO #40 BERKELEY CA'),
    (3, 'bob',   'CLAYWORKS STUDIO #40 BERKELEY CA'),
    (4, NULL,    'CLAYWORKS STUDIO #40 BERKELEY CA'),
    (5, 'alice', 'HARBOR MARKET KITCHEN'),
    (6, 'bob',   'HARBOR MARKET KITCHEN'),
    (7, 'alice', 'HARBOR MARKET KITCHEN #2');

-- Alice's correction creates a pattern for Alice only.
SELECT categorize.learn(e, 414) FROM user_expenses e WHERE id = 1;
SELECT id, category_id, kind, value, weight, user_created, user_id
  FROM categorize.patterns WHERE user_created ORDER BY id;
SELECT e.id, e.user_id, categorize.categorize(e) FROM user_expenses e WHERE id IN (2, 3, 4) ORDER BY id;
-- the text form has no user: shared patterns only
SELECT categorize.categorize('CLAYWORKS STUDIO #40 BERKELEY CA');

-- Bob may not use Alice's category; a shared one is fine.
SELECT categorize.learn(e, 414) FROM user_expenses e WHERE id = 3;
SELECT categorize.learn(e, 413) FROM user_expenses e WHERE id = 3;
SELECT e.id, e.user_id, categorize.categorize(e) FROM user_expenses e WHERE id IN (2, 3, 4) ORDER BY id;
SELECT e.id, rank, category, pattern_ids FROM user_expenses e,
       categorize.explain(e) ORDER BY e.id, rank;

-- A user's correction against a shared pattern leaves the shared pattern
-- as it is (weight, counts) and teaches the user a pattern of their own
-- that outweighs it, for that user only.
SELECT e.id, categorize.categorize(e) FROM user_expenses e WHERE id IN (5, 6) ORDER BY id;
SELECT categorize.explain(e) FROM user_expenses e WHERE id = 5;
SELECT categorize.learn(e, 412) FROM user_expenses e WHERE id = 5;
SELECT id, weight, usage_count, success_count FROM categorize.patterns WHERE id IN (4200, 4201) ORDER BY id;
SELECT user_id, predicted_category_id, strengthened_pattern_ids, weakened_pattern_ids,
       cardinality(created_pattern_ids) AS created
  FROM categorize.feedback WHERE expense_key = '5';
SELECT id, category_id, kind, value, user_id FROM categorize.patterns
 WHERE user_created AND value LIKE 'harbor%';
SELECT e.id, e.user_id, categorize.categorize(e) FROM user_expenses e WHERE id IN (5, 6, 7) ORDER BY id;

-- Keywords are counted per user: Alice's corrections never make a shared
-- or a Bob keyword.  (Fuzzy matching is off here, or the merchant patterns
-- learned from "ONE GLAZE SUPPLY" would already match "SIX GLAZE SUPPLY".)
SET categorize.fuzzy_threshold = 0;
INSERT INTO user_expenses VALUES
    (20, 'alice', 'ONE GLAZE SUPPLY'), (21, 'alice', 'TWO GLAZE SUPPLY'),
    (22, 'bob', 'RED GLAZE SUPPLY'), (23, 'alice', 'SIX GLAZE SUPPLY');
SELECT categorize.learn(e, 413) FROM user_expenses e WHERE id IN (20, 21, 22) ORDER BY id;
SELECT count(*) AS glaze_keywords FROM categorize.patterns WHERE kind = 'keyword' AND value = 'glaze';
SELECT categorize.learn(e, 413) FROM user_expenses e WHERE id = 23;
SELECT category_id, kind, value, user_id FROM categorize.patterns WHERE kind = 'keyword' AND value = 'glaze';
SELECT e.user_id, categorize.categorize(e) FROM
  (VALUES ('alice', 'TEN GLAZE SUPPLY'), ('bob', 'TEN GLAZE SUPPLY')) AS e(user_id, description)
 ORDER BY 1;

RESET categorize.fuzzy_threshold;

-- A shared pattern pointing at a user's category only counts for that
-- user: the category is not visible to anyone else.
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES (414, 'keyword', 'kiln', 4);
SELECT e.user_id, categorize.categorize(e), (SELECT count(*) FROM categorize.explain(e)) AS candidates
  FROM (VALUES ('alice', 'KILN REPAIR'), ('bob', 'KILN REPAIR'), (NULL, 'KILN REPAIR'))
       AS e(user_id, description)
 ORDER BY 1;

-- A non-text user_id column works the same way.
CREATE TABLE int_user_expenses (id int, user_id int, description text);
INSERT INTO categorize.categories (id, name, user_id) VALUES (416, 'Kites', '7');
INSERT INTO int_user_expenses VALUES (1, 7, 'SKYHIGH KITE SHOP'), (2, 8, 'SKYHIGH KITE SHOP');
SELECT categorize.learn(e, 416) FROM int_user_expenses e WHERE id = 1;
SELECT e.user_id, categorize.categorize(e) FROM int_user_expenses e ORDER BY id;

DROP TABLE user_expenses, int_user_expenses;
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
