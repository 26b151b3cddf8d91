/*-------------------------------------------------------------------------
 *
 * customer_info.c
 *	  Module load: the preload check and the extension's settings.
 *
 * customer_info must be loaded through shared_preload_libraries: the root
 * key is read once by the postmaster, and the background worker and hooks
 * are registered there.  Loading it any other way (CREATE EXTENSION, LOAD)
 * fails with an error that says how to fix it, as pgaudit does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "access.h"
#include "audit.h"
#include "keys.h"
#include "log_scrub.h"
#include "read_audit.h"
#include "review.h"
#include "views.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Packed identifiers are int8 passed by value: 64-bit platforms only. */
#ifndef USE_FLOAT8_BYVAL
#error "customer_info requires a 64-bit server (USE_FLOAT8_BYVAL)"
#endif

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("customer_info must be loaded via shared_preload_libraries"),
				 errhint("Add customer_info to shared_preload_libraries in postgresql.conf and restart the server.")));

	ci_keys_init();
	ci_views_init();
	ci_access_init();
	ci_read_audit_init();
	ci_review_init();
	ci_audit_init();
	ci_log_scrub_init();
	MarkGUCPrefixReserved("customer_info");
	ci_keys_load_root();
}
