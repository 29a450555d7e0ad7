-- (timing-sensitive) Circuit breaker and time budget: a hostile regex is stopped inside the
-- regex engine by categorize.time_budget; consecutive timeouts open the
-- breaker; open, calls answer NULL at once and the trigger leaves rows
-- uncategorized; after the reset timeout one probe decides.
SET TIME ZONE 'UTC';
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee'), (2, 'Puzzles');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES
    (1, 1, 'merchant', 'Starbucks', 3),
    -- backtracks for seconds on 1 kB of text without a repeat
    (2, 2, 'regex', '(\w{3,})\1z', 3);
CREATE TEMP TABLE hostile AS
    SELECT (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 40) i) || 'z' AS description;
SELECT categorize.breaker_reset();
SELECT categorize.stats_reset() IS NOT NULL AS reset;
SET categorize.breaker_failure_threshold = 3;
SET categorize.breaker_reset_timeout = '1s';
SELECT categorize.categorize('Starbucks') AS warm;

-- the budget stops the regex long before it would finish
SET categorize.time_budget = '200ms';
SELECT clock_timestamp() AS t0 \gset
SELECT categorize.categorize(h) AS timed_out FROM hostile h;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' AS stopped_early;
SELECT timeouts, breaker_state, breaker_failures FROM categorize.stats;

-- a success in between resets the consecutive count
SELECT categorize.categorize('Starbucks');
SELECT breaker_state, breaker_failures FROM categorize.stats;

-- threshold 3: closed after two failures, open after the third
SELECT categorize.categorize(h) FROM hostile h;
SELECT categorize.categorize(h) FROM hostile h;
SELECT breaker_state, breaker_failures FROM categorize.stats;
SELECT categorize.categorize(h) FROM hostile h;
SELECT breaker_state, breaker_failures, breaker_trips, breaker_opened_at IS NOT NULL AS opened
  FROM categorize.stats;

-- open: a good call is short-circuited, explain answers nothing
SELECT categorize.categorize('Starbucks') AS short_circuited;
SELECT count(*) FROM categorize.explain('Starbucks');
SELECT calls, timeouts, short_circuited FROM categorize.stats;
SELECT metric, status FROM categorize.health() WHERE metric = 'breaker_state';

-- open: inserts through the trigger succeed, the category stays NULL
CREATE TABLE breaker_expenses (description text, category_id bigint);
CREATE TRIGGER categorize_expense BEFORE INSERT ON breaker_expenses
    FOR EACH ROW EXECUTE FUNCTION categorize.trigger('category_id');
INSERT INTO breaker_expenses (description) VALUES ('Starbucks'), ('Starbucks 2');
SELECT description, category_id FROM breaker_expenses ORDER BY 1;

-- after the reset timeout it is half-open; a failing probe opens it again
SELECT pg_sleep(1.2);
SELECT breaker_state FROM categorize.stats;
SELECT metric, status FROM categorize.health() WHERE metric = 'breaker_state';
SELECT categorize.categorize(h) AS failing_probe FROM hostile h;
SELECT breaker_state, breaker_trips FROM categorize.stats;
SELECT categorize.categorize('Starbucks') AS still_open;

-- a good probe closes it
SELECT pg_sleep(1.2);
SELECT categorize.categorize('Starbucks') AS good_probe;
SELECT breaker_state, breaker_failures FROM categorize.stats;
INSERT INTO breaker_expenses (description) VALUES ('Starbucks 3');
SELECT description, category_id FROM breaker_expenses ORDER BY 1;

-- breaker_reset closes an open breaker and says what it was
SELECT categorize.categorize(h) FROM hostile h, generate_series(1, 3);
SELECT breaker_state FROM categorize.stats;
SELECT categorize.breaker_reset();
SELECT breaker_state, breaker_failures FROM categorize.stats;
SELECT categorize.categorize('Starbucks') AS after_reset;

-- a budget of 0 turns it off (the hostile regex is then only stopped by a cancel)
SET categorize.time_budget = 0;
SET statement_timeout = '100ms';
SELECT categorize.categorize(h) FROM hostile h;
RESET statement_timeout;
-- a statement_timeout shorter than the budget is never swallowed
SET categorize.time_budget = '5s';
SET statement_timeout = '100ms';
SELECT categorize.categorize(h) FROM hostile h;
RESET statement_timeout;
SELECT breaker_state FROM categorize.stats;

RESET categorize.time_budget;
RESET categorize.breaker_failure_threshold;
RESET categorize.breaker_reset_timeout;
SELECT categorize.breaker_reset();
DROP TABLE breaker_expenses;
TRUNCATE categorize.categories CASCADE;
