/*-------------------------------------------------------------------------
 *
 * fuzz.c
 *	  categorize._fuzz_engine(seed, iterations): a seeded random test of
 *	  the matching engine's building blocks with hostile bytes, run by the
 *	  regression suite (and under valgrind by test/scripts/valgrind.sh).
 *
 *	  Each iteration makes random byte strings (invalid and multi-byte
 *	  UTF-8, regex metacharacters, control bytes, long runs, empty) and
 *	  checks invariants that must hold for any input:
 *	    - cz_normalize: output no longer than input + 2, padded, no upper
 *	      case ASCII, no punctuation, single spaces, and idempotent;
 *	    - cz_trgm_extract: sorted, unique, bounded, the single-byte fast
 *	      path equal to the generic extraction; a text is fully similar
 *	      to itself;
 *	    - the trigram index search, every eighth iteration: over random
 *	      documents from a small trigram universe, with random thresholds
 *	      and candidate caps, it reports exactly the documents a brute-force
 *	      similarity puts at or above the threshold (a subset under a cap),
 *	      with their similarity, and answers the same query again, and one
 *	      differing only in trigrams no document holds, the same way;
 *	    - cz_numeric_to_double: bit for bit the double of
 *	      numeric_float8_no_overflow(), or no answer;
 *	    - the automaton: built from random keys (enough of them, in some
 *	      iterations, for states beyond the dense rows) with the default or
 *	      a tiny dense-row budget (so few keys also make sparse states and
 *	      failure chains), every occurrence it reports is real, it reports
 *	      as many occurrences of each key as a naive search finds, its
 *	      64kB ticks come where automaton.h says, and a callback returning
 *	      false stops the scan.
 *	  A violated invariant is an ERROR naming it.  Returns the number of
 *	  checks made.
 *
 *	  categorize._fuzz_regex(seed, iterations): random patterns against
 *	  random texts, the regex DFA (regex_dfa.c) against pg_regexec().
 *
 *	  Backend-local; allocates in a context reset every iteration.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/memutils.h"

#include "automaton.h"
#include "categorize.h"
#include "regex_dfa.h"
#include "trigram.h"

typedef struct FuzzRng
{
	uint64		state;
} FuzzRng;

static uint64
rng_next(FuzzRng *r)
{
	/* xorshift64* */
	uint64		x = r->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->state = x;
	return x * UINT64CONST(2685821657736338717);
}

static int
rng_below(FuzzRng *r, int n)
{
	return (int) (rng_next(r) % (uint64) n);
}

/* A hostile byte string of the given length. */
static void
random_bytes(FuzzRng *r, char *buf, int len)
{
	static const char *const pieces[] = {
		"\xc3\xa1", "\xc3\xb1", "\xc3\x9f", "\xc3\x86", "\xd0\x81", "\xce\x91",
		"\xe2\x80\x94", "\xe2\x82\xac", "\xe6\x9d\xb1", "\xf0\x9f\x98\x80",
		"\xc3", "\x80", "\xff", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
		".*", "(a+)+", "[", "\\", "$", "^", "|", "{1,2}", " ", "  ", "\t", "\n",
		"SQ *", "PAYPAL *", "#1234", "STARBUCKS", "caf\xc3\xa9", "a", "b", "ab"
	};
	int			i = 0;

	while (i < len)
	{
		int			kind = rng_below(r, 4);

		if (kind == 0)
			buf[i++] = (char) rng_below(r, 256);
		else if (kind == 1)
			buf[i++] = (char) ('a' + rng_below(r, 3));
		else
		{
			const char *p = pieces[rng_below(r, lengthof(pieces))];
			int			n = strlen(p);

			if (i + n > len)
				n = len - i;
			memcpy(buf + i, p, n);
			i += n;
		}
	}
}

#define FUZZ_FAIL(what) \
	ereport(ERROR, \
			(errcode(ERRCODE_INTERNAL_ERROR), \
			 errmsg("categorize fuzz invariant violated: %s", what), \
			 errdetail("seed %lld, iteration %d", (long long) seed, iter)))

static void
check_normalized(const char *out, int n, int len, int64 seed, int iter)
{
	int			i;

	if (n > len + 2)
		FUZZ_FAIL("normalized output longer than input + 2");
	if (n == 0)
		return;
	if (n < 3 || out[0] != ' ' || out[n - 1] != ' ')
		FUZZ_FAIL("normalized output not padded");
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) out[i];

		if (c < 0x80 && c != ' ' && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9'))
			FUZZ_FAIL("normalized output has an ASCII character that is not a lower-case letter, digit or space");
		if (c == ' ' && i > 0 && out[i - 1] == ' ')
			FUZZ_FAIL("normalized output has two spaces in a row");
	}
}

/* Naive count of occurrences of key in text (overlapping). */
/*
 * A whole-word key as the word index takes it: " w1 w2 ", one to maxwords
 * words of one to three pieces; returns its length (at most 64).  Some
 * come out in the other forms ("  w ", " w w", "w "), which the trie
 * takes.
 */
