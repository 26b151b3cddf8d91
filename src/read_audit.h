/*-------------------------------------------------------------------------
 *
 * read_audit.h
 *	  Recording of clear reads of C2 and C3 values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_READ_AUDIT_H
#define CI_READ_AUDIT_H

extern void ci_read_audit_init(void);

/*
 * Count one clear read of a value of column attname of relid by the
 * current statement; true if its row key is wanted next, through
 * ci_read_audit_key() (the first customer_info.read_audit_keys of each
 * statement and column are).
 */
extern bool ci_read_audit_count(Oid relid, const char *attname);
extern void ci_read_audit_key(const char *key, int len);

#endif							/* CI_READ_AUDIT_H */
