/*-------------------------------------------------------------------------
 *
 * protect.c
 *	  Protected columns: transparent encryption on write, blind indexes,
 *	  reveal for authorised roles, lookup by value, key usage.
 *
 * ci.protect() records a column in ci.protected_column, gives it a random
 * column id (its identity in associated data: a table OID changes across
 * dump and restore, the column id travels with the policy), a blind-index
 * key if it is searchable, a bytea column <name>_bidx with an index, and
 * the row trigger zzz_customer_info_protect (named to run after the
 * table's other BEFORE triggers).  From then on every INSERT, UPDATE, COPY
 * FROM and INSERT ... ON CONFLICT passes through protect_trigger(), which
 *	- keeps a value that is already an authentic envelope for this column
 *	  and row (a restore from pg_dump, logical replication): never
 *	  encrypted twice;
 *	- otherwise treats the value as plaintext: validates and normalises it
 *	  by the column's kind (an ID number with a wrong check character is
 *	  refused, naming the column), seals it under the active data key with
 *	  the column's subkey, and sets the blind index.
 * Stored values are text: "ci:" followed by the base64 of the envelope
 * (envelope.h).  The associated data is the column id and the row's
 * primary key, so an envelope copied to another row or column does not
 * open there.
 *
 * Work on the user's table (altering it, encrypting existing rows,
 * counting key usage) runs as the table's owner inside a
 * security-restricted operation, as VACUUM does: the owner's triggers and
 * index functions cannot borrow the caller's privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "access.h"
#include "audit.h"
#include "ident.h"
#include "keys.h"
#include "mask.h"
#include "mask_core.h"
#include "read_audit.h"
#include "views.h"

PG_FUNCTION_INFO_V1(ci_protect);
PG_FUNCTION_INFO_V1(ci_unprotect);
PG_FUNCTION_INFO_V1(ci_protect_trigger);
PG_FUNCTION_INFO_V1(ci_reveal);
PG_FUNCTION_INFO_V1(ci_reveal_key);
PG_FUNCTION_INFO_V1(ci_lookup);
PG_FUNCTION_INFO_V1(ci_rotate_key);
PG_FUNCTION_INFO_V1(ci_key_usage);
PG_FUNCTION_INFO_V1(ci_envelope_key_id);
PG_FUNCTION_INFO_V1(ci_policy_changed);

#define ENVELOPE_PREFIX		"ci:"
#define ENVELOPE_PREFIX_LEN	3
#define COLUMN_ID_LEN		16
#define TRIGGER_NAME		"zzz_customer_info_protect"

typedef enum CiKind
{
	KIND_CN_ID,
	KIND_USCC,
	KIND_CN_MOBILE,
	KIND_BANK_CARD,
	KIND_EMAIL,
	KIND_NAME,
	KIND_ADDRESS,
	KIND_TEXT,
	KIND_BIRTH_DATE,			/* unencrypted only: a date column */
	KIND_AMOUNT					/* unencrypted only: a numeric column */
} CiKind;

static const char *const kind_names[] = {
	"cn_id", "uscc", "cn_mobile", "bank_card", "email", "name", "address", "text",
	"birth_date", "amount"
};

typedef struct ProtectedColumn
{
	AttrNumber	attnum;
	AttrNumber	bidx_attnum;	/* InvalidAttrNumber unless searchable */
	AttrNumber	mask_attnum;	/* its masked form, kept by the trigger */
	bool		encrypted;		/* false: classified and masked, stored in clear */
	Oid			mask_fn;		/* a custom mask function (text -> text), or 0 */
	Oid			typid;			/* of an unencrypted column ... */
	Oid			typoutput;		/* ... and its output function */
	NameData	attname;
	uint8		column_id[COLUMN_ID_LEN];
	CiKind		kind;
	char		category[3];
	CiSuite		index_suite;
	uint8		index_key[CI_KEY_LEN];
} ProtectedColumn;

typedef struct TablePolicy
{
	Oid			relid;			/* hash key */
	int			ncolumns;
	ProtectedColumn *columns;
	int			npk;
	AttrNumber	pk[INDEX_MAX_KEYS];
	Oid			pk_type[INDEX_MAX_KEYS];	/* their types */
	Oid			pk_out[INDEX_MAX_KEYS];	/* their output functions */
} TablePolicy;

/*
 * While ci.unprotect() decrypts a column in place, ci.reveal() of that
 * column needs no access level (the values are about to become plaintext
 * in the table anyway); of any other column it does.
 */
static Oid	unprotect_relid = InvalidOid;
static NameData unprotect_attname;

/*
 * While ci.reencrypt_batch() rewrites columns with ci.reseal(), whose
 * output is an envelope this backend just made, the trigger need not open
 * it again to check it.  reseal_attnums (in TopMemoryContext) are the
 * columns being rewritten.
 */
static Oid	reseal_relid = InvalidOid;
static Bitmapset *reseal_attnums = NULL;
/* ci.protect's first pass: no value can be an envelope of this column yet */
static bool reseal_initial = false;
/* values the trigger saw ci.reseal() rewrite since the batch began */
static int64 reseal_count = 0;

/*
 * The policy cache.  Loading a policy runs SPI and catalog lookups, which
 * may process invalidations that empty the cache, so a policy is built
 * apart and entered only if no invalidation came meanwhile; and callers
 * get a copy in their memory context, which stays valid whatever happens
 * to the cache while they use it.
 */
static HTAB *policy_cache = NULL;
static MemoryContext policy_context = NULL;
static Oid	policy_relid = InvalidOid;
static uint64 policy_generation = 0;

/*
 * Column subkeys, HKDF(data key, column id), remembered for the last few
 * (data key, column) pairs, and forgotten (wiped) whenever the data key
 * cache is.
 */
#define SUBKEY_SLOTS 16
typedef struct SubkeySlot
{
	int32		key_id;			/* 0: empty */
	uint8		column_id[COLUMN_ID_LEN];
	uint8		subkey[CI_KEY_LEN];
} SubkeySlot;

static SubkeySlot subkeys[SUBKEY_SLOTS];
static int	subkey_next = 0;
static uint64 subkey_generation = 0;

/* Mark the columns (attnums) of a table that ci.reseal() may rewrite. */
static void
reseal_begin(Oid relid, List *attnums)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	ListCell   *lc;

	bms_free(reseal_attnums);
	reseal_attnums = NULL;
	foreach(lc, attnums)
		reseal_attnums = bms_add_member(reseal_attnums, lfirst_int(lc));
	MemoryContextSwitchTo(old);
	reseal_relid = relid;
}

static void
reseal_end(void)
{
	reseal_relid = InvalidOid;
	bms_free(reseal_attnums);
	reseal_attnums = NULL;
}

static bool
resealing(Oid relid, AttrNumber attnum)
{
	return OidIsValid(relid) && relid == reseal_relid &&
		bms_is_member(attnum, reseal_attnums);
}

/*
 * Invalidation: a change of ci.protected_column, or a relcache reset,
 * empties the whole cache; a change of a protected table drops its entry.
 * Keys are wiped before the memory goes.
 */
static void
policy_entry_wipe(TablePolicy *tp)
{
	if (tp->columns)
		explicit_bzero(tp->columns, sizeof(ProtectedColumn) * tp->ncolumns);
}

static void
policy_cache_invalidate(Datum arg pg_attribute_unused(), Oid relid)
{
	HASH_SEQ_STATUS status;
	TablePolicy *tp;

	policy_generation++;
	if (policy_cache == NULL)
		return;
	if (relid != InvalidOid && relid != policy_relid)
	{
		tp = hash_search(policy_cache, &relid, HASH_FIND, NULL);
		if (tp)
		{
			policy_entry_wipe(tp);
			hash_search(policy_cache, &relid, HASH_REMOVE, NULL);
		}
		return;
	}
	hash_seq_init(&status, policy_cache);
	while ((tp = hash_seq_search(&status)) != NULL)
		policy_entry_wipe(tp);
	hash_destroy(policy_cache);
	policy_cache = NULL;
	MemoryContextReset(policy_context);
}


static void
membership_changed(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
				   uint32 hashvalue pg_attribute_unused())
{
	policy_generation++;
}

/* The invalidations that make cached policy, levels and keys stale. */
static void
register_policy_callbacks(void)
{
	static bool registered = false;

	if (registered)
		return;
	CacheRegisterRelcacheCallback(policy_cache_invalidate, (Datum) 0);
	/* role membership decides levels: its changes count too */
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, membership_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, membership_changed, (Datum) 0);
	registered = true;
}

uint64
ci_policy_generation(void)
{
	register_policy_callbacks();
	return policy_generation;
}

static CiKind
kind_from_name(const char *name)
{
	for (int i = 0; i < (int) lengthof(kind_names); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (CiKind) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown kind of data \"%s\"", name),
			 errhint("The kinds are cn_id, uscc, cn_mobile, bank_card, email, name, address and text.")));
	return KIND_TEXT;			/* keep compiler quiet */
}

/*
 * The primary key binds envelopes to their row through its text form, so
 * it must be of a type whose text does not depend on session settings
 * (DateStyle, TimeZone, extra_float_digits, bytea_output), and must exist
 * when BEFORE triggers run (not a generated column).
 */
static void
check_primary_key(Relation rel)
{
	Bitmapset  *pkattrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	int			attno = -1;

	if (pkattrs == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
				 errdetail("Encrypted values are bound to their row through its primary key.")));
	while ((attno = bms_next_member(pkattrs, attno)) >= 0)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel),
											  attno + FirstLowInvalidHeapAttributeNumber - 1);

		if (att->atttypid != INT2OID && att->atttypid != INT4OID &&
			att->atttypid != INT8OID && att->atttypid != NUMERICOID &&
			att->atttypid != TEXTOID && att->atttypid != VARCHAROID &&
			att->atttypid != UUIDOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("primary key column \"%s\" of table \"%s\" is of type %s",
							NameStr(att->attname), RelationGetRelationName(rel),
							format_type_be(att->atttypid)),
					 errdetail("Encrypted values are bound to their row through its primary key, which must be of type smallint, integer, bigint, numeric, text, varchar or uuid.")));
		if (att->attgenerated)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("primary key column \"%s\" of table \"%s\" is a generated column",
							NameStr(att->attname), RelationGetRelationName(rel)),
					 errdetail("Encrypted values are sealed before generated columns are computed.")));
	}
}

/*
 * Read the policy of a table into a new TablePolicy in the current memory
 * context (ncolumns 0 if it has no protected column).
 */
static TablePolicy *
load_policy(Oid relid)
{
	TablePolicy *tp = palloc0(sizeof(TablePolicy));
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	Relation	rel;
	Bitmapset  *pkattrs;
	int			attno;

	tp->relid = relid;
	/* Read the policy as the owner of the extension's tables. */
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("SELECT attname, pg_catalog.uuid_send(column_id), kind, category,"
							  " index_attname, index_key, mask_attname, encrypted,"
							  " mask_function::pg_catalog.oid"
							  " FROM ci.protected_column"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
							  " ORDER BY attname",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");

	rel = RelationIdGetRelation(relid);
	if (!RelationIsValid(rel))
		elog(ERROR, "could not open relation with OID %u", relid);
	if (SPI_processed > 0)
		tp->columns = SPI_palloc(sizeof(ProtectedColumn) * SPI_processed);

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ProtectedColumn *pc = &tp->columns[i];
		bool		isnull;
		bool		unsearchable;
		char	   *name = NameStr(*DatumGetName(SPI_getbinval(tup, desc, 1, &isnull)));
		bytea	   *colid = DatumGetByteaPP(SPI_getbinval(tup, desc, 2, &isnull));
		Datum		idxname = SPI_getbinval(tup, desc, 5, &unsearchable);

		memset(pc, 0, sizeof(*pc));
		namestrcpy(&pc->attname, name);
		pc->attnum = get_attnum(relid, name);
		if (pc->attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("protected column \"%s\" of table \"%s\" no longer exists",
							name, RelationGetRelationName(rel)),
					 errhint("Use ci.unprotect() to remove its policy.")));
		pc->encrypted = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
		pc->mask_fn = DatumGetObjectId(SPI_getbinval(tup, desc, 9, &isnull));
		if (isnull)
			pc->mask_fn = InvalidOid;
		pc->typid = TupleDescAttr(RelationGetDescr(rel), pc->attnum - 1)->atttypid;
		if (!pc->encrypted)
		{
			bool		varlena;

			getTypeOutputInfo(pc->typid, &pc->typoutput, &varlena);
		}
		else if (pc->typid != TEXTOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("protected column \"%s\" of table \"%s\" is no longer of type text",
							name, RelationGetRelationName(rel)),
					 errhint("Change it back, or remove its policy with ci.unprotect().")));
		memcpy(pc->column_id, VARDATA_ANY(colid), COLUMN_ID_LEN);
		pc->kind = kind_from_name(TextDatumGetCString(SPI_getbinval(tup, desc, 3, &isnull)));
		strlcpy(pc->category, TextDatumGetCString(SPI_getbinval(tup, desc, 4, &isnull)),
				sizeof(pc->category));
		{
			char	   *maskname = NameStr(*DatumGetName(SPI_getbinval(tup, desc, 7, &isnull)));

			pc->mask_attnum = get_attnum(relid, maskname);
			if (pc->mask_attnum == InvalidAttrNumber ||
				TupleDescAttr(RelationGetDescr(rel), pc->mask_attnum - 1)->atttypid != TEXTOID)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("masked-form column of \"%s\" of table \"%s\" no longer exists",
								name, RelationGetRelationName(rel)),
						 errhint("Use ci.unprotect() to remove its policy.")));
		}
		pc->bidx_attnum = InvalidAttrNumber;
		if (!unsearchable)
		{
			bytea	   *wrapped = DatumGetByteaPP(SPI_getbinval(tup, desc, 6, &isnull));
			char	   *purpose = index_key_purpose(pc->column_id);

			pc->bidx_attnum = get_attnum(relid, NameStr(*DatumGetName(idxname)));
			if (pc->bidx_attnum == InvalidAttrNumber ||
				TupleDescAttr(RelationGetDescr(rel), pc->bidx_attnum - 1)->atttypid != BYTEAOID)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("blind index column of \"%s\" of table \"%s\" no longer exists",
								name, RelationGetRelationName(rel))));
			ci_unwrap_secret(wrapped, purpose, pc->index_key);
			pc->index_suite = (CiSuite) ((uint8 *) VARDATA_ANY(wrapped))[1];
		}
		tp->ncolumns++;
	}

	pkattrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	attno = -1;
	while ((attno = bms_next_member(pkattrs, attno)) >= 0)
	{
		AttrNumber	pkatt = attno + FirstLowInvalidHeapAttributeNumber;
		bool		varlena;

		tp->pk_type[tp->npk] = TupleDescAttr(RelationGetDescr(rel), pkatt - 1)->atttypid;
		getTypeOutputInfo(tp->pk_type[tp->npk], &tp->pk_out[tp->npk], &varlena);
		tp->pk[tp->npk++] = pkatt;
	}
	if (tp->ncolumns > 0)
		check_primary_key(rel);
	RelationClose(rel);

	SPI_finish();
	ci_restore_user(&sw);
	if (tp->ncolumns > 0 && tp->npk == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has protected columns but no primary key",
						get_rel_name(relid))));
	return tp;
}

