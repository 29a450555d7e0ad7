/*-------------------------------------------------------------------------
 *
 * word_index.c
 *	  Whole-word keys (" word word ", the form of normalized merchant and
 *	  keyword values) found by hashing the word sequences of the text,
 *	  instead of walking a trie byte by byte.
 *
 *	  In the padded, normalized text every whole-word key starts at a
 *	  space, so the scan takes each space in turn and hashes the words
 *	  after it, one more at a time: the sequence of one word, of two, ...
 *	  A filter of 64-bit words says for each sequence hash whether some
 *	  key is that sequence (two bits) and whether some key starts with it
 *	  and goes on (two other bits, in the same word), so most sequences
 *	  cost one hash and one load, and the scan moves on to the next space
 *	  as soon as no key goes on.  A sequence that passes the key bits is
 *	  looked up in an open-addressing table and compared byte for byte
 *	  with the key's record, so the filter's false positives cost time,
 *	  never a wrong hit.  A filter of 64 kB or more has a smaller one in
 *	  front, of the keys' first words only (8 bits a key): most words of a
 *	  text start no key, and are turned away by a load from it, which stays
 *	  in the nearest caches where the bigger filter does not.  That
 *	  load's hash is of the word's length and first eight bytes only.
 *
 *	  The spaces are found 64 bytes at a time, as a bit mask (SSE2's byte
 *	  compare, or a portable equivalent): the next word's end is the mask's
 *	  next set bit, so finding it waits on no load.  The scan reads the
 *	  text in place, and past its end: the caller leaves
 *	  CZ_AC_SCAN_SLACK readable bytes there (their values do not matter).
 *
 *	  With a hundred thousand patterns the trie's states spread over tens
 *	  of megabytes and a scan waits on one load after another; here the
 *	  loads of different words do not depend on each other, and the filter
 *	  (10 bits a key or key prefix) and the table (8-byte slots, a key's
 *	  record holding its id, length and bytes) stay smaller.  (Taking the
 *	  words in batches, prefetching the filter words of a batch and then
 *	  the slots of its candidates, measured no faster at 100k patterns.)
 *
 *	  The same occurrences as a substring search for the key in the text,
 *	  text not normalized included (the engine fuzzer checks it): a key
 *	  holds no "  ", so the words between two spaces of the text are the
 *	  key only if they are its bytes.
 *
 *	  Immutable once built, in the automaton's memory context; backend-
 *	  local, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#if defined(__SSE2__) && !defined(WI_PORTABLE_MASK)
#include <emmintrin.h>
#define WI_SSE2_MASK 1
#endif

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

#include "word_index.h"

/* bytes after a key's record, so loads of 8 or 16 bytes never run past it */
#define WI_PAD		16
/* filter bits a key or key prefix */
#define WI_FILTER_BITS	10
/* first-word filter bits a key (keys bound first words), and when there is one */
#define WI_FIRST_BITS	8
#ifndef WI_FIRST_MIN_FILTER		/* test/asan/run.sh sets it to 0 */
#define WI_FIRST_MIN_FILTER	(64 * 1024)
#endif

#define WI_SEED		UINT64CONST(0x243F6A8885A308D3)
#define WI_MUL1		UINT64CONST(0x9E3779B97F4A7C15)
#define WI_MUL2		UINT64CONST(0xC2B2AE3D27D4EB4F)

/* filter bits of a sequence hash f: "a key is this", "a key goes on" */
#define KEY_BITS(f) \
	((UINT64CONST(1) << (((f) >> 52) & 63)) | (UINT64CONST(1) << (((f) >> 58) & 63)))
#define PREFIX_BITS(f) \
	((UINT64CONST(1) << (((f) >> 40) & 63)) | (UINT64CONST(1) << (((f) >> 46) & 63)))

typedef struct WordSlot
{
	uint32		hash;			/* high half of the sequence hash */
	uint32		record;			/* offset of the key's record + 1; 0: empty */
} WordSlot;

/* A key's record in the arena: its id, length and words (no pads). */
typedef struct WordRecord
{
	int32		key;
	int32		len;
	unsigned char bytes[FLEXIBLE_ARRAY_MEMBER];
} WordRecord;

struct CzWordIndex
{
	int32		nkeys;			/* keys taken */
	int32		max_inner;		/* longest key, pads left out */
	uint32		filter_words;
	uint32		first_words;
	uint32		slot_mask;		/* slots - 1 */
	uint64	   *filter;
	uint64	   *first;			/* two bits a key's first word; or NULL */
	WordSlot   *slots;
	char	   *arena;			/* the records, 4-aligned, then WI_PAD bytes */
};

