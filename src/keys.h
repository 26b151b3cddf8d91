/*-------------------------------------------------------------------------
 *
 * keys.h
 *	  The root key, the data keys it wraps, and the settings that say where
 *	  the root key comes from.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_KEYS_H
#define CI_KEYS_H

#include "envelope.h"

/* A data key, unwrapped, as the per-backend cache holds it. */
typedef struct CiDataKey
{
	int32		key_id;
	CiSuite		suite;
	bool		active;
	uint8		key[CI_KEY_LEN];
} CiDataKey;

extern void ci_keys_init(void);
extern void ci_keys_load_root(void);

/* The active data key for new writes; an error if there is none. */
extern const CiDataKey *ci_active_data_key(void);
extern bool ci_has_active_data_key(void);
/* Changes whenever the data key cache is emptied. */
extern uint64 ci_key_cache_generation(void);
/* A data key by id; an error if unknown or not unwrappable. */
extern const CiDataKey *ci_data_key(int32 key_id);

/* Create a new active data key (the first, or by rotation); its id. */
extern int32 ci_create_data_key(CiSuite suite);

/* Wrap and unwrap a column's 32-byte secret (e.g. a blind-index key). */
extern bytea *ci_wrap_secret(CiSuite suite, const uint8 *secret,
							 const char *purpose);
extern void ci_unwrap_secret(bytea *wrapped, const char *purpose,
							 uint8 *secret);

extern CiSuite ci_suite_from_name(const char *name);
extern const char *ci_suite_name(CiSuite suite);

/* What a column's blind-index key is wrapped for (protect.c). */
extern char *index_key_purpose(const uint8 *column_id);

/* Role checks: an error naming the missing role. */
extern void ci_require_admin(const char *what);

/*
 * Run SQL as the owner of the extension's tables, or as the owner of a
 * user's table: inside a security-restricted operation, with search_path
 * pinned to pg_catalog, pg_temp and every setting the SQL changes undone
 * by ci_restore_user().
 */
typedef struct CiUserSwitch
{
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
} CiUserSwitch;

extern void ci_become_owner(CiUserSwitch *sw);
extern void ci_become_table_owner(Oid relid, CiUserSwitch *sw);
extern void ci_become_role(Oid role, CiUserSwitch *sw);
extern Oid	ci_relation_owner(Oid relid);
extern void ci_restore_user(CiUserSwitch *sw);

/* An error unless relid is a plain table. */
extern void ci_require_table(Oid relid);

/* Run fixed SQL (quoted names, no user text) on a table as its owner. */
extern void ci_run_as_table_owner(Oid relid, const char *cmd);

#endif							/* CI_KEYS_H */