static TablePolicy *
copy_policy(const TablePolicy *src, MemoryContext cxt)
{
	TablePolicy *tp = MemoryContextAlloc(cxt, sizeof(TablePolicy));

	memcpy(tp, src, sizeof(TablePolicy));
	tp->columns = NULL;
	if (src->ncolumns > 0)
	{
		tp->columns = MemoryContextAlloc(cxt, sizeof(ProtectedColumn) * src->ncolumns);
		memcpy(tp->columns, src->columns, sizeof(ProtectedColumn) * src->ncolumns);
	}
	return tp;
}

/*
 * The policy of a table, as a copy the caller owns (wiped with
 * free_policy()), or NULL if the table has no protected column.
 */
static TablePolicy *
get_policy(Oid relid)
{
	register_policy_callbacks();
	if (policy_context == NULL)
		policy_context = AllocSetContextCreate(TopMemoryContext,
											   "customer_info policy",
											   ALLOCSET_SMALL_SIZES);
	for (;;)
	{
		TablePolicy *cached = NULL;
		TablePolicy *tp;
		uint64		generation = policy_generation;

		if (policy_cache != NULL)
			cached = hash_search(policy_cache, &relid, HASH_FIND, NULL);
		if (cached != NULL)
			return cached->ncolumns > 0 ? copy_policy(cached, CurrentMemoryContext) : NULL;

		tp = load_policy(relid);
		if (generation != policy_generation)
		{
			/* the policy may have changed while it was read: again */
			if (tp->columns)
				explicit_bzero(tp->columns, sizeof(ProtectedColumn) * tp->ncolumns);
			continue;
		}
		if (policy_cache == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(Oid);
			ctl.entrysize = sizeof(TablePolicy);
			ctl.hcxt = policy_context;
			policy_cache = hash_create("customer_info policy cache", 32, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
			policy_relid = get_relname_relid("protected_column",
											 get_namespace_oid("ci", false));
		}
		cached = hash_search(policy_cache, &relid, HASH_ENTER, NULL);
		{
			TablePolicy *stored = copy_policy(tp, policy_context);

			memcpy(cached, stored, sizeof(TablePolicy));
			pfree(stored);
		}
		if (tp->ncolumns == 0)
			return NULL;
		return tp;
	}
}

static void
free_policy(TablePolicy *tp)
{
	if (tp == NULL)
		return;
	if (tp->columns)
	{
		explicit_bzero(tp->columns, sizeof(ProtectedColumn) * tp->ncolumns);
		pfree(tp->columns);
	}
	pfree(tp);
}

static ProtectedColumn *
find_column(TablePolicy *tp, Oid relid, const char *attname)
{
	for (int i = 0; tp && i < tp->ncolumns; i++)
		if (strcmp(NameStr(tp->columns[i].attname), attname) == 0)
			return &tp->columns[i];
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of table \"%s\" is not protected",
					attname, get_rel_name(relid))));
	return NULL;				/* keep compiler quiet */
}

/*
 * A row's key: each primary-key value as text, length-prefixed so that no
 * two rows can produce the same bytes.  key_part() appends one value.
 */
static void
key_part(StringInfo buf, const TablePolicy *tp, int i, Datum d)
{
	char	   *s;
	char		intbuf[MAXINT8LEN + 1];
	uint32		len;
	uint8		lenbuf[4];

	/* integers as their output functions write them, without fmgr */
	switch (tp->pk_type[i])
	{
		case INT2OID:
			len = (uint32) pg_itoa(DatumGetInt16(d), intbuf);
			s = intbuf;
			break;
		case INT4OID:
			len = (uint32) pg_ltoa(DatumGetInt32(d), intbuf);
			s = intbuf;
			break;
		case INT8OID:
			len = (uint32) pg_lltoa(DatumGetInt64(d), intbuf);
			s = intbuf;
			break;
		default:
			s = OidOutputFunctionCall(tp->pk_out[i], d);
			len = (uint32) strlen(s);
			break;
	}
	lenbuf[0] = (uint8) (len >> 24);
	lenbuf[1] = (uint8) (len >> 16);
	lenbuf[2] = (uint8) (len >> 8);
	lenbuf[3] = (uint8) len;
	appendBinaryStringInfo(buf, (const char *) lenbuf, 4);
	appendBinaryStringInfo(buf, s, len);
	if (s != intbuf)
		pfree(s);
}

static void
pk_null_error(const char *attname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("primary key column \"%s\" is null", attname),
			 errhidestmt(true),
			 errhidecontext(true)));
}

static void
row_key(StringInfo buf, const TablePolicy *tp, HeapTuple tuple, TupleDesc desc)
{
	resetStringInfo(buf);
	for (int i = 0; i < tp->npk; i++)
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, tp->pk[i], desc, &isnull);

		if (isnull)
			pk_null_error(NameStr(TupleDescAttr(desc, tp->pk[i] - 1)->attname));
		key_part(buf, tp, i, d);
	}
}

/* Associated data of a column's value: the column id, then the row key. */
static void
build_aad(StringInfo aad, const ProtectedColumn *pc, StringInfo rowkey)
{
	resetStringInfo(aad);
	appendBinaryStringInfo(aad, (const char *) pc->column_id, COLUMN_ID_LEN);
	appendBinaryStringInfo(aad, rowkey->data, rowkey->len);
}

/* The column's subkey under a data key: HKDF(data key, column id). */
static const uint8 *
column_subkey(const ProtectedColumn *pc, const CiDataKey *dk)
{
	static const char label[] = "customer_info column ";
	uint8		info[sizeof(label) + COLUMN_ID_LEN];
	SubkeySlot *slot;

	if (subkey_generation != ci_key_cache_generation())
	{
		explicit_bzero(subkeys, sizeof(subkeys));
		subkey_generation = ci_key_cache_generation();
	}
	for (int i = 0; i < SUBKEY_SLOTS; i++)
		if (subkeys[i].key_id == dk->key_id &&
			memcmp(subkeys[i].column_id, pc->column_id, COLUMN_ID_LEN) == 0)
			return subkeys[i].subkey;

	slot = &subkeys[subkey_next];
	subkey_next = (subkey_next + 1) % SUBKEY_SLOTS;
	memcpy(info, label, sizeof(label) - 1);
	memcpy(info + sizeof(label) - 1, pc->column_id, COLUMN_ID_LEN);
	slot->key_id = 0;
	if (!ci_hkdf(dk->suite, dk->key, CI_KEY_LEN, info,
				 sizeof(label) - 1 + COLUMN_ID_LEN, slot->subkey, CI_KEY_LEN))
		elog(ERROR, "HKDF failed");
	memcpy(slot->column_id, pc->column_id, COLUMN_ID_LEN);
	slot->key_id = dk->key_id;
	return slot->subkey;
}

/*
 * A column's subkey under the data key of the last envelope a call site
 * opened: a run of values under one key skips the key lookups.  Wiped with
 * the call site's state.
 */
typedef struct SubkeyMemo
{
	bool		valid;
	int32		key_id;
	CiSuite		suite;
	uint64		generation;		/* ci_key_cache_generation() */
	uint8		subkey[CI_KEY_LEN];
} SubkeyMemo;

/* Room enough to decode len characters of base64. */
#define DECODED_ROOM(len) ((len) / 4 * 3 + 3)

/*
 * Decode "ci:<base64>" into out (DECODED_ROOM(len) bytes); false if it is
 * not an envelope.
 */
static bool
decode_envelope_into(const char *s, size_t len, uint8 *out, size_t *envlen)
{
	long		n;

	if (len < ENVELOPE_PREFIX_LEN ||
		memcmp(s, ENVELOPE_PREFIX, ENVELOPE_PREFIX_LEN) != 0)
		return false;
	n = ci_b64_decode(s + ENVELOPE_PREFIX_LEN, len - ENVELOPE_PREFIX_LEN, out);
	if (n < CI_ENVELOPE_OVERHEAD)
		return false;
	*envlen = (size_t) n;
	return true;
}

/* Decode "ci:<base64>" into a palloc'd envelope; NULL if it is not one. */
static uint8 *
decode_envelope(const char *s, size_t len, size_t *envlen)
{
	uint8	   *env;

	if (len < ENVELOPE_PREFIX_LEN ||
		memcmp(s, ENVELOPE_PREFIX, ENVELOPE_PREFIX_LEN) != 0)
		return NULL;
	env = palloc(DECODED_ROOM(len));
	if (!decode_envelope_into(s, len, env, envlen))
	{
		pfree(env);
		return NULL;
	}
	return env;
}

/*
 * Open an envelope of column pc into pt (envlen - CI_ENVELOPE_OVERHEAD
 * bytes); the status says whether it opened.  Nothing is left in pt on
 * failure.
 */
static CiOpenStatus
open_envelope_into(const ProtectedColumn *pc, const uint8 *env, size_t envlen,
				   StringInfo aad, uint8 *pt, SubkeyMemo *memo)
{
	CiEnvelopeHeader header;
	CiDataKey	dk;
	CiOpenStatus status;

	status = ci_envelope_header(env, envlen, &header);
	if (status != CI_OPEN_OK)
		return status;
	if (memo == NULL || !memo->valid || memo->key_id != (int32) header.key_id ||
		memo->generation != ci_key_cache_generation())
	{
		dk = *ci_data_key((int32) header.key_id);
		if (memo == NULL)
		{
			if (header.suite != dk.suite)
			{
				/* the header's suite byte is not the key's: tampered */
				explicit_bzero(&dk, sizeof(dk));
				return CI_OPEN_AUTH_FAILED;
			}
			status = ci_envelope_open(column_subkey(pc, &dk), (const uint8 *) aad->data,
									  aad->len, env, envlen, pt);
			explicit_bzero(&dk, sizeof(dk));
			return status;
		}
		memo->valid = false;
		memo->key_id = dk.key_id;
		memo->suite = dk.suite;
		memo->generation = ci_key_cache_generation();
		memcpy(memo->subkey, column_subkey(pc, &dk), CI_KEY_LEN);
		memo->valid = true;
		explicit_bzero(&dk, sizeof(dk));
	}
	/* the header's suite byte must be the key's, or it was tampered with */
	if (header.suite != memo->suite)
		return CI_OPEN_AUTH_FAILED;
	return ci_envelope_open(memo->subkey, (const uint8 *) aad->data, aad->len,
							env, envlen, pt);
}

/*
 * Open an envelope of column pc; the plaintext (palloc'd, NUL-terminated)
 * or NULL with *status set.
 */
static char *
open_envelope(const ProtectedColumn *pc, const uint8 *env, size_t envlen,
			  StringInfo aad, CiOpenStatus *status)
{
	char	   *pt = palloc(envlen - CI_ENVELOPE_OVERHEAD + 1);

	*status = open_envelope_into(pc, env, envlen, aad, (uint8 *) pt, NULL);
	if (*status != CI_OPEN_OK)
	{
		pfree(pt);
		return NULL;
	}
	pt[envlen - CI_ENVELOPE_OVERHEAD] = '\0';
	return pt;
}

/*
 * A custom mask function runs as its owner, never as the writer (nor as
 * the table owner rewriting the column): inside a security-restricted
 * operation, with search_path pinned to pg_catalog, pg_temp and row-level
 * security off, as a SECURITY DEFINER function with that search_path
 * would.  Its owner is looked up at each call, so that ALTER FUNCTION ...
 * OWNER TO holds at once.
 */
