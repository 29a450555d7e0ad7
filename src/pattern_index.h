/*-------------------------------------------------------------------------
 *
 * pattern_index.h
 *	  The compiled category index: what pattern_index.c builds and
 *	  scoring.c reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_PATTERN_INDEX_H
#define CZ_PATTERN_INDEX_H

#include "common/hashfn.h"
#include "regex/regex.h"

#include "automaton.h"
#include "pattern_kinds.h"
#include "trigram.h"

typedef struct CzPattern
{
	int64		id;
	int32		category_index;
	uint8		kind;			/* CzKind */
	float		weight;
	float		confidence;		/* cz_pattern_confidence() */
	const char *user_id;		/* NULL: shared */
	union
	{
		struct
		{
			double		lo;
			double		hi;
		}			amount;
		CzTimeWindow time;
		int32		regex;		/* into CzIndex.regexes */
	}			u;
} CzPattern;

/*
 * A pattern's state in the current match, in one record so that a hit
 * touches one cache line of it: valid while stamp is the index's
 * match_stamp.
 */
typedef struct CzPatternHit
{
	uint32		stamp;
	float		strength;		/* the strongest way it matched */
	uint8		method;			/* that way: CZ_M_* bit index */
} CzPatternHit;

/*
 * An amount_range or time pattern as the scoring loop reads it: all a
 * booster test needs, in one small record (a category may have dozens).
 */
typedef struct CzBooster
{
	double		lo;				/* amount_range bounds */
	double		hi;
	CzTimeWindow time;			/* time window */
	bool		is_amount;
	bool		scoped;			/* its pattern or category belongs to a user */
	float		confidence;		/* its pattern's, so a match reads no pattern */
	int32		pattern;		/* into CzIndex.patterns; -1 in CzIndex.conds */
	int32		cond;			/* into CzIndex.conds: its condition */
} CzBooster;

/*
 * A category with at least this many boosters finds the matching ones
 * through masks per distinct condition instead of testing each.
 */
#define CZ_BOOSTER_MASK_MIN 16

/* A matched amount or time pattern adds strength 0.5 times its confidence. */
#define CZ_BOOSTER_STRENGTH 0.5f


/*
 * An automaton key as the scan's hit callback reads it: its first pattern
 * (-1 if none), that pattern's kind, the key's length and whether more
 * patterns share the key (then key_first/key_patterns list them all), so
 * a hit usually costs one read here.
 *
 * A key's list holds first the patterns every user may use (neither the
 * pattern nor its category belongs to a user), then from key_owned[key]
 * those of users, by (cz_owner_hash() of the owner, owner, pattern), the
 * hash in key_owner_hash.  A call visits the shared run and the run of
 * its expense's user, found by binary search: thousands of users each
 * with their own pattern for one merchant cost a call only its user's.
 */
typedef struct CzKeyEntry
{
	int32		pattern;
	uint32		info;			/* length << 4 | more << 3 | kind */
} CzKeyEntry;

#define CZ_KEY_LEN_UNKNOWN	0x0FFFFFFF	/* too long: ask the automaton */
#define cz_key_kind(ke)		((int) ((ke)->info & 7))
#define cz_key_more(ke)		(((ke)->info & 8) != 0)
#define cz_key_len(ke)		((int32) ((ke)->info >> 4))

typedef struct CzCategory
{
	int64		id;
	const char *name;
	const char *user_id;		/* NULL: shared */
	bool		active;			/* else its patterns are not in the index */

	/*
	 * Its boosters in CzIndex.boosters: first the nshared_boosters every
	 * user may use, in pattern order, then those of users by (owner hash,
	 * owner, pattern), the hash in CzIndex.booster_owner_hash, so a call
	 * tests only its own user's (found by binary search).
	 */
	int32		first_booster;
	int32		nboosters;
	int32		nshared_boosters;
	/* with CZ_BOOSTER_MASK_MIN shared boosters or more (else ncond_entries 0): */
	int32		first_cond_entry;	/* into CzIndex.cond_entry_cond */
	int32		ncond_entries;	/* its distinct conditions */
	int32		mask_words;		/* (nboosters + 63) / 64 */
	int64		first_mask;		/* into CzIndex.cond_entry_mask */
} CzCategory;

/*
 * Literal keys: an automaton over the normalized values of literal
 * patterns (and the required literals of regexes), each key's pattern
 * list, and the trigram documents of the distinct merchant values among
 * them.  Key numbers and documents are the set's own; the patterns in the
 * lists are positions in CzIndex.patterns.
 */
