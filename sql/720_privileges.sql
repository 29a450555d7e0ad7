-- Privileges: ordinary roles categorize; only categorize_admin changes the
-- taxonomy; the index build cannot be steered through search_path; every
-- object belongs to the extension.
TRUNCATE categorize.categories CASCADE;
INSERT INTO categorize.categories (id, name) VALUES (1, 'Coffee');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight)
    VALUES (1, 1, 'merchant', 'Starbucks', 3);

CREATE ROLE cz_alice;
CREATE ROLE cz_bob IN ROLE categorize_admin;

SET ROLE cz_alice;
SELECT categorize.categorize('x', 'Starbucks') AS alice_categorizes;
SELECT count(*) AS alice_reads_taxonomy FROM categorize.patterns;
INSERT INTO categorize.patterns (category_id, kind, value) VALUES (1, 'keyword', 'latte');
UPDATE categorize.patterns SET weight = 5;
DELETE FROM categorize.categories;
SELECT categorize._fuzz_engine(1, 1);
RESET ROLE;

SET ROLE cz_bob;
INSERT INTO categorize.categories (id, name) VALUES (2, 'Tea');
INSERT INTO categorize.patterns (id, category_id, kind, value, weight) VALUES (2, 2, 'keyword', 'chai', 3);
SELECT categorize.categorize('chai') AS bob_changed_patterns;
RESET ROLE;

-- a hostile search_path does not reach into the index build, which runs as
-- the pattern tables' owner with search_path = pg_catalog
CREATE SCHEMA cz_evil AUTHORIZATION cz_alice;
SET ROLE cz_alice;
CREATE FUNCTION cz_evil.trap(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'search_path hijacked'; END $$;
CREATE OPERATOR cz_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = cz_evil.trap);
CREATE OPERATOR cz_evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = cz_evil.trap);
CREATE TABLE cz_evil.patterns (id bigint);
SET search_path = cz_evil, pg_catalog;
RESET ROLE;
UPDATE categorize.patterns SET weight = 4 WHERE id = 1;	-- forces a rebuild
SET ROLE cz_alice;
SET search_path = cz_evil, pg_catalog;
SELECT categorize.categorize('x', 'Starbucks') AS rebuilt_under_hostile_search_path;
RESET ROLE;
RESET search_path;

-- every object in the schema belongs to the extension
SELECT count(*) AS functions_outside_extension
  FROM pg_proc p
 WHERE p.pronamespace = 'categorize'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e');
SELECT count(*) AS relations_outside_extension
  FROM pg_class c
 WHERE c.relnamespace = 'categorize'::regnamespace AND c.relkind IN ('r', 'v', 'S', 'm')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e');
-- functions in SQL or PL/pgSQL pin their search_path
SELECT p.oid::regprocedure AS function_without_fixed_search_path
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'categorize'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;
-- SECURITY DEFINER only where justified (listed here on purpose)
SELECT p.oid::regprocedure AS security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'categorize'::regnamespace AND p.prosecdef
 ORDER BY 1;

DROP SCHEMA cz_evil CASCADE;
DROP ROLE cz_alice;
DROP ROLE cz_bob;
TRUNCATE categorize.categories CASCADE;
