/*-------------------------------------------------------------------------
 *
 * automaton.h
 *	  Aho-Corasick multi-pattern matcher over bytes (many whole-word keys
 *	  go to a word index instead, behind the same interface).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_AUTOMATON_H
#define CZ_AUTOMATON_H

typedef struct CzAcBuilder CzAcBuilder;
typedef struct CzAutomaton CzAutomaton;

/*
 * Keys are non-empty byte strings without NUL bytes (text values cannot
 * hold NUL; the automaton reserves it); identical keys get the same id.
 */
extern CzAcBuilder *cz_ac_builder_create(MemoryContext cxt);
extern int32 cz_ac_builder_add(CzAcBuilder *builder, const char *key, int len);
extern CzAutomaton *cz_ac_build(CzAcBuilder *builder, MemoryContext cxt);
/*
 * The same with a given memory budget for the dense rows, and the number
 * of whole-word keys from which they go to the word index (for tests).
 */
extern CzAutomaton *cz_ac_build_with_budget(CzAcBuilder *builder, MemoryContext cxt,
											Size dense_budget, int32 word_index_min_keys);
/*
 * The same with every whole-word key in the word index, however few: for
 * a small set scanned beside another, whose whole-word keys then cost a
 * scan a hash per word, not a step per byte.
 */
extern CzAutomaton *cz_ac_build_words_first(CzAcBuilder *builder, MemoryContext cxt);

extern int32 cz_ac_key_count(const CzAutomaton *ac);
extern int32 cz_ac_state_count(const CzAutomaton *ac);
extern int32 cz_ac_word_key_count(const CzAutomaton *ac);
extern int32 cz_ac_key_length(const CzAutomaton *ac, int32 key);

/*
 * Called for each occurrence of a key: end is the offset just past it;
 * every 64kB of text with key CZ_AC_TEXT_TICK (end: the offset reached);
 * and with CZ_AC_WORK_TICK every 65,536 steps of the word index's scan
 * (its work per byte of text grows with the words of the longest key) and
 * every 65,536 keys of the trie's output chains (keys that are suffixes
 * of one another all end at the same byte).
 * Ticks let the caller check interrupts and its time budget.  Return
 * false to stop the scan.
 */
#define CZ_AC_TEXT_TICK		(-1)
#define CZ_AC_WORK_TICK		(-2)
typedef bool (*CzAcHitFn) (void *arg, int32 key, int end);

/*
 * Returns false if the callback stopped the scan.  The scan reads up to
 * CZ_AC_SCAN_SLACK bytes past text[len] (the word index takes the text's
 * spaces 64 bytes at a time): the caller's buffer must hold them, whatever
 * their values.
 */
#define CZ_AC_SCAN_SLACK	64
extern bool cz_ac_scan(const CzAutomaton *ac, const char *text, int len,
					   CzAcHitFn hit, void *arg);

#endif							/* CZ_AUTOMATON_H */
