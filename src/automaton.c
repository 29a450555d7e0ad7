/*-------------------------------------------------------------------------
 *
 * automaton.c
 *	  Aho-Corasick automaton for the literal patterns (merchant, keyword,
 *	  description), so one pass over the expense text finds every literal
 *	  pattern in it, whatever their number.
 *
 *	  Build: keys go into a trie (first-child/next-sibling lists), then a
 *	  breadth-first pass renumbers the states so that shallow states come
 *	  first, computes failure links and, for each state, the nearest state
 *	  on its failure chain that ends a key (the "report" link).
 *
 *	  Layout: bytes are mapped to a compressed alphabet of the bytes that
 *	  occur in keys (class 0 = a byte no key contains, which sends the scan
 *	  back to the root).  The first states in breadth-first order, up to a
 *	  memory budget, get a dense row of full DFA transitions; deeper states
 *	  keep their few edges in a sorted sparse array and fall back along
 *	  failure links until they reach a dense state.  With few patterns
 *	  everything is dense; with many, the hot shallow states stay dense and
 *	  the per-byte cost stays flat.
 *
 *	  The automaton is immutable once built and lives in the memory
 *	  context given to cz_ac_build; it is backend-local and needs no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "automaton.h"

/* Dense transition rows take at most this much memory. */
#define CZ_AC_DENSE_BUDGET	(8 * 1024 * 1024)

typedef struct TrieNode
{
	int32		first_child;
	int32		next_sibling;
	int32		key;			/* key ending here, or -1 */
	uint8		byte;
} TrieNode;

struct CzAcBuilder
{
	MemoryContext cxt;
	TrieNode   *nodes;
	int32		nnodes;
	int32		maxnodes;
	int32		nkeys;
	int32	   *key_len;
	int32		maxkeys;
};

typedef struct AcState
{
	int32		fail;
	int32		report;			/* first state with a key on the fail chain
								 * (itself included), or -1 */
	int32		key;			/* key ending exactly here, or -1 */
	int32		next_report;	/* report link of fail, for chaining */
	uint32		edge_start;		/* sparse states: edges [edge_start, next) */
} AcState;

struct CzAutomaton
{
	uint8		byte_class[256];
	int32		nclasses;
	int32		nstates;
	int32		ndense;
	int32		nkeys;
	int32	   *key_len;
	AcState    *states;			/* nstates + 1 (sentinel edge_start) */
	int32	   *dense;			/* ndense * nclasses */
	uint8	   *edge_class;
	int32	   *edge_target;
};

CzAcBuilder *
cz_ac_builder_create(MemoryContext cxt)
{
	CzAcBuilder *b = MemoryContextAllocZero(cxt, sizeof(CzAcBuilder));

	b->cxt = cxt;
	b->maxnodes = 1024;
	b->nodes = MemoryContextAlloc(cxt, sizeof(TrieNode) * b->maxnodes);
	b->nodes[0].first_child = -1;
	b->nodes[0].next_sibling = -1;
	b->nodes[0].key = -1;
	b->nodes[0].byte = 0;
	b->nnodes = 1;
	b->maxkeys = 256;
	b->key_len = MemoryContextAlloc(cxt, sizeof(int32) * b->maxkeys);
	return b;
}

