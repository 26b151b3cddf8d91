/*-------------------------------------------------------------------------
 *
 * read_audit.c
 *	  Read audit: every clear read of a C2 or C3 value is recorded.
 *
 * ci.reveal() counts each C2 or C3 value it hands out in clear (masked
 * views call it for their clear columns): per statement, role, purpose,
 * table and column, with the row keys of the first
 * customer_info.read_audit_keys rows.  The counts stay in backend memory
 * while the statement runs and leave when it ends (ExecutorEnd of the
 * outermost query) or when the transaction ends, committed or not: a
 * reader's ROLLBACK or error does not take back what it read.
 *
 * They leave through a queue in shared memory, one ring per database (up
 * to RA_SLOTS databases at a time), which a background worker started on
 * demand in that database drains into ci.read_audit in transactions of its
 * own.  So read-only transactions are audited without writing, and readers
 * never wait for a disk flush.  On a hot standby, where nothing can be
 * written, and whenever the queue cannot take a record (still full after a
 * wait, no ring free, the insert failed), the record goes to the server
 * log as one structured line instead, as pgaudit writes its own:
 *
 *	 LOG:  customer_info read audit: {"statement_start": ..., "rows": ...}
 *
 * Both times of a record, statement_start and recorded_at (when it left
 * the reader), are taken by the reader, never by the worker: a worker is
 * another process, started by the postmaster at another moment, and its
 * clock need not be the reader's (under libfaketime the background
 * workers keep the real time while backends run on the shifted one).  So
 * a record's two times are always in order, and ci.audit_purge compares
 * its age with the purging backend's now() as it does the change log's
 * logged_at, taken by the writer.
 *
 * Records queued but not yet inserted are lost if the server crashes (the
 * queue is memory); the worker inserts them within milliseconds, and
 * ci.read_audit_wait() waits until everything queued so far is in.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "access.h"
#include "audit.h"
#include "keys.h"
#include "read_audit.h"

PGDLLEXPORT void ci_read_audit_worker_main(Datum arg);

#define RA_SLOTS			8		/* databases with a ring at a time */
#define RA_IDLE_EXIT_MS		1000	/* a worker with nothing to do leaves */
#define RA_START_RETRY_MS	10000	/* a requested worker that never came */
#define RA_FULL_WAIT_MS		5000	/* a reader waits this long for room */
#define RA_POLL_MS			20		/* a worker looks at its ring this often */
#define RA_BATCH_BYTES		(256 * 1024)	/* inserted per transaction */
#define RA_FIELDS			11		/* columns of ci.read_audit inserted */

/* One database's ring. */
typedef struct RaSlot
{
	Oid			dbid;			/* its database, invalid if free */
	int			worker_pid;		/* its worker, 0 if none */
	Latch	   *worker_latch;
	TimestampTz start_requested;	/* a worker asked for, not yet up */
	uint64		head;			/* bytes ever queued */
	uint64		tail;			/* bytes ever inserted (or logged) */
} RaSlot;

typedef struct RaShared
{
	LWLock	   *lock;
	ConditionVariable cv;		/* a tail moved or a worker left */
	Size		ring_size;
	RaSlot		slots[RA_SLOTS];
	char		rings[FLEXIBLE_ARRAY_MEMBER];
} RaShared;

/*
 * A queued record: this header, then role, session user, purpose, table,
 * column and the nkeys keys, each NUL-terminated; len covers it all and is
 * a multiple of MAXIMUM_ALIGNOF.
 */
typedef struct RaHeader
{
	uint32		len;
	int32		pid;
	TimestampTz stmt_start;
	TimestampTz recorded_at;	/* when it left the reader, by its clock */
	Oid			relid;
	int32		nkeys;
	int64		count;
	bool		has_purpose;
} RaHeader;

/* What the current statement read, per role, purpose, table and column. */
typedef struct RaNote
{
	struct RaNote *next;
	TimestampTz stmt_start;
	Oid			userid;
	Oid			relid;
	NameData	attname;
	char	   *purpose;
	char	   *role;
	char	   *session_user;
	char	   *table;
	int64		count;
	int			nkeys;
	StringInfoData keys;		/* NUL-terminated, one after another */
} RaNote;

