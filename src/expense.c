/*-------------------------------------------------------------------------
 *
 * expense.c
 *	  Reading an expense out of a row: columns are found by name once per
 *	  row type (the CzColumnMap, cached by callers in fn_extra), values are
 *	  taken without copying, and amount, time and user id are converted
 *	  only when a pattern asks for them.
 *
 *	  Columns: description; merchant_name (or merchant); amount;
 *	  transaction_date (or occurred_at); user_id.  Missing columns count as
 *	  NULL.  A column of an unusable type is a clear error, raised when the
 *	  map is built.
 *
 *	  Backend-local; no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/cash.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include <math.h>

#include "categorize.h"

typedef enum ExpenseField
{
	FIELD_DESCRIPTION,
	FIELD_MERCHANT,
	FIELD_AMOUNT,
	FIELD_WHEN,
	FIELD_USER,
	NUM_FIELDS
} ExpenseField;

struct CzColumnMap
{
	Oid			tdtypeid;
	int32		tdtypmod;
	TupleDesc	tupdesc;		/* the descriptor the map was made for */
	AttrNumber	attnum[NUM_FIELDS]; /* 0: no such column */
	Oid			type[NUM_FIELDS];	/* base type */
	bool		use_output[NUM_FIELDS]; /* text via the output function */
	FmgrInfo	out[NUM_FIELDS];
	/* heap_deform_tuple output, reused for every row */
	Datum	   *values;
	bool	   *isnull;
};

static const char *const field_names[NUM_FIELDS][2] = {
	{"description", NULL},
	{"merchant_name", "merchant"},
	{"amount", NULL},
	{"transaction_date", "occurred_at"},
	{"user_id", NULL},
};

static bool
is_plain_text(Oid type)
{
	return type == TEXTOID || type == VARCHAROID || type == BPCHAROID;
}

static void
check_field_type(CzColumnMap *map, ExpenseField f, Form_pg_attribute att,
				 MemoryContext cxt)
{
	Oid			base = getBaseType(att->atttypid);
	bool		ok = false;
	const char *expected = NULL;

	map->type[f] = base;
	switch (f)
	{
		case FIELD_DESCRIPTION:
		case FIELD_MERCHANT:
			expected = "a text type";
			if (is_plain_text(base))
				ok = true;
			else if (TypeCategory(base) == TYPCATEGORY_STRING)
				ok = map->use_output[f] = true;
			break;
		case FIELD_AMOUNT:
			expected = "numeric, real, double precision, an integer type or money";
			ok = (base == NUMERICOID || base == FLOAT4OID || base == FLOAT8OID ||
				  base == INT2OID || base == INT4OID || base == INT8OID ||
				  base == CASHOID);
			break;
		case FIELD_WHEN:
			expected = "date, timestamp or timestamptz";
			ok = (base == DATEOID || base == TIMESTAMPOID || base == TIMESTAMPTZOID);
			break;
		case FIELD_USER:
			ok = true;
			map->use_output[f] = !is_plain_text(base);
			break;
		default:
			break;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("expense column \"%s\" has type %s, expected %s",
						NameStr(att->attname), format_type_be(att->atttypid), expected)));
	if (map->use_output[f])
	{
		Oid			outfunc;
		bool		varlena;

		getTypeOutputInfo(base, &outfunc, &varlena);
		fmgr_info_cxt(outfunc, &map->out[f], cxt);
	}
}

/*
 * The column map for tupdesc; previous is returned as is when it was made
 * for the same row type.
 */
CzColumnMap *
cz_column_map(TupleDesc tupdesc, MemoryContext cxt, CzColumnMap *previous)
{
	CzColumnMap *map;
	int			f,
				i;

	if (previous != NULL && previous->tupdesc == tupdesc &&
		previous->tdtypeid == tupdesc->tdtypeid &&
		previous->tdtypmod == tupdesc->tdtypmod)
		return previous;

	map = MemoryContextAllocZero(cxt, sizeof(CzColumnMap));
	map->tdtypeid = tupdesc->tdtypeid;
	map->tdtypmod = tupdesc->tdtypmod;
	map->tupdesc = tupdesc;

	for (f = 0; f < NUM_FIELDS; f++)
	{
		int			alt;

		for (alt = 0; alt < 2 && map->attnum[f] == 0; alt++)
		{
			const char *name = field_names[f][alt];

			if (name == NULL)
				break;
			for (i = 0; i < tupdesc->natts; i++)
			{
				Form_pg_attribute att = TupleDescAttr(tupdesc, i);

				if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
				{
					map->attnum[f] = att->attnum;
					check_field_type(map, (ExpenseField) f, att, cxt);
					break;
				}
			}
		}
	}
	map->values = MemoryContextAlloc(cxt, sizeof(Datum) * Max(tupdesc->natts, 1));
	map->isnull = MemoryContextAlloc(cxt, sizeof(bool) * Max(tupdesc->natts, 1));
	return map;
}