int32
cz_ac_builder_add(CzAcBuilder *b, const char *key, int len)
{
	int32		node = 0;
	int			i;

	Assert(len > 0);
	for (i = 0; i < len; i++)
	{
		uint8		c = (uint8) key[i];
		int32		child = b->nodes[node].first_child;
		int32		prev = -1;

		/* children are kept sorted by byte */
		while (child >= 0 && b->nodes[child].byte < c)
		{
			prev = child;
			child = b->nodes[child].next_sibling;
		}
		if (child < 0 || b->nodes[child].byte != c)
		{
			int32		n;

			if (b->nnodes == b->maxnodes)
			{
				if (b->maxnodes >= PG_INT32_MAX / 2)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("too many literal patterns to compile")));
				b->maxnodes *= 2;
				b->nodes = repalloc_huge(b->nodes, sizeof(TrieNode) * b->maxnodes);
			}
			n = b->nnodes++;
			b->nodes[n].first_child = -1;
			b->nodes[n].next_sibling = child;
			b->nodes[n].key = -1;
			b->nodes[n].byte = c;
			if (prev < 0)
				b->nodes[node].first_child = n;
			else
				b->nodes[prev].next_sibling = n;
			child = n;
		}
		node = child;
	}

	if (b->nodes[node].key < 0)
	{
		if (b->nkeys == b->maxkeys)
		{
			b->maxkeys *= 2;
			b->key_len = repalloc_huge(b->key_len, sizeof(int32) * b->maxkeys);
		}
		b->key_len[b->nkeys] = len;
		b->nodes[node].key = b->nkeys++;
	}
	return b->nodes[node].key;
}