static bool ra_enabled = true;
static int	ra_max_keys = 100;
static int	ra_queue_kb = 1024;

static RaShared *ra_shared = NULL;
static MemoryContext ra_cxt = NULL;
static RaNote *notes = NULL;
static RaNote *last_note = NULL;
static int	exec_depth = 0;
static bool warned_no_room = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

static Size
ra_shmem_size(void)
{
	return add_size(offsetof(RaShared, rings),
					mul_size(RA_SLOTS, (Size) ra_queue_kb * 1024));
}

static void
ra_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(ra_shmem_size());
	RequestNamedLWLockTranche("customer_info_read_audit", 1);
}

static void
ra_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ra_shared = ShmemInitStruct("customer_info read audit", ra_shmem_size(), &found);
	if (!found)
	{
		memset(ra_shared, 0, offsetof(RaShared, rings));
		ra_shared->lock = &(GetNamedLWLockTranche("customer_info_read_audit"))->lock;
		ConditionVariableInit(&ra_shared->cv);
		ra_shared->ring_size = (Size) ra_queue_kb * 1024;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* ---- the records, as the server log shows them ---- */

/* The strings after a record's header, in order. */
static const char *
next_string(const char **p)
{
	const char *s = *p;

	*p += strlen(s) + 1;
	return s;
}

static void
json_field(StringInfo buf, const char *name, const char *value)
{
	appendStringInfo(buf, ", \"%s\": ", name);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

/* One structured server log line for a record (never fails but on OOM). */
static void
ra_log(const char *msg)
{
	RaHeader	h;
	const char *p = msg + MAXALIGN(sizeof(RaHeader));
	const char *role;
	const char *session_user;
	const char *purpose;
	StringInfoData buf;

	memcpy(&h, msg, sizeof(h));
	role = next_string(&p);
	session_user = next_string(&p);
	purpose = next_string(&p);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"statement_start\": \"%s\"",
					 timestamptz_to_str(h.stmt_start));
	appendStringInfo(&buf, ", \"recorded_at\": \"%s\"",
					 timestamptz_to_str(h.recorded_at));
	json_field(&buf, "role", role);
	json_field(&buf, "session_user", session_user);
	json_field(&buf, "purpose", h.has_purpose ? purpose : NULL);
	json_field(&buf, "table", next_string(&p));
	json_field(&buf, "column", next_string(&p));
	appendStringInfo(&buf, ", \"rows\": " INT64_FORMAT ", \"keys\": [", h.count);
	for (int i = 0; i < h.nkeys; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, next_string(&p));
	}
	appendStringInfo(&buf, "], \"pid\": %d}", h.pid);
	ereport(LOG,
			(errmsg("customer_info read audit: %s", buf.data),
			 errhidestmt(true),
			 errhidecontext(true)));
	pfree(buf.data);
}

/* ---- the queue ---- */

/* The ring of a database; with claim, a free one becomes its ring. */
static RaSlot *
find_slot(Oid dbid, bool claim)
{
	RaSlot	   *free_slot = NULL;

	for (int i = 0; i < RA_SLOTS; i++)
	{
		RaSlot	   *slot = &ra_shared->slots[i];

		if (slot->dbid == dbid)
			return slot;
		if (free_slot == NULL &&
			(slot->dbid == InvalidOid ||
			 (slot->worker_pid == 0 && slot->start_requested == 0 &&
			  slot->head == slot->tail)))
			free_slot = slot;
	}
	if (claim && free_slot != NULL)
	{
		free_slot->dbid = dbid;
		free_slot->head = free_slot->tail = 0;
	}
	return claim ? free_slot : NULL;
}

static char *
ring_of(RaSlot *slot)
{
	return ra_shared->rings + (slot - ra_shared->slots) * ra_shared->ring_size;
}

