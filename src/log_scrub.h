/*-------------------------------------------------------------------------
 *
 * log_scrub.h
 *	  Keeping plaintext of protected tables out of the server log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_LOG_SCRUB_H
#define CI_LOG_SCRUB_H

extern void ci_log_scrub_init(void);

#endif							/* CI_LOG_SCRUB_H */
