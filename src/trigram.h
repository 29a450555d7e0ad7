/*-------------------------------------------------------------------------
 *
 * trigram.h
 *	  Trigram sets and a trigram → merchant inverted index for fuzzy
 *	  merchant matching.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_TRIGRAM_H
#define CZ_TRIGRAM_H

typedef struct CzTrgmIndex CzTrgmIndex;

/* Room needed by cz_trgm_extract for normalized text of len bytes. */
#define CZ_TRGM_MAX(len) ((len) + 2)

/*
 * Sorted, unique trigrams of normalized (padded) text, as pg_trgm forms
 * them: each word padded with two spaces before and one after.
 */
extern int	cz_trgm_extract(const char *norm, int len, uint32 *out);

/* The same trigrams in text order, duplicates included (cheaper). */
extern int	cz_trgm_extract_all(const char *norm, int len, uint32 *out);

/* cz_trgm_extract_all without its single-byte fast path (for the fuzzer). */
extern int	cz_trgm_extract_generic(const char *norm, int len, uint32 *out);

/* Similarity of two sorted trigram sets (Jaccard, as pg_trgm's similarity). */
extern float cz_trgm_similarity(const uint32 *a, int na, const uint32 *b, int nb);

extern CzTrgmIndex *cz_trgm_index_build(int ndocs, uint32 *const *doc_trgms,
										const int *doc_ntrgms, MemoryContext cxt);

/* Get the index ready for searches at this threshold. */
extern void cz_trgm_index_prepare(CzTrgmIndex *index, float threshold);

typedef bool (*CzTrgmHitFn) (void *arg, int32 doc, float similarity);

/*
 * Report every document whose similarity to the query is at least
 * threshold (> 0).  The query's trigrams may come in any order and repeat
 * (as from cz_trgm_extract_all).  The array is reordered in place, its
 * distinct trigrams to the front: returns their number, or -1 when the
 * search ended before it took them apart.  Only documents sharing a
 * trigram with the query among the rarest of both are looked at; with
 * max_candidates > 0, at most that many postings are examined, the rarest
 * trigrams' first (0: no limit).
 */
extern int	cz_trgm_search(CzTrgmIndex *index, uint32 *query, int nquery,
						   float threshold, int max_candidates,
						   CzTrgmHitFn hit, void *arg);

/*
 * The same for a query of nquery distinct trigrams (as cz_trgm_search
 * left at the front of its array, for a search of another index): first
 * counts those some document may hold, and looks no further when too few
 * are, without building the query's set.
 */
extern void cz_trgm_search_distinct(CzTrgmIndex *index, uint32 *query, int nquery,
									float threshold, int max_candidates,
									CzTrgmHitFn hit, void *arg);

extern int	cz_trgm_index_docs(const CzTrgmIndex *index);

/*
 * The hash a search's memo key is kept under (n trigrams the known-trigram
 * filter let through, of a query of nquery distinct ones); exported for
 * the engine fuzzer, which looks for keys that collide.
 */
extern uint32 cz_trgm_memo_hash(const uint32 *trigrams, int n, int nquery);

#endif							/* CZ_TRIGRAM_H */
