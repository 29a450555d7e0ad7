/*-------------------------------------------------------------------------
 *
 * word_index.h
 *	  Whole-word keys (" word word ") found by hashed word sequences; the
 *	  automaton hands them here instead of putting them in its trie.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_WORD_INDEX_H
#define CZ_WORD_INDEX_H

#include "automaton.h"

typedef struct CzWordIndex CzWordIndex;

/*
 * Whether a key is one the word index takes: a space, words separated by
 * single spaces, a space ("  " nowhere).  Normalized merchant and keyword
 * values have this form.
 */
extern bool cz_word_key(const char *key, int len);

/*
 * Build from the keys whose take[] is set (ids 0 .. nkeys-1, the bytes of
 * key k at bytes + key_off[k], key_len[k] long).  NULL if none is taken.
 */
extern CzWordIndex *cz_word_index_build(MemoryContext cxt, int32 nkeys,
										const char *bytes, const Size *key_off,
										const int32 *key_len, const bool *take);

/*
 * Report, through hit(), every occurrence in text[0, len) of a key that
 * starts at an offset in [from, to) (its leading space there).  Returns
 * false if hit() did.  Reads up to CZ_AC_SCAN_SLACK bytes past text[len],
 * which must be readable (their values do not matter).
 */
extern bool cz_word_index_scan(const CzWordIndex *wi, const char *text, int len,
							   int from, int to, CzAcHitFn hit, void *arg);

extern int32 cz_word_index_key_count(const CzWordIndex *wi);

#endif							/* CZ_WORD_INDEX_H */
