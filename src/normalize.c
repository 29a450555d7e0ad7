/*-------------------------------------------------------------------------
 *
 * normalize.c
 *	  Text normalization: the form in which patterns are compiled and
 *	  expense text is matched.
 *
 *	  Letters are case-folded, Latin accents folded (á→a, ñ→n, ß→ss, æ→ae),
 *	  Greek and Cyrillic capitals lowered, every other ASCII character and
 *	  Unicode punctuation turned into a space, and runs of spaces squeezed.
 *	  The result is padded with one space on each side (" word word "), so a
 *	  whole-word search is a plain substring search for " word ".  Empty
 *	  output (no letters or digits) has length 0.
 *
 *	  Works on UTF-8; with any other server encoding only ASCII is folded
 *	  and other bytes are kept as they are.  Invalid UTF-8 bytes become
 *	  spaces.  The output is never longer than the input plus two bytes.
 *
 *	  Owns no state and takes no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "categorize.h"

/*
 * ASCII: 0 = separator, otherwise the folded byte.  Bytes from 0x80 are 0
 * too, so that the loop over a run of letters and digits stops at them
 * without a test of its own (they are decoded as UTF-8 elsewhere).
 */
static const unsigned char ascii_fold[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0
};

/*
 * Folding of U+00C0 .. U+017F (Latin-1 letters and Latin Extended-A) to
 * ASCII, one or two letters each.  × and ÷ never get here (separators).
 */
static const char *const latin_fold[0x180 - 0xC0] = {
	/* U+00C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00D0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	/* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	/* U+0110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	/* U+0120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	/* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	/* U+0140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	/* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	/* U+0160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	/* U+0170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"
};

/* Append a UTF-8 encoded code point (2 or 3 bytes, never more here). */
static inline char *
put_utf8(char *o, uint32 cp)
{
	if (cp < 0x800)
	{
		*o++ = (char) (0xC0 | (cp >> 6));
		*o++ = (char) (0x80 | (cp & 0x3F));
	}
	else
	{
		*o++ = (char) (0xE0 | (cp >> 12));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char) (0x80 | (cp & 0x3F));
	}
	return o;
}

/*
 * Lower-case Greek and Cyrillic capitals; returns the code point unchanged
 * otherwise.  The result always has the same UTF-8 length as the input.
 */
static inline uint32
fold_other(uint32 cp)
{
	if (cp >= 0x0391 && cp <= 0x03A9 && cp != 0x03A2)
		return cp + 0x20;		/* Greek capitals */
	if (cp >= 0x0410 && cp <= 0x042F)
		return cp + 0x20;		/* Cyrillic А..Я */
	if (cp >= 0x0400 && cp <= 0x040F && cp != 0x0401)
		return cp + 0x50;		/* Cyrillic Ѐ..Џ */
	if (cp == 0x0451 || cp == 0x0401)
		return 0x0435;			/* ё, Ё → е */
	return cp;
}

/* Unicode characters outside ASCII that separate words. */
static inline bool
is_separator(uint32 cp)
{
	return (cp >= 0x80 && cp <= 0xBF) ||	/* C1 controls, Latin-1 punctuation */
		cp == 0xD7 || cp == 0xF7 ||
		(cp >= 0x2000 && cp <= 0x206F) ||	/* general punctuation, spaces */
		(cp >= 0x20A0 && cp <= 0x20CF) ||	/* currency symbols */
		(cp >= 0x3000 && cp <= 0x3003) ||	/* ideographic space, punctuation */
		cp == 0xFEFF;
}

/*
 * Normalize len bytes of in into out, which must have room for len + 2
 * bytes.  Returns the output length (0 when there are no words).
 */
int
cz_normalize(const char *in, int len, char *out)
{
	const unsigned char *p = (const unsigned char *) in;
	const unsigned char *end = p + len;
	char	   *o = out;
	bool		pending_space = true;	/* emit the leading pad */
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);

	while (p < end)
	{
		unsigned char c = *p;

		if (c < 0x80)
		{
			unsigned char f = ascii_fold[c];

			p++;
			if (f == 0)
			{
				if (o > out)
					pending_space = true;
				continue;
			}
			if (pending_space)
			{
				*o++ = ' ';
				pending_space = false;
			}
			*o++ = (char) f;
			/* the rest of a run of ASCII letters and digits, tightly */
			while (p < end && (f = ascii_fold[*p]) != 0)
			{
				*o++ = (char) f;
				p++;
			}
			continue;
		}

		if (!utf8)
		{
			/* Unknown encoding: keep the byte. */
			if (pending_space)
			{
				*o++ = ' ';
				pending_space = false;
			}
			*o++ = (char) c;
			p++;
			continue;
		}

		/* Decode one UTF-8 sequence, rejecting anything malformed. */
		{
			int			n;
			uint32		cp;
			int			i;

			if (c >= 0xC2 && c <= 0xDF)
			{
				n = 2;
				cp = c & 0x1F;
			}
			else if (c >= 0xE0 && c <= 0xEF)
			{
				n = 3;
				cp = c & 0x0F;
			}
			else if (c >= 0xF0 && c <= 0xF4)
			{
				n = 4;
				cp = c & 0x07;
			}
			else
			{
				/* stray continuation or invalid lead byte */
				p++;
				if (o > out)
					pending_space = true;
				continue;
			}
			if (end - p < n)
			{
				p = end;
				break;
			}
			for (i = 1; i < n; i++)
			{
				if ((p[i] & 0xC0) != 0x80)
					break;
				cp = (cp << 6) | (p[i] & 0x3F);
			}
			if (i < n ||
				(n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
				(n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			{
				p++;
				if (o > out)
					pending_space = true;
				continue;
			}

			if (is_separator(cp))
			{
				p += n;
				if (o > out)
					pending_space = true;
				continue;
			}
			if (pending_space)
			{
				*o++ = ' ';
				pending_space = false;
			}
			if (cp >= 0xC0 && cp < 0x180)
			{
				const char *f = latin_fold[cp - 0xC0];

				*o++ = f[0];
				if (f[1])
					*o++ = f[1];
			}
			else if (n <= 3)
			{
				uint32		folded = fold_other(cp);

				if (folded == cp)
				{
					memcpy(o, p, n);
					o += n;
				}
				else
					o = put_utf8(o, folded);
			}
			else
			{
				memcpy(o, p, n);
				o += n;
			}
			p += n;
		}
	}

	if (o == out)
		return 0;
	*o++ = ' ';					/* trailing pad */
	return (int) (o - out);
}

/*
 * categorize.normalize(text) → text: the normalized form without the pads.
 */
PG_FUNCTION_INFO_V1(categorize_normalize);
Datum
categorize_normalize(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(in);
	char	   *buf = palloc(len + 2);
	int			n = cz_normalize(VARDATA_ANY(in), len, buf);

	if (n <= 2)
		PG_RETURN_TEXT_P(cstring_to_text(""));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf + 1, n - 2));
}
