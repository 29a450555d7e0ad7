-- categorize install script: self-tests used by the test suite.

CREATE FUNCTION categorize._fuzz_engine(seed bigint, iterations int)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_fuzz_engine'
    LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION categorize._fuzz_engine(bigint, int) FROM PUBLIC;

COMMENT ON FUNCTION categorize._fuzz_engine(bigint, int) IS
    'Seeded random test of the normalizer, trigram extraction and automaton with hostile bytes; errors on a violated invariant.';

CREATE FUNCTION categorize._fuzz_regex(seed bigint, iterations int)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_fuzz_regex'
    LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION categorize._fuzz_regex(bigint, int) FROM PUBLIC;

COMMENT ON FUNCTION categorize._fuzz_regex(bigint, int) IS
    'Seeded random patterns and texts: wherever the regex DFA answers, it must agree with PostgreSQL''s regex engine; errors on a disagreement.';
