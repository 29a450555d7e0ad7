-- categorize install script: schema (categories, patterns) and their triggers.
-- Assembled with the other src/sql/*.sql files, in name order, into
-- sql/categorize--1.0.sql by the Makefile.

\echo Use "CREATE EXTENSION categorize" to load this file. \quit

-- Role that may change patterns, reset statistics and the circuit breaker.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'categorize_admin') THEN
        CREATE ROLE categorize_admin NOLOGIN;
    END IF;
END
$$;

CREATE SEQUENCE categorize.categories_id_seq;
CREATE SEQUENCE categorize.patterns_id_seq;

CREATE TABLE categorize.categories (
    id          bigint PRIMARY KEY DEFAULT nextval('categorize.categories_id_seq'),
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    parent_id   bigint REFERENCES categorize.categories (id) ON DELETE SET NULL,
    description text,
    color       text,
    active      boolean NOT NULL DEFAULT true,
    user_id     text,               -- NULL: shared by every user
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
ALTER SEQUENCE categorize.categories_id_seq OWNED BY categorize.categories.id;

COMMENT ON TABLE categorize.categories IS
    'Spending categories; parent_id allows one level of subcategories.';

CREATE TABLE categorize.patterns (
    id            bigint PRIMARY KEY DEFAULT nextval('categorize.patterns_id_seq'),
    category_id   bigint NOT NULL REFERENCES categorize.categories (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    value         text NOT NULL,
    weight        real NOT NULL DEFAULT 1.0,
    active        boolean NOT NULL DEFAULT true,
    usage_count   bigint NOT NULL DEFAULT 0,
    success_count bigint NOT NULL DEFAULT 0,
    user_created  boolean NOT NULL DEFAULT false,
    user_id       text,             -- NULL: shared by every user
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT patterns_weight_range CHECK (weight >= 0.1 AND weight <= 5.0),
    CONSTRAINT patterns_counts_valid CHECK (usage_count >= 0 AND success_count >= 0
                                            AND success_count <= usage_count)
);
ALTER SEQUENCE categorize.patterns_id_seq OWNED BY categorize.patterns.id;

CREATE INDEX patterns_category_id_idx ON categorize.patterns (category_id);

COMMENT ON TABLE categorize.patterns IS
    'Patterns compiled into the category index; kinds: merchant, keyword, description, regex, amount_range, time.';

-- Row validation: a clear error naming the pattern for anything that would
-- not compile into the index.
CREATE FUNCTION categorize._validate_pattern() RETURNS trigger
    AS 'MODULE_PATHNAME', 'categorize_validate_pattern'
    LANGUAGE C;

CREATE TRIGGER patterns_validate
    BEFORE INSERT OR UPDATE ON categorize.patterns
    FOR EACH ROW EXECUTE FUNCTION categorize._validate_pattern();

-- One level of subcategories: a parent may not itself have a parent, and a
-- category with children may not become a child.
CREATE FUNCTION categorize._validate_category() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM categorize.categories c
                    WHERE c.id = NEW.parent_id AND c.parent_id IS NOT NULL) THEN
            RAISE EXCEPTION 'category "%" cannot have parent %: that category is itself a subcategory',
                NEW.name, NEW.parent_id
                USING ERRCODE = 'check_violation',
                      HINT = 'Categories allow one level of subcategories.';
        END IF;
        IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM categorize.categories c
                                         WHERE c.parent_id = NEW.id) THEN
            RAISE EXCEPTION 'category "%" has subcategories and cannot become a subcategory', NEW.name
                USING ERRCODE = 'check_violation',
                      HINT = 'Categories allow one level of subcategories.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER categories_validate
    BEFORE INSERT OR UPDATE ON categorize.categories
    FOR EACH ROW EXECUTE FUNCTION categorize._validate_category();

-- Any change to either table invalidates every backend's compiled index,
-- transactionally (a relcache invalidation: own transaction at once, others
-- at commit, nothing on rollback).  The invalidation is sent for this empty
-- view, which nothing else touches: the tables' own relcache invalidations
-- also come from VACUUM, ANALYZE and DDL, and would rebuild every index.
CREATE VIEW categorize._pattern_signal AS SELECT;
REVOKE ALL ON categorize._pattern_signal FROM PUBLIC;
COMMENT ON VIEW categorize._pattern_signal IS
    'Holds nothing: its relcache invalidations tell every backend that patterns or categories changed.';

CREATE FUNCTION categorize._patterns_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'categorize_patterns_changed'
    LANGUAGE C;

CREATE TRIGGER patterns_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categorize.patterns
    FOR EACH STATEMENT EXECUTE FUNCTION categorize._patterns_changed();
CREATE TRIGGER categories_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categorize.categories
    FOR EACH STATEMENT EXECUTE FUNCTION categorize._patterns_changed();

-- User data: survives pg_dump / restore.
SELECT pg_catalog.pg_extension_config_dump('categorize.categories', '');
SELECT pg_catalog.pg_extension_config_dump('categorize.patterns', '');
SELECT pg_catalog.pg_extension_config_dump('categorize.categories_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('categorize.patterns_id_seq', '');

-- Privileges: everybody may read the taxonomy; categorize_admin may change it.
GRANT USAGE ON SCHEMA categorize TO PUBLIC;
GRANT SELECT ON categorize.categories, categorize.patterns TO PUBLIC;
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON categorize.categories, categorize.patterns
    TO categorize_admin;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE categorize.categories_id_seq,
    categorize.patterns_id_seq TO categorize_admin;
