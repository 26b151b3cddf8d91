/*-------------------------------------------------------------------------
 *
 * ident.c
 *	  Text and binary I/O, validity checks, error reports and masks shared
 *	  by the identifier types.
 *
 * An identifier's error message shows the input only in the masked form of
 * its type (an ID number keeps its first six and last four characters), so
 * neither the server log nor a client sees a whole invalid value.
 *
 * The binary format of every identifier type is its canonical text, so
 * binary COPY and protocol-level binary parameters are validated exactly as
 * text input is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "ident.h"
#include "mask.h"

/* At most this many '*' stand for the hidden middle of a bad input. */
#define CI_ERROR_MAX_STARS	24

static char *
ident_reason(const CiIdentType *type, const CiParseError *err)
{
	switch (err->status)
	{
		case CI_OK:
			break;
		case CI_ERR_LENGTH:
			return psprintf("A %s has %s, not %d.",
							type->noun, type->length_rule, err->length);
		case CI_ERR_CHARSET:
			return psprintf("Character %d is not allowed: %s.",
							err->position, type->charset_rule);
		case CI_ERR_REGION:
			return pstrdup("The first two digits are not a province code of GB/T 2260.");
		case CI_ERR_REGION_DIGIT:
			return psprintf("Character %d is not a digit: characters 3 to 8 are the region code.",
							err->position);
		case CI_ERR_YEAR:
			return psprintf("The birth date is not a valid date: the year is not between %d and %d.",
							CI_CN_ID_MIN_YEAR, CI_CN_ID_MAX_YEAR);
		case CI_ERR_MONTH:
			return pstrdup("The birth date is not a valid date: the month is not between 01 and 12.");
		case CI_ERR_DAY:
			return pstrdup("The birth date is not a valid date: the day does not exist in its month.");
		case CI_ERR_CHECK:
			/* name the character found only where the mask shows it */
			if (err->position > err->length - type->mask_tail)
				return psprintf("The %s is \"%c\" but \"%c\" was expected.",
								type->check_name, err->found, err->expected);
			return psprintf("The %s (character %d) is wrong: \"%c\" was expected.",
							type->check_name, err->position, err->expected);
		case CI_ERR_ORG_CHECK:
			return psprintf("The organisation code check character (character 17) is wrong: \"%c\" was expected.",
							err->expected);
		case CI_ERR_PREFIX:
			return pstrdup("A mainland mobile number starts with 13 to 19.");
		case CI_ERR_COUNTRY:
			return pstrdup("The only country code accepted is +86.");
	}
	elog(ERROR, "unexpected identifier parse status %d", (int) err->status);
	return NULL;				/* keep compiler quiet */
}

static Datum
ident_to_datum(const CiIdentType *type, const CiIdentValue *value)
{
	uint8_t    *copy;

	if (type->byval)
		return Int64GetDatum(value->i64);
	copy = palloc(CI_USCC_PACKED_LEN);
	memcpy(copy, value->bytes, CI_USCC_PACKED_LEN);
	return PointerGetDatum(copy);
}

void
ci_ident_get(const CiIdentType *type, Datum datum, CiIdentValue *value)
{
	if (type->byval)
		value->i64 = DatumGetInt64(datum);
	else
		memcpy(value->bytes, DatumGetPointer(datum), CI_USCC_PACKED_LEN);
}

/* Parse str, or report why not with the input masked. */
static Datum
ident_parse(const CiIdentType *type, const char *str, size_t len)
{
	CiIdentValue value;
	CiParseError err;

	if (!type->parse(str, len, &value, &err))
	{
		int			nchars = pg_mbstrlen_with_len(str, (int) len);

		/*
		 * An input shorter than any valid value is hidden entirely: keeping
		 * the mask's characters of "13800138000" as an ID number would show
		 * most of a mobile number.  The statement and context, which hold
		 * the value, stay out of the server log.
		 */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"",
						type->typname,
						text_to_cstring(ci_mask_keep_text(str, len,
														  nchars < type->min_length ? 0 : type->mask_head,
														  nchars < type->min_length ? 0 : type->mask_tail,
														  CI_ERROR_MAX_STARS))),
				 errdetail("%s", ident_reason(type, &err)),
				 errhidestmt(true),
				 errhidecontext(true)));
	}
	return ident_to_datum(type, &value);
}

