/*-------------------------------------------------------------------------
 *
 * trigger.c
 *	  categorize.trigger('category_column' [, 'confidence_column']): a
 *	  BEFORE INSERT OR UPDATE row trigger that fills the category (and the
 *	  confidence) when the category is NULL.
 *
 *	  A category set by the user is never overwritten.  Categorization
 *	  never makes the statement fail: a failed index build, an error while
 *	  matching, a timeout or an open breaker all leave the column NULL
 *	  (cz_categorize_guarded with never_throw).  Wrong trigger arguments
 *	  are the user's mistake and are reported as errors.
 *
 *	  Column positions are resolved once per relation descriptor and kept
 *	  in fn_extra.  Backend-local; no locks of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "categorize.h"

typedef struct TriggerCache
{
	TupleDesc	tupdesc;		/* the relation descriptor this was made for */
	AttrNumber	category_att;
	Oid			category_type;
	AttrNumber	confidence_att; /* 0: none */
	Oid			confidence_type;
	CzColumnMap *map;
} TriggerCache;

static AttrNumber
trigger_column(Relation rel, TupleDesc tupdesc, const char *name, const char *role,
			   const Oid *types, int ntypes, const char *expected, Oid *type)
{
	int			attnum = SPI_fnumber(tupdesc, name);
	Form_pg_attribute att;
	Oid			base;
	int			i;

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" of categorize.trigger() does not exist in table \"%s\"",
						role, name, RelationGetRelationName(rel)),
				 errhint("Name the column as the trigger's argument: EXECUTE FUNCTION categorize.trigger('category_id').")));
	att = TupleDescAttr(tupdesc, attnum - 1);
	base = getBaseType(att->atttypid);
	for (i = 0; i < ntypes; i++)
		if (base == types[i])
		{
			*type = base;
			return (AttrNumber) attnum;
		}
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s column \"%s\" of table \"%s\" has type %s, expected %s",
					role, name, RelationGetRelationName(rel),
					format_type_be(att->atttypid), expected)));
	return 0;					/* keep compiler quiet */
}

static TriggerCache *
trigger_cache(FunctionCallInfo fcinfo, TriggerData *trigdata)
{
	TriggerCache *cache = (TriggerCache *) fcinfo->flinfo->fn_extra;
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Trigger    *trigger = trigdata->tg_trigger;
	static const Oid int_types[] = {INT8OID, INT4OID, INT2OID, NUMERICOID};
	static const Oid float_types[] = {FLOAT8OID, FLOAT4OID, NUMERICOID};
	MemoryContext old;

	if (cache != NULL && cache->tupdesc == tupdesc)
		return cache;

	if (trigger->tgnargs < 1 || trigger->tgnargs > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("categorize.trigger() takes one or two arguments, got %d",
						trigger->tgnargs),
				 errhint("Use categorize.trigger('category_column') or categorize.trigger('category_column', 'confidence_column').")));

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache = palloc0(sizeof(TriggerCache));
	cache->tupdesc = tupdesc;
	cache->category_att = trigger_column(rel, tupdesc, trigger->tgargs[0], "category",
										 int_types, lengthof(int_types),
										 "bigint, integer, smallint or numeric",
										 &cache->category_type);
	if (trigger->tgnargs == 2)
		cache->confidence_att = trigger_column(rel, tupdesc, trigger->tgargs[1], "confidence",
											   float_types, lengthof(float_types),
											   "double precision, real or numeric",
											   &cache->confidence_type);
	cache->map = cz_column_map(tupdesc, fcinfo->flinfo->fn_mcxt, NULL);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/* The category id as a value of the column's type; false if it won't fit. */
static bool
category_datum(Oid type, int64 id, Datum *value)
{
	switch (type)
	{
		case INT8OID:
			*value = Int64GetDatum(id);
			return true;
		case INT4OID:
			if (id < PG_INT32_MIN || id > PG_INT32_MAX)
				return false;
			*value = Int32GetDatum((int32) id);
			return true;
		case INT2OID:
			if (id < PG_INT16_MIN || id > PG_INT16_MAX)
				return false;
			*value = Int16GetDatum((int16) id);
			return true;
		case NUMERICOID:
			*value = NumericGetDatum(int64_to_numeric(id));
			return true;
		default:
			return false;
	}
}

static Datum
confidence_datum(Oid type, double confidence)
{
	switch (type)
	{
		case FLOAT4OID:
			return Float4GetDatum((float4) confidence);
		case NUMERICOID:
			return DirectFunctionCall1(float8_numeric, Float8GetDatum(confidence));
		default:
			return Float8GetDatum(confidence);
	}
}

PG_FUNCTION_INFO_V1(categorize_trigger);
Datum
categorize_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerCache *cache;
	HeapTuple	tuple;
	HeapTuple	newtuple;
	TupleDesc	tupdesc;
	CzExpense	e;
	CzResult	result;
	Datum	   *values;
	bool	   *isnull;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("categorize.trigger() must be called as a trigger")));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("categorize.trigger() must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger")));

	cache = trigger_cache(fcinfo, trigdata);
	tupdesc = RelationGetDescr(trigdata->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	/* set by the user: keep it, without deforming the row */
	if (!heap_attisnull(tuple, cache->category_att, tupdesc))
		return PointerGetDatum(tuple);

	/* one pass over the row: the expense, and every column to rebuild it */
	cz_expense_from_tuple(cache->map, tuple, tupdesc, &e);
	cz_column_map_values(cache->map, &values, &isnull);

	if (cz_categorize_guarded(&e, &result, true, false) != CZ_OUTCOME_CATEGORIZED)
		return PointerGetDatum(tuple);

	if (!category_datum(cache->category_type, result.candidates[0].category_id,
						&values[cache->category_att - 1]))
		return PointerGetDatum(tuple);
	isnull[cache->category_att - 1] = false;
	if (cache->confidence_att)
	{
		values[cache->confidence_att - 1] =
			confidence_datum(cache->confidence_type, result.candidates[0].confidence);
		isnull[cache->confidence_att - 1] = false;
	}

	/* as heap_modify_tuple() does, without deforming the row again */
	newtuple = heap_form_tuple(tupdesc, values, isnull);
	newtuple->t_data->t_ctid = tuple->t_data->t_ctid;
	newtuple->t_self = tuple->t_self;
	newtuple->t_tableOid = tuple->t_tableOid;
	return PointerGetDatum(newtuple);
}
