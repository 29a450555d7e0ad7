-- The starter set: loads once, is idempotent, and categorizes typical
-- bank descriptions.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
SELECT * FROM categorize.load_sample_data();
SELECT * FROM categorize.load_sample_data();
SELECT count(*) AS categories, count(parent_id) AS subcategories FROM categorize.categories;
SELECT kind, count(*) FROM categorize.patterns GROUP BY kind ORDER BY kind;
SELECT d AS description, m AS merchant, c.name AS category
  FROM (VALUES
    ('STARBUCKS STORE #10234 SEATTLE WA', NULL),
    ('SQ *BLUE BOTTLE COFFEE OAKLAND CA', NULL),
    ('WHOLEFDS MKT 10245', 'Whole Foods Market'),
    ('UBER *TRIP HELP.UBER.COM', NULL),
    ('UBER EATS ORDER 8812', NULL),
    ('AMZN Mktp US*2K4LL9QA3', NULL),
    ('NETFLIX.COM 866-579-7172 CA', NULL),
    ('Farmacia San José', NULL),
    ('Überweisung Miete November', NULL),
    ('ACH CREDIT ACME CORP PAYROLL', NULL),
    ('CORNER SHOP 42', NULL)
  ) AS t(d, m)
  LEFT JOIN categorize.categories c ON c.id = categorize.categorize(d, m)
 ORDER BY d;
TRUNCATE categorize.categories CASCADE;
