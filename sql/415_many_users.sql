-- Many users, one value: thousands of users each with their own pattern
-- for the same merchant.  A key's patterns are listed shared ones first,
-- then by user, and a call visits the shared ones and its own user's; a
-- fuzzy merchant document stands for a distinct value, not a pattern, so
-- the candidate cap (categorize.fuzzy_max_candidates, 128) counts values
-- and every user's own pattern is found through a typo too.
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT setval('categorize.patterns_id_seq', 4500, false);

INSERT INTO categorize.categories (id, name, user_id) VALUES
    (451, 'Coffee', NULL), (452, 'Work meals', NULL), (453, 'Dana''s studio', 'dana');
-- users u0 .. u2999 file "Qwerty Zapp Cafe" under Coffee, u1500 under
-- Work meals (pattern ids 4500 + n)
INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id)
    SELECT CASE WHEN u = 1500 THEN 452 ELSE 451 END, 'merchant', 'Qwerty Zapp Cafe', 3, 'u' || u
    FROM generate_series(0, 2999) u;
-- the same words as a shared keyword, too weak to decide alone (7500),
-- and a merchant pattern of Dana's category, not of a user itself (7501)
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (452, 'keyword', 'qwerty zapp cafe', 1),
    (453, 'merchant', 'QWERTY ZAPP CAFE', 4);

-- one automaton key and one fuzzy document for all 3,002 patterns
SELECT patterns_loaded, literal_keys, fuzzy_merchants FROM categorize.index_info();

CREATE TABLE many_user_expenses (
    id            int PRIMARY KEY,
    user_id       text,
    description   text,
    merchant_name text
);
INSERT INTO many_user_expenses VALUES
    (1, 'u0',     'card payment', 'Qwerty Zapp Cafe'),
    (2, 'u1500',  'card payment', 'Qwerty Zapp Cafe'),
    (3, 'u2999',  'card payment', 'Qwerty Zapp Cafe'),
    (4, 'u2999',  'card payment', 'Qwerty Zap Cafe'),    -- typo: fuzzy
    (5, 'u1500',  'card payment', 'Qwerty Zap Cafe'),
    (6, 'u2998',  'card payment', 'Qwertyy Zapp Caffe'),
    (7, 'dana',   'card payment', 'Qwerty Zapp Cafe'),
    (8, 'dana',   'card payment', 'Qwerty Zap Cafe'),
    (9, 'nobody', 'card payment', 'Qwerty Zapp Cafe'),  -- a user with no patterns
    (10, NULL,    'card payment', 'Qwerty Zapp Cafe'),
    (11, 'u3000', 'card payment', 'Qwerty Zap Cafe');

SELECT e.id, e.user_id, categorize.categorize(e) FROM many_user_expenses e ORDER BY id;
SELECT e.id, rank, category, pattern_ids, method
  FROM many_user_expenses e, categorize.explain(e) ORDER BY e.id, rank;

-- the same without the user column: shared patterns only
SELECT categorize.categorize('card payment', 'Qwerty Zapp Cafe') IS NULL AS no_answer;

-- Users' boosters: a category's shared boosters come first, then users'
-- by user, and a call tests only its own user's.  3,000 users each with an
-- amount range on Coffee, u0 .. u99 repeating every 100 users (7502 ..
-- 10501), then shared ranges: 5 (the plain loop), then 20 (bitmaps per
-- condition), 10502 ..
INSERT INTO categorize.patterns (category_id, kind, value, user_id)
    SELECT 451, 'amount_range', (u % 100) || '.00-' || (u % 100) || '.99', 'u' || u
    FROM generate_series(0, 2999) u;
INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT 451, 'amount_range', k || '.50-' || k || '.60' FROM generate_series(1, 5) k;
CREATE TABLE booster_expenses (
    id            int PRIMARY KEY,
    user_id       text,
    merchant_name text,
    amount        numeric
);
INSERT INTO booster_expenses VALUES
    (1, 'u5',   'Qwerty Zapp Cafe', 5.55),   -- u5's 5.00-5.99 and the shared 5.50-5.60
    (2, 'u105', 'Qwerty Zapp Cafe', 5.55),   -- u105 has the same range
    (3, 'u6',   'Qwerty Zapp Cafe', 5.55),   -- u6's is 6.00-6.99
    (4, 'u6',   'Qwerty Zapp Cafe', 6.10),
    (5, 'dana', 'Qwerty Zapp Cafe', 5.55),   -- no Coffee pattern of her own
    (6, NULL,   'Qwerty Zapp Cafe', 5.55);
SELECT e.id, e.user_id, rank, category, round(confidence::numeric, 6) AS confidence, pattern_ids, method
  FROM booster_expenses e, categorize.explain(e) WHERE category = 'Coffee' ORDER BY e.id;
INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT 451, 'amount_range', k || '.50-' || k || '.70' FROM generate_series(1, 15) k;
SELECT e.id, e.user_id, rank, category, round(confidence::numeric, 6) AS confidence, pattern_ids, method
  FROM booster_expenses e, categorize.explain(e) WHERE category = 'Coffee' ORDER BY e.id;
-- categorize() agrees with explain()
SELECT e.id, categorize.categorize(e),
       (SELECT category_id FROM categorize.explain(e) WHERE rank = 1 AND confidence >= 0.5)
  FROM booster_expenses e ORDER BY e.id;

-- Users' regexes: shared ones are tried, then only the call's user's.
-- 3,000 users each with a regex for their own card's statement line
-- (10522 + n), one of them (u7) under Work meals, and a shared one.
INSERT INTO categorize.patterns (category_id, kind, value, weight, user_id)
    SELECT CASE WHEN u = 7 THEN 452 ELSE 451 END, 'regex',
           '^card x' || lpad(u::text, 4, '0') || ' ', 3, 'u' || u
    FROM generate_series(0, 2999) u;
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (451, 'regex', 'zapp cafe$', 1);                             -- 13522
CREATE TABLE regex_expenses (id int PRIMARY KEY, user_id text, description text);
INSERT INTO regex_expenses VALUES
    (1, 'u5',   'CARD X0005 ACME STORE'),     -- u5's own regex
    (2, 'u6',   'CARD X0005 ACME STORE'),     -- u5's, not u6's
    (3, 'u7',   'CARD X0007 ACME STORE'),
    (4, 'u2999', 'CARD X2999 ACME STORE'),
    (5, NULL,   'CARD X0005 ACME STORE'),
    (6, 'u5',   'CARD X0005 QWERTY ZAPP CAFE');
SELECT e.id, e.user_id, categorize.categorize(e), x.category, x.pattern_ids, x.method
  FROM regex_expenses e LEFT JOIN LATERAL categorize.explain(e) x ON x.rank = 1
 ORDER BY e.id;

DROP TABLE many_user_expenses, booster_expenses, regex_expenses;