/*
 * The canonical text of str as the type's value, into buf (at least
 * CI_IDENT_BUFSIZE bytes); a masked error if str is not valid.
 */
void
ci_ident_canonical(const CiIdentType *type, const char *str, size_t len,
				   char *buf)
{
	CiIdentValue value;

	ci_ident_get(type, ident_parse(type, str, len), &value);
	type->format(&value, buf);
}

Datum
ci_ident_in(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	char	   *str = PG_GETARG_CSTRING(0);

	return ident_parse(type, str, strlen(str));
}

Datum
ci_ident_out(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	CiIdentValue value;
	char		buf[CI_IDENT_BUFSIZE];

	ci_ident_get(type, PG_GETARG_DATUM(0), &value);
	type->format(&value, buf);
	PG_RETURN_CSTRING(pstrdup(buf));
}

Datum
ci_ident_recv(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	const char *str = pq_getmsgbytes(buf, nbytes);

	/*
	 * The canonical text is ASCII: take the bytes as they are, so that no
	 * encoding conversion can fail with a message quoting them.
	 */
	for (int i = 0; i < nbytes; i++)
	{
		if (str[i] == '\0' || (unsigned char) str[i] >= 0x80)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid binary input for type %s", type->typname),
					 errdetail("The binary form of an identifier is its text in ASCII; byte %d is not ASCII.",
							   i + 1),
					 errhidecontext(true)));
	}
	return ident_parse(type, str, (size_t) nbytes);
}

Datum
ci_ident_send(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	CiIdentValue value;
	char		buf[CI_IDENT_BUFSIZE];
	int			len;
	StringInfoData msg;

	ci_ident_get(type, PG_GETARG_DATUM(0), &value);
	len = type->format(&value, buf);
	pq_begintypsend(&msg);
	pq_sendtext(&msg, buf, len);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

/* ci.is_valid_<type>(text): never raises for bad input. */
Datum
ci_ident_is_valid(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	text	   *txt = PG_GETARG_TEXT_PP(0);
	CiIdentValue value;
	CiParseError err;

	PG_RETURN_BOOL(type->parse(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt),
							   &value, &err));
}

/* ci.<type>_invalid_reason(text): NULL for a valid value. */
Datum
ci_ident_invalid_reason(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	text	   *txt = PG_GETARG_TEXT_PP(0);
	CiIdentValue value;
	CiParseError err;

	if (type->parse(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt), &value, &err))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(ident_reason(type, &err)));
}

/* The built-in mask of a valid value: its canonical text, starred in place. */
static text *
mask_value(const CiIdentType *type, const CiIdentValue *value)
{
	char		buf[CI_IDENT_BUFSIZE];
	int			len = type->format(value, buf);

	for (int i = type->mask_head; i < len - type->mask_tail; i++)
		buf[i] = '*';
	return cstring_to_text_with_len(buf, len);
}

/* ci.mask(<type>): the built-in mask of a stored value. */
Datum
ci_ident_mask(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	CiIdentValue value;

	ci_ident_get(type, PG_GETARG_DATUM(0), &value);
	PG_RETURN_TEXT_P(mask_value(type, &value));
}

/*
 * ci.mask_<type>(text): the same mask for a value held as text.  A valid
 * value is masked in its canonical form ("+86 138 0013 8000" gives
 * "138****8000"); anything else keeps the same number of characters.
 */
Datum
ci_ident_mask_text(const CiIdentType *type, FunctionCallInfo fcinfo)
{
	text	   *txt = PG_GETARG_TEXT_PP(0);
	CiIdentValue value;
	CiParseError err;

	if (type->parse(VARDATA_ANY(txt), VARSIZE_ANY_EXHDR(txt), &value, &err))
		PG_RETURN_TEXT_P(mask_value(type, &value));
	PG_RETURN_TEXT_P(ci_mask_keep_text(VARDATA_ANY(txt),
									   VARSIZE_ANY_EXHDR(txt),
									   type->mask_head, type->mask_tail, 0));
}
