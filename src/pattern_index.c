/*-------------------------------------------------------------------------
 *
 * pattern_index.c
 *	  Loading active patterns and compiling them into the backend's
 *	  category index; keeping that index current.
 *
 *	  The index is built on first use in a backend and whenever the
 *	  pattern or category tables change.  A statement trigger on both
 *	  tables (categorize_patterns_changed) sends a relcache invalidation
 *	  of the view categorize._pattern_signal, which holds nothing and
 *	  exists for that; our relcache callback marks the index stale when it
 *	  arrives.  Invalidations are transactional: the changing transaction
 *	  processes its own at the end of each command (and again when a
 *	  subtransaction rolls back), other backends after commit (also after
 *	  COMMIT PREPARED), and nobody after a rollback.
 *
 *	  The tables' own relcache invalidations say nothing about their rows:
 *	  VACUUM, ANALYZE (also autovacuum's), reloptions, GRANT and index
 *	  builds send them too.  They only make the index suspect: before its
 *	  next use the tables' relfilenodes are compared with those it was
 *	  built from, so a rewrite (ALTER COLUMN TYPE, VACUUM FULL, CLUSTER),
 *	  which fires no trigger, still rebuilds it, and nothing else does.
 *	  (In a schema from before the signal view, the library having been
 *	  updated first, any invalidation of the tables marks the index stale,
 *	  as before; the trigger invalidates the table too, for such indexes.)
 *
 *	  With shared memory, a committed change also advances the database's
 *	  pattern-set generation (shmem.c); an index built from an older
 *	  generation is stale too, so a session inside a transaction (which
 *	  processes no invalidations until it takes a lock) still sees other
 *	  sessions' changes right after they commit.  A commit is visible a
 *	  moment before it advances the generation and sends its invalidation;
 *	  shmem.c lists such commits in flight, so a statement that already
 *	  sees one gets an index rebuilt with it.
 *
 *	  The index is read with a fresh snapshot, as PostgreSQL's catalog
 *	  caches are, not with the caller's transaction snapshot: an
 *	  invalidation is always processed after the change it announces is
 *	  visible, so the rebuild that follows it sees the change, whatever
 *	  the isolation level.  (In parallel mode no new snapshot may be taken;
 *	  the index is then built from the query's snapshot and dropped at the
 *	  end of the transaction.)
 *
 *	  A new index is built completely in its own memory context and only
 *	  then replaces the old one, so no call ever sees a half-built index;
 *	  if the build fails, its context (and its malloc'd regexes, through a
 *	  reset callback) is freed and the error propagates.
 *
 *	  Before a build, the tables are read again and compared with the
 *	  index (refresh_in_place): changed weights and usage counts, and
 *	  literal patterns added since (appended as a delta key set), are taken
 *	  into it in place, everything computed first and written last, with
 *	  nothing that can fail; anything else builds anew.
 *
 *	  Everything here is backend-local: no shared memory, no locks beyond
 *	  the AccessShareLock the SPI queries take.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "categorize.h"
#include "fuzzy_cache.h"
#include "pattern_index.h"
#include "regex_dfa.h"
#include "regex_prefilter.h"

static CzIndex *current_index = NULL;
static bool index_stale = true;
static uint64 index_generation = 0;	/* shared pattern-set generation built from */
static bool index_transient = false;	/* drop at transaction end */
static bool callbacks_registered = false;
static bool index_suspect = false;	/* a table's relcache entry was invalidated */
static Oid	patterns_relid = InvalidOid;
static Oid	categories_relid = InvalidOid;
static Oid	signal_relid = InvalidOid;
static Oid	patterns_filenode = InvalidOid; /* as when the index was built */
static Oid	categories_filenode = InvalidOid;

static Oid	find_table(const char *name);
static Oid	lookup_table(const char *name);

/* ---------- invalidation ---------- */

static void
relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || (OidIsValid(signal_relid) && relid == signal_relid))
		index_stale = true;
	else if (relid == patterns_relid || relid == categories_relid)
	{
		/* a schema from before the signal view: the tables' own say it */
		if (OidIsValid(signal_relid))
			index_suspect = true;
		else
			index_stale = true;
	}
}

/* relfilenode of a relation; InvalidOid if it no longer exists */
static Oid
relation_filenode(Oid relid)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			filenode;

	if (!HeapTupleIsValid(tp))
		return InvalidOid;
	filenode = ((Form_pg_class) GETSTRUCT(tp))->relfilenode;
	ReleaseSysCache(tp);
	return filenode;
}

/*
 * After an invalidation of the tables themselves: stale only if one was
 * rewritten (or dropped) since the build.
 */
static void
resolve_suspicion(void)
{
	if (!index_suspect)
		return;
	index_suspect = false;
	if (relation_filenode(patterns_relid) != patterns_filenode ||
		relation_filenode(categories_relid) != categories_filenode)
		index_stale = true;
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (index_transient &&
		(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		 event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT))
		index_stale = true;
}

void
cz_index_init_callbacks(void)
{
	if (callbacks_registered)
		return;
	CacheRegisterRelcacheCallback(relcache_callback, (Datum) 0);
	RegisterXactCallback(xact_callback, NULL);
	callbacks_registered = true;
}

/*
 * categorize._patterns_changed(): AFTER ... FOR EACH STATEMENT trigger on
 * the pattern and category tables.
 */
PG_FUNCTION_INFO_V1(categorize_patterns_changed);
Datum
categorize_patterns_changed(PG_FUNCTION_ARGS)
{
	Oid			signal;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("categorize._patterns_changed() must be called as a trigger")));

	/*
	 * The view's invalidation is what backends act on.  The table's is for
	 * indexes built in a schema from before the view (they only know that
	 * one); elsewhere it only makes the index suspect.
	 */
	signal = find_table("_pattern_signal");
	if (OidIsValid(signal))
		CacheInvalidateRelcacheByRelid(signal);
	CacheInvalidateRelcacheByRelid(RelationGetRelid(((TriggerData *) fcinfo->context)->tg_relation));
	cz_cache_note_pattern_change();	/* advances the shared generation at commit */
	return PointerGetDatum(NULL);
}

/* ---------- booster conditions ---------- */

typedef struct CondKey
{
	bool		is_amount;
	double		lo;
	double		hi;
	CzTimeWindow time;
} CondKey;

typedef struct CondEntry
{
	CondKey		key;
	int32		cond;
} CondEntry;

/*
 * Each condition entry's product of (1 - strength * confidence) over the
 * shared boosters of its category that have its condition, taken in
 * booster order, confidence[b] being booster b's.  The build and a
 * refresh (refresh_in_place) both compute it here, so that a refreshed
 * index answers to the bit as a new one would.  entry_of: room for
 * nconds.
 */
static void
condition_keeps(const CzIndex *index, const float *confidence, double *keep,
				int32 *entry_of)
{
	int32		c;

	for (c = 0; c < index->ncategories; c++)
	{
		const CzCategory *cat = &index->categories[c];
		int32		e;
		int32		b;

		for (e = 0; e < cat->ncond_entries; e++)
		{
			entry_of[index->cond_entry_cond[cat->first_cond_entry + e]] = e;
			keep[cat->first_cond_entry + e] = 1.0;
		}
		if (cat->ncond_entries == 0)
			continue;
		for (b = cat->first_booster; b < cat->first_booster + cat->nshared_boosters; b++)
			keep[cat->first_cond_entry + entry_of[index->boosters[b].cond]] *=
				1.0 - (double) CZ_BOOSTER_STRENGTH * confidence[b];
	}
}

/*
 * Give each booster the id of its distinct condition, and each category
 * with CZ_BOOSTER_MASK_MIN shared boosters or more, for each distinct
 * condition of those, the bitmap of its shared boosters that have it and
 * their product of (1 - strength * confidence), taken in booster order.
 * Scoring then tests each condition once, takes a holding condition's
 * product in one multiply, and visits shared boosters one by one only to
 * list them (explain, learn).  Users' boosters are tested one by one, only
 * those of the call's user.
 */