/* Copy len bytes between a ring position and memory, either way. */
static void
ring_copy(RaSlot *slot, uint64 pos, char *mem, Size len, bool into_ring)
{
	char	   *ring = ring_of(slot);
	Size		size = ra_shared->ring_size;
	Size		off = pos % size;
	Size		first = Min(len, size - off);

	if (into_ring)
	{
		memcpy(ring + off, mem, first);
		memcpy(ring, mem + first, len - first);
	}
	else
	{
		memcpy(mem, ring + off, first);
		memcpy(mem + first, ring, len - first);
	}
}

static void
start_worker(int slotno, Oid dbid)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "customer_info", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ci_read_audit_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "customer_info read audit", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "customer_info read audit", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(worker.bgw_extra, &dbid, sizeof(dbid));
	if (!RegisterDynamicBackgroundWorker(&worker, NULL))
		ereport(LOG,
				(errmsg("customer_info could not start its read-audit worker"),
				 errdetail("Read-audit records wait in the queue; a new start is tried in %d seconds.",
						   RA_START_RETRY_MS / 1000),
				 errhint("Raise max_worker_processes.")));
}

/*
 * Queue a record for this database's worker.  A reader that may wait
 * waits for room up to RA_FULL_WAIT_MS; otherwise, or still without room,
 * the record is logged.
 */
static void
ra_send(const char *msg, bool may_wait)
{
	uint32		len;
	TimestampTz deadline = 0;

	memcpy(&len, msg, sizeof(len));
	if (RecoveryInProgress() || ra_shared == NULL)
	{
		ra_log(msg);
		return;
	}
	for (;;)
	{
		RaSlot	   *slot;
		TimestampTz now = GetCurrentTimestamp();
		bool		queued = false;
		bool		start = false;
		Latch	   *latch = NULL;
		int			slotno = 0;

		LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
		slot = find_slot(MyDatabaseId, true);
		if (slot != NULL && !may_wait && slot->worker_pid == 0 &&
			(proc_exit_inprogress || ProcDiePending))
		{
			/* going down (a shutdown, a termination): no worker will come */
			LWLockRelease(ra_shared->lock);
			ra_log(msg);
			return;
		}
		if (slot != NULL)
		{
			slotno = slot - ra_shared->slots;
			if (ra_shared->ring_size - (slot->head - slot->tail) >= len)
			{
				ring_copy(slot, slot->head, (char *) msg, len, true);
				slot->head += len;
				queued = true;
			}
			/* the worker polls; woken only when the ring fills up */
			if (slot->head - slot->tail > ra_shared->ring_size / 4)
				latch = slot->worker_latch;
			if (slot->worker_pid == 0 &&
				(slot->start_requested == 0 ||
				 TimestampDifferenceExceeds(slot->start_requested, now, RA_START_RETRY_MS)))
			{
				slot->start_requested = now;
				start = true;
			}
		}
		LWLockRelease(ra_shared->lock);
		if (latch != NULL)
			SetLatch(latch);
		if (start)
			start_worker(slotno, MyDatabaseId);
		if (queued)
			break;
		if (deadline == 0)
			deadline = TimestampTzPlusMilliseconds(now, RA_FULL_WAIT_MS);
		if (slot == NULL || !may_wait || now >= deadline)
		{
			if (!warned_no_room && slot == NULL)
				ereport(LOG,
						(errmsg("customer_info read-audit queue has no room: records go to the server log"),
						 errdetail("The read-audit queues serve %d databases at a time.",
								   RA_SLOTS)));
			else if (!warned_no_room)
				ereport(LOG,
						(errmsg("customer_info read-audit queue has no room: records go to the server log"),
						 errdetail("Its worker cannot keep up or does not run."),
						 errhint("Raise customer_info.read_audit_queue_size.")));
			warned_no_room = true;
			ra_log(msg);
			break;
		}
		ConditionVariableTimedSleep(&ra_shared->cv, 100, PG_WAIT_EXTENSION);
	}
	if (deadline != 0)
		ConditionVariableCancelSleep();
}

/* ---- what the backend counts ---- */

static void
append_string(StringInfo buf, const char *s)
{
	appendBinaryStringInfo(buf, s, strlen(s) + 1);
}

/*
 * The record of a note; keys that would make it longer than a quarter of
 * a ring or a worker's batch are left out.
 */
