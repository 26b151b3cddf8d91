/*-------------------------------------------------------------------------
 *
 * consent.h
 *	  Consent answers, consent guards and customer columns (consent.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_CONSENT_H
#define CI_CONSENT_H

/* Does the customer consent to the purpose now?  (partner may be NULL) */
extern bool ci_has_consent_cstring(const char *customer, const char *purpose,
								   const char *partner);

/* The declared customer column of a table, NULL if none. */
extern char *ci_customer_attname(Oid relid);

#endif							/* CI_CONSENT_H */
