/*-------------------------------------------------------------------------
 *
 * regex_prefilter.h
 *	  Required literals of regex patterns (see regex_prefilter.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_REGEX_PREFILTER_H
#define CZ_REGEX_PREFILTER_H

/*
 * Writes to out (no NUL) the longest lower-cased run of ASCII letters and
 * digits that every match of regex contains, and returns its length; 0
 * when no such run is known or it is longer than outcap.
 */
extern int	cz_regex_required_literal(const char *regex, char *out, int outcap);

#endif							/* CZ_REGEX_PREFILTER_H */