static char fuzz_word_buf[64];

static int
random_words(FuzzRng *r, char *buf, int maxwords)
{
	static const char *const pieces[] = {
		"a", "b", "ab", "ba", "\xc3\xa1", "1", "\xe6\x9d\xb1", "\xff", "."
	};
	int			nwords = 1 + rng_below(r, maxwords);
	int			form = rng_below(r, 16);
	int			n = 0;
	int			w;

	buf[n++] = ' ';
	if (form == 0)				/* a run of two spaces */
		buf[n++] = ' ';
	for (w = 0; w < nwords; w++)
	{
		int			npieces = 1 + rng_below(r, 3);

		if (w > 0)
			buf[n++] = ' ';
		while (npieces-- > 0)
		{
			const char *p = pieces[rng_below(r, lengthof(pieces))];
			int			len = strlen(p);

			memcpy(buf + n, p, len);
			n += len;
		}
	}
	if (form != 1)				/* form 1: no trailing space */
		buf[n++] = ' ';
	return n;
}

static int
naive_count(const char *text, int tlen, const char *key, int klen)
{
	int			i,
				count = 0;

	for (i = 0; i + klen <= tlen; i++)
		if (memcmp(text + i, key, klen) == 0)
			count++;
	return count;
}

typedef struct ScanCheck
{
	const char *text;
	int			len;
	const CzAutomaton *ac;
	char	  **keys;
	int		   *key_id_of;		/* key slot → automaton key id */
	int			nkeys;
	int		   *found;			/* per automaton key id */
	bool		bad_hit;
	int			nticks;
	bool		bad_tick;
	int			stop_after;		/* return false at this hit, if >= 0 */
	int			nhits;
} ScanCheck;

static bool
scan_hit(void *arg, int32 key, int end)
{
	ScanCheck  *sc = (ScanCheck *) arg;

	if (key == CZ_AC_WORK_TICK)
		return true;			/* after much work: word steps, output chains */
	if (key < 0)
	{
		/* a tick before the byte at offset end, every 64kB */
		sc->nticks++;
		if ((end & 0xFFFF) != 0xFFFF || end >= sc->len)
			sc->bad_tick = true;
		return true;
	}
	if (sc->stop_after >= 0 && sc->nhits >= sc->stop_after)
	{
		sc->bad_hit = true;		/* called again after returning false */
		return false;
	}
	sc->nhits++;
	sc->found[key]++;
	/* the reported occurrence must be real */
	{
		int			klen = cz_ac_key_length(sc->ac, key);
		int			k;

		for (k = 0; k < sc->nkeys; k++)
			if (sc->key_id_of[k] == key)
				break;
		if (k == sc->nkeys || end < klen || end > sc->len ||
			memcmp(sc->text + end - klen, sc->keys[k], klen) != 0)
			sc->bad_hit = true;
	}
	return sc->stop_after < 0 || sc->nhits < sc->stop_after;
}

/* A random numeric literal: sign, digits, point, exponent, specials. */
static void
random_numeric_text(FuzzRng *r, char *buf)
{
	static const char *const specials[] = {"NaN", "Infinity", "-Infinity", "0", "-0", "0.0000"};
	int			n = 0;
	int			k;

	if (rng_below(r, 20) == 0)
	{
		strcpy(buf, specials[rng_below(r, lengthof(specials))]);
		return;
	}
	if (rng_below(r, 2))
		buf[n++] = '-';
	for (k = 1 + rng_below(r, rng_below(r, 4) ? 6 : 24); k > 0; k--)
		buf[n++] = '0' + rng_below(r, 10);
	if (rng_below(r, 3))
	{
		buf[n++] = '.';
		for (k = 1 + rng_below(r, rng_below(r, 4) ? 4 : 24); k > 0; k--)
			buf[n++] = rng_below(r, 3) ? '0' + rng_below(r, 10) : '0';
	}
	if (rng_below(r, 8) == 0)
		n += sprintf(buf + n, "e%d", rng_below(r, 80) - 40);
	buf[n] = '\0';
}

/*
 * The numeric fast path against numeric_float8_no_overflow(): the same
 * double, bit for bit, or no answer; with the 4-byte and (when it fits)
 * the 1-byte varlena header a row on disk has.
 */
static int
check_numeric(FuzzRng *r, int64 seed, int iter)
{
	char		text[128];
	Datum		num;
	double		slow;
	double		fast;
	int			checks = 0;
	struct varlena *v;
	int			size;

	random_numeric_text(r, text);
	num = DirectFunctionCall3(numeric_in, CStringGetDatum(text),
							  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	slow = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, num));
	if (cz_numeric_to_double(num, &fast))
	{
		if (memcmp(&fast, &slow, sizeof(double)) != 0)
			FUZZ_FAIL(psprintf("numeric fast path gives %.17g for %s, not %.17g", fast, text, slow));
		checks++;
	}
	v = (struct varlena *) DatumGetPointer(num);
	size = VARSIZE(v) - VARHDRSZ;
	if (size + 1 <= VARATT_SHORT_MAX)
	{
		char	   *packed = palloc(size + 1);

		SET_VARSIZE_SHORT(packed, size + 1);
		memcpy(packed + 1, VARDATA(v), size);
		if (cz_numeric_to_double(PointerGetDatum(packed), &fast))
		{
			if (memcmp(&fast, &slow, sizeof(double)) != 0)
				FUZZ_FAIL(psprintf("numeric fast path (1-byte header) gives %.17g for %s", fast, text));
			checks++;
		}
	}
	return checks;
}

