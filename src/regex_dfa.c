/*-------------------------------------------------------------------------
 *
 * regex_dfa.c
 *	  A DFA, built lazily and kept with the index, for the regex patterns
 *	  written in a simple subset of PostgreSQL's advanced regex syntax, so
 *	  that running one costs a table walk over the text instead of a
 *	  pg_regexec() call (which converts the text to wide characters and
 *	  builds its DFA cache anew on every call).
 *
 *	  The subset: ASCII literals and escaped punctuation, \t \n \r \f \v,
 *	  '.', bracket expressions of ASCII characters and ranges (with \d \s
 *	  \w inside), \d \s \w \D \S \W, groups ("(...)" and "(?:...)"),
 *	  alternation, the quantifiers * + ? {m} {m,} {m,n} greedy or not, the
 *	  anchors ^ $ \A \Z and the word constraints \m \M \y \Y.  Anything
 *	  else (back references, lookaround, embedded options, collating
 *	  elements, non-ASCII characters in the pattern, ...) makes
 *	  cz_regex_dfa_compile() return NULL, and the caller keeps using
 *	  pg_regexec().  Patterns here only answer "does it match anywhere", so
 *	  greediness and captures do not matter.
 *
 *	  How it matches: the pattern becomes a Thompson NFA; a DFA state is a
 *	  set of NFA states plus what the word constraints need to know of the
 *	  previous character (at the start, a word character or not).  The
 *	  start state joins every set, which makes the search unanchored.  A
 *	  transition on a character first follows the empty moves whose
 *	  constraints hold between the previous and this character, then the
 *	  moves on the character.  Characters are mapped to classes that every
 *	  set of the pattern treats alike, so a DFA row has a few entries.
 *	  Rows are filled on first use and kept: after the first few texts a
 *	  match is one table lookup per byte.
 *
 *	  Characters: ASCII letters fold to lower case (patterns are case
 *	  insensitive, and case folding stays within ASCII: checked once per
 *	  backend by asking PostgreSQL's engine, as are the ASCII members of
 *	  \d \s \w in this database's locale).  Each non-ASCII character is one
 *	  symbol, OTHER: it is in '.' and in negated bracket expressions of
 *	  ASCII characters, and in no literal.  Whether it is a digit, a space
 *	  or a word character depends on the locale: a pattern that needs to
 *	  know (\d \s \w and their negations, the word constraints) answers
 *	  CZ_DFA_UNKNOWN on a text with a non-ASCII character, and the caller
 *	  runs pg_regexec() on it.  fuzz.c checks the two engines against each
 *	  other on random patterns and texts.
 *
 *	  Bounded: patterns of at most 1000 bytes and 4000 NFA states, at most
 *	  2000 DFA states (about 1 MB) per pattern, and all the DFAs of an index
 *	  within a shared CzRegexDfaBudget; a transition that would need more
 *	  answers CZ_DFA_UNKNOWN.  Texts are scanned once, in linear time.
 *
 *	  Memory: everything, including the DFA as it grows, lives in the
 *	  context given at compile time (the index's).  A row is added only
 *	  once complete, so an error while growing leaves a usable DFA.
 *	  Backend-local; no shared state, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/memutils.h"

#include "categorize.h"
#include "regex_dfa.h"

#define SYM_OTHER		128		/* any non-ASCII character */
#define NSYM			129

#define MAX_PATTERN_LEN 1000
#define MAX_AST			2000
#define MAX_DEPTH		64
#define MAX_NFA			4000
#define MAX_DFA			2000
#define MAX_SETPOOL		(256 * 1024)	/* NFA state ids of all DFA states */
#define MAX_BOUND		255		/* RE_DUP_MAX */
#define CHUNK			65536	/* bytes between interrupt checks */

/* DFA transition values below zero */
#define T_UNKNOWN		(-1)	/* not computed yet */
#define T_MATCH			(-2)	/* a match ends at or before this character */

/* context flags of a DFA state */
#define F_AT_START		0x01
#define F_PREV_WORD		0x02

/* ASCII properties asked of PostgreSQL's engine */
#define P_DIGIT			0x01
#define P_SPACE			0x02
#define P_WORD			0x04

typedef struct SymSet
{
	uint64		w[3];			/* bit per symbol, 0 .. NSYM - 1 */
} SymSet;

static inline void
symset_add(SymSet *s, int sym)
{
	s->w[sym >> 6] |= UINT64CONST(1) << (sym & 63);
}

static inline bool
symset_has(const SymSet *s, int sym)
{
	return (s->w[sym >> 6] >> (sym & 63)) & 1;
}

/* ---------- pattern syntax tree ---------- */

typedef enum AstType
{
	A_EMPTY,
	A_SET,						/* one character of sets[set] */
	A_ASSERT,					/* a zero-width constraint */
	A_CAT,
	A_ALT,
	A_REPEAT					/* a{min,max}, max -1: unbounded */
} AstType;