static void
index_booster_conditions(CzIndex *index, MemoryContext cxt)
{
	HASHCTL		ctl;
	HTAB	   *conds;
	int32	   *entry_stamp;
	int32	   *entry_of;
	int32		nentries = 0;
	int64		nmask = 0;
	int32		b;
	int32		c;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CondKey);
	ctl.entrysize = sizeof(CondEntry);
	ctl.hcxt = CurrentMemoryContext;
	conds = hash_create("categorize booster conditions", 64, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	index->nconds = 0;
	index->conds = MemoryContextAllocExtended(cxt, sizeof(CzBooster) * Max(index->nboosters, 1),
											  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (b = 0; b < index->nboosters; b++)
	{
		CzBooster  *booster = &index->boosters[b];
		CondKey		key;
		CondEntry  *entry;
		bool		found;

		memset(&key, 0, sizeof(key));	/* the padding is hashed too */
		key.is_amount = booster->is_amount;
		if (booster->is_amount)
		{
			key.lo = booster->lo;
			key.hi = booster->hi;
		}
		else
			key.time = booster->time;
		entry = hash_search(conds, &key, HASH_ENTER, &found);
		if (!found)
		{
			CzBooster  *cond = &index->conds[index->nconds];

			*cond = *booster;
			cond->pattern = -1;
			cond->cond = index->nconds;
			entry->cond = index->nconds++;
		}
		booster->cond = entry->cond;
	}
	hash_destroy(conds);
	index->cond_stamp = MemoryContextAllocZero(cxt, sizeof(uint32) * Max(index->nconds, 1));
	index->cond_holds = MemoryContextAllocZero(cxt, sizeof(bool) * Max(index->nconds, 1));

	/* count the entries of the categories with many boosters */
	entry_stamp = palloc0(sizeof(int32) * Max(index->nconds, 1));
	entry_of = palloc(sizeof(int32) * Max(index->nconds, 1));
	for (c = 0; c < index->ncategories; c++)
	{
		CzCategory *cat = &index->categories[c];

		cat->ncond_entries = 0;
		if (cat->nshared_boosters < CZ_BOOSTER_MASK_MIN)
			continue;
		cat->mask_words = (cat->nshared_boosters + 63) / 64;
		cat->first_cond_entry = nentries;
		cat->first_mask = nmask;
		for (b = 0; b < cat->nshared_boosters; b++)
		{
			int32		cond = index->boosters[cat->first_booster + b].cond;

			if (entry_stamp[cond] != c + 1)
			{
				entry_stamp[cond] = c + 1;
				cat->ncond_entries++;
			}
		}
		nentries += cat->ncond_entries;
		nmask += (int64) cat->ncond_entries * cat->mask_words;
	}
	index->cond_entry_cond = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(nentries, 1),
														MCXT_ALLOC_HUGE);
	index->cond_entry_mask = MemoryContextAllocExtended(cxt, sizeof(uint64) * Max(nmask, 1),
														MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	index->cond_entry_keep = MemoryContextAllocExtended(cxt, sizeof(double) * Max(nentries, 1),
														MCXT_ALLOC_HUGE);

	/* fill them in */
	memset(entry_stamp, 0, sizeof(int32) * Max(index->nconds, 1));
	for (c = 0; c < index->ncategories; c++)
	{
		CzCategory *cat = &index->categories[c];
		int32		n = 0;

		if (cat->ncond_entries == 0)
			continue;
		for (b = 0; b < cat->nshared_boosters; b++)
		{
			const CzBooster *booster = &index->boosters[cat->first_booster + b];
			int32		cond = booster->cond;
			uint64	   *mask;

			if (entry_stamp[cond] != c + 1)
			{
				entry_stamp[cond] = c + 1;
				entry_of[cond] = n;
				index->cond_entry_cond[cat->first_cond_entry + n] = cond;
				n++;
			}
			mask = index->cond_entry_mask + cat->first_mask +
				(int64) entry_of[cond] * cat->mask_words;
			mask[b / 64] |= UINT64CONST(1) << (b % 64);
			Assert(!booster->scoped);
		}
		Assert(n == cat->ncond_entries);
	}
	{
		float	   *confidence = palloc(sizeof(float) * Max(index->nboosters, 1));

		for (b = 0; b < index->nboosters; b++)
			confidence[b] = index->boosters[b].confidence;
		condition_keeps(index, confidence, index->cond_entry_keep, entry_of);
		pfree(confidence);
	}
	pfree(entry_stamp);
	pfree(entry_of);
}

/* ---------- validation ---------- */

/*
 * Compile value as a case-insensitive advanced regex.  Returns NULL on
 * success, else a palloc'd message.
 */
static char *
compile_regex(const char *value, regex_t *re)
{
	int			len = strlen(value);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(value, wide, len);
	int			rc;

	rc = pg_regcomp(re, wide, wlen, REG_ADVANCED | REG_ICASE, DEFAULT_COLLATION_OID);
	pfree(wide);
	if (rc == REG_OKAY)
		return NULL;
	if (rc == REG_CANCEL)
		CHECK_FOR_INTERRUPTS();
	{
		char		msg[256];

		pg_regerror(rc, re, msg, sizeof(msg));
		return pstrdup(msg);
	}
}

/*
 * Check one pattern row; returns NULL when it compiles, else a message.
 * Literal values must keep a letter or digit after normalization.
 */
static char *
check_pattern(CzKind kind, const char *value)
{
	switch (kind)
	{
		case CZ_KIND_MERCHANT:
		case CZ_KIND_KEYWORD:
		case CZ_KIND_DESCRIPTION:
			{
				int			len = strlen(value);
				char	   *buf = palloc(CZ_NORMALIZED_MAX(len));

				if (cz_normalize(value, len, buf) == 0)
					return psprintf("value \"%s\" has no letters or digits to match", value);
				return NULL;
			}
		case CZ_KIND_REGEX:
			{
				regex_t		re;
				char	   *err = compile_regex(value, &re);

				if (err)
					return psprintf("regex \"%s\" does not compile: %s", value, err);
				pg_regfree(&re);
				return NULL;
			}
		case CZ_KIND_AMOUNT_RANGE:
			{
				double		lo,
							hi;

				return cz_parse_amount_range(value, &lo, &hi);
			}
		case CZ_KIND_TIME:
			{
				CzTimeWindow w;

				return cz_parse_time_window(value, &w);
			}
		default:
			return psprintf("unknown kind");
	}
}

/*
 * categorize._validate_pattern(): BEFORE INSERT OR UPDATE row trigger on
 * categorize.patterns.  Rejects rows that would not compile, naming the
 * pattern.
 */
PG_FUNCTION_INFO_V1(categorize_validate_pattern);
Datum
categorize_validate_pattern(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	tupdesc;
	int			att_id,
				att_kind,
				att_value,
				att_weight;
	bool		isnull;
	Datum		d;
	int64		id = 0;
	char	   *kind_name;
	char	   *value;
	CzKind		kind;
	char	   *problem;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("categorize._validate_pattern() must be a BEFORE ROW trigger")));

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	tupdesc = RelationGetDescr(trigdata->tg_relation);

	att_id = SPI_fnumber(tupdesc, "id");
	att_kind = SPI_fnumber(tupdesc, "kind");
	att_value = SPI_fnumber(tupdesc, "value");
	att_weight = SPI_fnumber(tupdesc, "weight");
	if (att_id <= 0 || att_kind <= 0 || att_value <= 0 || att_weight <= 0)
		elog(ERROR, "categorize.patterns is missing a column");

	d = heap_getattr(tuple, att_id, tupdesc, &isnull);
	if (!isnull)
		id = DatumGetInt64(d);

	d = heap_getattr(tuple, att_kind, tupdesc, &isnull);
	kind_name = isnull ? NULL : TextDatumGetCString(d);
	d = heap_getattr(tuple, att_value, tupdesc, &isnull);
	value = isnull ? NULL : TextDatumGetCString(d);

	if (kind_name == NULL || (kind = cz_kind_from_name(kind_name)) == CZ_KIND_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pattern %lld has unknown kind \"%s\"",
						(long long) id, kind_name ? kind_name : "(null)"),
				 errhint("Kinds are merchant, keyword, description, regex, amount_range and time.")));
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("pattern %lld (%s) has no value", (long long) id, kind_name)));

	d = heap_getattr(tuple, att_weight, tupdesc, &isnull);
	if (!isnull)
	{
		float4		w = DatumGetFloat4(d);

		if (!(w >= CZ_MIN_WEIGHT && w <= CZ_MAX_WEIGHT))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("pattern %lld (%s \"%s\") has weight %g outside 0.1 to 5.0",
							(long long) id, kind_name, value, (double) w)));
	}

	problem = check_pattern(kind, value);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pattern %lld (%s) is invalid: %s", (long long) id, kind_name, problem)));

	return PointerGetDatum(tuple);
}

/* ---------- build ---------- */

static void
free_regexes(void *arg)
{
	CzIndex    *index = (CzIndex *) arg;
	int			i;

	for (i = 0; i < index->nregexes; i++)
		pg_regfree(&index->regexes[i]);
	index->nregexes = 0;
}

