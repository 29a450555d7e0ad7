/*-------------------------------------------------------------------------
 *
 * regex_prefilter.c
 *	  A literal every match of a regex pattern must contain, so that the
 *	  regex only runs on expenses whose text holds it.
 *
 *	  Regexes run case-insensitively on the raw description and merchant
 *	  name, literals on the normalized text.  A run of ASCII letters and
 *	  digits that every match contains is also, lower-cased, a substring
 *	  of the normalized text: normalization lower-cases ASCII letters and
 *	  only turns non-alphanumerics into spaces, so letters and digits that
 *	  are adjacent in the raw text stay adjacent.  (The case variants a
 *	  case-insensitive regex accepts for an ASCII letter are the letter's
 *	  upper and lower case, which normalize to the same ASCII letter, or to
 *	  "i" for the Turkish dotted and dotless I.)  The scan that finds the
 *	  literal patterns finds these literals too; a regex whose literal is
 *	  absent cannot match and is skipped.
 *
 *	  The analysis is deliberately conservative: only runs outside any
 *	  group count, a quantifier that may make a character optional cuts
 *	  it off, and anything not understood (alternation at the top level,
 *	  embedded options, escapes with arguments) means no literal: the
 *	  regex then runs on every expense, as without a prefilter.
 *
 *	  Pure functions; no state, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "regex_prefilter.h"

static inline bool
is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Past a bracket expression starting at p ('['), or NULL if malformed. */
static const unsigned char *
skip_bracket(const unsigned char *p)
{
	const unsigned char *q = p + 1;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++;
	while (*q)
	{
		if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '='))
		{
			unsigned char delim = q[1];

			q += 2;
			while (*q && !(q[0] == delim && q[1] == ']'))
				q++;
			if (!*q)
				return NULL;
			q += 2;
			continue;
		}
		if (*q == ']')
			return q + 1;
		if (*q == '\\' && q[1])
			q += 2;
		else
			q++;
	}
	return NULL;
}

int
cz_regex_required_literal(const char *regex, char *out, int outcap)
{
	const unsigned char *p = (const unsigned char *) regex;
	const unsigned char *run = NULL;
	int			run_len = 0;
	const unsigned char *best = NULL;
	int			best_len = 0;
	int			depth = 0;
	int			i;

#define END_RUN() \
	do { \
		if (run_len > best_len) \
		{ \
			best = run; \
			best_len = run_len; \
		} \
		run = NULL; \
		run_len = 0; \
	} while (0)

	/* directors (***= literal, ***:) and embedded options change the syntax */
	if (strncmp(regex, "***", 3) == 0 || strncmp(regex, "(?", 2) == 0)
		return 0;

	while (*p)
	{
		unsigned char c = *p;

		if (c == '|')
		{
			if (depth == 0)
				return 0;
			p++;
		}
		else if (c == '(')
		{
			END_RUN();
			depth++;
			p++;
		}
		else if (c == ')')
		{
			END_RUN();
			if (depth > 0)
				depth--;
			p++;
		}
		else if (c == '[')
		{
			END_RUN();
			p = skip_bracket(p);
			if (p == NULL)
				return 0;
		}
		else if (c == '\\')
		{
			unsigned char n = p[1];

			END_RUN();
			if (n == '\0')
				return 0;
			if (is_ascii_alnum(n))
			{
				/* class, constraint and one-character escapes only */
				if (strchr("dswDSWmMyYAZabBefnrtv", n) == NULL)
					return 0;
				p += 2;
			}
			else if (n < 0x80)
				p += 2;			/* an escaped punctuation character */
			else
				p++;			/* escaped multibyte character: a separator */
		}
		else if (c == '*' || c == '?' || c == '{')
		{
			/* the atom before may be absent */
			if (run_len > 0)
				run_len--;
			END_RUN();
			p++;
			if (c == '{')
			{
				while (*p == ',' || (*p >= '0' && *p <= '9'))
					p++;
				if (*p != '}')
					return 0;
				p++;
			}
		}
		else if (c == '+')
		{
			/* the atom before is there at least once; what follows may repeat it */
			END_RUN();
			p++;
		}
		else if (is_ascii_alnum(c))
		{
			if (depth == 0)
			{
				if (run == NULL)
					run = p;
				run_len++;
			}
			p++;
		}
		else
		{
			END_RUN();
			p++;
		}
	}
	END_RUN();
#undef END_RUN

	if (best_len == 0 || best_len > outcap)
		return 0;
	for (i = 0; i < best_len; i++)
		out[i] = (best[i] >= 'A' && best[i] <= 'Z') ? best[i] + ('a' - 'A') : best[i];
	return best_len;
}
