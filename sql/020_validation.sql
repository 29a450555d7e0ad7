-- Pattern and category validation: clear errors naming the pattern.
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Food');

-- valid rows of every kind
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 1, 'keyword', 'coffee', 1),
    (3, 1, 'description', 'latte', 1),
    (4, 1, 'regex', '^sq \*', 1),
    (5, 1, 'amount_range', '1.50-8.00', 1),
    (6, 1, 'amount_range', '-100.00--10.00', 1),
    (7, 1, 'time', 'morning', 1),
    (8, 1, 'time', 'Weekend', 1),
    (9, 1, 'time', '22:30-02:00', 1),
    (10, 1, 'amount_range', ' 5 - 15 ', 1);
SELECT id, kind, value, weight, active, usage_count, success_count, user_created
  FROM categorize.patterns ORDER BY id;

-- a regex that does not compile
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (20, 1, 'regex', '(unclosed');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (20, 1, 'regex', 'a{3,1}');
-- amount ranges that do not parse
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (21, 1, 'amount_range', 'cheap');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (21, 1, 'amount_range', '5.00');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (21, 1, 'amount_range', '15-5');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (21, 1, 'amount_range', '1e3-2e3');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (21, 1, 'amount_range', 'nan-inf');
-- unknown time words and bad windows
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (22, 1, 'time', 'noon');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (22, 1, 'time', '25:00-26:00');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (22, 1, 'time', '10:00-10:00');
-- unknown kind
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (23, 1, 'vendor', 'x');
-- weight out of range
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (24, 1, 'keyword', 'tea', 5.5);
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (24, 1, 'keyword', 'tea', 0.05);
-- literal without letters or digits
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (25, 1, 'keyword', '*** !!');
-- counts: success above usage, negative usage (terse: the row detail has timestamps)
\set VERBOSITY terse
INSERT INTO categorize.patterns (id, category_id, kind, value, usage_count, success_count)
    VALUES (26, 1, 'keyword', 'tea', 1, 2);
INSERT INTO categorize.patterns (id, category_id, kind, value, usage_count) VALUES (26, 1, 'keyword', 'tea', -1);
\set VERBOSITY default
-- missing category, NULL value
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (27, 99, 'keyword', 'tea');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (27, 1, 'keyword', NULL);
-- updates are validated too
UPDATE categorize.patterns SET value = '(' WHERE id = 4;
UPDATE categorize.patterns SET weight = 7 WHERE id = 1;
UPDATE categorize.patterns SET kind = 'time' WHERE id = 2;
-- nothing invalid got in
SELECT count(*) AS patterns FROM categorize.patterns;

-- categories: unique names, one level of subcategories
INSERT INTO categorize.categories (id, name) VALUES (3, 'Coffee');
\set VERBOSITY terse
INSERT INTO categorize.categories (id, name) VALUES (3, '  ');
\set VERBOSITY default
INSERT INTO categorize.categories (id, name, parent_id) VALUES (3, 'Espresso bars', 1);
INSERT INTO categorize.categories (id, name, parent_id) VALUES (4, 'Ristretto', 3);
UPDATE categorize.categories SET parent_id = 2 WHERE id = 1;
UPDATE categorize.categories SET parent_id = 1 WHERE id = 1;
-- deleting a category deletes its patterns
DELETE FROM categorize.categories WHERE id = 1;
SELECT count(*) AS patterns_left FROM categorize.patterns;

TRUNCATE categorize.categories CASCADE;
