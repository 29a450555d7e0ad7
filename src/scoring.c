/*-------------------------------------------------------------------------
 *
 * scoring.c
 *	  Matching one expense against the compiled index and scoring the
 *	  categories it matches.
 *
 *	  1. Normalize the description and the merchant name, scan each once
 *	     with the automaton (all literal patterns at once), and once more
 *	     with the delta's when literal patterns were appended since the
 *	     build (pattern_index.c).
 *	  2. Fuzzy merchants: the merchant name's trigrams (the description's
 *	     when there is no merchant) against the trigram index (and the
 *	     delta's), through a memo of recent lookups (fuzzy_cache.c).
 *	  3. Regexes, on the raw texts; a regex with a required literal
 *	     (regex_prefilter.c) only when step 1 saw that literal.  A regex
 *	     in the simple subset runs on its DFA (regex_dfa.c), others and
 *	     texts the DFA cannot decide on PostgreSQL's engine.
 *	  4. For each category with a text match, its amount and time patterns;
 *	     a category with many of them takes, per distinct condition that
 *	     holds (each tested once a call), the product its boosters share,
 *	     computed at build; it visits them one by one (through a bitmap
 *	     per condition) only to list them or to check a user's scope.
 *	  5. Per category: confidence = 1 - prod(1 - strength_i * c_i) over
 *	     its matching patterns, c_i the pattern's own confidence.
 *
 *	  Strengths: exact merchant 1.0, merchant as whole words 0.95, keyword
 *	  0.9, description 0.9, regex 0.9, fuzzy merchant from 0.80 at
 *	  similarity = categorize.fuzzy_threshold rising linearly to 0.95 at
 *	  similarity 1, amount range or time 0.5 (only alongside a text match).
 *
 *	  Candidates are ordered by confidence, then best weight, then lower
 *	  category id.  Hits are sorted by pattern before the product, so the
 *	  same input gives the same bits whatever order they were found in.
 *
 *	  Scratch buffers are backend-local and reused across calls (no
 *	  allocation per call once warm); results stay valid until the next
 *	  call.  No shared state, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "categorize.h"
#include "fuzzy_cache.h"
#include "pattern_index.h"
#include "regex_budget.h"
#include "regex_dfa.h"

#define S_MERCHANT_EXACT	1.0f
#define S_MERCHANT_WORDS	0.95f
#define S_KEYWORD			0.9f
#define S_DESCRIPTION		0.9f
#define S_REGEX				0.9f
#define S_FUZZY_MIN			0.80f
#define S_FUZZY_MAX			0.95f
#define S_BOOSTER			CZ_BOOSTER_STRENGTH

/*
 * Fuzzy matching compares a merchant name as a whole; a text longer than
 * this (normalized bytes) is no merchant name, and its trigram set would
 * cost more than everything else together.
 */
#define CZ_FUZZY_MAX_TEXT	1024

/* Bit positions of the CZ_M_* flags, stored per hit. */
enum
{
	MB_MERCHANT_EXACT,
	MB_MERCHANT_WORDS,
	MB_KEYWORD,
	MB_DESCRIPTION,
	MB_REGEX,
	MB_MERCHANT_FUZZY,
	MB_AMOUNT_RANGE,
	MB_TIME
};

/* Growable scratch, kept for the life of the backend. */
static MemoryContext scratch_cxt = NULL;
static char *norm_desc = NULL;
static int	norm_desc_cap = 0;
static char *norm_merchant = NULL;
static int	norm_merchant_cap = 0;
static uint32 *trgm_buf = NULL;
static int	trgm_cap = 0;
static pg_wchar *wide_buf = NULL;
static Size wide_cap = 0;
static int32 *hits = NULL;
static int	hits_cap = 0;
static CzCandidate *cands = NULL;
static int	cands_cap = 0;
static int32 *cand_patterns = NULL;
static int	cand_patterns_cap = 0;
static CzFuzzyHit *fuzzy_found = NULL;
static int	fuzzy_found_cap = 0;
static uint64 *booster_mask = NULL;
static int	booster_mask_cap = 0;