/* categorize.name's OID, or InvalidOid */
static Oid
find_table(const char *name)
{
	Oid			nsp = get_namespace_oid("categorize", true);

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

static Oid
lookup_table(const char *name)
{
	Oid			relid = find_table(name);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table categorize.%s does not exist", name),
				 errhint("Run CREATE EXTENSION categorize in this database.")));
	return relid;
}

static Oid
table_owner(Oid relid)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

#define CATEGORIES_QUERY \
	"SELECT id::int8, name::text, active::bool, user_id::text" \
	" FROM categorize.categories ORDER BY id"
#define PATTERNS_COLUMNS \
	"SELECT id::int8, category_id::int8, kind::text, value::text, weight::float4," \
	" usage_count::int8, success_count::int8, user_id::text" \
	" FROM categorize.patterns WHERE active"
#define PATTERNS_QUERY PATTERNS_COLUMNS " ORDER BY id"
#define PATTERNS_NEWEST_QUERY "SELECT max(id)::int8 FROM categorize.patterns WHERE active"
#define PATTERNS_COUNT_QUERY "SELECT count(*) FROM categorize.patterns WHERE active"
/* rows a cursor over the patterns fetches at a time */
#define PATTERN_FETCH_ROWS 2048
/*
 * (The casts pin the types read, whatever ALTER TABLE did.  Every column
 * read here is also read by refresh_in_place(), straight from the table
 * and by name, and compared or taken in: a column added to the build must
 * be added there too.)
 */

