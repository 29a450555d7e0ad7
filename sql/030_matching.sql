-- Matching: every pattern kind, whole words vs substrings, fuzzy typos,
-- boosters, min_confidence, ties, explain.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES
    (1, 'Coffee'), (2, 'Groceries'), (3, 'Transport'), (4, 'Fuel'),
    (5, 'Books'), (6, 'Tie A'), (7, 'Tie B'), (8, 'Boosters only'), (9, 'Tea');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (101, 1, 'merchant', 'Starbucks', 3),
    (102, 1, 'keyword', 'espresso', 3),
    (103, 1, 'description', 'bucks', 1),
    (201, 2, 'merchant', 'Whole Foods Market', 3),
    (301, 3, 'regex', 'uber\s*\*?\s*trip', 3),
    (401, 4, 'keyword', 'gas station', 3),
    (501, 5, 'keyword', 'book', 1),
    (502, 5, 'amount_range', '5.00-30.00', 1),
    (503, 5, 'time', 'evening', 1),
    (601, 6, 'keyword', 'tie', 2),
    (701, 7, 'keyword', 'tie', 2),
    (801, 8, 'amount_range', '0-1000000', 5),
    (802, 8, 'time', 'weekday', 5),
    (901, 9, 'keyword', 'tea', 3),
    (902, 9, 'description', 'matcha', 3);

CREATE FUNCTION show(description text, merchant text DEFAULT NULL,
                     amount numeric DEFAULT NULL, at timestamptz DEFAULT NULL)
RETURNS TABLE (rank int, category text, confidence numeric, pattern_ids bigint[], method text)
LANGUAGE sql AS $$
    SELECT rank, category, round(confidence::numeric, 4), pattern_ids, method
      FROM categorize.explain(description, merchant, amount, at)
$$;

-- merchant: exact, whole words, from the description when there is no merchant
SELECT * FROM show('card purchase', 'Starbucks');
SELECT * FROM show('card purchase', 'STARBUCKS reserve roastery');
SELECT * FROM show('POS STARBUCKS #1234 SEATTLE WA');
-- with a merchant name, the description is not searched for merchant patterns
SELECT categorize.categorize('starbucks', 'Joe''s Diner') AS merchant_elsewhere;
-- keyword: whole words, in the description or the merchant name
SELECT * FROM show('double ESPRESSO to go');
SELECT * FROM show('order 12', 'Espresso House');
SELECT categorize.categorize('espressos please') AS plural_is_another_word;
SELECT * FROM show('SHELL GAS STATION 0042');
SELECT categorize.categorize('gas stations') AS not_whole_words,
       categorize.categorize('gasstation') AS glued;
-- description: a substring anywhere in the description only
SELECT * FROM show('MATCHA-LATTE');
SELECT * FROM show('x', 'matcha bar');
SELECT categorize.categorize('steak house') AS keyword_tea_inside_steak;
-- regex: case-insensitive, on the raw description or merchant name
SELECT * FROM show('UBER   *TRIP HELP.UBER.COM');
SELECT * FROM show('receipt', 'Uber Trip');
-- fuzzy merchant: typos within categorize.fuzzy_threshold
SELECT * FROM show('x', 'Starbuks');
SELECT * FROM show('x', 'Whole Food Market');
SET categorize.fuzzy_threshold = 0.9;
SELECT categorize.categorize('x', 'Starbuks') AS strict_fuzzy;
SET categorize.fuzzy_threshold = 0;
SELECT categorize.categorize('x', 'Starbuks') AS fuzzy_off;
RESET categorize.fuzzy_threshold;
SELECT categorize.categorize('x', 'Walmart') AS unrelated;
-- fuzzy matching is a fallback: a name found exactly or as whole words is
-- not also matched fuzzily against look-alikes
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    VALUES (150, 5, 'merchant', 'Starbucks Reserves', 3);
SELECT * FROM show('x', 'Starbucks');
SELECT * FROM show('x', 'Starbucks Reservs');
DELETE FROM categorize.patterns WHERE id = 150;
-- categorize.fuzzy_max_candidates bounds the work of one lookup
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    SELECT 1000 + g, 2, 'merchant', 'Zqxv Market ' || g, 3 FROM generate_series(1, 300) g;
SET categorize.fuzzy_max_candidates = 10;
SELECT cardinality(pattern_ids) AS fuzzy_matches_within_10 FROM show('x', 'Zqxv Markt 7');
SET categorize.fuzzy_max_candidates = 0;
SELECT cardinality(pattern_ids) AS fuzzy_matches_all FROM show('x', 'Zqxv Markt 7');
RESET categorize.fuzzy_max_candidates;
DELETE FROM categorize.patterns WHERE id > 1000;

