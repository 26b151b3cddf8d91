/*-------------------------------------------------------------------------
 *
 * review.h
 *	  Review scheduling: its settings and the background scheduler.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_REVIEW_H
#define CI_REVIEW_H

extern void ci_review_init(void);

#endif							/* CI_REVIEW_H */
