-- A C function returning rows checks the row type its SQL declares: a
-- library and SQL objects of different versions get 55000 and a hint,
-- never a crash.  Each function below binds a real symbol of the library
-- to a definition of another shape, as an old or new install script would.
CREATE SCHEMA shape_test;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee');
INSERT INTO categorize.patterns (id, category_id, kind, value) VALUES (1, 1, 'merchant', 'Starbucks');
\set VERBOSITY default

-- one column short (the shape a 1.0 schema gave stats before index_refreshes)
CREATE FUNCTION shape_test.stats(OUT calls bigint, OUT categorized bigint)
    AS '$libdir/categorize', 'categorize_stats' LANGUAGE C;
SELECT * FROM shape_test.stats();

-- right count, a text column where the library puts a float
CREATE FUNCTION shape_test.health(OUT metric text, OUT value text,
                                  OUT status text, OUT detail text)
    RETURNS SETOF record
    AS '$libdir/categorize', 'categorize_health' LANGUAGE C;
SELECT * FROM shape_test.health();

-- explain over a row, a column too many
CREATE FUNCTION shape_test.explain(description text, merchant_name text,
                                   amount numeric, transaction_date timestamptz,
                                   OUT rank int, OUT category_id bigint,
                                   OUT category text, OUT confidence float8,
                                   OUT pattern_ids bigint[], OUT method text,
                                   OUT extra text)
    RETURNS SETOF record
    AS '$libdir/categorize', 'categorize_explain_text' LANGUAGE C;
SELECT * FROM shape_test.explain('Starbucks', NULL, NULL, NULL);

-- the index's own description, with its first column as bigint
CREATE FUNCTION shape_test.index_info(OUT patterns_loaded bigint, OUT literal_keys int,
                                      OUT automaton_states int, OUT regexes int,
                                      OUT fuzzy_merchants int, OUT boosters int,
                                      OUT build_ms float8, OUT memory_bytes bigint,
                                      OUT regexes_on_dfa int, OUT regex_dfa_states int,
                                      OUT word_index_keys int, OUT refreshes int,
                                      OUT refresh_ms float8, OUT delta_patterns int)
    AS '$libdir/categorize', 'categorize_index_info' LANGUAGE C;
SELECT * FROM shape_test.index_info();

-- the per-backend cache listing and the batch queue, no columns in common
CREATE FUNCTION shape_test.index_cache(OUT pid int, OUT generation text)
    RETURNS SETOF record
    AS '$libdir/categorize', 'categorize_index_cache' LANGUAGE C;
SELECT * FROM shape_test.index_cache();
CREATE FUNCTION shape_test.batch_queue(OUT queued_chunks bigint, OUT capacity int)
    AS '$libdir/categorize', 'categorize_batch_queue' LANGUAGE C;
SELECT * FROM shape_test.batch_queue();

-- the session is fine afterwards: the real definitions answer
SELECT count(*) > 0 AS health_rows FROM categorize.health();
SELECT count(*) AS stats_rows FROM categorize.stats;
SELECT category FROM categorize.explain('Starbucks') WHERE rank = 1;

\set VERBOSITY terse
DROP SCHEMA shape_test CASCADE;
TRUNCATE categorize.categories CASCADE;