static SPIPlanPtr
prepare_query(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Run a read-only query under the given snapshot; results in SPI_tuptable. */
static void
run_query(const char *sql, Snapshot snapshot)
{
	SPIPlanPtr	plan = prepare_query(sql);
	int			rc;

	rc = SPI_execute_snapshot(plan, NULL, NULL, snapshot, InvalidSnapshot,
							  true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed for \"%s\": %s", sql,
			 SPI_result_code_string(rc));
}

/*
 * A cursor over the patterns (one of the queries above) under the given
 * snapshot; read with SPI_cursor_fetch, a batch at a time.
 */
static Portal
open_pattern_cursor(const char *sql, Snapshot snapshot)
{
	SPIPlanPtr	plan = prepare_query(sql);
	Portal		portal;

	/* a read-only cursor runs under the active snapshot */
	PushActiveSnapshot(snapshot);
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	PopActiveSnapshot();
	return portal;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The user a pattern is for: its own user_id, else its category's; NULL
 * if every user may use it (see pattern_allowed() in scoring.c).
 */
static const char *
pattern_owner(const CzIndex *index, int32 p)
{
	const CzPattern *pat = &index->patterns[p];

	return pat->user_id ? pat->user_id :
		index->categories[pat->category_index].user_id;
}

typedef struct OwnerSortArg
{
	const CzIndex *index;
	const uint32 *owner_hash;	/* per pattern; 0 for shared ones */
} OwnerSortArg;

/*
 * The order of a key's pattern list and of a category's boosters: shared
 * first, then by (owner hash, owner), then by pattern.
 */
static int
cmp_owned_patterns(const OwnerSortArg *sa, int32 pa, int32 pb)
{
	const char *oa = pattern_owner(sa->index, pa);
	const char *ob = pattern_owner(sa->index, pb);

	if ((oa != NULL) != (ob != NULL))
		return (oa != NULL) ? 1 : -1;
	if (oa != NULL)
	{
		uint32		ha = sa->owner_hash[pa];
		uint32		hb = sa->owner_hash[pb];
		int			c;

		if (ha != hb)
			return (ha > hb) ? 1 : -1;
		c = strcmp(oa, ob);
		if (c != 0)
			return c;
	}
	return (pa > pb) - (pa < pb);
}

/*
 * An owner-order argument for patterns [first, last): the hash of each
 * one's owner (0 for shared ones, and for patterns outside the range).
 */
static void
owner_sort_arg(OwnerSortArg *sa, const CzIndex *index, int32 first, int32 last)
{
	uint32	   *owner_hash = palloc0(sizeof(uint32) * Max(last, 1));
	int32		p;

	for (p = first; p < last; p++)
	{
		const char *owner = pattern_owner(index, p);

		if (owner != NULL)
			owner_hash[p] = cz_owner_hash(owner);
	}
	sa->index = index;
	sa->owner_hash = owner_hash;
}

static int
cmp_key_pattern(const void *a, const void *b, void *arg)
{
	return cmp_owned_patterns((const OwnerSortArg *) arg,
							  *(const int32 *) a, *(const int32 *) b);
}

typedef struct RegexSortArg
{
	OwnerSortArg owners;
	const int32 *regex_pattern;
} RegexSortArg;

static int
cmp_regex(const void *a, const void *b, void *arg)
{
	const RegexSortArg *sa = (const RegexSortArg *) arg;

	return cmp_owned_patterns(&sa->owners,
							  sa->regex_pattern[*(const int32 *) a],
							  sa->regex_pattern[*(const int32 *) b]);
}

static int
cmp_booster(const void *a, const void *b, void *arg)
{
	return cmp_owned_patterns((const OwnerSortArg *) arg,
							  ((const CzBooster *) a)->pattern,
							  ((const CzBooster *) b)->pattern);
}

/*
 * Position of id among n records of stride bytes, each starting with its
 * int64 id, in id order; -1 if none.
 */
static int32
find_by_id(const void *records, Size stride, int32 n, int64 id)
{
	int32		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int32		mid = lo + (hi - lo) / 2;
		int64		mid_id = *(const int64 *) ((const char *) records + (Size) mid * stride);

		if (mid_id == id)
			return mid;
		if (mid_id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Category position by id (categories are sorted by id). */
static inline int32
find_category(CzIndex *index, int64 id)
{
	StaticAssertStmt(offsetof(CzCategory, id) == 0, "a category starts with its id");
	return find_by_id(index->categories, sizeof(CzCategory), index->ncategories, id);
}

static char *
copy_text_datum(MemoryContext cxt, Datum d)
{
	text	   *t = DatumGetTextPP(d);
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *s = MemoryContextAlloc(cxt, len + 1);

	memcpy(s, VARDATA_ANY(t), len);
	s[len] = '\0';
	return s;
}

/*
 * A key set (CzKeys) in the making: the automaton builder, each pattern's
 * key and the trigram documents of the distinct merchant values.  Pattern
 * positions are the index's; at most max_added patterns are added.
 */
typedef struct KeyBuild
{
	CzKeys	   *keys;			/* gets trgm_doc_key at once */
	CzAcBuilder *ac;
	int32	   *pattern_key;	/* pattern → key, or -1 */
	int32	   *key_doc;		/* key → trigram document, or -1 */
	uint32	  **doc_trgms;
	int		   *doc_ntrgms;
	int32		ndocs;
	char	   *normbuf;
	int			normcap;
} KeyBuild;

/*
 * Start a key set for keys, for patterns at positions below npatterns of
 * which at most max_added are added; scratch in tmp, what the set keeps
 * in cxt.
 */
static void
key_build_init(KeyBuild *kb, CzKeys *keys, int32 npatterns, int32 max_added,
			   MemoryContext tmp, MemoryContext cxt)
{
	memset(kb, 0, sizeof(KeyBuild));
	kb->keys = keys;
	kb->ac = cz_ac_builder_create(tmp);
	kb->pattern_key = MemoryContextAllocExtended(tmp, sizeof(int32) * Max(npatterns, 1),
												 MCXT_ALLOC_HUGE);
	memset(kb->pattern_key, -1, sizeof(int32) * Max(npatterns, 1));
	kb->doc_trgms = MemoryContextAllocExtended(tmp, sizeof(uint32 *) * Max(max_added, 1),
											   MCXT_ALLOC_HUGE);
	kb->doc_ntrgms = MemoryContextAllocExtended(tmp, sizeof(int) * Max(max_added, 1),
												MCXT_ALLOC_HUGE);
	/* each pattern adds at most one key */
	kb->key_doc = MemoryContextAllocExtended(tmp, sizeof(int32) * Max(max_added, 1),
											 MCXT_ALLOC_HUGE);
	memset(kb->key_doc, -1, sizeof(int32) * Max(max_added, 1));
	keys->trgm_doc_key = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(max_added, 1),
													MCXT_ALLOC_HUGE);
}

/* Room for need bytes in the normalization buffer (in the current context). */
static void
key_build_room(KeyBuild *kb, int need)
{
	if (need > kb->normcap)
	{
		kb->normcap = Max(need, 256);
		kb->normbuf = palloc(kb->normcap);
	}
}

/*
 * Add the literal pattern at position p (a merchant, keyword or
 * description, of value[0, len)): its key, and for a merchant value new to
 * the set a trigram document.  False if the value has no letters or
 * digits (nothing added).
 */
static bool
key_build_add_literal(KeyBuild *kb, int32 p, CzKind kind, const char *value, int len)
{
	int			nlen;
	int32		key;

	key_build_room(kb, CZ_NORMALIZED_MAX(len));
	nlen = cz_normalize(value, len, kb->normbuf);
	if (nlen == 0)
		return false;
	if (kind == CZ_KIND_DESCRIPTION)
		key = cz_ac_builder_add(kb->ac, kb->normbuf + 1, nlen - 2);
	else
		key = cz_ac_builder_add(kb->ac, kb->normbuf, nlen);
	kb->pattern_key[p] = key;
	/* one document per distinct merchant value */
	if (kind == CZ_KIND_MERCHANT && kb->key_doc[key] < 0)
	{
		uint32	   *t = palloc(sizeof(uint32) * CZ_TRGM_MAX(nlen));

		kb->doc_ntrgms[kb->ndocs] = cz_trgm_extract(kb->normbuf, nlen, t);
		kb->doc_trgms[kb->ndocs] = t;
		kb->keys->trgm_doc_key[kb->ndocs] = key;
		kb->key_doc[key] = kb->ndocs;
		kb->ndocs++;
	}
	return true;
}

/*
 * Finish the key set from the patterns at positions [first, last) added
 * to kb (in the index's patterns, with their owners' hashes in sort_arg):
 * the automaton (its whole-word keys all in the word index if
 * words_first, as for a delta), each key's pattern list (shared patterns
 * first, then by owner, when sort_owners says some pattern or category
 * has one), each key's entry and the trigram index.  Allocates in cxt.
 */
static void
finish_keys(KeyBuild *kb, const CzIndex *index, int32 first, int32 last,
			const OwnerSortArg *sort_arg, bool sort_owners, bool words_first,
			MemoryContext cxt)
{
	CzKeys	   *keys = kb->keys;
	int32		nkeys;
	int32		i;
	int32		p;
	int32	   *fill;

	/* automaton and key → pattern lists (counting sort by key) */
	keys->automaton = words_first ? cz_ac_build_words_first(kb->ac, cxt) :
		cz_ac_build(kb->ac, cxt);
	nkeys = cz_ac_key_count(keys->automaton);
	keys->key_first = MemoryContextAllocZero(cxt, sizeof(int32) * (nkeys + 1));
	for (p = first; p < last; p++)
		if (kb->pattern_key[p] >= 0)
			keys->key_first[kb->pattern_key[p] + 1]++;
	for (i = 0; i < nkeys; i++)
		keys->key_first[i + 1] += keys->key_first[i];
	keys->key_patterns = MemoryContextAllocExtended(cxt,
													sizeof(int32) * Max(keys->key_first[nkeys], 1),
													MCXT_ALLOC_HUGE);
	fill = palloc0(sizeof(int32) * (nkeys + 1));
	for (p = first; p < last; p++)
	{
		int32		k = kb->pattern_key[p];

		if (k >= 0)
			keys->key_patterns[keys->key_first[k] + fill[k]++] = p;
	}
	pfree(fill);

	/* each key's list: shared patterns, then by owner (see CzKeyEntry) */
	keys->key_owned = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(nkeys, 1),
												 MCXT_ALLOC_HUGE);
	keys->key_owner_hash = MemoryContextAllocExtended(cxt,
													  sizeof(uint32) * Max(keys->key_first[nkeys], 1),
													  MCXT_ALLOC_HUGE);
	for (i = 0; i < nkeys; i++)
	{
		int32		kfirst = keys->key_first[i];
		int32		klast = keys->key_first[i + 1];
		int32		j;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (sort_owners && klast - kfirst > 1)
			qsort_arg(keys->key_patterns + kfirst, klast - kfirst, sizeof(int32),
					  cmp_key_pattern, (void *) sort_arg);
		keys->key_owned[i] = klast;
		for (j = kfirst; j < klast; j++)
		{
			int32		kp = keys->key_patterns[j];

			keys->key_owner_hash[j] = sort_arg->owner_hash[kp];
			if (keys->key_owned[i] == klast && pattern_owner(index, kp) != NULL)
				keys->key_owned[i] = j;
		}
	}
	keys->merchant_only = true;
	for (p = first; p < last; p++)
		if (kb->pattern_key[p] >= 0 && index->patterns[p].kind != CZ_KIND_MERCHANT)
			keys->merchant_only = false;
	keys->nliteral_keys = 0;
	for (i = 0; i < nkeys; i++)
	{
		int32		j;

		for (j = keys->key_first[i]; j < keys->key_first[i + 1]; j++)
		{
			if (index->patterns[keys->key_patterns[j]].kind != CZ_KIND_REGEX)
			{
				keys->nliteral_keys++;
				break;
			}
		}
	}
	keys->key_entry = MemoryContextAllocExtended(cxt, sizeof(CzKeyEntry) * Max(nkeys, 1),
												 MCXT_ALLOC_HUGE);
	for (i = 0; i < nkeys; i++)
	{
		CzKeyEntry *ke = &keys->key_entry[i];
		int32		kfirst = keys->key_first[i];
		int32		count = keys->key_first[i + 1] - kfirst;
		int32		len = cz_ac_key_length(keys->automaton, i);

		StaticAssertStmt(CZ_KIND_INVALID < 8, "kinds must fit in 3 bits");
		ke->pattern = (count > 0) ? keys->key_patterns[kfirst] : -1;
		ke->info = ((uint32) Min(len, CZ_KEY_LEN_UNKNOWN) << 4) |
			((count > 1) ? 8 : 0) |
			((count > 0) ? index->patterns[ke->pattern].kind : 0);
	}

	/* fuzzy merchants */
	keys->trigrams = cz_trgm_index_build(kb->ndocs, kb->doc_trgms, kb->doc_ntrgms, cxt);
	cz_trgm_index_prepare(keys->trigrams, (float) cz_fuzzy_threshold);
}

/*
 * Compile the categories read (CATEGORIES_QUERY) and the patterns, read
 * here under the same snapshot: counted first, then through a cursor a
 * batch at a time (at 100k patterns, holding them all at once cost more
 * than compiling them, mostly in first touches of memory).  Runs with SPI
 * connected, as the pattern table's owner, with search_path set to
 * pg_catalog.
 */
static void
compile_index(CzIndex *index, MemoryContext tmp, SPITupleTable *category_rows,
			  Snapshot snapshot)
{
	MemoryContext cxt = index->cxt;
	MemoryContext old;
	SPITupleTable *tt;
	Portal		portal;
	uint64		n,
				i,
				row;
	int64	   *cat_ids;
	bool	   *cat_active;
	KeyBuild	kb;
	const uint32 *owner_hash;	/* pattern → cz_owner_hash() of its owner, or 0 */
	OwnerSortArg sort_arg;
	int32	   *booster_count;
	int32		nboosters = 0;
	int32		p;
	StringInfoData values;		/* the patterns' values, end to end */

	/* categories */
	tt = category_rows;
	n = tt->numvals;
	index->ncategories = (int32) n;
	index->categories = MemoryContextAllocZero(cxt, sizeof(CzCategory) * Max(n, 1));
	cat_ids = MemoryContextAlloc(tmp, sizeof(int64) * 2 * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		cat_ids[2 * i] = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		cat_ids[2 * i + 1] = (int64) i;
	}
	/* sort (id, row) pairs by id */
	qsort(cat_ids, n, sizeof(int64) * 2, cmp_int64);
	cat_active = MemoryContextAllocZero(tmp, sizeof(bool) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[cat_ids[2 * i + 1]];
		CzCategory *c = &index->categories[i];
		bool		isnull;
		Datum		d;

		c->id = cat_ids[2 * i];
		c->name = copy_text_datum(cxt, SPI_getbinval(tup, tt->tupdesc, 2, &isnull));
		d = SPI_getbinval(tup, tt->tupdesc, 3, &isnull);
		cat_active[i] = !isnull && DatumGetBool(d);
		c->active = cat_active[i];
		d = SPI_getbinval(tup, tt->tupdesc, 4, &isnull);
		c->user_id = isnull ? NULL : copy_text_datum(cxt, d);
		if (c->user_id)
			index->has_user_patterns = true;
	}

	/* patterns */
	run_query(PATTERNS_COUNT_QUERY, snapshot);
	{
		bool		isnull;

		n = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
												 1, &isnull));
		SPI_freetuptable(SPI_tuptable);
	}
	if (n >= (uint64) PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many active patterns to compile: %llu", (unsigned long long) n)));
	index->value_start = MemoryContextAllocExtended(cxt, sizeof(int32) * (n + 1),
													MCXT_ALLOC_HUGE);
	initStringInfo(&values);

	index->patterns = MemoryContextAllocExtended(cxt, sizeof(CzPattern) * Max(n, 1),
												 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	index->regexes = MemoryContextAllocExtended(cxt, sizeof(regex_t) * Max(n, 1),
												MCXT_ALLOC_HUGE);
	index->regex_dfas = MemoryContextAllocExtended(cxt, sizeof(CzRegexDfa *) * Max(n, 1),
												   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	index->regex_dfa_budget = MemoryContextAllocZero(cxt, sizeof(CzRegexDfaBudget));
	index->regex_dfa_budget->limit = CZ_REGEX_DFA_MEMORY;
	index->regex_pattern = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(n, 1),
													  MCXT_ALLOC_HUGE);
	index->regex_prefiltered = MemoryContextAllocExtended(cxt, sizeof(bool) * Max(n, 1),
														  MCXT_ALLOC_HUGE);
	key_build_init(&kb, &index->keys, n, n, tmp, cxt);
	booster_count = MemoryContextAllocZero(tmp, sizeof(int32) * Max(index->ncategories, 1));

	old = MemoryContextSwitchTo(tmp);

	p = 0;
	i = 0;
	portal = open_pattern_cursor(PATTERNS_QUERY, snapshot);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, PATTERN_FETCH_ROWS);
		tt = SPI_tuptable;
		if (tt->numvals == 0)
		{
			SPI_freetuptable(tt);
			break;
		}
		Assert(tt->tupdesc->natts == 8);
		/* the count and the rows come from one snapshot */
		if (i + tt->numvals > n)
			elog(ERROR, "categorize.patterns returned more rows than it counted");
		for (row = 0; row < tt->numvals; row++, i++)
		{
			HeapTuple	tup = tt->vals[row];
			TupleDesc	td = tt->tupdesc;
			CzPattern  *pat = &index->patterns[p];
			Datum		cols[8];
			bool		colnull[8];
			int64		category_id;
			int32		cat;
			char	   *kind_name;
			char	   *value;
			CzKind		kind;
			int64		usage,
						success;
			char	   *problem = NULL;

			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();

			/* one pass over the row (the text columns make later offsets uncacheable) */
			heap_deform_tuple(tup, td, cols, colnull);
			pat->id = DatumGetInt64(cols[0]);
			index->newest_id = pat->id; /* the rows come in id order */
			category_id = DatumGetInt64(cols[1]);
			cat = find_category(index, category_id);
			if (cat < 0 || !cat_active[cat])
				continue;			/* inactive category */
			pat->category_index = cat;
			kind_name = TextDatumGetCString(cols[2]);
			value = TextDatumGetCString(cols[3]);
			kind = cz_kind_from_name(kind_name);
			pat->kind = (uint8) kind;
			pat->weight = DatumGetFloat4(cols[4]);
			usage = DatumGetInt64(cols[5]);
			success = DatumGetInt64(cols[6]);
			pat->confidence = (float) cz_pattern_confidence(pat->weight, usage, success);
			pat->user_id = colnull[7] ? NULL : copy_text_datum(cxt, cols[7]);
			if (pat->user_id)
				index->has_user_patterns = true;
			kb.pattern_key[p] = -1;

			switch (kind)
			{
				case CZ_KIND_MERCHANT:
				case CZ_KIND_KEYWORD:
				case CZ_KIND_DESCRIPTION:
					if (!key_build_add_literal(&kb, p, kind, value, strlen(value)))
						problem = "no letters or digits";
					break;
				case CZ_KIND_REGEX:
					{
						problem = compile_regex(value, &index->regexes[index->nregexes]);
						if (problem == NULL)
						{
							int			len = strlen(value);
							int			llen;

							/* its required literal joins the automaton */
							key_build_room(&kb, len);
							llen = cz_regex_required_literal(value, kb.normbuf, kb.normcap);
							if (llen > 0)
								kb.pattern_key[p] = cz_ac_builder_add(kb.ac, kb.normbuf, llen);
							index->regex_prefiltered[index->nregexes] = (llen > 0);
							index->regex_dfas[index->nregexes] =
								cz_regex_dfa_compile(value, len, cxt, index->regex_dfa_budget);
							pat->u.regex = index->nregexes;
							index->regex_pattern[index->nregexes++] = p;
						}
						break;
					}
				case CZ_KIND_AMOUNT_RANGE:
					problem = cz_parse_amount_range(value, &pat->u.amount.lo, &pat->u.amount.hi);
					break;
				case CZ_KIND_TIME:
					problem = cz_parse_time_window(value, &pat->u.time);
					break;
				default:
					problem = "unknown kind";
					break;
			}
			if (problem)
			{
				/* rows that bypassed validation (triggers disabled) are skipped */
				index->patterns_skipped++;
				continue;
			}
			if (kind == CZ_KIND_AMOUNT_RANGE || kind == CZ_KIND_TIME)
			{
				booster_count[cat]++;
				nboosters++;
			}
			index->value_start[p] = values.len;
			appendBinaryStringInfo(&values, value, strlen(value));
			p++;
		}
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
	if (i != n)
		elog(ERROR, "categorize.patterns returned fewer rows than it counted");
	index->npatterns = p;
	index->value_start[p] = values.len;
	index->pattern_values = MemoryContextAllocExtended(cxt, Max(values.len, 1), MCXT_ALLOC_HUGE);
	memcpy(index->pattern_values, values.data, values.len);

	/* the hash of each pattern's owner, by which users' patterns are ordered */
	owner_sort_arg(&sort_arg, index, 0, index->npatterns);
	owner_hash = sort_arg.owner_hash;

	/* regexes: shared ones first, then by owner */
	index->regex_order = MemoryContextAllocExtended(cxt, sizeof(int32) * Max(index->nregexes, 1),
													MCXT_ALLOC_HUGE);
	index->regex_owner_hash = MemoryContextAllocExtended(cxt,
														 sizeof(uint32) * Max(index->nregexes, 1),
														 MCXT_ALLOC_HUGE);
	for (i = 0; i < (uint64) index->nregexes; i++)
		index->regex_order[i] = (int32) i;
	if (index->has_user_patterns && index->nregexes > 1)
	{
		RegexSortArg regex_sort = {sort_arg, index->regex_pattern};

		qsort_arg(index->regex_order, index->nregexes, sizeof(int32), cmp_regex, &regex_sort);
	}
	index->nshared_regexes = index->nregexes;
	for (i = 0; i < (uint64) index->nregexes; i++)
	{
		int32		rp = index->regex_pattern[index->regex_order[i]];

		index->regex_owner_hash[i] = owner_hash[rp];
		if (index->nshared_regexes == index->nregexes && pattern_owner(index, rp) != NULL)
			index->nshared_regexes = (int32) i;
	}

	/* literal keys: automaton, pattern lists, fuzzy merchants */
	finish_keys(&kb, index, 0, index->npatterns, &sort_arg,
				index->has_user_patterns, false, cxt);

	/* boosters grouped by category */
	index->nboosters = nboosters;
	index->boosters = MemoryContextAllocExtended(cxt, sizeof(CzBooster) * Max(nboosters, 1),
												 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	{
		int32		pos = 0;
		int32		c;

		for (c = 0; c < index->ncategories; c++)
		{
			index->categories[c].first_booster = pos;
			pos += booster_count[c];
			index->categories[c].nboosters = 0;
		}
		for (p = 0; p < index->npatterns; p++)
		{
			CzPattern  *pat = &index->patterns[p];

			if (pat->kind == CZ_KIND_AMOUNT_RANGE || pat->kind == CZ_KIND_TIME)
			{
				CzCategory *c = &index->categories[pat->category_index];

				CzBooster  *b = &index->boosters[c->first_booster + c->nboosters++];

				b->pattern = p;
				b->is_amount = (pat->kind == CZ_KIND_AMOUNT_RANGE);
				b->scoped = (pattern_owner(index, p) != NULL);
				b->confidence = pat->confidence;
				if (b->is_amount)
				{
					b->lo = pat->u.amount.lo;
					b->hi = pat->u.amount.hi;
				}
				else
					b->time = pat->u.time;
			}
		}

		/* each category's: shared ones, then by owner (see CzCategory) */
		index->booster_owner_hash = MemoryContextAllocExtended(cxt,
															   sizeof(uint32) * Max(nboosters, 1),
															   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (c = 0; c < index->ncategories; c++)
		{
			CzCategory *cat = &index->categories[c];
			CzBooster  *first = &index->boosters[cat->first_booster];
			int32		b;

			if (index->has_user_patterns && cat->nboosters > 1)
				qsort_arg(first, cat->nboosters, sizeof(CzBooster), cmp_booster, &sort_arg);
			cat->nshared_boosters = cat->nboosters;
			for (b = 0; b < cat->nboosters; b++)
			{
				index->booster_owner_hash[cat->first_booster + b] = owner_hash[first[b].pattern];
				if (cat->nshared_boosters == cat->nboosters && first[b].scoped)
					cat->nshared_boosters = b;
			}
		}
	}
	index_booster_conditions(index, cxt);

	/* match scratch */
	index->match_stamp = 0;
	index->pattern_hit = MemoryContextAllocExtended(cxt,
													sizeof(CzPatternHit) * Max(index->npatterns, 1),
													MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	index->regex_stamp = MemoryContextAllocExtended(cxt, sizeof(uint32) * Max(index->nregexes, 1),
													MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	MemoryContextSwitchTo(old);
}

/* Does a text datum hold the (NUL-terminated) string s, or NULL if s is? */
static bool
text_equals(Datum d, bool isnull, const char *s)
{
	text	   *t;

	if (isnull || s == NULL)
		return isnull && s == NULL;
	t = DatumGetTextPP(d);
	return VARSIZE_ANY_EXHDR(t) == strlen(s) &&
		memcmp(VARDATA_ANY(t), s, VARSIZE_ANY_EXHDR(t)) == 0;
}

/* Are these (CATEGORIES_QUERY) the categories the index was built from? */
static bool
same_categories(const CzIndex *index, SPITupleTable *category_rows)
{
	uint64		i;

	if (category_rows->numvals != (uint64) index->ncategories)
		return false;
	for (i = 0; i < category_rows->numvals; i++)
	{
		const CzCategory *c = &index->categories[i];
		Datum		cols[4];
		bool		nulls[4];

		heap_deform_tuple(category_rows->vals[i], category_rows->tupdesc, cols, nulls);
		if (DatumGetInt64(cols[0]) != c->id ||
			!text_equals(cols[1], nulls[1], c->name) ||
			(!nulls[2] && DatumGetBool(cols[2])) != c->active ||
			!text_equals(cols[3], nulls[3], c->user_id))
			return false;
	}
	return true;
}

/* A column of a table by name if it has the given type, else 0. */
static AttrNumber
column_of_type(TupleDesc tupdesc, const char *name, Oid type)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->atttypid == type ? att->attnum : 0;
	}
	return 0;
}

/* Pattern position by id (patterns are in id order); -1 if none. */
static inline int32
find_pattern(const CzIndex *index, int64 id)
{
	StaticAssertStmt(offsetof(CzPattern, id) == 0, "a pattern starts with its id");
	return find_by_id(index->patterns, sizeof(CzPattern), index->npatterns, id);
}

/*
 * The delta: literal patterns added since the build, taken in by a
 * refresh (learn() adds a merchant pattern whenever none matched; with
 * 100k patterns a new build costs every backend about 200 ms, the delta
 * a few).  Only an index of CZ_DELTA_MIN_BUILT patterns or more keeps one
 * (a smaller one builds in a few milliseconds), and one of at most
 * delta_limit() patterns: each refresh makes it anew, and every call scans
 * it as well.
 */
#define CZ_DELTA_MIN_BUILT	1000

static int32
delta_limit(const CzIndex *index)
{
	int32		built = index->delta ? index->delta_first : index->npatterns;

	return (built >= CZ_DELTA_MIN_BUILT) ? built / 16 : 0;
}

/*
 * Each call scans the delta too (about a sixth more time per call with
 * 100 merchants appended to 100k patterns), so after as many calls as
 * 16 times the patterns built the backend builds anew, folding the delta
 * in: the calls' extra time then came to about one build.
 */
static inline bool
delta_fold_due(const CzIndex *index)
{
	return index->delta != NULL &&
		index->delta_calls >= (uint64) index->delta_first * 16;
}

/* A pattern added since the build, as the refresh read it. */
typedef struct AppendedRow
{
	CzPattern	pattern;
	char	   *value;
} AppendedRow;

/* A delta key set made by append_literals(), for take_appended(). */
typedef struct DeltaBuild
{
	CzKeys	   *keys;
	MemoryContext cxt;			/* its memory: under the build's scratch until taken */
	int32		first;			/* its first pattern */
	int32		npatterns;		/* the index's patterns, with the appended ones */
	bool		has_user_patterns;
} DeltaBuild;

/*
 * Make the delta key set for the patterns appended since the build so far
 * and rows (n of them, literal patterns with ids above any read before):
 * false if one of them has no letters or digits (a new build skips it,
 * with a warning).  The new patterns and their values are written past
 * the end of the index's arrays, grown first, and the key set is made in
 * memory of its own; the index answers as before until take_appended().
 * An error on the way leaves it as it was: each array either grew, holding
 * the same, or did not.
 */
static bool
append_literals(CzIndex *index, AppendedRow *rows, int32 n, DeltaBuild *db)
{
	int32		first = index->delta ? index->delta_first : index->npatterns;
	int32		total = index->npatterns + n;
	int64		len = index->value_start[index->npatterns];
	int64		added = 0;
	bool		sort_owners = index->has_user_patterns;
	OwnerSortArg sort_arg;
	KeyBuild	kb;
	int32		i,
				p;

	/* by id: a row starts with its pattern, which starts with its id */
	StaticAssertStmt(offsetof(AppendedRow, pattern) == 0 && offsetof(CzPattern, id) == 0,
					 "an appended row starts with its id");
	qsort(rows, n, sizeof(AppendedRow), cmp_int64);
	for (i = 0; i < n; i++)
		added += strlen(rows[i].value);
	if (len + added >= PG_INT32_MAX)
		return false;

	index->patterns = repalloc_huge(index->patterns, sizeof(CzPattern) * total);
	index->pattern_hit = repalloc_huge(index->pattern_hit, sizeof(CzPatternHit) * total);
	index->value_start = repalloc_huge(index->value_start, sizeof(int32) * (total + 1));
	index->pattern_values = repalloc_huge(index->pattern_values, Max(len + added, 1));
	for (i = 0, p = index->npatterns; i < n; i++, p++)
	{
		CzPattern  *pat = &index->patterns[p];
		int			vlen = strlen(rows[i].value);

		*pat = rows[i].pattern;
		if (pat->user_id != NULL)
		{
			pat->user_id = MemoryContextStrdup(index->cxt, pat->user_id);
			sort_owners = true;
		}
		memset(&index->pattern_hit[p], 0, sizeof(CzPatternHit));
		index->value_start[p] = (int32) len;
		memcpy(index->pattern_values + len, rows[i].value, vlen);
		len += vlen;
	}
	index->value_start[total] = (int32) len;

	/* the owners' hashes order the users' patterns in key lists */
	owner_sort_arg(&sort_arg, index, first, total);

	db->cxt = AllocSetContextCreate(CurrentMemoryContext, "categorize index delta",
									ALLOCSET_DEFAULT_SIZES);
	db->keys = MemoryContextAllocZero(db->cxt, sizeof(CzKeys));
	key_build_init(&kb, db->keys, total, total - first, CurrentMemoryContext, db->cxt);
	for (p = first; p < total; p++)
	{
		if (!key_build_add_literal(&kb, p, (CzKind) index->patterns[p].kind,
								   index->pattern_values + index->value_start[p],
								   index->value_start[p + 1] - index->value_start[p]))
			return false;
	}
	finish_keys(&kb, index, first, total, &sort_arg, sort_owners, true, db->cxt);
	db->first = first;
	db->npatterns = total;
	db->has_user_patterns = sort_owners;
	return true;
}

/* Take in the delta append_literals() made (nothing here can fail). */
static void
take_appended(CzIndex *index, DeltaBuild *db, int64 newest)
{
	MemoryContextSetParent(db->cxt, index->cxt);
	if (index->delta_cxt != NULL)
		MemoryContextDelete(index->delta_cxt);
	index->delta_cxt = db->cxt;
	index->delta = db->keys;
	index->delta_first = db->first;
	index->npatterns = db->npatterns;
	index->newest_id = newest;
	index->has_user_patterns = db->has_user_patterns;
	/* memoized fuzzy answers know nothing of the new merchants */
	if (index->fuzzy_cache != NULL)
		cz_fuzzy_cache_empty(index->fuzzy_cache);
}

/*
 * A new reading of the tables, compared with what the index was built
 * from: if only weights and usage counts differ, and any pattern added
 * since is a literal one (what learn() changes: weights, and a merchant
 * pattern when none matched), take those into the index in place and
 * return true; else return false, and the caller compiles a new index.
 *
 * Patterns added since have higher ids than any the build read (a lower
 * one, committed late, is a difference: a new build).  They go to the
 * end of the patterns, and the delta key set is made anew for all the
 * patterns appended since the build (append_literals), up to
 * delta_limit() of them; more, or another kind, and a new build takes
 * them all in.  The pattern table is scanned under the
 * snapshot, without the executor and without copying a row (at 100k
 * patterns 8 ms, against 28 ms through an SPI cursor), each row found in
 * the index by id: the one after the previous row's first, as rows mostly
 * lie in id order.  Every new value is computed first, and only when the
 * whole table has matched is anything written, with nothing that can
 * fail: an error (or interrupt) on the way leaves the index as it was.
 * The confidences come from the same function, and the boosters'
 * products are taken in the same order, as in a build, so the index
 * answers to the bit as a new one would.
 */
static bool
refresh_in_place(CzIndex *index, SPITupleTable *category_rows, Snapshot snapshot)
{
	AppendedRow *appended = NULL;
	int32		nappended = 0;
	int32		appended_cap = 0;
	int32		ndelta = index->delta ? index->npatterns - index->delta_first : 0;
	int32		max_delta = delta_limit(index);
	int64		newest = index->newest_id;
	DeltaBuild	delta;
	Relation	rel;
	TupleDesc	tupdesc;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	att_id,
				att_category,
				att_kind,
				att_value,
				att_weight,
				att_active,
				att_usage,
				att_success,
				att_user,
				last_att;
	bool	   *seen;
	int32		nseen = 0;
	uint64		nrows = 0;
	float	   *weight;
	float	   *confidence;
	float	   *booster_confidence = NULL;
	bool		boosters_changed = false;
	bool		same = true;
	int32		p;
	int32		b;

	if (index->patterns_skipped > 0 || !same_categories(index, category_rows))
		return false;

	weight = palloc(sizeof(float) * Max(index->npatterns, 1));
	confidence = palloc(sizeof(float) * Max(index->npatterns, 1));

	/*
	 * The table itself, under the snapshot: no executor, no copies, and
	 * its rows in any order, each found in the index by id.  Columns by
	 * name, of the types the build reads them as; otherwise (or with row
	 * security, which the build's query would apply) build anew.
	 */
	rel = table_open(patterns_relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	att_id = column_of_type(tupdesc, "id", INT8OID);
	att_category = column_of_type(tupdesc, "category_id", INT8OID);
	att_kind = column_of_type(tupdesc, "kind", TEXTOID);
	att_value = column_of_type(tupdesc, "value", TEXTOID);
	att_weight = column_of_type(tupdesc, "weight", FLOAT4OID);
	att_active = column_of_type(tupdesc, "active", BOOLOID);
	att_usage = column_of_type(tupdesc, "usage_count", INT8OID);
	att_success = column_of_type(tupdesc, "success_count", INT8OID);
	att_user = column_of_type(tupdesc, "user_id", TEXTOID);
	if (rel->rd_rel->relrowsecurity ||
		!att_id || !att_category || !att_kind || !att_value || !att_weight ||
		!att_active || !att_usage || !att_success || !att_user)
	{
		table_close(rel, NoLock);
		return false;
	}
	last_att = Max(Max(Max(att_id, att_category), Max(att_kind, att_value)),
				   Max(Max(att_weight, att_active), Max(Max(att_usage, att_success), att_user)));

	seen = palloc0(sizeof(bool) * Max(index->npatterns, 1));
	p = -1;
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (same && table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		Datum	   *cols = slot->tts_values;
		bool	   *nulls = slot->tts_isnull;
		const CzPattern *pat;
		int32		cat;
		text	   *value;
		int64		value_len;

		if ((++nrows & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, last_att);
		if (nulls[att_active - 1] || !DatumGetBool(cols[att_active - 1]))
			continue;			/* not read by the build */
		if (nulls[att_id - 1] || nulls[att_category - 1] || nulls[att_weight - 1] ||
			nulls[att_usage - 1] || nulls[att_success - 1])
		{
			same = false;		/* the build knows what to make of it */
			break;
		}
		newest = Max(newest, DatumGetInt64(cols[att_id - 1]));
		cat = find_category(index, DatumGetInt64(cols[att_category - 1]));
		if (cat < 0 || !index->categories[cat].active)
			continue;			/* not in the index, as in the build */
		if (DatumGetInt64(cols[att_id - 1]) > index->newest_id)
		{
			/* added since the build: a literal one is appended */
			AppendedRow *row;
			CzKind		kind;

			if (nulls[att_kind - 1] || nulls[att_value - 1] ||
				ndelta + nappended >= max_delta)
			{
				same = false;
				break;
			}
			kind = cz_kind_from_name(TextDatumGetCString(cols[att_kind - 1]));
			if (kind != CZ_KIND_MERCHANT && kind != CZ_KIND_KEYWORD &&
				kind != CZ_KIND_DESCRIPTION)
			{
				same = false;
				break;
			}
			if (nappended == appended_cap)
			{
				appended_cap = Max(16, appended_cap * 2);
				appended = appended ? repalloc(appended, sizeof(AppendedRow) * appended_cap) :
					palloc(sizeof(AppendedRow) * appended_cap);
			}
			row = &appended[nappended++];
			row->pattern.id = DatumGetInt64(cols[att_id - 1]);
			row->pattern.category_index = cat;
			row->pattern.kind = (uint8) kind;
			row->pattern.weight = DatumGetFloat4(cols[att_weight - 1]);
			row->pattern.confidence = (float)
				cz_pattern_confidence(row->pattern.weight,
									  DatumGetInt64(cols[att_usage - 1]),
									  DatumGetInt64(cols[att_success - 1]));
			row->pattern.user_id = nulls[att_user - 1] ? NULL :
				TextDatumGetCString(cols[att_user - 1]);
			row->value = TextDatumGetCString(cols[att_value - 1]);
			continue;
		}
		/* rows mostly lie in id order: try the one after the last first */
		p = (p + 1 < index->npatterns &&
			 index->patterns[p + 1].id == DatumGetInt64(cols[att_id - 1])) ?
			p + 1 : find_pattern(index, DatumGetInt64(cols[att_id - 1]));
		if (p < 0 || seen[p])
		{
			same = false;
			break;
		}
		pat = &index->patterns[p];
		if (cat != pat->category_index ||
			!text_equals(cols[att_kind - 1], nulls[att_kind - 1],
						 cz_kind_name((CzKind) pat->kind)) ||
			!text_equals(cols[att_user - 1], nulls[att_user - 1], pat->user_id) ||
			nulls[att_value - 1])
		{
			same = false;
			break;
		}
		value = DatumGetTextPP(cols[att_value - 1]);
		value_len = index->value_start[p + 1] - index->value_start[p];
		if (VARSIZE_ANY_EXHDR(value) != value_len ||
			memcmp(VARDATA_ANY(value), index->pattern_values + index->value_start[p],
				   value_len) != 0)
		{
			same = false;
			break;
		}
		seen[p] = true;
		nseen++;
		weight[p] = DatumGetFloat4(cols[att_weight - 1]);
		confidence[p] = (float) cz_pattern_confidence(weight[p],
													  DatumGetInt64(cols[att_usage - 1]),
													  DatumGetInt64(cols[att_success - 1]));
		if (confidence[p] != pat->confidence &&
			(pat->kind == CZ_KIND_AMOUNT_RANGE || pat->kind == CZ_KIND_TIME))
			boosters_changed = true;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	/* the lock is kept, as the build's queries keep theirs */
	table_close(rel, NoLock);
	if (!same || nseen != index->npatterns)
		return false;
	if (nappended > 0 && !append_literals(index, appended, nappended, &delta))
		return false;

	if (boosters_changed)
	{
		int32	   *entry_of = palloc(sizeof(int32) * Max(index->nconds, 1));
		int32		nentries = 0;
		int32		c;
		double	   *keep;

		booster_confidence = palloc(sizeof(float) * Max(index->nboosters, 1));
		for (b = 0; b < index->nboosters; b++)
			booster_confidence[b] = confidence[index->boosters[b].pattern];
		for (c = 0; c < index->ncategories; c++)
			nentries = Max(nentries, index->categories[c].first_cond_entry +
						   index->categories[c].ncond_entries);
		keep = palloc(sizeof(double) * Max(nentries, 1));
		condition_keeps(index, booster_confidence, keep, entry_of);

		/* all matched: take the new values (nothing below can fail) */
		memcpy(index->cond_entry_keep, keep, sizeof(double) * nentries);
		for (b = 0; b < index->nboosters; b++)
			index->boosters[b].confidence = booster_confidence[b];
	}
	for (p = 0; p < index->npatterns; p++)
	{
		index->patterns[p].weight = weight[p];
		index->patterns[p].confidence = confidence[p];
	}
	if (nappended > 0)
		take_appended(index, &delta, newest);
	return true;
}

/*
 * Read the tables and make the index from them: a new one, or with
 * previous (the current index, or NULL) refreshed in place when only
 * weights and usage counts changed and literal patterns were added (then
 * *refreshed is set and previous returned), unless fold asks for a new
 * one (delta_fold_due).
 */
static CzIndex *
build_index(CzIndex *previous, bool fold, bool *refreshed)
{
	MemoryContext cxt;
	MemoryContext tmp;
	CzIndex    *index;
	MemoryContextCallback *cb;
	instr_time	start,
				duration;
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
	Snapshot	snapshot;
	bool		transient = IsInParallelMode();
	SPITupleTable *category_rows;

	INSTR_TIME_SET_CURRENT(start);
	*refreshed = false;

	patterns_relid = lookup_table("patterns");
	categories_relid = lookup_table("categories");
	signal_relid = find_table("_pattern_signal");	/* none in an older schema */

	cxt = AllocSetContextCreate(TopMemoryContext, "categorize index",
								ALLOCSET_DEFAULT_SIZES);
	index = MemoryContextAllocZero(cxt, sizeof(CzIndex));
	index->cxt = cxt;
	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = free_regexes;
	cb->arg = index;
	MemoryContextRegisterResetCallback(cxt, cb);

	tmp = AllocSetContextCreate(CurrentMemoryContext, "categorize index build",
								ALLOCSET_DEFAULT_SIZES);

	/* Read the tables as their owner, with a safe search_path. */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(table_owner(patterns_relid),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	PG_TRY();
	{
		MemoryContext old;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		snapshot = transient ? GetActiveSnapshot() : GetLatestSnapshot();
		if (snapshot == NULL)
			snapshot = GetTransactionSnapshot();
		snapshot = RegisterSnapshot(snapshot);
		if (!transient)
			cz_cache_build_snapshot(snapshot);
		run_query(CATEGORIES_QUERY, snapshot);
		category_rows = SPI_tuptable;
		/* an index used only in this transaction is never refreshed */
		if (previous != NULL && !transient && !index_transient && !fold)
		{
			old = MemoryContextSwitchTo(tmp);
			*refreshed = refresh_in_place(previous, category_rows, snapshot);
			MemoryContextSwitchTo(old);
		}
		if (!*refreshed)
			compile_index(index, tmp, category_rows, snapshot);
		UnregisterSnapshot(snapshot);
		SPI_finish();
		/* the queries' locks are held: no rewrite since they read */
		patterns_filenode = relation_filenode(patterns_relid);
		categories_filenode = relation_filenode(categories_relid);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		MemoryContextDelete(tmp);
		PG_RE_THROW();
	}
	PG_END_TRY();

	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);
	MemoryContextDelete(tmp);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	if (*refreshed)
	{
		MemoryContextDelete(cxt);
		previous->refreshes++;
		previous->refresh_ms = INSTR_TIME_GET_MILLISEC(duration);
		return previous;
	}
	index->build_ms = INSTR_TIME_GET_MILLISEC(duration);
	index_transient = transient;

	if (index->patterns_skipped > 0)
		ereport(WARNING,
				(errmsg("categorize skipped %d invalid pattern rows", index->patterns_skipped),
				 errhint("Rows inserted with triggers disabled are not validated; fix or delete them.")));
	return index;
}

/*
 * The current index, rebuilt first if patterns changed.  *rebuilt tells
 * whether this call built it.  Errors from the build propagate; the
 * previous index is then kept but stays stale.
 */
CzIndex *
cz_index_get(bool *rebuilt)
{
	CzIndex    *index;
	instr_time	start,
				duration;
	uint64		generation;
	bool		refreshed;

	*rebuilt = false;
	resolve_suspicion();
	if (current_index != NULL && !index_stale &&
		!cz_cache_index_outdated(index_generation) &&
		!delta_fold_due(current_index))
	{
		if (unlikely(current_index->delta != NULL))
			current_index->delta_calls++;
		return current_index;
	}

	cz_index_init_callbacks();

	/* an invalidation arriving during the build makes the result stale */
	index_stale = false;
	index_suspect = false;
	/* read before the build's snapshot: never newer than what it sees */
	generation = cz_cache_build_begin();
	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		index = build_index(current_index,
							current_index != NULL && delta_fold_due(current_index),
							&refreshed);
	}
	PG_CATCH();
	{
		index_stale = true;
		INSTR_TIME_SET_CURRENT(duration);
		INSTR_TIME_SUBTRACT(duration, start);
		cz_stats_record_index_build(false, (int64) INSTR_TIME_GET_MICROSEC(duration), 0);
		PG_RE_THROW();
	}
	PG_END_TRY();
	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);

	*rebuilt = true;
	index_generation = generation;
	if (refreshed)
	{
		cz_stats_record_index_refresh(index->npatterns);
		cz_cache_index_refreshed(generation);
		return index;
	}
	if (current_index != NULL)
		MemoryContextDelete(current_index->cxt);
	current_index = index;
	cz_stats_record_index_build(true, (int64) INSTR_TIME_GET_MICROSEC(duration),
								index->npatterns);
	cz_cache_index_built(generation);
	return index;
}

/* True when cz_index_get() would answer without building. */
bool
cz_index_is_current(void)
{
	return current_index != NULL && !index_stale && !index_suspect &&
		!cz_cache_index_outdated(index_generation) &&
		!delta_fold_due(current_index);
}

int64
cz_index_pattern_id(CzIndex *index, int32 pattern_index)
{
	return index->patterns[pattern_index].id;
}

const char *
cz_index_category_name(CzIndex *index, int32 category_index)
{
	return index->categories[category_index].name;
}

int
cz_index_pattern_count(CzIndex *index)
{
	return index->npatterns;
}

/*
 * categorize.index_info(): what this backend's index holds.
 */
PG_FUNCTION_INFO_V1(categorize_index_info);
Datum
categorize_index_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	static const Oid types[] = {
		INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID,	/* patterns_loaded .. boosters */
		FLOAT8OID, INT8OID,		/* build_ms, memory_bytes */
		INT4OID, INT4OID, INT4OID, INT4OID, /* regexes_on_dfa .. refreshes */
		FLOAT8OID,				/* refresh_ms */
		INT4OID					/* delta_patterns */
	};
	Datum		values[lengthof(types)];
	bool		nulls[lengthof(types)] = {0};
	bool		rebuilt;
	CzIndex    *index;
	int32		on_dfa = 0;
	int32		dfa_states = 0;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cz_check_result_shape(tupdesc, types, lengthof(types), "categorize.index_info()");

	index = cz_index_get(&rebuilt);
	values[0] = Int32GetDatum(index->npatterns);
	values[1] = Int32GetDatum(index->keys.nliteral_keys +
							  (index->delta ? index->delta->nliteral_keys : 0));
	values[2] = Int32GetDatum(cz_ac_state_count(index->keys.automaton) +
							  (index->delta ? cz_ac_state_count(index->delta->automaton) : 0));
	values[3] = Int32GetDatum(index->nregexes);
	values[4] = Int32GetDatum(cz_trgm_index_docs(index->keys.trigrams) +
							  (index->delta ? cz_trgm_index_docs(index->delta->trigrams) : 0));
	values[5] = Int32GetDatum(index->nboosters);
	values[6] = Float8GetDatum(index->build_ms);
	values[7] = Int64GetDatum((int64) MemoryContextMemAllocated(index->cxt, true));
	for (i = 0; i < index->nregexes; i++)
	{
		if (index->regex_dfas[i] == NULL)
			continue;
		on_dfa++;
		dfa_states += cz_regex_dfa_states(index->regex_dfas[i]);
	}
	values[8] = Int32GetDatum(on_dfa);
	values[9] = Int32GetDatum(dfa_states);
	values[10] = Int32GetDatum(cz_ac_word_key_count(index->keys.automaton));
	values[11] = Int32GetDatum(index->refreshes);
	if (index->refreshes > 0)
		values[12] = Float8GetDatum(index->refresh_ms);
	else
		nulls[12] = true;
	values[13] = Int32GetDatum(index->delta ? index->npatterns - index->delta_first : 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
