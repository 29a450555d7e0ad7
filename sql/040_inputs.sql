-- Expense rows of every shape: column names and types, NULLs, empty and
-- huge strings, odd encodings, wrong types.
SET TIME ZONE 'UTC';
-- results here must not depend on the machine's speed (the budget has its own tests)
SET categorize.time_budget = 0;
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Books');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 2, 'keyword', 'book', 1),
    (3, 2, 'amount_range', '5-30', 1),
    (4, 2, 'time', 'evening', 1),
    (5, 1, 'regex', '(a+)+$', 3);

-- the canonical shape
CREATE TABLE expenses (id int, description text, merchant_name text,
                       amount numeric, transaction_date timestamptz);
INSERT INTO expenses VALUES
    (1, 'POS 1234', 'Starbucks', 4.5, '2026-11-24 08:00'),
    (2, 'used book', NULL, 12, '2026-11-24 18:00'),
    (3, 'used book', NULL, NULL, NULL),
    (4, NULL, NULL, NULL, NULL),
    (5, '', '', 0, NULL),
    (6, repeat('x', 1024 * 1024), NULL, NULL, NULL),
    (7, repeat('starbucks ', 100000), NULL, NULL, NULL),
    (8, 'CAFÉ ☕ 😀 STARBUCKS', NULL, NULL, NULL);
SELECT id, categorize.categorize(e) FROM expenses e ORDER BY id;
-- the scalar form agrees with the row form
SELECT id, categorize.categorize(description, merchant_name, amount, transaction_date)
       IS NOT DISTINCT FROM categorize.categorize(e) AS same
  FROM expenses e ORDER BY id;
-- NULL rows and NULL fields
SELECT categorize.categorize(NULL::expenses) AS null_row,
       categorize.categorize(NULL::text) AS null_text,
       categorize.categorize(NULL, NULL, NULL, NULL) AS all_null;

-- other names and types: merchant / occurred_at, varchar, float, int, money, date, timestamp
CREATE TABLE other_shape (occurred_at timestamp, amount real, merchant varchar(40),
                          description char(30), note text);
INSERT INTO other_shape VALUES ('2026-11-24 19:00', 12, NULL, 'book fair', 'x'),
                               ('2026-11-24 08:00', 4, 'Starbucks', 'latte', 'y');
SELECT description, categorize.categorize(o) FROM other_shape o ORDER BY 1;
CREATE TABLE int_amounts (description text, amount int, transaction_date date);
INSERT INTO int_amounts VALUES ('book', 12, '2026-11-24'), ('book', 50, '2026-11-24');
SELECT amount, x.method FROM int_amounts i, categorize.explain(i) x ORDER BY 1;
CREATE TABLE money_amounts (description text, amount money, transaction_date timestamp);
INSERT INTO money_amounts VALUES ('book', '$12.00', '2026-11-24 18:00');
SELECT x.method FROM money_amounts m, categorize.explain(m) x;
-- amounts and dates at their limits
SELECT x.method FROM categorize.explain('book', NULL, 'NaN', 'infinity') x;
SELECT x.method FROM categorize.explain('book', NULL, 'Infinity', '-infinity') x;
SELECT x.method FROM categorize.explain('book', NULL, 1e300, NULL) x;
-- a row with none of the expected columns
CREATE TABLE unrelated (a int, b text);
INSERT INTO unrelated VALUES (1, 'starbucks');
SELECT categorize.categorize(u) FROM unrelated u;
-- anonymous records
SELECT categorize.categorize(r) FROM (SELECT 'x'::text AS description, 'Starbucks'::text AS merchant_name) r;
SELECT categorize.categorize(ROW('x', 'Starbucks'));

-- wrong types: clear errors
CREATE TABLE bad_desc (description int);
INSERT INTO bad_desc VALUES (1);
SELECT categorize.categorize(b) FROM bad_desc b;
CREATE TABLE bad_amount (description text, amount text);
INSERT INTO bad_amount VALUES ('book', '12');
SELECT categorize.categorize(b) FROM bad_amount b;
CREATE TABLE bad_date (description text, transaction_date text);
INSERT INTO bad_date VALUES ('book', 'today');
SELECT categorize.categorize(b) FROM bad_date b;
SELECT categorize.categorize(42);
SELECT categorize.categorize('book'::varchar);

DROP TABLE expenses, other_shape, int_amounts, money_amounts, unrelated,
           bad_desc, bad_amount, bad_date;
TRUNCATE categorize.categories CASCADE;
