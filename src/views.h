/*-------------------------------------------------------------------------
 *
 * views.h
 *	  Masked views and the DDL hook that keeps them in step (views.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_VIEWS_H
#define CI_VIEWS_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* the statement the extension is running itself: the hook stands aside */
extern const char *ci_internal_sql;

extern void ci_views_init(void);

/* protect.c: bumped by every invalidation that can change a policy */
extern uint64 ci_policy_generation(void);
extern List *ci_detach_view(Oid relid);
extern void ci_attach_view(Oid relid, List *grants);

/* an error if the table has row-level security enabled or forced */
extern void ci_refuse_row_security(Oid relid);

#endif							/* CI_VIEWS_H */
