-- Regex prefilter: a regex with a required literal only runs when the
-- literal scan saw that literal, and must match exactly the expenses it
-- matches without the prefilter (~* on the description or merchant).
TRUNCATE categorize.categories CASCADE;
CREATE TABLE prefilter_regex (id int PRIMARY KEY, re text);
INSERT INTO prefilter_regex VALUES
    (1, 'uber\s*\*?\s*trip'), (2, 'ab+c'), (3, 'colou?r'), (4, 'x{0}yz'),
    (5, 'a{2,3}bc'), (6, '(foo|bar)baz'), (7, 'foo|bar'), (8, '[a-z]+mart'),
    (9, '\mcafe\M'), (10, '\d{4} card'), (11, 'caf[eé]'), (12, 'ÉCOLE'),
    (13, 'x\x41b'), (14, '(?i)qwe'), (15, '***=a.b'), (16, 'tfl\.gov'),
    (17, '^sq \*'), (18, 'a.c'), (19, 'ref[0-9]{6}'), (20, 'paypal \*[a-z]+'),
    (21, '[[:alpha:]]+shop'), (22, '[]x]yz'), (23, 'ab(?=cd)'), (24, 'ab*?c'),
    (25, 'İstanbul'), (26, 'kelvin'), (27, 'STRASSE'), (28, 'n(ot)?ice'),
    (29, 'zz\+'), (30, '(ab){2}cd'), (31, 'h[^x]llo world'), (32, 'Straße');
INSERT INTO categorize.categories (id, name)
    SELECT id, 'regex ' || id FROM prefilter_regex;
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    SELECT 1000 + id, id, 'regex', re, 5 FROM prefilter_regex;

CREATE TABLE prefilter_text (t text);
INSERT INTO prefilter_text VALUES
    ('UBER *TRIP help.uber.com'), ('Uber   trip'), ('ubertrip'), ('uber eats'),
    ('ABBBC'), ('ac'), ('abc'), ('Color'), ('COLOUR'), ('colr'), ('yz'), ('xyz'),
    ('aabc'), ('aaabc'), ('abc'), ('foobaz'), ('barbaz'), ('baz'), ('foo'), ('bar'),
    ('Walmart'), ('mart'), ('KMART'), ('Café Nero'), ('cafe'), ('cafeteria'),
    ('1234 card'), ('card'), ('CAFÉ'), ('caf'), ('école'), ('ECOLE'), ('cole'),
    ('xAb'), ('XAB'), ('x41b'), ('QWE'), ('qwe'), ('a.b'), ('axb'), ('TFL.GOV'),
    ('tfl gov'), ('tflxgov'), ('SQ *COFFEE'), ('sq coffee'), ('abc'), ('a c'),
    ('REF123456'), ('ref12345'), ('PAYPAL *EBAY'), ('paypal ebay'), ('Bookshop'),
    ('shop'), (']yz'), ('xyz'), ('abcd'), ('abd'), ('ac'), ('abbbbc'),
    ('İSTANBUL'), ('istanbul'), ('ISTANBUL'), ('Kelvin'), ('KELVIN'), ('Hauptstraße'),
    ('HAUPTSTRASSE'), ('nice'), ('notice'), ('noice'), ('ZZ+'), ('zz'), ('ababcd'),
    ('abcd'), ('hello world'), ('HALLO WORLD'), ('hxllo world'), ('STRASSE'),
    ('straße'), (''), ('!!!'), (repeat('ab', 50) || 'c');

-- every (regex, text) pair, text as description and as merchant name:
-- the regex's category is among the candidates exactly when ~* matches
CREATE FUNCTION prefilter_mismatches(as_merchant boolean)
RETURNS TABLE (re text, t text, expected boolean, got boolean)
LANGUAGE sql AS $$
    SELECT r.re, x.t, x.t ~* r.re,
           EXISTS (SELECT 1 FROM categorize.explain(CASE WHEN as_merchant THEN 'zzz' ELSE x.t END,
                                                    CASE WHEN as_merchant THEN x.t END) e
                   WHERE e.category_id = r.id AND e.method = 'regex')
      FROM prefilter_regex r, prefilter_text x
     WHERE (x.t ~* r.re) IS DISTINCT FROM
           EXISTS (SELECT 1 FROM categorize.explain(CASE WHEN as_merchant THEN 'zzz' ELSE x.t END,
                                                    CASE WHEN as_merchant THEN x.t END) e
                   WHERE e.category_id = r.id AND e.method = 'regex')
$$;
SET categorize.max_alternatives = 100;
SELECT * FROM prefilter_mismatches(false);
SELECT * FROM prefilter_mismatches(true);
-- the test is not vacuous: how many pairs match
SELECT count(*) AS matching_pairs FROM prefilter_regex r, prefilter_text x WHERE x.t ~* r.re;
-- texts the regexes with a required literal skip, still matched right
SELECT x.t, array_agg(e.category_id ORDER BY e.category_id) AS regex_categories
  FROM prefilter_text x, categorize.explain(x.t) e
 WHERE x.t IN ('UBER *TRIP help.uber.com', 'Café Nero', 'école', 'ababcd', 'ISTANBUL', 'SQ *COFFEE')
 GROUP BY x.t ORDER BY x.t;
RESET categorize.max_alternatives;

DROP FUNCTION prefilter_mismatches(boolean);
DROP TABLE prefilter_text;
DROP TABLE prefilter_regex;
TRUNCATE categorize.categories CASCADE;
