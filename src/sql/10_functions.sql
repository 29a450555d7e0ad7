-- categorize install script: categorization functions and the row trigger.

CREATE FUNCTION categorize.categorize(expense anyelement)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_row'
    LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION categorize.categorize(anyelement) IS
    'Category id for an expense row (columns read by name), or NULL below categorize.min_confidence.';

CREATE FUNCTION categorize.categorize(description text,
                                      merchant_name text DEFAULT NULL,
                                      amount numeric DEFAULT NULL,
                                      transaction_date timestamptz DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'categorize_text'
    LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION categorize.categorize(text, text, numeric, timestamptz) IS
    'Category id for an expense given field by field, or NULL below categorize.min_confidence.';

CREATE FUNCTION categorize.explain(expense anyelement,
                                   OUT rank int,
                                   OUT category_id bigint,
                                   OUT category text,
                                   OUT confidence float8,
                                   OUT pattern_ids bigint[],
                                   OUT method text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'categorize_explain_row'
    LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 5;

COMMENT ON FUNCTION categorize.explain(anyelement) IS
    'Every category with a text match for an expense row, best first: why this category, and what lost.';

CREATE FUNCTION categorize.explain(description text,
                                   merchant_name text DEFAULT NULL,
                                   amount numeric DEFAULT NULL,
                                   transaction_date timestamptz DEFAULT NULL,
                                   OUT rank int,
                                   OUT category_id bigint,
                                   OUT category text,
                                   OUT confidence float8,
                                   OUT pattern_ids bigint[],
                                   OUT method text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'categorize_explain_text'
    LANGUAGE C STABLE PARALLEL SAFE ROWS 5;

CREATE FUNCTION categorize.normalize(input text)
    RETURNS text
    AS 'MODULE_PATHNAME', 'categorize_normalize'
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION categorize.normalize(text) IS
    'The text as the matcher sees it: case and accents folded, punctuation to spaces, spaces squeezed.';

CREATE FUNCTION categorize.trigger()
    RETURNS trigger
    AS 'MODULE_PATHNAME', 'categorize_trigger'
    LANGUAGE C;

COMMENT ON FUNCTION categorize.trigger() IS
    'BEFORE INSERT OR UPDATE row trigger: categorize.trigger(''category_column'' [, ''confidence_column'']).';

-- Information about this backend's compiled index (builds it if needed).
CREATE FUNCTION categorize.index_info(OUT patterns_loaded int,
                                      OUT literal_keys int,
                                      OUT automaton_states int,
                                      OUT regexes int,
                                      OUT fuzzy_merchants int,
                                      OUT boosters int,
                                      OUT build_ms float8,
                                      OUT memory_bytes bigint,
                                      OUT regexes_on_dfa int,
                                      OUT regex_dfa_states int,
                                      OUT word_index_keys int,
                                      OUT refreshes int,
                                      OUT refresh_ms float8,
                                      OUT delta_patterns int)
    AS 'MODULE_PATHNAME', 'categorize_index_info'
    LANGUAGE C STABLE PARALLEL SAFE;
