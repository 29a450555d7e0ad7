-- Benchmark data for test/bench/run: a deterministic expense table and
-- pattern sets of any size with a realistic mix of kinds.
--
-- Merchant names are made of syllables ("Korvani Delu Market"), so there
-- are millions of distinct, pronounceable names and pattern set N is a
-- prefix of pattern set N' > N.  Expense rows mention merchants 0..999
-- (the busiest ones) and unknown merchants, in card-statement style.

CREATE EXTENSION IF NOT EXISTS categorize;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.syl(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY['ka','lo','mi','ra','ve','to','su','ne','dor','bel','xan','qui',
                  'pra','sto','len','mar','tin','gal','fo','ri','zu','hal','ben','cor',
                  'dal','fen','gor','hin','jas','kel','lum','nor'])[(i % 32) + 1]
$$;

-- A pronounceable word of two or three syllables (English-like onsets,
-- vowels and codas) drawn from the hash of (i, salt).
CREATE OR REPLACE FUNCTION bench.word(i bigint, salt int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(
        (ARRAY['b','bl','br','c','ch','cl','cr','d','dr','f','fl','fr','g','gl','gr','h','j','k',
               'kn','l','m','n','p','ph','pl','pr','qu','r','s','sc','sh','sk','sl','sm','sn',
               'sp','st','str','t','th','tr','v','w','wh','wr','x','y','z'])[1 + get_byte(h, 3 * k) % 48]
        || (ARRAY['a','e','i','o','u','y','ai','au','ea','ee','ei','ie','oa','oo','ou','a','e','o',
                  'i','u'])[1 + get_byte(h, 3 * k + 1) % 20]
        || (ARRAY['','','','','b','ck','d','ff','g','k','l','ll','m','n','nd','ng','nk','nt','p',
                  'r','rd','rk','rn','rt','s','sh','ss','st','t','th','x','z'])[1 + get_byte(h, 3 * k + 2) % 32],
        '' ORDER BY k)
    FROM (SELECT decode(md5(i::text || '/' || salt), 'hex') AS h) x,
         generate_series(0, get_byte(h, 15) % 2) k
$$;

-- Merchant name number i: a brand word, often a second word, and a trade.
CREATE OR REPLACE FUNCTION bench.merchant(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT initcap(bench.word(i, 1))
        || CASE WHEN i % 3 <> 0 THEN ' ' || initcap(bench.word(i, 2)) ELSE '' END
        || ' ' || (ARRAY['Market','Cafe','Pharmacy','Garage','Books','Bistro','Hardware',
                         'Cinema','Bakery','Outlet','Fitness','Travel','Electric',
                         'Pizzeria','Clinic','Florist'])[(i % 16) + 1]
$$;

-- A keyword (one or two words) number i.
CREATE OR REPLACE FUNCTION bench.keyword(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT bench.syl(i + 5) || bench.syl(i / 32 + 11) || bench.syl(i / 1024 + 3)
        || CASE WHEN i % 3 = 0 THEN ' ' || bench.syl(i / 7) || 'ment' ELSE '' END
$$;

-- A description phrase number i.
CREATE OR REPLACE FUNCTION bench.phrase(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY['monthly fee','direct debit','standing order','subscription',
                  'annual plan','refund for','top up','invoice'])[(i % 8) + 1]
        || ' ' || bench.syl(i / 8) || bench.syl(i / 256 + 9) || bench.syl(i / 8192 + 1)
$$;

-- Replace the pattern set with n patterns over 40 categories:
-- 60% merchant, 24% keyword, 12% description, 3% boosters
-- (amount_range, time) and regexes: 1% of the set, at most 10 (every
-- regex runs on every row, so real sets keep few of them).
--
-- With fixed_extras, the set always holds the same 10 regexes and 30
-- boosters and only the literal patterns grow with n: that isolates how
-- the cost grows with the number of literal patterns.
CREATE OR REPLACE FUNCTION bench.load_patterns(n int, fixed_extras boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    nregex int := CASE WHEN fixed_extras THEN 10 ELSE greatest(1, least(n / 100, 10)) END;
    nboost int := CASE WHEN fixed_extras THEN 30 ELSE n * 3 / 100 END;
    nlit   int := n - nregex - nboost;
BEGIN
    ALTER TABLE categorize.patterns DISABLE TRIGGER USER;
    TRUNCATE categorize.categories, categorize.patterns RESTART IDENTITY CASCADE;
    INSERT INTO categorize.categories (id, name)
        SELECT c, 'Category ' || c FROM generate_series(1, 40) c;
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT 1 + (i % 40),
               CASE WHEN i % 25 < 15 THEN 'merchant'
                    WHEN i % 25 < 21 THEN 'keyword'
                    ELSE 'description' END,
               CASE WHEN i % 25 < 15 THEN bench.merchant(i)
                    WHEN i % 25 < 21 THEN bench.keyword(i)
                    ELSE bench.phrase(i) END,
               CASE WHEN i % 25 < 15 THEN 3.0 ELSE 1.0 + (i % 3) END
        FROM generate_series(0, nlit - 1) i;
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT 1 + (i % 40), 'regex',
               (ARRAY['^atm withdrawal [0-9]+', 'ref[0-9]{6}', 'uber\s*(eats|trip)',
                      'parking (lot|meter)', 'amzn mktp', 'tfl\.gov', '^sq \*',
                      'paypal \*[a-z]+', 'google \*', 'apple\.com/bill'])[(i % 10) + 1],
               2.0
        FROM generate_series(0, nregex - 1) i;
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT 1 + (i % 40),
               CASE WHEN i % 2 = 0 THEN 'amount_range' ELSE 'time' END,
               CASE WHEN i % 2 = 0 THEN (i % 50) || '.00-' || (i % 50 + 20) || '.00'
                    ELSE (ARRAY['morning','afternoon','evening','night','weekday','weekend'])[(i / 2 % 6) + 1] END,
               1.0
        FROM generate_series(0, nboost - 1) i;
    ALTER TABLE categorize.patterns ENABLE TRIGGER USER;
    -- one statement with the triggers on, so every backend rebuilds
    UPDATE categorize.categories SET color = NULL WHERE id = 1;
END
$$;

-- Add k literal patterns of the usual mix of kinds that no expense row
-- mentions: words marked with 'qz', which no row contains, in merchant
-- names that no row's merchant comes near for a fuzzy search.  After
-- load_patterns(n) the index grows by k patterns and every answer stays
-- the same: what a row costs then depends on the number of literal
-- patterns alone, not on more rows being matched.
CREATE OR REPLACE FUNCTION bench.add_unmatched_literals(k int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE categorize.patterns DISABLE TRIGGER USER;
    INSERT INTO categorize.patterns (category_id, kind, value, weight)
        SELECT 1 + (i % 40),
               CASE WHEN i % 25 < 15 THEN 'merchant'
                    WHEN i % 25 < 21 THEN 'keyword'
                    ELSE 'description' END,
               CASE WHEN i % 25 < 15 THEN 'Qz' || bench.word(i, 7) || ' Qz' || bench.word(i, 8) || ' Qzdepot'
                    WHEN i % 25 < 21 THEN 'qz' || bench.word(i, 9)
                    ELSE 'qz ' || bench.word(i, 10) || ' fee' END,
               CASE WHEN i % 25 < 15 THEN 3.0 ELSE 1.0 + (i % 3) END
        FROM generate_series(1000000, 1000000 + k - 1) i;
    ALTER TABLE categorize.patterns ENABLE TRIGGER USER;
    UPDATE categorize.categories SET name = name WHERE id = 1;
END
$$;

-- Merchant names 0 .. 99999, computed once.
DROP TABLE IF EXISTS bench.merchants;
CREATE TABLE bench.merchants AS
    SELECT i, bench.merchant(i) AS name FROM generate_series(0, 99999) i;
CREATE UNIQUE INDEX IF NOT EXISTS merchants_i ON bench.merchants (i);
ANALYZE bench.merchants;

-- The expense table: description (card-statement styles, several
-- languages), merchant_name (about half the rows), amount,
-- transaction_date, category_id.
CREATE OR REPLACE FUNCTION bench.make_expenses(tbl text, nrows int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %I', tbl);
    EXECUTE format('CREATE TABLE %I (id bigint, description text, merchant_name text,
                    amount numeric(10,2), transaction_date timestamptz, category_id bigint)
                    WITH (autovacuum_enabled = off)', tbl);
    EXECUTE format($q$INSERT INTO %I
        SELECT g.i,
            CASE g.i %% 10
                WHEN 0 THEN 'POS PURCHASE ' || upper(m0.name) || ' #' || (g.i %% 9973)
                WHEN 1 THEN 'CARD ' || (1000 + g.i %% 9000) || ' ' || m1.name || ' ' ||
                            (ARRAY['London','Paris','Madrid','Berlin','Lisboa','Zürich'])[(g.i %% 6) + 1]
                WHEN 2 THEN 'Direct debit ' || bench.phrase((g.i * 13) %% 1000) || ' ref' || (100000 + g.i %% 900000)
                WHEN 3 THEN 'Pago en ' || m3.name || ' - compra nº ' || (g.i %% 997)
                WHEN 4 THEN 'ATM withdrawal ' || (g.i %% 500) || ' ' || bench.keyword((g.i * 3) %% 400)
                WHEN 5 THEN upper(bench.keyword((g.i * 11) %% 400)) || ' SERVICES LTD ' || (g.i %% 89)
                WHEN 6 THEN 'Transfer to savings ' || (g.i %% 1000)
                WHEN 7 THEN 'Uber Trip ' || (g.i %% 10000) || ' help.uber.com'
                WHEN 8 THEN 'Café ' || m8.name || ' crème brûlée'
                ELSE 'Unknown vendor ' || md5(g.i::text)::varchar(12)
            END,
            CASE WHEN g.i %% 10 IN (0, 1, 3, 5, 8) THEN m0.name END,
            ((g.i * 37) %% 20000) / 100.0 - 20,
            timestamptz '2024-01-01' + (g.i %% 525600) * interval '1 minute',
            NULL
        FROM generate_series(1::bigint, %s) g(i)
        JOIN bench.merchants m0 ON m0.i = (g.i * 7919) %% 1000
        JOIN bench.merchants m1 ON m1.i = (g.i * 31) %% 1000
        JOIN bench.merchants m3 ON m3.i = (g.i * 17) %% 5000
        JOIN bench.merchants m8 ON m8.i = (g.i * 101) %% 100000
        ORDER BY g.i$q$, tbl, nrows);
END
$$;

-- Median wall time in ms of running sql up to `runs` times in this
-- backend, after a warm-up statement; stops early (after at least one run)
-- once budget_s seconds have gone by, to keep the suite bounded.
CREATE OR REPLACE FUNCTION bench.time_query(sql text, runs int,
    warmup text DEFAULT 'SELECT categorize.categorize(''warm up'')', budget_s float8 DEFAULT 60,
    OUT median_ms float8, OUT runs_done int)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    start timestamptz := clock_timestamp();
    times float8[] := '{}';
BEGIN
    EXECUTE warmup;
    FOR r IN 1 .. runs LOOP
        t0 := clock_timestamp();
        EXECUTE sql;
        times := times || extract(epoch FROM clock_timestamp() - t0) * 1000;
        EXIT WHEN extract(epoch FROM clock_timestamp() - start) > budget_s;
    END LOOP;
    median_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
    runs_done := cardinality(times);
END
$$;

-- Index build: median build_ms over `runs` forced rebuilds, the index's
-- memory and the whole backend's memory after the last build.  A change
-- of a category's name forces one (weights alone would be refreshed in
-- place).
CREATE OR REPLACE FUNCTION bench.index_build(runs int,
    OUT build_ms float8, OUT index_bytes bigint, OUT backend_bytes bigint)
LANGUAGE plpgsql AS $$
DECLARE
    times float8[] := '{}';
BEGIN
    PERFORM categorize.index_info();
    FOR r IN 1 .. runs LOOP
        UPDATE categorize.categories
           SET name = CASE WHEN r % 2 = 1 THEN name || '.' ELSE left(name, -1) END
         WHERE id = 1;
        times := times || (SELECT i.build_ms FROM categorize.index_info() i);
    END LOOP;
    build_ms := (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
    index_bytes := (SELECT i.memory_bytes FROM categorize.index_info() i);
    backend_bytes := (SELECT sum(total_bytes) FROM pg_backend_memory_contexts);
END
$$;

-- Time from a pattern change's commit until another, warm session answers
-- with it: median over `runs` changes, in ms.  Uses two dblink sessions
-- (one changes and commits, the other categorizes).  The change is a new
-- pattern (the reader builds a new index), or with weights_only a new
-- weight of an existing one, as learn() makes them (the reader refreshes
-- its index in place).
CREATE OR REPLACE FUNCTION bench.change_visibility(connstr text, runs int,
    weights_only boolean DEFAULT false) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    got bigint;
    times float8[] := '{}';
    probe text := 'Zyxwvut Weight Probe';
    first_id bigint;
    change text;
    answer_before bigint;
    answer_after bigint;
BEGIN
    PERFORM dblink_connect('bench_reader', connstr);
    PERFORM dblink_connect('bench_writer', connstr);
    IF weights_only THEN
        -- two patterns for one probe; the first one's weight decides
        SELECT id INTO first_id FROM dblink('bench_writer', format(
            'INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES (1, ''merchant'', %L, 3.0), (2, ''merchant'', %L, 2.0) RETURNING id',
            probe, probe)) AS t(id bigint) ORDER BY id LIMIT 1;
    END IF;
    FOR r IN 1 .. runs LOOP
        IF weights_only THEN
            change := format('UPDATE categorize.patterns SET weight = %s WHERE id = %s',
                             CASE WHEN r % 2 = 1 THEN '1.0' ELSE '3.0' END, first_id);
            answer_before := 2 - r % 2;
            answer_after := 1 + r % 2;
        ELSE
            probe := 'Zyxwvut Probe ' || r;
            change := format('INSERT INTO categorize.patterns (category_id, kind, value, weight) VALUES (%s, ''merchant'', %L, 5.0)',
                             1 + r % 40, probe);
            answer_before := NULL;
            answer_after := 1 + r % 40;
        END IF;
        -- warm reader: index current, the answer before the change
        SELECT c INTO got FROM dblink('bench_reader',
            format('SELECT categorize.categorize(%L, %L)', probe, probe)) AS t(c bigint);
        IF got IS DISTINCT FROM answer_before THEN
            RAISE EXCEPTION 'reader answered % before "%", expected %', got, change, answer_before;
        END IF;
        PERFORM dblink_exec('bench_writer', change);
        t0 := clock_timestamp();
        SELECT c INTO got FROM dblink('bench_reader',
            format('SELECT categorize.categorize(%L, %L)', probe, probe)) AS t(c bigint);
        times := times || extract(epoch FROM clock_timestamp() - t0) * 1000;
        IF got IS DISTINCT FROM answer_after THEN
            RAISE EXCEPTION 'reader answered % after "%", expected %', got, change, answer_after;
        END IF;
        IF NOT weights_only THEN
            PERFORM dblink_exec('bench_writer', format(
                'DELETE FROM categorize.patterns WHERE value = %L', probe));
        END IF;
    END LOOP;
    IF weights_only THEN
        PERFORM dblink_exec('bench_writer', format(
            'DELETE FROM categorize.patterns WHERE value = %L', probe));
    END IF;
    PERFORM dblink_disconnect('bench_reader');
    PERFORM dblink_disconnect('bench_writer');
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
END
$$;

-- What users write today: the best literal pattern by ILIKE, in SQL.
CREATE OR REPLACE FUNCTION bench.sql_baseline_query(sample int) RETURNS text
LANGUAGE sql AS $$
    SELECT format($q$SELECT count(m.category_id) FROM (SELECT * FROM expenses LIMIT %s) e
        LEFT JOIN LATERAL (SELECT p.category_id FROM categorize.patterns p
                           WHERE p.kind IN ('merchant', 'keyword', 'description')
                             AND (e.description ILIKE '%%' || p.value || '%%'
                                  OR e.merchant_name ILIKE '%%' || p.value || '%%')
                           ORDER BY p.weight DESC, p.id LIMIT 1) m ON true$q$, sample)
$$;

-- Median ms of loading a table with `stmt` (COPY or INSERT), emptied
-- before every run.
CREATE OR REPLACE FUNCTION bench.time_load(tbl text, stmt text, runs int) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    times float8[] := '{}';
BEGIN
    FOR r IN 1 .. runs LOOP
        EXECUTE format('TRUNCATE %I', tbl);
        t0 := clock_timestamp();
        EXECUTE stmt;
        times := times || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
END
$$;
