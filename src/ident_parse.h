/*-------------------------------------------------------------------------
 *
 * ident_parse.h
 *	  Validation, packing and formatting of Chinese identifiers.
 *
 * This layer knows nothing about PostgreSQL: it works on byte strings and
 * fixed-size packed values, so the fuzz targets under test/fuzz can link it
 * on its own.  The SQL-facing wrappers are in cn_id.c, uscc.c, cn_mobile.c
 * and bank_card.c; they turn a CiParseError into an ereport().
 *
 * Packed forms (all compare like the canonical text, except bank_card, see
 * parse_bank_card.c):
 *	cn_id		int64: the first 17 digits; the check character is derived.
 *	cn_mobile	int64: the 11 digits.
 *	bank_card	int64: all digits but the Luhn digit, left-aligned to 18
 *				digits, times 8, plus (length - 12).
 *	uscc		9 bytes, big-endian: the first 16 characters in mixed radix;
 *				the two check characters (17 and 18) are derived.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_IDENT_PARSE_H
#define CI_IDENT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a value was refused.  CI_OK means it was accepted. */
typedef enum CiParseStatus
{
	CI_OK = 0,
	CI_ERR_LENGTH,				/* wrong number of characters */
	CI_ERR_CHARSET,				/* a character outside the allowed set */
	CI_ERR_REGION,				/* cn_id: unknown province code */
	CI_ERR_REGION_DIGIT,		/* uscc: a non-digit in the region code */
	CI_ERR_YEAR,				/* birth year out of range */
	CI_ERR_MONTH,				/* month not 01..12 */
	CI_ERR_DAY,					/* day not in the month (incl. 29 Feb) */
	CI_ERR_CHECK,				/* final check character wrong */
	CI_ERR_ORG_CHECK,			/* USCC: embedded organisation code check */
	CI_ERR_PREFIX,				/* mobile: not 13..19 */
	CI_ERR_COUNTRY				/* mobile: a country code other than 86 */
} CiParseStatus;

typedef struct CiParseError
{
	CiParseStatus status;
	int			position;		/* 1-based character position, or 0 */
	int			length;			/* number of significant characters seen */
	char		found;			/* check character found (CI_ERR_*CHECK) */
	char		expected;		/* check character expected */
} CiParseError;

/* Canonical text lengths (without the terminating NUL). */
#define CI_CN_ID_LEN		18
#define CI_USCC_LEN			18
#define CI_CN_MOBILE_LEN	11
#define CI_BANK_CARD_MINLEN 12
#define CI_BANK_CARD_MAXLEN 19
#define CI_USCC_PACKED_LEN	9

/* Oldest and newest birth years accepted in a resident ID number. */
#define CI_CN_ID_MIN_YEAR	1850
#define CI_CN_ID_MAX_YEAR	2099

/* A packed value: i64 for cn_id, cn_mobile and bank_card, bytes for uscc. */
typedef union CiIdentValue
{
	int64_t		i64;
	uint8_t		bytes[CI_USCC_PACKED_LEN];
} CiIdentValue;

/*
 * Each parser returns true and stores the packed value, or returns false and
 * says why in *err.  Each formatter writes the canonical text and a NUL into
 * buf (at least CI_IDENT_BUFSIZE bytes) and returns its length.
 */
#define CI_IDENT_BUFSIZE	20

typedef bool (*CiParseFunc) (const char *str, size_t len,
							 CiIdentValue *result, CiParseError *err);
typedef int (*CiFormatFunc) (const CiIdentValue *value, char *buf);

extern bool ci_parse_cn_id(const char *str, size_t len, CiIdentValue *result,
						   CiParseError *err);
extern int	ci_format_cn_id(const CiIdentValue *value, char *buf);
extern char ci_cn_id_check_char(const char *digits17);
extern void ci_cn_id_birth(int64_t packed, int *year, int *month, int *day);

extern bool ci_parse_uscc(const char *str, size_t len, CiIdentValue *result,
						  CiParseError *err);
extern int	ci_format_uscc(const CiIdentValue *value, char *buf);

extern bool ci_parse_cn_mobile(const char *str, size_t len,
							   CiIdentValue *result, CiParseError *err);
extern int	ci_format_cn_mobile(const CiIdentValue *value, char *buf);

extern bool ci_parse_bank_card(const char *str, size_t len,
							   CiIdentValue *result, CiParseError *err);
extern int	ci_format_bank_card(const CiIdentValue *value, char *buf);

/* Whitespace accepted around a value, as int4in does. */
extern void ci_trim_space(const char **str, size_t *len);
/* 1-based position of the character at byte offset i of UTF-8 text. */
extern int	ci_char_position(const char *str, size_t i);

#endif							/* CI_IDENT_PARSE_H */
