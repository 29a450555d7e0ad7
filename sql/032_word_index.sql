-- Whole-word keys by hashed word sequences: with 20,000 whole-word keys or
-- more, merchant and keyword values leave the automaton's trie for the word
-- index.  The same answers either way.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES
    (1, 'Coffee'), (2, 'Groceries'), (3, 'Transport'), (4, 'Fuel'),
    (5, 'Books'), (6, 'Filler');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (101, 1, 'merchant', 'Starbucks', 3),
    (102, 1, 'keyword', 'espresso', 3),
    (103, 1, 'description', 'bucks', 1),
    (104, 1, 'keyword', 'Café Crème', 2),
    (201, 2, 'merchant', 'Whole Foods Market', 3),
    (202, 2, 'merchant', 'Whole Foods', 2),
    (301, 3, 'regex', 'uber\s*\*?\s*trip', 3),
    (302, 3, 'keyword', 'taxi', 2),
    (401, 4, 'keyword', 'gas station', 3),
    (402, 4, 'description', 'gas station fee', 2),
    (501, 5, 'keyword', 'book', 1);
-- 20,000 two-word keywords
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
SELECT 100000 + i, 6, 'keyword', 'filler' || i || ' word', 1
  FROM generate_series(1, 20000) i;

CREATE TEMP TABLE inputs (n int, description text, merchant text);
INSERT INTO inputs VALUES
    (1, 'card purchase', 'Starbucks'),
    (2, 'card purchase', 'STARBUCKS reserve roastery'),
    (3, 'POS STARBUCKS #1234 SEATTLE WA', NULL),
    (4, 'double ESPRESSO to go', NULL),
    (5, 'espressos and more', NULL),
    (6, 'two bucks', NULL),
    (7, 'mybucksstore', NULL),
    (8, 'CAFE CREME au lait', NULL),
    (9, 'café-crème', NULL),
    (10, 'groceries', 'Whole Foods Market'),
    (11, 'groceries', 'whole foods'),
    (12, 'WHOLE FOODS MARKET #10 AUSTIN', NULL),
    (13, 'whole   foods...market', NULL),
    (14, 'Uber *Trip help.uber.com', NULL),
    (15, 'late taxi', NULL),
    (16, 'taxicab', NULL),
    (17, 'GAS-STATION', NULL),
    (18, 'gas station fee 12', NULL),
    (19, 'gas', 'station'),
    (20, 'paid filler777 word today', NULL),
    (21, 'filler20000 word', NULL),
    (22, 'filler20001 word', NULL),
    (23, 'filler777word', NULL),
    (24, 'filler777', 'word'),
    (25, 'book filler1 word filler2', NULL),
    (26, '', NULL),
    (27, NULL, 'Starbucks'),
    (28, '   ', '  '),
    (29, repeat('filler5 word ', 6000) || 'espresso', NULL),
    (30, 'ÉSPRESSO', 'Whole Foods Market Starbucks');

-- every input's explain() rows
CREATE FUNCTION answers()
RETURNS TABLE (n int, rank int, category text, confidence numeric, pattern_ids bigint[], method text)
LANGUAGE sql AS $$
    SELECT i.n, x.rank, x.category, round(x.confidence::numeric, 4), x.pattern_ids, x.method
      FROM inputs i, categorize.explain(i.description, i.merchant) x
$$;
CREATE TEMP TABLE answers_words AS SELECT * FROM answers();

-- the word index holds the whole-word keys (the description keys stay in the trie)
SELECT word_index_keys, literal_keys FROM categorize.index_info();

SELECT * FROM answers_words WHERE n <> 29 ORDER BY n, rank;
-- 6,000 occurrences of one key, then another at the end of 78 kB (past the
-- first 64 kB stretch of a scan)
SELECT n, rank, category, confidence, pattern_ids, method
  FROM answers_words WHERE n = 29 ORDER BY rank;

-- below 20,000 whole-word keys the trie holds them all: the same answers
UPDATE categorize.patterns SET active = false WHERE id > 110000;
SELECT word_index_keys FROM categorize.index_info();
UPDATE categorize.patterns SET active = true WHERE id > 110000;
DELETE FROM categorize.patterns WHERE id > 119000;
SELECT word_index_keys FROM categorize.index_info();
CREATE TEMP TABLE answers_trie AS SELECT * FROM answers() WHERE n NOT IN (21, 22);
SELECT count(*) AS answers,
       (SELECT count(*) FROM (SELECT * FROM answers_words WHERE n NOT IN (21, 22)
                              EXCEPT SELECT * FROM answers_trie) d) AS only_with_words,
       (SELECT count(*) FROM (SELECT * FROM answers_trie
                              EXCEPT SELECT * FROM answers_words) d) AS only_in_trie
  FROM answers_trie;

DROP FUNCTION answers();
TRUNCATE categorize.categories CASCADE;
