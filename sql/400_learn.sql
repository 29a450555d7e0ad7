-- categorize.learn(): the feedback log, strengthening, weakening,
-- deactivation, learned merchant and keyword patterns, transactional
-- visibility, the learning setting, and bad input.
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT setval('categorize.patterns_id_seq', 4000, false);
SELECT setval('categorize.feedback_id_seq', 4000, false);

INSERT INTO categorize.categories (id, name) VALUES
    (401, 'Groceries'), (402, 'Restaurants'), (403, 'Coffee'), (404, 'Fuel');
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (401, 'merchant', 'Safeway', 4),           -- 4000
    (403, 'keyword', 'coffee', 3),             -- 4001
    (402, 'keyword', 'grill', 2),              -- 4002
    (401, 'keyword', 'market', 1);             -- 4003

CREATE TABLE learn_expenses (
    id            int PRIMARY KEY,
    description   text,
    merchant_name text,
    amount        numeric
);

-- 1. No pattern matches: a merchant pattern is created from the merchant
-- name, strong enough for the next expense from that merchant.
INSERT INTO learn_expenses VALUES
    (1, 'CHECKCARD 0412 XXXX1234', 'Joe''s Diner #12', 18.20),
    (2, 'CHECKCARD 0419 XXXX1234', 'Joe''s Diner #40', 22.00);
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id = 2;
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 1;
SELECT id, category_id, kind, value, weight, user_created, user_id, active
  FROM categorize.patterns WHERE user_created ORDER BY id;
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id = 2;
SELECT rank, category, pattern_ids, method FROM categorize.explain(
    (SELECT e FROM learn_expenses e WHERE id = 2));
-- the correction, as recorded
SELECT id, user_id, expense_key, description, merchant_name,
       predicted_category_id, correct_category_id, corrected, learned, words,
       matched_pattern_ids, strengthened_pattern_ids, weakened_pattern_ids,
       created_pattern_ids, learned_by = session_user AS by_caller
  FROM categorize.feedback ORDER BY id;
-- and the learned pattern traced back to it
SELECT pattern_id, feedback_id, action, description, merchant_name
  FROM categorize.pattern_feedback ORDER BY feedback_id, pattern_id;

-- 2. The correct category matched: its patterns gain (usage, success,
-- weight); nothing is created.
INSERT INTO learn_expenses VALUES (3, 'SAFEWAY #1234 OAKLAND CA', NULL, 54.10);
SELECT categorize.learn(e, 401) FROM learn_expenses e WHERE id = 3;
SELECT id, weight, usage_count, success_count, last_used_at IS NOT NULL AS used
  FROM categorize.patterns WHERE id = 4000;
SELECT predicted_category_id, corrected, strengthened_pattern_ids, created_pattern_ids
  FROM categorize.feedback WHERE expense_key = '3';
-- weight stays within bounds
UPDATE categorize.patterns SET weight = 4.9 WHERE id = 4000;
SELECT categorize.learn(e, 401) FROM learn_expenses e WHERE id = 3;
SELECT weight, usage_count, success_count FROM categorize.patterns WHERE id = 4000;

-- 3. A wrong category won: its patterns lose (usage up, weight down), the
-- correct one gets a merchant pattern from the description's distinctive
-- words, and wins the next time.
INSERT INTO learn_expenses VALUES
    (4, 'SQ *MOONLIGHT COFFEE GRILL #88 BERKELEY CA', NULL, 31.00),
    (5, 'SQ *MOONLIGHT COFFEE GRILL #90 OAKLAND CA', NULL, 27.50);
SELECT category, round(confidence::numeric, 3) AS confidence, pattern_ids
  FROM categorize.explain((SELECT e FROM learn_expenses e WHERE id = 5));
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 4;
SELECT id, category_id, kind, value, weight, usage_count, success_count, active
  FROM categorize.patterns WHERE id IN (4001, 4002) OR (user_created AND category_id = 402 AND kind = 'merchant' AND value LIKE 'moon%')
 ORDER BY id;
SELECT predicted_category_id, corrected, strengthened_pattern_ids, weakened_pattern_ids,
       created_pattern_ids
  FROM categorize.feedback WHERE expense_key = '4';
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id = 5;

