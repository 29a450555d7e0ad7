-- The regex DFA (regex_dfa.c): regexes in the simple subset run on the
-- extension's own DFA, the others on PostgreSQL's engine, and both give
-- exactly the answers of ~* (PostgreSQL's case-insensitive match).
SET categorize.time_budget = 0;		-- answers must not depend on machine speed

-- random patterns and texts: wherever the DFA answers, it agrees with
-- pg_regexec(); errors on the first disagreement (the count proves work)
SELECT seed, categorize._fuzz_regex(seed, 1000) > 10000 AS dfa_agrees
  FROM generate_series(1, 3) AS seed;

TRUNCATE categorize.categories CASCADE;
CREATE TABLE dfa_regex (id int PRIMARY KEY, re text, on_dfa boolean);
INSERT INTO dfa_regex VALUES
    -- in the subset
    (1, '^atm withdrawal [0-9]+', true), (2, 'ref[0-9]{6}', true),
    (3, 'uber\s*(eats|trip)', true), (4, 'parking (lot|meter)', true),
    (5, 'tfl\.gov', true), (6, '^sq \*', true), (7, 'paypal \*[a-z]+', true),
    (8, '\mcafe\M', true), (9, '\ybar\y', true), (10, 'x\Yy', true),
    (11, '[^a-z0-9 ]{2}', true), (12, 'a.c$', true), (13, '\Aabc|xyz\Z', true),
    (14, '(?:ab|cd){2,3}e', true), (15, '\d+\.\d\d', true), (16, '[\w-]+@[\w.]+', true),
    (17, 'colou??r', true), (18, '\S\s\S', true), (19, 'a(a|b){11}$', true),
    -- outside it: PostgreSQL's engine
    (20, 'caf[eé]', false), (21, '(a)\1', false), (22, 'ab(?=cd)', false),
    (23, '[[:alpha:]]+shop', false), (24, '(?i)qwe', false), (25, '***=a.b', false),
    (26, 'x\x41b', false);
INSERT INTO categorize.categories (id, name) SELECT id, 'regex ' || id FROM dfa_regex;
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    SELECT 2000 + id, id, 'regex', re, 5 FROM dfa_regex;

SELECT regexes, regexes_on_dfa,
       regexes_on_dfa = (SELECT count(*) FROM dfa_regex WHERE on_dfa) AS as_expected
  FROM categorize.index_info();

CREATE TABLE dfa_text (t text);
INSERT INTO dfa_text VALUES
    ('ATM withdrawal 250 Oxford St'), ('atm withdrawal'), ('Cash: ATM withdrawal 20'),
    ('Direct debit ref123456'), ('REF12345'), ('Uber Trip 12'), ('UBEReats'), ('uber  trip'),
    ('Parking Lot 4'), ('parking meters'), ('TFL.GOV'), ('tfl gov'), ('SQ *COFFEE'),
    ('x SQ *COFFEE'), ('PAYPAL *EBAY'), ('paypal *'), ('Café Nero'), ('CAFE nero'),
    ('cafeteria'), ('bar'), ('crowbar'), ('bar_b'), ('xy'), ('x y'), ('Zürich!!'),
    ('a!?'), ('ABC'), ('xabc'), ('abcxyz'), ('abc xyz'), ('ababe'), ('ABCDCDE'), ('abe'),
    ('€12.50'), ('12.5'), ('mail me@example.com'), ('@x'), ('COLOR'), ('colour'),
    ('a b'), ('é é'), ('ab'), ('naïve café'), ('ÀB'), ('İstanbul'), ('kelvin'),
    ('x' || chr(160) || 'y'), ('tab' || chr(9) || 'here'), ('new' || chr(10) || 'line'),
    ('shopshop Bookshop'), ('aa'), ('qwe'), ('a.b'), ('xAb'),
    -- random a/b: the DFA of pattern 19 needs a state per last 12 letters
    ((SELECT string_agg(CASE WHEN get_byte(decode(md5(i::text), 'hex'), 0) % 2 = 0
                             THEN 'a' ELSE 'b' END, '') FROM generate_series(1, 20000) i)
     || 'a' || repeat('b', 11)),
    ((SELECT string_agg(CASE WHEN get_byte(decode(md5(i::text), 'hex'), 0) % 2 = 0
                             THEN 'a' ELSE 'b' END, '') FROM generate_series(1, 20000) i)
     || 'b' || repeat('a', 11)),
    (repeat('é', 1000) || ' uber trip'), ('');

-- every (regex, text) pair, text as description and as merchant name
CREATE FUNCTION dfa_mismatches(as_merchant boolean)
RETURNS TABLE (re text, t text, expected boolean)
LANGUAGE sql AS $$
    SELECT r.re, left(x.t, 40), x.t ~* r.re
      FROM dfa_regex r, dfa_text x
     WHERE (x.t ~* r.re) IS DISTINCT FROM
           EXISTS (SELECT 1 FROM categorize.explain(CASE WHEN as_merchant THEN 'zzz' ELSE x.t END,
                                                    CASE WHEN as_merchant THEN x.t END) e
                   WHERE e.category_id = r.id AND e.method = 'regex')
$$;
SET categorize.max_alternatives = 100;
SELECT * FROM dfa_mismatches(false);
SELECT * FROM dfa_mismatches(true);
-- and with the DFA off: the same (empty) answer from PostgreSQL's engine
SET categorize.regex_dfa = off;
SELECT * FROM dfa_mismatches(false);
RESET categorize.regex_dfa;
-- not vacuous: how many pairs match
SELECT count(*) AS matching_pairs FROM dfa_regex r, dfa_text x WHERE x.t ~* r.re;

-- the DFAs grew while matching, and stay bounded: the exponential pattern
-- 19 (4096 states) stopped at its cap of 2000 on the long texts, and its
-- answers above came from PostgreSQL's engine
SELECT regex_dfa_states >= 2000 AS pattern_19_at_its_cap,
       regex_dfa_states < 2000 + 500 AS the_others_small
  FROM categorize.index_info();
SELECT categorize.categorize(t) AS exponential_pattern, count(*)
  FROM dfa_text WHERE length(t) > 20000 GROUP BY 1 ORDER BY 1;

-- a text of 4 MB over a 1 ms budget answers NULL (the DFA looks at the
-- budget every 64kB); without a budget, the match at its end is found
SET categorize.time_budget = '1ms';
SELECT categorize.categorize(repeat('x', 4 * 1024 * 1024) || 'parking lot') IS NULL AS over_budget_is_null;
RESET categorize.time_budget;
SET categorize.time_budget = 0;
SELECT categorize.categorize(repeat('x', 4 * 1024 * 1024) || 'parking lot') AS found_at_the_end;

DROP FUNCTION dfa_mismatches(boolean);
DROP TABLE dfa_text, dfa_regex;
TRUNCATE categorize.categories CASCADE;