static text *
custom_mask(Oid fn, const char *canonical)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Oid			owner;
	CiUserSwitch sw;
	text	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	ci_become_role(owner, &sw);
	result = DatumGetTextPP(OidFunctionCall1Coll(fn, DEFAULT_COLLATION_OID,
												 PointerGetDatum(cstring_to_text(canonical))));
	ci_restore_user(&sw);
	return result;
}

/*
 * The built-in masked form of a column's normalised value: identifiers keep
 * their type's head and tail (ID number 6 + 4, mobile 3 + 4, card BIN +
 * 4, credit code 2 + 4), names their surname, email addresses their first
 * character and domain, addresses their province and city; free text
 * shows at most three stars.
 */
static text *
mask_of(const ProtectedColumn *pc, const char *canonical)
{
	size_t		len = strlen(canonical);
	const CiIdentType *type;

	/* a DBA's own mask, from a schema a superuser trusted */
	if (OidIsValid(pc->mask_fn))
		return custom_mask(pc->mask_fn, canonical);

	switch (pc->kind)
	{
		case KIND_CN_ID:
			type = &ci_cn_id_type;
			break;
		case KIND_USCC:
			type = &ci_uscc_type;
			break;
		case KIND_CN_MOBILE:
			type = &ci_cn_mobile_type;
			break;
		case KIND_BANK_CARD:
			type = &ci_bank_card_type;
			break;
		case KIND_EMAIL:
			return ci_mask_apply_text(ci_mask_email, canonical, len);
		case KIND_NAME:
			return ci_mask_apply_text(ci_mask_name, canonical, len);
		case KIND_ADDRESS:
			return ci_mask_apply_text(ci_mask_address, canonical, len);
		default:
			return ci_mask_keep_text(canonical, len, 0, 0, 3);
	}
	return ci_mask_keep_text(canonical, len, type->mask_head, type->mask_tail, 0);
}

/* Error context: which protected column a bad value was meant for. */
typedef struct ColumnContext
{
	const char *attname;
	const char *relname;
} ColumnContext;

static void
column_error_context(void *arg)
{
	ColumnContext *cc = (ColumnContext *) arg;

	errcontext("protected column \"%s\" of table \"%s\"", cc->attname, cc->relname);
}

/*
 * Validate and normalise a plaintext by the column's kind.  Returns the
 * canonical form (palloc'd) or raises an error naming the column and the
 * rule, with the value masked.
 */
static char *
normalise_value(ProtectedColumn *pc, const char *relname, const char *s, size_t len)
{
	const CiIdentType *type = NULL;
	char	   *out;
	ErrorContextCallback errcb;
	ColumnContext cc = {NameStr(pc->attname), relname};

	switch (pc->kind)
	{
		case KIND_CN_ID:
			type = &ci_cn_id_type;
			break;
		case KIND_USCC:
			type = &ci_uscc_type;
			break;
		case KIND_CN_MOBILE:
			type = &ci_cn_mobile_type;
			break;
		case KIND_BANK_CARD:
			type = &ci_bank_card_type;
			break;
		case KIND_EMAIL:
			{
				const char *at = memchr(s, '@', len);

				if (at == NULL || at == s || at == s + len - 1)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("invalid email address for protected column \"%s\" of table \"%s\"",
									NameStr(pc->attname), relname),
							 errdetail("An email address has a local part, an \"@\" and a domain."),
							 errhidestmt(true),
							 errhidecontext(true)));
			}
			/* FALLTHROUGH */
		default:
			return pnstrdup(s, len);
	}

	errcb.callback = column_error_context;
	errcb.arg = &cc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	out = palloc(CI_IDENT_BUFSIZE);
	ci_ident_canonical(type, s, len, out);
	error_context_stack = errcb.previous;
	return out;
}

/*
 * The masked form of a value of an unencrypted column: a birth date keeps
 * its year, an amount becomes its order of magnitude, text is validated by
 * its kind and masked like a decrypted value.
 */
static text *
mask_of_datum(ProtectedColumn *pc, const char *relname, Datum value)
{
	if (OidIsValid(pc->mask_fn) &&
		(pc->kind == KIND_BIRTH_DATE || pc->kind == KIND_AMOUNT))
		return mask_of(pc, OidOutputFunctionCall(pc->typoutput, value));
	if (pc->kind == KIND_BIRTH_DATE)
	{
		DateADT		d = DatumGetDateADT(value);
		int			y,
					m,
					day;

		if (DATE_NOT_FINITE(d))
			return cstring_to_text("****-**-**");
		j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
		return cstring_to_text(psprintf("%04d-**-**", y));
	}
	if (pc->kind == KIND_AMOUNT)
	{
		double		v;

		switch (pc->typid)
		{
			case INT2OID:
				v = DatumGetInt16(value);
				break;
			case INT4OID:
				v = DatumGetInt32(value);
				break;
			case INT8OID:
				v = (double) DatumGetInt64(value);
				break;
			case FLOAT4OID:
				v = DatumGetFloat4(value);
				break;
			case FLOAT8OID:
				v = DatumGetFloat8(value);
				break;
			default:
				v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
				break;
		}
		if (isnan(v))
			return cstring_to_text("NaN");
		if (v < 0)
			return cstring_to_text("< 0");
		if (v == 0)
			return cstring_to_text("0");
		if (v < 1)
			return cstring_to_text("(0, 1)");
		if (isinf(v))
			return cstring_to_text("Infinity");
		{
			double		lo = pow(10.0, floor(log10(v)));

			return cstring_to_text(psprintf("[%.0f, %.0f)", lo, lo * 10));
		}
	}
	{
		char	   *str = OidOutputFunctionCall(pc->typoutput, value);
		char	   *canonical = normalise_value(pc, relname, str, strlen(str));
		text	   *result = mask_of(pc, canonical);

		explicit_bzero(canonical, strlen(canonical));
		explicit_bzero(str, strlen(str));
		return result;
	}
}

static bytea *
blind_index(ProtectedColumn *pc, const char *canonical)
{
	bytea	   *result = palloc(VARHDRSZ + CI_BLIND_INDEX_LEN);

	if (!ci_blind_index(pc->index_suite, pc->index_key, (const uint8 *) canonical,
						strlen(canonical), (uint8 *) VARDATA(result)))
		elog(ERROR, "blind index computation failed");
	SET_VARSIZE(result, VARHDRSZ + CI_BLIND_INDEX_LEN);
	return result;
}

/* Seal a canonical plaintext as the stored text "ci:<base64>". */
static text *
seal_value(const ProtectedColumn *pc, const CiDataKey *dk, StringInfo aad,
		   const char *canonical)
{
	size_t		ptlen = strlen(canonical);
	size_t		envlen = CI_ENVELOPE_OVERHEAD + ptlen;
	uint8	   *env = palloc(envlen);
	size_t		b64len = CI_B64_ENC_LEN(envlen);
	text	   *result = palloc(VARHDRSZ + ENVELOPE_PREFIX_LEN + b64len);

	if (!ci_envelope_seal(dk->suite, (uint32) dk->key_id, column_subkey(pc, dk),
						  (const uint8 *) aad->data, aad->len,
						  (const uint8 *) canonical, ptlen, env))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("encryption failed")));
	memcpy(VARDATA(result), ENVELOPE_PREFIX, ENVELOPE_PREFIX_LEN);
	ci_b64_encode(env, envlen, VARDATA(result) + ENVELOPE_PREFIX_LEN);
	SET_VARSIZE(result, VARHDRSZ + ENVELOPE_PREFIX_LEN + b64len);
	pfree(env);
	return result;
}

/*
 * The trigger keeps, per statement (in its FmgrInfo), a copy of the table's
 * policy until the next invalidation, and buffers reused from row to row.
 * The copy holds key material: it is wiped when the statement's memory goes.
 */
typedef struct TriggerState
{
	Oid			relid;
	uint64		generation;		/* policy_generation before reading it */
	bool		valid;
	TablePolicy *tp;			/* NULL: the table has no protected column */
	int		   *cols;			/* room for 3 * ncolumns changes */
	Datum	   *values;
	bool	   *nulls;
	StringInfoData aad;
	StringInfoData oldaad;
	StringInfoData newkey;
	StringInfoData oldkey;
	MemoryContextCallback wipe;
} TriggerState;

static void
trigger_state_wipe(void *arg)
{
	TriggerState *ts = (TriggerState *) arg;

	if (ts->tp != NULL && ts->tp->columns != NULL)
		explicit_bzero(ts->tp->columns, sizeof(ProtectedColumn) * ts->tp->ncolumns);
	ts->tp = NULL;
	ts->valid = false;
}

static TriggerState *
trigger_state(FunctionCallInfo fcinfo, Oid relid)
{
	TriggerState *ts = (TriggerState *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	uint64		generation = policy_generation;
	TablePolicy *tp;
	MemoryContext old;

	if (ts != NULL && ts->valid && ts->relid == relid &&
		ts->generation == policy_generation)
		return ts;
	tp = get_policy(relid);
	old = MemoryContextSwitchTo(cxt);
	if (ts == NULL)
	{
		ts = palloc0(sizeof(TriggerState));
		initStringInfo(&ts->aad);
		initStringInfo(&ts->oldaad);
		initStringInfo(&ts->newkey);
		initStringInfo(&ts->oldkey);
		ts->wipe.func = trigger_state_wipe;
		ts->wipe.arg = ts;
		MemoryContextRegisterResetCallback(cxt, &ts->wipe);
		fcinfo->flinfo->fn_extra = ts;
	}
	else
	{
		trigger_state_wipe(ts);
		if (ts->cols != NULL)
		{
			pfree(ts->cols);
			pfree(ts->values);
			pfree(ts->nulls);
			ts->cols = NULL;
		}
	}
	if (tp != NULL)
	{
		ts->tp = copy_policy(tp, cxt);
		ts->cols = palloc(sizeof(int) * tp->ncolumns * 3);
		ts->values = palloc(sizeof(Datum) * tp->ncolumns * 3);
		ts->nulls = palloc(sizeof(bool) * tp->ncolumns * 3);
		free_policy(tp);
	}
	MemoryContextSwitchTo(old);
	ts->relid = relid;
	ts->generation = generation;
	ts->valid = true;
	return ts;
}

/*
 * The row trigger of protected tables: BEFORE INSERT OR UPDATE FOR EACH ROW.
 */
Datum
ci_protect_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtuple;
	HeapTuple	oldtuple = NULL;
	TriggerState *ts;
	TablePolicy *tp;
	CiDataKey	dk;
	bool		have_newkey = false;
	int		   *cols;
	Datum	   *values;
	bool	   *nulls;
	int			nchanged = 0;
	bool		pk_changed = false;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.protect_trigger() must be a BEFORE INSERT OR UPDATE row trigger")));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		oldtuple = trigdata->tg_trigtuple;
		newtuple = trigdata->tg_newtuple;
	}
	else
		newtuple = trigdata->tg_trigtuple;

	/*
	 * Copy the active key first: reading the policy may run SPI, which may
	 * process invalidations and empty the key cache, but not our copy.
	 */
	dk = *ci_active_data_key();
	ts = trigger_state(fcinfo, RelationGetRelid(rel));
	tp = ts->tp;
	if (tp == NULL)
	{
		explicit_bzero(&dk, sizeof(dk));
		return PointerGetDatum(newtuple);
	}

	/* did the row's primary key change?  (its envelopes must follow) */
	if (oldtuple != NULL)
	{
		for (int k = 0; k < tp->npk && !pk_changed; k++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, tp->pk[k] - 1);
			bool		n1,
						n2;
			Datum		d1 = heap_getattr(oldtuple, tp->pk[k], desc, &n1);
			Datum		d2 = heap_getattr(newtuple, tp->pk[k], desc, &n2);

			pk_changed = n1 != n2 ||
				(!n1 && !datumIsEqual(d1, d2, att->attbyval, att->attlen));
		}
	}

	cols = ts->cols;
	values = ts->values;
	nulls = ts->nulls;

	for (int i = 0; i < tp->ncolumns; i++)
	{
		ProtectedColumn *pc = &tp->columns[i];
		bool		isnull;
		Datum		val = heap_getattr(newtuple, pc->attnum, desc, &isnull);
		text	   *txt;
		const char *s;
		size_t		len;
		uint8	   *env;
		size_t		envlen;
		char	   *plain = NULL;
		char	   *canonical;
		bool		keep = false;

		/* a column stored in clear: only its masked form to keep */
		if (!pc->encrypted)
		{
			cols[nchanged] = pc->mask_attnum;
			values[nchanged] = isnull ? (Datum) 0 :
				PointerGetDatum(mask_of_datum(pc, RelationGetRelationName(rel), val));
			nulls[nchanged++] = isnull;
			continue;
		}

		if (oldtuple != NULL && !pk_changed)
		{
			bool		oldnull;
			Datum		oldval = heap_getattr(oldtuple, pc->attnum, desc, &oldnull);
			bool		same;

			/*
			 * An UPDATE that leaves the value as it was: what is stored
			 * stays, unopened (it may even be damaged; reading will say
			 * so).  So does ci.reseal()'s output over an envelope: a fresh
			 * envelope of the same plaintext.
			 */
			same = (isnull && oldnull) ||
				(!isnull && !oldnull && datumIsEqual(val, oldval, false, -1));
			/*
			 * A value ci.reencrypt_batch() rewrote: counted here, not where
			 * it was sealed (a row that moved meanwhile is skipped).
			 */
			if (!same && !isnull && !oldnull &&
				resealing(RelationGetRelid(rel), pc->attnum))
				reseal_count++;
			same = same ||
				(!isnull && !oldnull && !reseal_initial &&
				 resealing(RelationGetRelid(rel), pc->attnum) &&
				 VARSIZE_ANY_EXHDR(DatumGetPointer(oldval)) >= ENVELOPE_PREFIX_LEN &&
				 memcmp(VARDATA_ANY(DatumGetPointer(oldval)), ENVELOPE_PREFIX,
						ENVELOPE_PREFIX_LEN) == 0);
			if (same)
			{
				/*
				 * The blind index and the masked form stand too: a writer
				 * cannot point the index at another value (lookups would
				 * find this row) nor show another mask.
				 */
				AttrNumber	derived[2] = {pc->bidx_attnum, pc->mask_attnum};

				for (int d = 0; d < 2; d++)
				{
					bool		n1,
								n2;
					Datum		b1,
								b2;

					if (derived[d] == InvalidAttrNumber)
						continue;
					b1 = heap_getattr(oldtuple, derived[d], desc, &n1);
					b2 = heap_getattr(newtuple, derived[d], desc, &n2);
					if (n1 != n2 || (!n1 && !datumIsEqual(b1, b2, false, -1)))
					{
						cols[nchanged] = derived[d];
						values[nchanged] = b1;
						nulls[nchanged++] = n1;
					}
				}
				continue;
			}
		}
		if (isnull)
		{
			if (pc->bidx_attnum != InvalidAttrNumber)
			{
				cols[nchanged] = pc->bidx_attnum;
				values[nchanged] = (Datum) 0;
				nulls[nchanged++] = true;
			}
			cols[nchanged] = pc->mask_attnum;
			values[nchanged] = (Datum) 0;
			nulls[nchanged++] = true;
			continue;
		}
		txt = DatumGetTextPP(val);
		s = VARDATA_ANY(txt);
		len = VARSIZE_ANY_EXHDR(txt);

		/* An authentic envelope for this row is kept as it is. */
		if (!have_newkey)
		{
			row_key(&ts->newkey, tp, newtuple, desc);
			have_newkey = true;
		}
		build_aad(&ts->aad, pc, &ts->newkey);
		env = decode_envelope(s, len, &envlen);
		if (env != NULL)
		{
			CiOpenStatus status;

			plain = open_envelope(pc, env, envlen, &ts->aad, &status);
			if (plain != NULL)
				keep = true;
			else if (oldtuple != NULL)
			{
				/* the row's key changed: reseal the same value for it */
				row_key(&ts->oldkey, tp, oldtuple, desc);
				build_aad(&ts->oldaad, pc, &ts->oldkey);
				plain = open_envelope(pc, env, envlen, &ts->oldaad, &status);
			}
			pfree(env);

			/*
			 * An envelope, but not one of this column and row: refuse it
			 * rather than take it for plaintext.
			 */
			if (plain == NULL && status == CI_OPEN_AUTH_FAILED)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("value for protected column \"%s\" of table \"%s\" is an envelope of another row or column",
								NameStr(pc->attname), RelationGetRelationName(rel)),
						 errdetail("Envelopes are bound to their column and row; write the plaintext instead."),
						 errhidestmt(true),
						 errhidecontext(true)));
		}
		if (plain != NULL)
			canonical = plain;
		else
			canonical = normalise_value(pc, RelationGetRelationName(rel), s, len);

		if (!keep)
		{
			cols[nchanged] = pc->attnum;
			values[nchanged] = PointerGetDatum(seal_value(pc, &dk, &ts->aad, canonical));
			nulls[nchanged++] = false;
		}
		if (pc->bidx_attnum != InvalidAttrNumber)
		{
			cols[nchanged] = pc->bidx_attnum;
			values[nchanged] = PointerGetDatum(blind_index(pc, canonical));
			nulls[nchanged++] = false;
		}
		/* the masked form, so that masked views never decrypt */
		cols[nchanged] = pc->mask_attnum;
		values[nchanged] = PointerGetDatum(mask_of(pc, canonical));
		nulls[nchanged++] = false;
		explicit_bzero(canonical, strlen(canonical));
	}
	explicit_bzero(&dk, sizeof(dk));

	if (nchanged > 0)
		newtuple = heap_modify_tuple_by_cols(newtuple, desc, nchanged, cols,
											 values, nulls);
	return PointerGetDatum(newtuple);
}

