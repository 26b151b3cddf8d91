/*-------------------------------------------------------------------------
 *
 * fuzz_oracle.h
 *	  Check characters computed a second time, apart from src/parse_*.c.
 *
 * The parsers store no check character (the formatters derive it again),
 * so a parser that accepted a wrong one would round-trip happily.  These
 * functions compute the check characters from the standards, in a form
 * deliberately unlike the parsers' (the recursive form of ISO 7064 MOD
 * 11-2; weights raised on the fly rather than read from a table), and the
 * targets compare the parser's verdict on the raw input with theirs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_FUZZ_ORACLE_H
#define CI_FUZZ_ORACLE_H

#include <stdbool.h>
#include <string.h>

/* Digits and letters of GB 32100-2015, in the order of their values. */
#define ORACLE_USCC_ALPHABET "0123456789ABCDEFGHJKLMNPQRTUWXY"

/* The input without the white space the parsers ignore at either end. */
static inline void
oracle_trim(const char **s, size_t *n)
{
	while (*n > 0 && strchr(" \t\r\n", (*s)[0]) != NULL && (*s)[0] != '\0')
	{
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && strchr(" \t\r\n", (*s)[*n - 1]) != NULL && (*s)[*n - 1] != '\0')
		(*n)--;
}

static inline char
oracle_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
}

/*
 * ISO 7064 MOD 11-2 over 17 digits, recursive form: P = ((P + a) * 2) mod
 * 11 for each digit, then the check C makes (P + C) mod 11 equal 1.
 */
static inline char
oracle_cn_id_check(const char *digits17)
{
	int			p = 0;
	int			c;

	for (int i = 0; i < 17; i++)
		p = ((p + (digits17[i] - '0')) * 2) % 11;
	c = (12 - p) % 11;
	return c == 10 ? 'X' : (char) ('0' + c);
}

/* Value of a character in the GB 32100 alphabet, or -1. */
static inline int
oracle_uscc_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(ORACLE_USCC_ALPHABET, oracle_upper(c));
	return p ? (int) (p - ORACLE_USCC_ALPHABET) : -1;
}

/* GB 32100 MOD 31 over 17 characters, weights 3^(i-1) mod 31. */
static inline char
oracle_uscc_check(const char *s17)
{
	int			sum = 0;
	int			w = 1;

	for (int i = 0; i < 17; i++)
	{
		sum += oracle_uscc_value(s17[i]) * w;
		w = (w * 3) % 31;
	}
	return ORACLE_USCC_ALPHABET[(31 - sum % 31) % 31];
}

/*
 * GB 11714 organisation code check over its 8 body characters (A=10 ...
 * Z=35), weights 2^(9-i) mod 11 for i = 1..8; 10 is X, 11 is 0.
 */
static inline char
oracle_orgcode_check(const char *body8)
{
	int			sum = 0;
	int			c;

	for (int i = 1; i <= 8; i++)
	{
		char		ch = oracle_upper(body8[i - 1]);
		int			v = (ch >= '0' && ch <= '9') ? ch - '0' : ch - 'A' + 10;
		int			w = 1;

		for (int k = 0; k < 9 - i; k++)
			w = (w * 2) % 11;
		sum += v * w;
	}
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char) ('0' + c);
}

/* Luhn: from the right, every second digit doubled; the total ends in 0. */
static inline bool
oracle_luhn_ok(const char *digits, int n)
{
	int			total = 0;

	for (int k = 0; k < n; k++)
	{
		int			d = digits[n - 1 - k] - '0';

		if (k % 2 == 1)
			d = d * 2 > 9 ? d * 2 - 9 : d * 2;
		total += d;
	}
	return total % 10 == 0;
}

#endif							/* CI_FUZZ_ORACLE_H */
