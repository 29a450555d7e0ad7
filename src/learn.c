/*-------------------------------------------------------------------------
 *
 * learn.c
 *	  categorize.learn(expense, category_id): learning from a user's
 *	  correction.
 *
 *	  One call:
 *	    1. matches the expense as categorize() would (every candidate, not
 *	       only the best few) to know the prediction and which patterns
 *	       pointed where;
 *	    2. records the correction in categorize.feedback;
 *	    3. with categorize.learning on:
 *	       - the correct category's matching patterns are strengthened
 *	         (usage and success +1, weight +STRENGTHEN_STEP up to 5.0);
 *	       - when a wrong category won, its matching patterns are weakened
 *	         (usage +1, weight -WEAKEN_STEP down to 0.1); a pattern not
 *	         created by a user with >= 20 uses and < 30% success is
 *	         deactivated;
 *	       - when the correct category would still not win on its own
 *	         patterns (in particular when none of them matched), a merchant
 *	         pattern is created from the normalized merchant name, or with
 *	         no merchant name from the distinctive words of the description,
 *	         with the smallest weight (at least 3) that makes it win the
 *	         next time;
 *	       - on a correction (the prediction was wrong or NULL), each
 *	         distinctive word that has now been corrected to the same
 *	         category in >= 3 different expenses, and rarely to any other,
 *	         becomes a keyword pattern;
 *	       - each learned pattern is linked to the corrections it came from
 *	         (categorize.learned_from).
 *
 *	  Scope: an expense with a user_id column only changes and creates
 *	  that user's patterns (shared patterns are left as they are, so one
 *	  user's corrections never change another's results); one without
 *	  changes and creates shared patterns.
 *
 *	  "Distinctive words" are the normalized words that are not bank
 *	  boilerplate (POS, PURCHASE, CHECKCARD, processor prefixes such as
 *	  SQ, TST, PAYPAL), not numbers or anything with a digit (card
 *	  numbers, dates, store numbers), not masked card digits (runs of X),
 *	  not stop words, and not US state codes; words the feedback log has
 *	  already seen with >= 3 different categories (city names, ambiguous
 *	  merchants) are not distinctive either.  The merchant pattern made
 *	  from a description is its first run of distinctive words (at most
 *	  3), so "SQ *BLUE BOTTLE COFFEE #12 OAKLAND CA" teaches "blue bottle
 *	  coffee".  At most MAX_WORDS distinctive words of an expense are kept
 *	  and counted, however long its text.
 *
 *	  Concurrency: pattern updates are relative (weight = weight + step),
 *	  so concurrent corrections are never lost; a transaction-level
 *	  advisory lock per user scope serializes the check-then-insert of new
 *	  patterns, so two sessions learning the same merchant do not create
 *	  it twice (under READ COMMITTED).  Changes invalidate every backend's
 *	  index through the pattern table's statement trigger: the caller's
 *	  next call sees them at once, others after commit.
 *
 *	  Runs SPI; backend-local otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "categorize.h"
#include "pattern_index.h"

#define STRENGTHEN_STEP			0.2
#define WEAKEN_STEP				0.3
#define MERCHANT_MIN_WEIGHT		3.0
#define MERCHANT_WEIGHT_STEP	0.25
#define KEYWORD_WEIGHT			2.0
#define KEYWORD_MIN_EXPENSES	3
#define COMMON_WORD_CATEGORIES	3
#define DEACTIVATE_MIN_USES		20
#define DEACTIVATE_MAX_RATE		0.3
#define RUN_WORDS_DESCRIPTION	3
#define RUN_WORDS_MERCHANT		4
#define WIN_MARGIN				0.02
#define MAX_WORDS				32	/* distinctive words kept per expense */
#define LEARN_LOCK_CLASS		0x43a71e4e	/* advisory lock key 1 */

/* Strength of a booster (amount_range, time) contribution; see scoring.c */
#define BOOSTER_STRENGTH		0.5
#define WORDS_STRENGTH			0.95

typedef struct LearnHit
{
	int64		pattern_id;
	uint8		kind;
	float		strength;
	double		confidence;		/* the pattern's own, updated by learning */
	bool		in_scope;		/* learning may change it */
} LearnHit;

