/*
 * word_index_check.c
 *	  The word index (src/word_index.c) against a naive substring search,
 *	  built with -fsanitize=address,undefined by run.sh: every key, every
 *	  text and every buffer is its own allocation, so a load past the
 *	  padding the scan relies on is reported.  Whole-word keys of random
 *	  words (multi-byte characters, words longer than 16 bytes), texts of
 *	  words with keys planted and runs of spaces, some longer than 64kB
 *	  and scanned in stretches as the automaton does.
 *
 *	  Usage: word_index_check SEED ITERATIONS; exit status 0 if every
 *	  count matched.
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

#include "word_index.h"

#undef printf
#undef snprintf
#undef fprintf

static uint64 rng_state;

static uint32
rng_below(uint32 n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32) (rng_state % n);
}

/* " w1 w2 … " of one to maxwords words; returns its length */
static int
random_words(char *buf, int maxwords)
{
	static const char *const pieces[] = {
		"a", "b", "ab", "ba", "\xc3\xa1", "1", "x", "yz", "0123456789abcdefgh"
	};
	int			nwords = 1 + rng_below(maxwords);
	int			n = 0;
	int			w;

	buf[n++] = ' ';
	for (w = 0; w < nwords; w++)
	{
		int			npieces = 1 + rng_below(3);

		if (w > 0)
			buf[n++] = ' ';
		while (npieces-- > 0)
		{
			const char *p = pieces[rng_below(lengthof(pieces))];

			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
	}
	buf[n++] = ' ';
	return n;
}

typedef struct Check
{
	const char *text;
	int			len;
	char	  **keys;
	int		   *key_len;
	int		   *found;
	bool		bad;
} Check;

static bool
on_hit(void *arg, int32 key, int end)
{
	Check	   *c = (Check *) arg;

	if (key < 0)
		return true;
	if (end < c->key_len[key] || end > c->len ||
		memcmp(c->text + end - c->key_len[key], c->keys[key], c->key_len[key]) != 0)
		c->bad = true;
	c->found[key]++;
	return true;
}

int
main(int argc, char **argv)
{
	long		checks = 0;
	int			iterations;
	int			iter;

	if (argc != 3)
	{
		fprintf(stderr, "usage: %s SEED ITERATIONS\n", argv[0]);
		return 2;
	}
	rng_state = 88172645463325252ULL ^ (uint64) strtoull(argv[1], NULL, 10);
	iterations = atoi(argv[2]);

	for (iter = 0; iter < iterations; iter++)
	{
		int			nkeys = 1 + rng_below(iter % 10 == 0 ? 3000 : 40);
		char	  **keys = malloc(sizeof(char *) * nkeys);
		int		   *key_len = malloc(sizeof(int) * nkeys);
		Size	   *key_off = malloc(sizeof(Size) * nkeys);
		int32	   *key_len32 = malloc(sizeof(int32) * nkeys);
		bool	   *take = malloc(sizeof(bool) * nkeys);
		char	   *bytes;
		Size		total = 0;
		char		buf[512];
		CzWordIndex *wi;
		Check		c;
		char	   *text;
		int			tlen;
		int			at;
		int			k;

		for (k = 0; k < nkeys; k++)
		{
			/* a last word of its own keeps the keys distinct */
			int			n = random_words(buf, 4) - 1;

			n += snprintf(buf + n, sizeof(buf) - n, " k%d ", k);
			keys[k] = malloc(n);
			memcpy(keys[k], buf, n);
			key_len[k] = n;
			total += n;
		}
		bytes = malloc(total);
		total = 0;
		for (k = 0; k < nkeys; k++)
		{
			memcpy(bytes + total, keys[k], key_len[k]);
			key_off[k] = total;
			key_len32[k] = key_len[k];
			total += key_len[k];
			take[k] = cz_word_key(keys[k], key_len[k]);
			if (!take[k])
			{
				printf("iteration %d: key %d not taken as whole words\n", iter, k);
				return 1;
			}
		}
		wi = cz_word_index_build(NULL, nkeys, bytes, key_off, key_len32, take);

		/* words and planted keys, sometimes without their leading space */
		tlen = (iter % 50 == 0) ? 70000 + rng_below(100000) : rng_below(300);
		/*
		 * the scan reads CZ_AC_SCAN_SLACK bytes past the text, and no more
		 * (AddressSanitizer says if it does); they hold a key, which must
		 * not be found there, or no space at all, where the scan must stop
		 * all the same
		 */
		text = malloc(tlen + CZ_AC_SCAN_SLACK);
		k = rng_below(nkeys);
		for (at = 0; at < CZ_AC_SCAN_SLACK; at++)
			text[tlen + at] = (iter % 2) ? keys[k][at % key_len[k]] : 'x';
		for (at = 0; at < tlen;)
		{
			int			n;
			int			from = rng_below(4) == 0 ? 1 : 0;

			if (rng_below(3) == 0)
			{
				k = rng_below(nkeys);
				memcpy(buf, keys[k], key_len[k]);
				n = key_len[k];
			}
			else
				n = random_words(buf, 2);
			n = Min(n - from, tlen - at);
			memcpy(text + at, buf + from, n);
			at += n;
		}

		c.text = text;
		c.len = tlen;
		c.keys = keys;
		c.key_len = key_len;
		c.found = calloc(nkeys, sizeof(int));
		c.bad = false;
		for (at = 0; at < tlen; at += 0xFFFF)
			cz_word_index_scan(wi, text, tlen, at, Min(tlen, at + 0xFFFF), on_hit, &c);
		if (c.bad)
		{
			printf("iteration %d: a reported occurrence is not there\n", iter);
			return 1;
		}
		for (k = 0; k < nkeys; k++)
		{
			int			count = 0;
			int			i;

			for (i = 0; i + key_len[k] <= tlen; i++)
				count += (memcmp(text + i, keys[k], key_len[k]) == 0);
			if (count != c.found[k])
			{
				printf("iteration %d: key %d found %d times, a naive search finds %d\n",
					   iter, k, c.found[k], count);
				return 1;
			}
			checks++;
		}
		/* the index is not freed: the check ends soon */
		for (k = 0; k < nkeys; k++)
			free(keys[k]);
		free(keys);
		free(key_len);
		free(key_off);
		free(key_len32);
		free(take);
		free(bytes);
		free(text);
		free(c.found);
	}
	printf("word index under AddressSanitizer: %d iterations, %ld counts checked\n",
		   iterations, checks);
	return 0;
}
