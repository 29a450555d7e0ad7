/*-------------------------------------------------------------------------
 *
 * regex_budget.h
 *	  pg_regexec() under categorize.time_budget (regex_budget.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_REGEX_BUDGET_H
#define CZ_REGEX_BUDGET_H

#include "regex/regex.h"

extern int	cz_regexec_budgeted(regex_t *re, pg_wchar *data, int len);
extern bool cz_regex_budget_spent(void);

#endif							/* CZ_REGEX_BUDGET_H */
