/*-------------------------------------------------------------------------
 *
 * automaton.c
 *	  Aho-Corasick automaton for the literal patterns (merchant, keyword,
 *	  description), so one pass over the expense text finds every literal
 *	  pattern in it, whatever their number.
 *
 *	  Build: the keys are kept (identical keys get one id) until the build,
 *	  which puts them in byte order and numbers the trie's states
 *	  breadth-first straight from them (each key extends the path of the
 *	  one before; two passes, no linked trie), so the children of a state
 *	  get consecutive numbers and the later passes read states in order;
 *	  a breadth-first pass computes the failure links and, for each state,
 *	  the keys reported there (its own, then those on its failure chain: a
 *	  linked list of output entries, one per key).
 *
 *	  Layout: bytes are mapped to a compressed alphabet of the bytes that
 *	  occur in keys (class 0 = a byte no key contains, which sends the scan
 *	  back to the root).  The scan's state is a uint32 "state value": the
 *	  top bit (CZ_AC_OUT) says that keys end here, so the output tables are
 *	  only read when there is something to report; the rest is the offset
 *	  of a dense row (below dense_limit) or dense_limit + a cell number.
 *
 *	  - Dense rows: the first states in breadth-first order, up to a memory
 *	    budget, get a row of full DFA transitions: one load per byte.  The
 *	    rows of states that report keys come last (from dense_quiet on), so
 *	    the scan's fast path is one load and one comparison per byte.  With
 *	    few patterns every state is dense.
 *	  - Cells: every other state is a cell of a double-array trie, 8 bytes:
 *	    base (its children are at cells base + class), check (the class of
 *	    the edge into this cell's state), the failure link and the output
 *	    flag.  No two states with children share a base, so check = class
 *	    proves that cell t = base + class is the child of the state we are
 *	    in.  A transition is two loads, mostly from one cache line; without
 *	    a child the scan follows failure links, which end in a dense row.
 *	    Cells are placed depth-first from each dense state's frontier, so
 *	    the states along a key sit next to each other in memory.
 *	  - Outputs of cells: a bitmap of the cells that report, with a running
 *	    count per 64 cells, ranks them into a table of copies of their first
 *	    outputs (key and next), so a state that reports one key reads no
 *	    output list; dense states have such a copy per row.
 *
 *	  Memory: 8.25 bytes per sparse state (and a few percent of cells left
 *	  empty), 8 more per sparse state that reports, 12 per key, and the
 *	  dense rows (512kB at most by default: with more, the rows of the
 *	  states a scan rarely reaches push the hot ones out of the cache;
 *	  1MB scanned about 4% slower at 1k patterns).
 *
 *	  Whole-word keys (" word word ", the normalized merchant and keyword
 *	  values), when there are CZ_WORD_INDEX_MIN_KEYS of them or more, are
 *	  left out of the trie and found by word_index.c, which hashes the
 *	  text's word sequences: with a hundred thousand patterns the trie's
 *	  states no longer stay in the caches.  The scan runs both, stretch by
 *	  stretch, and reports their keys alike.
 *
 *	  The automaton is immutable once built and lives in the memory
 *	  context given to cz_ac_build; it is backend-local and needs no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "automaton.h"
#include "word_index.h"

/* Dense transition rows take at most this much memory by default. */
#ifndef CZ_AC_DENSE_BUDGET
#define CZ_AC_DENSE_BUDGET	(512 * 1024)
#endif

/*
 * From this many whole-word keys (" word word "), they are left out of the
 * trie and found by the word index.  Below it the trie's states stay in
 * the caches and scanning them is cheaper than hashing words: on the
 * bench's pattern sets the trie was 2-3% faster with 10,000 such keys,
 * the word index 2-7% faster with 20,000 and 4-8% with 81,000.
 */
#ifndef CZ_WORD_INDEX_MIN_KEYS
#define CZ_WORD_INDEX_MIN_KEYS	20000
#endif

/* State value flag: keys end in this state. */
#define CZ_AC_OUT			UINT32_C(0x80000000)
#define CZ_AC_STATE_MASK	UINT32_C(0x7FFFFFFF)

/*
 * A cell is a uint64: base (27 bits), output flag (1), check (8), failure
 * link (28, a state value).  So there are at most 2^27 state values.
 */
#define CELL_BASE_MASK		UINT64CONST(0x7FFFFFF)
#define CELL_OUT			(UINT64CONST(1) << 27)
#define CELL_CHECK_SHIFT	28
#define CELL_FAIL_SHIFT		36
#define CZ_AC_MAX_STATE_VALUES	(UINT32_C(1) << 27)

#define cell_base(x)	((uint32) ((x) & CELL_BASE_MASK))
#define cell_check(x)	((uint32) ((x) >> CELL_CHECK_SHIFT) & 0xFF)
#define cell_fail(x)	((uint32) ((x) >> CELL_FAIL_SHIFT))

