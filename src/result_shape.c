/*-------------------------------------------------------------------------
 *
 * result_shape.c
 *	  Checks that the row type SQL declared for a C function returning
 *	  rows is the one this library builds.
 *
 *	  A library newer or older than the extension's SQL objects (a package
 *	  upgraded without ALTER EXTENSION UPDATE, or the other way round)
 *	  would otherwise fill a text column with an integer and crash the
 *	  backend; instead the call fails with a clear error and a hint.  The
 *	  check compares column count and types, a few instructions per call.
 *
 *	  No state, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/builtins.h"

#include "categorize.h"

void
cz_check_result_shape(TupleDesc tupdesc, const Oid *types, int ncolumns,
					  const char *what)
{
	int			i;

	if (tupdesc->natts != ncolumns)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s returns %d columns, but its SQL definition has %d",
						what, ncolumns, tupdesc->natts),
				 errdetail("The categorize library and the extension's SQL objects are of different versions."),
				 errhint("Run ALTER EXTENSION categorize UPDATE, or install the library that matches the extension.")));
	for (i = 0; i < ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->atttypid != types[i])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("column %d of %s (\"%s\") is of type %s, but the library returns %s",
							i + 1, what, NameStr(att->attname),
							format_type_be(att->atttypid), format_type_be(types[i])),
					 errdetail("The categorize library and the extension's SQL objects are of different versions."),
					 errhint("Run ALTER EXTENSION categorize UPDATE, or install the library that matches the extension.")));
	}
}