typedef enum AssertType
{
	AS_BOL,						/* ^ \A */
	AS_EOL,						/* $ \Z */
	AS_WORD_START,				/* \m */
	AS_WORD_END,				/* \M */
	AS_BOUNDARY,				/* \y */
	AS_NOT_BOUNDARY				/* \Y */
} AssertType;

typedef struct Ast
{
	uint8		type;
	uint8		assertion;
	int16		min;
	int16		max;
	int32		set;
	int32		a;
	int32		b;
} Ast;

typedef struct Parser
{
	const unsigned char *p;
	const unsigned char *end;
	Ast		   *ast;
	int			nast;
	SymSet	   *sets;
	bool	   *set_other_unknown;	/* its OTHER membership is the locale's */
	int			nsets;
	int			setcap;
	bool		uses_word;		/* word constraints */
	bool		failed;
	int			depth;
} Parser;

/* ---------- NFA and DFA ---------- */

typedef enum NfaType
{
	N_SET,
	N_SPLIT,
	N_ASSERT,
	N_MATCH
} NfaType;

typedef struct NfaState
{
	uint8		type;
	uint8		assertion;
	int32		set;
	int32		out;
	int32		out1;			/* N_SPLIT only */
} NfaState;

struct CzRegexDfa
{
	MemoryContext cxt;
	CzRegexDfaBudget *budget;

	/* the NFA */
	int			nnfa;
	NfaState   *nfa;
	int32		start;

	/* character classes */
	uint8		class_of[NSYM]; /* folded symbol → class */
	uint8		class_of_byte[128]; /* ASCII byte (folded) → class */
	int			ncls;
	bool	   *class_word;		/* ncls */
	uint8	   *set_has_class;	/* nsets * ncls */
	int			nsets;
	bool		other_unknown;	/* a non-ASCII character needs the locale */

	/* the DFA, grown on use */
	int			ndfa;
	int			dfacap;
	int32	   *trans;			/* ndfa * ncls */
	int8	   *accept_at_end;	/* -1 not computed, 0, 1 */
	uint8	   *flags;
	int32	   *set_off;		/* into setpool */
	int32	   *set_len;
	int32	   *setpool;
	int			poolused;
	int			poolcap;
	int32	   *hash;			/* DFA state ids, -1 empty */
	int			hashcap;

	/* scratch for closures, nnfa each */
	uint32	   *mark;
	uint32		markval;
	int32	   *stack;
	int32	   *list;
	int32	   *next;
};

/* ---------- what the locale says about ASCII ---------- */

static int	locale_state = 0;	/* 0 not asked yet, 1 usable, -1 not */
static uint8 ascii_props[128];

static bool
probe_one(regex_t *re, pg_wchar c)
{
	return pg_regexec(re, &c, 1, 0, NULL, 0, NULL, 0) == REG_OKAY;
}

static bool
probe_compile(const char *src, regex_t *re)
{
	pg_wchar	wide[16];
	int			n = pg_mb2wchar_with_len(src, wide, strlen(src));

	return pg_regcomp(re, wide, n, REG_ADVANCED | REG_ICASE, DEFAULT_COLLATION_OID) == REG_OKAY;
}

/*
 * Once per backend: the ASCII members of \d \s \w, and whether a
 * case-insensitive [a-z] accepts exactly the ASCII letters (not so in a
 * Turkish locale, where "i" has a non-ASCII upper case).
 */
static bool
locale_usable(void)
{
	static const pg_wchar non_ascii_cases[] = {0x130, 0x131, 0x17F, 0x212A, 0x212B, 0xDF};
	regex_t		digit,
				space,
				word,
				letters;
	bool		ok = true;
	int			c;

	if (locale_state != 0)
		return locale_state > 0;
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		locale_state = -1;
		return false;
	}
	if (!probe_compile("\\d", &digit))
		ok = false;
	else if (!probe_compile("\\s", &space))
	{
		pg_regfree(&digit);
		ok = false;
	}
	else if (!probe_compile("\\w", &word))
	{
		pg_regfree(&digit);
		pg_regfree(&space);
		ok = false;
	}
	else if (!probe_compile("[a-z]", &letters))
	{
		pg_regfree(&digit);
		pg_regfree(&space);
		pg_regfree(&word);
		ok = false;
	}
	if (!ok)
	{
		locale_state = -1;
		return false;
	}

	for (c = 1; c < 128; c++)
	{
		bool		is_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		ascii_props[c] = (probe_one(&digit, c) ? P_DIGIT : 0) |
			(probe_one(&space, c) ? P_SPACE : 0) |
			(probe_one(&word, c) ? P_WORD : 0);
		if (probe_one(&letters, c) != is_letter)
			ok = false;
	}
	for (c = 0; c < lengthof(non_ascii_cases); c++)
		if (probe_one(&letters, non_ascii_cases[c]))
			ok = false;

	pg_regfree(&digit);
	pg_regfree(&space);
	pg_regfree(&word);
	pg_regfree(&letters);
	locale_state = ok ? 1 : -1;
	return ok;
}