/* Bytes to keep of an 8-byte load holding n bytes of a word (LE order). */
static const uint64 keep_bytes[9] = {
	UINT64CONST(0), UINT64CONST(0xFF), UINT64CONST(0xFFFF), UINT64CONST(0xFFFFFF),
	UINT64CONST(0xFFFFFFFF), UINT64CONST(0xFFFFFFFFFF), UINT64CONST(0xFFFFFFFFFFFF),
	UINT64CONST(0xFFFFFFFFFFFFFF), ~UINT64CONST(0)
};

static inline uint64
load8(const unsigned char *s)
{
	uint64		x;

	memcpy(&x, s, 8);
#ifdef WORDS_BIGENDIAN
	x = pg_bswap64(x);
#endif
	return x;
}

/*
 * Hash of the word s[0, n).  Reads whole 8-byte words and masks what lies
 * past the end, so s[n, n + 16) must be readable: callers pad.  Words of
 * up to 16 bytes take no branch.
 */
static inline uint64
word_hash(const unsigned char *s, int n)
{
	uint64		h = WI_SEED ^ ((uint64) n * WI_MUL1);

	while (unlikely(n > 16))
	{
		h = (h ^ load8(s)) * WI_MUL2;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	h = (h ^ (load8(s) & keep_bytes[Min(n, 8)])) * WI_MUL2;
	h ^= load8(s + 8) & keep_bytes[Max(n, 8) - 8];
	return h;
}

/* Whether a[0, n) equals b[0, n); both readable 16 bytes further. */
static inline bool
same_bytes(const unsigned char *a, const unsigned char *b, int n)
{
	if (n > 16)
		return memcmp(a, b, n) == 0;
	return (((load8(a) ^ load8(b)) & keep_bytes[Min(n, 8)]) |
			((load8(a + 8) ^ load8(b + 8)) & keep_bytes[Max(n, 8) - 8])) == 0;
}

#ifdef WI_SSE2_MASK
/* The spaces among the 16 bytes at b, as the low 16 bits. */
static inline uint64
space_mask16(const unsigned char *b)
{
	__m128i		v = _mm_loadu_si128((const __m128i *) b);

	return (uint16) _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
}
#endif

/*
 * Bit i set when b[i] is a space, for i in [0, 64); b must be readable so
 * far.  The scan takes a text's word boundaries from these masks, one
 * block of 64 bytes at a time: the next boundary is the next set bit, not
 * the result of a load and a search that the one after must wait for.
 */
static inline uint64
space_mask64(const unsigned char *b)
{
#ifdef WI_SSE2_MASK
	return space_mask16(b) | (space_mask16(b + 16) << 16) |
		(space_mask16(b + 32) << 32) | (space_mask16(b + 48) << 48);
#else
	uint64		m = 0;
	int			i;

	for (i = 0; i < 64; i += 8)
	{
		uint64		x = load8(b + i) ^ UINT64CONST(0x2020202020202020);
		uint64		y;

		/* 0x80 in exactly the bytes that were spaces (no borrows) */
		y = (x & UINT64CONST(0x7F7F7F7F7F7F7F7F)) + UINT64CONST(0x7F7F7F7F7F7F7F7F);
		y = ~(y | x | UINT64CONST(0x7F7F7F7F7F7F7F7F));
		/* those eight bits, in byte order, to the top byte, then down */
		m |= (((y >> 7) * UINT64CONST(0x0102040810204080)) >> 56) << i;
	}
	return m;
#endif
}

/*
 * The spaces of block b of t, bit n (t[n]) set as if it held one: each
 * search for a space ends at n at the latest, with no read past the
 * block holding it.
 */
static inline uint64
block_spaces(const unsigned char *t, int n, int b)
{
	uint64		m = space_mask64(t + 64 * b);

	if (b == n / 64)
		m |= UINT64CONST(1) << (n % 64);
	return m;
}

/* Offset of the first space at or after a (<= n) in t[0, n]. */
static inline int
space_from(const unsigned char *t, int n, int a)
{
	int			b = a / 64;
	uint64		m = block_spaces(t, n, b) & (~UINT64CONST(0) << (a % 64));

	while (m == 0)
		m = block_spaces(t, n, ++b);
	return b * 64 + pg_rightmost_one_pos64(m);
}

/* The sequence hash after one more word. */
static inline uint64
sequence_step(uint64 seq, uint64 word)
{
	return (seq ^ word) * WI_MUL1 + (seq >> 29);
}

/* The sequence hash, mixed: its low half picks the filter word. */
static inline uint64
finish(uint64 k)
{
	k *= UINT64CONST(0xFF51AFD7ED558CCD);
	return k ^ (k >> 32);
}

static inline const uint64 *
filter_word(const CzWordIndex *wi, uint64 f)
{
	/* the low half scaled to the filter's size (no power of two needed) */
	return &wi->filter[((uint64) (uint32) f * wi->filter_words) >> 32];
}

/*
 * The first-word filter: two bits, in one of its words, for the first
 * word of every key.  Far smaller than the filter, it stays in the
 * nearest caches, and most words of a text start no key: they cost a
 * load from it and no more.  Its hash is of the word's length and first
 * eight bytes only, one multiplication: longer words sharing those are
 * let through to the full hash and the filter, as any false positive.
 */
static inline uint64
first_hash(const unsigned char *s, int n)
{
	uint64		h = ((load8(s) & keep_bytes[Min(n, 8)]) ^ ((uint64) n << 56)) * WI_MUL1;

	return h ^ (h >> 29);
}

static inline const uint64 *
first_word(const CzWordIndex *wi, uint64 g)
{
	return &wi->first[((g >> 32) * wi->first_words) >> 32];
}

#define FIRST_BITS(g) \
	((UINT64CONST(1) << ((g) & 63)) | (UINT64CONST(1) << (((g) >> 6) & 63)))

static inline const WordSlot *
first_slot(const CzWordIndex *wi, uint64 f)
{
	return &wi->slots[(uint32) (f >> 12) & wi->slot_mask];
}

static inline uint64
next_pow2(uint64 n)
{
	uint64		p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

bool
cz_word_key(const char *key, int len)
{
	int			i;

	if (len < 3 || key[0] != ' ' || key[len - 1] != ' ' ||
		key[1] == ' ' || key[len - 2] == ' ')
		return false;
	for (i = 2; i < len - 2; i++)
		if (key[i] == ' ' && key[i + 1] == ' ')
			return false;
	return true;
}

static inline Size
record_size(int len)
{
	return TYPEALIGN(4, offsetof(WordRecord, bytes) + len);
}

CzWordIndex *
cz_word_index_build(MemoryContext cxt, int32 nkeys, const char *bytes,
					const Size *key_off, const int32 *key_len, const bool *take)
{
	CzWordIndex *wi;
	int32		ntaken = 0;
	Size		nentries = 0;
	Size		arena_size = 0;
	Size		pos = 0;
	int32		max_inner = 0;
	unsigned char *padded;
	uint64		nslots;
	int32		k;

	for (k = 0; k < nkeys; k++)
	{
		const char *inner = bytes + key_off[k] + 1;
		int			ilen = key_len[k] - 2;
		int			j;

		if (!take[k])
			continue;
		ntaken++;
		arena_size += record_size(ilen);
		max_inner = Max(max_inner, ilen);
		nentries++;
		for (j = 0; j < ilen; j++)
			nentries += (inner[j] == ' ');
	}
	if (ntaken == 0)
		return NULL;
	if (arena_size >= PG_UINT32_MAX - WI_PAD)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many literal patterns to compile")));

	wi = MemoryContextAllocZero(cxt, sizeof(CzWordIndex));
	wi->nkeys = ntaken;
	wi->max_inner = max_inner;
	wi->filter_words = (uint32) Max((nentries * WI_FILTER_BITS + 63) / 64, 8);
	wi->filter = MemoryContextAllocExtended(cxt, sizeof(uint64) * wi->filter_words,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (sizeof(uint64) * (Size) wi->filter_words >= WI_FIRST_MIN_FILTER)
	{
		/* sized for every taken key, an upper bound of the first words */
		wi->first_words = (uint32) (((uint64) ntaken * WI_FIRST_BITS + 63) / 64);
		wi->first = MemoryContextAllocExtended(cxt, sizeof(uint64) * wi->first_words,
											   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	}
	nslots = next_pow2(Max((uint64) ntaken * 2, 16));
	wi->slot_mask = (uint32) (nslots - 1);
	wi->slots = MemoryContextAllocExtended(cxt, sizeof(WordSlot) * nslots,
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	wi->arena = MemoryContextAllocExtended(cxt, arena_size + WI_PAD,
										   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	padded = palloc(max_inner + WI_PAD);
	for (k = 0; k < nkeys; k++)
	{
		int			ilen = key_len[k] - 2;
		WordRecord *rec;
		uint64		seq = WI_SEED;
		int			a = 0;
		int			j;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!take[k])
			continue;
		memcpy(padded, bytes + key_off[k] + 1, ilen);
		memset(padded + ilen, ' ', WI_PAD);
		rec = (WordRecord *) (wi->arena + pos);
		rec->key = k;
		rec->len = ilen;
		memcpy(rec->bytes, padded, ilen);

		for (j = 0; j <= ilen; j++)
		{
			uint64		f;
			uint64	   *fw;

			if (j < ilen && padded[j] != ' ')
				continue;
			seq = sequence_step(seq, word_hash(padded + a, j - a));
			f = finish(seq);
			if (a == 0 && wi->first != NULL)
			{
				uint64		g = first_hash(padded, j);

				*(uint64 *) first_word(wi, g) |= FIRST_BITS(g);
			}
			fw = (uint64 *) filter_word(wi, f);
			if (j < ilen)
				*fw |= PREFIX_BITS(f);
			else
			{
				uint32		i = (uint32) (first_slot(wi, f) - wi->slots);

				*fw |= KEY_BITS(f);
				while (wi->slots[i].record != 0)
					i = (i + 1) & wi->slot_mask;
				wi->slots[i].hash = (uint32) (f >> 32);
				wi->slots[i].record = (uint32) pos + 1;
			}
			a = j + 1;
		}
		pos += record_size(ilen);
	}
	pfree(padded);
	return wi;
}

/* The key whose words are s[0, n), with sequence hash f; -1 if none. */
static inline int32
lookup(const CzWordIndex *wi, uint64 f, const unsigned char *s, int n)
{
	uint32		h = (uint32) (f >> 32);
	uint32		i = (uint32) (first_slot(wi, f) - wi->slots);

	for (;; i = (i + 1) & wi->slot_mask)
	{
		const WordSlot *sl = &wi->slots[i];

		if (sl->record == 0)
			return -1;
		if (sl->hash == h)
		{
			const WordRecord *rec = (const WordRecord *) (wi->arena + sl->record - 1);

			if (rec->len == n && same_bytes(rec->bytes, s, n))
				return rec->key;
		}
	}
}

bool
cz_word_index_scan(const CzWordIndex *wi, const char *text, int len,
				   int from, int to, CzAcHitFn hit, void *arg)
{
	const unsigned char *t = (const unsigned char *) text + from;
	int			max_inner = wi->max_inner;
	uint32		steps = 0;
	int			n;
	int			block = 0;
	uint64		spaces;
	int			p;

	/*
	 * The scan reads t[0, n] and the slack after it, where t[n] counts as a
	 * space: n runs as far as a key starting before "to" may reach (and a
	 * byte more), since a stretch of a long text ends in the middle of it.
	 */
	n = (int) Min((int64) len, (int64) to + max_inner + 2) - from;
	to -= from;
	if (n <= 0)
		return true;

	/*
	 * spaces: those of the block not yet taken.  Bits after n, of whatever
	 * the slack holds, are never reached: the scan stops at n.
	 */
	spaces = block_spaces(t, n, 0);
	while (spaces == 0)
		spaces = block_spaces(t, n, ++block);
	p = block * 64 + pg_rightmost_one_pos64(spaces);
	spaces &= spaces - 1;

	while (p < to)
	{
		/* the key's words would start after the space at p */
		int			start = p + 1;
		int			q;
		int			end;
		uint64		seq;
		uint64		f;

		while (unlikely(spaces == 0))
			spaces = block_spaces(t, n, ++block);
		q = block * 64 + pg_rightmost_one_pos64(spaces);
		spaces &= spaces - 1;
		/* the next start is after q, whatever this one finds */
		end = p = q;

		/* a key ends with a space, and none is longer */
		if (q >= n || q - start > max_inner)
			continue;

		/* most words start no key: a load from the small filter says so */
		if (wi->first != NULL)
		{
			uint64		g = first_hash(t + start, q - start);

			if ((*first_word(wi, g) & FIRST_BITS(g)) != FIRST_BITS(g))
				continue;
		}
		seq = sequence_step(WI_SEED, word_hash(t + start, q - start));
		f = finish(seq);

		for (;;)
		{
			uint64		w = *filter_word(wi, f);
			int			word_start;

			if ((w & KEY_BITS(f)) == KEY_BITS(f))
			{
				int32		key = lookup(wi, f, t + start, end - start);

				if (key >= 0 && !hit(arg, key, from + end + 1))
					return false;
			}
			if ((w & PREFIX_BITS(f)) != PREFIX_BITS(f))
				break;
			/* keys of many words: many steps a start, so tick on steps */
			if (unlikely((++steps & 0xFFFF) == 0) &&
				!hit(arg, CZ_AC_WORK_TICK, from + end + 1))
				return false;
			word_start = end + 1;
			end = space_from(t, n, word_start);
			if (end >= n || end - start > max_inner)
				break;
			seq = sequence_step(seq, word_hash(t + word_start, end - word_start));
			f = finish(seq);
		}
	}
	return true;
}

int32
cz_word_index_key_count(const CzWordIndex *wi)
{
	return wi ? wi->nkeys : 0;
}
