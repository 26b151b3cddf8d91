/*-------------------------------------------------------------------------
 *
 * ident.h
 *	  SQL-facing support shared by the identifier types.
 *
 * Each identifier type (cn_id, uscc, cn_mobile, bank_card) is described by
 * a CiIdentType; the generic functions in ident.c do text and binary I/O,
 * validity checks, error reporting and masking for all of them, and
 * CI_IDENT_SQL_FUNCTIONS declares the per-type entry points that the
 * install script names.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_IDENT_H
#define CI_IDENT_H

#include "fmgr.h"

#include "ident_parse.h"

typedef struct CiIdentType
{
	const char *typname;		/* SQL name, e.g. "ci.cn_id" */
	const char *noun;			/* what it is, for error details */
	const char *length_rule;	/* "has ..." */
	const char *charset_rule;	/* which characters are allowed */
	const char *check_name;		/* "check character", "Luhn check digit" */
	int			mask_head;		/* characters the built-in mask keeps */
	int			mask_tail;
	int			min_length;		/* shortest valid input, in characters */
	bool		byval;			/* int64 by value, else CI_USCC_PACKED_LEN */
	CiParseFunc parse;
	CiFormatFunc format;
} CiIdentType;

extern Datum ci_ident_in(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_out(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_recv(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_send(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_is_valid(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_invalid_reason(const CiIdentType *type,
									 FunctionCallInfo fcinfo);
extern Datum ci_ident_mask(const CiIdentType *type, FunctionCallInfo fcinfo);
extern Datum ci_ident_mask_text(const CiIdentType *type,
								FunctionCallInfo fcinfo);

extern void ci_ident_get(const CiIdentType *type, Datum datum,
						 CiIdentValue *value);
extern void ci_ident_canonical(const CiIdentType *type, const char *str,
							   size_t len, char *buf);

extern const CiIdentType ci_cn_id_type;
extern const CiIdentType ci_uscc_type;
extern const CiIdentType ci_cn_mobile_type;
extern const CiIdentType ci_bank_card_type;

/*
 * The eight entry points every identifier type has: text and binary I/O,
 * ci.is_valid_<type>(text), ci.<type>_invalid_reason(text), ci.mask(<type>)
 * and ci.mask_<type>(text).
 */
#define CI_IDENT_ONE_FUNCTION(name, generic, type) \
	PG_FUNCTION_INFO_V1(name); \
	Datum name(PG_FUNCTION_ARGS) { return generic(&(type), fcinfo); }

#define CI_IDENT_SQL_FUNCTIONS(prefix, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_in, ci_ident_in, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_out, ci_ident_out, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_recv, ci_ident_recv, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_send, ci_ident_send, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_is_valid, ci_ident_is_valid, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_invalid_reason, ci_ident_invalid_reason, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_mask, ci_ident_mask, type) \
	CI_IDENT_ONE_FUNCTION(prefix##_mask_text, ci_ident_mask_text, type)

#endif							/* CI_IDENT_H */