/* Run policy-table SQL as the owner of the extension's tables. */
static void
run_as_ci_owner(const char *cmd, int nargs, Oid *argtypes, Datum *values,
				const char *nulls)
{
	CiUserSwitch sw;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(cmd, nargs, argtypes, values, nulls, false, 0) < 0)
		elog(ERROR, "could not update the customer_info policy");
	SPI_finish();
	ci_restore_user(&sw);
}

/*
 * Pass over a column's stored values as the table's owner: an unencrypted
 * column is written onto itself (the trigger validates and masks it), an
 * encrypted one is sealed again by ci.reseal(), text that merely looks like
 * an envelope counting as plaintext (the trigger fills blind index and
 * masked form).  For ci.protect's first pass and a new mask.
 */
static void
rewrite_column(Oid relid, AttrNumber attnum, const char *attname, bool encrypted)
{
	char	   *qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));
	const char *qcol = quote_identifier(attname);

	if (!encrypted)
	{
		ci_run_as_table_owner(relid, psprintf("UPDATE %s SET %s = %s WHERE %s IS NOT NULL",
										   qrel, qcol, qcol, qcol));
		return;
	}
	reseal_begin(relid, list_make1_int(attnum));
	reseal_initial = true;
	PG_TRY();
	{
		ci_run_as_table_owner(relid, psprintf("UPDATE %s AS t SET %s = ci.reseal(t, %s)"
										   " WHERE %s IS NOT NULL",
										   qrel, qcol, quote_literal_cstr(attname), qcol));
	}
	PG_FINALLY();
	{
		reseal_end();
		reseal_initial = false;
	}
	PG_END_TRY();
}

/*
 * A custom mask: a function (text) returns text, in a schema a superuser
 * marked trusted (ci.trust_mask_schema): it sees the plaintext.  It runs
 * as its owner (custom_mask()), whoever writes the table.
 */
static void
check_mask_function(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc proc;
	Oid			nsp;
	bool		shape;
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		trusted;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	nsp = proc->pronamespace;
	shape = proc->pronargs == 1 && proc->proargtypes.values[0] == TEXTOID &&
		proc->prorettype == TEXTOID && !proc->proretset && proc->prokind == PROKIND_FUNCTION;
	ReleaseSysCache(tup);
	if (!shape)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("mask function %s must take one text argument and return text",
						format_procedure(fn))));
	values[0] = ObjectIdGetDatum(nsp);
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM ci.trusted_mask_schema"
							  " WHERE nsp OPERATOR(pg_catalog.=) $1::pg_catalog.regnamespace",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.trusted_mask_schema");
	trusted = SPI_processed > 0;
	SPI_finish();
	ci_restore_user(&sw);
	if (!trusted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("mask function %s is not in a trusted schema", format_procedure(fn)),
				 errdetail("A mask function sees the plaintext."),
				 errhint("A superuser marks a schema trusted with ci.trust_mask_schema().")));
}

/*
 * ci.protect(tbl, col, kind, category, searchable)
 */
Datum
ci_protect(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *attname;
	char	   *kind;
	char	   *category;
	bool		searchable;
	bool		encrypt_existing;
	bool		encrypted;
	Oid			mask_fn = PG_ARGISNULL(7) ? InvalidOid : PG_GETARG_OID(7);
	CiKind		kindval;
	char	   *qrel;
	char	   *qcol;
	AttrNumber	attnum;
	Oid			atttype;
	char		idxname[NAMEDATALEN];
	char		maskname[NAMEDATALEN];
	List	   *view_grants;
	bytea	   *index_key = NULL;
	Relation	rel;
	Oid			argtypes[11] = {OIDOID, NAMEOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID,
	BYTEAOID, UUIDOID, NAMEOID, BOOLOID, OIDOID};
	Datum		values[11];
	char		nulls[11] = "           ";
	const CiDataKey *dk;
	pg_uuid_t  *column_id = palloc(sizeof(pg_uuid_t));

	for (int a = 0; a < 7; a++)
		if (PG_ARGISNULL(a))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("only the mask of ci.protect() may be null")));
	relid = PG_GETARG_OID(0);
	attname = NameStr(*PG_GETARG_NAME(1));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(2));
	category = text_to_cstring(PG_GETARG_TEXT_PP(3));
	searchable = PG_GETARG_BOOL(4);
	encrypt_existing = PG_GETARG_BOOL(5);
	encrypted = PG_GETARG_BOOL(6);

	ci_require_admin("protect columns");
	kindval = kind_from_name(kind);
	if (OidIsValid(mask_fn))
		check_mask_function(mask_fn);
	if (encrypted && (kindval == KIND_BIRTH_DATE || kindval == KIND_AMOUNT))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a column of kind \"%s\" is classified, not encrypted", kind),
				 errhint("Protect it with encrypted => false: its masked form is kept, the value stays in clear.")));
	if (!encrypted && searchable)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("only an encrypted column can be searchable"),
				 errhint("An unencrypted column is searched with an ordinary index.")));
	if (strcmp(category, "C1") != 0 && strcmp(category, "C2") != 0 &&
		strcmp(category, "C3") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown category \"%s\"", category),
				 errhint("JR/T 0171-2020 categories are C1, C2 and C3.")));

	rel = table_open(relid, ShareRowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel))));
	if (RelationGetNamespace(rel) == get_namespace_oid("ci", false))
	{
		Oid			ext = get_extension_oid("customer_info", true);

		if (OidIsValid(ext) && getExtensionOfObject(RelationRelationId, relid) == ext)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("customer_info's own tables cannot be protected"),
					 errdetail("Table \"%s\" belongs to the extension.",
							   RelationGetRelationName(rel))));
		/* most often a CREATE TABLE with ci first in search_path */
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table \"%s\" cannot be protected because it is in schema ci, customer_info's own schema",
						RelationGetRelationName(rel)),
				 errdetail("Schema ci holds the extension's own objects; customer tables must be elsewhere. A CREATE TABLE without a schema name creates the table in the first schema of search_path."),
				 errhint("Create the table in another schema (ALTER TABLE ci.%s SET SCHEMA public moves it), and put ci last in search_path, for example: ALTER DATABASE ... SET search_path = \"$user\", public, ci.",
						 quote_identifier(RelationGetRelationName(rel)))));
	}
	if (rel->rd_rel->relispartition || has_superclass(relid) || has_subclass(relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" is part of an inheritance tree or is a partition",
						RelationGetRelationName(rel)),
				 errdetail("Rows of other tables in the tree would not pass through its trigger.")));
	check_primary_key(rel);
	attnum = get_attnum(relid, attname);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" does not exist",
						attname, RelationGetRelationName(rel))));
	if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber,
					  RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a primary key column cannot be encrypted")));
	atttype = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	table_close(rel, NoLock);
	{
		TablePolicy *tp = get_policy(relid);

		for (int i = 0; tp && i < tp->ncolumns; i++)
			if (strcmp(NameStr(tp->columns[i].attname), attname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("column \"%s\" of table \"%s\" is already protected",
								attname, get_rel_name(relid)),
						 errhint("Use ci.unprotect() first to change its policy.")));
		free_policy(tp);
	}

	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	qcol = (char *) quote_identifier(attname);
	view_grants = ci_detach_view(relid);

	/* A data key for the first protected column. */
	if (encrypted && !ci_has_active_data_key())
		ci_create_data_key(CI_SUITE_AES_GCM);
	dk = encrypted ? ci_active_data_key() : NULL;

	/* an unencrypted column keeps its type, which must suit its kind */
	if (!encrypted)
	{
		bool		ok;

		if (kindval == KIND_BIRTH_DATE)
			ok = atttype == DATEOID;
		else if (kindval == KIND_AMOUNT)
			ok = atttype == NUMERICOID || atttype == INT2OID || atttype == INT4OID ||
				atttype == INT8OID || atttype == FLOAT4OID || atttype == FLOAT8OID;
		else
		{
			HeapTuple	typtup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(atttype));

			if (!HeapTupleIsValid(typtup))
				elog(ERROR, "cache lookup failed for type %u", atttype);
			ok = atttype == TEXTOID || atttype == VARCHAROID ||
				((Form_pg_type) GETSTRUCT(typtup))->typnamespace ==
				get_namespace_oid("ci", false);
			ReleaseSysCache(typtup);
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\" is of type %s, not one for kind \"%s\"",
							attname, get_rel_name(relid), format_type_be(atttype), kind),
					 errhint("birth_date needs a date column, amount a numeric one, the other kinds text.")));
	}
	/* Envelopes are text; the identifier types become their text. */
	else if (atttype != TEXTOID)
	{
		HeapTuple	typtup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(atttype));
		Oid			typnsp;

		if (!HeapTupleIsValid(typtup))
			elog(ERROR, "cache lookup failed for type %u", atttype);
		typnsp = ((Form_pg_type) GETSTRUCT(typtup))->typnamespace;
		ReleaseSysCache(typtup);
		if (atttype != VARCHAROID && typnsp != get_namespace_oid("ci", false))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\" is of type %s",
							attname, get_rel_name(relid), format_type_be(atttype)),
					 errhint("Only text, varchar and customer_info's identifier types can be encrypted.")));
		ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE pg_catalog.text",
										   qrel, qcol));
	}

	/* the column's identity in associated data, for good */
	if (!ci_random_bytes(column_id->data, UUID_LEN))
		elog(ERROR, "could not generate a random column id");
	column_id->data[6] = (column_id->data[6] & 0x0F) | 0x40;	/* version 4 */
	column_id->data[8] = (column_id->data[8] & 0x3F) | 0x80;	/* variant */

	/* the masked form's column, for masked views that never decrypt */
	if (strlen(attname) + strlen("_mask") >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("column name \"%s\" is too long for a protected column", attname),
				 errdetail("The columns \"<name>_mask\" and \"<name>_bidx\" must fit in %d bytes.",
						   NAMEDATALEN - 1)));
	snprintf(maskname, NAMEDATALEN, "%s_mask", attname);
	if (get_attnum(relid, maskname) != InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" already exists",
						maskname, get_rel_name(relid)),
				 errdetail("ci.protect() adds it for the masked form.")));
	ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s ADD COLUMN %s pg_catalog.text",
									   qrel, quote_identifier(maskname)));

	if (searchable)
	{
		uint8		secret[CI_KEY_LEN];
		char	   *purpose = index_key_purpose(column_id->data);

		snprintf(idxname, NAMEDATALEN, "%s_bidx", attname);
		if (get_attnum(relid, idxname) != InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" of table \"%s\" already exists",
							idxname, get_rel_name(relid)),
					 errdetail("ci.protect() adds it for the blind index.")));
		if (!ci_random_bytes(secret, CI_KEY_LEN))
			elog(ERROR, "could not generate a random key");
		index_key = ci_wrap_secret(dk->suite, secret, purpose);
		explicit_bzero(secret, sizeof(secret));
		ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s ADD COLUMN %s pg_catalog.bytea",
										   qrel, quote_identifier(idxname)));
		ci_run_as_table_owner(relid, psprintf("CREATE INDEX ON %s (%s)",
										   qrel, quote_identifier(idxname)));
	}

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetDatum(attname);
	values[2] = CStringGetTextDatum(kind);
	values[3] = CStringGetTextDatum(category);
	values[4] = BoolGetDatum(searchable);
	if (searchable)
	{
		values[5] = CStringGetDatum(idxname);
		values[6] = PointerGetDatum(index_key);
	}
	else
		nulls[5] = nulls[6] = 'n';
	values[7] = UUIDPGetDatum(column_id);
	values[8] = CStringGetDatum(maskname);
	values[9] = BoolGetDatum(encrypted);
	values[10] = ObjectIdGetDatum(mask_fn);
	if (!OidIsValid(mask_fn))
		nulls[10] = 'n';
	run_as_ci_owner("INSERT INTO ci.protected_column"
					" (relid, attname, kind, category, searchable, index_attname, index_key,"
					"  column_id, mask_attname, encrypted, mask_function)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::pg_catalog.oid)",
					11, argtypes, values, nulls);

	/* the trigger, once per table */
	if (!OidIsValid(get_trigger_oid(relid, TRIGGER_NAME, true)))
		ci_run_as_table_owner(relid, psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s"
										   " FOR EACH ROW EXECUTE FUNCTION ci.protect_trigger()",
										   TRIGGER_NAME, qrel));
	CommandCounterIncrement();

	/*
	 * Encrypt what is there: ci.reseal() validates and seals each value,
	 * the trigger fills the blind index.  Or leave it to ci.reencrypt(),
	 * which does the same in committed batches (a large table, online).
	 */
	if (!encrypted || encrypt_existing)
		rewrite_column(relid, attnum, attname, encrypted);
	ci_attach_view(relid, view_grants);
	PG_RETURN_VOID();
}