-- boosters only strengthen a text match: alone they never decide
SELECT * FROM show('anything at all', NULL, 10.00, '2026-11-24 10:00');
SELECT categorize.categorize('anything at all', NULL, 10.00, '2026-11-24 10:00') AS boosters_alone;
-- a weight-1 keyword alone is not enough; with amount and time it is
SELECT * FROM show('used book', NULL, 12.00, '2026-11-24 18:30');
SELECT categorize.categorize('used book') AS keyword_alone,
       categorize.categorize('used book', NULL, 12.00) AS with_amount,
       categorize.categorize('used book', NULL, 12.00, '2026-11-24 18:30') AS with_amount_and_time,
       categorize.categorize('used book', NULL, 99.00, '2026-11-24 08:00') AS neither_booster;

-- time windows: named, HH:MM-HH:MM wrapping midnight, weekday/weekend
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES
    (504, 5, 'time', 'night'), (505, 5, 'time', '22:30-02:00'), (506, 5, 'time', 'weekend');
SELECT at, method
  FROM unnest(ARRAY['2026-11-24 06:00', '2026-11-24 11:59', '2026-11-24 17:00',
                    '2026-11-24 21:00', '2026-11-24 22:30', '2026-11-24 01:59',
                    '2026-11-24 02:00', '2026-11-28 12:00']::timestamptz[]) AS at,
       LATERAL show('book', NULL, NULL, at)
 ORDER BY at;
DELETE FROM categorize.patterns WHERE id IN (504, 505, 506);

-- min_confidence
SELECT categorize.categorize('x', 'Starbucks') AS default_threshold;
SET categorize.min_confidence = 0.7;
SELECT categorize.categorize('x', 'Starbucks') AS at_0_7;
SET categorize.min_confidence = 0.3;
SELECT categorize.categorize('used book') AS at_0_3;
RESET categorize.min_confidence;

-- calibration: weight 3 clears the default alone, weight 1 does not
UPDATE categorize.patterns SET weight = 1 WHERE id IN (101, 102, 301, 902);
SELECT categorize.categorize('x', 'Starbucks') AS merchant_w1,
       categorize.categorize('espresso') AS keyword_w1,
       categorize.categorize('uber trip') AS regex_w1,
       categorize.categorize('matcha') AS description_w1;
UPDATE categorize.patterns SET weight = 3 WHERE id IN (101, 102, 301, 902);
SELECT categorize.categorize('x', 'Starbucks') AS merchant_w3,
       categorize.categorize('espresso') AS keyword_w3,
       categorize.categorize('uber trip') AS regex_w3,
       categorize.categorize('matcha') AS description_w3;
-- usage history: a weight-1 pattern that is always right grows confident
UPDATE categorize.patterns SET usage_count = 10, success_count = 10 WHERE id = 501;
SELECT * FROM show('book');
UPDATE categorize.patterns SET usage_count = 10, success_count = 0, weight = 5 WHERE id = 501;
SELECT * FROM show('book');
UPDATE categorize.patterns SET usage_count = 0, success_count = 0, weight = 1 WHERE id = 501;

-- independent evidence adds up; ties break by confidence, weight, then id
SELECT * FROM show('starbucks espresso');
SELECT * FROM show('tie');
UPDATE categorize.patterns SET weight = 2.5 WHERE id = 701;
SELECT * FROM show('tie');
UPDATE categorize.patterns SET weight = 2 WHERE id = 701;
SELECT * FROM show('espresso tie matcha');
SET categorize.max_alternatives = 2;
SELECT * FROM show('espresso tie matcha');
RESET categorize.max_alternatives;

-- inactive patterns and categories are not used
UPDATE categorize.patterns SET active = false WHERE id = 102;
SELECT categorize.categorize('espresso') AS inactive_pattern;
UPDATE categorize.patterns SET active = true WHERE id = 102;
UPDATE categorize.categories SET active = false WHERE id = 1;
SELECT categorize.categorize('espresso') AS inactive_category;
UPDATE categorize.categories SET active = true WHERE id = 1;
SELECT categorize.categorize('espresso') AS active_again;

-- what the index holds
SELECT patterns_loaded, literal_keys, regexes, fuzzy_merchants, boosters
  FROM categorize.index_info();

DROP FUNCTION show(text, text, numeric, timestamptz);
TRUNCATE categorize.categories CASCADE;