/* Text of a field: pointer and length into detoasted data, or NULL. */
static const char *
field_text(CzColumnMap *map, ExpenseField f, Datum d, int *len)
{
	if (map->use_output[f])
	{
		char	   *s = OutputFunctionCall(&map->out[f], d);

		*len = strlen(s);
		return s;
	}
	else
	{
		text	   *t = DatumGetTextPP(d);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
}

/*
 * The row is deformed once (heap_deform_tuple walks it a single time, where
 * a heap_getattr per field would walk it again past every variable-width
 * column for each field).
 */
void
cz_expense_from_tuple(CzColumnMap *map, HeapTuple tuple, TupleDesc tupdesc,
					  CzExpense *e)
{
	Datum	   *values = map->values;
	bool	   *isnull = map->isnull;
	AttrNumber	a;

	Assert(tupdesc == map->tupdesc);
	memset(e, 0, sizeof(CzExpense));
	heap_deform_tuple(tuple, tupdesc, values, isnull);

	if ((a = map->attnum[FIELD_DESCRIPTION]) != 0 && !isnull[a - 1])
		e->description = field_text(map, FIELD_DESCRIPTION, values[a - 1],
									&e->description_len);
	if ((a = map->attnum[FIELD_MERCHANT]) != 0 && !isnull[a - 1])
		e->merchant = field_text(map, FIELD_MERCHANT, values[a - 1], &e->merchant_len);
	if ((a = map->attnum[FIELD_AMOUNT]) != 0 && !isnull[a - 1])
	{
		e->amount_type = map->type[FIELD_AMOUNT];
		e->amount = values[a - 1];
	}
	if ((a = map->attnum[FIELD_WHEN]) != 0 && !isnull[a - 1])
	{
		e->when_type = map->type[FIELD_WHEN];
		e->when = values[a - 1];
	}
	if ((a = map->attnum[FIELD_USER]) != 0 && !isnull[a - 1])
	{
		e->user_type = map->type[FIELD_USER];
		e->user = values[a - 1];
		e->user_out = map->use_output[FIELD_USER] ? &map->out[FIELD_USER] : NULL;
	}
}

/*
 * Every column of the row last read by cz_expense_from_tuple() with this
 * map, deformed (valid until the next row; callers may change them, e.g.
 * to form a modified row).
 */
void
cz_column_map_values(CzColumnMap *map, Datum **values, bool **isnull)
{
	*values = map->values;
	*isnull = map->isnull;
}

void
cz_expense_from_values(CzExpense *e, text *description, text *merchant,
					   Datum amount, Oid amount_type, Datum when, Oid when_type)
{
	memset(e, 0, sizeof(CzExpense));
	if (description)
	{
		e->description = VARDATA_ANY(description);
		e->description_len = VARSIZE_ANY_EXHDR(description);
	}
	if (merchant)
	{
		e->merchant = VARDATA_ANY(merchant);
		e->merchant_len = VARSIZE_ANY_EXHDR(merchant);
	}
	e->amount_type = amount_type;
	e->amount = amount;
	e->when_type = when_type;
	e->when = when;
}

/*
 * A numeric as a double without printing and parsing it, when that is
 * exact: false for NaN, infinities and values with more significant digits
 * than a double holds exactly (the caller then goes through
 * numeric_float8_no_overflow(), which is always correct).
 *
 * This reads numeric's on-disk format (fixed since PostgreSQL 9.1, and
 * kept by pg_upgrade; the special values use the sign bits 0xC000 since
 * 14): a 2-byte short header (sign, display scale, 6-bit weight) or a
 * 4-byte long one (sign and scale, then a 16-bit weight), then base-10000
 * digits, most significant first, trailing zero digits stripped.  The
 * digits make an integer D below 2^53 and the value is D * 10^k with |k|
 * at most 22, which one IEEE multiplication or division rounds correctly,
 * as strtod() does (Clinger's fast path): the same double as the slow way.
 * fuzz.c checks the two against each other on random numerics.
 */
bool
cz_numeric_to_double(Datum value, double *out)
{
#if PG_VERSION_NUM >= 140000 && PG_VERSION_NUM < 190000
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	const char *data;
	int			len;
	uint16		header;
	bool		negative;
	int			weight;
	int			ndigits;
	int			i;
	uint64		d = 0;
	int			exp10;
	double		result;
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return false;			/* compressed or external: not worth it */
	data = VARDATA_ANY(v);
	len = VARSIZE_ANY_EXHDR(v);
	if (len < 2)
		return false;
	memcpy(&header, data, 2);
	if ((header & 0xC000) == 0xC000)
		return false;			/* NaN, +-Infinity */
	if (header & 0x8000)
	{
		/* short format */
		negative = (header & 0x2000) != 0;
		weight = (header & 0x0040) ? (int) (~0x003F | (header & 0x003F)) :
			(int) (header & 0x003F);
		data += 2;
		len -= 2;
	}
	else
	{
		int16		w;

		if (len < 4)
			return false;
		negative = (header & 0x4000) != 0;
		memcpy(&w, data + 2, 2);
		weight = w;
		data += 4;
		len -= 4;
	}
	ndigits = len / 2;
	if (ndigits == 0)
	{
		*out = 0.0;
		return true;
	}
	if (ndigits > 4)
		return false;
	for (i = 0; i < ndigits; i++)
	{
		int16		digit;

		memcpy(&digit, data + 2 * i, 2);
		if (digit < 0 || digit >= 10000)
			return false;
		d = d * 10000 + (uint64) digit;
	}
	if (d >= (UINT64CONST(1) << 53))
		return false;
	exp10 = 4 * (weight - ndigits + 1);
	if (exp10 < -22 || exp10 > 22)
		return false;
	result = exp10 >= 0 ? (double) d * pow10[exp10] : (double) d / pow10[-exp10];
	*out = negative ? -result : result;
	return true;
#else
	return false;
#endif
}

bool
cz_expense_amount(CzExpense *e, double *amount)
{
	if (!e->amount_done)
	{
		e->amount_done = true;
		e->has_amount = true;
		switch (e->amount_type)
		{
			case NUMERICOID:
				if (!cz_numeric_to_double(e->amount, &e->amount_value))
					e->amount_value = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																		 e->amount));
				break;
			case FLOAT4OID:
				e->amount_value = DatumGetFloat4(e->amount);
				break;
			case FLOAT8OID:
				e->amount_value = DatumGetFloat8(e->amount);
				break;
			case INT2OID:
				e->amount_value = DatumGetInt16(e->amount);
				break;
			case INT4OID:
				e->amount_value = DatumGetInt32(e->amount);
				break;
			case INT8OID:
				e->amount_value = (double) DatumGetInt64(e->amount);
				break;
			case CASHOID:
				/* money is an integer number of the currency's minor units */
				e->amount_value = (double) DatumGetCash(e->amount) / 100.0;
				break;
			default:
				e->has_amount = false;
				break;
		}
		/* NaN never falls in a range */
		if (e->has_amount && isnan(e->amount_value))
			e->has_amount = false;
	}
	*amount = e->amount_value;
	return e->has_amount;
}