/*
 * ci.unprotect(tbl, col): decrypt the column in place and drop its policy,
 * blind-index column and (for the last protected column) the trigger.
 */
Datum
ci_unprotect(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *attname = NameStr(*PG_GETARG_NAME(1));
	TablePolicy *tp;
	ProtectedColumn *pc;
	char	   *qrel;
	char	   *qcol;
	bool		searchable;
	bool		encrypted;
	char		idxname[NAMEDATALEN];
	char		maskname[NAMEDATALEN];
	List	   *view_grants;
	Oid			argtypes[2] = {OIDOID, NAMEOID};
	Datum		values[2];
	bool		last;

	ci_require_admin("unprotect columns");
	tp = get_policy(relid);
	pc = find_column(tp, relid, attname);
	searchable = pc->bidx_attnum != InvalidAttrNumber;
	encrypted = pc->encrypted;
	if (searchable)
		strlcpy(idxname, get_attname(relid, pc->bidx_attnum, false), NAMEDATALEN);
	strlcpy(maskname, get_attname(relid, pc->mask_attnum, false), NAMEDATALEN);
	last = tp->ncolumns == 1;
	free_policy(tp);
	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	qcol = (char *) quote_identifier(attname);

	view_grants = ci_detach_view(relid);

	/* decrypt in place, as the table owner, before the policy goes */
	if (encrypted)
	{
		ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s DISABLE TRIGGER %s",
										   qrel, TRIGGER_NAME));
		unprotect_relid = relid;
		namestrcpy(&unprotect_attname, attname);
		PG_TRY();
		{
			ci_run_as_table_owner(relid, psprintf("UPDATE %s AS t SET %s = ci.reveal(t, %s)"
											   " WHERE %s IS NOT NULL",
											   qrel, qcol, quote_literal_cstr(attname),
											   qcol));
		}
		PG_FINALLY();
		{
			unprotect_relid = InvalidOid;
		}
		PG_END_TRY();
		ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s ENABLE TRIGGER %s",
										   qrel, TRIGGER_NAME));
	}

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetDatum(attname);
	run_as_ci_owner("DELETE FROM ci.protected_column"
					" WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					" AND attname OPERATOR(pg_catalog.=) $2",
					2, argtypes, values, NULL);
	if (searchable)
		ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s DROP COLUMN %s",
										   qrel, quote_identifier(idxname)));
	ci_run_as_table_owner(relid, psprintf("ALTER TABLE %s DROP COLUMN %s",
									   qrel, quote_identifier(maskname)));
	if (last)
		ci_run_as_table_owner(relid, psprintf("DROP TRIGGER %s ON %s", TRIGGER_NAME, qrel));
	CacheInvalidateRelcacheByRelid(relid);
	ci_attach_view(relid, view_grants);
	PG_RETURN_VOID();
}

/*
 * The stored value of a protected column in a table row passed as a
 * record (NULL if it is null), and the row's associated data into aad.
 */
static text *
record_value(HeapTupleHeader rec, Oid relid, const ProtectedColumn *pc,
			 TablePolicy *tp, StringInfo aad)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
											  HeapTupleHeaderGetTypMod(rec));
	HeapTupleData tuple;
	bool		isnull;
	Datum		val;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = relid;
	tuple.t_data = rec;
	val = heap_getattr(&tuple, pc->attnum, desc, &isnull);
	if (!isnull)
	{
		StringInfoData key;

		initStringInfo(&key);
		row_key(&key, tp, &tuple, desc);
		initStringInfo(aad);
		build_aad(aad, pc, &key);
	}
	ReleaseTupleDesc(desc);
	return isnull ? NULL : DatumGetTextPP(val);
}

/*
 * ci.reveal() keeps, per call site, what it resolved for the row type and
 * column it was last given (the policy's copy, the row type's descriptor)
 * and whether the current role may reveal that column, until the next
 * invalidation (a change of levels, policy, role membership or any
 * relation): resolving reads catalogs and checking the level reads
 * ci.access_level, which per row would cost more than the decryption.
 * Its buffers are reused from row to row.  The copy holds key material:
 * it is wiped when the call site's memory goes.
 */
typedef struct RevealState
{
	Oid			typid;			/* the row type it was resolved for */
	NameData	attname;
	uint64		generation;		/* policy_generation before resolving */
	Oid			relid;
	TablePolicy *tp;			/* copy of the table's policy */
	ProtectedColumn *pc;		/* the column, in tp */
	TupleDesc	desc;			/* copy of the row type's descriptor */
	bool		keyargs_checked;	/* ci_reveal_key's argument types */
	bool		audited;		/* C2 or C3: clear reads are recorded */
	bool		allowed;		/* userid may reveal it, as of ... */
	Oid			userid;
	Oid			session_userid;
	uint64		allowed_generation; /* ... this generation, ... */
	TimestampTz allowed_until;	/* ... until then (temporary access) ... */
	char	   *allowed_purpose;	/* ... with this purpose declared */
	StringInfoData key;
	StringInfoData aad;
	uint8	   *env;
	size_t		envroom;
	SubkeyMemo	memo;
	MemoryContextCallback wipe;
} RevealState;

static void
reveal_state_wipe(void *arg)
{
	RevealState *st = (RevealState *) arg;

	if (st->tp != NULL && st->tp->columns != NULL)
		explicit_bzero(st->tp->columns, sizeof(ProtectedColumn) * st->tp->ncolumns);
	st->tp = NULL;
	explicit_bzero(&st->memo, sizeof(st->memo));
}

/*
 * Resolve a call site for a column of a table: given a row type (typid) the
 * table is its relation and the descriptor is kept; given the table
 * (relid, typid invalid) there is no row to read.
 */
static RevealState *
reveal_resolve(FunctionCallInfo fcinfo, Oid typid, int32 typmod, Oid relid,
			   const char *attname)
{
	RevealState *st = (RevealState *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	uint64		generation = policy_generation;
	TablePolicy *tp;
	ProtectedColumn *pc;

	if (OidIsValid(typid))
	{
		relid = get_typ_typrelid(typid);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("ci.reveal() needs a row of a table"),
					 errhint("Pass the table's row, as in SELECT ci.reveal(c, 'id_number') FROM customers c.")));
	}
	tp = get_policy(relid);
	pc = find_column(tp, relid, attname);

	if (st == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		st = palloc0(sizeof(RevealState));
		initStringInfo(&st->key);
		initStringInfo(&st->aad);
		st->wipe.func = reveal_state_wipe;
		st->wipe.arg = st;
		MemoryContextRegisterResetCallback(cxt, &st->wipe);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = st;
	}
	else
	{
		reveal_state_wipe(st);
		if (st->desc != NULL)
			FreeTupleDesc(st->desc);
		st->desc = NULL;
	}
	st->tp = copy_policy(tp, cxt);
	st->pc = &st->tp->columns[pc - tp->columns];
	free_policy(tp);
	if (OidIsValid(typid))
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		st->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(desc);
	}
	st->typid = typid;
	namestrcpy(&st->attname, attname);
	st->relid = relid;
	st->generation = generation;
	st->keyargs_checked = false;
	st->audited = strcmp(st->pc->category, "C1") != 0;
	st->allowed = false;
	return st;
}

/*
 * May the current role reveal the resolved column?  With the purpose the
 * session declares, which must be one the role may declare.
 */
static bool
reveal_allowed(FunctionCallInfo fcinfo, RevealState *st)
{
	Oid			userid = GetUserId();
	const char *purpose = ci_session_purpose();
	TimestampTz until;

	/* ci.unprotect() decrypting in place is no read of anyone's */
	if (unprotect_relid == st->relid &&
		strcmp(NameStr(unprotect_attname), NameStr(st->pc->attname)) == 0)
	{
		st->audited = false;
		return true;
	}
	if (st->allowed && st->userid == userid &&
		st->session_userid == GetSessionUserId() &&
		st->allowed_generation == policy_generation &&
		GetCurrentStatementStartTimestamp() < st->allowed_until &&
		strcmp(st->allowed_purpose, purpose) == 0)
		return true;
	st->allowed = false;
	if (superuser())
		until = DT_NOEND;
	else
	{
		ci_check_purpose();
		if (ci_access_level(st->relid, NameStr(st->pc->attname), st->pc->category,
							&until) != CI_LEVEL_CLEAR)
			return false;
	}
	if (st->allowed_purpose != NULL)
		pfree(st->allowed_purpose);
	st->allowed_purpose = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, purpose);
	st->allowed = true;
	st->userid = userid;
	st->session_userid = GetSessionUserId();
	st->allowed_generation = policy_generation;
	st->allowed_until = until;
	return true;
}

/*
 * The plaintext of a stored value of the resolved column, whose row key is
 * in st->key; an error if it does not open.
 */
