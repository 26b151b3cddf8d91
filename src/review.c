/*-------------------------------------------------------------------------
 *
 * review.c
 *	  Review scheduling: the review trigger of attached tables, and the
 *	  background scheduler that runs ci.review_sweep() every day.
 *
 * The schedule, the queue and the sweep are SQL (the install script).
 * The scheduler is a background worker registered at preload, like
 * pg_cron's launcher: it sleeps on its latch until
 * customer_info.scheduler_time, then starts one worker per database of
 * customer_info.scheduler_databases, each running the sweep in a
 * transaction of its own and logging one line with its counts.  SIGHUP
 * rereads both settings (and an empty database list is said in the log,
 * at start and whenever a reload changes the list); SIGTERM ends it
 * quietly, as pg_cron's launcher does: a flag and the latch, the loop
 * ends, exit code 0 (so the postmaster does not start it again until the
 * server restarts).  The workers end quietly too: a SIGTERM during a run
 * cancels the statement, the transaction is rolled back and the worker
 * exits with 0 (the next run does the work).  The postmaster restarts the
 * scheduler after a crash.  A scheduler that starts after the day's time has passed runs
 * the day's sweep at once (and one whose time is moved by a reload to a
 * moment already past today, at once too): the sweep is idempotent, so a
 * restart costs a second, almost empty run and never a duplicate task.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "keys.h"
#include "review.h"

PGDLLEXPORT void ci_scheduler_main(Datum arg);
PGDLLEXPORT void ci_sweep_worker_main(Datum arg);

static char *scheduler_databases = NULL;
static char *scheduler_time = NULL;
static int	audit_seal_interval = 60;

/* what a worker started by the scheduler does */
#define JOB_SWEEP	0
#define JOB_SEAL	1

static bool
check_scheduler_time(char **newval, void **extra pg_attribute_unused(),
					 GucSource source pg_attribute_unused())
{
	int			h,
				m;
	char		tail;

	if (*newval == NULL ||
		sscanf(*newval, "%d:%d%c", &h, &m, &tail) != 2 ||
		h < 0 || h > 23 || m < 0 || m > 59)
	{
		GUC_check_errdetail("The time is HH:MM, 24-hour, in the server's time zone.");
		return false;
	}
	return true;
}

static bool
check_scheduler_databases(char **newval, void **extra pg_attribute_unused(),
						  GucSource source pg_attribute_unused())
{
	char	   *copy;
	List	   *names;
	bool		ok;

	if (*newval == NULL)
		return true;
	copy = pstrdup(*newval);
	ok = SplitIdentifierString(copy, ',', &names);
	if (!ok)
		GUC_check_errdetail("List the databases separated by commas.");
	list_free(names);
	pfree(copy);
	return ok;
}