static void
build_record(StringInfo buf, RaNote *n)
{
	RaHeader	h;
	Size		room = ra_shared ? Min(ra_shared->ring_size / 4, RA_BATCH_BYTES) :
		RA_BATCH_BYTES;
	const char *k = n->keys.data;

	memset(&h, 0, sizeof(h));
	h.pid = MyProcPid;
	h.stmt_start = n->stmt_start;
	h.recorded_at = GetCurrentTimestamp();
	h.relid = n->relid;
	h.count = n->count;
	h.has_purpose = n->purpose[0] != '\0';
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, (const char *) &h, sizeof(h));
	while ((Size) buf->len < MAXALIGN(sizeof(RaHeader)))
		appendStringInfoChar(buf, '\0');
	append_string(buf, n->role);
	append_string(buf, n->session_user);
	append_string(buf, n->purpose);
	append_string(buf, n->table);
	append_string(buf, NameStr(n->attname));
	for (h.nkeys = 0; h.nkeys < n->nkeys; h.nkeys++)
	{
		Size		klen = strlen(k) + 1;

		if (buf->len + klen + MAXIMUM_ALIGNOF > room)
			break;
		appendBinaryStringInfo(buf, k, klen);
		k += klen;
	}
	while (buf->len % MAXIMUM_ALIGNOF != 0)
		appendStringInfoChar(buf, '\0');
	h.len = buf->len;
	memcpy(buf->data, &h, sizeof(h));
}

/*
 * Send what was counted.  Each note leaves the list once sent, so that an
 * error (a cancel while waiting for room) leaves the rest for the
 * transaction's end, which sends without waiting.
 */
static void
ra_flush(bool may_wait)
{
	StringInfoData buf;

	if (notes == NULL)
		return;
	last_note = NULL;
	buf.data = NULL;
	while (notes != NULL)
	{
		RaNote	   *n = notes;

		if (buf.data == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(ra_cxt);

			initStringInfo(&buf);
			MemoryContextSwitchTo(old);
		}
		build_record(&buf, n);
		ra_send(buf.data, may_wait);
		notes = n->next;
	}
	MemoryContextReset(ra_cxt);
}

bool
ci_read_audit_count(Oid relid, const char *attname)
{
	TimestampTz stmt_start;
	Oid			userid;
	const char *purpose;
	RaNote	   *n;

	if (!ra_enabled)
		return false;
	stmt_start = GetCurrentStatementStartTimestamp();
	userid = GetUserId();
	purpose = ci_session_purpose();
	n = last_note;
	if (n == NULL || n->relid != relid || n->stmt_start != stmt_start ||
		n->userid != userid || strcmp(NameStr(n->attname), attname) != 0 ||
		strcmp(n->purpose, purpose) != 0)
	{
		for (n = notes; n != NULL; n = n->next)
			if (n->relid == relid && n->stmt_start == stmt_start &&
				n->userid == userid && strcmp(NameStr(n->attname), attname) == 0 &&
				strcmp(n->purpose, purpose) == 0)
				break;
		if (n == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(ra_cxt);
			char	   *nspname = get_namespace_name(get_rel_namespace(relid));
			char	   *relname = get_rel_name(relid);

			n = palloc0(sizeof(RaNote));
			n->stmt_start = stmt_start;
			n->userid = userid;
			n->relid = relid;
			namestrcpy(&n->attname, attname);
			n->purpose = pstrdup(purpose);
			n->role = GetUserNameFromId(userid, false);
			n->session_user = GetUserNameFromId(GetSessionUserId(), false);
			n->table = (nspname && relname) ?
				pstrdup(quote_qualified_identifier(nspname, relname)) :
				psprintf("%u", relid);
			initStringInfo(&n->keys);
			/* in the order of first reads */
			if (notes == NULL)
				notes = n;
			else
			{
				RaNote	   *t = notes;

				while (t->next != NULL)
					t = t->next;
				t->next = n;
			}
			MemoryContextSwitchTo(old);
		}
		last_note = n;
	}
	n->count++;
	return n->nkeys < ra_max_keys;
}