static int
cmp_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

static int
sort_unique_trigrams(uint32 *v, int n)
{
	int			i,
				m = 0;

	qsort(v, n, sizeof(uint32), cmp_uint32);
	for (i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

/* Hits of a trigram index search, by document. */
typedef struct TrgmHits
{
	float	   *similarity;		/* per document; -1: not reported */
	int			nhits;
	bool		repeated;
} TrgmHits;

static bool
trgm_collect(void *arg, int32 doc, float similarity)
{
	TrgmHits   *h = (TrgmHits *) arg;

	if (h->similarity[doc] >= 0.0f)
		h->repeated = true;
	h->similarity[doc] = similarity;
	h->nhits++;
	return true;
}

/* A sorted, unique random set of n trigrams out of 1 .. universe. */
static int
random_trigram_set(FuzzRng *r, uint32 *out, int n, uint32 universe, bool high_bit)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		out[i] = 1 + (uint32) rng_below(r, (int) universe);
		if (high_bit && rng_below(r, 4) == 0)
			out[i] |= 0x80000000u;
	}
	return sort_unique_trigrams(out, n);
}

/*
 * The memo of trigram searches keeps an answer under a 32-bit hash of the
 * query's known trigrams, so two queries whose keys hash alike must still
 * be told apart.  Among the 499,500 pairs of a pool of 1,000 trigrams,
 * about 29 pairs of pairs collide: take two disjoint ones, {a, b} and
 * {c, d}, index a document of each, and search {a, b}, then {c, d}: each
 * must find its own document, not the other's remembered answer.  Then
 * {b, a}: the first key in another order, answered from the memo.
 */
typedef struct PairHash
{
	uint32		hash;
	uint32		a;
	uint32		b;
} PairHash;

static int
cmp_pair_hash(const void *x, const void *y)
{
	const PairHash *p = (const PairHash *) x;
	const PairHash *q = (const PairHash *) y;

	if (p->hash != q->hash)
		return p->hash < q->hash ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return (p->b > q->b) - (p->b < q->b);
}

static int
check_trigram_memo_collision(FuzzRng *r, int64 seed, MemoryContext cxt)
{
	const int	iter = -1;		/* for FUZZ_FAIL: before the iterations */
	const uint32 npool = 1000;
	uint32		base = 1 + (uint32) rng_below(r, 1 << 20);
	PairHash   *pairs = palloc(sizeof(PairHash) * npool * (npool - 1) / 2);
	uint32		doc0[2],
				doc1[2];
	uint32	   *docs[2] = {doc0, doc1};
	int			ndoc[2] = {2, 2};
	float		similarity[2];
	TrgmHits	hits = {similarity, 0, false};
	CzTrgmIndex *idx;
	int			npairs = 0;
	int			found = -1;
	int			i,
				round;

	for (i = 0; i < (int) npool; i++)
	{
		uint32		j;

		for (j = i + 1; j < npool; j++)
		{
			uint32		key[2] = {base + i, base + j};

			pairs[npairs].hash = cz_trgm_memo_hash(key, 2, 2);
			pairs[npairs].a = key[0];
			pairs[npairs].b = key[1];
			npairs++;
		}
	}
	qsort(pairs, npairs, sizeof(PairHash), cmp_pair_hash);
	for (i = 0; i + 1 < npairs && found < 0; i++)
		if (pairs[i].hash == pairs[i + 1].hash &&
			pairs[i].a != pairs[i + 1].a && pairs[i].a != pairs[i + 1].b &&
			pairs[i].b != pairs[i + 1].a && pairs[i].b != pairs[i + 1].b)
			found = i;
	if (found < 0)
		FUZZ_FAIL("no two pairs of trigrams with the same memo hash: the memo check tests nothing");

	doc0[0] = pairs[found].a;
	doc0[1] = pairs[found].b;
	doc1[0] = pairs[found + 1].a;
	doc1[1] = pairs[found + 1].b;
	idx = cz_trgm_index_build(2, docs, ndoc, cxt);

	/* {a, b}, {c, d}, {b, a}, {c, d} */
	for (round = 0; round < 4; round++)
	{
		int			want = round % 2 == 0 ? 0 : 1;
		uint32		query[2];

		query[0] = docs[want][round == 2 ? 1 : 0];
		query[1] = docs[want][round == 2 ? 0 : 1];
		similarity[0] = similarity[1] = -1.0f;
		hits.nhits = 0;
		hits.repeated = false;
		(void) cz_trgm_search(idx, query, 2, 0.5f, 0, trgm_collect, &hits);
		if (hits.nhits != 1 || similarity[want] != 1.0f)
			FUZZ_FAIL("trigram search answered a query from the memo of another whose key hashes alike");
	}
	pfree(pairs);
	return 4;
}