static text *
reveal_open(FunctionCallInfo fcinfo, RevealState *st, text *txt)
{
	size_t		envlen;
	bool		is_envelope;
	CiOpenStatus status = CI_OPEN_TOO_SHORT;
	text	   *result = NULL;

	build_aad(&st->aad, st->pc, &st->key);
	if (st->envroom < DECODED_ROOM(VARSIZE_ANY_EXHDR(txt)))
	{
		size_t		room = Max(DECODED_ROOM(VARSIZE_ANY_EXHDR(txt)), 256);

		if (st->env != NULL)
			pfree(st->env);
		st->env = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, room);
		st->envroom = room;
	}
	is_envelope = decode_envelope_into(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt),
									   st->env, &envlen);
	if (is_envelope)
	{
		/* the plaintext goes straight into the result */
		result = palloc(VARHDRSZ + envlen - CI_ENVELOPE_OVERHEAD);
		status = open_envelope_into(st->pc, st->env, envlen, &st->aad,
									(uint8 *) VARDATA(result), &st->memo);
		if (status != CI_OPEN_OK)
		{
			pfree(result);
			result = NULL;
		}
	}
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("value of protected column \"%s\" of table \"%s\" cannot be decrypted",
						NameStr(st->pc->attname), get_rel_name(st->relid)),
				 errdetail("%s",
						   !is_envelope ? "It is not a customer_info envelope." :
						   status == CI_OPEN_BAD_VERSION ? "Its format version is unknown." :
						   status == CI_OPEN_BAD_SUITE ? "Its cipher suite is unknown." :
						   status == CI_OPEN_TOO_SHORT ? "It is truncated." :
						   "It was altered, copied from another row or column, or sealed under another key.")));
	SET_VARSIZE(result, VARHDRSZ + envlen - CI_ENVELOPE_OVERHEAD);
	return result;
}

/*
 * The call site's state for a column, resolved again after any
 * invalidation, and authorised: an error if the role may not reveal it.
 */
static RevealState *
reveal_enter(FunctionCallInfo fcinfo, Oid typid, int32 typmod, Oid relid,
			 const char *attname)
{
	RevealState *st = (RevealState *) fcinfo->flinfo->fn_extra;

	/* see any revoke or policy change committed meanwhile (cheap if none) */
	if (st != NULL)
		AcceptInvalidationMessages();
	if (st == NULL || st->tp == NULL || st->typid != typid ||
		(!OidIsValid(typid) && st->relid != relid) ||
		st->generation != policy_generation ||
		strcmp(NameStr(st->attname), attname) != 0)
		st = reveal_resolve(fcinfo, typid, typmod, relid, attname);
	if (!reveal_allowed(fcinfo, st))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to reveal column \"%s\" of table \"%s\"",
						attname, get_rel_name(st->relid)),
				 strcmp(st->pc->category, "C3") == 0 ?
				 errhint("C3 data is revealed only through temporary access: ask for it with ci.request_access().") :
				 errhint("A member of customer_info_admin can grant the level \"clear\" with ci.grant_level(), or an approver approve a request made with ci.request_access().")));
	return st;
}

/*
 * Count a clear read for the read audit (C2 and C3 columns), with the
 * row's key if it is wanted: its value as text, or a row literal of the
 * values of a composite key.
 */
static void
audit_read(RevealState *st, const Datum *pk)
{
	StringInfoData buf;

	if (!st->audited || !ci_read_audit_count(st->relid, NameStr(st->pc->attname)))
		return;
	initStringInfo(&buf);
	if (st->tp->npk > 1)
		appendStringInfoChar(&buf, '(');
	for (int i = 0; i < st->tp->npk; i++)
	{
		char	   *s = OidOutputFunctionCall(st->tp->pk_out[i], pk[i]);

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (st->tp->npk > 1 && (*s == '\0' || strpbrk(s, "(),\"\\ \t\n") != NULL))
		{
			appendStringInfoChar(&buf, '"');
			for (const char *c = s; *c; c++)
			{
				if (*c == '"' || *c == '\\')
					appendStringInfoChar(&buf, *c);
				appendStringInfoChar(&buf, *c);
			}
			appendStringInfoChar(&buf, '"');
		}
		else
			appendStringInfoString(&buf, s);
		pfree(s);
	}
	if (st->tp->npk > 1)
		appendStringInfoChar(&buf, ')');
	ci_read_audit_key(buf.data, buf.len);
	pfree(buf.data);
}

/* The primary key of a row passed as a record. */
static void
row_pk(RevealState *st, HeapTuple tuple, Datum *pk)
{
	for (int i = 0; i < st->tp->npk; i++)
	{
		bool		isnull;

		pk[i] = heap_getattr(tuple, st->tp->pk[i], st->desc, &isnull);
		if (isnull)
			pk_null_error(NameStr(TupleDescAttr(st->desc, st->tp->pk[i] - 1)->attname));
	}
}

/* The primary key of a row, for audit_read(). */
static void
audit_read_row(RevealState *st, HeapTuple tuple)
{
	Datum		pk[INDEX_MAX_KEYS];

	if (!st->audited)
		return;
	row_pk(st, tuple, pk);
	audit_read(st, pk);
}

/*
 * Is a read of a column stored in clear one the read audit records?  Such
 * a column binds nothing to its row, as an envelope does: ci.reveal()
 * given any value and any key (or a row built with ROW()) returns the
 * value the caller passed, and would record a read of that row that never
 * happened.  So a read is recorded only if the row with that primary key
 * holds that value under the statement's snapshot: a real read (as the
 * masked views make).  Anything else returns what the caller gave and
 * records nothing.  The row is looked up through the primary key's index
 * by a scan below the executor: no privilege check, no row-level security
 * (the answer goes only to the read audit, never to the caller), and no
 * code of the table's owner, since a protected table's key is of a
 * built-in type (check_primary_key) and a clear-stored column's output
 * function is built in or customer_info's, so no role switch is needed for
 * a lookup made once per value read.
 */
static bool
clear_read_is_real(RevealState *st, const Datum *pk, const char *value, size_t len)
{
	const char *on = GetConfigOption("customer_info.read_audit", true, false);
	Relation	rel;
	Relation	idx;
	Oid			idxoid;
	int			nkeys;
	ScanKeyData skey[INDEX_MAX_KEYS];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		real = false;

	/* nothing is recorded anyway: spare the lookup */
	if (!st->audited || (on != NULL && strcmp(on, "off") == 0))
		return false;
	rel = table_open(st->relid, AccessShareLock);
	idxoid = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(idxoid))
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	idx = index_open(idxoid, AccessShareLock);
	nkeys = IndexRelationGetNumberOfKeyAttributes(idx);
	for (int i = 0; i < nkeys; i++)
	{
		AttrNumber	attnum = idx->rd_index->indkey.values[i];
		Oid			opcintype = idx->rd_opcintype[i];
		Oid			eq;
		int			j;

		for (j = 0; j < st->tp->npk; j++)
			if (st->tp->pk[j] == attnum)
				break;
		eq = get_opfamily_member(idx->rd_opfamily[i], opcintype, opcintype,
								 BTEqualStrategyNumber);
		if (j == st->tp->npk || !OidIsValid(eq))
			elog(ERROR, "primary key of table \"%s\" does not match its policy",
				 RelationGetRelationName(rel));
		ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber, opcintype,
							   idx->rd_indcollation[i], get_opcode(eq), pk[j]);
	}
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx,
						   ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot(),
						   nkeys, 0);
	index_rescan(scan, skey, nkeys, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, st->pc->attnum, &isnull);

		if (!isnull)
		{
			char	   *s = OidOutputFunctionCall(st->pc->typoutput, d);

			real = strlen(s) == len && memcmp(s, value, len) == 0;
			pfree(s);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return real;
}

/*
 * ci.reveal(row, column): the plaintext of a protected column of a table
 * row, for roles at level 'clear'.
 */
Datum
ci_reveal(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	RevealState *st;
	HeapTupleData tuple;
	bool		isnull;
	Datum		val;
	text	   *result;

	st = reveal_enter(fcinfo, HeapTupleHeaderGetTypeId(rec), HeapTupleHeaderGetTypMod(rec),
					  InvalidOid, NameStr(*PG_GETARG_NAME(1)));
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = st->relid;
	tuple.t_data = rec;
	val = heap_getattr(&tuple, st->pc->attnum, st->desc, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	if (!st->pc->encrypted)
	{
		char	   *s = OidOutputFunctionCall(st->pc->typoutput, val);
		Datum		pk[INDEX_MAX_KEYS];

		/* recorded only if the row is the table's own (see clear_read_is_real) */
		if (st->audited)
		{
			row_pk(st, &tuple, pk);
			if (clear_read_is_real(st, pk, s, strlen(s)))
				audit_read(st, pk);
		}
		PG_RETURN_TEXT_P(cstring_to_text(s));
	}
	row_key(&st->key, st->tp, &tuple, st->desc);
	result = reveal_open(fcinfo, st, DatumGetTextPP(val));
	audit_read_row(st, &tuple);
	PG_RETURN_TEXT_P(result);
}

/*
 * ci.reveal(tbl, col, value, VARIADIC key): the plaintext of a stored value
 * of a protected column, given the row's primary key (its columns in table
 * order).  The same as ci.reveal(row, col) without building the whole row:
 * for views and queries that read many rows.  A value that is not the
 * row's own (another row's, another column's) fails to open, as ever; of
 * a column stored in clear it is returned as given, and its read is
 * recorded only if it is the row's own.
 */
Datum
ci_reveal_key(PG_FUNCTION_ARGS)
{
	Oid			relid;
	RevealState *st;
	int			nkeys = PG_NARGS() - 3;
	text	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and column must not be null")));
	relid = PG_GETARG_OID(0);
	st = reveal_enter(fcinfo, InvalidOid, -1, relid, NameStr(*PG_GETARG_NAME(1)));
	if (!st->keyargs_checked)
	{
		if (get_fn_expr_variadic(fcinfo->flinfo) || nkeys != st->tp->npk)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ci.reveal() needs the %d primary key value(s) of table \"%s\" after the value",
							st->tp->npk, get_rel_name(relid)),
					 errhint("Pass them as separate arguments, in the table's column order.")));
		for (int i = 0; i < nkeys; i++)
		{
			Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 3 + i);

			if (argtype != st->tp->pk_type[i])
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("primary key value %d of table \"%s\" must be of type %s, not %s",
								i + 1, get_rel_name(relid), format_type_be(st->tp->pk_type[i]),
								format_type_be(argtype))));
		}
		st->keyargs_checked = true;
	}
	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	for (int i = 0; i < nkeys; i++)
		if (PG_ARGISNULL(3 + i))
			pk_null_error(get_attname(relid, st->tp->pk[i], false));
	/* a column stored in clear: the value is its own plaintext */
	if (!st->pc->encrypted)
		result = PG_GETARG_TEXT_P_COPY(2);
	else
	{
		resetStringInfo(&st->key);
		for (int i = 0; i < nkeys; i++)
			key_part(&st->key, st->tp, i, PG_GETARG_DATUM(3 + i));
		result = reveal_open(fcinfo, st, PG_GETARG_TEXT_PP(2));
	}
	if (st->audited)
	{
		Datum		pk[INDEX_MAX_KEYS];

		for (int i = 0; i < nkeys; i++)
			pk[i] = PG_GETARG_DATUM(3 + i);
		/* stored in clear: recorded only if it is that row's value */
		if (st->pc->encrypted ||
			clear_read_is_real(st, pk, VARDATA_ANY(result), VARSIZE_ANY_EXHDR(result)))
			audit_read(st, pk);
	}
	PG_RETURN_TEXT_P(result);
}

/*
 * ci.lookup(tbl, col, value): the blind index of a value, to compare with
 * the column's <col>_bidx: WHERE id_number_bidx = ci.lookup(...) is one
 * index scan.  Only for roles that may read the blind-index column.
 */
Datum
ci_lookup(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *attname = NameStr(*PG_GETARG_NAME(1));
	text	   *value = PG_GETARG_TEXT_PP(2);
	TablePolicy *tp = get_policy(relid);
	ProtectedColumn *pc = find_column(tp, relid, attname);
	char	   *canonical;
	bytea	   *result;

	if (pc->bidx_attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("protected column \"%s\" of table \"%s\" is not searchable",
						attname, get_rel_name(relid)),
				 errhint("Protect it with searchable => true."),
				 errhidestmt(true)));
	/* table-level SELECT, or SELECT on the column, as has_column_privilege() */
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck(relid, pc->bidx_attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to search column \"%s\" of table \"%s\"",
						attname, get_rel_name(relid)),
				 errdetail("Searching needs the SELECT privilege on column \"%s\".",
						   get_attname(relid, pc->bidx_attnum, false)),
				 errhidestmt(true)));
	canonical = normalise_value(pc, get_rel_name(relid), VARDATA_ANY(value),
							 VARSIZE_ANY_EXHDR(value));
	result = blind_index(pc, canonical);
	explicit_bzero(canonical, strlen(canonical));
	free_policy(tp);
	PG_RETURN_BYTEA_P(result);
}

/* ci.rotate_key([suite]): a new active data key; the old one is retiring. */
Datum
ci_rotate_key(PG_FUNCTION_ARGS)
{
	CiSuite		suite = CI_SUITE_AES_GCM;
	int32		key_id;

	ci_require_admin("rotate keys");
	if (!PG_ARGISNULL(0))
		suite = ci_suite_from_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	else if (ci_has_active_data_key())
		suite = ci_active_data_key()->suite;
	key_id = ci_create_data_key(suite);
	PG_RETURN_INT32(key_id);
}

/* ci.envelope_key_id(text): the data key id of a stored envelope, or NULL. */
Datum
ci_envelope_key_id(PG_FUNCTION_ARGS)
{
	text	   *txt = PG_GETARG_TEXT_PP(0);
	uint8	   *env;
	size_t		envlen;
	CiEnvelopeHeader header;

	env = decode_envelope(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt), &envlen);
	if (env == NULL || ci_envelope_header(env, envlen, &header) != CI_OPEN_OK)
		PG_RETURN_NULL();
	PG_RETURN_INT32((int32) header.key_id);
}