typedef struct LearnCandidate
{
	int64		category_id;
	double		confidence;
	int			first;			/* into hits */
	int			nhits;
} LearnCandidate;

typedef enum TokenClass
{
	TOK_WORD,					/* distinctive candidate */
	TOK_SHORT,					/* a single letter (JOE S, H M) */
	TOK_STOP,
	TOK_BOILER,
	TOK_NUMBER,
	TOK_STATE
} TokenClass;

typedef struct Token
{
	char	   *word;			/* NUL-terminated copy */
	TokenClass	cls;
	bool		common;			/* seen with many categories */
} Token;

static const char *const boilerplate_words[] = {
	"ach", "apple", "auth", "authorized", "bill", "card", "ccd", "checkcard",
	"chkcard", "com", "credit", "crd", "date", "dbt", "debit", "des", "dd",
	"eft", "fs", "help", "http", "https", "id", "indn", "intl", "international",
	"internet", "mastercard", "mc", "mobile", "net", "nbr", "no", "num", "online",
	"org", "paypal", "pay", "pending", "pmt", "pmts", "pos", "pp", "ppd", "pur",
	"purch", "purchase", "py", "recur", "recurring", "ref", "sp", "sq", "sqc",
	"store", "str", "tst", "txn", "trans", "transaction", "usa", "visa", "web",
	"www", "xfer",
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept",
	"oct", "nov", "dec",
	NULL
};

static const char *const stop_words[] = {
	"a", "an", "and", "at", "by", "co", "corp", "de", "del", "der", "die",
	"el", "en", "et", "for", "from", "inc", "in", "is", "it", "la", "las",
	"le", "les", "llc", "los", "ltd", "my", "of", "on", "or", "our", "the",
	"to", "und", "with", "y", "your",
	NULL
};

static const char *const state_codes[] = {
	"al", "ak", "az", "ar", "ca", "co", "ct", "de", "dc", "fl", "ga", "hi",
	"id", "il", "in", "ia", "ks", "ky", "la", "me", "md", "ma", "mi", "mn",
	"ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh",
	"ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa",
	"wv", "wi", "wy", "pr",
	NULL
};

static bool
in_list(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

static TokenClass
classify(const char *w)
{
	int			len = strlen(w);
	bool		all_x = len >= 2;
	const char *p;

	for (p = w; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
			return TOK_NUMBER;
		if (*p != 'x')
			all_x = false;
	}
	if (all_x)
		return TOK_NUMBER;		/* masked digits */
	if (in_list(w, boilerplate_words))
		return TOK_BOILER;
	if (in_list(w, stop_words))
		return TOK_STOP;
	if (len == 2 && in_list(w, state_codes))
		return TOK_STATE;
	if (len == 1)
		return TOK_SHORT;
	return TOK_WORD;
}

/* Split text into classified tokens (normalized first). */
static Token *
tokenize(const char *text, int len, int *ntokens)
{
	char	   *norm;
	int			nlen;
	Token	   *tokens;
	int			n = 0;
	char	   *p;

	*ntokens = 0;
	if (text == NULL || len == 0)
		return NULL;
	norm = palloc(CZ_NORMALIZED_MAX(len) + 1);
	nlen = cz_normalize(text, len, norm);
	norm[nlen] = '\0';
	tokens = palloc(sizeof(Token) * (nlen / 2 + 1));
	p = norm;
	while (*p)
	{
		char	   *word;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		tokens[n].word = word;
		tokens[n].cls = classify(word);
		tokens[n].common = false;
		n++;
	}
	*ntokens = n;
	return tokens;
}

/* A word worth counting towards a keyword pattern. */
static inline bool
keyword_candidate(Token *t)
{
	return t->cls == TOK_WORD && strlen(t->word) >= 3;
}

/*
 * The first run of distinctive words, at most max_words of them: starts at
 * the first distinctive word, may go on through single letters and stop
 * words (TRADER JOE S, BANK OF AMERICA) and ends at anything else.
 * Returns NULL when there is none.
 */
static char *
distinctive_run(Token *tokens, int n, int max_words)
{
	int			start = -1;
	int			end = -1;		/* last distinctive word */
	int			words = 0;
	int			i;
	StringInfoData buf;

	for (i = 0; i < n; i++)
	{
		Token	   *t = &tokens[i];
		bool		distinctive = (t->cls == TOK_WORD && !t->common);

		if (start < 0)
		{
			if (distinctive)
			{
				start = end = i;
				words = 1;
			}
			continue;
		}
		if (distinctive)
		{
			if (words == max_words)
				break;
			end = i;
			words++;
		}
		else if (t->cls == TOK_SHORT)
			end = i;
		else if (t->cls != TOK_STOP)
			break;
	}
	if (start < 0)
		return NULL;
	initStringInfo(&buf);
	for (i = start; i <= end; i++)
	{
		if (i > start)
			appendStringInfoChar(&buf, ' ');
		appendStringInfoString(&buf, tokens[i].word);
	}
	return buf.data;
}

/* ---------- SPI helpers ---------- */

static int
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
		 int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "categorize.learn: query failed (%s): %s",
			 SPI_result_code_string(rc), sql);
	return rc;
}