/*
 * The trigram index search (prefix, size, position and signature filters)
 * against a brute-force similarity over every document: without a
 * candidate cap both report the same documents with the same similarity;
 * with one, the search reports a subset.  Documents are drawn from a small
 * universe of trigrams, and most queries are near copies of a document,
 * so that many pairs lie near the threshold.
 */
static int
check_trigram_search(FuzzRng *r, int64 seed, int iter, MemoryContext cxt)
{
	int			ndocs = 1 + rng_below(r, rng_below(r, 2) ? 50 : 3000);
	uint32		universe = 8 + rng_below(r, rng_below(r, 2) ? 64 : 4000);
	int			max_size = rng_below(r, 8) == 0 ? 300 : 40;
	bool		high_bit = rng_below(r, 2);
	uint32	  **docs = palloc(sizeof(uint32 *) * ndocs);
	int		   *ndoc = palloc(sizeof(int) * ndocs);
	CzTrgmIndex *idx;
	TrgmHits	hits;
	uint32	   *sorted = palloc(sizeof(uint32) * (2 * max_size + 16));
	int			first_nhits = 0;
	int			checks = 0;
	int			d,
				q;

	for (d = 0; d < ndocs; d++)
	{
		docs[d] = palloc(sizeof(uint32) * max_size);
		ndoc[d] = random_trigram_set(r, docs[d], 1 + rng_below(r, max_size),
									 universe, high_bit);
	}
	idx = cz_trgm_index_build(ndocs, docs, ndoc, cxt);
	hits.similarity = palloc(sizeof(float) * ndocs);

	for (q = 0; q < 10; q++)
	{
		static const float thresholds[] = {0.1f, 0.3f, 0.5f, 0.5f, 0.5f, 0.6f, 0.75f, 0.9f, 1.0f};
		float		t = thresholds[rng_below(r, lengthof(thresholds))];
		int			cap = rng_below(r, 3) == 0 ? 1 + rng_below(r, 200) : 0;
		uint32	   *query = palloc(sizeof(uint32) * (2 * max_size + 16));
		uint32	   *variant = palloc(sizeof(uint32) * (2 * max_size + 16));
		int			nq,
					i,
					round;

		if (rng_below(r, 4) == 0)
			nq = random_trigram_set(r, query, 1 + rng_below(r, max_size), universe, high_bit);
		else if (rng_below(r, 2) == 0)
		{
			/*
			 * Right at the threshold, where rounding matters (thresholds
			 * with no exact float, no cap): part of a document (similarity
			 * k / |D|), or all of it with trigrams no document holds (|D| /
			 * (|D| + m)).
			 */
			static const float inexact[] = {0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.7f, 0.8f, 0.9f};
			int			src = rng_below(r, ndocs);

			t = inexact[rng_below(r, lengthof(inexact))];
			cap = 0;

			if (rng_below(r, 2) == 0)
			{
				/* the fewest trigrams whose float similarity reaches t */
				nq = (int) floor((double) t * ndoc[src]);
				while ((float) nq / (float) ndoc[src] < t)
					nq++;
				memcpy(query, docs[src], sizeof(uint32) * nq);
			}
			else
			{
				/* the most extra trigrams that keep it at t */
				int			m = (int) floor(ndoc[src] / (double) t) - ndoc[src] + 1;

				while (m > 0 && (float) ndoc[src] / (float) (ndoc[src] + m) < t)
					m--;

				nq = 0;
				for (i = 0; i < ndoc[src]; i++)
					query[nq++] = docs[src][i];
				for (i = 0; i < m && nq < 2 * max_size; i++)
					query[nq++] = universe + 2001 + i;
			}
		}
		else
		{
			/* a document with some trigrams dropped and some added */
			int			src = rng_below(r, ndocs);
			int			drop = rng_below(r, 4);
			int			add = rng_below(r, 4);

			nq = 0;
			for (i = 0; i < ndoc[src]; i++)
				if (rng_below(r, 8) >= drop)
					query[nq++] = docs[src][i];
			for (i = 0; i < add; i++)
				query[nq++] = 1 + (uint32) rng_below(r, (int) universe);
		}
		/* trigrams no document holds, like a reference number's */
		for (i = rng_below(r, 6); i > 0; i--)
			query[nq++] = universe + 1 + (uint32) rng_below(r, 1000);
		/* the search takes repeats and any order, as from extract_all */
		for (i = 0; i < nq && nq < 2 * max_size; i += 1 + rng_below(r, 4))
			query[nq++] = query[i];
		for (i = nq - 1; i > 0; i--)
		{
			int			j = rng_below(r, i + 1);
			uint32		x = query[i];

			query[i] = query[j];
			query[j] = x;
		}

		/*
		 * The query, then the same again and with other trigrams no
		 * document holds: both answered from the memo.
		 */
		for (round = 0; round < 3; round++)
		{
			int			nsorted;
			int			ndistinct = -1;
			int			pass;

			for (i = 0; i < nq; i++)
				variant[i] = (round == 2 && query[i] > universe && query[i] < 0x80000000u) ?
					query[i] + 1000 : query[i];
			nsorted = sort_unique_trigrams(memcpy(sorted, variant, sizeof(uint32) * nq), nq);

			/*
			 * The search, then (pass 1) the distinct trigrams it left at the
			 * front, through the search of a query already told apart.
			 */
			for (pass = 0; pass < 2; pass++)
			{
				for (d = 0; d < ndocs; d++)
					hits.similarity[d] = -1.0f;
				hits.nhits = 0;
				hits.repeated = false;
				if (pass == 0)
					ndistinct = cz_trgm_search(idx, variant, nq, t, cap, trgm_collect, &hits);
				else if (ndistinct < 0)
					break;
				else
				{
					if (ndistinct != nsorted ||
						sort_unique_trigrams(variant, ndistinct) != nsorted ||
						memcmp(variant, sorted, sizeof(uint32) * nsorted) != 0)
						FUZZ_FAIL("trigram search left other distinct trigrams than the query's");
					cz_trgm_search_distinct(idx, variant, ndistinct, t, cap, trgm_collect, &hits);
				}
				if (hits.repeated)
					FUZZ_FAIL("trigram search reported a document twice");
				for (d = 0; d < ndocs; d++)
				{
					float		sim = nsorted > 0 ?
						cz_trgm_similarity(sorted, nsorted, docs[d], ndoc[d]) : 0.0f;
					bool		reported = hits.similarity[d] >= 0.0f;

					if (reported && (hits.similarity[d] != sim || sim < t))
						FUZZ_FAIL("trigram search reported a wrong similarity");
					if (!reported && sim >= t && cap == 0)
						FUZZ_FAIL("trigram search missed a document at the threshold");
					checks++;
				}
				if (round == 0 && pass == 0)
					first_nhits = hits.nhits;
				else if (hits.nhits != first_nhits)
					FUZZ_FAIL("trigram search answered a repeated query differently");
			}
		}
	}
	return checks;
}

