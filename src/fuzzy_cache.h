/*-------------------------------------------------------------------------
 *
 * fuzzy_cache.h
 *	  Memoized fuzzy merchant lookups (fuzzy_cache.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_FUZZY_CACHE_H
#define CZ_FUZZY_CACHE_H

/* One document a fuzzy lookup found, with its similarity. */
typedef struct CzFuzzyHit
{
	int32		doc;
	float		similarity;
} CzFuzzyHit;

typedef struct CzFuzzyCache CzFuzzyCache;

/* Most hits an entry keeps. */
#define CZ_FUZZY_CACHE_MAX_HITS	16

extern CzFuzzyCache *cz_fuzzy_cache_create(MemoryContext parent, int nsets, int max_key);
/* Forget every entry (at the next lookup); cannot fail. */
extern void cz_fuzzy_cache_empty(CzFuzzyCache *cache);
/* A byte key; *hash gets its hash for a store after a miss. */
extern bool cz_fuzzy_cache_lookup(CzFuzzyCache *cache, const void *key, int len,
								  float threshold, int max_candidates,
								  const CzFuzzyHit **hits, int *nhits, uint32 *hash);

/*
 * With the caller's hash (for a store: the byte key's from
 * cz_fuzzy_cache_lookup, or the caller's own), and for a lookup the
 * caller's test of a stored key of the same hash and length, for keys that
 * are equal without being the same bytes (sets in any order).
 */
typedef bool (*CzFuzzyKeyMatch) (const void *stored_key, int len, void *arg);

extern bool cz_fuzzy_cache_lookup_hashed(CzFuzzyCache *cache, uint32 hash, int len,
										 CzFuzzyKeyMatch match, void *arg,
										 float threshold, int max_candidates,
										 const CzFuzzyHit **hits, int *nhits);
extern void cz_fuzzy_cache_store_hashed(CzFuzzyCache *cache, uint32 hash,
										const void *key, int len,
										float threshold, int max_candidates,
										const CzFuzzyHit *hits, int nhits);

#endif							/* CZ_FUZZY_CACHE_H */