static Datum
int8_array(int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, sizeof(int64),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
text_array(char **words, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(words[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
text_or_null(const char *s, int len, char *null)
{
	if (s == NULL)
	{
		*null = 'n';
		return (Datum) 0;
	}
	*null = ' ';
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

/* ---------- learning state ---------- */

typedef struct LearnState
{
	MemoryContext cxt;			/* the call's context: outlives SPI */
	const char *user_id;
	int64		correct;
	int64		feedback_id;

	LearnHit   *hits;
	int			nhits;
	LearnCandidate *cands;
	int			ncands;

	/* ids for the feedback row */
	int64	   *strengthened;
	int			nstrengthened;
	int64	   *weakened;
	int			nweakened;
	int64	   *deactivated;
	int			ndeactivated;
	int64	   *created;
	int			ncreated;
} LearnState;

static void
add_id(LearnState *st, int64 **arr, int *n, int64 id)
{
	if (*arr == NULL)
		*arr = MemoryContextAlloc(st->cxt, sizeof(int64) * (st->nhits + 64));
	(*arr)[(*n)++] = id;
}

static LearnHit *
find_hit(LearnState *st, int64 pattern_id)
{
	int			i;

	for (i = 0; i < st->nhits; i++)
		if (st->hits[i].pattern_id == pattern_id)
			return &st->hits[i];
	return NULL;
}

static double
candidate_confidence(LearnState *st, LearnCandidate *c)
{
	double		keep = 1.0;
	int			i;

	for (i = 0; i < c->nhits; i++)
	{
		LearnHit   *h = &st->hits[c->first + i];

		keep *= 1.0 - h->strength * h->confidence;
	}
	return 1.0 - keep;
}

/*
 * Match the expense and copy what learning needs out of the index (whose
 * scratch the next call reuses, and which our own changes will replace).
 */
static void
match_expense(LearnState *st, CzExpense *e)
{
	bool		rebuilt;
	CzIndex    *ix = cz_index_get(&rebuilt);
	CzResult	result;
	int			i,
				j,
				k = 0;
	int			total = 0;

	cz_match(ix, e, &result, INT_MAX, true);
	for (i = 0; i < result.ncandidates; i++)
		total += result.candidates[i].npatterns;

	st->ncands = result.ncandidates;
	st->cands = palloc(sizeof(LearnCandidate) * Max(st->ncands, 1));
	st->hits = palloc(sizeof(LearnHit) * Max(total, 1));
	for (i = 0; i < result.ncandidates; i++)
	{
		CzCandidate *c = &result.candidates[i];

		st->cands[i].category_id = c->category_id;
		st->cands[i].confidence = c->confidence;
		st->cands[i].first = k;
		st->cands[i].nhits = c->npatterns;
		for (j = 0; j < c->npatterns; j++)
		{
			int32		p = result.pattern_index[c->first_pattern + j];
			CzPattern  *pat = &ix->patterns[p];
			LearnHit   *h = &st->hits[k++];

			h->pattern_id = pat->id;
			h->kind = pat->kind;
			h->strength = (pat->kind == CZ_KIND_AMOUNT_RANGE || pat->kind == CZ_KIND_TIME) ?
				BOOSTER_STRENGTH : ix->pattern_hit[p].strength;
			h->confidence = pat->confidence;
			if (st->user_id == NULL)
				h->in_scope = (pat->user_id == NULL);
			else
				h->in_scope = (pat->user_id != NULL && strcmp(pat->user_id, st->user_id) == 0);
		}
	}
	st->nhits = k;
}

/*
 * Apply an UPDATE ... RETURNING id, weight, usage_count, success_count,
 * active to the hits' confidences; collect the ids.
 */
static void
apply_updates(LearnState *st, int64 **ids, int *nids, bool collect_deactivated)
{
	uint64		r;

	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		float4		weight = DatumGetFloat4(SPI_getbinval(tup, td, 2, &isnull));
		int64		usage = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
		int64		success = DatumGetInt64(SPI_getbinval(tup, td, 4, &isnull));
		bool		active = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull));
		LearnHit   *h = find_hit(st, id);

		if (h)
			h->confidence = active ? cz_pattern_confidence(weight, usage, success) : 0.0;
		add_id(st, ids, nids, id);
		if (collect_deactivated && !active)
			add_id(st, &st->deactivated, &st->ndeactivated, id);
	}
}

/* In-scope pattern ids of one candidate. */
static int
scoped_ids(LearnState *st, LearnCandidate *c, int64 *out)
{
	int			i,
				n = 0;

	for (i = 0; i < c->nhits; i++)
		if (st->hits[c->first + i].in_scope)
			out[n++] = st->hits[c->first + i].pattern_id;
	return n;
}

static void
strengthen(LearnState *st, LearnCandidate *c)
{
	int64	   *ids = palloc(sizeof(int64) * Max(c->nhits, 1));
	int			n = scoped_ids(st, c, ids);
	Oid			types[2] = {INT8ARRAYOID, FLOAT4OID};
	Datum		values[2];

	if (n == 0)
		return;
	values[0] = int8_array(ids, n);
	values[1] = Float4GetDatum((float4) STRENGTHEN_STEP);
	spi_exec("UPDATE categorize.patterns"
			 "   SET usage_count = usage_count + 1, success_count = success_count + 1,"
			 "       weight = least(weight + $2, 5.0::real), last_used_at = now()"
			 " WHERE id = ANY ($1)"
			 " RETURNING id, weight, usage_count, success_count, active",
			 2, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	apply_updates(st, &st->strengthened, &st->nstrengthened, false);
}

static void
weaken(LearnState *st, LearnCandidate *c)
{
	int64	   *ids = palloc(sizeof(int64) * Max(c->nhits, 1));
	int			n = scoped_ids(st, c, ids);
	Oid			types[4] = {INT8ARRAYOID, FLOAT4OID, INT8OID, FLOAT8OID};
	Datum		values[4];

	if (n == 0)
		return;
	values[0] = int8_array(ids, n);
	values[1] = Float4GetDatum((float4) WEAKEN_STEP);
	values[2] = Int64GetDatum(DEACTIVATE_MIN_USES);
	values[3] = Float8GetDatum(DEACTIVATE_MAX_RATE);
	spi_exec("UPDATE categorize.patterns"
			 "   SET usage_count = usage_count + 1,"
			 "       weight = greatest(weight - $2, 0.1::real), last_used_at = now(),"
			 "       active = active AND NOT (NOT user_created AND usage_count + 1 >= $3"
			 "                                AND success_count < $4 * (usage_count + 1))"
			 " WHERE id = ANY ($1)"
			 " RETURNING id, weight, usage_count, success_count, active",
			 4, types, values, NULL, SPI_OK_UPDATE_RETURNING);
	apply_updates(st, &st->weakened, &st->nweakened, true);
}

/*
 * Create (or reactivate) a learned pattern of the correct category in the
 * user's scope; returns its id.  weight is a floor: an existing pattern
 * keeps a higher weight.
 */
static int64
upsert_pattern(LearnState *st, const char *kind, const char *value, double weight)
{
	Oid			types[5] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, FLOAT4OID};
	Datum		values[5];
	char		nulls[5] = "     ";
	bool		isnull;
	int64		id;

	values[0] = Int64GetDatum(st->correct);
	values[1] = CStringGetTextDatum(kind);
	values[2] = CStringGetTextDatum(value);
	values[3] = text_or_null(st->user_id, st->user_id ? strlen(st->user_id) : 0, &nulls[3]);
	values[4] = Float4GetDatum((float4) weight);

	spi_exec("SELECT id FROM categorize.patterns"
			 " WHERE category_id = $1 AND kind = $2 AND value = $3"
			 "   AND user_id IS NOT DISTINCT FROM $4"
			 " ORDER BY active DESC, id LIMIT 1",
			 4, types, values, nulls, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		Oid			utypes[2] = {INT8OID, FLOAT4OID};
		Datum		uvalues[2];

		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		uvalues[0] = Int64GetDatum(id);
		uvalues[1] = values[4];
		spi_exec("UPDATE categorize.patterns"
				 "   SET active = true, weight = greatest(weight, $2), last_used_at = now()"
				 " WHERE id = $1",
				 2, utypes, uvalues, NULL, SPI_OK_UPDATE);
	}
	else
	{
		spi_exec("INSERT INTO categorize.patterns"
				 "  (category_id, kind, value, weight, user_created, user_id, last_used_at)"
				 " VALUES ($1, $2, $3, $5, true, $4, now())"
				 " RETURNING id",
				 5, types, values, nulls, SPI_OK_INSERT_RETURNING);
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	add_id(st, &st->created, &st->ncreated, id);
	return id;
}

static void
link_pattern(int64 pattern_id, Datum feedback_ids)
{
	Oid			types[2] = {INT8OID, INT8ARRAYOID};
	Datum		values[2];

	values[0] = Int64GetDatum(pattern_id);
	values[1] = feedback_ids;
	spi_exec("INSERT INTO categorize.learned_from (pattern_id, feedback_id)"
			 " SELECT $1, f FROM unnest($2) f ON CONFLICT DO NOTHING",
			 2, types, values, NULL, SPI_OK_INSERT);
}

/*
 * Per distinctive word, from the feedback log of this user scope: how many
 * categories it was seen with (marks common words), and for keywords the
 * corrections to the correct category (as feedback ids) and to others.
 */
typedef struct WordStats
{
	char	   *word;
	int			categories;
	int			this_category;	/* different expenses corrected to it */
	int			other;			/* corrections to other categories */
	Datum		feedback_ids;	/* int8[] of the corrections to it */
} WordStats;

static WordStats *
word_stats(LearnState *st, char **words, int nwords)
{
	Oid			types[3] = {TEXTARRAYOID, TEXTOID, INT8OID};
	Datum		values[3];
	char		nulls[3] = "   ";
	WordStats  *ws = palloc0(sizeof(WordStats) * Max(nwords, 1));
	uint64		r;
	int			i;

	for (i = 0; i < nwords; i++)
		ws[i].word = words[i];
	if (nwords == 0)
		return ws;
	values[0] = text_array(words, nwords);
	values[1] = text_or_null(st->user_id, st->user_id ? strlen(st->user_id) : 0, &nulls[1]);
	values[2] = Int64GetDatum(st->correct);
	spi_exec("SELECT w, count(DISTINCT f.correct_category_id)::int4,"
			 "       count(DISTINCT coalesce(f.expense_key, f.id::text))"
			 "             FILTER (WHERE f.corrected AND f.correct_category_id = $3)::int4,"
			 "       count(DISTINCT coalesce(f.expense_key, f.id::text))"
			 "             FILTER (WHERE f.corrected AND f.correct_category_id <> $3)::int4,"
			 "       coalesce(array_agg(f.id ORDER BY f.id)"
			 "             FILTER (WHERE f.corrected AND f.correct_category_id = $3), '{}')"
			 "  FROM categorize.feedback f, unnest(f.words) w"
			 " WHERE f.words && $1 AND w = ANY ($1)"
			 "   AND (f.user_id = $2 OR ($2 IS NULL AND f.user_id IS NULL))"
			 " GROUP BY w",
			 3, types, values, nulls, SPI_OK_SELECT);
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *w = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));

		for (i = 0; i < nwords; i++)
		{
			if (strcmp(ws[i].word, w) != 0)
				continue;
			ws[i].categories = DatumGetInt32(SPI_getbinval(tup, td, 2, &isnull));
			ws[i].this_category = DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull));
			ws[i].other = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
			ws[i].feedback_ids = datumCopy(SPI_getbinval(tup, td, 5, &isnull), false, -1);
			break;
		}
	}
	return ws;
}

