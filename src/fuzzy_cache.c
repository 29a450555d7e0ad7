/*-------------------------------------------------------------------------
 *
 * fuzzy_cache.c
 *	  Small memos of fuzzy merchant lookups: a key → the merchant documents
 *	  the lookup found, with their similarity.
 *
 *	  Card statements repeat the same merchant strings over and over, and
 *	  a fuzzy lookup (trigram extraction, candidate generation and
 *	  verification) costs far more than the rest of a categorization, so
 *	  its answer is remembered.  Two memos use this code:
 *	    - by normalized query text (scoring.c), which also saves the
 *	      trigram extraction;
 *	    - by the query's trigrams that occur in some merchant, with the
 *	      number of its distinct trigrams (trigram.c), which is all a
 *	      search's answer depends on: texts differing only in words no
 *	      merchant shares (reference numbers, dates) share an entry.
 *	  An answer also depends on the trigram index,
 *	  categorize.fuzzy_threshold and categorize.fuzzy_max_candidates: the
 *	  memos live in the index's memory context (a rebuilt index starts
 *	  empty) and are emptied when either setting differs from the one their
 *	  entries were made with.  Per-user filtering is applied when the hits
 *	  are replayed, so entries hold no user-dependent answer.
 *
 *	  Two-way set-associative: a store replaces the less recently used
 *	  way.  Keys up to a length fixed at creation, at most
 *	  CZ_FUZZY_CACHE_MAX_HITS hits, so a memo stays within a megabyte.
 *	  Backend-local; no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "fuzzy_cache.h"

typedef struct CacheEntry
{
	char	   *key;			/* NULL: empty; hits follow, MAXALIGNed */
	uint32		hash;
	uint32		size;			/* bytes allocated at key */
	uint16		len;
	uint16		nhits;
} CacheEntry;

struct CzFuzzyCache
{
	MemoryContext cxt;			/* entries' keys and hits */
	float		threshold;		/* settings the entries were made with */
	int			max_candidates;
	int			max_key;		/* longest key kept, in bytes */
	uint32		nsets;			/* a power of two */
	CacheEntry (*entries)[2];	/* nsets sets of two ways */
	uint8	   *recent;			/* per set: the way used last */
};

/*
 * A memo of nsets (a power of two) sets, for keys of up to max_key bytes
 * (at most PG_UINT16_MAX).
 */
CzFuzzyCache *
cz_fuzzy_cache_create(MemoryContext parent, int nsets, int max_key)
{
	CzFuzzyCache *cache = MemoryContextAllocZero(parent, sizeof(CzFuzzyCache));

	Assert(nsets > 0 && (nsets & (nsets - 1)) == 0);
	Assert(max_key > 0 && max_key <= PG_UINT16_MAX);
	cache->cxt = AllocSetContextCreate(parent, "categorize fuzzy cache",
									   ALLOCSET_DEFAULT_SIZES);
	cache->threshold = -1.0f;
	cache->max_key = max_key;
	cache->nsets = (uint32) nsets;
	cache->entries = MemoryContextAllocZero(parent, sizeof(CacheEntry) * 2 * nsets);
	cache->recent = MemoryContextAllocZero(parent, nsets);
	return cache;
}

/* Empty the cache if its entries were made under other settings. */
static void
check_settings(CzFuzzyCache *cache, float threshold, int max_candidates)
{
	if (cache->threshold == threshold && cache->max_candidates == max_candidates)
		return;
	MemoryContextReset(cache->cxt);
	memset(cache->entries, 0, sizeof(CacheEntry) * 2 * cache->nsets);
	memset(cache->recent, 0, cache->nsets);
	cache->threshold = threshold;
	cache->max_candidates = max_candidates;
}

void
cz_fuzzy_cache_empty(CzFuzzyCache *cache)
{
	/* settings no lookup has: the next one empties the cache */
	cache->threshold = -1.0f;
}

/*
 * Look up the entry stored under hash whose key is len bytes and matches
 * (match decides; it is called only for an entry of that hash and length).
 */
bool
cz_fuzzy_cache_lookup_hashed(CzFuzzyCache *cache, uint32 hash, int len,
							 CzFuzzyKeyMatch match, void *arg,
							 float threshold, int max_candidates,
							 const CzFuzzyHit **hits, int *nhits)
{
	int			set,
				way;

	if (len > cache->max_key)
		return false;
	check_settings(cache, threshold, max_candidates);
	set = hash & (cache->nsets - 1);
	for (way = 0; way < 2; way++)
	{
		CacheEntry *e = &cache->entries[set][way];

		if (e->key != NULL && e->hash == hash && e->len == len &&
			match(e->key, len, arg))
		{
			cache->recent[set] = way;
			*hits = (const CzFuzzyHit *) (e->key + MAXALIGN(len));
			*nhits = e->nhits;
			return true;
		}
	}
	return false;
}

void
cz_fuzzy_cache_store_hashed(CzFuzzyCache *cache, uint32 hash, const void *key, int len,
							float threshold, int max_candidates,
							const CzFuzzyHit *hits, int nhits)
{
	int			set,
				way;
	CacheEntry *e;
	Size		hits_off = MAXALIGN(len);
	Size		size = hits_off + sizeof(CzFuzzyHit) * Max(nhits, 1);

	if (len > cache->max_key || nhits > CZ_FUZZY_CACHE_MAX_HITS)
		return;
	check_settings(cache, threshold, max_candidates);
	set = hash & (cache->nsets - 1);
	way = 1 - cache->recent[set];
	e = &cache->entries[set][way];
	/* the entry replaced leaves its memory to this one when it is enough */
	if (e->key != NULL && e->size < size)
	{
		pfree(e->key);
		e->key = NULL;
	}
	if (e->key == NULL)
	{
		e->key = MemoryContextAlloc(cache->cxt, size);
		e->size = (uint32) size;
	}
	memcpy(e->key, key, len);
	memcpy(e->key + hits_off, hits, sizeof(CzFuzzyHit) * nhits);
	e->hash = hash;
	e->len = (uint16) len;
	e->nhits = (uint16) nhits;
	cache->recent[set] = way;
}

/* Byte keys: equal bytes. */
typedef struct BytesKey
{
	const void *key;
} BytesKey;

static bool
bytes_match(const void *stored, int len, void *arg)
{
	return memcmp(stored, ((BytesKey *) arg)->key, len) == 0;
}

/*
 * Look up a byte key.  *hash gets its hash, for cz_fuzzy_cache_store_hashed
 * after a miss (0 for a key too long to be kept, which a store ignores).
 */
bool
cz_fuzzy_cache_lookup(CzFuzzyCache *cache, const void *key, int len,
					  float threshold, int max_candidates,
					  const CzFuzzyHit **hits, int *nhits, uint32 *hash)
{
	BytesKey	k = {key};

	*hash = 0;
	if (len > cache->max_key)
		return false;
	*hash = hash_bytes((const unsigned char *) key, len);
	return cz_fuzzy_cache_lookup_hashed(cache, *hash, len, bytes_match, &k,
										threshold, max_candidates, hits, nhits);
}
