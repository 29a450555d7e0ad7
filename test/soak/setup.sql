-- Soak test schema: expenses inserted through the trigger, a backlog for a
-- batch job, and every committed pattern set kept as a numbered snapshot.
\set ON_ERROR_STOP 1
CREATE EXTENSION categorize;
SELECT categorize.load_sample_data();
-- 1,000 keywords no expense holds: with that many patterns an index takes
-- added literal patterns in as a delta (the mutator's new keywords)
INSERT INTO categorize.patterns (category_id, kind, value)
    SELECT (SELECT min(id) FROM categorize.categories), 'keyword', 'soakfill' || i || 'qz'
      FROM generate_series(1, 1000) i;
CREATE SCHEMA soak;

CREATE TABLE soak.pattern_versions (
    version  bigint PRIMARY KEY,
    patterns jsonb NOT NULL
);
INSERT INTO soak.pattern_versions
    SELECT 0, jsonb_agg(to_jsonb(p)) FROM categorize.patterns p;

-- the newest pattern set this statement's snapshot sees
CREATE FUNCTION soak.current_version() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT max(version) FROM soak.pattern_versions $$;

CREATE TABLE soak.expenses (
    id               bigserial PRIMARY KEY,
    client           int NOT NULL,
    description      text,
    merchant_name    text,
    amount           numeric,
    transaction_date timestamptz,
    category_id      bigint,
    pattern_version  bigint NOT NULL DEFAULT soak.current_version()
);
CREATE TRIGGER soak_categorize BEFORE INSERT ON soak.expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id');

-- descriptions the clients pick from; soakword* are what the mutator plays with
CREATE TABLE soak.phrases (n int PRIMARY KEY, description text, merchant text);
INSERT INTO soak.phrases
SELECT row_number() OVER (), d, m FROM (VALUES
    ('STARBUCKS STORE #10234 SEATTLE WA', NULL), ('SQ *BLUE BOTTLE COFFEE', NULL),
    ('WHOLEFDS MKT 10245', 'Whole Foods Market'), ('UBER *TRIP HELP.UBER.COM', NULL),
    ('UBER EATS ORDER 8812', NULL), ('AMZN Mktp US*2K4LL9QA3', NULL),
    ('NETFLIX.COM 866-579-7172', NULL), ('SHELL OIL 57444221', 'Shell'),
    ('Farmacia San José', NULL), ('ACH CREDIT ACME PAYROLL', NULL), ('CORNER SHOP 42', NULL),
    ('soakword1 purchase', NULL), ('soakword2 purchase', NULL), ('soakword3 store', NULL),
    ('soakword4', 'soakword5 ltd'), ('coffee soakword1', NULL), ('KFC 0425 LONDON', 'KFC'),
    ('Starbuks Reserve', 'Starbuks'), ('MONTHLY FEE', NULL), ('RYANAIR', 'Ryanair')
) AS t(d, m);

-- a backlog for a batch job running during the soak
CREATE TABLE soak.backlog (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    description text, merchant_name text, amount numeric, category_id bigint
);
INSERT INTO soak.backlog (description, merchant_name, amount)
SELECT p.description, p.merchant, (g % 500) + 0.99
  FROM generate_series(1, 300000) g JOIN soak.phrases p ON p.n = 1 + g % 20;

-- one change to the patterns per call, committed with its snapshot
CREATE FUNCTION soak.mutate(step int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cat bigint := (SELECT id FROM categorize.categories ORDER BY id OFFSET (step * 7) % 39 LIMIT 1);
    victim bigint;
BEGIN
    CASE step % 4
    WHEN 0 THEN
        INSERT INTO categorize.patterns (category_id, kind, value, weight, user_created)
        VALUES (cat, 'keyword', 'soakword' || (1 + step % 5), 1 + (step % 5), true);
    WHEN 1 THEN
        SELECT id INTO victim FROM categorize.patterns WHERE user_created ORDER BY id LIMIT 1;
        DELETE FROM categorize.patterns WHERE id = victim;
    WHEN 2 THEN
        UPDATE categorize.patterns SET weight = 0.5 + (step % 9) * 0.5
         WHERE id = (SELECT id FROM categorize.patterns ORDER BY id OFFSET step % 50 LIMIT 1);
    ELSE
        UPDATE categorize.patterns SET active = NOT active
         WHERE id = (SELECT id FROM categorize.patterns ORDER BY id OFFSET step % 30 LIMIT 1);
    END CASE;
    INSERT INTO soak.pattern_versions
        SELECT step, jsonb_agg(to_jsonb(p)) FROM categorize.patterns p;
END $$;