void
ci_read_audit_key(const char *key, int len)
{
	RaNote	   *n = last_note;

	Assert(n != NULL);
	appendBinaryStringInfo(&n->keys, key, len);
	appendStringInfoChar(&n->keys, '\0');
	n->nkeys++;
}

/* ---- when records leave ---- */

static void
ra_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	exec_depth++;
}

static void
ra_ExecutorEnd(QueryDesc *queryDesc)
{
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (exec_depth > 0)
		exec_depth--;
	/* a portal closed by an abort must not wait for room */
	if (exec_depth == 0)
		ra_flush(IsTransactionState() && !IsAbortedTransactionBlockState());
}

static void
ra_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			/* may wait for room: an error here still aborts cleanly */
			ra_flush(true);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* nothing may fail once committed */
			ra_flush(false);
			exec_depth = 0;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			ra_flush(false);
			exec_depth = 0;
			break;
		default:
			break;
	}
}

/* ---- the worker ---- */

/*
 * The worker leaves (idle, shut down, or failing): what is still in its
 * ring goes to the server log, so that a shutdown loses nothing.
 */
static void
ra_worker_detach(int code pg_attribute_unused(), Datum arg)
{
	RaSlot	   *slot = &ra_shared->slots[DatumGetInt32(arg)];

	LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
	if (slot->worker_pid == MyProcPid)
	{
		while (slot->head > slot->tail)
		{
			uint32		mlen;
			char	   *msg;

			ring_copy(slot, slot->tail, (char *) &mlen, sizeof(mlen), false);
			msg = palloc(mlen);
			ring_copy(slot, slot->tail, msg, mlen, false);
			ra_log(msg);
			pfree(msg);
			slot->tail += mlen;
		}
		slot->worker_pid = 0;
		slot->worker_latch = NULL;
	}
	LWLockRelease(ra_shared->lock);
	ConditionVariableBroadcast(&ra_shared->cv);
}

/* A text[] literal of n strings, each quoted. */
static void
append_array_literal(StringInfo buf, const char **p, int n)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < n; i++)
	{
		const char *s = next_string(p);

		if (i > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, '"');
		for (; *s; s++)
		{
			if (*s == '"' || *s == '\\')
				appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, *s);
		}
		appendStringInfoChar(buf, '"');
	}
	appendStringInfoChar(buf, '}');
}

/*
 * Insert a batch of records into ci.read_audit with one statement (the
 * fields as arrays, unnested): true if done, false if the table is gone.
 */