PG_FUNCTION_INFO_V1(categorize_fuzz_engine);
Datum
categorize_fuzz_engine(PG_FUNCTION_ARGS)
{
	int64		seed = PG_GETARG_INT64(0);
	int32		iterations = PG_GETARG_INT32(1);
	FuzzRng		rng;
	MemoryContext cxt;
	MemoryContext old;
	int64		checks = 0;
	int			iter;

	rng.state = (uint64) seed * UINT64CONST(0x9E3779B97F4A7C15) + 1;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "categorize fuzz",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	checks += check_trigram_memo_collision(&rng, seed, cxt);

	for (iter = 0; iter < iterations; iter++)
	{
		int			len;
		char	   *in;
		char	   *out;
		char	   *again;
		int			n,
					n2;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(cxt);

		/* lengths: mostly short, sometimes empty, sometimes large */
		switch (rng_below(&rng, 8))
		{
			case 0:
				len = 0;
				break;
			case 1:
				len = 1 + rng_below(&rng, 3);
				break;
			case 2:
				len = 1000 + rng_below(&rng, 100000);
				break;
			default:
				len = rng_below(&rng, 200);
				break;
		}
		in = palloc(len + 1);
		random_bytes(&rng, in, len);

		/* numeric amounts */
		for (n = 0; n < 8; n++)
			checks += check_numeric(&rng, seed, iter);

		/* the trigram index search, every eighth iteration */
		if (iter % 8 == 0)
			checks += check_trigram_search(&rng, seed, iter, cxt);

		/* normalization */
		out = palloc(CZ_NORMALIZED_MAX(len));
		n = cz_normalize(in, len, out);
		check_normalized(out, n, len, seed, iter);
		again = palloc(CZ_NORMALIZED_MAX(n));
		n2 = cz_normalize(out, n, again);
		if (n2 != n || memcmp(out, again, n) != 0)
			FUZZ_FAIL("normalization is not idempotent");
		checks += 2;

		/* trigrams */
		if (n > 0)
		{
			uint32	   *t = palloc(sizeof(uint32) * CZ_TRGM_MAX(n));
			int			nt = cz_trgm_extract(out, n, t);
			int			i;

			if (nt > n + 2 || nt < 1)
				FUZZ_FAIL("trigram count out of bounds");
			for (i = 1; i < nt; i++)
				if (t[i - 1] >= t[i])
					FUZZ_FAIL("trigrams not sorted and unique");
			if (cz_trgm_similarity(t, nt, t, nt) != 1.0f)
				FUZZ_FAIL("text not fully similar to itself");
			{
				uint32	   *fast = palloc(sizeof(uint32) * CZ_TRGM_MAX(n));
				uint32	   *generic = palloc(sizeof(uint32) * CZ_TRGM_MAX(n));
				int			nf = cz_trgm_extract_all(out, n, fast);
				int			ng = cz_trgm_extract_generic(out, n, generic);

				if (nf != ng || memcmp(fast, generic, sizeof(uint32) * nf) != 0)
					FUZZ_FAIL("fast trigram extraction differs from the generic one");
			}
			checks += 3;
		}

		/*
		 * single-byte texts as they may come, not normalized: runs of
		 * spaces, none at either end, empty
		 */
		{
			static const char alphabet[] = "ab1 ";
			int			slen = rng_below(&rng, 24);
			char	   *text = palloc(slen + 1);
			uint32	   *fast = palloc(sizeof(uint32) * CZ_TRGM_MAX(slen));
			uint32	   *generic = palloc(sizeof(uint32) * CZ_TRGM_MAX(slen));
			int			nf,
						ng,
						i;

			for (i = 0; i < slen; i++)
				text[i] = alphabet[rng_below(&rng, 4)];
			nf = cz_trgm_extract_all(text, slen, fast);
			ng = cz_trgm_extract_generic(text, slen, generic);
			if (nf != ng || memcmp(fast, generic, sizeof(uint32) * nf) != 0)
				FUZZ_FAIL("single-byte trigram extraction differs from the generic one");
			checks++;
		}

		/* automaton against a naive search */
		if (iter % 4 == 0)
		{
			bool		many = (iter % 64 == 0);
			int			nkeys = many ? 20000 : 1 + rng_below(&rng, 40);
			CzAcBuilder *b = cz_ac_builder_create(cxt);
			CzAutomaton *ac;
			ScanCheck	sc;
			int			tlen;
			char	   *text;
			int			k;
			int			total;
			int32		word_min;
			bool		finished;

			/* sometimes long enough for the 64kB ticks */
			if (many)
				tlen = 20000;
			else if (iter % 64 == 4)
				tlen = 65535 + rng_below(&rng, 140000);
			else
				tlen = rng_below(&rng, 2000);
			/*
			 * the scan reads past the text (automaton.h): defined bytes,
			 * and no space among them, so the scan must stop at the
			 * text's end by itself (test/asan/run.sh checks it reads no
			 * further)
			 */
			text = palloc(tlen + CZ_AC_SCAN_SLACK);
			memset(text + tlen, 'x', CZ_AC_SCAN_SLACK);

			sc.keys = palloc(sizeof(char *) * nkeys);
			sc.key_id_of = palloc(sizeof(int) * nkeys);
			for (k = 0; k < nkeys; k++)
			{
				int			klen;

				/* whole-word keys (" w w "), which the word index takes */
				if (rng_below(&rng, 2) == 0)
				{
					klen = random_words(&rng, fuzz_word_buf, many ? 4 : 3);
					sc.keys[k] = palloc(klen + 1);
					memcpy(sc.keys[k], fuzz_word_buf, klen);
				}
				else
				{
					klen = 1 + rng_below(&rng, many ? 12 : 6);
					sc.keys[k] = palloc(klen + 1);
					random_bytes(&rng, sc.keys[k], klen);
				}
				/* keys never hold NUL (see automaton.h); texts may */
				for (int j = 0; j < klen; j++)
					if (sc.keys[k][j] == '\0')
						sc.keys[k][j] = '\x01';
				sc.keys[k][klen] = '\0';
				sc.key_id_of[k] = cz_ac_builder_add(b, sc.keys[k], klen);
			}
			/*
			 * a tiny budget leaves only the root (or a few states) dense;
			 * whole-word keys in the trie or in the word index
			 */
			word_min = rng_below(&rng, 2) == 0 ? 0 : PG_INT32_MAX;
			switch (rng_below(&rng, 3))
			{
				case 0:
					ac = cz_ac_build(b, cxt);
					break;
				case 1:
					ac = cz_ac_build_with_budget(b, cxt, 0, word_min);
					break;
				default:
					ac = cz_ac_build_with_budget(b, cxt, rng_below(&rng, 64 * 1024),
												 word_min);
					break;
			}
			/* raw bytes, or words (the keys' own) between runs of spaces */
			if (rng_below(&rng, 2) == 0)
				random_bytes(&rng, text, tlen);
			else
			{
				int			at = 0;

				while (at < tlen)
				{
					int			n = random_words(&rng, fuzz_word_buf, 2);
					int			from = rng_below(&rng, 4) == 0 ? 0 : 1;

					n = Min(n - from, tlen - at);
					memcpy(text + at, fuzz_word_buf + from, n);
					at += n;
				}
			}
			/* plant some keys in the text */
			for (k = 0; k < nkeys && k < 50; k++)
			{
				int			klen = cz_ac_key_length(ac, sc.key_id_of[k]);
				int			at;

				if (tlen <= klen)
					break;
				at = rng_below(&rng, tlen - klen);
				memcpy(text + at, sc.keys[k], klen);
			}

			sc.text = text;
			sc.len = tlen;
			sc.ac = ac;
			sc.nkeys = nkeys;
			sc.found = palloc0(sizeof(int) * cz_ac_key_count(ac));
			sc.bad_hit = false;
			sc.nticks = 0;
			sc.bad_tick = false;
			sc.stop_after = -1;
			sc.nhits = 0;
			if (!cz_ac_scan(ac, text, tlen, scan_hit, &sc))
				FUZZ_FAIL("automaton scan stopped without being told to");
			if (sc.bad_hit)
				FUZZ_FAIL("automaton reported an occurrence that is not there");
			if (sc.bad_tick || sc.nticks != (tlen >> 16))
				FUZZ_FAIL("automaton ticks not every 64kB");
			/* every key when there are few; a sample of the many */
			for (k = 0; k < nkeys; k += many ? 97 : 1)
			{
				int			id = sc.key_id_of[k];
				int			klen = cz_ac_key_length(ac, id);

				if (sc.found[id] != naive_count(text, tlen, sc.keys[k], klen))
					FUZZ_FAIL("automaton missed occurrences a naive search finds");
				checks++;
			}

			/* a callback returning false stops the scan there */
			total = sc.nhits;
			if (total > 0 && !many)
			{
				memset(sc.found, 0, sizeof(int) * cz_ac_key_count(ac));
				sc.stop_after = 1 + rng_below(&rng, total);
				sc.nhits = 0;
				sc.nticks = 0;
				finished = cz_ac_scan(ac, text, tlen, scan_hit, &sc);
				if (finished || sc.bad_hit || sc.nhits != sc.stop_after)
					FUZZ_FAIL("automaton scan did not stop when told to");
				checks++;
			}
		}
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_INT64(checks);
}

/* ---------- the regex DFA against PostgreSQL's engine ---------- */

typedef struct RegexGen
{
	FuzzRng    *rng;
	StringInfoData buf;
} RegexGen;

static void gen_alternation(RegexGen *g, int depth);

static void
gen_bracket(RegexGen *g)
{
	static const char *const items[] = {
		"a", "b", "B", "1", " ", "_", "-", ".", "a-c", "A-Z", "0-9", "Z-a",
		"\\d", "\\s", "\\w", "\\.", "\\]", "x-z", "[", "*"
	};
	int			n = 1 + rng_below(g->rng, 3);

	appendStringInfoChar(&g->buf, '[');
	if (rng_below(g->rng, 3) == 0)
		appendStringInfoChar(&g->buf, '^');
	if (rng_below(g->rng, 10) == 0)
		appendStringInfoChar(&g->buf, ']');
	while (n-- > 0)
		appendStringInfoString(&g->buf, items[rng_below(g->rng, lengthof(items))]);
	appendStringInfoChar(&g->buf, ']');
}

static void
gen_atom(RegexGen *g, int depth)
{
	static const char *const simple[] = {
		"a", "b", "c", "A", "B", " ", "1", "_", "-", ",", "/", "\\.", "\\*", "\\$",
		"\\\\", "\\(", "\\t", "\\n", ".", "\\d", "\\s", "\\w", "\\D", "\\S", "\\W",
		"^", "$", "\\m", "\\M", "\\y", "\\Y", "\\A", "\\Z",
		/* outside the subset: the DFA must decline, not misread them */
		"\\1", "(?=a)", "[[:alpha:]]", "\xc3\xa9", "\\b", "\\x41", "(?i)", "[[.a.]]"
	};
	int			k = rng_below(g->rng, 10);

	if (k < 2)
		gen_bracket(g);
	else if (k < 4 && depth < 3)
	{
		appendStringInfoString(&g->buf, rng_below(g->rng, 2) ? "(" : "(?:");
		gen_alternation(g, depth + 1);
		appendStringInfoChar(&g->buf, ')');
	}
	else
		appendStringInfoString(&g->buf,
							   simple[rng_below(g->rng, lengthof(simple) - (rng_below(g->rng, 8) ? 8 : 0))]);
}

static void
gen_branch(RegexGen *g, int depth)
{
	static const char *const quantifiers[] = {
		"*", "+", "?", "{2}", "{0,2}", "{1,}", "{0}", "*?", "+?", "??", "{1,3}?"
	};
	int			n = rng_below(g->rng, 5);

	while (n-- > 0)
	{
		gen_atom(g, depth);
		if (rng_below(g->rng, 3) == 0)
			appendStringInfoString(&g->buf, quantifiers[rng_below(g->rng, lengthof(quantifiers))]);
	}
}

static void
gen_alternation(RegexGen *g, int depth)
{
	gen_branch(g, depth);
	while (rng_below(g->rng, 5) == 0)
	{
		appendStringInfoChar(&g->buf, '|');
		gen_branch(g, depth);
	}
}

static int
random_text(FuzzRng *r, char *buf, int cap)
{
	static const char *const pieces[] = {
		"a", "b", "c", "A", "B", "C", "x", "Z", " ", "1", "7", "_", "-", ".", ",", "/",
		"*", "$", "\\", "(", "[", "]", "\n", "\t", "\x1c", "\x7f",
		"\xc3\xa9", "\xc3\xbc", "\xc2\xa0", "\xc4\xb0", "\xe2\x80\x83", "\xd9\xa3"
	};
	int			n = rng_below(r, 14);
	int			len = 0;

	while (n-- > 0)
	{
		const char *p = pieces[rng_below(r, lengthof(pieces))];
		int			l = strlen(p);

		if (len + l > cap)
			break;
		memcpy(buf + len, p, l);
		len += l;
	}
	return len;
}

static int
pg_engine_matches(regex_t *re, const char *text, int len)
{
	pg_wchar   *wide = palloc(sizeof(pg_wchar) * (len + 1));
	int			wlen = pg_mb2wchar_with_len(text, wide, len);
	int			rc = pg_regexec(re, wide, wlen, 0, NULL, 0, NULL, 0);

	if (rc != REG_OKAY && rc != REG_NOMATCH)
		elog(ERROR, "pg_regexec failed: %d", rc);
	return rc == REG_OKAY ? CZ_DFA_MATCH : CZ_DFA_NOMATCH;
}

/*
 * categorize._fuzz_regex(seed, iterations): random patterns (mostly in the
 * DFA's subset, some outside it) and random texts (ASCII, control bytes,
 * non-ASCII letters and spaces), a quarter of them with a DFA memory
 * budget of a few kB; wherever the DFA gives an answer it must be
 * pg_regexec()'s.  Errors on the first disagreement, naming pattern and
 * text.  Returns the number of (pattern, text) answers compared (0 where
 * the DFA is not used: a database that is not UTF-8, or a locale that
 * folds ASCII letters to other letters); also
 * errors if the DFA took under a third of the patterns PostgreSQL
 * accepted, so the test cannot pass by declining everything.
 */
PG_FUNCTION_INFO_V1(categorize_fuzz_regex);
Datum
categorize_fuzz_regex(PG_FUNCTION_ARGS)
{
	int64		seed = PG_GETARG_INT64(0);
	int32		iterations = PG_GETARG_INT32(1);
	FuzzRng		rng;
	MemoryContext cxt;
	MemoryContext old;
	int64		compared = 0;
	int			accepted = 0;
	int			taken = 0;
	int			iter;

	rng.state = (uint64) seed * UINT64CONST(0x9E3779B97F4A7C15) + 7;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "categorize regex fuzz",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	/* not a UTF-8 database, or a locale that folds case beyond ASCII */
	{
		CzRegexDfaBudget budget = {0, CZ_REGEX_DFA_MEMORY};

		if (cz_regex_dfa_compile("a", 1, cxt, &budget) == NULL)
		{
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			PG_RETURN_INT64(0);
		}
	}

	for (iter = 0; iter < iterations; iter++)
	{
		RegexGen	g;
		pg_wchar   *wide;
		int			wlen;
		regex_t		re;
		CzRegexDfa *dfa;
		CzRegexDfaBudget budget;
		int			t;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(cxt);
		g.rng = &rng;
		initStringInfo(&g.buf);
		gen_alternation(&g, 0);

		wide = palloc(sizeof(pg_wchar) * (g.buf.len + 1));
		wlen = pg_mb2wchar_with_len(g.buf.data, wide, g.buf.len);
		if (pg_regcomp(&re, wide, wlen, REG_ADVANCED | REG_ICASE,
					   DEFAULT_COLLATION_OID) != REG_OKAY)
			continue;			/* not a pattern users could store */
		accepted++;
		/* sometimes a budget so small that the DFA soon stops growing */
		budget.used = 0;
		budget.limit = (iter % 4 == 3) ? (Size) rng_below(&rng, 4096) : CZ_REGEX_DFA_MEMORY;
		dfa = cz_regex_dfa_compile(g.buf.data, g.buf.len, cxt, &budget);
		if (dfa != NULL)
		{
			taken++;
			for (t = 0; t < 40; t++)
			{
				char		text[64];
				int			len = random_text(&rng, text, sizeof(text));
				int			mine = cz_regex_dfa_match(dfa, text, len);
				int			theirs;

				if (mine == CZ_DFA_UNKNOWN)
					continue;
				theirs = pg_engine_matches(&re, text, len);
				if (mine != theirs)
				{
					pg_regfree(&re);
					ereport(ERROR,
							(errcode(ERRCODE_INTERNAL_ERROR),
							 errmsg("categorize fuzz: the regex DFA says %s where PostgreSQL says %s",
									mine == CZ_DFA_MATCH ? "match" : "no match",
									theirs == CZ_DFA_MATCH ? "match" : "no match"),
							 errdetail("pattern \"%s\", text \"%s\" (seed %lld, iteration %d)",
									   g.buf.data, pnstrdup(text, len), (long long) seed, iter)));
				}
				compared++;
			}
		}
		pg_regfree(&re);
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	if (accepted > 30 && taken * 3 < accepted)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("categorize fuzz: the regex DFA took only %d of %d patterns", taken, accepted)));
	PG_RETURN_INT64(compared);
}
