/*-------------------------------------------------------------------------
 *
 * fuzzy_cache.c
 *	  A small memo of fuzzy merchant lookups: normalized query text →
 *	  the merchant documents it is similar to.
 *
 *	  Card statements repeat the same merchant strings over and over, and
 *	  a fuzzy lookup (trigram extraction, candidate generation and
 *	  verification) costs far more than the rest of a categorization, so
 *	  its answer is remembered per distinct text.  The answer depends only
 *	  on the text, the trigram index, categorize.fuzzy_threshold and
 *	  categorize.fuzzy_max_candidates: the cache lives in the index's
 *	  memory context (a rebuilt index starts empty) and is emptied when
 *	  either setting differs from the one its entries were made with.
 *	  Per-user filtering is applied when the hits are replayed, so entries
 *	  hold no user-dependent answer.
 *
 *	  Two-way set-associative, CZ_FUZZY_CACHE_SETS sets: a store replaces
 *	  the less recently used way.  Short texts only (merchant names), at
 *	  most CZ_FUZZY_CACHE_MAX_HITS hits, so it stays under half a
 *	  megabyte.  Backend-local; no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "fuzzy_cache.h"

#define CZ_FUZZY_CACHE_SETS	1024

typedef struct CacheEntry
{
	char	   *text;			/* NULL: empty; hits follow the text */
	CzFuzzyHit *hits;
	uint32		hash;
	uint16		len;
	uint16		nhits;
} CacheEntry;

struct CzFuzzyCache
{
	MemoryContext cxt;			/* entries' text and hits */
	float		threshold;		/* settings the entries were made with */
	int			max_candidates;
	CacheEntry	entries[CZ_FUZZY_CACHE_SETS][2];
	uint8		recent[CZ_FUZZY_CACHE_SETS];	/* the way used last */
};

CzFuzzyCache *
cz_fuzzy_cache_create(MemoryContext parent)
{
	CzFuzzyCache *cache = MemoryContextAllocZero(parent, sizeof(CzFuzzyCache));

	cache->cxt = AllocSetContextCreate(parent, "categorize fuzzy cache",
									   ALLOCSET_DEFAULT_SIZES);
	cache->threshold = -1.0f;
	return cache;
}

/* Empty the cache if its entries were made under other settings. */
static void
check_settings(CzFuzzyCache *cache, float threshold, int max_candidates)
{
	if (cache->threshold == threshold && cache->max_candidates == max_candidates)
		return;
	MemoryContextReset(cache->cxt);
	memset(cache->entries, 0, sizeof(cache->entries));
	memset(cache->recent, 0, sizeof(cache->recent));
	cache->threshold = threshold;
	cache->max_candidates = max_candidates;
}

bool
cz_fuzzy_cache_lookup(CzFuzzyCache *cache, const char *text, int len,
					  float threshold, int max_candidates,
					  const CzFuzzyHit **hits, int *nhits)
{
	uint32		hash;
	int			set,
				way;

	if (len > CZ_FUZZY_CACHE_MAX_TEXT)
		return false;
	check_settings(cache, threshold, max_candidates);
	hash = hash_bytes((const unsigned char *) text, len);
	set = hash % CZ_FUZZY_CACHE_SETS;
	for (way = 0; way < 2; way++)
	{
		CacheEntry *e = &cache->entries[set][way];

		if (e->text != NULL && e->hash == hash && e->len == len &&
			memcmp(e->text, text, len) == 0)
		{
			cache->recent[set] = way;
			*hits = e->hits;
			*nhits = e->nhits;
			return true;
		}
	}
	return false;
}

void
cz_fuzzy_cache_store(CzFuzzyCache *cache, const char *text, int len,
					 float threshold, int max_candidates,
					 const CzFuzzyHit *hits, int nhits)
{
	uint32		hash;
	int			set,
				way;
	CacheEntry *e;
	Size		hits_off = MAXALIGN(len);

	if (len > CZ_FUZZY_CACHE_MAX_TEXT || nhits > CZ_FUZZY_CACHE_MAX_HITS)
		return;
	check_settings(cache, threshold, max_candidates);
	hash = hash_bytes((const unsigned char *) text, len);
	set = hash % CZ_FUZZY_CACHE_SETS;
	way = 1 - cache->recent[set];
	e = &cache->entries[set][way];
	if (e->text != NULL)
		pfree(e->text);
	e->text = MemoryContextAlloc(cache->cxt,
								 hits_off + sizeof(CzFuzzyHit) * Max(nhits, 1));
	memcpy(e->text, text, len);
	e->hits = (CzFuzzyHit *) (e->text + hits_off);
	memcpy(e->hits, hits, sizeof(CzFuzzyHit) * nhits);
	e->hash = hash;
	e->len = (uint16) len;
	e->nhits = (uint16) nhits;
	cache->recent[set] = way;
}