static bool
insert_batch(const char *batch, Size len)
{
	static const Oid elemtypes[RA_FIELDS] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID,
	OIDOID, TEXTOID, TEXTOID, INT8OID, INT4OID, TEXTOID, TIMESTAMPTZOID};
	Oid			argtypes[RA_FIELDS];
	Datum		args[RA_FIELDS];
	Datum	   *values[RA_FIELDS];
	bool	   *nulls[RA_FIELDS];
	int			n = 0;
	int			room = 64;
	Oid			nsp;
	Oid			relid;
	CiUserSwitch sw;
	StringInfoData keys;

	nsp = get_namespace_oid("ci", true);
	relid = OidIsValid(nsp) ? get_relname_relid("read_audit", nsp) : InvalidOid;
	if (!OidIsValid(relid))
		return false;
	for (int f = 0; f < RA_FIELDS; f++)
	{
		values[f] = palloc(sizeof(Datum) * room);
		nulls[f] = palloc0(sizeof(bool) * room);
	}
	initStringInfo(&keys);
	for (Size off = 0; off < len; n++)
	{
		RaHeader	h;
		const char *p = batch + off + MAXALIGN(sizeof(RaHeader));

		if (n == room)
		{
			room *= 2;
			for (int f = 0; f < RA_FIELDS; f++)
			{
				values[f] = repalloc(values[f], sizeof(Datum) * room);
				nulls[f] = repalloc(nulls[f], sizeof(bool) * room);
				memset(nulls[f] + n, 0, sizeof(bool) * (room - n));
			}
		}
		memcpy(&h, batch + off, sizeof(h));
		values[0][n] = TimestampTzGetDatum(h.stmt_start);
		values[1][n] = CStringGetTextDatum(next_string(&p));
		values[2][n] = CStringGetTextDatum(next_string(&p));
		values[3][n] = CStringGetTextDatum(next_string(&p));
		nulls[3][n] = !h.has_purpose;
		values[4][n] = ObjectIdGetDatum(h.relid);
		values[5][n] = CStringGetTextDatum(next_string(&p));
		values[6][n] = CStringGetTextDatum(next_string(&p));
		values[7][n] = Int64GetDatum(h.count);
		values[8][n] = Int32GetDatum(h.pid);
		resetStringInfo(&keys);
		append_array_literal(&keys, &p, h.nkeys);
		values[9][n] = CStringGetTextDatum(keys.data);
		values[10][n] = TimestampTzGetDatum(h.recorded_at);
		off += h.len;
	}
	for (int f = 0; f < RA_FIELDS; f++)
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;
		int			dims[1] = {n};
		int			lbs[1] = {1};

		get_typlenbyvalalign(elemtypes[f], &typlen, &typbyval, &typalign);
		args[f] = PointerGetDatum(construct_md_array(values[f], nulls[f], 1, dims, lbs,
													 elemtypes[f], typlen, typbyval,
													 typalign));
		argtypes[f] = get_array_type(elemtypes[f]);
	}

	ci_become_table_owner(relid, &sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO ci.read_audit (statement_start, role_name,"
							  " session_user_name, purpose, relid, table_name, column_name,"
							  " row_count, backend_pid, row_keys, recorded_at)"
							  " SELECT s, r, u, p, o, t, c, n, b, k::pg_catalog.text[], a"
							  " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
							  "  pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
							  "  pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8),"
							  "  pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11))"
							  " AS x(s, r, u, p, o, t, c, n, b, k, a)",
							  RA_FIELDS, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert read-audit records");
	SPI_finish();
	ci_restore_user(&sw);
	return true;
}

/* Write a batch in a transaction of its own; log it if that fails. */
static void
write_batch(const char *batch, Size len, MemoryContext cxt)
{
	bool		inserted = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "inserting read-audit records");
	PG_TRY();
	{
		inserted = insert_batch(batch, len);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		inserted = false;
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	if (!inserted)
	{
		for (Size off = 0; off < len;)
		{
			uint32		mlen;

			memcpy(&mlen, batch + off, sizeof(mlen));
			ra_log(batch + off);
			off += mlen;
		}
	}
	MemoryContextSwitchTo(cxt);
}

void
ci_read_audit_worker_main(Datum arg)
{
	int			slotno = DatumGetInt32(arg);
	RaSlot	   *slot;
	Oid			dbid;
	char	   *batch;
	MemoryContext cxt;
	TimestampTz idle_since;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&dbid, MyBgworkerEntry->bgw_extra, sizeof(dbid));
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);

	slot = &ra_shared->slots[slotno];
	LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
	if (slot->dbid != dbid || slot->worker_pid != 0)
	{
		LWLockRelease(ra_shared->lock);
		proc_exit(0);
	}
	slot->worker_pid = MyProcPid;
	slot->worker_latch = MyLatch;
	slot->start_requested = 0;
	LWLockRelease(ra_shared->lock);
	before_shmem_exit(ra_worker_detach, Int32GetDatum(slotno));

	cxt = AllocSetContextCreate(TopMemoryContext, "customer_info read audit worker",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	batch = palloc(RA_BATCH_BYTES);
	idle_since = GetCurrentTimestamp();
	for (;;)
	{
		uint64		tail;
		Size		avail;
		Size		take = 0;

		CHECK_FOR_INTERRUPTS();
		LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
		tail = slot->tail;
		avail = slot->head - tail;
		if (avail == 0)
		{
			if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), RA_IDLE_EXIT_MS))
			{
				/* leave; the next reader starts another */
				slot->worker_pid = 0;
				slot->worker_latch = NULL;
				LWLockRelease(ra_shared->lock);
				ConditionVariableBroadcast(&ra_shared->cv);
				proc_exit(0);
			}
			LWLockRelease(ra_shared->lock);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 RA_POLL_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}
		/* whole records only, as many as fit a batch */
		while (take < avail)
		{
			uint32		mlen;

			ring_copy(slot, tail + take, (char *) &mlen, sizeof(mlen), false);
			if (take + mlen > RA_BATCH_BYTES)
				break;
			ring_copy(slot, tail + take, batch + take, mlen, false);
			take += mlen;
		}
		LWLockRelease(ra_shared->lock);

		write_batch(batch, take, cxt);

		LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
		slot->tail += take;
		LWLockRelease(ra_shared->lock);
		ConditionVariableBroadcast(&ra_shared->cv);
		idle_since = GetCurrentTimestamp();
		/* let records gather: one transaction for many, not one each */
		if (take < RA_BATCH_BYTES / 2)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 RA_POLL_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}

