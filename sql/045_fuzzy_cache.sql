-- Fuzzy lookups are memoized per distinct text (fuzzy_cache.c): a repeated
-- text must give the answer a fresh lookup would under the settings, the
-- patterns and the user in force at each call.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Books');
INSERT INTO categorize.categories (id, name, user_id) VALUES (3, 'Alice''s tea', 'alice');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (101, 1, 'merchant', 'Starbucks Coffee', 3),
    (201, 2, 'merchant', 'Powells Books', 3);
INSERT INTO categorize.patterns (id, category_id, kind, value, weight, user_id) VALUES
    (301, 3, 'merchant', 'Teavana Tea House', 3, 'alice');

-- the same misspelt merchant twice: the second answer comes from the memo
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS first,
       categorize.categorize('card', 'STARBUKS COFFEE') AS repeated;
SELECT rank, category_id, method FROM categorize.explain('card', 'STARBUKS COFFEE');

-- a stricter threshold is not answered from entries made under the old one
SET categorize.fuzzy_threshold = 0.95;
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS strict;
RESET categorize.fuzzy_threshold;
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS default_again;
-- nor under another candidate limit
SET categorize.fuzzy_max_candidates = 0;
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS unlimited;
RESET categorize.fuzzy_max_candidates;

-- a pattern change rebuilds the index, and the memo with it
UPDATE categorize.patterns SET active = false WHERE id = 101;
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS deactivated;
UPDATE categorize.patterns SET active = true, category_id = 2 WHERE id = 101;
SELECT categorize.categorize('card', 'STARBUKS COFFEE') AS moved;

-- a memoized hit of a user's own pattern is still filtered by user
CREATE TABLE cache_expenses (id int, description text, merchant_name text, user_id text);
INSERT INTO cache_expenses VALUES
    (1, 'card', 'TEAVANNA TEA HOUSE', 'alice'),
    (2, 'card', 'TEAVANNA TEA HOUSE', 'bob'),
    (3, 'card', 'TEAVANNA TEA HOUSE', 'alice'),
    (4, 'card', 'TEAVANNA TEA HOUSE', NULL);
SELECT id, user_id, categorize.categorize(e) FROM cache_expenses e ORDER BY id;

DROP TABLE cache_expenses;
TRUNCATE categorize.categories CASCADE;