void
ci_review_init(void)
{
	BackgroundWorker worker;

	DefineCustomStringVariable("customer_info.scheduler_databases",
							   "Databases whose customers the scheduler reviews every day.",
							   "A comma-separated list; empty: none.",
							   &scheduler_databases, "", PGC_SIGHUP, 0,
							   check_scheduler_databases, NULL, NULL);
	DefineCustomStringVariable("customer_info.scheduler_time",
							   "Time of day (HH:MM) the scheduler runs the review sweep.",
							   NULL,
							   &scheduler_time, "02:00", PGC_SIGHUP, 0,
							   check_scheduler_time, NULL, NULL);
	DefineCustomIntVariable("customer_info.audit_seal_interval",
							"How often the scheduler seals the audit log of its databases.",
							"0 turns it off (ci.audit_seal() can be called instead).",
							&audit_seal_interval, 60, 0, 86400, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "customer_info", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ci_scheduler_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "customer_info scheduler", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "customer_info scheduler", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* Today's run time, in the server's time zone. */
static TimestampTz
todays_run_time(void)
{
	int			h = 2,
				m = 0;
	TimestampTz now = GetCurrentTimestamp();
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	TimestampTz result;

	(void) sscanf(scheduler_time, "%d:%d", &h, &m);
	if (timestamp2tm(now, &tz, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range");
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = 0;
	tz = DetermineTimeZoneOffset(&tm, session_timezone);
	if (tm2timestamp(&tm, 0, &tz, &result) != 0)
		elog(ERROR, "timestamp out of range");
	return result;
}

/* Start the sweep (or the sealing) in one database and wait for it. */
static void
run_in_database(const char *dbname, int job)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "customer_info", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "ci_sweep_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, job == JOB_SWEEP ? "customer_info review sweep" :
			"customer_info audit sealer", BGW_MAXLEN);
	strlcpy(worker.bgw_type, worker.bgw_name, BGW_MAXLEN);
	strlcpy(worker.bgw_extra, dbname, BGW_EXTRALEN);
	worker.bgw_main_arg = Int32GetDatum(job);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(LOG,
				(errmsg("customer_info scheduler could not start a worker in database \"%s\"",
						dbname),
				 errhint("Raise max_worker_processes.")));
		return;
	}
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		return;
	(void) WaitForBackgroundWorkerShutdown(handle);
}

/* Run a job in every configured database, until a shutdown request. */
static void
run_everywhere(int job)
{
	char	   *copy = pstrdup(scheduler_databases);
	List	   *names = NIL;
	ListCell   *lc;

	if (SplitIdentifierString(copy, ',', &names))
		foreach(lc, names)
		{
			if (ShutdownRequestPending)
				break;
			run_in_database((const char *) lfirst(lc), job);
		}
	list_free(names);
	pfree(copy);
}

/* Is a database in customer_info.scheduler_databases (as the scheduler reads it)? */
static bool
database_is_served(const char *dbname)
{
	char	   *copy;
	List	   *names = NIL;
	ListCell   *lc;
	bool		found = false;

	if (scheduler_databases == NULL)
		return false;
	copy = pstrdup(scheduler_databases);
	if (SplitIdentifierString(copy, ',', &names))
		foreach(lc, names)
		{
			if (strcmp((const char *) lfirst(lc), dbname) == 0)
				found = true;
		}
	list_free(names);
	pfree(copy);
	return found;
}

/* One line in the log saying which databases the scheduler serves. */
static void
log_served_databases(void)
{
	if (scheduler_databases == NULL || scheduler_databases[0] == '\0')
		ereport(LOG,
				(errmsg("customer_info scheduler serves no database: no daily review sweep and no audit sealing will run"),
				 errhint("Set customer_info.scheduler_databases to the databases that have the extension and reload the configuration.")));
	else
		ereport(LOG,
				(errmsg("customer_info scheduler serves databases: %s", scheduler_databases)));
}

void
ci_scheduler_main(Datum arg pg_attribute_unused())
{
	TimestampTz last_run = 0;
	TimestampTz last_seal = 0;
	char	   *served;

	/* SIGTERM: a flag and the latch; the loop ends and we exit quietly */
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	/* no database: shared catalogs only, and a line in pg_stat_activity */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	ereport(LOG, (errmsg("customer_info scheduler started")));
	log_served_databases();
	served = MemoryContextStrdup(TopMemoryContext, scheduler_databases);

	while (!ShutdownRequestPending)
	{
		TimestampTz run_at;
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (strcmp(served, scheduler_databases) != 0)
			{
				log_served_databases();
				pfree(served);
				served = MemoryContextStrdup(TopMemoryContext, scheduler_databases);
			}
		}
		run_at = todays_run_time();
		if (last_run < run_at && GetCurrentTimestamp() >= run_at)
		{
			last_run = GetCurrentTimestamp();
			run_everywhere(JOB_SWEEP);
			continue;
		}
		if (audit_seal_interval > 0 &&
			TimestampDifferenceExceeds(last_seal, GetCurrentTimestamp(),
									   audit_seal_interval * 1000))
		{
			last_seal = GetCurrentTimestamp();
			run_everywhere(JOB_SEAL);
			continue;
		}
		/* until today's time, or a minute at a time towards tomorrow's */
		if (GetCurrentTimestamp() >= run_at)
			wait_ms = 60 * 1000;
		else
			wait_ms = Min(60 * 1000,
						  Max(1, (long) ((run_at - GetCurrentTimestamp()) / 1000)));
		if (audit_seal_interval > 0)
			wait_ms = Min(wait_ms, Max(1, audit_seal_interval * 1000L -
									   (long) ((GetCurrentTimestamp() - last_seal) / 1000)));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	ereport(LOG, (errmsg("customer_info scheduler shutting down")));
	proc_exit(0);
}

/*
 * SIGTERM in a worker that runs: ask to shut down and cancel the running
 * statement, so that the run ends at its next interrupt check and the
 * worker leaves quietly.
 */
static void
worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	ShutdownRequestPending = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* One database's sweep (or sealing), in a transaction of its own. */
void
ci_sweep_worker_main(Datum arg)
{
	int			job = DatumGetInt32(arg);
	const char *what = job == JOB_SWEEP ? "review sweep" : "audit sealer";
	char		dbname[BGW_EXTRALEN];

	/* until connected, a SIGTERM only sets the flag */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, BGW_EXTRALEN);
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	if (ShutdownRequestPending)
		proc_exit(0);
	pqsignal(SIGTERM, worker_sigterm);

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, job == JOB_SWEEP ? "SELECT ci.review_sweep()" :
							   "SELECT ci.audit_seal()");
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute("SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension"
						" WHERE extname OPERATOR(pg_catalog.=) 'customer_info'", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not look for the extension");
		if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "0") == 0)
			ereport(job == JOB_SWEEP ? LOG : DEBUG1,
					(errmsg("customer_info scheduler: database \"%s\" does not have the extension",
							dbname)));
		else if (job == JOB_SEAL)
		{
			char	   *n;

			if (SPI_execute("SELECT ci.audit_seal()::pg_catalog.text", false, 0) != SPI_OK_SELECT)
				elog(ERROR, "sealing the audit log failed");
			n = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			ereport(strcmp(n, "0") == 0 ? DEBUG1 : LOG,
					(errmsg("customer_info audit sealer in database \"%s\": %s rows sealed", dbname, n)));
		}
		else
		{
			if (SPI_execute("SELECT ci.review_sweep()::pg_catalog.text", false, 0) != SPI_OK_SELECT)
				elog(ERROR, "the review sweep failed");
			ereport(LOG,
					(errmsg("customer_info review sweep in database \"%s\": %s", dbname,
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))));
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* cancelled by a shutdown request: roll back, say so, exit quietly */
		if (!ShutdownRequestPending)
			PG_RE_THROW();
		HOLD_INTERRUPTS();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		QueryCancelPending = false;
		ereport(LOG,
				(errmsg("customer_info %s in database \"%s\" stopped by a shutdown request; nothing of it was kept",
						what, dbname)));
		proc_exit(0);
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

