/*-------------------------------------------------------------------------
 *
 * trigram.c
 *	  Trigram extraction, similarity and the inverted index behind fuzzy
 *	  merchant matching.
 *
 *	  Trigrams follow pg_trgm: the text is split into words, each word is
 *	  padded with two spaces in front and one behind, and every run of
 *	  three characters is a trigram.  Three single-byte characters are
 *	  packed into the low 24 bits; trigrams with multi-byte characters are
 *	  hashed with the top bit set.  Similarity is |A ∩ B| / |A ∪ B|.
 *
 *	  Search uses prefix filtering on both sides (as in the AllPairs and
 *	  PPJoin similarity joins): trigrams are ordered rarest first, each
 *	  document is posted only under the trigrams of its prefix, and only
 *	  the postings of the query's prefix are read.  Each candidate found
 *	  there passes the size and positional filters (from the posting
 *	  alone) and a 64-bit signature bound before it is verified, by probing
 *	  a hash set of the query's trigrams.  The cost of a lookup follows the
 *	  rare trigrams, not the number of merchants.  Before a query trigram
 *	  is looked up in the table, a filter of 16 bits per known trigram (a
 *	  few percent of false positives) turns away most of those no merchant
 *	  holds, without a read at a random place in the table.
 *	  The prefix postings depend on the threshold: they are built for the
 *	  threshold in force (cz_trgm_index_prepare) and rebuilt when a search
 *	  uses another one.
 *
 *	  Searches are memoized (fuzzy_cache.c) under the query's trigrams
 *	  that the filter says some document may hold and its count of
 *	  distinct trigrams (the trigrams some document holds, all an answer
 *	  depends on, follow from those), so texts differing only in words no
 *	  merchant shares (reference numbers, dates) are searched once, and a
 *	  remembered search reads nothing of the table.
 *
 *	  The index is backend-local and immutable except for the prefix
 *	  postings, the memo and a stamp array used to visit each candidate
 *	  once per search; no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "categorize.h"
#include "fuzzy_cache.h"
#include "trigram.h"

/*
 * Searches whose query has at most this many trigrams the filter of known
 * trigrams lets through are memoized (fuzzy_cache.c): the key is the count
 * of the query's distinct trigrams and those trigrams, as a set.
 */
#define MEMO_MAX_KNOWN	63
#define MEMO_SETS		2048

typedef struct TrgmSlot
{
	uint32		trigram;
	uint32		count;			/* documents holding it; 0: empty slot */
	uint32		start;			/* into prefix_postings */
	uint32		nprefix;		/* documents holding it in their prefix */
} TrgmSlot;

/*
 * A document listed under one of its prefix trigrams, at position pos,
 * with its trigram count and its trigram signature, so the size, position
 * and signature filters run on the posting alone: the candidates they
 * reject (nearly all) cost no read at a random place.  pos and ntrgms
 * saturate at PG_UINT16_MAX, which only weakens the filters (a saturated
 * size is looked up in doc_start).
 */
typedef struct PrefixPosting
{
	int32		doc;
	uint16		pos;
	uint16		ntrgms;
	uint64		sig;			/* trigram_sig_bit() of its trigrams, ORed */
} PrefixPosting;

struct CzTrgmIndex
{
	MemoryContext cxt;
	int32		ndocs;
	int32		max_doc_trgms;
	uint32	   *doc_start;		/* ndocs + 1, into doc_trgms */
	uint32	   *doc_trgms;		/* each document's trigrams, sorted by value */
	uint32		mask;			/* hash table size - 1 */
	uint32		nslots_used;
	TrgmSlot   *slots;
	/* a bit per trigram_known_bit() of every trigram in the table */
	uint64	   *known;
	int			known_shift;	/* 32 - log2(bits) */
	/* prefix postings for prefix_threshold (built on first search) */
	float		prefix_threshold;
	struct PrefixPosting *prefix_postings;
	uint32	   *stamp;			/* per document: last search that saw it */
	uint32		current_stamp;
	struct CzFuzzyCache *memo;	/* searches' answers (made on first use) */
};

static inline uint32
trgm_hash(uint32 t)
{
	return murmurhash32(t);
}

/*
 * A trigram's bit in the filter of known trigrams, from its hash (whose
 * low bits place it in the table): most trigrams of a text are in no
 * merchant name, and the filter, a few bits per trigram in the table,
 * stays in cache where the table does not.
 */
static inline int
trigram_maybe_known(const CzTrgmIndex *idx, uint32 h)
{
	uint32		bit = h >> idx->known_shift;

	return (int) ((idx->known[bit / 64] >> (bit % 64)) & 1);
}

/* A hint to start loading a cache line that will be read soon. */
#if defined(__GNUC__) || defined(__clang__)
#define cz_prefetch(p)	__builtin_prefetch(p)
#else
#define cz_prefetch(p)	((void) 0)
#endif

/*
 * A trigram's bit in a 64-bit set signature.  Every bit of a document's
 * signature missing from the query's stands for at least one document
 * trigram the query lacks (distinct bits, distinct trigrams), so
 * |D| - popcount(sig(D) & ~sig(Q)) bounds the common trigrams from above
 * without reading the document's trigrams.
 */