static void *
grow(void *buf, int *cap, int need, Size elem)
{
	int			newcap;

	if (need <= *cap)
		return buf;
	if (scratch_cxt == NULL)
		scratch_cxt = AllocSetContextCreate(TopMemoryContext, "categorize match scratch",
											ALLOCSET_SMALL_SIZES);
	newcap = Max(need, Max(*cap * 2, 64));
	*cap = newcap;
	if (buf)
		return repalloc_huge(buf, (Size) newcap * elem);	/* keeps contents */
	return MemoryContextAllocExtended(scratch_cxt, (Size) newcap * elem, MCXT_ALLOC_HUGE);
}

typedef struct MatchState
{
	CzIndex    *index;
	const CzKeys *keys;			/* the key set being scanned */
	CzExpense  *expense;
	int			nhits;
	bool		timed_out;
	/* the text being scanned */
	int			text_len;
	bool		scanning_merchant;
	bool		merchant_from_description;
	bool		filter_users;
	bool		merchant_found; /* a merchant pattern matched literally */
	int			nfuzzy;			/* hits in fuzzy_found */
	uint32		list_visits;	/* patterns visited in keys' pattern lists */
	bool		user_known;		/* user and user_hash are set */
	const char *user;			/* the expense's user, or NULL */
	uint32		user_hash;		/* cz_owner_hash(user) */
} MatchState;

static bool
pattern_allowed(MatchState *st, CzPattern *pat)
{
	const char *uid;
	const char *cat_uid;

	if (!st->filter_users)
		return true;
	cat_uid = st->index->categories[pat->category_index].user_id;
	if (pat->user_id == NULL && cat_uid == NULL)
		return true;
	uid = cz_expense_user(st->expense);
	if (uid == NULL)
		return false;
	return (pat->user_id == NULL || strcmp(pat->user_id, uid) == 0) &&
		(cat_uid == NULL || strcmp(cat_uid, uid) == 0);
}

/* Record a hit of pattern p; false if the expense's user may not use it. */
static inline bool
note_hit(MatchState *st, int32 p, float strength, uint8 method)
{
	CzIndex    *ix = st->index;
	CzPatternHit *ph = &ix->pattern_hit[p];

	if (ph->stamp != ix->match_stamp)
	{
		if (!pattern_allowed(st, &ix->patterns[p]))
			return false;
		ph->stamp = ix->match_stamp;
		ph->strength = strength;
		ph->method = method;
		hits = grow(hits, &hits_cap, st->nhits + 1, sizeof(int32));
		hits[st->nhits++] = p;
	}
	else if (strength > ph->strength)
	{
		ph->strength = strength;
		ph->method = method;
	}
	return true;
}

/* A hit of literal pattern p, of the given kind, whose key of len bytes ends at end. */
static inline void
literal_pattern_hit(MatchState *st, int32 p, int kind, int32 key, int32 len, int end)
{
	CzIndex    *ix = st->index;

	switch (kind)
	{
		case CZ_KIND_KEYWORD:
			note_hit(st, p, S_KEYWORD, MB_KEYWORD);
			break;
		case CZ_KIND_DESCRIPTION:
			if (!st->scanning_merchant)
				note_hit(st, p, S_DESCRIPTION, MB_DESCRIPTION);
			break;
		case CZ_KIND_MERCHANT:
			if (st->scanning_merchant || st->merchant_from_description)
			{
				bool		used;

				if (len == CZ_KEY_LEN_UNKNOWN)
					len = cz_ac_key_length(st->keys->automaton, key);
				if (end == st->text_len && end - len == 0)
					used = note_hit(st, p, S_MERCHANT_EXACT, MB_MERCHANT_EXACT);
				else
					used = note_hit(st, p, S_MERCHANT_WORDS, MB_MERCHANT_WORDS);
				st->merchant_found |= used;
			}
			break;
		case CZ_KIND_REGEX:
			/* the regex's required literal: the regex may match */
			ix->regex_stamp[ix->patterns[p].u.regex] = ix->match_stamp;
			break;
		default:
			break;
	}
}

/* A tick: check for interrupts and the time budget; false when it is spent. */
static bool
match_tick(MatchState *st)
{
	CZ_CHECK_FOR_INTERRUPTS();
	if (cz_deadline_passed())
	{
		st->timed_out = true;
		return false;
	}
	return true;
}

/*
 * [*from, *to): the run of the expense's user among entries [lo, hi) that
 * belong to users, ordered by their owner's hash (hashes[i] for entry i);
 * empty without a user.  A hash shared with another user only adds
 * entries that pattern_allowed() turns away.
 */
