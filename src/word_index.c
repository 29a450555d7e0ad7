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
 *	  in the nearest caches where the bigger filter does not.
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

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

#include "word_index.h"

/* spaces after a copied text, so loads of 8 or 16 bytes never run past it */
#define WI_PAD		16
/* texts (or stretches) up to this are copied on the stack */
#define WI_STACK	2048
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

/*
 * Offset of the first space at or after a; the buffer ends in WI_PAD
 * spaces, so there is one.
 */
static inline int
next_space(const unsigned char *b, int a)
{
#ifndef WORDS_BIGENDIAN
	for (;; a += 8)
	{
		uint64		x = load8(b + a) ^ UINT64CONST(0x2020202020202020);
		uint64		zero = (x - UINT64CONST(0x0101010101010101)) & ~x &
			UINT64CONST(0x8080808080808080);

		/* the lowest flagged byte is the first zero (higher ones may not be) */
		if (zero != 0)
			return a + pg_rightmost_one_pos64(zero) / 8;
	}
#else
	while (b[a] != ' ')
		a++;
	return a;
#endif
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
 * load from it and no more.
 */
static inline uint64
first_mix(uint64 f)
{
	return (f ^ (f >> 29)) * WI_MUL2;
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
				uint64		g = first_mix(f);

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

/*
 * The scan proper, over a copy of the text from offset base, n bytes long
 * and followed by WI_PAD spaces; starts at the spaces in [0, to).
 */
static bool
scan_padded(const CzWordIndex *wi, const unsigned char *t, int n, int to,
			int base, CzAcHitFn hit, void *arg)
{
	int			max_inner = wi->max_inner;
	int			p = next_space(t, 0);
	uint32		steps = 0;

	while (p < to)
	{
		/* the key's words would start after the space at p */
		int			start = p + 1;
		int			q = next_space(t, start);
		int			next_p = q;
		uint64		seq;
		uint64		f;

		/* a key ends with a space, and none is longer */
		if (q >= n || q - start > max_inner)
		{
			p = next_p;
			continue;
		}
		seq = sequence_step(WI_SEED, word_hash(t + start, q - start));
		f = finish(seq);

		/* most words start no key: a load from the small filter says so */
		if (wi->first != NULL)
		{
			uint64		g = first_mix(f);

			if ((*first_word(wi, g) & FIRST_BITS(g)) != FIRST_BITS(g))
			{
				p = next_p;
				continue;
			}
		}

		for (;;)
		{
			uint64		w = *filter_word(wi, f);

			if ((w & KEY_BITS(f)) == KEY_BITS(f))
			{
				int32		key = lookup(wi, f, t + start, q - start);

				if (key >= 0 && !hit(arg, key, base + q + 1))
					return false;
			}
			if ((w & PREFIX_BITS(f)) != PREFIX_BITS(f))
				break;
			/* keys of many words: many steps a start, so tick on steps */
			if (unlikely((++steps & 0xFFFF) == 0) &&
				!hit(arg, CZ_AC_WORK_TICK, base + q + 1))
				return false;
			p = q;
			q = next_space(t, q + 1);
			if (q >= n || q - start > max_inner)
				break;
			seq = sequence_step(seq, word_hash(t + p + 1, q - p - 1));
			f = finish(seq);
		}
		p = next_p;
	}
	return true;
}

bool
cz_word_index_scan(const CzWordIndex *wi, const char *text, int len,
				   int from, int to, CzAcHitFn hit, void *arg)
{
	unsigned char stack_buf[WI_STACK + WI_PAD];
	unsigned char *buf = stack_buf;
	int			n;
	bool		result;

	/*
	 * The copy runs as far as a key starting before "to" may reach (and a
	 * byte more): a stretch of a long text ends in the middle of it.
	 */
	n = (int) Min((int64) len, (int64) to + wi->max_inner + 2) - from;
	if (n <= 0)
		return true;
	if (n > WI_STACK)
		buf = palloc(n + WI_PAD);
	memcpy(buf, text + from, n);
	memset(buf + n, ' ', WI_PAD);
	result = scan_padded(wi, buf, n, to - from, from, hit, arg);
	if (buf != stack_buf)
		pfree(buf);
	return result;
}

int32
cz_word_index_key_count(const CzWordIndex *wi)
{
	return wi ? wi->nkeys : 0;
}
