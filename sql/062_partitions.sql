-- Partitioned expense tables: the trigger on the parent fires in each
-- partition with that partition's own column layout (here one attached
-- with another column order and a dropped column), for INSERT, COPY and
-- an UPDATE that moves a row to another partition; categorize(e) reads
-- rows of the parent.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Books');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    (2, 2, 'keyword', 'book', 3);

CREATE TABLE part_expenses (
    id int,
    description text,
    merchant_name text,
    transaction_date timestamptz,
    category_id bigint,
    confidence float8
) PARTITION BY RANGE (transaction_date);
CREATE TABLE part_expenses_oct PARTITION OF part_expenses
    FOR VALUES FROM ('2026-10-01') TO ('2026-11-01');
CREATE TABLE part_expenses_nov (
    junk int,
    confidence float8,
    category_id bigint,
    transaction_date timestamptz,
    merchant_name text,
    id int,
    description text
);
ALTER TABLE part_expenses_nov DROP COLUMN junk;
ALTER TABLE part_expenses ATTACH PARTITION part_expenses_nov
    FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE TRIGGER categorize_expense BEFORE INSERT OR UPDATE ON part_expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id', 'confidence');

INSERT INTO part_expenses (id, description, merchant_name, transaction_date) VALUES
    (1, 'POS 1', 'Starbucks', '2026-10-05'),
    (2, 'used book', NULL, '2026-10-06'),
    (3, 'POS 3', 'Starbucks', '2026-11-05'),
    (4, 'rare book', NULL, '2026-11-06'),
    (5, 'nothing we know', NULL, '2026-11-07');
COPY part_expenses (id, description, merchant_name, transaction_date) FROM stdin;
6	card	Starbucks	2026-10-20
7	book fair	\N	2026-11-20
\.
-- a category set by the user is kept in either partition
INSERT INTO part_expenses (id, description, merchant_name, transaction_date, category_id)
    VALUES (8, 'POS 8', 'Starbucks', '2026-10-08', 2), (9, 'POS 9', 'Starbucks', '2026-11-09', 2);
SELECT tableoid::regclass AS partition, id, description, category_id,
       round(confidence::numeric, 4) AS confidence
  FROM part_expenses ORDER BY id;

-- categorize(e) over the parent reads each partition's rows by column name
SELECT id, categorize.categorize(e) AS categorize, category_id
  FROM part_expenses e WHERE id <= 7 ORDER BY id;

-- an UPDATE that moves a row to the other partition, its category cleared:
-- categorized again there (categorize.batch() and partitions: 300_batch)
UPDATE part_expenses SET transaction_date = '2026-11-15', category_id = NULL,
       merchant_name = NULL, description = 'book club'
 WHERE id = 1;
SELECT tableoid::regclass AS partition, id, description, category_id
  FROM part_expenses WHERE id = 1;

DROP TABLE part_expenses;
TRUNCATE categorize.categories CASCADE;
