-- The row trigger: fills the category (and confidence) when it is NULL,
-- never overwrites a category set by the user, never fails the insert.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Books');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 2, 'keyword', 'book', 3);

CREATE TABLE expenses (
    id serial PRIMARY KEY,
    description text,
    merchant_name text,
    amount numeric,
    transaction_date timestamptz,
    category_id bigint,
    confidence float8
);
CREATE TRIGGER categorize_expense BEFORE INSERT OR UPDATE ON expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id', 'confidence');

INSERT INTO expenses (description, merchant_name) VALUES
    ('POS 1234', 'Starbucks'),
    ('used book', NULL),
    ('nothing we know', NULL),
    (NULL, NULL);
-- a category set by the user is kept
INSERT INTO expenses (description, merchant_name, category_id) VALUES ('POS 99', 'Starbucks', 2);
SELECT id, description, category_id, round(confidence::numeric, 4) AS confidence
  FROM expenses ORDER BY id;

-- UPDATE: a row whose category is cleared is categorized again; a set one stays
UPDATE expenses SET category_id = NULL, description = 'book club' WHERE id = 3;
UPDATE expenses SET description = 'rare book' WHERE id = 5;
SELECT id, description, category_id FROM expenses WHERE id IN (3, 5) ORDER BY id;

-- multi-row insert and COPY go through the trigger too
INSERT INTO expenses (description) SELECT 'book ' || g FROM generate_series(1, 1000) g;
COPY expenses (description, merchant_name) FROM stdin;
card	Starbucks
nothing	\N
\.
SELECT count(*) AS rows, count(category_id) AS categorized FROM expenses;

-- a failing index build leaves rows uncategorized; the insert succeeds
BEGIN;
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (3, 1, 'keyword', 'latte');
ALTER TABLE categorize.patterns DISABLE TRIGGER patterns_validate;
UPDATE categorize.patterns SET value = '(' , kind = 'regex' WHERE id = 3;
ALTER TABLE categorize.patterns ENABLE TRIGGER patterns_validate;
-- the invalid row is skipped with a warning; everything else still works
INSERT INTO expenses (description, merchant_name) VALUES ('x', 'Starbucks') RETURNING category_id;
ROLLBACK;
BEGIN;
ALTER TABLE categorize.patterns RENAME TO patterns_moved;
INSERT INTO expenses (description, merchant_name) VALUES ('x', 'Starbucks') RETURNING category_id;
INSERT INTO expenses (description, merchant_name) VALUES ('y', 'Starbucks') RETURNING category_id;
ROLLBACK;
SELECT categorize.categorize('x', 'Starbucks') AS working_again;

-- integer and numeric category columns; confidence as real
CREATE TABLE small_expenses (description text, cat int, conf real);
CREATE TRIGGER c BEFORE INSERT ON small_expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('cat', 'conf');
INSERT INTO small_expenses (description) VALUES ('book'), ('zzz');
SELECT * FROM small_expenses ORDER BY description;
CREATE TABLE numeric_expenses (description text, cat numeric);
CREATE TRIGGER c BEFORE INSERT ON numeric_expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('cat');
INSERT INTO numeric_expenses (description) VALUES ('book');
SELECT * FROM numeric_expenses;

-- wrong trigger arguments are errors
CREATE TABLE bad (description text, cat text, conf float8);
CREATE TRIGGER c BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION categorize.trigger('missing');
INSERT INTO bad (description) VALUES ('book');
DROP TRIGGER c ON bad;
CREATE TRIGGER c BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION categorize.trigger('cat');
INSERT INTO bad (description) VALUES ('book');
DROP TRIGGER c ON bad;
CREATE TRIGGER c BEFORE INSERT ON bad FOR EACH ROW EXECUTE FUNCTION categorize.trigger();
INSERT INTO bad (description) VALUES ('book');
DROP TRIGGER c ON bad;
CREATE TRIGGER c AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION categorize.trigger('cat');
INSERT INTO bad (description) VALUES ('book');
DROP TRIGGER c ON bad;
CREATE TRIGGER c BEFORE INSERT ON bad FOR EACH STATEMENT EXECUTE FUNCTION categorize.trigger('cat');
INSERT INTO bad (description) VALUES ('book');
SELECT categorize.trigger();

DROP TABLE expenses, small_expenses, numeric_expenses, bad;
TRUNCATE categorize.categories CASCADE;