-- 4. Deactivation: a system pattern with >= 20 uses and < 30% success is
-- deactivated when it wins wrongly again; a user-created one is not.
INSERT INTO categorize.patterns (id, category_id, kind, value, weight, usage_count, success_count, user_created)
VALUES (4100, 404, 'keyword', 'station', 3, 19, 5, false),
       (4101, 404, 'keyword', 'depot', 3, 19, 5, true);
INSERT INTO learn_expenses VALUES
    (6, 'STATION BAKERY SF', NULL, 8),
    (7, 'DEPOT BAKERY SF', NULL, 9);
-- (their poor success rate keeps them under the default min_confidence)
SET categorize.min_confidence = 0.3;
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id IN (6, 7) ORDER BY id;
SELECT categorize.learn(e, 401) FROM learn_expenses e WHERE id IN (6, 7) ORDER BY id;
SELECT id, weight, usage_count, success_count, active FROM categorize.patterns
 WHERE id IN (4100, 4101) ORDER BY id;
SELECT expense_key, weakened_pattern_ids, deactivated_pattern_ids
  FROM categorize.feedback WHERE expense_key IN ('6', '7') ORDER BY expense_key;
-- a deactivated pattern no longer matches
SELECT category FROM categorize.explain('STATION WAGON RENTAL') ORDER BY rank;
SELECT category FROM categorize.explain('DEPOT WAGON RENTAL') ORDER BY rank;
RESET categorize.min_confidence;

-- 5. Distinctive words: bank boilerplate, processor prefixes, card
-- numbers, dates, store numbers, state codes and stop words are skipped.
CREATE TABLE learn_words (id int, description text);
INSERT INTO learn_words VALUES
    (10, 'POS PURCHASE 11/23 THE GOLDEN ANCHOR #5521 PORTLAND OR'),
    (11, 'PAYPAL *ZENBOOKS 402-935-7733 CA'),
    (12, 'TST* LA PIAZZA ROMANA TRATTORIA NEW YORK NY'),
    (13, 'CHECKCARD 0412 XXXXXXXXXXXX4417 BLUEWAVE CAR WASH 24492153'),
    (14, 'DEBIT CARD PURCHASE 1234 5678 POS'),
    (15, 'TRADER JOE S #552 BERKELEY CA');
SELECT w.id, categorize.learn(w, 401) AS feedback FROM learn_words w ORDER BY id;
SELECT f.expense_key, f.words, p.value AS merchant_pattern
  FROM categorize.feedback f
  LEFT JOIN categorize.patterns p ON p.id = ANY (f.created_pattern_ids)
 WHERE f.expense_key::int BETWEEN 10 AND 15 ORDER BY f.expense_key::int;

-- 6. Keywords: a word corrected to the same category in 3 different
-- expenses becomes a keyword pattern; the same expense twice counts once.
INSERT INTO learn_expenses VALUES
    (20, 'ALPHA BISTRO BERKELEY', NULL, 20),
    (21, 'BETA BISTRO OAKLAND', NULL, 21),
    (22, 'GAMMA BISTRO ALAMEDA', NULL, 22),
    (23, 'DELTA BISTRO ALBANY', NULL, 23);
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 20;
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 20;  -- again
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 21;
SELECT count(*) AS bistro_keywords FROM categorize.patterns WHERE kind = 'keyword' AND value = 'bistro';
SELECT categorize.learn(e, 402) FROM learn_expenses e WHERE id = 22;
SELECT id, category_id, kind, value, weight, user_created FROM categorize.patterns
 WHERE kind = 'keyword' AND value = 'bistro';
-- traceable to the three corrections it came from
SELECT l.feedback_id, f.expense_key FROM categorize.learned_from l
  JOIN categorize.feedback f ON f.id = l.feedback_id
  JOIN categorize.patterns p ON p.id = l.pattern_id
 WHERE p.kind = 'keyword' AND p.value = 'bistro' ORDER BY 1;
-- and it generalizes to a bistro never seen
SELECT categorize.categorize('EPSILON BISTRO SF');