PG_FUNCTION_INFO_V1(ci_review_trigger);

/*
 * ci.review_trigger(tbl, attach): create (or drop) the review trigger of
 * a table, as the table's owner.
 */
Datum
ci_review_trigger(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));

	ci_require_admin("attach review scheduling");
	if (PG_GETARG_BOOL(1))
		ci_require_table(relid);
	if (PG_GETARG_BOOL(1) && !database_is_served(get_database_name(MyDatabaseId)))
		ereport(NOTICE,
				(errmsg("the customer_info scheduler does not serve database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("No daily review sweep runs in this database, and its audit log is not sealed automatically."),
				 errhint("Add the database to customer_info.scheduler_databases and reload the configuration, or schedule SELECT ci.review_sweep() with pg_cron.")));
	if (PG_GETARG_BOOL(1))
		ci_run_as_table_owner(relid,
							  psprintf("CREATE TRIGGER customer_info_review"
									   " AFTER INSERT OR UPDATE OR DELETE ON %s"
									   " FOR EACH ROW EXECUTE FUNCTION ci.review_row()", qrel));
	else
		ci_run_as_table_owner(relid,
							  psprintf("DROP TRIGGER IF EXISTS customer_info_review ON %s", qrel));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ci_review_set_level);

/* set while ci.review_set_level() writes: its UPDATE makes no risk-change task */
static bool setting_level = false;

/*
 * ci.review_set_level(tbl, key_col, risk_col, customer, level): the new
 * risk level of a completed review, written into the customer's row as
 * the table's owner (names quoted, values as parameters).
 */
Datum
ci_review_set_level(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));
	CiUserSwitch sw;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {PG_GETARG_DATUM(4), PG_GETARG_DATUM(3)};
	char	   *sql = psprintf("UPDATE %s SET %s = $1 WHERE %s::pg_catalog.text OPERATOR(pg_catalog.=) $2",
							   qrel, quote_identifier(NameStr(*PG_GETARG_NAME(2))),
							   quote_identifier(NameStr(*PG_GETARG_NAME(1))));

	ci_require_table(relid);
	ci_become_table_owner(relid, &sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	setting_level = true;
	PG_TRY();
	{
		if (SPI_execute_with_args(sql, 2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not write the new risk level");
	}
	PG_FINALLY();
	{
		setting_level = false;
	}
	PG_END_TRY();
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ci_review_completing);

/* ci.review_completing(): is ci.review_set_level() at work? */
Datum
ci_review_completing(PG_FUNCTION_ARGS pg_attribute_unused())
{
	PG_RETURN_BOOL(setting_level);
}

PG_FUNCTION_INFO_V1(ci_column_text);

/*
 * ci.column_text(row, col): a column of a row as its type's output
 * function writes it (NULL if null or if there is no such column).  The
 * review functions run as the extension's owner and read customer rows
 * with it rather than with casts or to_jsonb(), which can call functions
 * a table owner wrote.
 */
Datum
ci_column_text(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	const char *col = NameStr(*PG_GETARG_NAME(1));
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
											  HeapTupleHeaderGetTypMod(rec));
	HeapTupleData tuple;
	int			attnum = 0;
	bool		isnull = true;
	Datum		value = (Datum) 0;
	Oid			typoutput = InvalidOid;
	bool		varlena;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), col) == 0)
		{
			attnum = i + 1;
			getTypeOutputInfo(att->atttypid, &typoutput, &varlena);
			break;
		}
	}
	if (attnum > 0)
	{
		tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = rec;
		value = heap_getattr(&tuple, attnum, desc, &isnull);
	}
	ReleaseTupleDesc(desc);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(OidOutputFunctionCall(typoutput, value)));
}