/* Sparse transition of state s on class c, or -1. */
static inline int32
sparse_next(const CzAutomaton *ac, int32 s, uint8 c)
{
	uint32		lo = ac->states[s].edge_start;
	uint32		hi = ac->states[s + 1].edge_start;

	while (lo < hi)
	{
		uint32		mid = (lo + hi) / 2;
		uint8		mc = ac->edge_class[mid];

		if (mc == c)
			return ac->edge_target[mid];
		if (mc < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Full DFA transition from any state. */
static inline int32
ac_step(const CzAutomaton *ac, int32 s, uint8 c)
{
	while (s >= ac->ndense)
	{
		int32		t = sparse_next(ac, s, c);

		if (t >= 0)
			return t;
		s = ac->states[s].fail;
	}
	return ac->dense[(Size) s * ac->nclasses + c];
}

CzAutomaton *
cz_ac_build(CzAcBuilder *b, MemoryContext cxt)
{
	CzAutomaton *ac = MemoryContextAllocZero(cxt, sizeof(CzAutomaton));
	int32		nstates = b->nnodes;
	int32	   *order;			/* new number → trie node */
	int32	   *renum;			/* trie node → new number */
	int32		head,
				tail;
	bool		used[256];
	int			i;
	int32		s;
	uint32		nedges;

	/* alphabet: the bytes used by some key; class 0 is "no key has it" */
	memset(used, 0, sizeof(used));
	for (i = 1; i < b->nnodes; i++)
		used[b->nodes[i].byte] = true;
	ac->nclasses = 1;
	for (i = 0; i < 256; i++)
		ac->nclasses += used[i] ? 1 : 0;
	if (ac->nclasses > 256)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("literal patterns use every byte value")));
	ac->nclasses = 1;
	for (i = 0; i < 256; i++)
		ac->byte_class[i] = used[i] ? (uint8) ac->nclasses++ : 0;

	/* breadth-first renumbering */
	order = palloc_extended(sizeof(int32) * nstates, MCXT_ALLOC_HUGE);
	renum = palloc_extended(sizeof(int32) * nstates, MCXT_ALLOC_HUGE);
	head = tail = 0;
	order[tail++] = 0;
	renum[0] = 0;
	while (head < tail)
	{
		int32		node = order[head++];
		int32		child;

		for (child = b->nodes[node].first_child; child >= 0;
			 child = b->nodes[child].next_sibling)
		{
			renum[child] = tail;
			order[tail++] = child;
		}
	}
	Assert(tail == nstates);

	ac->nstates = nstates;
	ac->nkeys = b->nkeys;
	ac->key_len = MemoryContextAlloc(cxt, sizeof(int32) * Max(b->nkeys, 1));
	memcpy(ac->key_len, b->key_len, sizeof(int32) * b->nkeys);
	ac->states = MemoryContextAllocExtended(cxt, sizeof(AcState) * (nstates + 1),
											MCXT_ALLOC_HUGE);
	ac->ndense = Min(nstates,
					 Max(1, CZ_AC_DENSE_BUDGET / (int) (sizeof(int32) * ac->nclasses)));

	/* sparse edges for states past the dense ones, in state order */
	nedges = 0;
	for (s = ac->ndense; s < nstates; s++)
	{
		int32		child;

		for (child = b->nodes[order[s]].first_child; child >= 0;
			 child = b->nodes[child].next_sibling)
			nedges++;
	}
	ac->edge_class = MemoryContextAllocExtended(cxt, Max(nedges, 1), MCXT_ALLOC_HUGE);
	ac->edge_target = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(nedges, 1),
												 MCXT_ALLOC_HUGE);
	nedges = 0;
	for (s = 0; s < nstates; s++)
	{
		ac->states[s].edge_start = nedges;
		ac->states[s].key = b->nodes[order[s]].key;
		if (s >= ac->ndense)
		{
			int32		child;

			/* siblings are sorted by byte, so classes come out sorted */
			for (child = b->nodes[order[s]].first_child; child >= 0;
				 child = b->nodes[child].next_sibling)
			{
				ac->edge_class[nedges] = ac->byte_class[b->nodes[child].byte];
				ac->edge_target[nedges] = renum[child];
				nedges++;
			}
		}
	}
	ac->states[nstates].edge_start = nedges;

	ac->dense = MemoryContextAllocExtended(cxt,
										   sizeof(int32) * (Size) ac->ndense * ac->nclasses,
										   MCXT_ALLOC_HUGE);

	/*
	 * Failure links and dense rows in BFS order: a state's fail target is
	 * shallower, so it is complete when we get to the state.
	 */
	ac->states[0].fail = 0;
	for (s = 0; s < nstates; s++)
	{
		int32		node = order[s];
		int32		child;
		int32		fail = ac->states[s].fail;

		if ((s & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		if (s < ac->ndense)
		{
			int32	   *row = ac->dense + (Size) s * ac->nclasses;

			if (s == 0)
				memset(row, 0, sizeof(int32) * ac->nclasses);
			else
				memcpy(row, ac->dense + (Size) fail * ac->nclasses,
					   sizeof(int32) * ac->nclasses);
		}

		for (child = b->nodes[node].first_child; child >= 0;
			 child = b->nodes[child].next_sibling)
		{
			uint8		c = ac->byte_class[b->nodes[child].byte];
			int32		t = renum[child];

			ac->states[t].fail = (s == 0) ? 0 : ac_step(ac, fail, c);
			if (s < ac->ndense)
				ac->dense[(Size) s * ac->nclasses + c] = t;
		}

		/* report chain: fail is shallower, already done */
		if (s == 0)
			ac->states[s].next_report = -1;
		else
			ac->states[s].next_report = ac->states[fail].report;
		ac->states[s].report = (ac->states[s].key >= 0) ? s : ac->states[s].next_report;
	}

	pfree(order);
	pfree(renum);
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
cz_ac_key_length(const CzAutomaton *ac, int32 key)
{
	return ac->key_len[key];
}

bool
cz_ac_scan(const CzAutomaton *ac, const char *text, int len,
		   CzAcHitFn hit, void *arg)
{
	const uint8 *p = (const uint8 *) text;
	int32		s = 0;
	int			i;

	if (ac->nkeys == 0)
		return true;

	for (i = 0; i < len; i++)
	{
		uint8		c = ac->byte_class[p[i]];
		int32		r;

		/* a tick every 64kB lets the caller check interrupts and budget */
		if ((i & 0xFFFF) == 0xFFFF && !hit(arg, -1, i))
			return false;
		if (c == 0)
		{
			s = 0;
			continue;
		}
		s = ac_step(ac, s, c);
		for (r = ac->states[s].report; r >= 0; r = ac->states[r].next_report)
		{
			if (!hit(arg, ac->states[r].key, i + 1))
				return false;
		}
	}
	return true;
}
