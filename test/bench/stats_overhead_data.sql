-- Workload of the stats_overhead benchmarks (psql variables rows, patterns):
-- 200 categories; patterns of every kind (60% merchants, 30% keywords,
-- descriptions, 1% regexes, 2% amount ranges); expenses of which most
-- mention a pattern's merchant and a third have a merchant name.
CREATE EXTENSION categorize;
INSERT INTO categorize.categories (id, name)
    SELECT i, 'category ' || i FROM generate_series(1, 200) i;
INSERT INTO categorize.patterns (category_id, kind, value, weight)
SELECT 1 + i % 200,
       CASE WHEN i % 100 = 0 THEN 'regex'
            WHEN i % 50 = 1 THEN 'amount_range'
            WHEN i % 10 < 6 THEN 'merchant'
            WHEN i % 10 < 9 THEN 'keyword'
            ELSE 'description' END,
       CASE WHEN i % 100 = 0 THEN 'shop' || i || '[0-9]+'
            WHEN i % 50 = 1 THEN (i % 90) || '.00-' || (i % 90 + 20) || '.00'
            ELSE 'm' || substr(md5(i::text), 1, 6) || ' ' || substr(md5(i::text), 7, 5) END,
       1 + (i % 5) * 0.8
  FROM generate_series(1, :patterns) i;
CREATE TABLE expenses AS
SELECT i AS id,
       CASE WHEN i % 4 = 0 THEN 'card payment ' || i
            ELSE 'POS m' || substr(md5((i % :patterns)::text), 1, 6) || ' '
                 || substr(md5((i % :patterns)::text), 7, 5) || ' #' || i END AS description,
       CASE WHEN i % 3 = 0 THEN 'M' || substr(md5((i % 977)::text), 1, 6) END AS merchant_name,
       (i % 200)::numeric + 0.99 AS amount,
       timestamptz '2024-01-01' + i * interval '7 minutes' AS transaction_date
  FROM generate_series(1, :rows) i;
VACUUM ANALYZE expenses;
