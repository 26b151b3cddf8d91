/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  The audit log and its hash chain (audit.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_AUDIT_H
#define CI_AUDIT_H

#include "postgres.h"

#include "access/attnum.h"

/* How the audit log shows a column (protect.c decides). */
#define CI_AUDIT_STORED	's'
#define CI_AUDIT_MASKED	'm'
#define CI_AUDIT_SKIP	'-'

extern void ci_audit_column_forms(Oid relid, int natts, char *forms,
								  AttrNumber *mask_attnums);
extern void ci_audit_init(void);

/* For the utility hook: audited tables whose triggers are switched off. */
extern bool ci_audited(Oid relid);
extern void ci_audit_triggers_off(Oid relid);

/* set while ci.audit_purge() deletes: ci.append_only() lets it */
extern bool ci_audit_purging;

#endif							/* CI_AUDIT_H */