static void
user_run(MatchState *st, const uint32 *hashes, int32 lo, int32 hi,
		 int32 *from, int32 *to)
{
	int32		end = hi;
	uint32		h;

	*from = *to = lo;
	if (lo == hi)
		return;
	if (!st->user_known)
	{
		st->user = cz_expense_user(st->expense);
		st->user_hash = st->user ? cz_owner_hash(st->user) : 0;
		st->user_known = true;
	}
	if (st->user == NULL)
		return;
	h = st->user_hash;
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;

		if (hashes[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; hi < end && hashes[hi] == h; hi++)
		;
	*from = lo;
	*to = hi;
}

/*
 * The runs of key's pattern list that the expense's user may use:
 * [run[0], run[1]) shared, [run[2], run[3]) the user's own (see
 * CzKeyEntry).
 */
static void
key_runs(MatchState *st, int32 key, int32 run[4])
{
	const CzKeys *keys = st->keys;
	int32		owned = keys->key_owned[key];

	run[0] = keys->key_first[key];
	run[1] = owned;
	user_run(st, keys->key_owner_hash, owned, keys->key_first[key + 1], &run[2], &run[3]);
}

/*
 * Thousands of patterns may share a value, and a text may hold it at
 * every byte: tick every 65,536 patterns visited in pattern lists too.
 */
static inline bool
list_tick(MatchState *st)
{
	return likely((++st->list_visits & 0xFFFF) != 0) || match_tick(st);
}

/* Automaton callback: key ends at offset end of the scanned text. */
static bool
literal_hit(void *arg, int32 key, int end)
{
	MatchState *st = (MatchState *) arg;
	CzIndex    *ix = st->index;
	const CzKeyEntry *ke;
	int32		run[4];
	int32		r,
				i;

	/* the automaton's ticks: every 64kB of text, and after much work */
	if (key < 0)
		return match_tick(st);

	/* a key's only pattern from its entry; several from its list */
	ke = &st->keys->key_entry[key];
	if (ke->pattern < 0)
		return true;
	if (likely(!cz_key_more(ke)))
	{
		literal_pattern_hit(st, ke->pattern, cz_key_kind(ke), key, cz_key_len(ke), end);
		return true;
	}
	key_runs(st, key, run);
	for (r = 0; r < 4; r += 2)
	{
		for (i = run[r]; i < run[r + 1]; i++)
		{
			int32		p = st->keys->key_patterns[i];

			literal_pattern_hit(st, p, ix->patterns[p].kind, key, cz_key_len(ke), end);
			if (!list_tick(st))
				return false;
		}
	}
	return true;
}

/* Search callback: collect the hits (replayed after caching them). */
static bool
fuzzy_collect(void *arg, int32 doc, float similarity)
{
	MatchState *st = (MatchState *) arg;

	fuzzy_found = grow(fuzzy_found, &fuzzy_found_cap, st->nfuzzy + 1, sizeof(CzFuzzyHit));
	fuzzy_found[st->nfuzzy].doc = doc;
	fuzzy_found[st->nfuzzy].similarity = similarity;
	st->nfuzzy++;
	return true;
}

/*
 * A merchant value similar enough: its merchant patterns the user may use.
 * Documents from the build's key set come first, then the delta's.
 */
static bool
fuzzy_hit(void *arg, int32 doc, float similarity)
{
	MatchState *st = (MatchState *) arg;
	CzIndex    *ix = st->index;
	int32		build_docs = cz_trgm_index_docs(ix->keys.trigrams);
	int32		key;
	const CzKeyEntry *ke;
	float		t = (float) cz_fuzzy_threshold;
	float		above = (t < 1.0f) ? (similarity - t) / (1.0f - t) : 1.0f;
	float		strength = S_FUZZY_MIN + (S_FUZZY_MAX - S_FUZZY_MIN) * Max(0.0f, Min(above, 1.0f));
	int32		run[4];
	int32		r,
				i;

	st->keys = (doc < build_docs) ? &ix->keys : ix->delta;
	key = st->keys->trgm_doc_key[doc < build_docs ? doc : doc - build_docs];
	ke = &st->keys->key_entry[key];
	if (likely(!cz_key_more(ke)))
	{
		note_hit(st, ke->pattern, strength, MB_MERCHANT_FUZZY);
		return true;
	}
	/* the same value may be a keyword too */
	key_runs(st, key, run);
	for (r = 0; r < 4; r += 2)
	{
		for (i = run[r]; i < run[r + 1]; i++)
		{
			int32		p = st->keys->key_patterns[i];

			if (ix->patterns[p].kind == CZ_KIND_MERCHANT)
				note_hit(st, p, strength, MB_MERCHANT_FUZZY);
			if (!list_tick(st))
				return false;
		}
	}
	return true;
}

/*
 * Scan the normalized texts (either may be empty) for the keys of one set;
 * merchant values match the description only when there is no merchant
 * name.
 */
static void
scan_literals(MatchState *st, const CzKeys *keys, const char *desc, int desc_len,
			  const char *merch, int merch_len)
{
	st->keys = keys;
	if (desc_len > 0 && !(keys->merchant_only && merch_len > 0))
	{
		st->text_len = desc_len;
		st->scanning_merchant = false;
		cz_ac_scan(keys->automaton, desc, desc_len, literal_hit, st);
	}
	if (merch_len > 0 && !st->timed_out)
	{
		st->text_len = merch_len;
		st->scanning_merchant = true;
		cz_ac_scan(keys->automaton, merch, merch_len, literal_hit, st);
	}
}

static char *
normalize_into(const char *text, int len, char **buf, int *cap, int *outlen)
{
	int			oldcap = *cap;

	/*
	 * The literal scan reads past the text (automaton.h): a grown buffer
	 * is zeroed, so those bytes are never uninitialized memory.
	 */
	*buf = grow(*buf, cap, CZ_NORMALIZED_MAX(len) + CZ_AC_SCAN_SLACK, 1);
	if (*cap != oldcap)
		memset(*buf, 0, *cap);
	*outlen = cz_normalize(text, len, *buf);
	return *buf;
}

static bool
regex_matches(regex_t *re, const char *text, int len)
{
	int			wlen;
	int			rc;

	if (text == NULL || cz_regex_budget_spent())
		return false;
	if ((Size) len + 1 > wide_cap)
	{
		if (scratch_cxt == NULL)
			scratch_cxt = AllocSetContextCreate(TopMemoryContext, "categorize match scratch",
												ALLOCSET_SMALL_SIZES);
		if (wide_buf)
			pfree(wide_buf);
		wide_cap = Max((Size) len + 1, 256);
		wide_buf = MemoryContextAllocExtended(scratch_cxt, wide_cap * sizeof(pg_wchar),
											  MCXT_ALLOC_HUGE);
	}
	wlen = pg_mb2wchar_with_len(text, wide_buf, len);
	rc = cz_regexec_budgeted(re, wide_buf, wlen);	/* REG_NOMATCH when over budget */
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	if (rc == REG_CANCEL)
		CZ_CHECK_FOR_INTERRUPTS();
	{
		char		msg[128];

		pg_regerror(rc, re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", msg)));
	}
	return false;
}

/*
 * Regex i of the index on one text: on its DFA when it has one, else (or
 * when the DFA cannot decide for this text) on PostgreSQL's engine.
 */
static bool
index_regex_matches(CzIndex *ix, int i, const char *text, int len)
{
	if (text == NULL || cz_deadline_expired())
		return false;
	if (ix->regex_dfas[i] != NULL && cz_regex_dfa)
	{
		int			r = cz_regex_dfa_match(ix->regex_dfas[i], text, len);

		if (r == CZ_DFA_MATCH || r == CZ_DFA_NOMATCH)
			return r == CZ_DFA_MATCH;
		if (r == CZ_DFA_TIMEOUT)
		{
			cz_deadline_expire();
			return false;
		}
	}
	return regex_matches(&ix->regexes[i], text, len);
}

static int
cmp_hits(const void *a, const void *b, void *arg)
{
	CzIndex    *ix = (CzIndex *) arg;
	int32		pa = *(const int32 *) a;
	int32		pb = *(const int32 *) b;
	int32		ca = ix->patterns[pa].category_index;
	int32		cb = ix->patterns[pb].category_index;

	if (ca != cb)
		return (ca > cb) - (ca < cb);
	return (pa > pb) - (pa < pb);
}

static int
cmp_candidates(const void *a, const void *b)
{
	const CzCandidate *x = (const CzCandidate *) a;
	const CzCandidate *y = (const CzCandidate *) b;

	if (x->confidence != y->confidence)
		return (x->confidence < y->confidence) ? 1 : -1;
	if (x->best_weight != y->best_weight)
		return (x->best_weight < y->best_weight) ? 1 : -1;
	return (x->category_id > y->category_id) - (x->category_id < y->category_id);
}

/*
 * The expense's amount, converted at most once per call for all the
 * amount_range patterns (a category may have dozens); cz_expense_time()
 * caches the time the same way.
 */
typedef struct BoosterInput
{
	bool		amount_ready;
	bool		has_amount;
	double		amount;
} BoosterInput;

static inline bool
booster_matches(CzExpense *e, BoosterInput *in, const CzBooster *b)
{
	if (b->is_amount)
	{
		if (!in->amount_ready)
		{
			in->has_amount = cz_expense_amount(e, &in->amount);
			in->amount_ready = true;
		}
		return in->has_amount && in->amount >= b->lo && in->amount <= b->hi;
	}
	if (!e->time_done)
		cz_expense_time(e);
	return cz_time_window_matches(&b->time, e->has_time, e->minute_of_day,
								  e->has_date, e->day_of_week);
}

/*
 * Booster b matched for candidate c: count it in, if the user may use it,
 * and list it when the caller wants the evidence.  The caller has made
 * room in cand_patterns for all of the category's boosters; the booster
 * carries what this needs of its pattern.
 */
static inline void
add_booster(MatchState *st, CzIndex *ix, CzCandidate *c, const CzBooster *b,
			double *keep, int *npats, bool with_evidence)
{
	if (unlikely(b->scoped) && !pattern_allowed(st, &ix->patterns[b->pattern]))
		return;
	*keep *= 1.0 - (double) S_BOOSTER * b->confidence;
	c->methods |= b->is_amount ? CZ_M_AMOUNT_RANGE : CZ_M_TIME;
	if (with_evidence)
	{
		cand_patterns[(*npats)++] = b->pattern;
		c->npatterns++;
	}
}

/* Regexes regex_order[from, to) on the expense's texts. */
static pg_attribute_always_inline void
try_regexes(MatchState *st, CzExpense *e, int32 from, int32 to, int32 *visited)
{
	CzIndex    *ix = st->index;
	int32		k;

	for (k = from; k < to; k++)
	{
		int32		re = ix->regex_order[k];

		if ((++*visited & 15) == 0 && cz_deadline_passed())
		{
			st->timed_out = true;
			return;
		}
		if (ix->regex_prefiltered[re] && ix->regex_stamp[re] != ix->match_stamp)
			continue;			/* its required literal is in neither text */
		if (index_regex_matches(ix, re, e->description, e->description_len) ||
			index_regex_matches(ix, re, e->merchant, e->merchant_len))
			note_hit(st, ix->regex_pattern[re], S_REGEX, MB_REGEX);
	}
}

void
cz_match(CzIndex *ix, CzExpense *e, CzResult *result, int max_candidates,
		 bool with_evidence)
{
	MatchState	st;
	char	   *desc = NULL;
	char	   *merch = NULL;
	int			desc_len = 0;
	int			merch_len = 0;
	int			ncands = 0;
	int			npats = 0;
	int			i;
	BoosterInput booster_in = {0};

	memset(result, 0, sizeof(CzResult));
	memset(&st, 0, sizeof(st));
	st.index = ix;
	st.expense = e;
	st.filter_users = ix->has_user_patterns;

	if (++ix->match_stamp == 0)
	{
		memset(ix->pattern_hit, 0, sizeof(CzPatternHit) * Max(ix->npatterns, 1));
		memset(ix->regex_stamp, 0, sizeof(uint32) * Max(ix->nregexes, 1));
		memset(ix->cond_stamp, 0, sizeof(uint32) * Max(ix->nconds, 1));
		ix->match_stamp = 1;
	}

	if (e->description)
		desc = normalize_into(e->description, e->description_len,
							  &norm_desc, &norm_desc_cap, &desc_len);
	if (e->merchant)
		merch = normalize_into(e->merchant, e->merchant_len,
							   &norm_merchant, &norm_merchant_cap, &merch_len);

	/* 1. literals: the build's keys, then those appended since */
	st.merchant_from_description = (merch_len == 0);
	scan_literals(&st, &ix->keys, desc, desc_len, merch, merch_len);
	if (ix->delta != NULL && !st.timed_out)
		scan_literals(&st, ix->delta, desc, desc_len, merch, merch_len);

	/*
	 * 2. fuzzy merchants: a fallback for names not found as such, so only
	 * when no merchant pattern matched exactly or as whole words
	 */
	if (!st.timed_out && !st.merchant_found && cz_fuzzy_threshold > 0 &&
		(cz_trgm_index_docs(ix->keys.trigrams) > 0 ||
		 (ix->delta != NULL && cz_trgm_index_docs(ix->delta->trigrams) > 0)))
	{
		const char *q = merch_len > 0 ? merch : desc;
		int			qlen = merch_len > 0 ? merch_len : desc_len;

		if (qlen > 0 && qlen <= CZ_FUZZY_MAX_TEXT)
		{
			float		threshold = (float) cz_fuzzy_threshold;
			const CzFuzzyHit *found;
			int			nfound;
			int			k;
			uint32		qhash;

			if (ix->fuzzy_cache == NULL)
				ix->fuzzy_cache = cz_fuzzy_cache_create(ix->cxt, 1024, 96);
			if (!cz_fuzzy_cache_lookup(ix->fuzzy_cache, q, qlen, threshold,
									   cz_fuzzy_max_candidates, &found, &nfound, &qhash))
			{
				int			nq;
				int			nd;

				trgm_buf = grow(trgm_buf, &trgm_cap, CZ_TRGM_MAX(qlen), sizeof(uint32));
				nq = cz_trgm_extract_all(q, qlen, trgm_buf);
				st.nfuzzy = 0;
				nd = cz_trgm_search(ix->keys.trigrams, trgm_buf, nq, threshold,
									cz_fuzzy_max_candidates, fuzzy_collect, &st);
				if (ix->delta != NULL)
				{
					int			first = st.nfuzzy;
					int32		build_docs = cz_trgm_index_docs(ix->keys.trigrams);

					/*
					 * the same trigrams, told apart by the first search if it
					 * got so far
					 */
					if (nd >= 0)
						cz_trgm_search_distinct(ix->delta->trigrams, trgm_buf, nd, threshold,
												cz_fuzzy_max_candidates, fuzzy_collect, &st);
					else
						(void) cz_trgm_search(ix->delta->trigrams, trgm_buf, nq, threshold,
											  cz_fuzzy_max_candidates, fuzzy_collect, &st);
					for (k = first; k < st.nfuzzy; k++)
						fuzzy_found[k].doc += build_docs;
				}
				cz_fuzzy_cache_store_hashed(ix->fuzzy_cache, qhash, q, qlen, threshold,
											cz_fuzzy_max_candidates, fuzzy_found,
											st.nfuzzy);
				found = fuzzy_found;
				nfound = st.nfuzzy;
			}
			for (k = 0; k < nfound; k++)
				if (!fuzzy_hit(&st, found[k].doc, found[k].similarity))
					break;		/* timed out */
		}
	}

	/* 3. regexes: the shared ones, then the user's own */
	if (ix->nregexes > 0)
	{
		int32		visited = 0;

		try_regexes(&st, e, 0, ix->nshared_regexes, &visited);
		if (ix->nshared_regexes < ix->nregexes && !st.timed_out)
		{
			int32		from,
						to;

			user_run(&st, ix->regex_owner_hash, ix->nshared_regexes, ix->nregexes,
					 &from, &to);
			try_regexes(&st, e, from, to, &visited);
		}
	}

	/* the caller checks the clock at the end of the call */
	if (st.timed_out || cz_deadline_expired())
	{
		result->timed_out = true;
		return;
	}

	/* 4, 5. group hits by category, add boosters, combine */
	if (st.nhits > 1)
		qsort_arg(hits, st.nhits, sizeof(int32), cmp_hits, ix);

	i = 0;
	while (i < st.nhits)
	{
		int32		cat = ix->patterns[hits[i]].category_index;
		CzCategory *category = &ix->categories[cat];
		CzCandidate *c;
		double		keep = 1.0; /* prod(1 - contribution) */
		int			b;

		cands = grow(cands, &cands_cap, ncands + 1, sizeof(CzCandidate));
		c = &cands[ncands++];
		c->category_id = category->id;
		c->category_index = cat;
		c->best_weight = 0;
		c->methods = 0;
		c->first_pattern = npats;
		c->npatterns = 0;

		for (; i < st.nhits && ix->patterns[hits[i]].category_index == cat; i++)
		{
			int32		p = hits[i];
			CzPattern  *pat = &ix->patterns[p];

			keep *= 1.0 - (double) ix->pattern_hit[p].strength * pat->confidence;
			c->best_weight = Max(c->best_weight, pat->weight);
			c->methods |= 1u << ix->pattern_hit[p].method;
			cand_patterns = grow(cand_patterns, &cand_patterns_cap, npats + 1, sizeof(int32));
			cand_patterns[npats++] = p;
			c->npatterns++;
		}
		if (category->nboosters > 0)
			cand_patterns = grow(cand_patterns, &cand_patterns_cap,
								 npats + category->nboosters, sizeof(int32));
		if (category->ncond_entries > 0)
		{
			/*
			 * Many shared boosters: a condition that holds brings their
			 * product at once; they are visited, through the OR of the
			 * masks, only to list them.  categorize() and explain()
			 * multiply the same factors in the same order.
			 */
			int			words = category->mask_words;
			bool		visit = false;
			int			k;
			int			w;

			for (k = 0; k < category->ncond_entries; k++)
			{
				int32		entry = category->first_cond_entry + k;
				int32		cond = ix->cond_entry_cond[entry];

				if (ix->cond_stamp[cond] != ix->match_stamp)
				{
					ix->cond_holds[cond] = booster_matches(e, &booster_in, &ix->conds[cond]);
					ix->cond_stamp[cond] = ix->match_stamp;
				}
				if (!ix->cond_holds[cond])
					continue;
				keep *= ix->cond_entry_keep[entry];
				c->methods |= ix->conds[cond].is_amount ?
					CZ_M_AMOUNT_RANGE : CZ_M_TIME;
				if (with_evidence)
				{
					const uint64 *mask = ix->cond_entry_mask + category->first_mask +
						(int64) k * words;

					if (!visit)
					{
						booster_mask = grow(booster_mask, &booster_mask_cap, words,
											sizeof(uint64));
						memset(booster_mask, 0, sizeof(uint64) * words);
						visit = true;
					}
					for (w = 0; w < words; w++)
						booster_mask[w] |= mask[w];
				}
			}
			for (w = 0; visit && w < words; w++)
			{
				uint64		bits = booster_mask[w];

				while (bits != 0)
				{
					b = w * 64 + pg_rightmost_one_pos64(bits);
					bits &= bits - 1;
					/* counted in its condition's product */
					cand_patterns[npats++] = ix->boosters[category->first_booster + b].pattern;
					c->npatterns++;
				}
			}
		}
		else
		{
			for (b = 0; b < category->nshared_boosters; b++)
			{
				const CzBooster *booster = &ix->boosters[category->first_booster + b];

				if (booster_matches(e, &booster_in, booster))
					add_booster(&st, ix, c, booster, &keep, &npats, with_evidence);
			}
		}
		if (category->nshared_boosters < category->nboosters)
		{
			/* users' boosters: only this expense's user's */
			int32		from,
						to;

			user_run(&st, ix->booster_owner_hash,
					 category->first_booster + category->nshared_boosters,
					 category->first_booster + category->nboosters, &from, &to);
			for (b = from; b < to; b++)
			{
				const CzBooster *booster = &ix->boosters[b];

				if (booster_matches(e, &booster_in, booster))
					add_booster(&st, ix, c, booster, &keep, &npats, with_evidence);
			}
		}
		c->confidence = 1.0 - keep;
	}

	if (ncands > 1)
		qsort(cands, ncands, sizeof(CzCandidate), cmp_candidates);

	result->ncandidates = Min(ncands, Max(max_candidates, 1));
	result->candidates = cands;
	result->pattern_index = cand_patterns;
}

const char *
cz_methods_text(uint32 methods)
{
	static char buf[128];
	static const char *const names[] = {
		"merchant_exact", "merchant_words", "keyword", "description",
		"regex", "merchant_fuzzy", "amount_range", "time"
	};
	int			i;

	buf[0] = '\0';
	for (i = 0; i < lengthof(names); i++)
	{
		if (methods & (1u << i))
		{
			if (buf[0])
				strlcat(buf, "+", sizeof(buf));
			strlcat(buf, names[i], sizeof(buf));
		}
	}
	return buf;
}
