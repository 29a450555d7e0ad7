/*-------------------------------------------------------------------------
 *
 * functions.c
 *	  SQL-callable categorization: categorize.categorize() and
 *	  categorize.explain(), each for a whole expense row and for separate
 *	  values.
 *
 *	  The row forms cache the row type's column map in fn_extra (valid for
 *	  one query execution, during which the row type cannot change).
 *	  Backend-local; no locks of their own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "categorize.h"

PG_MODULE_MAGIC;

/* fn_extra of the row functions */
typedef struct RowCallCache
{
	Oid			argtype;
	Oid			tdtypeid;
	int32		tdtypmod;
	TupleDesc	tupdesc;		/* copy, in fn_mcxt */
	CzColumnMap *map;
} RowCallCache;

/*
 * Read the expense row argument into *e.  Errors for a non-row argument.
 */
static void
expense_from_row_arg(FunctionCallInfo fcinfo, CzExpense *e)
{
	RowCallCache *cache = (RowCallCache *) fcinfo->flinfo->fn_extra;
	HeapTupleHeader th;
	HeapTupleData tuple;
	Oid			tdtypeid;
	int32		tdtypmod;

	if (cache == NULL)
	{
		Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);

		if (!OidIsValid(argtype) || !type_is_rowtype(argtype))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("categorize expects an expense row, not %s",
							OidIsValid(argtype) ? format_type_be(argtype) : "an unknown type"),
					 errhint("Pass a whole row, as in SELECT categorize.categorize(e) FROM expenses e, "
							 "or call categorize.categorize(description, merchant_name, amount, transaction_date).")));
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RowCallCache));
		cache->argtype = argtype;
		fcinfo->flinfo->fn_extra = cache;
	}

	th = PG_GETARG_HEAPTUPLEHEADER(0);
	tdtypeid = HeapTupleHeaderGetTypeId(th);
	tdtypmod = HeapTupleHeaderGetTypMod(th);
	if (cache->tupdesc == NULL || cache->tdtypeid != tdtypeid || cache->tdtypmod != tdtypmod)
	{
		TupleDesc	td = lookup_rowtype_tupdesc(tdtypeid, tdtypmod);
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		/* a copy that lives as long as fn_extra (one query execution) */
		cache->tupdesc = CreateTupleDescCopy(td);
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(td);
		cache->tdtypeid = tdtypeid;
		cache->tdtypmod = tdtypmod;
		cache->map = NULL;
	}
	if (cache->map == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache->map = cz_column_map(cache->tupdesc, fcinfo->flinfo->fn_mcxt, NULL);
		MemoryContextSwitchTo(old);
	}

	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	cz_expense_from_tuple(cache->map, &tuple, cache->tupdesc, e);
}

static void
expense_from_args(FunctionCallInfo fcinfo, CzExpense *e)
{
	text	   *description = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	text	   *merchant = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	bool		has_amount = !PG_ARGISNULL(2);
	bool		has_when = !PG_ARGISNULL(3);

	cz_expense_from_values(e, description, merchant,
						   has_amount ? PG_GETARG_DATUM(2) : (Datum) 0,
						   has_amount ? NUMERICOID : InvalidOid,
						   has_when ? PG_GETARG_DATUM(3) : (Datum) 0,
						   has_when ? TIMESTAMPTZOID : InvalidOid);
}

static Datum
best_category(FunctionCallInfo fcinfo, CzExpense *e)
{
	CzResult	result;

	if (cz_categorize_guarded(e, &result, false, false) != CZ_OUTCOME_CATEGORIZED)
		PG_RETURN_NULL();
	PG_RETURN_INT64(result.candidates[0].category_id);
}

/* categorize.categorize(expense anyelement) → bigint */
PG_FUNCTION_INFO_V1(categorize_row);
Datum
categorize_row(PG_FUNCTION_ARGS)
{
	CzExpense	e;

	expense_from_row_arg(fcinfo, &e);
	return best_category(fcinfo, &e);
}

/* categorize.categorize(description, merchant_name, amount, transaction_date) */
PG_FUNCTION_INFO_V1(categorize_text);
Datum
categorize_text(PG_FUNCTION_ARGS)
{
	CzExpense	e;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	expense_from_args(fcinfo, &e);
	return best_category(fcinfo, &e);
}

/* The columns explain_rows() fills. */
static const Oid explain_types[] = {INT4OID, INT8OID, TEXTOID, FLOAT8OID, INT8ARRAYOID, TEXTOID};

/* Emit explain rows for a result, best first. */
static void
explain_rows(FunctionCallInfo fcinfo, CzExpense *e)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CzResult	result;
	int			i;
	struct CzIndex *index;
	bool		rebuilt;

	InitMaterializedSRF(fcinfo, 0);
	cz_check_result_shape(rsinfo->setDesc, explain_types, lengthof(explain_types),
						  "categorize.explain()");
	(void) cz_categorize_guarded(e, &result, false, true);
	if (result.ncandidates == 0)
		return;
	/* the index the result came from: current, so this builds nothing */
	index = cz_index_get(&rebuilt);

	for (i = 0; i < result.ncandidates; i++)
	{
		CzCandidate *c = &result.candidates[i];
		Datum		values[lengthof(explain_types)];
		bool		nulls[lengthof(explain_types)] = {0};
		Datum	   *ids = palloc(sizeof(Datum) * Max(c->npatterns, 1));
		int			j;

		for (j = 0; j < c->npatterns; j++)
			ids[j] = Int64GetDatum(cz_index_pattern_id(index,
													   result.pattern_index[c->first_pattern + j]));
		values[0] = Int32GetDatum(i + 1);
		values[1] = Int64GetDatum(c->category_id);
		values[2] = CStringGetTextDatum(cz_index_category_name(index, c->category_index));
		values[3] = Float8GetDatum(c->confidence);
		values[4] = PointerGetDatum(construct_array(ids, c->npatterns, INT8OID,
													sizeof(int64), FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		values[5] = CStringGetTextDatum(cz_methods_text(c->methods));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* categorize.explain(expense anyelement) → setof record */
PG_FUNCTION_INFO_V1(categorize_explain_row);
Datum
categorize_explain_row(PG_FUNCTION_ARGS)
{
	CzExpense	e;

	expense_from_row_arg(fcinfo, &e);
	explain_rows(fcinfo, &e);
	return (Datum) 0;
}

/* categorize.explain(description, merchant_name, amount, transaction_date) */
PG_FUNCTION_INFO_V1(categorize_explain_text);
Datum
categorize_explain_text(PG_FUNCTION_ARGS)
{
	CzExpense	e;

	expense_from_args(fcinfo, &e);
	explain_rows(fcinfo, &e);
	return (Datum) 0;
}