struct CzAcBuilder
{
	MemoryContext cxt;
	/* the keys as added, ids in order of first addition */
	char	   *bytes;
	Size		nbytes;
	Size		maxbytes;
	Size	   *key_off;
	int32	   *key_len;
	int32		nkeys;
	int32		maxkeys;
	/* open addressing over key ids (-1: empty), to find identical keys */
	int32	   *slots;
	uint32		nslots;			/* a power of two, over twice nkeys */
};
typedef struct AcOutput
{
	int32		key;
	int32		next;			/* next output on the failure chain, or -1 */
} AcOutput;

/* Which cells report, for 64 cells: rank of the first, and a bitmap. */
typedef struct AcOutWord
{
	uint32		rank;
	uint64		bits;
} AcOutWord;

struct CzAutomaton
{
	uint8		byte_class[256];
	int32		nclasses;
	int32		nstates;
	int32		ndense;
	uint32		dense_quiet;	/* dense rows below this report nothing */
	uint32		dense_limit;	/* ndense * nclasses */
	int32		nkeys;
	int32		trie_keys;		/* keys in the trie (not whole-word ones) */
	int32	   *key_len;
	CzWordIndex *words;			/* the whole-word keys, or NULL */
	uint32	   *dense;			/* ndense rows of nclasses state values */
	uint64	   *cells;			/* ncells */
	uint32		ncells;
	AcOutput   *dense_first;	/* per dense state: a copy of its first
								 * output, key -1 if none */
	AcOutWord  *cell_out_words; /* ncells / 64 + 1 */
	AcOutput   *cell_first;		/* per reporting cell, in order: a copy of
								 * its first output */
	AcOutput   *outputs;		/* nkeys */
};

CzAcBuilder *
cz_ac_builder_create(MemoryContext cxt)
{
	CzAcBuilder *b = MemoryContextAllocZero(cxt, sizeof(CzAcBuilder));

	b->cxt = cxt;
	b->maxbytes = 4096;
	b->bytes = MemoryContextAlloc(cxt, b->maxbytes);
	b->maxkeys = 256;
	b->key_off = MemoryContextAlloc(cxt, sizeof(Size) * b->maxkeys);
	b->key_len = MemoryContextAlloc(cxt, sizeof(int32) * b->maxkeys);
	b->nslots = 1024;
	b->slots = MemoryContextAlloc(cxt, sizeof(int32) * b->nslots);
	memset(b->slots, -1, sizeof(int32) * b->nslots);
	return b;
}

static inline uint32
key_hash(const char *key, int len)
{
	return hash_bytes((const unsigned char *) key, len);
}