static void
mark_common(Token *tokens, int n, WordStats *ws, int nwords)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
		for (j = 0; j < nwords; j++)
			if (strcmp(tokens[i].word, ws[j].word) == 0)
			{
				tokens[i].common = ws[j].categories >= COMMON_WORD_CATEGORIES;
				break;
			}
}

/*
 * The merchant pattern's value: the merchant name's distinctive words (or
 * the whole normalized name when it has none), else the description's.
 * *exact tells whether it equals the normalized merchant name.
 */
static char *
merchant_value(CzExpense *e, Token *mtok, int nm, Token *dtok, int nd, bool *exact)
{
	char	   *v;

	*exact = false;
	if (nm > 0)
	{
		StringInfoData all;
		int			i;

		initStringInfo(&all);
		for (i = 0; i < nm; i++)
		{
			if (i > 0)
				appendStringInfoChar(&all, ' ');
			appendStringInfoString(&all, mtok[i].word);
		}
		v = distinctive_run(mtok, nm, RUN_WORDS_MERCHANT);
		if (v == NULL)
			v = all.data;
		*exact = (strcmp(v, all.data) == 0);
		return v;
	}
	return distinctive_run(dtok, nd, RUN_WORDS_DESCRIPTION);
}

/* Expense key: the row's id column, as text. */
static char *
expense_key(HeapTuple tuple, TupleDesc tupdesc)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), "id") == 0)
		{
			bool		isnull;
			Datum		d = heap_getattr(tuple, att->attnum, tupdesc, &isnull);
			Oid			out;
			bool		varlena;

			if (isnull)
				return NULL;
			getTypeOutputInfo(att->atttypid, &out, &varlena);
			return OidOutputFunctionCall(out, d);
		}
	}
	return NULL;
}

