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
 *	  Search uses prefix filtering: a document with similarity >= t shares
 *	  at least ceil(t * |Q|) trigrams with the query Q, so it must contain
 *	  one of the |Q| - ceil(t * |Q|) + 1 rarest query trigrams.  Only the
 *	  posting lists of those are read; each candidate found there is then
 *	  verified by merging the two sorted sets.  The cost of a lookup
 *	  follows the rare trigrams, not the number of merchants.
 *
 *	  The index is backend-local and immutable except for a stamp array
 *	  used to visit each candidate once per search; no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "trigram.h"

typedef struct TrgmSlot
{
	uint32		trigram;
	uint32		start;			/* into postings */
	uint32		count;			/* 0: empty slot */
} TrgmSlot;

struct CzTrgmIndex
{
	int32		ndocs;
	int32		max_doc_trgms;
	uint32	   *doc_start;		/* ndocs + 1, into doc_trgms */
	uint32	   *doc_trgms;
	uint32		mask;			/* hash table size - 1 */
	TrgmSlot   *slots;
	int32	   *postings;
	uint32	   *stamp;			/* per document: last search that saw it */
	uint32		current_stamp;
};

static inline uint32
trgm_hash(uint32 t)
{
	return murmurhash32(t);
}

static int
cmp_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

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
		qsort(v, n, sizeof(uint32), cmp_uint32);
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

int
cz_trgm_extract(const char *norm, int len, uint32 *out)
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
	return sort_unique(out, n);
}

static inline int
count_common(const uint32 *a, int na, const uint32 *b, int nb)
{
	int			i = 0,
				j = 0,
				c = 0;

	while (i < na && j < nb)
	{
		if (a[i] == b[j])
		{
			c++;
			i++;
			j++;
		}
		else if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return c;
}

float
cz_trgm_similarity(const uint32 *a, int na, const uint32 *b, int nb)
{
	int			c;

	if (na == 0 || nb == 0)
		return 0.0f;
	c = count_common(a, na, b, nb);
	return (float) c / (float) (na + nb - c);
}

static TrgmSlot *
find_slot(const CzTrgmIndex *idx, uint32 trigram)
{
	uint32		h = trgm_hash(trigram) & idx->mask;

	for (;;)
	{
		TrgmSlot   *slot = &idx->slots[h];

		if (slot->count == 0 || slot->trigram == trigram)
			return slot;
		h = (h + 1) & idx->mask;
	}
}

CzTrgmIndex *
cz_trgm_index_build(int ndocs, uint32 *const *doc_trgms, const int *doc_ntrgms,
					MemoryContext cxt)
{
	CzTrgmIndex *idx = MemoryContextAllocZero(cxt, sizeof(CzTrgmIndex));
	uint64		total = 0;
	uint32		size;
	int			d,
				i;

	for (d = 0; d < ndocs; d++)
		total += doc_ntrgms[d];

	idx->ndocs = ndocs;
	idx->doc_start = MemoryContextAllocExtended(cxt, sizeof(uint32) * (ndocs + 1),
												MCXT_ALLOC_HUGE);
	idx->doc_trgms = MemoryContextAllocExtended(cxt, sizeof(uint32) * Max(total, 1),
												MCXT_ALLOC_HUGE);
	idx->postings = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(total, 1),
											   MCXT_ALLOC_HUGE);
	idx->stamp = MemoryContextAllocExtended(cxt, sizeof(uint32) * Max(ndocs, 1),
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	idx->current_stamp = 0;

	size = 16;
	while (size < total * 2)
		size <<= 1;
	idx->mask = size - 1;
	idx->slots = MemoryContextAllocExtended(cxt, sizeof(TrgmSlot) * size,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	/* count postings per trigram */
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

			slot->trigram = doc_trgms[d][i];
			slot->count++;
		}
	}
	idx->doc_start[ndocs] = total;

	/* assign ranges, then fill (documents in order: lists come out sorted) */
	{
		uint32	   *fill = palloc_extended(sizeof(uint32) * size,
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

		total = 0;
		for (i = 0; i < (int) size; i++)
		{
			idx->slots[i].start = total;
			total += idx->slots[i].count;
		}
		for (d = 0; d < ndocs; d++)
		{
			for (i = 0; i < doc_ntrgms[d]; i++)
			{
				TrgmSlot   *slot = find_slot(idx, doc_trgms[d][i]);
				uint32		pos = slot - idx->slots;

				idx->postings[slot->start + fill[pos]++] = d;
			}
		}
		pfree(fill);
	}
	return idx;
}

int
cz_trgm_index_docs(const CzTrgmIndex *index)
{
	return index->ndocs;
}

typedef struct PostingRef
{
	uint32		start;
	uint32		count;
} PostingRef;

void
cz_trgm_search(CzTrgmIndex *idx, const uint32 *query, int nquery,
			   float threshold, CzTrgmHitFn hit, void *arg)
{
	PostingRef	local[64];
	PostingRef *lists;
	int			min_common,
				nprefix,
				min_size,
				max_size,
				i,
				j;

	if (nquery == 0 || idx->ndocs == 0 || threshold <= 0.0f)
		return;

	/* sim >= t needs common >= t*|Q| and t*|Q| <= |D| <= |Q|/t */
	min_common = Max(1, (int) ceil(threshold * nquery - 1e-6));
	min_size = min_common;
	max_size = (int) floor(nquery / threshold + 1e-6);
	if (min_size > idx->max_doc_trgms)
		return;
	nprefix = nquery - min_common + 1;

	lists = (nquery <= lengthof(local)) ? local : palloc(sizeof(PostingRef) * nquery);
	for (i = 0; i < nquery; i++)
	{
		TrgmSlot   *slot = find_slot(idx, query[i]);

		lists[i].start = slot->start;
		lists[i].count = slot->count;	/* 0 when absent */
	}
	/* rarest first (insertion sort: queries are short) */
	for (i = 1; i < nquery; i++)
	{
		PostingRef	x = lists[i];

		for (j = i; j > 0 && lists[j - 1].count > x.count; j--)
			lists[j] = lists[j - 1];
		lists[j] = x;
	}

	if (++idx->current_stamp == 0)
	{
		memset(idx->stamp, 0, sizeof(uint32) * idx->ndocs);
		idx->current_stamp = 1;
	}

	for (i = 0; i < nprefix; i++)
	{
		uint32		k;

		for (k = 0; k < lists[i].count; k++)
		{
			int32		d = idx->postings[lists[i].start + k];
			int			nd;
			int			common;
			float		sim;

			if (idx->stamp[d] == idx->current_stamp)
				continue;
			idx->stamp[d] = idx->current_stamp;
			nd = idx->doc_start[d + 1] - idx->doc_start[d];
			if (nd < min_size || nd > max_size)
				continue;
			common = count_common(query, nquery, idx->doc_trgms + idx->doc_start[d], nd);
			if (common < min_common)
				continue;
			sim = (float) common / (float) (nquery + nd - common);
			if (sim >= threshold && !hit(arg, d, sim))
				goto done;
		}
	}
done:
	if (lists != local)
		pfree(lists);
}