static inline uint64
trigram_sig_bit(uint32 t)
{
	return UINT64CONST(1) << ((t * 0x9E3779B1u) >> 26);
}

/* sort_uint32(): an inlined sort of plain integers */
#define ST_SORT sort_uint32
#define ST_ELEMENT_TYPE uint32
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/* Sort and deduplicate; returns the new length. */
static int
sort_unique(uint32 *v, int n)
{
	int			i,
				j;

	if (n <= 1)
		return n;
	if (n <= 24)
	{
		for (i = 1; i < n; i++)
		{
			uint32		x = v[i];

			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	}
	else
		sort_uint32(v, n);
	for (i = 1, j = 0; i < n; i++)
		if (v[i] != v[j])
			v[++j] = v[i];
	return j + 1;
}

static inline int
char_len(const unsigned char *p, const unsigned char *end)
{
	int			n = 1;

	if (*p >= 0xF0)
		n = 4;
	else if (*p >= 0xE0)
		n = 3;
	else if (*p >= 0xC0)
		n = 2;
	return (p + n <= end) ? n : (int) (end - p);
}

static inline uint32
make_trigram(const unsigned char *c0, int l0, const unsigned char *c1, int l1,
			 const unsigned char *c2, int l2)
{
	unsigned char buf[12];

	if (l0 == 1 && l1 == 1 && l2 == 1)
		return ((uint32) *c0 << 16) | ((uint32) *c1 << 8) | (uint32) *c2;
	memcpy(buf, c0, l0);
	memcpy(buf + l0, c1, l1);
	memcpy(buf + l0 + l1, c2, l2);
	return hash_bytes(buf, l0 + l1 + l2) | 0x80000000;
}

/*
 * Every trigram of normalized text, in text order, duplicates included;
 * words of single-byte characters take a fast path unless generic_only
 * (the fuzzer compares both).
 */
static int
extract_all(const char *norm, int len, uint32 *out, bool generic_only)
{
	const unsigned char *p = (const unsigned char *) norm;
	const unsigned char *end = p + len;
	static const unsigned char space = ' ';
	int			n = 0;

	while (p < end)
	{
		const unsigned char *prev2,
				   *prev1;
		int			l2,
					l1;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;

		/* a word of single-byte characters: roll the packed trigram */
		{
			const unsigned char *w = p;
			unsigned char high = 0;

			while (w < end && *w != ' ')
				high |= *w++;
			if (high < 0x80 && !generic_only)
			{
				uint32		window = (' ' << 8) | ' ';

				for (; p < w; p++)
				{
					window = ((window << 8) | *p) & 0xFFFFFF;
					out[n++] = window;
				}
				out[n++] = ((window << 8) | ' ') & 0xFFFFFF;
				continue;
			}
		}

		/* the two leading pad characters */
		prev2 = &space;
		l2 = 1;
		prev1 = &space;
		l1 = 1;
		while (p < end && *p != ' ')
		{
			int			l = char_len(p, end);

			out[n++] = make_trigram(prev2, l2, prev1, l1, p, l);
			prev2 = prev1;
			l2 = l1;
			prev1 = p;
			l1 = l;
			p += l;
		}
		/* the trailing pad */
		out[n++] = make_trigram(prev2, l2, prev1, l1, &space, 1);
	}
	return n;
}

int
cz_trgm_extract_all(const char *norm, int len, uint32 *out)
{
	return extract_all(norm, len, out, false);
}

int
cz_trgm_extract_generic(const char *norm, int len, uint32 *out)
{
	return extract_all(norm, len, out, true);
}

int
cz_trgm_extract(const char *norm, int len, uint32 *out)
{
	return sort_unique(out, extract_all(norm, len, out, false));
}

/*
 * Common elements of two sorted sets, or some number below need as soon as
 * need can no longer be reached.  The merge steps are branch-free: which
 * side advances is data, not a branch to mispredict.
 */
static inline int
count_common_bounded(const uint32 *a, int na, const uint32 *b, int nb, int need)
{
	int			i = 0,
				j = 0,
				c = 0;

	while (i < na && j < nb)
	{
		uint32		x = a[i];
		uint32		y = b[j];

		c += (x == y);
		i += (x <= y);
		j += (y <= x);
		if (unlikely(c + Min(na - i, nb - j) < need))
			return c;
	}
	return c;
}


float
cz_trgm_similarity(const uint32 *a, int na, const uint32 *b, int nb)
{
	int			c;

	if (na == 0 || nb == 0)
		return 0.0f;
	c = count_common_bounded(a, na, b, nb, 0);
	return (float) c / (float) (na + nb - c);
}

/* The slot of a trigram whose trgm_hash() is h, or the empty slot for it. */
static inline TrgmSlot *
find_slot_hashed(const CzTrgmIndex *idx, uint32 trigram, uint32 h)
{
	h &= idx->mask;
	for (;;)
	{
		TrgmSlot   *slot = &idx->slots[h];

		if (slot->count == 0 || slot->trigram == trigram)
			return slot;
		h = (h + 1) & idx->mask;
	}
}

static TrgmSlot *
find_slot(const CzTrgmIndex *idx, uint32 trigram)
{
	return find_slot_hashed(idx, trigram, trgm_hash(trigram));
}

/* Double the hash table (keeps it at most half full). */
static void
grow_slots(CzTrgmIndex *idx)
{
	TrgmSlot   *old = idx->slots;
	uint32		oldsize = idx->mask + 1;
	uint32		i;

	idx->mask = oldsize * 2 - 1;
	idx->slots = MemoryContextAllocExtended(idx->cxt, sizeof(TrgmSlot) * oldsize * 2,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < oldsize; i++)
		if (old[i].count > 0)
			*find_slot(idx, old[i].trigram) = old[i];
	pfree(old);
}

/*
 * Number of a document's rarest trigrams that must hold one it shares with
 * any query at similarity >= t: a match needs common >= t * |D|, so at
 * least one shared trigram lies among the first |D| - ceil(t * |D|) + 1
 * in the global order.  The bound is lowered slightly to absorb float
 * rounding in the similarity test (a longer prefix only adds candidates).
 */
static inline int
doc_prefix_length(int nd, float t)
{
	int			min_common = (int) ceil((double) t * nd * (1.0 - 1e-5) - 1e-3);

	return nd - Max(min_common, 1) + 1;
}

/* Order of trigrams in prefixes: rarer first, then by value. */
static inline bool
ranks_before(const TrgmSlot *a, const TrgmSlot *b)
{
	return a->count < b->count || (a->count == b->count && a->trigram < b->trigram);
}

/*
 * Every document's trigrams as slot numbers, rarest first (laid out as
 * doc_trgms), in a temporary array: only building prefix postings needs
 * the order, so the index does not keep it.
 */
static uint32 *
rank_documents(CzTrgmIndex *idx)
{
	uint32	   *ranked = palloc_extended(sizeof(uint32) * Max(idx->doc_start[idx->ndocs], 1),
										 MCXT_ALLOC_HUGE);
	int32		d;

	for (d = 0; d < idx->ndocs; d++)
	{
		uint32		first = idx->doc_start[d];
		uint32	   *r = ranked + first;
		int			n = idx->doc_start[d + 1] - first;
		int			i,
					j;

		if ((d & 0x3FFF) == 0)
			CZ_CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
		{
			uint32		x = (uint32) (find_slot(idx, idx->doc_trgms[first + i]) - idx->slots);

			for (j = i; j > 0 && ranks_before(&idx->slots[x], &idx->slots[r[j - 1]]); j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
	}
	return ranked;
}

/*
 * (Re)build the prefix postings for threshold t: each document is listed
 * under the trigrams of its prefix only.
 *
 * Each list is filled in order of position (then document), so a search
 * can stop reading a list at the deepest position that can still match:
 * documents by prefix length, longest first, then position by position
 * over the documents whose prefix reaches it.  The documents' prefixes
 * are first copied into columns, one per position, in that document
 * order, with the documents' sizes and signatures beside them: the fill
 * then reads everything in order and meets only the slot and the list it
 * writes to at random (with 100k merchants the fill was mostly cache
 * misses on document arrays).
 */
static void
prepare_prefixes(CzTrgmIndex *idx, float t)
{
	uint32		size = idx->mask + 1;
	uint32		total = 0;
	uint32		i;
	int32		d;
	int32		a;
	int32		j;
	uint32	   *ranked = rank_documents(idx);
	int32	   *plen;			/* per document: its prefix length */
	int32	   *by_len;			/* documents, longest prefix first */
	int32	   *bucket;
	uint16	   *len_ntrgms;		/* per document in by_len order */
	uint64	   *len_sig;		/* per document in by_len order */
	uint32	   *col_start;		/* per position: its column in cols */
	uint32	   *cols;			/* column j: slot of trigram j of each
								 * document in by_len order that has one */
	int32		maxlen = 0;
	int32		nactive;

	if (idx->prefix_postings)
		pfree(idx->prefix_postings);
	idx->prefix_postings = NULL;

	/* documents by prefix length, longest first (a counting sort) */
	plen = palloc_extended(sizeof(int32) * Max(idx->ndocs, 1), MCXT_ALLOC_HUGE);
	by_len = palloc_extended(sizeof(int32) * Max(idx->ndocs, 1), MCXT_ALLOC_HUGE);
	for (d = 0; d < idx->ndocs; d++)
	{
		plen[d] = doc_prefix_length(idx->doc_start[d + 1] - idx->doc_start[d], t);
		maxlen = Max(maxlen, plen[d]);
	}
	bucket = palloc0(sizeof(int32) * (maxlen + 2));
	for (d = 0; d < idx->ndocs; d++)
		bucket[maxlen - plen[d] + 1]++;
	for (j = 1; j <= maxlen + 1; j++)
		bucket[j] += bucket[j - 1];
	for (d = 0; d < idx->ndocs; d++)
		by_len[bucket[maxlen - plen[d]]++] = d;

	/*
	 * Columns: position j holds the documents whose prefix reaches it,
	 * which are the first ones in by_len order.
	 */
	col_start = palloc_extended(sizeof(uint32) * (maxlen + 1), MCXT_ALLOC_HUGE);
	nactive = idx->ndocs;
	for (j = 0; j < maxlen; j++)
	{
		while (nactive > 0 && plen[by_len[nactive - 1]] <= j)
			nactive--;
		col_start[j] = total;
		total += nactive;
	}
	col_start[maxlen] = total;
	cols = palloc_extended(sizeof(uint32) * Max(total, 1), MCXT_ALLOC_HUGE);
	len_ntrgms = palloc_extended(sizeof(uint16) * Max(idx->ndocs, 1), MCXT_ALLOC_HUGE);
	len_sig = palloc_extended(sizeof(uint64) * Max(idx->ndocs, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < size; i++)
		idx->slots[i].nprefix = 0;
	for (a = 0; a < idx->ndocs; a++)
	{
		uint32		first;
		uint32		x;
		uint64		sig = 0;

		d = by_len[a];
		first = idx->doc_start[d];
		if ((a & 0x3FFF) == 0)
			CZ_CHECK_FOR_INTERRUPTS();
		for (j = 0; j < plen[d]; j++)
		{
			uint32		slot = ranked[first + j];

			cols[col_start[j] + a] = slot;
			idx->slots[slot].nprefix++;
		}
		for (x = first; x < idx->doc_start[d + 1]; x++)
			sig |= trigram_sig_bit(idx->doc_trgms[x]);
		len_ntrgms[a] = (uint16) Min(idx->doc_start[d + 1] - first, PG_UINT16_MAX);
		len_sig[a] = sig;
	}
	pfree(ranked);
	pfree(plen);

	/* lists' places */
	total = 0;
	for (i = 0; i < size; i++)
	{
		idx->slots[i].start = total;
		total += idx->slots[i].nprefix;
		idx->slots[i].nprefix = 0;
	}
	idx->prefix_postings = MemoryContextAllocExtended(idx->cxt,
													  sizeof(PrefixPosting) * Max(total, 1),
													  MCXT_ALLOC_HUGE);

	/* fill, position by position */
	for (j = 0; j < maxlen; j++)
	{
		const uint32 *col = cols + col_start[j];
		int32		n = (int32) (col_start[j + 1] - col_start[j]);

		CZ_CHECK_FOR_INTERRUPTS();
		for (a = 0; a < n; a++)
		{
			TrgmSlot   *slot = &idx->slots[col[a]];
			PrefixPosting *pp = &idx->prefix_postings[slot->start + slot->nprefix++];

			pp->doc = by_len[a];
			pp->pos = (uint16) Min(j, PG_UINT16_MAX);
			pp->ntrgms = len_ntrgms[a];
			pp->sig = len_sig[a];
		}
	}
	pfree(cols);
	pfree(col_start);
	pfree(len_ntrgms);
	pfree(len_sig);
	pfree(by_len);
	pfree(bucket);
	idx->prefix_threshold = t;
}

CzTrgmIndex *
cz_trgm_index_build(int ndocs, uint32 *const *doc_trgms, const int *doc_ntrgms,
					MemoryContext cxt)
{
	CzTrgmIndex *idx = MemoryContextAllocZero(cxt, sizeof(CzTrgmIndex));
	uint64		total = 0;
	int			d,
				i;

	for (d = 0; d < ndocs; d++)
		total += doc_ntrgms[d];
	if (total >= PG_UINT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many merchant trigrams to index")));

	idx->cxt = cxt;
	idx->ndocs = ndocs;
	idx->prefix_threshold = -1.0f;
	idx->doc_start = MemoryContextAllocExtended(cxt, sizeof(uint32) * (ndocs + 1),
												MCXT_ALLOC_HUGE);
	idx->doc_trgms = MemoryContextAllocExtended(cxt, sizeof(uint32) * Max(total, 1),
												MCXT_ALLOC_HUGE);
	idx->stamp = MemoryContextAllocExtended(cxt, sizeof(uint32) * Max(ndocs, 1),
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	idx->current_stamp = 0;

	/* the table grows with the distinct trigrams, not the total */
	idx->mask = 1023;
	idx->slots = MemoryContextAllocExtended(cxt, sizeof(TrgmSlot) * (idx->mask + 1),
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	/* document frequency of every trigram */
	total = 0;
	for (d = 0; d < ndocs; d++)
	{
		idx->doc_start[d] = total;
		memcpy(idx->doc_trgms + total, doc_trgms[d], sizeof(uint32) * doc_ntrgms[d]);
		total += doc_ntrgms[d];
		idx->max_doc_trgms = Max(idx->max_doc_trgms, doc_ntrgms[d]);
		for (i = 0; i < doc_ntrgms[d]; i++)
		{
			TrgmSlot   *slot = find_slot(idx, doc_trgms[d][i]);

			if (slot->count == 0)
			{
				if ((idx->nslots_used + 1) * 2 > idx->mask + 1)
				{
					grow_slots(idx);
					slot = find_slot(idx, doc_trgms[d][i]);
				}
				idx->nslots_used++;
				slot->trigram = doc_trgms[d][i];
			}
			slot->count++;
		}
	}
	idx->doc_start[ndocs] = total;

	/* the filter: 16 bits per trigram (a few % false positives) */
	{
		uint32		bits = 4096;
		uint32		k;

		while (bits < (uint32) 16 * idx->nslots_used && bits < (UINT32_C(1) << 24))
			bits *= 2;
		idx->known_shift = 32 - pg_leftmost_one_pos32(bits);
		idx->known = MemoryContextAllocExtended(cxt, bits / 8,
												MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (k = 0; k <= idx->mask; k++)
			if (idx->slots[k].count > 0)
			{
				uint32		bit = trgm_hash(idx->slots[k].trigram) >> idx->known_shift;

				idx->known[bit / 64] |= UINT64CONST(1) << (bit % 64);
			}
	}

	return idx;
}

/*
 * Build the prefix postings for threshold now (so a search need not);
 * a search with another threshold rebuilds them.
 */
void
cz_trgm_index_prepare(CzTrgmIndex *idx, float threshold)
{
	if (threshold > 0.0f && idx->ndocs > 0 && idx->prefix_threshold != threshold)
		prepare_prefixes(idx, threshold);
}

int
cz_trgm_index_docs(const CzTrgmIndex *index)
{
	return index->ndocs;
}

/*
 * The search's filters count bits on nearly every posting.  Where the
 * compiler may not assume the POPCNT instruction but can target it, the
 * search is compiled twice, and the copy using it runs on CPUs that have
 * it; otherwise bits are counted without a call (pg_popcount64 goes
 * through a pointer).
 */
#if !defined(__POPCNT__) && (defined(__x86_64__) || defined(__i386__)) && \
	defined(__GNUC__) && !defined(__clang__)
#define CZ_POPCNT_DISPATCH 1
#endif

static inline int
popcount64_inline(uint64 x, bool hw)
{
#if defined(__POPCNT__) || defined(CZ_POPCNT_DISPATCH)
	if (hw)
		return __builtin_popcountll(x);
#endif
#ifdef __POPCNT__
	return __builtin_popcountll(x);
#else
	x = x - ((x >> 1) & UINT64CONST(0x5555555555555555));
	x = (x & UINT64CONST(0x3333333333333333)) + ((x >> 2) & UINT64CONST(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64CONST(0x0F0F0F0F0F0F0F0F);
	return (int) ((x * UINT64CONST(0x0101010101010101)) >> 56);
#endif
}

/*
 * The query's trigrams as a small open-addressing set, so verifying a
 * candidate costs one probe per document trigram instead of a merge of
 * both sets (whose compare branch mispredicts about every other step).
 * Trigram 0 cannot occur (text holds no NUL bytes, hashed trigrams have
 * the top bit set), so 0 marks an empty slot.
 */
#define QSET_MAX_BITS	12

/* A query trigram's prefix postings, with its rank in the global order. */
typedef struct QueryList
{
	uint64		rank;			/* document frequency << 32 | trigram */
	uint32		start;
	uint32		nprefix;
} QueryList;

typedef struct QuerySet
{
	uint32		mask;
	int			shift;
	uint32	   *slots;
} QuerySet;

static inline uint32
qset_home(const QuerySet *qs, uint32 t)
{
	return (t * 0x9E3779B1u) >> qs->shift;
}

/*
 * Fill qs (slots has room for 1 << QSET_MAX_BITS) with the query's
 * trigrams, dropping duplicates from query in place (*nquery shrinks);
 * false, with query untouched, if there are too many.
 */
static bool
qset_build(QuerySet *qs, uint32 *slots, uint32 *query, int *nquery)
{
	int			bits = 6;
	int			i,
				n = 0;

	while ((1 << bits) < 4 * *nquery)
		bits++;
	if (bits > QSET_MAX_BITS)
		return false;
	qs->mask = (1u << bits) - 1;
	qs->shift = 32 - bits;
	qs->slots = slots;
	memset(slots, 0, sizeof(uint32) << bits);
	for (i = 0; i < *nquery; i++)
	{
		uint32		t = query[i];
		uint32		h = qset_home(qs, t);

		while (slots[h] != 0 && slots[h] != t)
			h = (h + 1) & qs->mask;
		if (slots[h] == 0)
		{
			slots[h] = t;
			query[n++] = t;
		}
	}
	*nquery = n;
	return true;
}

/*
 * Trigrams of doc also in the query set, or some number below need as
 * soon as need can no longer be reached.
 */
static inline int
qset_count_common(const QuerySet *qs, const uint32 *doc, int nd, int need)
{
	int			c = 0;
	int			k;

	for (k = 0; k < nd; k++)
	{
		uint32		t = doc[k];
		uint32		h = qset_home(qs, t);

		while (qs->slots[h] != 0 && qs->slots[h] != t)
			h = (h + 1) & qs->mask;
		c += (qs->slots[h] == t);
		if (unlikely(c + (nd - k - 1) < need))
			break;
	}
	return c;
}

/*
 * A memo key stored by a search (its distinct trigram count, then the
 * trigrams the filter let through, in any order) is this query's if the
 * counts agree and every stored trigram is in the query: the stored ones
 * are as many as the query's that pass the filter, and all pass it (the
 * index has not changed), so the sets are equal.  Texts that differ only
 * in words no merchant shares list those trigrams in the same order, so a
 * key equal to this query's, byte for byte, is taken without the probes.
 */
typedef struct MemoKeyTest
{
	const QuerySet *qset;
	int			nquery;
	const uint32 *key;			/* this query's key, len bytes as stored */
} MemoKeyTest;

static bool
memo_key_matches(const void *stored, int len, void *arg)
{
	const uint32 *key = (const uint32 *) stored;
	const MemoKeyTest *test = (const MemoKeyTest *) arg;
	int			n = len / sizeof(uint32);
	int			k;

	if (key[0] != (uint32) test->nquery)
		return false;
	if (memcmp(key, test->key, len) == 0)
		return true;
	for (k = 1; k < n; k++)
	{
		uint32		t = key[k];
		uint32		h = qset_home(test->qset, t);

		while (test->qset->slots[h] != 0 && test->qset->slots[h] != t)
			h = (h + 1) & test->qset->mask;
		if (test->qset->slots[h] != t)
			return false;
	}
	return true;
}

/*
 * The hash a search's memo key is kept under: of the query's count of
 * distinct trigrams and of those the filter let through, in any order.
 */
uint32
cz_trgm_memo_hash(const uint32 *trigrams, int n, int nquery)
{
	uint32		h = (uint32) nquery * 0x9E3779B1u;
	int			i;

	for (i = 0; i < n; i++)
		h += murmurhash32(trigrams[i]);
	return murmurhash32(h);
}

/* Common trigrams any document needs with a query of nquery distinct ones. */
static inline int
query_min_common(float threshold, int nquery)
{
	return Max(1, (int) ceil((double) threshold * nquery * (1.0 - 1e-5) - 1e-3));
}

/*
 * Common trigrams a document of nd trigrams needs for similarity >= t:
 * sim >= t needs common >= t(|Q|+|D|)/(1+t) (less a margin for float
 * rounding) and common >= min_common; a size outside [min_size, max_size]
 * can never match and gets a need above any document's size.
 */
#define NEED_TABLE_SIZE 128

static inline int
common_needed(double need_factor, int nquery, int nd, int min_common,
			  int min_size, int max_size)
{
	double		x;
	int			need;

	if (nd < min_size || nd > max_size)
		return PG_INT32_MAX / 4;
	x = need_factor * (nquery + nd) * (1.0 - 1e-5) - 0.01;
	need = (int) x;
	need += (need < x);			/* ceil */
	return Max(need, min_common);
}

/*
 * Prefix filtering on both sides: with trigrams ordered rarest first
 * (document frequency, then value), a document at similarity >= t shares
 * with the query a trigram that lies in the query's first
 * |Q| - ceil(t * |Q|) + 1 trigrams and in the document's prefix, so only
 * the prefix postings of the query's prefix are read.  Each candidate is
 * then verified by merging the two sorted sets.
 */
static pg_attribute_always_inline int
search_impl(CzTrgmIndex *idx, uint32 *query, int nquery,
			float threshold, int max_candidates, CzTrgmHitFn hit, void *arg,
			bool hw_popcount)
{
	int			examined = 0;
	uint32		qset_slots[1 << QSET_MAX_BITS];
	QuerySet	qset = {0};
	bool		use_qset;
	double		need_factor;
	int			need_by_size[NEED_TABLE_SIZE];
	int			need_table_len;
	uint64		query_sig = 0;
	QueryList	local[64];
	uint32		memo_key[1 + MEMO_MAX_KNOWN];
	int			memo_key_len = 0;
	uint32		memo_hash = 0;
	bool		recording = false;
	CzFuzzyHit	recorded[CZ_FUZZY_CACHE_MAX_HITS];
	int			nrecorded = 0;
	QueryList  *lists;
	int			nzero,
				nlists;
	int			min_common,
				nprefix,
				min_size,
				max_size,
				max_nd,
				pos_limit,
				i,
				j;

	if (nquery == 0 || idx->ndocs == 0 || threshold <= 0.0f)
		return -1;

	/* a set of distinct trigrams: hashed, or else sorted for merging */
	use_qset = qset_build(&qset, qset_slots, query, &nquery);
	if (!use_qset)
		nquery = sort_unique(query, nquery);

	/* sim >= t needs common >= t*|Q| and t*|Q| <= |D| <= |Q|/t */
	min_common = query_min_common(threshold, nquery);
	min_size = min_common;
	max_size = (int) floor(nquery / (double) threshold * (1.0 + 1e-5) + 1e-3);
	if (min_size > idx->max_doc_trgms)
		return nquery;
	nprefix = nquery - min_common + 1;

	if (idx->prefix_threshold != threshold)
		prepare_prefixes(idx, threshold);

	/*
	 * The query's trigrams in the global order.  Those in no document come
	 * first (rarest of all) but have no postings, so only their number
	 * matters; the others go by (document frequency, value), picked in that
	 * order as the search reaches them.
	 */
	lists = (nquery <= lengthof(local)) ? local : palloc(sizeof(QueryList) * nquery);
	nzero = nlists = 0;

	/*
	 * Whether each trigram may be known, then those that may (without a
	 * branch): the filter's loads do not wait on one another, as they would
	 * if each placed the next entry.  nprefix holds the answer meanwhile.
	 */
	for (i = 0; i < nquery; i++)
	{
		uint32		h = trgm_hash(query[i]);

		lists[i].start = h;
		lists[i].rank = query[i];
		lists[i].nprefix = (uint32) trigram_maybe_known(idx, h);
	}
	for (i = 0; i < nquery; i++)
	{
		uint32		keep = lists[i].nprefix;

		lists[nlists] = lists[i];
		nlists += keep;
	}
	nzero = nquery - nlists;
	j = nlists;
	if (nzero >= nprefix)
		goto done;				/* the query's prefix is in no document */

	/*
	 * The answer depends on the query only through its number of distinct
	 * trigrams and those of them some document holds: the others have no
	 * postings, and the signature bound they enter only skips postings
	 * that could not match (the candidate cap counts those too).  So texts
	 * differing only in words no merchant shares (reference numbers,
	 * dates) get the same answer, and it is remembered under that key.
	 * The key holds the trigrams the filter of known trigrams let through:
	 * whether it does is a property of the trigram alone, so the same key
	 * means the same known trigrams, and a search answered from the memo
	 * reads no slot of the table.
	 */
	if (use_qset && j <= MEMO_MAX_KNOWN)
	{
		const CzFuzzyHit *memo_hits;
		int			nmemo;
		MemoKeyTest test = {&qset, nquery, memo_key};

		/* the key in the query's order, hashed independently of order */
		memo_key[0] = (uint32) nquery;
		for (i = 0; i < j; i++)
			memo_key[1 + i] = (uint32) lists[i].rank;	/* the trigram */
		memo_hash = cz_trgm_memo_hash(memo_key + 1, j, nquery);
		memo_key_len = sizeof(uint32) * (1 + j);
		if (idx->memo == NULL)
			idx->memo = cz_fuzzy_cache_create(idx->cxt, MEMO_SETS, sizeof(memo_key));
		if (cz_fuzzy_cache_lookup_hashed(idx->memo, memo_hash, memo_key_len,
										 memo_key_matches, &test, threshold,
										 max_candidates, &memo_hits, &nmemo))
		{
			for (i = 0; i < nmemo; i++)
				if (!hit(arg, memo_hits[i].doc, memo_hits[i].similarity))
					break;
			goto done;
		}
		recording = true;
	}

	/*
	 * In a large table (over 256kB) the slots are mostly not in cache, at
	 * random places: start loading them all before the lookups.
	 */
	if (idx->mask >= 16383)
		for (i = 0; i < j; i++)
			cz_prefetch(&idx->slots[lists[i].start & idx->mask]);
	nlists = 0;
	for (i = 0; i < j; i++)
	{
		TrgmSlot   *slot = find_slot_hashed(idx, (uint32) lists[i].rank, lists[i].start);

		if (slot->count == 0)
			nzero++;
		else
		{
			lists[nlists].rank = ((uint64) slot->count << 32) | slot->trigram;
			lists[nlists].start = slot->start;
			lists[nlists].nprefix = slot->nprefix;
			nlists++;
		}
	}
	if (nzero >= nprefix)
		goto done;				/* no document: an empty answer, remembered */

	if (++idx->current_stamp == 0)
	{
		memset(idx->stamp, 0, sizeof(uint32) * idx->ndocs);
		idx->current_stamp = 1;
	}

	/*
	 * The deepest document position that can still match: pos <= |D| -
	 * need, need >= t(|Q|+|D|)/(1+t) - 0.01 and need >= min_common, at the
	 * largest |D| possible.
	 */
	max_nd = Min(max_size, idx->max_doc_trgms);
	pos_limit = Min((int) floor((max_nd - (double) threshold * nquery * (1.0 - 1e-5)) /
								(1.0 + threshold) + 0.01),
					max_nd - min_common);

	need_factor = (double) threshold / (1.0 + threshold);
	need_table_len = Min(NEED_TABLE_SIZE, idx->max_doc_trgms + 1);
	for (i = 0; i < need_table_len; i++)
		need_by_size[i] = common_needed(need_factor, nquery, i, min_common,
										min_size, max_size);
	for (i = 0; i < nquery; i++)
		query_sig |= trigram_sig_bit(query[i]);

	for (i = nzero; i < nprefix && pos_limit >= 0; i++)
	{
		QueryList  *list = &lists[i - nzero];
		const PrefixPosting *pl;
		int			qroom = nquery - i; /* a candidate's need must fit */
		uint32		n,
					k;

		/*
		 * The next list in the global order: lookups mostly stop after a
		 * few lists, so they are picked as needed rather than all sorted.
		 */
		{
			uint64		best = list->rank;
			int			at = i - nzero;

			for (j = i - nzero + 1; j < nlists; j++)
			{
				if (lists[j].rank < best)
				{
					best = lists[j].rank;
					at = j;
				}
			}
			if (at != i - nzero)
			{
				QueryList	x = *list;

				*list = lists[at];
				lists[at] = x;
			}
		}
		pl = idx->prefix_postings + list->start;
		n = list->nprefix;
		/* bounded work: the rarest trigrams' candidates come first */
		if (max_candidates > 0)
			n = Min(n, (uint32) (max_candidates - examined));

		for (k = 0; k < n; k++)
		{
			const PrefixPosting *pp = &pl[k];
			int32		d;
			int			pos = pp->pos;
			int			nd = pp->ntrgms;
			int			need;
			int			common;
			float		sim;

			if (pos > pos_limit)
				break;
			if (likely(nd < need_table_len))
			{
				need = need_by_size[nd];

				/*
				 * Positional filter: at the first meeting, the rarest
				 * common trigram, at most |Q| - need query trigrams and |D|
				 * - need document trigrams may precede it.  A later meeting
				 * is further along on both sides, so it fails whenever the
				 * first did.  The signature bound depends on the document
				 * only.  So neither needs the stamp, and both come before
				 * it.  (A size out of range has a need no position passes.)
				 */
				if ((need > qroom) | (pos + need > nd))
					continue;
				if (likely(popcount64_inline(pp->sig & ~query_sig, hw_popcount) > nd - need))
					continue;
			}
			else
			{
				if (nd == PG_UINT16_MAX)
					nd = idx->doc_start[pp->doc + 1] - idx->doc_start[pp->doc];
				need = common_needed(need_factor, nquery, nd, min_common,
									 min_size, max_size);
				if (need > qroom || pos > nd - need ||
					nd - popcount64_inline(pp->sig & ~query_sig, hw_popcount) < need)
					continue;
			}
			d = pp->doc;
			if (idx->stamp[d] == idx->current_stamp)
				continue;
			idx->stamp[d] = idx->current_stamp;
			if (use_qset)
				common = qset_count_common(&qset, idx->doc_trgms + idx->doc_start[d],
										   nd, need);
			else
				common = count_common_bounded(query, nquery,
											  idx->doc_trgms + idx->doc_start[d],
											  nd, need);
			if (common < need)
				continue;
			sim = (float) common / (float) (nquery + nd - common);
			if (sim < threshold)
				continue;
			if (recording)
			{
				if (nrecorded < CZ_FUZZY_CACHE_MAX_HITS)
				{
					recorded[nrecorded].doc = d;
					recorded[nrecorded].similarity = sim;
				}
				nrecorded++;
			}
			if (!hit(arg, d, sim))
			{
				recording = false;	/* an answer cut short */
				goto done;
			}
		}
		examined += k;
		if (max_candidates > 0 && examined >= max_candidates)
			break;
	}
done:
	if (recording)
		cz_fuzzy_cache_store_hashed(idx->memo, memo_hash, memo_key, memo_key_len,
									threshold, max_candidates, recorded, nrecorded);
	if (lists != local)
		pfree(lists);
	return nquery;
}

static int
search_generic(CzTrgmIndex *idx, uint32 *query, int nquery, float threshold,
			   int max_candidates, CzTrgmHitFn hit, void *arg)
{
	return search_impl(idx, query, nquery, threshold, max_candidates, hit, arg, false);
}

#ifdef CZ_POPCNT_DISPATCH
static int	__attribute__((target("popcnt")))
search_popcnt(CzTrgmIndex *idx, uint32 *query, int nquery, float threshold,
			  int max_candidates, CzTrgmHitFn hit, void *arg)
{
	return search_impl(idx, query, nquery, threshold, max_candidates, hit, arg, true);
}
#endif

int
cz_trgm_search(CzTrgmIndex *idx, uint32 *query, int nquery,
			   float threshold, int max_candidates, CzTrgmHitFn hit, void *arg)
{
#ifdef CZ_POPCNT_DISPATCH
	static int	have_popcnt = -1;

	if (unlikely(have_popcnt < 0))
	{
		__builtin_cpu_init();
		have_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
	}
	if (have_popcnt)
		return search_popcnt(idx, query, nquery, threshold, max_candidates, hit, arg);
#endif
	return search_generic(idx, query, nquery, threshold, max_candidates, hit, arg);
}

void
cz_trgm_search_distinct(CzTrgmIndex *idx, uint32 *query, int nquery,
						float threshold, int max_candidates, CzTrgmHitFn hit, void *arg)
{
	int			known = 0;
	int			i;

	if (nquery == 0 || idx->ndocs == 0 || threshold <= 0.0f)
		return;
	/* every common trigram is one some document holds */
	for (i = 0; i < nquery; i++)
		known += trigram_maybe_known(idx, trgm_hash(query[i]));
	if (known < query_min_common(threshold, nquery))
		return;
	(void) cz_trgm_search(idx, query, nquery, threshold, max_candidates, hit, arg);
}