/*
 * ci.key_usage(): how many stored values each data key protects, per
 * protected column.  Counting reads the tables as their owners.
 */
Datum
ci_key_usage(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CiUserSwitch sw;
	List	   *columns = NIL;
	ListCell   *lc;

	ci_require_admin("report key usage");
	InitMaterializedSRF(fcinfo, 0);

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT relid::pg_catalog.oid, attname FROM ci.protected_column"
					" WHERE encrypted"
					" ORDER BY relid::pg_catalog.text, attname", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));
		char	   *att = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		columns = lappend(columns, list_make2(makeInteger((int) relid), makeString(pstrdup(att))));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	ci_restore_user(&sw);

	foreach(lc, columns)
	{
		Oid			relid = (Oid) intVal(linitial(lfirst(lc)));
		char	   *att = strVal(lsecond(lfirst(lc)));
		char	   *sql;

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			continue;
		sql = psprintf("SELECT ci.envelope_key_id(%s), pg_catalog.count(*)"
					   " FROM %s WHERE %s IS NOT NULL GROUP BY 1 ORDER BY 1",
					   quote_identifier(att),
					   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid)),
					   quote_identifier(att));
		ci_become_table_owner(relid, &sw);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not count the values of a protected column");
		ci_restore_user(&sw);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};
			bool		isnull;

			values[0] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
			nulls[0] = isnull;	/* NULL: values not (yet) encrypted */
			values[1] = ObjectIdGetDatum(relid);
			values[2] = CStringGetTextDatum(att);
			values[3] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		SPI_finish();
	}
	return (Datum) 0;
}

/*
 * Statement trigger on ci.data_key, ci.protected_column and
 * ci.access_level: every backend drops what it cached from them when the
 * change commits (row changes alone send no invalidation).
 */
Datum
ci_policy_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.policy_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

/*
 * Re-encryption.  ci.reencrypt() (a procedure, committing between
 * batches) calls ci.reencrypt_batch(), which takes the pages after a ctid
 * that hold about batch_size rows, finds there the values not sealed under
 * the active key and rewrites them with one UPDATE ... SET col =
 * ci.reseal(t, col) as the table owner.
 * Rows change under ROW EXCLUSIVE only; a row updated concurrently keeps
 * what its writer stored (sealed under the active key, or unchanged and
 * found by the next pass); after a crash or cancel a new call starts over
 * and finds what is left.
 */
PG_FUNCTION_INFO_V1(ci_reseal);
PG_FUNCTION_INFO_V1(ci_reencrypt_batch);

/* ci.reseal(row, col): the row's value sealed under the active key. */
Datum
ci_reseal(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	char	   *attname = NameStr(*PG_GETARG_NAME(1));
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	Oid			relid = get_typ_typrelid(typid);
	TablePolicy *tp;
	ProtectedColumn *pc;
	text	   *txt;
	uint8	   *env;
	size_t		envlen;
	StringInfoData aad;
	CiOpenStatus status;
	char	   *plain;
	CiDataKey	dk;
	text	   *result;

	if (!OidIsValid(relid) || relid != reseal_relid)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("ci.reseal() is only for ci.reencrypt()")));

	dk = *ci_active_data_key();
	tp = get_policy(relid);
	pc = find_column(tp, relid, attname);
	if (!resealing(relid, pc->attnum))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("ci.reseal() is only for ci.reencrypt()")));
	txt = record_value(rec, relid, pc, tp, &aad);
	if (txt == NULL)
	{
		free_policy(tp);
		explicit_bzero(&dk, sizeof(dk));
		PG_RETURN_NULL();
	}

	env = decode_envelope(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt), &envlen);
	if (env != NULL && !reseal_initial)
	{
		CiEnvelopeHeader header;

		/*
		 * Already under the active key (another column of the row was
		 * stale): left as it is, and unopened, like any unchanged value.
		 */
		if (ci_envelope_header(env, envlen, &header) == CI_OPEN_OK &&
			(int32) header.key_id == dk.key_id)
		{
			free_policy(tp);
			explicit_bzero(&dk, sizeof(dk));
			PG_RETURN_TEXT_P(txt);
		}
	}
	if (env == NULL)
	{
		/* plaintext (protecting a column, or a trigger was disabled) */
		plain = normalise_value(pc, get_rel_name(relid), VARDATA_ANY(txt),
								VARSIZE_ANY_EXHDR(txt));
	}
	else
	{
		plain = open_envelope(pc, env, envlen, &aad, &status);
		if (plain == NULL && reseal_initial)
		{
			/* text that merely looks like an envelope: it is plaintext */
			plain = normalise_value(pc, get_rel_name(relid), VARDATA_ANY(txt),
									VARSIZE_ANY_EXHDR(txt));
		}
		else if (plain == NULL)
		{
			/* damaged: left as it is, for reading to report */
			free_policy(tp);
			explicit_bzero(&dk, sizeof(dk));
			PG_RETURN_TEXT_P(txt);
		}
	}
	result = seal_value(pc, &dk, &aad, plain);
	explicit_bzero(plain, strlen(plain));
	explicit_bzero(&dk, sizeof(dk));
	free_policy(tp);
	PG_RETURN_TEXT_P(result);
}

/*
 * ci.reencrypt_batch(tbl, col, after, batch_size): re-encrypt the stale
 * values of column col (of every protected column when col is NULL) in the
 * pages after ctid 'after' that hold about batch_size rows, one UPDATE of
 * each row whatever the number of its stale columns; returns the number of
 * values sealed and the last ctid of the window (NULL at the end of the
 * table).
 */
Datum
ci_reencrypt_batch(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ItemPointer after;
	int32		batch;
	TablePolicy *tp;
	char	   *qrel;
	StringInfoData stale;
	StringInfoData sets;
	List	   *attnums = NIL;
	char	   *select_sql;
	char	   *update_sql;
	CiUserSwitch sw;
	Oid			argtypes[3] = {INT4OID, TIDOID, TIDOID};
	Datum		values[3];
	BlockNumber start;
	BlockNumber pages;
	BlockNumber nblocks;
	ItemPointerData upper;
	ItemPointer lastp = palloc(sizeof(ItemPointerData));
	Datum		tids;
	bool		tids_null;
	Datum		last;
	bool		last_null;
	volatile int64 rewritten = 0;
	TupleDesc	resdesc;
	Datum		result[2];
	bool		resnull[2] = {false, false};

	ci_require_admin("re-encrypt columns");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table, start and batch size must not be null")));
	relid = PG_GETARG_OID(0);
	after = (ItemPointer) PG_GETARG_POINTER(2);
	batch = PG_GETARG_INT32(3);
	if (get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation with OID %u is not a table", relid)));
	if (batch < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch size must be at least 1")));
	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	initStringInfo(&stale);
	initStringInfo(&sets);
	tp = get_policy(relid);
	if (!PG_ARGISNULL(1))
		find_column(tp, relid, NameStr(*PG_GETARG_NAME(1)));
	else if (tp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" has no protected column", get_rel_name(relid))));
	for (int i = 0; i < tp->ncolumns; i++)
	{
		ProtectedColumn *pc = &tp->columns[i];
		const char *qcol = quote_identifier(NameStr(pc->attname));

		if (!PG_ARGISNULL(1) &&
			strcmp(NameStr(pc->attname), NameStr(*PG_GETARG_NAME(1))) != 0)
			continue;
		if (!pc->encrypted)
		{
			if (!PG_ARGISNULL(1))
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("protected column \"%s\" of table \"%s\" is not encrypted",
								NameStr(pc->attname), get_rel_name(relid))));
			continue;
		}
		attnums = lappend_int(attnums, pc->attnum);
		appendStringInfo(&stale, "%s(%s IS NOT NULL AND ci.envelope_key_id(%s) IS DISTINCT FROM $1)",
						 stale.len > 0 ? " OR " : "", qcol, qcol);
		appendStringInfo(&sets, "%s%s = ci.reseal(t, %s)",
						 sets.len > 0 ? ", " : "", qcol,
						 quote_literal_cstr(NameStr(pc->attname)));
	}
	free_policy(tp);
	if (attnums == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" has no encrypted column", get_rel_name(relid))));

	/* the window's stale rows, by a TID range scan of its pages */
	select_sql = psprintf("SELECT pg_catalog.array_agg(ctid) FROM %s"
						  " WHERE ctid OPERATOR(pg_catalog.>) $2 AND ctid OPERATOR(pg_catalog.<) $3"
						  " AND (%s)",
						  qrel, stale.data);
	update_sql = psprintf("UPDATE %s AS t SET %s"
						  " WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
						  qrel, sets.data);

	/*
	 * The window: the pages after 'after' that hold about batch_size rows
	 * (by pg_class's tuples per page; 100 where it knows nothing).  Its end
	 * is returned as 'last', NULL when the table has no page left.
	 */
	{
		Relation	rel = table_open(relid, AccessShareLock);
		double		tpp = 100;

		nblocks = RelationGetNumberOfBlocks(rel);
		if (rel->rd_rel->relpages > 0 && rel->rd_rel->reltuples > 0)
			tpp = Max(1.0, rel->rd_rel->reltuples / rel->rd_rel->relpages);
		table_close(rel, AccessShareLock);
		pages = (BlockNumber) Max(1.0, batch / tpp);
	}
	start = ItemPointerGetBlockNumberNoCheck(after);
	if (ItemPointerGetOffsetNumberNoCheck(after) >= MaxOffsetNumber)
		start++;				/* 'after' ended a window */
	if (start >= nblocks)
	{
		result[0] = Int64GetDatum(0);
		resnull[1] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(resdesc),
														  result, resnull)));
	}
	ItemPointerSet(&upper, start + pages, 0);
	ItemPointerSet(lastp, start + pages - 1, MaxOffsetNumber);
	last = PointerGetDatum(lastp);
	last_null = false;

	values[0] = Int32GetDatum(ci_active_data_key()->key_id);
	values[1] = PointerGetDatum(after);
	values[2] = PointerGetDatum(&upper);

	ci_become_table_owner(relid, &sw);

	/*
	 * Both queries must visit only the batch's rows, by ctid (a TID range
	 * scan, then a TID scan): a sequential scan per batch would make a
	 * whole run quadratic in the table's size.  Undone by ci_restore_user.
	 */
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	reseal_begin(relid, attnums);
	reseal_count = 0;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(select_sql, 3, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not find values to re-encrypt");
		tids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &tids_null);
		if (!tids_null)
		{
			Oid			utypes[1] = {TIDARRAYOID};
			Datum		uvals[1] = {tids};

			if (SPI_execute_with_args(update_sql, 1, utypes, uvals, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not re-encrypt");
			rewritten = reseal_count;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		reseal_end();
	}
	PG_END_TRY();
	ci_restore_user(&sw);

	result[0] = Int64GetDatum(rewritten);
	result[1] = last;
	resnull[1] = last_null;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(resdesc), result, resnull)));
}

/*
 * Migration from pgcrypto (ci.migrate_pgcrypto(), in the install script):
 * a new protected column is filled in committed batches with the old
 * column's decrypted values; ci.migrate_sync() keeps it honest meanwhile.
 * The policy follows the final swap of names through the DDL hook
 * (views.c).
 */
PG_FUNCTION_INFO_V1(ci_migrate_sync);

/*
 * Trigger ci.migrate_sync(old_col, new_col), BEFORE INSERT OR UPDATE: a row
 * whose old column is written gets a NULL new column, for the migration's
 * next pass to fill from the new old value.  Its name sorts before the
 * protection trigger's, which then sees the NULL.
 */
Datum
ci_migrate_sync(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtuple;
	int			src;
	int			dst;
	bool		reset;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		trigdata->tg_trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.migrate_sync() must be a BEFORE INSERT OR UPDATE row trigger with two column names")));
	desc = RelationGetDescr(trigdata->tg_relation);
	src = SPI_fnumber(desc, trigdata->tg_trigger->tgargs[0]);
	dst = SPI_fnumber(desc, trigdata->tg_trigger->tgargs[1]);
	if (src <= 0 || dst <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("a column of the migration of table \"%s\" is missing",
						RelationGetRelationName(trigdata->tg_relation))));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		newtuple = trigdata->tg_trigtuple;
		reset = true;
	}
	else
	{
		bool		n1,
					n2;
		Datum		d1 = heap_getattr(trigdata->tg_trigtuple, src, desc, &n1);
		Datum		d2;

		newtuple = trigdata->tg_newtuple;
		d2 = heap_getattr(newtuple, src, desc, &n2);
		reset = n1 != n2 || (!n1 && !datumIsEqual(d1, d2, false, -1));
	}
	if (reset)
	{
		bool		isnull;
		Datum		nothing = (Datum) 0;
		bool		null = true;

		(void) heap_getattr(newtuple, dst, desc, &isnull);
		if (!isnull)
			newtuple = heap_modify_tuple_by_cols(newtuple, desc, 1, &dst, &nothing, &null);
	}
	return PointerGetDatum(newtuple);
}


PG_FUNCTION_INFO_V1(ci_migrate_step);

