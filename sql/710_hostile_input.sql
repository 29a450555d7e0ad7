-- Hostile input: random bytes through the engine's building blocks, and
-- hostile patterns and expenses through the whole matcher.  Nothing may
-- crash; every answer is NULL or a real category.
SET TIME ZONE 'UTC';
SET categorize.time_budget = 0;		-- answers must not depend on machine speed

-- engine building blocks with invalid UTF-8, control bytes, huge and empty
-- strings; the automaton checked against a naive search
SELECT seed, categorize._fuzz_engine(seed, 200) > 0 AS invariants_hold
  FROM generate_series(1, 4) AS seed;

TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Literals'), (2, 'Regex'), (3, 'Amounts');

-- regex metacharacters in literal patterns are plain characters
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (71, 1, 'merchant', '.*+?[](){}|^$\');
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (1, 'merchant', 'C++ (Main St.) [2]', 3),
    (1, 'keyword', 'a.b', 3),
    (1, 'description', '(a+)+ plus', 3),
    (1, 'merchant', 'ç€😀東', 3);
SELECT categorize.categorize('x', 'c++ main st 2') AS metachar_merchant,
       categorize.categorize('say a.b now') AS dotted_keyword,
       categorize.categorize('axb') AS dot_is_not_any,
       categorize.categorize('aaa plus') AS description_is_a_substring,
       categorize.categorize('(A+)+ Plus!') AS parens_are_spaces,
       categorize.categorize('x', 'ç€😀東') AS multibyte_merchant;

-- amounts at numeric limits, NaN and infinities, dates at ±infinity
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (3, 'keyword', 'amount', 1),
    (3, 'amount_range', '-99999999999999999999-99999999999999999999', 1),
    (3, 'time', 'weekday', 1);
SELECT a AS amount, x.method
  FROM unnest(ARRAY['NaN', 'Infinity', '-Infinity', '0', '-1e20', '1e100']::numeric[]) AS a
  LEFT JOIN LATERAL categorize.explain('amount', NULL, a, NULL) x ON true
 ORDER BY a, x.method;
SELECT d AS transaction_date, x.method
  FROM unnest(ARRAY['infinity', '-infinity', '4714-11-24 00:00:00+00 BC',
                    '294276-12-31 23:59:59+00', '2026-11-23 12:00+00']::timestamptz[]) AS d
  LEFT JOIN LATERAL categorize.explain('amount', NULL, NULL, d) x ON true
 ORDER BY d, x.method;

-- nested quantifiers and other slow-looking regexes compile and run
INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES
    (2, 'regex', '(a*)*c', 3),
    (2, 'regex', '(x+x+)+y', 3),
    (2, 'regex', '^(([a-z])+.)+[A-Z]([a-z])+$', 3),
    (2, 'regex', '(.*q){12}', 3);
SELECT categorize.categorize(repeat('x', 5000) || 'y') AS nested_quantifiers,
       categorize.categorize(repeat('a', 5000)) AS letters_case_insensitive,
       categorize.categorize(repeat('q', 20)) AS twelve_repeats;

-- random expenses (seeded): every answer is NULL or one of the categories
SELECT setseed(0.42);
WITH random_text AS (
    SELECT g,
           (SELECT string_agg(substr('aAbBxXyYqQ .*()[]$^|\çé€😀東 #0123456789+',
                                     1 + floor(random() * 42)::int, 1), '')
              FROM generate_series(1, 1 + (g % 97))) AS t
      FROM generate_series(1, 2000) AS g
)
SELECT count(*) AS expenses,
       count(*) FILTER (WHERE c IS NULL OR c IN (1, 2, 3)) AS valid_answers
  FROM (SELECT categorize.categorize(t, CASE WHEN g % 3 = 0 THEN t END,
                                     (g - 1000) * 1.5, now()) AS c
          FROM random_text) s;

TRUNCATE categorize.categories CASCADE;
