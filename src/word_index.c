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
 *	  looked up in an open-addressing table and compared byte for byte, so
 *	  the filter's false positives cost time, never a wrong hit.
 *
 *	  With a hundred thousand patterns the trie's states spread over tens
 *	  of megabytes and a scan waits on one load after another; here the
 *	  loads of different words do not depend on each other, and the filter
 *	  (12 bits a key or key prefix) stays small.
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

/* spaces after a copied text, so loads of 8 bytes never run past it */
#define WI_PAD		16
/* texts (or stretches) up to this are copied on the stack */
#define WI_STACK	2048

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
	int32		key;			/* -1: empty */
	uint32		off;			/* its words in bytes[] (the pads left out) */
	int32		len;
} WordSlot;

struct CzWordIndex
{
	int32		nkeys;			/* keys taken */
	int32		max_inner;		/* longest key, pads left out */
	uint32		filter_mask;	/* filter words - 1 */
	uint32		slot_mask;		/* slots - 1 */
	uint64	   *filter;
	WordSlot   *slots;
	char	   *bytes;
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

/* The sequence hash, mixed: its low bits pick the filter word. */
static inline uint64
finish(uint64 k)
{
	k *= UINT64CONST(0xFF51AFD7ED558CCD);
	return k ^ (k >> 32);
}

static inline uint32
slot_of(const CzWordIndex *wi, uint64 f)
{
	return (uint32) (f >> 12) & wi->slot_mask;
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

CzWordIndex *
cz_word_index_build(MemoryContext cxt, int32 nkeys, const char *bytes,
					const Size *key_off, const int32 *key_len, const bool *take)
{
	CzWordIndex *wi;
	int32		ntaken = 0;
	Size		nentries = 0;
	Size		nbytes = 0;
	Size		pos = 0;
	int32		max_inner = 0;
	char	   *padded;
	uint64		nbits;
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
		nbytes += ilen;
		max_inner = Max(max_inner, ilen);
		nentries++;
		for (j = 0; j < ilen; j++)
			nentries += (inner[j] == ' ');
	}
	if (ntaken == 0)
		return NULL;

	wi = MemoryContextAllocZero(cxt, sizeof(CzWordIndex));
	wi->nkeys = ntaken;
	wi->max_inner = max_inner;
	nbits = next_pow2(Max(nentries * 12, 512));
	wi->filter_mask = (uint32) (nbits / 64 - 1);
	wi->filter = MemoryContextAllocExtended(cxt, nbits / 8,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	nslots = next_pow2(Max((uint64) ntaken * 2, 16));
	wi->slot_mask = (uint32) (nslots - 1);
	wi->slots = MemoryContextAllocExtended(cxt, sizeof(WordSlot) * nslots,
										   MCXT_ALLOC_HUGE);
	memset(wi->slots, -1, sizeof(WordSlot) * nslots);
	wi->bytes = MemoryContextAllocExtended(cxt, Max(nbytes, 1), MCXT_ALLOC_HUGE);

	padded = palloc(wi->max_inner + WI_PAD);
	for (k = 0; k < nkeys; k++)
	{
		char	   *inner = padded;
		int			ilen = key_len[k] - 2;
		uint64		seq = WI_SEED;
		int			a = 0;
		int			j;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!take[k])
			continue;
		memcpy(padded, bytes + key_off[k] + 1, ilen);
		memset(padded + ilen, ' ', WI_PAD);
		memcpy(wi->bytes + pos, inner, ilen);
		pos += ilen;

		for (j = 0; j <= ilen; j++)
		{
			uint64		f;

			if (j < ilen && inner[j] != ' ')
				continue;
			seq = sequence_step(seq, word_hash((const unsigned char *) inner + a, j - a));
			f = finish(seq);
			if (j < ilen)
				wi->filter[(uint32) f & wi->filter_mask] |= PREFIX_BITS(f);
			else
			{
				uint32		i = slot_of(wi, f);

				wi->filter[(uint32) f & wi->filter_mask] |= KEY_BITS(f);
				while (wi->slots[i].key >= 0)
					i = (i + 1) & wi->slot_mask;
				wi->slots[i].hash = (uint32) (f >> 32);
				wi->slots[i].key = k;
				wi->slots[i].off = (uint32) (pos - ilen);
				wi->slots[i].len = ilen;
			}
			a = j + 1;
		}
	}
	pfree(padded);
	return wi;
}

/* The key whose words are s[0, n), with sequence hash f; -1 if none. */
static inline int32
lookup(const CzWordIndex *wi, uint64 f, const unsigned char *s, int n)
{
	uint32		h = (uint32) (f >> 32);
	uint32		i;

	for (i = slot_of(wi, f);; i = (i + 1) & wi->slot_mask)
	{
		const WordSlot *sl = &wi->slots[i];

		if (sl->key < 0)
			return -1;
		if (sl->hash == h && sl->len == n &&
			memcmp(wi->bytes + sl->off, s, n) == 0)
			return sl->key;
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
	const uint64 *filter = wi->filter;
	uint32		fmask = wi->filter_mask;
	int			max_inner = wi->max_inner;
	int			p = next_space(t, 0);

	while (p < to)
	{
		/* the key's words would start after the space at p */
		int			start = p + 1;
		int			q = next_space(t, start);
		int			next_p = q;
		uint64		seq = WI_SEED;

		/* a key ends with a space, and none is longer */
		while (q < n && q - start <= max_inner)
		{
			uint64		f;
			uint64		w;

			seq = sequence_step(seq, word_hash(t + p + 1, q - p - 1));
			f = finish(seq);
			w = filter[(uint32) f & fmask];
			if ((w & KEY_BITS(f)) == KEY_BITS(f))
			{
				int32		key = lookup(wi, f, t + start, q - start);

				if (key >= 0 && !hit(arg, key, base + q + 1))
					return false;
			}
			if ((w & PREFIX_BITS(f)) != PREFIX_BITS(f))
				break;
			p = q;
			q = next_space(t, q + 1);
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