/*
 * ci.migrate_step(tbl, col, passphrase, step [, first_block, last_block]):
 * the parts of ci.migrate_pgcrypto() that read or write the table's rows,
 * run as the table's owner inside a security-restricted operation (FROM
 * ONLY, row security off), so that the owner's triggers, defaults and
 * checks cannot leave the owner's rights (SET ROLE, RESET ROLE).  Only
 * the table's owner calls it, as the procedure requires.  Steps: "probe"
 * decrypts one value (a wrong passphrase fails there) and returns 0;
 * "fill" writes <col>_ci from the decrypted old column where it is empty,
 * in the page window [first_block, last_block) when given, and returns
 * the rows written; "check" returns the rows where the old and the new
 * column disagree on being null.  The passphrase is a query parameter.
 */
Datum
ci_migrate_step(PG_FUNCTION_ARGS)
{
	Oid			relid;
	const char *col;
	const char *step;
	char	   *qrel;
	char	   *qcol;
	char	   *qtmp;
	char	   *pgc;
	char	   *sql;
	Oid			argtypes[3] = {TEXTOID, TIDOID, TIDOID};
	Datum		values[3];
	ItemPointerData lower;
	ItemPointerData upper;
	int			nargs = 1;
	int			expected;
	bool		windowed;
	int64		result = 0;
	CiUserSwitch sw;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table, column, passphrase and step must not be null")));
	relid = PG_GETARG_OID(0);
	ci_require_table(relid);
	if (ci_relation_owner(relid) != GetUserId())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be run as the owner of table \"%s\"", get_rel_name(relid)),
				 errhint("SET ROLE to the table's owner first, as ci.migrate_pgcrypto() requires.")));
	col = NameStr(*PG_GETARG_NAME(1));
	step = text_to_cstring(PG_GETARG_TEXT_PP(3));
	windowed = !PG_ARGISNULL(4) && !PG_ARGISNULL(5);
	if (get_attnum(relid, col) <= 0 ||
		(strcmp(step, "probe") != 0 && get_attnum(relid, psprintf("%s_ci", col)) <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" or \"%s_ci\" of table \"%s\" does not exist",
						col, col, get_rel_name(relid))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e"
					" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
					" WHERE e.extname OPERATOR(pg_catalog.=) 'pgcrypto'", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for pgcrypto");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"pgcrypto\" is not installed"),
				 errhint("The migration decrypts with pgcrypto's pgp_sym_decrypt_bytea().")));
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		pgc = SPI_palloc(strlen(v) + 1);
		strcpy(pgc, v);
	}
	SPI_finish();
	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	qcol = pstrdup(quote_identifier(col));
	qtmp = pstrdup(quote_identifier(psprintf("%s_ci", col)));
	values[0] = PG_GETARG_DATUM(2);

	if (strcmp(step, "probe") == 0)
	{
		sql = psprintf("SELECT %s.pgp_sym_decrypt_bytea(%s, $1) FROM ONLY %s"
					   " WHERE %s IS NOT NULL LIMIT 1",
					   quote_identifier(pgc), qcol, qrel, qcol);
		expected = SPI_OK_SELECT;
	}
	else if (strcmp(step, "fill") == 0)
	{
		sql = psprintf("UPDATE ONLY %s SET %s = pg_catalog.convert_from(%s.pgp_sym_decrypt_bytea(%s, $1),"
					   " pg_catalog.getdatabaseencoding()) WHERE %s IS NOT NULL AND %s IS NULL%s",
					   qrel, qtmp, quote_identifier(pgc), qcol, qcol, qtmp,
					   windowed ? " AND ctid OPERATOR(pg_catalog.>=) $2 AND ctid OPERATOR(pg_catalog.<) $3" : "");
		expected = SPI_OK_UPDATE;
		if (windowed)
		{
			int64		first = PG_GETARG_INT64(4);
			int64		last = PG_GETARG_INT64(5);

			if (first < 0 || last < first || last > (int64) MaxBlockNumber)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("page window [%lld, %lld) is not valid",
								(long long) first, (long long) last)));
			ItemPointerSet(&lower, (BlockNumber) first, 0);
			ItemPointerSet(&upper, (BlockNumber) last, 0);
			values[1] = PointerGetDatum(&lower);
			values[2] = PointerGetDatum(&upper);
			nargs = 3;
		}
	}
	else if (strcmp(step, "check") == 0)
	{
		sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s"
					   " WHERE (%s IS NULL) OPERATOR(pg_catalog.<>) (%s IS NULL)",
					   qrel, qcol, qtmp);
		expected = SPI_OK_SELECT;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown migration step \"%s\"", step),
				 errhint("The steps are \"probe\", \"fill\" and \"check\".")));

	ci_become_table_owner(relid, &sw);
	/* a window is visited by a TID range scan; undone by ci_restore_user */
	if (windowed)
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false, 0) != expected)
		elog(ERROR, "migration step \"%s\" failed", step);
	if (strcmp(step, "fill") == 0)
		result = (int64) SPI_processed;
	else if (strcmp(step, "check") == 0)
	{
		bool		isnull;

		result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_INT64(result);
}


/*
 * ci.trust_mask_schema(schema [, trusted]): a superuser marks a schema
 * whose functions may serve as mask functions (they see plaintext), or
 * withdraws that while no protected column uses one of them.
 */
PG_FUNCTION_INFO_V1(ci_trust_mask_schema);
PG_FUNCTION_INFO_V1(ci_reclassify);

Datum
ci_trust_mask_schema(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];
	bool		trusted = PG_GETARG_BOOL(1);
	CiUserSwitch sw;
	bool		in_use;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may trust a schema for mask functions"),
				 errdetail("A mask function sees the plaintext of the columns it masks.")));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = ObjectIdGetDatum(GetSessionUserId());
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM ci.protected_column c"
							  " JOIN pg_catalog.pg_proc p"
							  "   ON p.oid OPERATOR(pg_catalog.=) c.mask_function::pg_catalog.oid"
							  " WHERE p.pronamespace OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");
	in_use = SPI_processed > 0;
	if (!trusted && in_use)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("a protected column still uses a mask function of schema \"%s\"",
						get_namespace_name(DatumGetObjectId(values[0]))),
				 errhint("Give it another mask with ci.reclassify() first.")));
	if (SPI_execute_with_args(trusted ?
							  "INSERT INTO ci.trusted_mask_schema (nsp, trusted_by)"
							  " VALUES ($1, $2) ON CONFLICT DO NOTHING" :
							  "DELETE FROM ci.trusted_mask_schema"
							  " WHERE nsp OPERATOR(pg_catalog.=) $1::pg_catalog.regnamespace",
							  trusted ? 2 : 1, argtypes, values, NULL, false, 0) < 0)
		elog(ERROR, "could not update ci.trusted_mask_schema");
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_VOID();
}

/*
 * ci.reclassify(tbl, col [, category] [, mask | builtin_mask]): change a
 * protected column's category or mask in one call; a new mask is applied
 * to the stored values at once (the masked forms are computed again).
 */
Datum
ci_reclassify(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *attname;
	TablePolicy *tp;
	ProtectedColumn *pc;
	AttrNumber	attnum;
	bool		encrypted;
	bool		remask;
	Oid			argtypes[5] = {OIDOID, NAMEOID, TEXTOID, OIDOID, BOOLOID};
	Datum		values[5];
	char		nulls[5] = "     ";

	ci_require_admin("reclassify columns");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table, column and builtin_mask must not be null")));
	relid = PG_GETARG_OID(0);
	attname = NameStr(*PG_GETARG_NAME(1));
	if (PG_GETARG_BOOL(4) && !PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a mask function and the built-in mask exclude each other")));
	tp = get_policy(relid);
	pc = find_column(tp, relid, attname);
	attnum = pc->attnum;
	encrypted = pc->encrypted;
	remask = PG_GETARG_BOOL(4) ? OidIsValid(pc->mask_fn) :
		(!PG_ARGISNULL(3) && PG_GETARG_OID(3) != pc->mask_fn);
	free_policy(tp);
	if (!PG_ARGISNULL(2))
	{
		char	   *category = text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (strcmp(category, "C1") != 0 && strcmp(category, "C2") != 0 &&
			strcmp(category, "C3") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown category \"%s\"", category),
					 errhint("JR/T 0171-2020 categories are C1, C2 and C3.")));
		values[2] = PG_GETARG_DATUM(2);
	}
	else
		nulls[2] = 'n';
	if (!PG_ARGISNULL(3))
	{
		check_mask_function(PG_GETARG_OID(3));
		values[3] = PG_GETARG_DATUM(3);
	}
	else
		nulls[3] = 'n';
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetDatum(attname);
	values[4] = PG_GETARG_DATUM(4);
	run_as_ci_owner("UPDATE ci.protected_column"
					" SET category = coalesce($3, category),"
					"     mask_function = CASE WHEN $5 THEN NULL"
					"                          ELSE coalesce($4::pg_catalog.oid::pg_catalog.regprocedure,"
					"                                        mask_function) END"
					" WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					" AND attname OPERATOR(pg_catalog.=) $2",
					5, argtypes, values, nulls);
	CommandCounterIncrement();
	if (!remask)
		PG_RETURN_VOID();

	/* the stored masked forms, computed again from the plaintext */
	rewrite_column(relid, attnum, attname, encrypted);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ci_same_plaintext);

/*
 * ci.same_plaintext(old_row, new_row, col): do two versions of a table
 * row hold the same plaintext in a protected column?  For the review
 * triggers (a rewritten envelope is no change); only a boolean leaves,
 * and EXECUTE is granted to no one (it would tell whether two customers
 * share a value).
 */
Datum
ci_same_plaintext(PG_FUNCTION_ARGS)
{
	HeapTupleHeader oldrec;
	HeapTupleHeader newrec;
	Oid			relid;
	TablePolicy *tp;
	ProtectedColumn *pc;
	StringInfoData aad_old;
	StringInfoData aad_new;
	text	   *v_old;
	text	   *v_new;
	bool		same;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	oldrec = PG_GETARG_HEAPTUPLEHEADER(0);
	newrec = PG_GETARG_HEAPTUPLEHEADER(1);
	relid = get_typ_typrelid(HeapTupleHeaderGetTypeId(oldrec));
	if (!OidIsValid(relid) || relid != get_typ_typrelid(HeapTupleHeaderGetTypeId(newrec)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("ci.same_plaintext() needs two rows of the same table")));
	tp = get_policy(relid);
	pc = find_column(tp, relid, NameStr(*PG_GETARG_NAME(2)));
	v_old = record_value(oldrec, relid, pc, tp, &aad_old);
	v_new = record_value(newrec, relid, pc, tp, &aad_new);
	if (v_old == NULL || v_new == NULL)
		same = v_old == NULL && v_new == NULL;
	else if (VARSIZE_ANY_EXHDR(v_old) == VARSIZE_ANY_EXHDR(v_new) &&
			 memcmp(VARDATA_ANY(v_old), VARDATA_ANY(v_new), VARSIZE_ANY_EXHDR(v_old)) == 0)
		same = true;
	else if (!pc->encrypted)
		same = false;
	else
	{
		size_t		len_old;
		size_t		len_new;
		uint8	   *env_old = decode_envelope(VARDATA_ANY(v_old), VARSIZE_ANY_EXHDR(v_old), &len_old);
		uint8	   *env_new = decode_envelope(VARDATA_ANY(v_new), VARSIZE_ANY_EXHDR(v_new), &len_new);
		CiOpenStatus status;
		char	   *pt_old = env_old ? open_envelope(pc, env_old, len_old, &aad_old, &status) : NULL;
		char	   *pt_new = env_new ? open_envelope(pc, env_new, len_new, &aad_new, &status) : NULL;

		/* what does not open is taken as changed */
		same = pt_old != NULL && pt_new != NULL && strcmp(pt_old, pt_new) == 0;
		if (pt_old)
			explicit_bzero(pt_old, strlen(pt_old));
		if (pt_new)
			explicit_bzero(pt_new, strlen(pt_new));
	}
	free_policy(tp);
	PG_RETURN_BOOL(same);
}

/*
 * How the audit log shows each column of a table (audit.c): as stored
 * (CI_AUDIT_STORED: plain columns, and encrypted ones, whose stored form
 * is the envelope), by its masked form (CI_AUDIT_MASKED, mask_attnums
 * says where: a protected column kept in clear), or not at all
 * (CI_AUDIT_SKIP: the extension's helper columns).  forms and
 * mask_attnums have natts entries, by attnum - 1.
 */
void
ci_audit_column_forms(Oid relid, int natts, char *forms, AttrNumber *mask_attnums)
{
	TablePolicy *tp = get_policy(relid);

	memset(forms, CI_AUDIT_STORED, natts);
	memset(mask_attnums, 0, sizeof(AttrNumber) * natts);
	for (int i = 0; tp && i < tp->ncolumns; i++)
	{
		ProtectedColumn *pc = &tp->columns[i];

		if (pc->mask_attnum > 0 && pc->mask_attnum <= natts)
			forms[pc->mask_attnum - 1] = CI_AUDIT_SKIP;
		if (pc->bidx_attnum > 0 && pc->bidx_attnum <= natts)
			forms[pc->bidx_attnum - 1] = CI_AUDIT_SKIP;
		if (!pc->encrypted && pc->attnum > 0 && pc->attnum <= natts)
		{
			forms[pc->attnum - 1] = CI_AUDIT_MASKED;
			mask_attnums[pc->attnum - 1] = pc->mask_attnum;
		}
	}
	free_policy(tp);
}
