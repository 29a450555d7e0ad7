/*-------------------------------------------------------------------------
 *
 * pattern_kinds.c
 *	  Pattern kinds, the parsing of amount ranges and time windows, and a
 *	  pattern's own confidence.  Used both by row validation (clear errors
 *	  on insert) and by the index build.  No state, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "categorize.h"
#include "pattern_kinds.h"

static const char *const kind_names[] = {
	"merchant", "keyword", "description", "regex", "amount_range", "time"
};

CzKind
cz_kind_from_name(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (CzKind) i;
	return CZ_KIND_INVALID;
}

const char *
cz_kind_name(CzKind kind)
{
	if (kind >= 0 && kind < CZ_KIND_INVALID)
		return kind_names[kind];
	return "invalid";
}

/* Parse [+-]digits[.digits] at *p; advances *p.  No exponents, NaN or inf. */
static bool
parse_decimal(const char **p, double *result)
{
	const char *s = *p;
	const char *start;
	char	   *end;
	bool		digits = false;

	while (isspace((unsigned char) *s))
		s++;
	start = s;
	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char) *s))
	{
		s++;
		digits = true;
	}
	if (*s == '.')
	{
		s++;
		while (isdigit((unsigned char) *s))
		{
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	*result = strtod(start, &end);
	if (end != s)
		return false;
	while (isspace((unsigned char) *s))
		s++;
	*p = s;
	return true;
}

char *
cz_parse_amount_range(const char *value, double *lo, double *hi)
{
	const char *p = value;

	if (!parse_decimal(&p, lo))
		return psprintf("amount range \"%s\" does not start with a number (expected lo-hi, e.g. 5.00-15.00)", value);
	if (*p != '-')
		return psprintf("amount range \"%s\" has no \"-\" between its bounds (expected lo-hi, e.g. 5.00-15.00)", value);
	p++;
	if (!parse_decimal(&p, hi) || *p != '\0')
		return psprintf("amount range \"%s\" does not end with a number (expected lo-hi, e.g. -100.00--10.00)", value);
	if (*lo > *hi)
		return psprintf("amount range \"%s\" has its lower bound above its upper bound", value);
	return NULL;
}

static bool
parse_hhmm(const char **p, int *minutes)
{
	const char *s = *p;
	int			h = 0,
				m = 0,
				n = 0;

	while (isspace((unsigned char) *s))
		s++;
	while (isdigit((unsigned char) *s) && n < 2)
	{
		h = h * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || *s != ':')
		return false;
	s++;
	if (!isdigit((unsigned char) s[0]) || !isdigit((unsigned char) s[1]))
		return false;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return false;
	while (isspace((unsigned char) *s))
		s++;
	*minutes = h * 60 + m;
	*p = s;
	return true;
}

char *
cz_parse_time_window(const char *value, CzTimeWindow *w)
{
	static const struct
	{
		const char *word;
		int			start;
		int			end;
	}			words[] = {
		{"morning", 6 * 60, 12 * 60},
		{"afternoon", 12 * 60, 17 * 60},
		{"evening", 17 * 60, 21 * 60},
		{"night", 21 * 60, 6 * 60},
	};
	char		buf[32];
	int			i,
				n = 0;
	const char *p;

	memset(w, 0, sizeof(*w));

	/* lower-cased, trimmed copy for the words */
	for (p = value; *p && isspace((unsigned char) *p); p++)
		;
	for (; *p && n < (int) sizeof(buf) - 1; p++)
		buf[n++] = (char) tolower((unsigned char) *p);
	while (n > 0 && isspace((unsigned char) buf[n - 1]))
		n--;
	buf[n] = '\0';

	for (i = 0; i < lengthof(words); i++)
	{
		if (strcmp(buf, words[i].word) == 0)
		{
			w->start_minute = words[i].start;
			w->end_minute = words[i].end;
			return NULL;
		}
	}
	if (strcmp(buf, "weekday") == 0 || strcmp(buf, "weekdays") == 0)
	{
		w->by_day = true;
		w->day_mask = 0x3E;		/* Monday .. Friday */
		return NULL;
	}
	if (strcmp(buf, "weekend") == 0 || strcmp(buf, "weekends") == 0)
	{
		w->by_day = true;
		w->day_mask = 0x41;		/* Saturday, Sunday */
		return NULL;
	}

	p = value;
	{
		int			start,
					end;

		if (parse_hhmm(&p, &start) && *p == '-')
		{
			p++;
			if (parse_hhmm(&p, &end) && *p == '\0')
			{
				if (start == end)
					return psprintf("time window \"%s\" is empty", value);
				w->start_minute = (int16) (start % 1440);
				w->end_minute = (int16) end;
				return NULL;
			}
		}
	}
	return psprintf("unknown time \"%s\" (expected morning, afternoon, evening, night, weekday, weekend or HH:MM-HH:MM)",
					value);
}


/*
 * prior(w) = w / (w + 1.5): 0.4 at weight 1, 0.67 at weight 3, 0.77 at 5.
 * After CZ_MIN_USAGE uses the observed success rate is blended in, with
 * the rate's share usage / (usage + 10).
 */
#define CZ_MIN_USAGE 3

double
cz_pattern_confidence(double weight, int64 usage, int64 success)
{
	double		prior = weight / (weight + 1.5);

	if (usage >= CZ_MIN_USAGE && success >= 0 && success <= usage)
	{
		double		share = (double) usage / ((double) usage + 10.0);
		double		rate = (double) success / (double) usage;

		return (1.0 - share) * prior + share * rate;
	}
	return prior;
}
