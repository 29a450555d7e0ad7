-- Demo: the starter set, an expenses table with the trigger, sample expenses.
\set ON_ERROR_STOP 1
\pset footer off
CREATE EXTENSION categorize;
SELECT * FROM categorize.load_sample_data();

CREATE TABLE expenses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    description      text NOT NULL,
    merchant_name    text,
    amount           numeric(12,2),
    transaction_date timestamptz,
    category_id      bigint REFERENCES categorize.categories (id),
    confidence       float8
);
CREATE TRIGGER expenses_categorize
    BEFORE INSERT OR UPDATE ON expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id', 'confidence');

INSERT INTO expenses (description, merchant_name, amount, transaction_date) VALUES
    ('STARBUCKS STORE #10234 SEATTLE WA',      'Starbucks',        5.75, '2026-11-02 08:14+00'),
    ('SQ *BLUE BOTTLE COFFEE OAKLAND CA',       NULL,               6.50, '2026-11-02 09:02+00'),
    ('WHOLEFDS MKT 10245',                      'Whole Foods Market', 84.12, '2026-11-02 18:40+00'),
    ('UBER *TRIP HELP.UBER.COM',                NULL,              23.40, '2026-11-03 23:10+00'),
    ('UBER EATS ORDER 8812',                    'Uber Eats',       31.90, '2026-11-03 20:05+00'),
    ('AMZN Mktp US*2K4LL9QA3',                  NULL,              42.99, '2026-11-04 12:00+00'),
    ('NETFLIX.COM 866-579-7172 CA',             NULL,              15.49, '2026-11-05 03:00+00'),
    ('SHELL OIL 57444221 HOUSTON TX',           'Shell',           61.20, '2026-11-05 07:45+00'),
    ('Café de la Paix — Paris',                 NULL,               4.20, '2026-11-06 08:30+01'),
    ('MERCADONA VALENCIA',                      'Mercadona',       57.33, '2026-11-06 19:10+01'),
    ('Farmacia San José',                       NULL,              12.80, '2026-11-07 11:00+01'),
    ('ACH CREDIT ACME CORP PAYROLL',            NULL,           -3200.00, '2026-11-07 06:00+00'),
    ('MONTHLY FEE',                             NULL,              12.00, '2026-11-07 00:00+00'),
    ('Starbuks Reserve Roastery',               'Starbuks',         7.10, '2026-11-08 09:20+00'),
    ('PLANET FITNESS CLUB FEES',                'Planet Fitness',  24.99, '2026-11-08 06:30+00'),
    ('Überweisung an Vermieter Miete November', NULL,            1450.00, '2026-11-09 10:00+01'),
    ('RYANAIR DUBLIN',                          'Ryanair',         89.99, '2026-11-09 14:00+00'),
    ('CORNER SHOP 42',                          NULL,               3.10, '2026-11-09 17:00+00'),
    ('MTA*NYCT PAYGO NEW YORK',                 'MTA',              2.90, '2026-11-10 08:05-05'),
    ('KFC 0425 LONDON',                         'KFC',              9.49, '2026-11-10 22:30+00');

SELECT e.id, left(e.description, 38) AS description, e.amount,
       c.name AS category, round(e.confidence::numeric, 2) AS confidence
  FROM expenses e LEFT JOIN categorize.categories c ON c.id = e.category_id
 ORDER BY e.id;

\echo 'Why was expense 2 categorized this way, and what lost?'
SELECT x.rank, x.category, round(x.confidence::numeric, 3) AS confidence, x.pattern_ids, x.method
  FROM expenses e, categorize.explain(e) x
 WHERE e.id = 2;

\echo 'The same, as a batch over existing rows (a plain UPDATE with the function):'
UPDATE expenses SET category_id = NULL;
UPDATE expenses e SET category_id = categorize.categorize(e);
SELECT count(*) AS rows, count(category_id) AS categorized FROM expenses;
