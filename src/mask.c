/*-------------------------------------------------------------------------
 *
 * mask.c
 *	  SQL functions for the text masks: names, email, addresses, and the
 *	  generic keep-first-and-last mask.
 *
 * The masks work on UTF-8 (mask_core.c).  In a database of another
 * encoding the value is converted to UTF-8 and the result back, so a
 * two-character name is two characters whatever the encoding.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "mask.h"
#include "mask_core.h"

PG_FUNCTION_INFO_V1(ci_mask_keep_sql);
PG_FUNCTION_INFO_V1(ci_mask_name_sql);
PG_FUNCTION_INFO_V1(ci_mask_email_sql);
PG_FUNCTION_INFO_V1(ci_mask_address_sql);

typedef size_t (*CiMaskFunc) (const char *s, size_t len, char *out);

static bool
needs_conversion(void)
{
	int			enc = GetDatabaseEncoding();

	return enc != PG_UTF8 && enc != PG_SQL_ASCII;
}

/* str as UTF-8: str itself unless the database encoding differs. */
static const char *
to_utf8(const char *str, size_t len, size_t *outlen)
{
	char	   *conv;

	*outlen = len;
	if (!needs_conversion())
		return str;
	conv = pg_server_to_any(str, (int) len, PG_UTF8);
	if (conv != str)
		*outlen = strlen(conv);
	return conv;
}

static text *
from_utf8(const char *buf, size_t len)
{
	char	   *conv;

	if (!needs_conversion())
		return cstring_to_text_with_len(buf, (int) len);
	conv = pg_any_to_server(buf, (int) len, PG_UTF8);
	return cstring_to_text(conv);
}

text *
ci_mask_apply_text(CiMaskFunc fn, const char *str, size_t len)
{
	size_t		ulen;
	const char *s = to_utf8(str, len, &ulen);
	char	   *out = palloc(CI_MASK_BUFSIZE(ulen));
	size_t		n = fn(s, ulen, out);

	return from_utf8(out, n);
}

static text *
apply_mask(CiMaskFunc fn, text *value)
{
	return ci_mask_apply_text(fn, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

/*
 * Keep the first head and last tail characters; see ci_mask_keep().
 * Also used for error messages of the identifier types.
 */
text *
ci_mask_keep_text(const char *str, size_t len, int head, int tail,
				  int max_stars)
{
	size_t		ulen;
	const char *s = to_utf8(str, len, &ulen);
	char	   *out = palloc(CI_MASK_BUFSIZE(ulen));
	size_t		n = ci_mask_keep(s, ulen, head, tail, max_stars, out);

	return from_utf8(out, n);
}

Datum
ci_mask_keep_sql(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	int32		head = PG_GETARG_INT32(1);
	int32		tail = PG_GETARG_INT32(2);

	if (head < 0 || tail < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("numbers of characters to keep must not be negative")));
	PG_RETURN_TEXT_P(ci_mask_keep_text(VARDATA_ANY(value),
									   VARSIZE_ANY_EXHDR(value),
									   head, tail, 0));
}

Datum
ci_mask_name_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_mask(ci_mask_name, PG_GETARG_TEXT_PP(0)));
}

Datum
ci_mask_email_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_mask(ci_mask_email, PG_GETARG_TEXT_PP(0)));
}

Datum
ci_mask_address_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(apply_mask(ci_mask_address, PG_GETARG_TEXT_PP(0)));
}