/* Double the slot table. */
static pg_noinline void
builder_rehash(CzAcBuilder *b)
{
	uint32		nslots = b->nslots * 2;
	int32	   *slots = MemoryContextAllocExtended(b->cxt, sizeof(int32) * nslots,
												   MCXT_ALLOC_HUGE);
	int32		k;

	memset(slots, -1, sizeof(int32) * nslots);
	for (k = 0; k < b->nkeys; k++)
	{
		uint32		i = key_hash(b->bytes + b->key_off[k], b->key_len[k]) & (nslots - 1);

		while (slots[i] >= 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = k;
	}
	pfree(b->slots);
	b->slots = slots;
	b->nslots = nslots;
}

/*
 * Add a key; returns its id (that of the identical key added before, if
 * any).  Keys are only stored here: the trie's states are numbered at
 * build time, from the keys in byte order, so that building walks memory
 * in order.
 */
int32
cz_ac_builder_add(CzAcBuilder *b, const char *key, int len)
{
	uint32		mask = b->nslots - 1;
	uint32		i = key_hash(key, len) & mask;
	int32		id;

	Assert(len > 0);
	for (; (id = b->slots[i]) >= 0; i = (i + 1) & mask)
		if (b->key_len[id] == len &&
			memcmp(b->bytes + b->key_off[id], key, len) == 0)
			return id;

	/* a new key: each byte can make one trie state, and states are int32 */
	if (b->nbytes + len >= (Size) (PG_INT32_MAX / 2))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many literal patterns to compile")));
	if (b->nkeys == b->maxkeys)
	{
		b->maxkeys *= 2;
		b->key_off = repalloc_huge(b->key_off, sizeof(Size) * b->maxkeys);
		b->key_len = repalloc_huge(b->key_len, sizeof(int32) * b->maxkeys);
	}
	if (b->nbytes + len > b->maxbytes)
	{
		b->maxbytes = Max(b->maxbytes * 2, b->nbytes + len);
		b->bytes = repalloc_huge(b->bytes, b->maxbytes);
	}
	memcpy(b->bytes + b->nbytes, key, len);
	id = b->nkeys++;
	b->key_off[id] = b->nbytes;
	b->key_len[id] = len;
	b->nbytes += len;
	b->slots[i] = id;
	if ((uint64) b->nkeys * 2 > b->nslots)
		builder_rehash(b);
	return id;
}

/* Sort order of keys: bytes as unsigned, a key before its extensions. */
typedef struct KeyOrder
{
	const CzAcBuilder *b;
	const uint64 *head;			/* first 8 bytes, big-endian, zero-padded */
} KeyOrder;

static int
cmp_keys(const void *pa, const void *pb, void *arg)
{
	const KeyOrder *ko = (const KeyOrder *) arg;
	int32		x = *(const int32 *) pa;
	int32		y = *(const int32 *) pb;
	int32		lx,
				ly;
	int			c;

	if (ko->head[x] != ko->head[y])
		return ko->head[x] < ko->head[y] ? -1 : 1;
	/* keys hold no NUL, so equal heads with a key of 8 bytes or less: equal */
	lx = ko->b->key_len[x];
	ly = ko->b->key_len[y];
	if (lx <= 8 || ly <= 8)
		return (lx > ly) - (lx < ly);
	c = memcmp(ko->b->bytes + ko->b->key_off[x] + 8,
			   ko->b->bytes + ko->b->key_off[y] + 8, Min(lx, ly) - 8);
	if (c != 0)
		return c;
	return (lx > ly) - (lx < ly);
}

/*
 * The trie's states, numbered breadth-first, made straight from the keys
 * in byte order.  Each key shares the path of the key before it up to
 * their common prefix (lcp) and adds states at the depths below; with the
 * keys in order, the states of one depth are added in the order of their
 * prefixes, which is their breadth-first order (parent first, then the
 * byte).  So a first pass counts the states of each depth (depth d's
 * numbers start after all shallower states) and a second hands out the
 * numbers, each state's children coming out consecutive: no trie of
 * linked nodes is made.
 *
 * Returns the number of states and sets, per state: the first of its
 * children (st_child[s] .. st_child[s + 1] - 1, with st_child[nstates] =
 * nstates), the byte of the edge into it, and the key ending there (-1 if
 * none); used[] gets the bytes the keys use.  Keys whose left_out[] is set
 * (those of the word index) get no states.
 */
static int32
builder_number_states(CzAcBuilder *b, const bool *left_out, int32 **st_child_out,
					  uint8 **st_byte_out, int32 **st_key_out, bool *used)
{
	KeyOrder	ko;
	uint64	   *head;
	int32	   *sorted;
	int32	   *lcp;			/* per key in order: prefix shared with the
								 * key before */
	int32	   *next_id;		/* per depth: the next state number */
	int32	   *path;			/* state at each depth of the current key */
	int32	   *st_child;
	uint8	   *st_byte;
	int32	   *st_key;
	int32		maxlen = 0;
	int32		nsorted = 0;
	int32		nstates;
	int32		k,
				d,
				s;
	const char *prev = NULL;
	int32		prevlen = 0;

	head = palloc_extended(sizeof(uint64) * Max(b->nkeys, 1), MCXT_ALLOC_HUGE);
	sorted = palloc_extended(sizeof(int32) * Max(b->nkeys, 1), MCXT_ALLOC_HUGE);
	for (k = 0; k < b->nkeys; k++)
	{
		const uint8 *key = (const uint8 *) b->bytes + b->key_off[k];
		uint64		h = 0;
		int			j;

		if (left_out[k])
			continue;
		for (j = 0; j < 8; j++)
			h = (h << 8) | (j < b->key_len[k] ? key[j] : 0);
		head[k] = h;
		sorted[nsorted++] = k;
		maxlen = Max(maxlen, b->key_len[k]);
	}
	ko.b = b;
	ko.head = head;
	qsort_arg(sorted, nsorted, sizeof(int32), cmp_keys, &ko);
	pfree(head);

	/* pass 1: common prefixes, and the states each depth gets */
	lcp = palloc_extended(sizeof(int32) * Max(b->nkeys, 1), MCXT_ALLOC_HUGE);
	next_id = palloc0(sizeof(int32) * (maxlen + 2));
	next_id[0] = 1;				/* the root */
	for (k = 0; k < nsorted; k++)
	{
		const char *key = b->bytes + b->key_off[sorted[k]];
		int32		len = b->key_len[sorted[k]];
		int32		l = 0;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		while (l < len && l < prevlen && key[l] == prev[l])
			l++;
		/* distinct keys in order: this one is no prefix of the one before */
		Assert(l < len);
		lcp[k] = l;
		for (d = l; d < len; d++)
		{
			next_id[d + 1]++;
			used[(uint8) key[d]] = true;
		}
		prev = key;
		prevlen = len;
	}
	/* counts to first numbers */
	nstates = 0;
	for (d = 0; d <= maxlen; d++)
	{
		int32		count = next_id[d];

		next_id[d] = nstates;
		nstates += count;
	}

	/* pass 2: number the states, link each to its first child */
	st_child = palloc_extended(sizeof(int32) * ((Size) nstates + 1), MCXT_ALLOC_HUGE);
	st_byte = palloc_extended(sizeof(uint8) * nstates, MCXT_ALLOC_HUGE);
	st_key = palloc_extended(sizeof(int32) * nstates, MCXT_ALLOC_HUGE);
	memset(st_child, -1, sizeof(int32) * nstates);
	memset(st_key, -1, sizeof(int32) * nstates);
	st_byte[0] = 0;
	path = palloc(sizeof(int32) * (maxlen + 1));
	path[0] = next_id[0]++;
	for (k = 0; k < nsorted; k++)
	{
		const char *key = b->bytes + b->key_off[sorted[k]];
		int32		len = b->key_len[sorted[k]];

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (d = lcp[k]; d < len; d++)
		{
			int32		n = next_id[d + 1]++;

			if (st_child[path[d]] < 0)
				st_child[path[d]] = n;
			st_byte[n] = (uint8) key[d];
			path[d + 1] = n;
		}
		st_key[path[len]] = sorted[k];
	}
	/* a state without children: an empty range where the next one starts */
	st_child[nstates] = nstates;
	for (s = nstates - 1; s >= 0; s--)
		if (st_child[s] < 0)
			st_child[s] = st_child[s + 1];

	pfree(path);
	pfree(next_id);
	pfree(lcp);
	pfree(sorted);
	*st_child_out = st_child;
	*st_byte_out = st_byte;
	*st_key_out = st_key;
	return nstates;
}

/*
 * Transition from the sparse state in cell k on class c (not 0): the new
 * state value, with its CZ_AC_OUT flag.
 */
static inline uint32
sparse_step(const CzAutomaton *ac, uint32 k, uint32 c)
{
	const uint64 *cells = ac->cells;

	for (;;)
	{
		uint64		ck = cells[k];
		uint32		t = cell_base(ck) + c;
		uint64		ct = cells[t];
		uint32		f;

		if (cell_check(ct) == c)
			return (ac->dense_limit + t) | ((ct & CELL_OUT) ? CZ_AC_OUT : 0);
		f = cell_fail(ck);
		if (f < ac->dense_limit)
			return ac->dense[f + c];
		k = f - ac->dense_limit;
	}
}

/* Full DFA transition from state value s (no flag) on class c. */
static inline uint32
ac_step(const CzAutomaton *ac, uint32 s, uint32 c)
{
	if (s < ac->dense_limit)
		return ac->dense[s + c];
	if (c == 0)
		return 0;
	return sparse_step(ac, s - ac->dense_limit, c);
}

/* How many times a free cell is tried before it is left empty for good. */
#define CZ_AC_HOLE_TRIES	8

/* Working state of the cell placement. */
typedef struct CellAlloc
{
	uint64	   *cells;
	bool	   *used;			/* cell holds a state */
	bool	   *base_used;		/* some state's base */
	uint32	   *next_free;		/* towards the next free cell: k if free */
	uint8	   *tries;			/* failed placements at a free cell */
	uint32		cap;
	uint32		head;			/* no free cell below this */
	uint32		top;			/* no used cell at or above this */
	uint32		nclasses;
} CellAlloc;

/* Make cells [0, need) exist. */
static pg_noinline void
cells_grow(CellAlloc *ca, uint64 need)
{
	uint64		newcap;

	newcap = Max((uint64) ca->cap + ca->cap / 4, need);
	if (newcap > CZ_AC_MAX_STATE_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many literal patterns to compile")));
	ca->cells = repalloc_huge(ca->cells, sizeof(uint64) * newcap);
	ca->used = repalloc_huge(ca->used, sizeof(bool) * newcap);
	ca->base_used = repalloc_huge(ca->base_used, sizeof(bool) * newcap);
	ca->next_free = repalloc_huge(ca->next_free, sizeof(uint32) * newcap);
	ca->tries = repalloc_huge(ca->tries, sizeof(uint8) * newcap);
	memset(ca->tries + ca->cap, 0, sizeof(uint8) * (newcap - ca->cap));
	for (uint64 k = ca->cap; k < newcap; k++)
		ca->next_free[k] = (uint32) k;
	memset(ca->cells + ca->cap, 0, sizeof(uint64) * (newcap - ca->cap));
	memset(ca->used + ca->cap, 0, sizeof(bool) * (newcap - ca->cap));
	memset(ca->base_used + ca->cap, 0, sizeof(bool) * (newcap - ca->cap));
	ca->cap = (uint32) newcap;
}

/* Make cells [0, n + nclasses] exist. */
static inline void
cells_reserve(CellAlloc *ca, uint64 n)
{
	if (unlikely(n + ca->nclasses >= ca->cap))
		cells_grow(ca, n + ca->nclasses + 1);
}

/* The first free cell at or after k (union-find with path halving). */
static uint32
cells_next_free(CellAlloc *ca, uint32 k)
{
	cells_reserve(ca, k);
	while (ca->next_free[k] != k)
	{
		uint32		n = ca->next_free[k];

		cells_reserve(ca, n);
		ca->next_free[k] = ca->next_free[n];
		k = n;
	}
	return k;
}

/* Put a state whose edge in has class c (0: from a dense state) in cell k. */
static void
cells_take(CellAlloc *ca, uint32 k, uint32 c)
{
	Assert(!ca->used[k]);
	ca->used[k] = true;
	ca->next_free[k] = k + 1;
	ca->cells[k] = (uint64) c << CELL_CHECK_SHIFT;
	if (k >= ca->top)
		ca->top = k + 1;
	if (k == ca->head)
		ca->head = cells_next_free(ca, k);
}

/*
 * A base for children with the given classes (sorted, at least one) that
 * no other state has and at which they all fit in free cells: the first
 * such from the first free cell on.
 */
static uint32
cells_find_base(CellAlloc *ca, const uint8 *classes, int n)
{
	uint32		f = cells_next_free(ca, ca->head);

	for (;;)
	{
		/* cells below nclasses are never used, so b > 0 */
		uint32		b = f - classes[0];
		int			i;

		if (!ca->base_used[b])
		{
			cells_reserve(ca, (uint64) b + classes[n - 1]);
			for (i = 1; i < n; i++)
				if (ca->used[b + classes[i]])
					break;
			if (i == n)
			{
				ca->base_used[b] = true;
				return b;
			}
		}
		/*
		 * A hole that does not fit is given up (left empty for good) after
		 * a few tries, so that searches do not keep coming back to it.
		 */
		if (f < ca->top && ++ca->tries[f] >= CZ_AC_HOLE_TRIES)
			ca->next_free[f] = f + 1;
		f = cells_next_free(ca, f + 1);
	}
}

CzAutomaton *
cz_ac_build(CzAcBuilder *b, MemoryContext cxt)
{
	return cz_ac_build_with_budget(b, cxt, CZ_AC_DENSE_BUDGET, CZ_WORD_INDEX_MIN_KEYS);
}

CzAutomaton *
cz_ac_build_words_first(CzAcBuilder *b, MemoryContext cxt)
{
	return cz_ac_build_with_budget(b, cxt, CZ_AC_DENSE_BUDGET, 1);
}

CzAutomaton *
cz_ac_build_with_budget(CzAcBuilder *b, MemoryContext cxt, Size dense_budget,
						int32 word_index_min_keys)
{
	CzAutomaton *ac = MemoryContextAllocZero(cxt, sizeof(CzAutomaton));
	int32		nstates;
	int32	   *st_child;		/* state → its first child: the children
								 * of s are st_child[s] .. st_child[s+1]-1 */
	uint8	   *st_class;		/* state → class of the edge into it */
	int32	   *st_key;			/* state → key ending there, or -1 */
	uint32	   *value;			/* state → state value (no flag) */
	int32	   *stack;
	uint32	   *dense_fail;		/* dense state → failure link */
	int32	   *dense_out;		/* dense state → first output, or -1 */
	int32	   *cell_out;		/* cell → first output, or -1 */
	uint32	   *dense;
	uint32	   *perm;			/* dense state → its row's rank */
	CellAlloc	ca;
	uint32		nc;
	uint32		dl;
	uint32		ncells;
	uint32		nquiet;
	uint32		nreporting;
	bool		used[256];
	bool	   *take_words;		/* key → a whole-word key, for the word index */
	int32		nwords;
	int32		noutputs = 0;
	uint32		placed = 0;
	int			i;
	int32		s;
	uint32		k;

	/*
	 * States numbered breadth-first, so the children of a state are
	 * consecutive: the passes below read states in order.
	 */
	memset(used, 0, sizeof(used));
	take_words = palloc_extended(sizeof(bool) * Max(b->nkeys, 1), MCXT_ALLOC_HUGE);
	nwords = 0;
	for (s = 0; s < b->nkeys; s++)
	{
		take_words[s] = cz_word_key(b->bytes + b->key_off[s], b->key_len[s]);
		nwords += take_words[s];
	}
	/* few of them: the trie holds them too, in memory a scan keeps cached */
	if (nwords < word_index_min_keys)
	{
		memset(take_words, 0, sizeof(bool) * b->nkeys);
		nwords = 0;
	}
	ac->trie_keys = b->nkeys - nwords;
	ac->words = cz_word_index_build(cxt, b->nkeys, b->bytes, b->key_off, b->key_len,
									take_words);
	nstates = builder_number_states(b, take_words, &st_child, &st_class, &st_key, used);
	pfree(take_words);

	/* alphabet: the bytes used by some key; class 0 is "no key has it" */
	ac->nclasses = 1;
	for (i = 0; i < 256; i++)
		ac->byte_class[i] = used[i] ? (uint8) ac->nclasses++ : 0;
	if (ac->nclasses > 256)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("literal patterns use every byte value")));
	nc = ac->nclasses;
	/* edge bytes to classes, in place */
	for (s = 0; s < nstates; s++)
		st_class[s] = ac->byte_class[st_class[s]];

	ac->nstates = nstates;
	ac->nkeys = b->nkeys;
	ac->key_len = MemoryContextAlloc(cxt, sizeof(int32) * Max(b->nkeys, 1));
	memcpy(ac->key_len, b->key_len, sizeof(int32) * b->nkeys);
	ac->ndense = (int32) Min((Size) nstates,
							 Max((Size) 1, dense_budget / (sizeof(uint32) * nc)));
	dl = ac->dense_limit = (uint32) ac->ndense * nc;

	/*
	 * Place the sparse states in cells: depth-first from each child of a
	 * dense state that is not dense itself, each state's children at its
	 * base + their classes.
	 */
	value = palloc_extended(sizeof(uint32) * nstates, MCXT_ALLOC_HUGE);
	for (s = 0; s < ac->ndense; s++)
		value[s] = (uint32) s * nc;
	ca.nclasses = nc;
	ca.cap = 0;
	ca.cells = palloc_extended(sizeof(uint64), MCXT_ALLOC_HUGE);
	ca.used = palloc_extended(sizeof(bool), MCXT_ALLOC_HUGE);
	ca.base_used = palloc_extended(sizeof(bool), MCXT_ALLOC_HUGE);
	ca.next_free = palloc_extended(sizeof(uint32), MCXT_ALLOC_HUGE);
	ca.tries = palloc_extended(sizeof(uint8), MCXT_ALLOC_HUGE);
	/* a few percent of the cells stay empty */
	cells_reserve(&ca, (uint64) (nstates - ac->ndense) * 17 / 16 + nc);
	/* cells [0, nclasses) stay free: leaves have base 0, so no child */
	for (k = 0; k < nc; k++)
	{
		ca.used[k] = true;
		ca.next_free[k] = nc;
	}
	ca.base_used[0] = true;
	ca.head = nc;
	ca.top = nc;
	stack = palloc_extended(sizeof(int32) * nstates, MCXT_ALLOC_HUGE);
	for (s = 0; s < ac->ndense; s++)
	{
		int32		frontier;

		for (frontier = Max(st_child[s], ac->ndense); frontier < st_child[s + 1];
			 frontier++)
		{
			int32		sp = 0;

			if ((uint64) dl + ca.head >= CZ_AC_MAX_STATE_VALUES)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many literal patterns to compile")));
			value[frontier] = dl + ca.head;
			cells_take(&ca, ca.head, 0);
			stack[sp++] = frontier;
			while (sp > 0)
			{
				int32		node = stack[--sp];
				int32		first = st_child[node];
				int			n = st_child[node + 1] - first;
				uint32		base;
				const uint8 *classes = st_class + first;

				if ((++placed & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();

				if (n == 0)
					continue;	/* base 0 */
				base = cells_find_base(&ca, classes, n);
				if ((uint64) dl + base + classes[n - 1] >= CZ_AC_MAX_STATE_VALUES)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many literal patterns to compile")));
				ca.cells[value[node] - dl] |= base;
				for (i = 0; i < n; i++)
				{
					cells_take(&ca, base + classes[i], classes[i]);
					value[first + i] = dl + base + classes[i];
				}
				/* children in reverse, so that the first is placed next */
				for (i = n - 1; i >= 0; i--)
					stack[sp++] = first + i;
			}
		}
	}
	pfree(stack);
	pfree(ca.used);
	pfree(ca.base_used);
	pfree(ca.next_free);
	pfree(ca.tries);
	ncells = ca.top + nc;
	Assert(ncells <= ca.cap);
	ac->ncells = ncells;
	ac->cells = ca.cells;		/* still in the build context: see below */

	/*
	 * Failure links, outputs and dense rows in breadth-first order.  A
	 * state's failure link is shallower, so it is complete (link, outputs,
	 * flag and, if dense, its row) when we get to the state; the children
	 * of each state get their failure link and outputs when it is visited.
	 */
	dense = palloc_extended(sizeof(uint32) * (Size) dl, MCXT_ALLOC_HUGE);
	dense_fail = palloc_extended(sizeof(uint32) * ac->ndense, MCXT_ALLOC_HUGE);
	dense_out = palloc_extended(sizeof(int32) * ac->ndense, MCXT_ALLOC_HUGE);
	cell_out = palloc_extended(sizeof(int32) * ncells, MCXT_ALLOC_HUGE);
	memset(cell_out, -1, sizeof(int32) * ncells);
	ac->dense = dense;
	ac->outputs = MemoryContextAllocExtended(cxt, sizeof(AcOutput) * Max(b->nkeys, 1),
											 MCXT_ALLOC_HUGE);
	dense_fail[0] = 0;
	dense_out[0] = -1;
	for (s = 0; s < nstates; s++)
	{
		uint32		x = value[s];
		uint32		fail;
		int32		child;

		if ((s & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		if (x < dl)
		{
			fail = dense_fail[s];
			if (s == 0)
				memset(dense, 0, sizeof(uint32) * nc);
			else
				memcpy(dense + x, dense + fail, sizeof(uint32) * nc);
		}
		else
			fail = cell_fail(ac->cells[x - dl]);

		for (child = st_child[s]; child < st_child[s + 1]; child++)
		{
			uint32		c = st_class[child];
			uint32		t = value[child];
			uint32		tfail;
			int32		out;

			tfail = (s == 0) ? 0 : (ac_step(ac, fail, c) & CZ_AC_STATE_MASK);
			out = (tfail < dl) ? dense_out[tfail / nc] : cell_out[tfail - dl];
			if (st_key[child] >= 0)
			{
				ac->outputs[noutputs].key = st_key[child];
				ac->outputs[noutputs].next = out;
				out = noutputs++;
			}
			if (t < dl)
			{
				dense_fail[t / nc] = tfail;
				dense_out[t / nc] = out;
			}
			else
			{
				ac->cells[t - dl] |= ((uint64) tfail << CELL_FAIL_SHIFT) |
					(out >= 0 ? CELL_OUT : 0);
				cell_out[t - dl] = out;
			}
			if (x < dl)
				dense[x + c] = t | (out >= 0 ? CZ_AC_OUT : 0);
		}
	}
	Assert(noutputs == ac->trie_keys);
	pfree(dense_fail);
	pfree(st_child);
	pfree(st_class);
	pfree(st_key);
	pfree(value);

	/*
	 * Renumber the dense rows so that those of reporting states come last:
	 * then one comparison with dense_quiet tells the scan that the next
	 * state is dense and reports nothing.  The root stays first.
	 */
	perm = palloc_extended(sizeof(uint32) * ac->ndense, MCXT_ALLOC_HUGE);
	nquiet = 0;
	for (s = 0; s < ac->ndense; s++)
		if (dense_out[s] < 0)
			perm[s] = nquiet++;
	nreporting = nquiet;
	for (s = 0; s < ac->ndense; s++)
		if (dense_out[s] >= 0)
			perm[s] = nreporting++;
	Assert(perm[0] == 0);
	ac->dense_quiet = nquiet * nc;
	ac->dense = MemoryContextAllocExtended(cxt, sizeof(uint32) * (Size) dl,
										   MCXT_ALLOC_HUGE);
	ac->dense_first = MemoryContextAllocExtended(cxt, sizeof(AcOutput) * ac->ndense,
											   MCXT_ALLOC_HUGE);
	for (s = 0; s < ac->ndense; s++)
	{
		uint32	   *from = dense + (Size) s * nc;
		uint32	   *to = ac->dense + (Size) perm[s] * nc;

		if (dense_out[s] >= 0)
			ac->dense_first[perm[s]] = ac->outputs[dense_out[s]];
		else
		{
			ac->dense_first[perm[s]].key = -1;
			ac->dense_first[perm[s]].next = -1;
		}
		for (k = 0; k < nc; k++)
		{
			uint32		v = from[k];
			uint32		t = v & CZ_AC_STATE_MASK;

			to[k] = (t < dl) ? ((v & CZ_AC_OUT) | (perm[t / nc] * nc)) : v;
		}
	}
	pfree(dense);
	pfree(dense_out);

	/* cells into their own context, with failure links renumbered */
	ac->cells = MemoryContextAllocExtended(cxt, sizeof(uint64) * ncells,
										   MCXT_ALLOC_HUGE);
	for (k = 0; k < ncells; k++)
	{
		uint64		x = ca.cells[k];
		uint32		f = cell_fail(x);

		if (f < dl)
			x = (x & ~(~UINT64CONST(0) << CELL_FAIL_SHIFT)) |
				((uint64) (perm[f / nc] * nc) << CELL_FAIL_SHIFT);
		ac->cells[k] = x;
	}
	pfree(ca.cells);
	pfree(perm);

	/* outputs of the reporting cells, by rank */
	ac->cell_out_words = MemoryContextAllocExtended(cxt,
													sizeof(AcOutWord) * (ncells / 64 + 1),
													MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	nreporting = 0;
	for (k = 0; k < ncells; k++)
	{
		if ((k & 63) == 0)
			ac->cell_out_words[k / 64].rank = nreporting;
		if (cell_out[k] >= 0)
		{
			ac->cell_out_words[k / 64].bits |= UINT64CONST(1) << (k & 63);
			nreporting++;
		}
	}
	ac->cell_first = MemoryContextAllocExtended(cxt, sizeof(AcOutput) * Max(nreporting, 1),
											  MCXT_ALLOC_HUGE);
	nreporting = 0;
	for (k = 0; k < ncells; k++)
		if (cell_out[k] >= 0)
			ac->cell_first[nreporting++] = ac->outputs[cell_out[k]];
	pfree(cell_out);

	return ac;
}

int32
cz_ac_key_count(const CzAutomaton *ac)
{
	return ac->nkeys;
}

int32
cz_ac_state_count(const CzAutomaton *ac)
{
	return ac->nstates;
}

int32
cz_ac_word_key_count(const CzAutomaton *ac)
{
	return cz_word_index_key_count(ac->words);
}

int32
cz_ac_key_length(const CzAutomaton *ac, int32 key)
{
	return ac->key_len[key];
}

/*
 * Report the keys of state value s (flag cleared); false if told to stop.
 * *outputs counts the keys reported in this scan: keys that are suffixes
 * of one another ("a", "aa", ... ) report a chain at every byte, so a
 * stretch of text can report millions, and the caller gets a work tick
 * every 65,536 of them.
 */
static pg_noinline bool
report(const CzAutomaton *ac, uint32 s, int end, CzAcHitFn hit, void *arg,
	   uint32 *outputs)
{
	const AcOutput *first;
	int32		o;

	if (s < ac->dense_limit)
		first = &ac->dense_first[s / (uint32) ac->nclasses];
	else
	{
		uint32		k = s - ac->dense_limit;
		const AcOutWord *w = &ac->cell_out_words[k / 64];

		first = &ac->cell_first[w->rank +
								pg_popcount64(w->bits & ((UINT64CONST(1) << (k & 63)) - 1))];
	}
	if (first->key < 0)
		return true;
	if (!hit(arg, first->key, end))
		return false;
	for (o = first->next; o >= 0; o = ac->outputs[o].next)
	{
		if (!hit(arg, ac->outputs[o].key, end))
			return false;
		if (unlikely((++*outputs & 0xFFFF) == 0) &&
			!hit(arg, CZ_AC_WORK_TICK, end))
			return false;
	}
	return true;
}

bool
cz_ac_scan(const CzAutomaton *ac, const char *text, int len,
		   CzAcHitFn hit, void *arg)
{
	const uint8 *p = (const uint8 *) text;
	const uint8 *byte_class = ac->byte_class;
	const uint32 *dense = ac->dense;
	const uint64 *cells = ac->cells;
	uint32		quiet = ac->dense_quiet;
	uint32		dl = ac->dense_limit;
	uint32		s = 0;
	int			i = 0;
	int			tick = 0xFFFF;
	uint32		outputs = 0;

	if (ac->nkeys == 0)
		return true;

	for (;;)
	{
		int			stop = Min(len, tick);

		/* whole-word keys starting in this stretch */
		if (ac->words && !cz_word_index_scan(ac->words, text, len, i, stop, hit, arg))
			return false;
		if (ac->trie_keys == 0)
			i = stop;
		while (i < stop)
		{
			uint32		c = byte_class[p[i++]];
			uint32		v;

			/* fast path: a dense state that reports nothing */
			if (likely(s < quiet))
			{
				v = dense[s + c];
				if (likely(v < quiet))
				{
					s = v;
					continue;
				}
			}
			else if (s < dl)
				v = dense[s + c];
			else
			{
				/*
				 * A sparse state: stay in this loop while the text follows
				 * the trie, with the cell just reached in hand (and no state
				 * value to convert), until a state that reports, a failure
				 * or the end of this stretch of text.
				 */
				uint32		k = s - dl;
				uint64		ck = cells[k];

				for (;;)
				{
					uint32		t;
					uint64		ct;

					if (c == 0)
					{
						v = 0;
						break;
					}
					t = cell_base(ck) + c;
					ct = cells[t];
					if (cell_check(ct) != c)
					{
						uint32		f = cell_fail(ck);

						v = (f < dl) ? dense[f + c] : sparse_step(ac, f - dl, c);
						break;
					}
					k = t;
					ck = ct;
					if (ct & CELL_OUT)
					{
						v = (dl + k) | CZ_AC_OUT;
						break;
					}
					if (i >= stop)
					{
						v = dl + k;
						break;
					}
					c = byte_class[p[i++]];
				}
			}
			s = v & CZ_AC_STATE_MASK;
			if ((v & CZ_AC_OUT) && !report(ac, s, i, hit, arg, &outputs))
				return false;
		}
		if (i >= len)
			return true;
		/* a tick every 64kB lets the caller check interrupts and budget */
		if (!hit(arg, CZ_AC_TEXT_TICK, i))
			return false;
		tick += 0x10000;
	}
}