-- 7. Transactional visibility: the next call in the same transaction sees
-- what learn changed; a rollback takes it back.
INSERT INTO learn_expenses VALUES (30, 'NORTHSTAR TACKLE SHOP #3 EUREKA CA', NULL, 40);
BEGIN;
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id = 30;
SELECT categorize.learn(e, 404) IS NOT NULL AS learned FROM learn_expenses e WHERE id = 30;
SELECT categorize.categorize('NORTHSTAR TACKLE SHOP #9 CRESCENT CITY CA');
ROLLBACK;
SELECT categorize.categorize('NORTHSTAR TACKLE SHOP #9 CRESCENT CITY CA');
SELECT count(*) FROM categorize.patterns WHERE value LIKE 'northstar%';
SELECT count(*) FROM categorize.feedback WHERE expense_key = '30';

-- 8. categorize.learning = off: the correction is recorded, nothing learned.
SET categorize.learning = off;
SELECT categorize.learn(e, 404) IS NOT NULL AS recorded FROM learn_expenses e WHERE id = 30;
SELECT learned, corrected, created_pattern_ids, strengthened_pattern_ids
  FROM categorize.feedback WHERE expense_key = '30';
SELECT count(*) FROM categorize.patterns WHERE value LIKE 'northstar%';
SELECT categorize.categorize(e) FROM learn_expenses e WHERE id = 30;
RESET categorize.learning;

-- 9. Bad input.
SELECT categorize.learn('some text'::text, 401);
SELECT categorize.learn(e, NULL) FROM learn_expenses e WHERE id = 1;
SELECT categorize.learn(NULL::learn_expenses, 401);
SELECT categorize.learn(e, 999999) FROM learn_expenses e WHERE id = 1;
-- an expense with nothing to learn from is still recorded
SELECT categorize.learn(ROW(99, NULL, NULL, NULL)::learn_expenses, 401) IS NOT NULL AS recorded;
SELECT words, created_pattern_ids FROM categorize.feedback WHERE expense_key = '99';
-- a megabyte description: recorded, at most 32 words kept
SELECT categorize.learn(ROW(98, (SELECT string_agg(translate(md5(i::text), '0123456789', 'ghijklmnop'), ' ')
                                   FROM generate_series(1, 30000) i), NULL, NULL)::learn_expenses, 401)
       IS NOT NULL AS recorded;
SELECT length(description), cardinality(words), cardinality(created_pattern_ids)
  FROM categorize.feedback WHERE expense_key = '98';

-- 10. Feedback and provenance survive pg_dump; who may do what.
SELECT c.relname FROM pg_extension x, unnest(x.extconfig) AS t(oid)
  JOIN pg_class c ON c.oid = t.oid
 WHERE x.extname = 'categorize' ORDER BY 1;
SELECT p.proname, p.prosecdef, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'categorize'::regnamespace
   AND p.proname IN ('learn', 'decay') ORDER BY 1;
CREATE ROLE learn_app_role;
GRANT SELECT ON learn_expenses TO learn_app_role;
SET ROLE learn_app_role;
SELECT categorize.learn(e, 404) IS NOT NULL AS recorded FROM learn_expenses e WHERE id = 2;
SELECT count(*) FROM categorize.feedback;
UPDATE categorize.patterns SET weight = 5;
SELECT categorize.decay();
RESET ROLE;
SELECT learned_by FROM categorize.feedback WHERE expense_key = '2';

-- The log outlives the patterns it mentions, and never blocks changes to
-- the pattern table.
TRUNCATE categorize.patterns;
SELECT count(*) AS feedback_kept, count(*) FILTER (WHERE created_pattern_ids <> '{}') AS with_created
  FROM categorize.feedback;

DROP TABLE learn_expenses, learn_words;
DROP ROLE learn_app_role;
TRUNCATE categorize.categories, categorize.feedback, categorize.learned_from CASCADE;
SELECT (SELECT count(*) FROM categorize.patterns) AS patterns,
       (SELECT count(*) FROM categorize.feedback) AS feedback,
       (SELECT count(*) FROM categorize.learned_from) AS learned_from;