PG_FUNCTION_INFO_V1(ci_row_jsonb);

/*
 * ci.row_jsonb(row): a row as a jsonb object, built without to_jsonb(),
 * which would call a cast to json a table owner created on her own type.
 * Every value goes through its type's output function: numbers, booleans
 * and json of the built-in types keep their JSON kind, the rest become
 * strings (as their output functions write them).
 */
Datum
ci_row_jsonb(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec),
											  HeapTupleHeaderGetTypMod(rec));
	HeapTupleData tuple;
	StringInfoData buf;
	bool		first = true;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			typoutput;
		bool		varlena;
		bool		isnull;
		Datum		value;
		char	   *out;

		if (att->attisdropped)
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, NameStr(att->attname));
		appendStringInfoString(&buf, ": ");
		value = heap_getattr(&tuple, i + 1, desc, &isnull);
		if (isnull)
		{
			appendStringInfoString(&buf, "null");
			continue;
		}
		getTypeOutputInfo(att->atttypid, &typoutput, &varlena);
		out = OidOutputFunctionCall(typoutput, value);
		switch (getBaseType(att->atttypid))
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
				appendStringInfoString(&buf, out);
				break;
			case NUMERICOID:
			case FLOAT4OID:
			case FLOAT8OID:
				/* NaN and the infinities are no JSON numbers */
				if (strspn(out, "0123456789.-+eE") == strlen(out) &&
					out[strlen(out) - 1] >= '0' && out[strlen(out) - 1] <= '9')
					appendStringInfoString(&buf, out);
				else
					escape_json(&buf, out);
				break;
			case BOOLOID:
				appendStringInfoString(&buf, strcmp(out, "t") == 0 ? "true" : "false");
				break;
			case JSONOID:
			case JSONBOID:
				appendStringInfoString(&buf, out);
				break;
			default:
				escape_json(&buf, out);
				break;
		}
	}
	appendStringInfoChar(&buf, '}');
	ReleaseTupleDesc(desc);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(ci_review_rows);

/*
 * ci.review_rows(tbl, cols): the given columns of every row of a table, as
 * their output functions write them, read as the table's owner inside a
 * security-restricted operation (FROM ONLY, row security off: a policy
 * makes it fail).  ci.attach_review() runs as the extension's owner and
 * reads the customers already there with it, so that nothing the table's
 * owner wrote runs with the extension owner's rights.
 */
Datum
ci_review_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	ArrayType  *cols;
	Datum	   *names;
	bool	   *names_null;
	int			ncols;
	StringInfoData sql;
	CiUserSwitch sw;

	ci_require_admin("attach review scheduling");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and columns must not be null")));
	relid = PG_GETARG_OID(0);
	ci_require_table(relid);
	cols = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(cols, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &names, &names_null, &ncols);
	if (ncols < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at least one column must be given")));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < ncols; i++)
	{
		const char *col;

		if (names_null[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column names must not be null")));
		col = NameStr(*DatumGetName(names[i]));
		if (get_attnum(relid, col) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of table \"%s\" does not exist", col, get_rel_name(relid))));
		appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "", quote_identifier(col));
	}
	appendStringInfo(&sql, " FROM ONLY %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	ci_become_table_owner(relid, &sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read table \"%s\"", get_rel_name(relid));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		Datum	   *texts = palloc(ncols * sizeof(Datum));
		bool	   *nulls = palloc(ncols * sizeof(bool));
		int			dims[1] = {ncols};
		int			lbs[1] = {1};
		Datum		row;
		bool		row_null = false;

		for (int i = 0; i < ncols; i++)
		{
			/* the output function chosen by the column's type OID */
			char	   *v = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, i + 1);

			nulls[i] = (v == NULL);
			texts[i] = v == NULL ? (Datum) 0 : CStringGetTextDatum(v);
		}
		row = PointerGetDatum(construct_md_array(texts, nulls, 1, dims, lbs,
												 TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &row, &row_null);
	}
	SPI_finish();
	ci_restore_user(&sw);
	return (Datum) 0;
}