/*
 * categorize.learn(expense anyelement, category_id bigint) → bigint
 * (the categorize.feedback id)
 */
PG_FUNCTION_INFO_V1(categorize_learn);
Datum
categorize_learn(PG_FUNCTION_ARGS)
{
	LearnState	st;
	Oid			argtype;
	HeapTupleHeader th;
	HeapTupleData tuple;
	TupleDesc	tupdesc;
	CzColumnMap *map;
	CzExpense	e;
	char	   *key;
	Token	   *dtok,
			   *mtok;
	int			nd,
				nm;
	char	  **words;
	int			nwords = 0;
	WordStats  *ws;
	LearnCandidate *correct_cand = NULL;
	LearnCandidate *predicted = NULL;
	bool		corrected;
	int64	   *matched_ids;
	int			nmatched = 0;
	int			i;

	memset(&st, 0, sizeof(st));
	st.cxt = CurrentMemoryContext;

	/* arguments */
	argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	if (!OidIsValid(argtype) || !type_is_rowtype(argtype))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("categorize.learn expects an expense row, not %s",
						OidIsValid(argtype) ? format_type_be(argtype) : "an unknown type"),
				 errhint("Pass a whole row, as in SELECT categorize.learn(e, 7) FROM expenses e WHERE e.id = 42.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("categorize.learn needs an expense row, got NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("categorize.learn needs the correct category id, got NULL")));
	st.correct = PG_GETARG_INT64(1);

	th = PG_GETARG_HEAPTUPLEHEADER(0);
	tupdesc = lookup_rowtype_tupdesc_copy(HeapTupleHeaderGetTypeId(th),
										  HeapTupleHeaderGetTypMod(th));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	map = cz_column_map(tupdesc, CurrentMemoryContext, NULL);
	cz_expense_from_tuple(map, &tuple, tupdesc, &e);
	st.user_id = cz_expense_user(&e);
	if (st.user_id)
		st.user_id = pstrdup(st.user_id);
	key = expense_key(&tuple, tupdesc);

	/* what categorize() would say */
	match_expense(&st, &e);
	for (i = 0; i < st.ncands; i++)
		if (st.cands[i].category_id == st.correct)
			correct_cand = &st.cands[i];
	if (st.ncands > 0 && st.cands[0].confidence >= cz_min_confidence)
		predicted = &st.cands[0];
	corrected = (predicted == NULL || predicted->category_id != st.correct);

	matched_ids = palloc(sizeof(int64) * Max(st.nhits, 1));
	for (i = 0; i < st.nhits; i++)
		matched_ids[nmatched++] = st.hits[i].pattern_id;

	/* words */
	dtok = tokenize(e.description, e.description_len, &nd);
	mtok = tokenize(e.merchant, e.merchant_len, &nm);
	words = palloc(sizeof(char *) * (nd + nm + 1));
	for (i = 0; i < nm + nd && nwords < MAX_WORDS; i++)
	{
		Token	   *t = (i < nm) ? &mtok[i] : &dtok[i - nm];
		int			j;

		if (!keyword_candidate(t))
			continue;
		for (j = 0; j < nwords; j++)
			if (strcmp(words[j], t->word) == 0)
				break;
		if (j == nwords)
			words[nwords++] = t->word;
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the category must exist and be visible to the expense's user */
	{
		Oid			types[1] = {INT8OID};
		Datum		values[1];
		bool		isnull;
		Datum		d;

		values[0] = Int64GetDatum(st.correct);
		spi_exec("SELECT user_id FROM categorize.categories WHERE id = $1",
				 1, types, values, NULL, SPI_OK_SELECT);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("category %lld does not exist", (long long) st.correct),
					 errhint("Pass the id of a row of categorize.categories.")));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			char	   *owner = TextDatumGetCString(d);

			if (st.user_id == NULL || strcmp(owner, st.user_id) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("category %lld belongs to another user", (long long) st.correct),
						 errdetail("An expense can be corrected to a shared category or to one of its own user's.")));
		}
	}

	/* one learner per user scope at a time for the check-then-create */
	{
		Oid			types[2] = {INT4OID, INT4OID};
		Datum		values[2];
		uint32		h = st.user_id ? hash_bytes((const unsigned char *) st.user_id,
											   strlen(st.user_id)) : 0;

		values[0] = Int32GetDatum(LEARN_LOCK_CLASS);
		values[1] = Int32GetDatum((int32) h);
		spi_exec("SELECT pg_catalog.pg_advisory_xact_lock($1, $2)",
				 2, types, values, NULL, SPI_OK_SELECT);
	}

	/* the feedback row */
	{
		Oid			types[11] = {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID,
		FLOAT8OID, INT8OID, BOOLOID, BOOLOID, TEXTARRAYOID};
		Datum		values[11];
		char		nulls[11];
		bool		isnull;

		memset(nulls, ' ', sizeof(nulls));
		values[0] = DirectFunctionCall1(namein,
										CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false)));
		values[1] = text_or_null(st.user_id, st.user_id ? strlen(st.user_id) : 0, &nulls[1]);
		values[2] = text_or_null(key, key ? strlen(key) : 0, &nulls[2]);
		values[3] = text_or_null(e.description, e.description_len, &nulls[3]);
		values[4] = text_or_null(e.merchant, e.merchant_len, &nulls[4]);
		if (st.ncands > 0 && predicted)
			values[5] = Int64GetDatum(predicted->category_id);
		else
			nulls[5] = 'n';
		if (st.ncands > 0)
			values[6] = Float8GetDatum(st.cands[0].confidence);
		else
			nulls[6] = 'n';
		values[7] = Int64GetDatum(st.correct);
		values[8] = BoolGetDatum(corrected);
		values[9] = BoolGetDatum(cz_learning);
		values[10] = text_array(words, nwords);
		spi_exec("INSERT INTO categorize.feedback"
				 "  (learned_by, user_id, expense_key, description, merchant_name,"
				 "   predicted_category_id, predicted_confidence, correct_category_id,"
				 "   corrected, learned, words)"
				 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
				 " RETURNING id",
				 11, types, values, nulls, SPI_OK_INSERT_RETURNING);
		st.feedback_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 1, &isnull));
	}

	if (cz_learning)
	{
		double		rival = 0.0;
		double		mine = 0.0;

		ws = word_stats(&st, words, nwords);
		mark_common(dtok, nd, ws, nwords);
		mark_common(mtok, nm, ws, nwords);

		/* strengthen the right, weaken the wrong winner */
		if (correct_cand)
			strengthen(&st, correct_cand);
		if (predicted && predicted != correct_cand)
			weaken(&st, predicted);

		/* would the correct category now win on its own patterns? */
		for (i = 0; i < st.ncands; i++)
		{
			double		c = candidate_confidence(&st, &st.cands[i]);

			if (&st.cands[i] == correct_cand)
				mine = c;
			else
				rival = Max(rival, c);
		}
		if (mine < Max(rival + WIN_MARGIN, cz_min_confidence))
		{
			bool		exact;
			char	   *value = merchant_value(&e, mtok, nm, dtok, nd, &exact);

			if (value != NULL)
			{
				double		s = exact ? 1.0 : WORDS_STRENGTH;
				double		target = Max(rival + WIN_MARGIN, Max(cz_min_confidence, 0.5));
				double		w;
				int64		id;

				for (w = MERCHANT_MIN_WEIGHT; w < CZ_MAX_WEIGHT; w += MERCHANT_WEIGHT_STEP)
					if (1.0 - (1.0 - mine) * (1.0 - s * cz_pattern_confidence(w, 0, 0)) >= target)
						break;
				w = Min(w, CZ_MAX_WEIGHT);
				id = upsert_pattern(&st, "merchant", value, w);
				link_pattern(id, int8_array(&st.feedback_id, 1));
			}
		}

		/* keywords from repeated corrections */
		if (corrected)
		{
			for (i = 0; i < nwords; i++)
			{
				WordStats  *w = &ws[i];
				int64		id;

				if (w->this_category < KEYWORD_MIN_EXPENSES ||
					w->other * 3 > w->this_category)
					continue;
				/* already a keyword of this category that matched? */
				{
					Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
					Datum		values[3];
					char		nulls[3] = "   ";

					values[0] = Int64GetDatum(st.correct);
					values[1] = CStringGetTextDatum(w->word);
					values[2] = text_or_null(st.user_id, st.user_id ? strlen(st.user_id) : 0,
											 &nulls[2]);
					spi_exec("SELECT 1 FROM categorize.patterns"
							 " WHERE category_id = $1 AND kind = 'keyword' AND value = $2"
							 "   AND active AND user_id IS NOT DISTINCT FROM $3",
							 3, types, values, nulls, SPI_OK_SELECT);
					if (SPI_processed > 0)
						continue;
				}
				id = upsert_pattern(&st, "keyword", w->word, KEYWORD_WEIGHT);
				link_pattern(id, w->feedback_ids);
			}
		}
	}

	/* what learning did, on the feedback row */
	{
		Oid			types[6] = {INT8OID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID};
		Datum		values[6];

		values[0] = Int64GetDatum(st.feedback_id);
		values[1] = int8_array(matched_ids, nmatched);
		values[2] = int8_array(st.strengthened, st.nstrengthened);
		values[3] = int8_array(st.weakened, st.nweakened);
		values[4] = int8_array(st.deactivated, st.ndeactivated);
		values[5] = int8_array(st.created, st.ncreated);
		spi_exec("UPDATE categorize.feedback"
				 "   SET matched_pattern_ids = $2, strengthened_pattern_ids = $3,"
				 "       weakened_pattern_ids = $4, deactivated_pattern_ids = $5,"
				 "       created_pattern_ids = $6"
				 " WHERE id = $1",
				 6, types, values, NULL, SPI_OK_UPDATE);
	}

	SPI_finish();
	PG_RETURN_INT64(st.feedback_id);
}
