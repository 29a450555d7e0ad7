/*-------------------------------------------------------------------------
 *
 * regex_dfa.h
 *	  A lazily built DFA for simple regex patterns (see regex_dfa.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_REGEX_DFA_H
#define CZ_REGEX_DFA_H

typedef struct CzRegexDfa CzRegexDfa;

/*
 * What the DFAs of one index may grow to together (bytes of states, about):
 * past it, texts that need new states go to pg_regexec().
 */
typedef struct CzRegexDfaBudget
{
	Size		used;
	Size		limit;
} CzRegexDfaBudget;

#define CZ_REGEX_DFA_MEMORY (32 * 1024 * 1024)

/* cz_regex_dfa_match() results */
#define CZ_DFA_NOMATCH	0
#define CZ_DFA_MATCH	1
#define CZ_DFA_UNKNOWN	(-1)	/* ask pg_regexec() */
#define CZ_DFA_TIMEOUT	(-2)	/* the call's time budget ran out */

/*
 * Compile regex (a pattern PostgreSQL's engine accepted with REG_ADVANCED |
 * REG_ICASE) into cxt, to grow within budget (shared, lives in cxt too); NULL when it uses syntax outside the subset, the
 * database is not UTF-8, or the locale folds case beyond ASCII.
 */
extern CzRegexDfa *cz_regex_dfa_compile(const char *regex, int len, MemoryContext cxt,
										CzRegexDfaBudget *budget);

/*
 * Does the regex match anywhere in text (UTF-8, no NUL)?  The DFA grows
 * in its context as new states are met.  Long texts are checked for
 * interrupts and the running call's time budget every 64kB.
 */
extern int	cz_regex_dfa_match(CzRegexDfa *dfa, const char *text, int len);

/* the number of DFA states built so far (tests and index_info) */
extern int	cz_regex_dfa_states(const CzRegexDfa *dfa);

#endif							/* CZ_REGEX_DFA_H */
