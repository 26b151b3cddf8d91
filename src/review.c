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
 * rereads both settings; SIGTERM ends it; the postmaster restarts it after
 * a crash.  A scheduler that starts after the day's time has passed runs
 * the day's sweep at once (and one whose time is moved by a reload to a
 * moment already past today, at once too): the sweep is idempotent, so a
 * restart costs a second, almost empty run and never a duplicate task.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "keys.h"
#include "review.h"

PGDLLEXPORT void ci_scheduler_main(Datum arg);
PGDLLEXPORT void ci_sweep_worker_main(Datum arg);

static char *scheduler_databases = NULL;
static char *scheduler_time = NULL;

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

/* Start the sweep in one database and wait for it. */
static void
sweep_database(const char *dbname)
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
	snprintf(worker.bgw_name, BGW_MAXLEN, "customer_info review sweep");
	strlcpy(worker.bgw_type, "customer_info review sweep", BGW_MAXLEN);
	strlcpy(worker.bgw_extra, dbname, BGW_EXTRALEN);
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(LOG,
				(errmsg("customer_info scheduler could not start the review sweep in database \"%s\"",
						dbname),
				 errhint("Raise max_worker_processes.")));
		return;
	}
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		return;
	(void) WaitForBackgroundWorkerShutdown(handle);
}

void
ci_scheduler_main(Datum arg pg_attribute_unused())
{
	TimestampTz last_run = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* no database: shared catalogs only, and a line in pg_stat_activity */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	ereport(LOG, (errmsg("customer_info scheduler started")));

	for (;;)
	{
		TimestampTz run_at;
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		run_at = todays_run_time();
		if (last_run < run_at && GetCurrentTimestamp() >= run_at)
		{
			char	   *copy = pstrdup(scheduler_databases);
			List	   *names = NIL;
			ListCell   *lc;

			last_run = GetCurrentTimestamp();
			if (SplitIdentifierString(copy, ',', &names))
				foreach(lc, names)
					sweep_database((const char *) lfirst(lc));
			list_free(names);
			pfree(copy);
			continue;
		}
		/* until today's time, or a minute at a time towards tomorrow's */
		if (GetCurrentTimestamp() >= run_at)
			wait_ms = 60 * 1000;
		else
			wait_ms = Min(60 * 1000,
						  Max(1, (long) ((run_at - GetCurrentTimestamp()) / 1000)));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* One database's sweep, in a transaction of its own. */
void
ci_sweep_worker_main(Datum arg pg_attribute_unused())
{
	char		dbname[BGW_EXTRALEN];

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, BGW_EXTRALEN);
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "SELECT ci.review_sweep()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension"
					" WHERE extname OPERATOR(pg_catalog.=) 'customer_info'", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look for the extension");
	if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "0") == 0)
		ereport(LOG,
				(errmsg("customer_info review sweep: database \"%s\" does not have the extension",
						dbname)));
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
