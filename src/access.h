/*-------------------------------------------------------------------------
 *
 * access.h
 *	  Access levels of roles to protected columns.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_ACCESS_H
#define CI_ACCESS_H

#include "datatype/timestamp.h"

typedef enum CiAccessLevel
{
	CI_LEVEL_NONE = 0,
	CI_LEVEL_MASKED = 1,
	CI_LEVEL_CLEAR = 2
} CiAccessLevel;

extern CiAccessLevel ci_access_level(Oid relid, const char *attname,
									 const char *category, TimestampTz *until);
extern void ci_access_init(void);
extern const char *ci_session_purpose(void);
extern void ci_check_purpose(void);

/* An interval setting (not negative) parsed without raising errors. */
extern bool ci_parse_interval_setting(const char *s, Interval *result);
extern bool ci_check_interval_setting(char **newval, void **extra, const char *detail);

/* DROP ROLE and DROP OWNED BY (the ProcessUtility hook). */
extern void ci_check_role_droppable(Oid role);
extern void ci_forget_role(Oid role);
extern void ci_forget_dropped_role(Oid role);

#endif							/* CI_ACCESS_H */