void
cz_expense_time(CzExpense *e)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (e->time_done)
		return;
	e->time_done = true;

	switch (e->when_type)
	{
		case DATEOID:
			{
				DateADT		d = DatumGetDateADT(e->when);

				if (DATE_NOT_FINITE(d))
					return;
				e->has_date = true;
				e->day_of_week = j2day(d + POSTGRES_EPOCH_JDATE);
				return;
			}
		case TIMESTAMPOID:
			{
				Timestamp	ts = DatumGetTimestamp(e->when);

				if (TIMESTAMP_NOT_FINITE(ts) ||
					timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
					return;
				break;
			}
		case TIMESTAMPTZOID:
			{
				TimestampTz ts = DatumGetTimestampTz(e->when);

				if (TIMESTAMP_NOT_FINITE(ts) ||
					timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
					return;
				break;
			}
		default:
			return;
	}
	e->has_time = e->has_date = true;
	e->minute_of_day = tm.tm_hour * 60 + tm.tm_min;
	e->day_of_week = j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));
}

const char *
cz_expense_user(CzExpense *e)
{
	if (!e->user_done)
	{
		e->user_done = true;
		if (e->user_type == InvalidOid)
			e->user_id = NULL;
		else if (e->user_out)
			e->user_id = OutputFunctionCall(e->user_out, e->user);
		else
			e->user_id = TextDatumGetCString(e->user);
	}
	return e->user_id;
}