static inline int
fold(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ---------- parser ---------- */

/* the pattern is outside the subset (or malformed): give up */
static int
parse_fail(Parser *ps)
{
	ps->failed = true;
	return 0;
}

/* the character after a backslash at ps->p, consumed; -1 at the end */
static int
take_escape(Parser *ps)
{
	int			e;

	if (ps->p + 1 >= ps->end)
		return -1;
	e = ps->p[1];
	ps->p += 2;
	return e;
}

static int
new_ast(Parser *ps, AstType type)
{
	Ast		   *n;

	if (ps->nast >= MAX_AST)
		return parse_fail(ps);
	n = &ps->ast[ps->nast];
	memset(n, 0, sizeof(Ast));
	n->type = type;
	n->a = n->b = -1;
	return ps->nast++;
}

static int
new_set(Parser *ps)
{
	if (ps->nsets >= ps->setcap)
	{
		ps->setcap *= 2;
		ps->sets = repalloc(ps->sets, sizeof(SymSet) * ps->setcap);
		ps->set_other_unknown = repalloc(ps->set_other_unknown, sizeof(bool) * ps->setcap);
	}
	memset(&ps->sets[ps->nsets], 0, sizeof(SymSet));
	ps->set_other_unknown[ps->nsets] = false;
	return ps->nsets++;
}

/* add c and, for a letter, both its cases (as the folded symbol) */
static void
set_add_char(SymSet *s, int c)
{
	symset_add(s, fold(c));
}

static void
set_add_prop(Parser *ps, int set, uint8 prop)
{
	int			c;

	for (c = 1; c < 128; c++)
		if (ascii_props[c] & prop)
			set_add_char(&ps->sets[set], c);
	ps->set_other_unknown[set] = true;
}

static void
set_negate(Parser *ps, int set)
{
	SymSet	   *s = &ps->sets[set];
	int			c;

	for (c = 0; c < NSYM; c++)
	{
		/* upper-case letters never occur as symbols */
		if (c >= 'A' && c <= 'Z')
			continue;
		if (symset_has(s, c))
			s->w[c >> 6] &= ~(UINT64CONST(1) << (c & 63));
		else if (c != 0)
			symset_add(s, c);
	}
}

static inline bool
is_metachar(int c)
{
	return strchr("^$.[]()|*+?{}\\", c) != NULL;
}

static inline bool
is_ascii_punct(int c)
{
	return c > ' ' && c < 127 && !((c >= '0' && c <= '9') ||
								   (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* \t \n \r \f \v; -1 for other letters */
static int
control_escape(int c)
{
	switch (c)
	{
		case 't':
			return '\t';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 'f':
			return '\f';
		case 'v':
			return '\v';
	}
	return -1;
}

static int	parse_alternation(Parser *ps);

/* a bracket expression, after its '[' */
static int
parse_bracket(Parser *ps)
{
	int			set = new_set(ps);
	bool		negate = false;
	bool		first = true;

	if (ps->p < ps->end && *ps->p == '^')
	{
		negate = true;
		ps->p++;
	}
	for (;;)
	{
		int			c;
		int			lo;

		if (ps->p >= ps->end)
			return parse_fail(ps);
		c = *ps->p;
		if (c == ']' && !first)
		{
			ps->p++;
			break;
		}
		first = false;
		if (c >= 128 || c == 0)
			return parse_fail(ps);
		if (c == '[')
		{
			/* [: [. [= are classes and collating elements: not here */
			if (ps->p + 1 < ps->end && strchr(":.=", ps->p[1]) != NULL)
				return parse_fail(ps);
			lo = c;
			ps->p++;
		}
		else if (c == '\\')
		{
			int			e;

			if ((e = take_escape(ps)) < 0)
				return parse_fail(ps);
			if (e == 'd' || e == 's' || e == 'w')
			{
				set_add_prop(ps, set, e == 'd' ? P_DIGIT : e == 's' ? P_SPACE : P_WORD);
				if (ps->p < ps->end && *ps->p == '-' &&
					ps->p + 1 < ps->end && ps->p[1] != ']')
					return parse_fail(ps);
				continue;
			}
			if (control_escape(e) >= 0)
				lo = control_escape(e);
			else if (is_ascii_punct(e))
				lo = e;
			else
				return parse_fail(ps);
		}
		else
		{
			lo = c;
			ps->p++;
		}

		/* a range lo-hi? */
		if (ps->p + 1 < ps->end && *ps->p == '-' && ps->p[1] != ']')
		{
			int			hi = ps->p[1];
			int			k;

			/* escapes and '-' as range ends: not in the subset */
			if (c == '\\' || hi >= 128 || hi == 0 || hi == '\\' || hi == '[' ||
				hi == '-' || hi < lo)
				return parse_fail(ps);
			ps->p += 2;
			/* a range right after a range ("a-c-e") is an error anyway */
			if (ps->p < ps->end && *ps->p == '-' &&
				ps->p + 1 < ps->end && ps->p[1] != ']')
				return parse_fail(ps);
			for (k = lo; k <= hi; k++)
				set_add_char(&ps->sets[set], k);
		}
		else
			set_add_char(&ps->sets[set], lo);
	}
	if (negate)
		set_negate(ps, set);
	{
		int			n = new_ast(ps, A_SET);

		ps->ast[n].set = set;
		return n;
	}
}

static int
char_ast(Parser *ps, int c)
{
	int			set = new_set(ps);
	int			n;

	set_add_char(&ps->sets[set], c);
	n = new_ast(ps, A_SET);
	ps->ast[n].set = set;
	return n;
}

static int
prop_ast(Parser *ps, uint8 prop, bool negate)
{
	int			set = new_set(ps);
	int			n;

	set_add_prop(ps, set, prop);
	if (negate)
		set_negate(ps, set);
	n = new_ast(ps, A_SET);
	ps->ast[n].set = set;
	return n;
}

static int
assert_ast(Parser *ps, AssertType a)
{
	int			n = new_ast(ps, A_ASSERT);

	ps->ast[n].assertion = a;
	if (a >= AS_WORD_START)
		ps->uses_word = true;
	return n;
}

/* an atom; *quantifiable false for constraints */
static int
parse_atom(Parser *ps, bool *quantifiable)
{
	int			c = *ps->p;

	*quantifiable = true;
	switch (c)
	{
		case '(':
			{
				int			n;

				ps->p++;
				if (ps->p < ps->end && *ps->p == '?')
				{
					if (ps->p + 1 < ps->end && ps->p[1] == ':')
						ps->p += 2;
					else
						return parse_fail(ps);
				}
				if (++ps->depth > MAX_DEPTH)
					return parse_fail(ps);
				n = parse_alternation(ps);
				ps->depth--;
				if (ps->failed || ps->p >= ps->end || *ps->p != ')')
					return parse_fail(ps);
				ps->p++;
				return n;
			}
		case '.':
			{
				int			set = new_set(ps);
				int			n;

				set_negate(ps, set);	/* everything */
				ps->p++;
				n = new_ast(ps, A_SET);
				ps->ast[n].set = set;
				return n;
			}
		case '[':
			ps->p++;
			return parse_bracket(ps);
		case '^':
			ps->p++;
			*quantifiable = false;
			return assert_ast(ps, AS_BOL);
		case '$':
			ps->p++;
			*quantifiable = false;
			return assert_ast(ps, AS_EOL);
		case '\\':
			{
				int			e;

				if ((e = take_escape(ps)) < 0)
					return parse_fail(ps);
				switch (e)
				{
					case 'd':
						return prop_ast(ps, P_DIGIT, false);
					case 's':
						return prop_ast(ps, P_SPACE, false);
					case 'w':
						return prop_ast(ps, P_WORD, false);
					case 'D':
						return prop_ast(ps, P_DIGIT, true);
					case 'S':
						return prop_ast(ps, P_SPACE, true);
					case 'W':
						return prop_ast(ps, P_WORD, true);
					case 'm':
						*quantifiable = false;
						return assert_ast(ps, AS_WORD_START);
					case 'M':
						*quantifiable = false;
						return assert_ast(ps, AS_WORD_END);
					case 'y':
						*quantifiable = false;
						return assert_ast(ps, AS_BOUNDARY);
					case 'Y':
						*quantifiable = false;
						return assert_ast(ps, AS_NOT_BOUNDARY);
					case 'A':
						*quantifiable = false;
						return assert_ast(ps, AS_BOL);
					case 'Z':
						*quantifiable = false;
						return assert_ast(ps, AS_EOL);
				}
				if (control_escape(e) >= 0)
					return char_ast(ps, control_escape(e));
				if (is_ascii_punct(e))
					return char_ast(ps, e);
				return parse_fail(ps);
			}
	}
	if (c == 0 || c >= 128 || is_metachar(c))
		return parse_fail(ps);
	ps->p++;
	return char_ast(ps, c);
}

/* a decimal bound 0 .. MAX_BOUND; -1 when there is none */
static int
parse_number(Parser *ps)
{
	int			v = 0;
	int			digits = 0;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
	{
		v = v * 10 + (*ps->p - '0');
		if (v > MAX_BOUND)
			return -1;
		ps->p++;
		digits++;
	}
	return digits ? v : -1;
}

/* a quantifier after an atom, if any: fills min/max; false if none */
static bool
parse_quantifier(Parser *ps, int *min, int *max)
{
	int			c;

	if (ps->p >= ps->end)
		return false;
	c = *ps->p;
	if (c == '*' || c == '+' || c == '?')
	{
		ps->p++;
		*min = (c == '+') ? 1 : 0;
		*max = (c == '?') ? 1 : -1;
	}
	else if (c == '{')
	{
		ps->p++;
		*min = parse_number(ps);
		if (*min < 0)
		{
			ps->failed = true;
			return false;
		}
		if (ps->p < ps->end && *ps->p == ',')
		{
			ps->p++;
			if (ps->p < ps->end && *ps->p == '}')
				*max = -1;
			else
			{
				*max = parse_number(ps);
				if (*max < *min)
				{
					ps->failed = true;
					return false;
				}
			}
		}
		else
			*max = *min;
		if (ps->p >= ps->end || *ps->p != '}')
		{
			ps->failed = true;
			return false;
		}
		ps->p++;
	}
	else
		return false;
	/* non-greedy: the same set of matching texts */
	if (ps->p < ps->end && *ps->p == '?')
		ps->p++;
	/* a quantifier on a quantifier is an error in PostgreSQL */
	if (ps->p < ps->end && strchr("*+?{", *ps->p) != NULL)
		ps->failed = true;
	return true;
}

static int
parse_branch(Parser *ps)
{
	int			result = -1;

	while (!ps->failed && ps->p < ps->end && *ps->p != '|' && *ps->p != ')')
	{
		bool		quantifiable;
		int			atom;
		int			min,
					max;

		if (strchr("*+?{", *ps->p) != NULL)
			return parse_fail(ps);
		atom = parse_atom(ps, &quantifiable);
		if (ps->failed)
			return 0;
		if (parse_quantifier(ps, &min, &max))
		{
			int			r;

			if (!quantifiable || ps->failed)
				return parse_fail(ps);
			r = new_ast(ps, A_REPEAT);
			ps->ast[r].a = atom;
			ps->ast[r].min = min;
			ps->ast[r].max = max;
			atom = r;
		}
		if (ps->failed)
			return 0;
		if (result < 0)
			result = atom;
		else
		{
			int			cat = new_ast(ps, A_CAT);

			ps->ast[cat].a = result;
			ps->ast[cat].b = atom;
			result = cat;
		}
	}
	if (result < 0)
		result = new_ast(ps, A_EMPTY);
	return result;
}

static int
parse_alternation(Parser *ps)
{
	int			result = parse_branch(ps);

	while (!ps->failed && ps->p < ps->end && *ps->p == '|')
	{
		int			alt;
		int			b;

		ps->p++;
		b = parse_branch(ps);
		alt = new_ast(ps, A_ALT);
		ps->ast[alt].a = result;
		ps->ast[alt].b = b;
		result = alt;
	}
	return result;
}

/* ---------- NFA construction ---------- */

static int
new_nfa(CzRegexDfa *d, NfaType type, int32 out, int32 out1)
{
	NfaState   *s;

	if (d->nnfa >= MAX_NFA)
		return -1;
	s = &d->nfa[d->nnfa];
	s->type = type;
	s->assertion = 0;
	s->set = -1;
	s->out = out;
	s->out1 = out1;
	return d->nnfa++;
}

/* NFA states for ast node n, continuing to next; returns the entry, -1 when too big */
static int32
build_nfa(CzRegexDfa *d, const Ast *ast, int n, int32 next)
{
	const Ast  *a = &ast[n];

	check_stack_depth();
	if (next < 0)
		return -1;
	switch ((AstType) a->type)
	{
		case A_EMPTY:
			return next;
		case A_SET:
			{
				int32		s = new_nfa(d, N_SET, next, -1);

				if (s >= 0)
					d->nfa[s].set = a->set;
				return s;
			}
		case A_ASSERT:
			{
				int32		s = new_nfa(d, N_ASSERT, next, -1);

				if (s >= 0)
					d->nfa[s].assertion = a->assertion;
				return s;
			}
		case A_CAT:
			return build_nfa(d, ast, a->a, build_nfa(d, ast, a->b, next));
		case A_ALT:
			{
				int32		x = build_nfa(d, ast, a->a, next);
				int32		y = build_nfa(d, ast, a->b, next);

				if (x < 0 || y < 0)
					return -1;
				return new_nfa(d, N_SPLIT, x, y);
			}
		case A_REPEAT:
			{
				int32		cont = next;
				int			i;

				if (a->max < 0)
				{
					/* a*: a loop back to a split that may leave */
					int32		loop = new_nfa(d, N_SPLIT, -1, next);
					int32		body;

					if (loop < 0)
						return -1;
					body = build_nfa(d, ast, a->a, loop);
					if (body < 0)
						return -1;
					d->nfa[loop].out = body;
					cont = loop;
				}
				else
				{
					/* optional copies, each of which may skip to next */
					for (i = 0; i < a->max - a->min; i++)
					{
						int32		body = build_nfa(d, ast, a->a, cont);

						if (body < 0)
							return -1;
						cont = new_nfa(d, N_SPLIT, body, next);
						if (cont < 0)
							return -1;
					}
				}
				for (i = 0; i < a->min; i++)
				{
					cont = build_nfa(d, ast, a->a, cont);
					if (cont < 0)
						return -1;
				}
				return cont;
			}
	}
	return -1;
}

/*
 * Character classes: symbols that are in the same sets and alike for the
 * word constraints behave alike in every state.
 */
static void
make_classes(CzRegexDfa *d, const SymSet *sets, int nsets, bool uses_word)
{
	int			sym;
	int			ncls = 0;
	int			setbytes = (nsets + 7) / 8 + 1;
	uint8	   *sig = palloc0(NSYM * setbytes);
	int			s;

	for (sym = 0; sym < NSYM; sym++)
	{
		uint8	   *g = sig + sym * setbytes;
		int			other;

		if (sym >= 'A' && sym <= 'Z')
			continue;			/* never a symbol */
		for (s = 0; s < nsets; s++)
			if (symset_has(&sets[s], sym))
				g[s / 8] |= 1 << (s % 8);
		if (uses_word && sym < 128 && (ascii_props[sym] & P_WORD))
			g[setbytes - 1] = 1;
		for (other = 0; other < sym; other++)
		{
			if (other >= 'A' && other <= 'Z')
				continue;
			if (memcmp(sig + other * setbytes, g, setbytes) == 0)
				break;
		}
		d->class_of[sym] = (other < sym) ? d->class_of[other] : ncls++;
	}
	for (sym = 'A'; sym <= 'Z'; sym++)
		d->class_of[sym] = d->class_of[fold(sym)];
	for (sym = 0; sym < 128; sym++)
		d->class_of_byte[sym] = d->class_of[sym];

	d->ncls = ncls;
	d->class_word = palloc0(sizeof(bool) * ncls);
	d->set_has_class = palloc0(Max(nsets, 1) * ncls);
	for (sym = 0; sym < NSYM; sym++)
	{
		int			cls = d->class_of[sym];

		if (sym >= 'A' && sym <= 'Z')
			continue;
		if (sym < 128 && (ascii_props[sym] & P_WORD))
			d->class_word[cls] = true;
		for (s = 0; s < nsets; s++)
			if (symset_has(&sets[s], sym))
				d->set_has_class[s * ncls + cls] = 1;
	}
	pfree(sig);
}

CzRegexDfa *
cz_regex_dfa_compile(const char *regex, int len, MemoryContext cxt, CzRegexDfaBudget *budget)
{
	MemoryContext work;
	MemoryContext old;
	Parser		ps;
	int			root;
	CzRegexDfa *d;
	int32		match;
	int			i;

	if (len > MAX_PATTERN_LEN || !locale_usable())
		return NULL;

	work = AllocSetContextCreate(CurrentMemoryContext, "categorize regex parse",
								 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(work);
	memset(&ps, 0, sizeof(ps));
	ps.p = (const unsigned char *) regex;
	ps.end = ps.p + len;
	ps.ast = palloc(sizeof(Ast) * MAX_AST);
	ps.setcap = 16;
	ps.sets = palloc(sizeof(SymSet) * ps.setcap);
	ps.set_other_unknown = palloc(sizeof(bool) * ps.setcap);

	/* "***" directors choose other syntaxes */
	if (len >= 3 && memcmp(regex, "***", 3) == 0)
		ps.failed = true;
	root = ps.failed ? 0 : parse_alternation(&ps);
	if (ps.failed || ps.p != ps.end)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(work);
		return NULL;
	}

	MemoryContextSwitchTo(cxt);
	d = palloc0(sizeof(CzRegexDfa));
	d->cxt = cxt;
	d->budget = budget;
	d->nfa = palloc(sizeof(NfaState) * MAX_NFA);
	match = new_nfa(d, N_MATCH, -1, -1);
	d->start = build_nfa(d, ps.ast, root, match);
	if (d->start < 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(work);
		pfree(d->nfa);
		pfree(d);
		return NULL;
	}
	d->nfa = repalloc(d->nfa, sizeof(NfaState) * d->nnfa);

	d->other_unknown = ps.uses_word;
	d->nsets = ps.nsets;
	for (i = 0; i < ps.nsets; i++)
		if (ps.set_other_unknown[i])
			d->other_unknown = true;
	make_classes(d, ps.sets, ps.nsets, ps.uses_word);

	d->mark = palloc0(sizeof(uint32) * d->nnfa);
	/* each state is expanded once and pushes at most two */
	d->stack = palloc(sizeof(int32) * (d->nnfa + 1) * 3);
	d->list = palloc(sizeof(int32) * d->nnfa);
	d->next = palloc(sizeof(int32) * d->nnfa);

	d->dfacap = 16;
	d->trans = palloc(sizeof(int32) * d->dfacap * d->ncls);
	d->accept_at_end = palloc(sizeof(int8) * d->dfacap);
	d->flags = palloc(sizeof(uint8) * d->dfacap);
	d->set_off = palloc(sizeof(int32) * d->dfacap);
	d->set_len = palloc(sizeof(int32) * d->dfacap);
	d->poolcap = 256;
	d->setpool = palloc(sizeof(int32) * d->poolcap);
	d->hashcap = 64;
	d->hash = palloc(sizeof(int32) * d->hashcap);
	memset(d->hash, -1, sizeof(int32) * d->hashcap);

	/* state 0: nothing seen yet, at the start of the text */
	d->ndfa = 1;
	d->flags[0] = F_AT_START;
	d->set_off[0] = 0;
	d->set_len[0] = 0;
	d->accept_at_end[0] = -1;
	for (i = 0; i < d->ncls; i++)
		d->trans[i] = T_UNKNOWN;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return d;
}

/* ---------- the DFA, grown on demand ---------- */

static inline uint32
hash_state(const int32 *set, int n, uint8 flags)
{
	uint32		h = 2166136261u ^ flags;
	int			i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint32) set[i]) * 16777619u;
	return h ^ (h >> 15);
}

static bool
assertion_holds(uint8 assertion, uint8 flags, int next_cls, const CzRegexDfa *d)
{
	bool		prev_word = (flags & F_PREV_WORD) != 0;
	bool		next_word = next_cls >= 0 && d->class_word[next_cls];

	switch ((AssertType) assertion)
	{
		case AS_BOL:
			return (flags & F_AT_START) != 0;
		case AS_EOL:
			return next_cls < 0;
		case AS_WORD_START:
			return !prev_word && next_word;
		case AS_WORD_END:
			return prev_word && !next_word;
		case AS_BOUNDARY:
			return prev_word != next_word;
		case AS_NOT_BOUNDARY:
			return prev_word == next_word;
	}
	return false;
}

/*
 * The NFA states of DFA state st plus the start, closed under the empty
 * moves allowed before a character of class next_cls (-1: the end of the
 * text).  Leaves the character-consuming states in d->list; returns their
 * number, or -1 if the match state is reached.
 */
static int
closure(CzRegexDfa *d, int st, int next_cls)
{
	uint8		flags = d->flags[st];
	int			nstack = 0;
	int			nlist = 0;
	int			i;

	if (++d->markval == 0)
	{
		memset(d->mark, 0, sizeof(uint32) * d->nnfa);
		d->markval = 1;
	}
	d->stack[nstack++] = d->start;
	for (i = 0; i < d->set_len[st]; i++)
		d->stack[nstack++] = d->setpool[d->set_off[st] + i];

	while (nstack > 0)
	{
		int32		s = d->stack[--nstack];
		NfaState   *ns = &d->nfa[s];

		if (d->mark[s] == d->markval)
			continue;
		d->mark[s] = d->markval;
		switch ((NfaType) ns->type)
		{
			case N_MATCH:
				return -1;
			case N_SET:
				d->list[nlist++] = s;
				break;
			case N_SPLIT:
				d->stack[nstack++] = ns->out1;
				d->stack[nstack++] = ns->out;
				break;
			case N_ASSERT:
				if (assertion_holds(ns->assertion, flags, next_cls, d))
					d->stack[nstack++] = ns->out;
				break;
		}
	}
	return nlist;
}

static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* the DFA state for (set, flags), added if new; -1 when the DFA is full */
static int32
find_or_add_state(CzRegexDfa *d, const int32 *set, int n, uint8 flags)
{
	uint32		h = hash_state(set, n, flags);
	int			slot = h & (d->hashcap - 1);
	int32		id;
	Size		cost;
	int			i;

	while ((id = d->hash[slot]) >= 0)
	{
		if (d->flags[id] == flags && d->set_len[id] == n &&
			memcmp(d->setpool + d->set_off[id], set, sizeof(int32) * n) == 0)
			return id;
		slot = (slot + 1) & (d->hashcap - 1);
	}
	cost = sizeof(int32) * (d->ncls + n + 4) + 2;
	if (d->ndfa >= MAX_DFA || d->poolused + n > MAX_SETPOOL ||
		d->budget->used + cost > d->budget->limit)
		return -1;

	/* grow everything first, so an out-of-memory error leaves d intact */
	if (d->ndfa == d->dfacap)
	{
		int			cap = d->dfacap * 2;

		d->trans = repalloc(d->trans, sizeof(int32) * cap * d->ncls);
		d->accept_at_end = repalloc(d->accept_at_end, sizeof(int8) * cap);
		d->flags = repalloc(d->flags, sizeof(uint8) * cap);
		d->set_off = repalloc(d->set_off, sizeof(int32) * cap);
		d->set_len = repalloc(d->set_len, sizeof(int32) * cap);
		d->dfacap = cap;
	}
	if (d->poolused + n > d->poolcap)
	{
		int			cap = Max(d->poolcap * 2, d->poolused + n);

		d->setpool = repalloc(d->setpool, sizeof(int32) * cap);
		d->poolcap = cap;
	}
	if ((d->ndfa + 1) * 2 > d->hashcap)
	{
		int			cap = d->hashcap * 2;
		int32	   *hash = MemoryContextAlloc(d->cxt, sizeof(int32) * cap);
		int			k;

		memset(hash, -1, sizeof(int32) * cap);
		for (k = 0; k < d->ndfa; k++)
		{
			int			sl = hash_state(d->setpool + d->set_off[k], d->set_len[k],
										d->flags[k]) & (cap - 1);

			while (hash[sl] >= 0)
				sl = (sl + 1) & (cap - 1);
			hash[sl] = k;
		}
		pfree(d->hash);
		d->hash = hash;
		d->hashcap = cap;
		slot = h & (cap - 1);
		while (d->hash[slot] >= 0)
			slot = (slot + 1) & (cap - 1);
	}

	id = d->ndfa;
	memcpy(d->setpool + d->poolused, set, sizeof(int32) * n);
	d->set_off[id] = d->poolused;
	d->set_len[id] = n;
	d->flags[id] = flags;
	d->accept_at_end[id] = -1;
	for (i = 0; i < d->ncls; i++)
		d->trans[id * d->ncls + i] = T_UNKNOWN;
	d->poolused += n;
	d->hash[slot] = id;
	d->ndfa++;
	d->budget->used += cost;
	return id;
}

/* fill in the transition of st on cls: a state, T_MATCH, or -1 when full */
static int32
compute_transition(CzRegexDfa *d, int32 st, int cls)
{
	int			nlist = closure(d, st, cls);
	int			nnext = 0;
	int32		to;
	int			i;

	if (nlist < 0)
		to = T_MATCH;
	else
	{
		for (i = 0; i < nlist; i++)
		{
			NfaState   *ns = &d->nfa[d->list[i]];

			if (d->set_has_class[ns->set * d->ncls + cls])
				d->next[nnext++] = ns->out;
		}
		if (nnext > 1)
		{
			int			k = 1;

			qsort(d->next, nnext, sizeof(int32), cmp_int32);
			for (i = 1; i < nnext; i++)
				if (d->next[i] != d->next[k - 1])
					d->next[k++] = d->next[i];
			nnext = k;
		}
		to = find_or_add_state(d, d->next, nnext, d->class_word[cls] ? F_PREV_WORD : 0);
		if (to < 0)
			return -1;
	}
	d->trans[st * d->ncls + cls] = to;
	return to;
}

/*
 * Walk the DFA over [*pp, end) from state st; returns the state reached,
 * T_MATCH on a match, or T_UNKNOWN when pg_regexec() must decide.  A
 * multi-byte character may end past end: *pp is left after it.
 */
static inline int32
run_chunk(CzRegexDfa *d, int32 st, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	int			ncls = d->ncls;

	while (p < end)
	{
		int			cls;
		int32		to;

		if (*p < 128)
			cls = d->class_of_byte[*p++];
		else
		{
			if (d->other_unknown)
				return T_UNKNOWN;
			cls = d->class_of[SYM_OTHER];
			p += pg_utf_mblen(p);
		}
		to = d->trans[st * ncls + cls];
		if (unlikely(to < 0))
		{
			if (to == T_UNKNOWN)
				to = compute_transition(d, st, cls);
			if (to == T_MATCH)
				return T_MATCH;
			if (to < 0)
				return T_UNKNOWN;	/* the DFA is full */
		}
		st = to;
	}
	*pp = p;
	return st;
}

int
cz_regex_dfa_match(CzRegexDfa *d, const char *text, int len)
{
	const unsigned char *p = (const unsigned char *) text;
	const unsigned char *end = p + len;
	int32		st = 0;

	while (p < end)
	{
		const unsigned char *chunk_end = (end - p > CHUNK) ? p + CHUNK : end;

		/* long texts: look at interrupts and the call's budget every 64kB */
		if (p != (const unsigned char *) text)
		{
			CZ_CHECK_FOR_INTERRUPTS();
			if (cz_deadline_passed())
				return CZ_DFA_TIMEOUT;
		}
		st = run_chunk(d, st, &p, chunk_end);
		if (st < 0)
			return st == T_MATCH ? CZ_DFA_MATCH : CZ_DFA_UNKNOWN;
	}
	if (d->accept_at_end[st] < 0)
		d->accept_at_end[st] = (closure(d, st, -1) < 0) ? 1 : 0;
	return d->accept_at_end[st] ? CZ_DFA_MATCH : CZ_DFA_NOMATCH;
}

int
cz_regex_dfa_states(const CzRegexDfa *d)
{
	return d->ndfa;
}