typedef struct CzKeys
{
	CzAutomaton *automaton;
	int32	   *key_first;		/* nkeys + 1, into key_patterns */
	int32	   *key_patterns;
	int32	   *key_owned;		/* nkeys: where the users' patterns start */
	uint32	   *key_owner_hash; /* per key_patterns entry: its owner's hash */
	struct CzKeyEntry *key_entry;	/* nkeys: what a hit needs, in one read */
	int32		nliteral_keys;	/* keys of literal patterns (not only of
								 * regex prefilters) */
	bool		merchant_only;	/* every key is a merchant value's (those
								 * of learn()): a description is no use
								 * beside a merchant name */

	/*
	 * fuzzy merchants: a trigram document per distinct merchant value,
	 * → its automaton key, whose list holds the merchant patterns
	 */
	CzTrgmIndex *trigrams;
	int32	   *trgm_doc_key;
} CzKeys;

typedef struct CzIndex
{
	MemoryContext cxt;

	int32		npatterns;
	CzPattern  *patterns;
	int32		ncategories;
	CzCategory *categories;

	/* literal patterns read by the build */
	CzKeys		keys;

	/*
	 * Literal patterns appended since the build (learned merchants, say),
	 * taken in by a refresh instead of a new build: patterns
	 * [delta_first, npatterns), their own keys in delta_cxt (a child of
	 * cxt, made anew with each such refresh); NULL when there are none.
	 * A call scans both key sets.
	 */
	CzKeys	   *delta;
	MemoryContext delta_cxt;
	int32		delta_first;
	uint64		delta_calls;	/* calls answered with a delta since the build */

	/*
	 * Memo of fuzzy lookups by text (scoring.c), made on first use;
	 * documents of the delta are numbered after the build's.
	 */
	struct CzFuzzyCache *fuzzy_cache;

	/* regexes, compiled once */
	int32		nregexes;
	regex_t    *regexes;
	struct CzRegexDfa **regex_dfas;	/* NULL: outside the DFA's subset */
	struct CzRegexDfaBudget *regex_dfa_budget;	/* shared by them */
	int32	   *regex_pattern;
	bool	   *regex_prefiltered;	/* runs only if its literal was seen */
	/* the order a call tries them: shared, then users' by (owner hash, owner) */
	int32	   *regex_order;
	int32		nshared_regexes;
	uint32	   *regex_owner_hash;	/* per regex_order entry */

	/* amount_range and time patterns, grouped by category */
	int32		nboosters;
	CzBooster  *boosters;
	uint32	   *booster_owner_hash; /* per booster: its owner's hash, or 0 */

	/*
	 * Their distinct conditions (amount range or time window), each tested
	 * at most once a call; per category with many shared boosters, each
	 * distinct condition's bitmap of the category's shared boosters that
	 * have it, and their product of (1 - strength * confidence), so a
	 * condition that holds is one multiply.
	 */
	int32		nconds;
	CzBooster  *conds;
	uint32	   *cond_stamp;		/* match_stamp when cond_holds was set */
	bool	   *cond_holds;
	int32	   *cond_entry_cond;	/* into conds */
	uint64	   *cond_entry_mask;	/* mask_words per entry */
	double	   *cond_entry_keep;	/* per entry: over its shared boosters */

	/*
	 * Each pattern's value as read (pattern_values + value_start[p], up to
	 * value_start[p + 1]), so that a new reading of the tables can be
	 * compared with this one (cz_index_get: a change of weights and usage
	 * counts alone is taken in place).
	 */
	char	   *pattern_values;
	int32	   *value_start;	/* npatterns + 1 */
	int64		newest_id;		/* the highest pattern id read, in the index or not */

	bool		has_user_patterns;
	int32		patterns_skipped;
	double		build_ms;
	int32		refreshes;		/* weight changes taken in place since the build */
	double		refresh_ms;		/* the last one's time */

	/* per-match scratch (backend-local, reused by every call) */
	uint32		match_stamp;
	struct CzPatternHit *pattern_hit;	/* npatterns */
	uint32	   *regex_stamp;	/* nregexes: match_stamp when its literal was seen */
} CzIndex;

/*
 * The hash by which key lists, boosters and regexes order users' entries.
 * A test build sets CZ_OWNER_HASH_MASK to keep a few bits, so that users
 * collide: that must change no answer (test/scripts/test.sh).
 */
#ifndef CZ_OWNER_HASH_MASK
#define CZ_OWNER_HASH_MASK 0xFFFFFFFF
#endif

static inline uint32
cz_owner_hash(const char *owner)
{
	return hash_bytes((const unsigned char *) owner, (int) strlen(owner)) & CZ_OWNER_HASH_MASK;
}

#endif							/* CZ_PATTERN_INDEX_H */
