/*-------------------------------------------------------------------------
 *
 * pattern_kinds.h
 *	  The pattern kinds and the parsing of their values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CZ_PATTERN_KINDS_H
#define CZ_PATTERN_KINDS_H

typedef enum CzKind
{
	CZ_KIND_MERCHANT,
	CZ_KIND_KEYWORD,
	CZ_KIND_DESCRIPTION,
	CZ_KIND_REGEX,
	CZ_KIND_AMOUNT_RANGE,
	CZ_KIND_TIME,
	CZ_KIND_INVALID
} CzKind;

/* Time windows: minutes of the day, or days of the week. */
typedef struct CzTimeWindow
{
	bool		by_day;			/* weekday / weekend */
	uint8		day_mask;		/* bit d set: day d (0 = Sunday) matches */
	int16		start_minute;	/* inclusive */
	int16		end_minute;		/* exclusive; < start means it wraps */
} CzTimeWindow;

#define CZ_MIN_WEIGHT 0.1f
#define CZ_MAX_WEIGHT 5.0f

extern CzKind cz_kind_from_name(const char *name);
extern const char *cz_kind_name(CzKind kind);

/* Parsers return NULL on success, or a palloc'd description of the problem. */
extern char *cz_parse_amount_range(const char *value, double *lo, double *hi);
extern char *cz_parse_time_window(const char *value, CzTimeWindow *window);

/* Does the time window hold at this minute of the day / day of the week? */
static inline bool
cz_time_window_matches(const CzTimeWindow *w, bool has_time, int minute,
					   bool has_date, int dow)
{
	if (w->by_day)
		return has_date && (w->day_mask & (1 << dow)) != 0;
	if (!has_time)
		return false;
	if (w->start_minute < w->end_minute)
		return minute >= w->start_minute && minute < w->end_minute;
	/* wraps midnight */
	return minute >= w->start_minute || minute < w->end_minute;
}

/* A pattern's own confidence (see README, "Scoring"). */
extern double cz_pattern_confidence(double weight, int64 usage, int64 success);

#endif							/* CZ_PATTERN_KINDS_H */