/* ---- SQL ---- */

PG_FUNCTION_INFO_V1(ci_read_audit_wait);

/*
 * ci.read_audit_wait(timeout_ms): wait until every read-audit record this
 * database queued before the call is in ci.read_audit; false on timeout.
 */
Datum
ci_read_audit_wait(PG_FUNCTION_ARGS)
{
	int32		timeout = PG_GETARG_INT32(0);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout);
	uint64		target = 0;
	bool		done = false;

	if (RecoveryInProgress() || ra_shared == NULL)
		PG_RETURN_BOOL(true);
	/* this statement's own earlier reads are queued first */
	ra_flush(true);
	for (;;)
	{
		RaSlot	   *slot;
		bool		start = false;
		int			slotno = 0;
		TimestampTz now = GetCurrentTimestamp();

		LWLockAcquire(ra_shared->lock, LW_EXCLUSIVE);
		slot = find_slot(MyDatabaseId, false);
		if (slot == NULL)
			done = true;
		else
		{
			if (target == 0)
				target = slot->head;
			done = slot->tail >= target;
			slotno = slot - ra_shared->slots;
			if (!done && slot->worker_latch != NULL)
				SetLatch(slot->worker_latch);
			if (!done && slot->worker_pid == 0 &&
				(slot->start_requested == 0 ||
				 TimestampDifferenceExceeds(slot->start_requested, now, RA_START_RETRY_MS)))
			{
				slot->start_requested = now;
				start = true;
			}
		}
		LWLockRelease(ra_shared->lock);
		if (start)
			start_worker(slotno, MyDatabaseId);
		if (done || now >= deadline)
			break;
		ConditionVariableTimedSleep(&ra_shared->cv, 100, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	PG_RETURN_BOOL(done);
}

PG_FUNCTION_INFO_V1(ci_append_only);

/*
 * ci.append_only(): a statement trigger refusing UPDATE, DELETE and
 * TRUNCATE of the table it is on, whoever runs them.
 */
Datum
ci_append_only(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.append_only() must be called as a trigger")));
	/* the retention purge removes whole sealed segments of the audit log */
	if (ci_audit_purging && TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		return PointerGetDatum(NULL);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("table \"%s\" is append-only",
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("Its rows can be added, never changed or removed.")));
	PG_RETURN_NULL();
}

/* ---- module load ---- */

void
ci_read_audit_init(void)
{
	DefineCustomBoolVariable("customer_info.read_audit",
							 "Records every clear read of C2 and C3 values.",
							 "Only superusers can turn it off.",
							 &ra_enabled, true, PGC_SUSET, GUC_SUPERUSER_ONLY,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("customer_info.read_audit_keys",
							"Row keys recorded per statement and column read in clear.",
							"Reads beyond it are counted without their keys.",
							&ra_max_keys, 100, 0, 100000, PGC_SUSET, GUC_SUPERUSER_ONLY,
							NULL, NULL, NULL);
	DefineCustomIntVariable("customer_info.read_audit_queue_size",
							"Size of each database's read-audit queue in shared memory.",
							NULL,
							&ra_queue_kb, 1024, 64, 1024 * 1024, PGC_POSTMASTER,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	ra_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info read audit",
								   ALLOCSET_SMALL_SIZES);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ra_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ra_shmem_startup;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = ra_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = ra_ExecutorEnd;
	RegisterXactCallback(ra_xact_callback, NULL);
}
