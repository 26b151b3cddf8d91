/*-------------------------------------------------------------------------
 *
 * mask_core.c
 *	  Display masks for personal data, on UTF-8 byte strings.
 *
 * The masks follow common display practice in Chinese financial services:
 *	keep		first n and last m characters, one '*' per hidden character
 *	name		keep the surname (compound surnames like 欧阳 count as one);
 *				names in Latin script keep the initial of each word
 *	email		first character of the local part, "***", the domain
 *	address		province and city, then "****"
 * A mask never lengthens what it hides: where it shows a fixed "***" the
 * length of the hidden part is not revealed either.
 *
 *-------------------------------------------------------------------------
 */
#include "mask_core.h"

#include <stdbool.h>
#include <string.h>

/*
 * Common two-character surnames.  A name of three characters or more that
 * starts with one of these keeps both.
 */
static const char *const compound_surnames[] = {
	"欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "尉迟", "公孙",
	"慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离",
	"闻人", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔",
	"申屠", "赫连", "呼延", "端木", "南宫", "百里", "东郭", "西门",
	"第五", "左丘", "梁丘", "拓跋", "独孤", "万俟", "司空", "羊舌",
	"微生", "公羊", "谷梁", "漆雕", "乐正", "壤驷", "公良", "段干",
	"巫马", "子车", "颛孙", "亓官", "司寇", "东门", "南门"
};

#define lengthof(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Byte length of the UTF-8 character at s.  A byte that does not start a
 * complete sequence (lead byte followed by enough continuation bytes) is a
 * character of its own, so invalid input is handled byte by byte and a
 * control byte can never hide inside a "character" that is copied whole.
 */
static size_t
char_len(const char *s, size_t remaining)
{
	unsigned char c = (unsigned char) *s;
	size_t		n;

	if (c < 0x80)
		return 1;
	else if ((c & 0xE0) == 0xC0)
		n = 2;
	else if ((c & 0xF0) == 0xE0)
		n = 3;
	else if ((c & 0xF8) == 0xF0)
		n = 4;
	else
		return 1;
	if (n > remaining)
		return 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

static size_t
count_chars(const char *s, size_t len)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i += char_len(s + i, len - i))
		n++;
	return n;
}

/*
 * Copy one character, turning ASCII control characters and stray bytes of
 * invalid UTF-8 into '?'.
 */
static size_t
copy_char(const char *s, size_t clen, char *out)
{
	if (clen == 1 && ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7F))
	{
		*out = '?';
		return 1;
	}
	memcpy(out, s, clen);
	return clen;
}

static size_t
copy_span(const char *s, size_t len, char *out)
{
	size_t		o = 0;

	for (size_t i = 0; i < len;)
	{
		size_t		cl = char_len(s + i, len - i);

		o += copy_char(s + i, cl, out + o);
		i += cl;
	}
	return o;
}

static bool
starts_with(const char *s, size_t len, const char *prefix)
{
	size_t		pl = strlen(prefix);

	return len >= pl && memcmp(s, prefix, pl) == 0;
}

/*
 * Keep the first head and the last tail characters, one '*' for each other
 * character (at most max_stars of them if max_stars > 0).  A value with no
 * more than head + tail characters is hidden entirely.
 */
size_t
ci_mask_keep(const char *s, size_t len, int head, int tail, int max_stars,
			 char *out)
{
	size_t		nchars = count_chars(s, len);
	size_t		o = 0;
	size_t		pos = 0;
	size_t		stars = 0;

	if (nchars <= (size_t) head + (size_t) tail)
	{
		head = 0;
		tail = 0;
	}
	for (size_t i = 0; i < len; pos++)
	{
		size_t		cl = char_len(s + i, len - i);

		if (pos < (size_t) head || pos >= nchars - (size_t) tail)
			o += copy_char(s + i, cl, out + o);
		else if (max_stars <= 0 || stars < (size_t) max_stars)
		{
			out[o++] = '*';
			stars++;
		}
		i += cl;
	}
	out[o] = '\0';
	return o;
}

static bool
is_name_separator(const char *s, size_t cl)
{
	if (cl == 1)
		return *s == ' ' || *s == '-' || *s == '.' || *s == '\'';
	/* U+00B7 MIDDLE DOT and U+2022 BULLET separate transliterated names */
	return (cl == 2 && memcmp(s, "\xC2\xB7", 2) == 0) ||
		(cl == 3 && memcmp(s, "\xE2\x80\xA2", 3) == 0) ||
		(cl == 3 && memcmp(s, "\xE3\x83\xBB", 3) == 0);
}

size_t
ci_mask_name(const char *s, size_t len, char *out)
{
	size_t		nchars = count_chars(s, len);
	size_t		keep = 1;
	bool		latin = true;
	bool		word_start = true;
	size_t		o = 0;
	size_t		pos = 0;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			latin = false;

	if (!latin && nchars >= 3)
	{
		for (size_t k = 0; k < lengthof(compound_surnames); k++)
		{
			if (starts_with(s, len, compound_surnames[k]))
			{
				keep = 2;
				break;
			}
		}
	}

	for (size_t i = 0; i < len; pos++)
	{
		size_t		cl = char_len(s + i, len - i);

		if (is_name_separator(s + i, cl))
		{
			o += copy_char(s + i, cl, out + o);
			word_start = true;
		}
		else if (pos < keep || (latin && word_start))
		{
			o += copy_char(s + i, cl, out + o);
			word_start = false;
		}
		else
		{
			out[o++] = '*';
			word_start = false;
		}
		i += cl;
	}
	out[o] = '\0';
	return o;
}

size_t
ci_mask_email(const char *s, size_t len, char *out)
{
	size_t		at = len;
	size_t		o = 0;

	for (size_t i = len; i > 0; i--)
	{
		if (s[i - 1] == '@')
		{
			at = i - 1;
			break;
		}
	}

	if (len == 0)
	{
		out[0] = '\0';
		return 0;
	}
	if (at == 0)
	{
		/* nothing before the '@': hide it all but the domain */
		memcpy(out, "***", 3);
		o = 3;
	}
	else
	{
		size_t		first = at < len ? at : len;

		o += copy_char(s, char_len(s, first), out);
		memcpy(out + o, "***", 3);
		o += 3;
	}
	if (at < len)
		o += copy_span(s + at, len - at, out + o);
	out[o] = '\0';
	return o;
}

/*
 * Is the "市" at byte i part of a word that is not a city, such as 市场
 * (market) or 超市 (supermarket)?
 */
static bool
shi_not_city(const char *s, size_t len, size_t i)
{
	static const char shi[] = "市";
	static const char chang[] = "场";
	static const char chao[] = "超";
	size_t		sl = sizeof(shi) - 1;

	if (!starts_with(s + i, len - i, shi))
		return false;
	if (starts_with(s + i + sl, len - i - sl, chang))
		return true;
	return i >= sizeof(chao) - 1 &&
		memcmp(s + i - (sizeof(chao) - 1), chao, sizeof(chao) - 1) == 0;
}

/*
 * Byte offset just past the first occurrence of any of words within the
 * first max_chars characters of s, or 0.
 */
static size_t
find_suffix(const char *s, size_t len, size_t max_chars,
			const char *const *words, size_t nwords)
{
	size_t		nc = 0;

	for (size_t i = 0; i < len && nc < max_chars; nc++)
	{
		for (size_t k = 0; k < nwords; k++)
		{
			if (starts_with(s + i, len - i, words[k]) && !shi_not_city(s, len, i))
				return i + strlen(words[k]);
		}
		i += char_len(s + i, len - i);
	}
	return 0;
}

/*
 * Keep the province and city of a Chinese address: "广东省深圳市南山区…"
 * becomes "广东省深圳市****".  The four municipalities and the two special
 * administrative regions are province and city at once.  Without a
 * province, only a city name at the very start is kept ("深圳市…").  An
 * address in Latin script keeps its last comma-separated part (the
 * country or city), or its last two when it has four parts or more.
 */
size_t
ci_mask_address(const char *s, size_t len, char *out)
{
	static const char *const municipalities[] = {
		"北京市", "上海市", "天津市", "重庆市", "北京", "上海", "天津", "重庆",
		"香港特别行政区", "澳门特别行政区", "香港", "澳门"
	};
	static const char *const province_suffixes[] = {"省", "自治区", "特别行政区"};
	static const char *const city_suffixes[] = {"自治州", "地区", "市", "盟"};
	size_t		keep = 0;
	size_t		o;
	bool		latin = true;

	if (len == 0)
	{
		out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			latin = false;

	if (latin)
	{
		int			commas = 0;
		int			want;

		for (size_t i = 0; i < len; i++)
			if (s[i] == ',')
				commas++;
		if (commas == 0)
		{
			memcpy(out, "****", 5);
			return 4;
		}
		want = commas >= 3 ? 2 : 1;
		for (size_t i = len; i > 0; i--)
		{
			if (s[i - 1] == ',' && --want == 0)
			{
				keep = i;
				break;
			}
		}
		memcpy(out, "****,", 5);
		o = 5 + copy_span(s + keep, len - keep, out + 5);
		out[o] = '\0';
		return o;
	}

	for (size_t k = 0; k < lengthof(municipalities) && keep == 0; k++)
		if (starts_with(s, len, municipalities[k]))
			keep = strlen(municipalities[k]);

	if (keep == 0)
	{
		size_t		prov = find_suffix(s, len, 8, province_suffixes,
									   lengthof(province_suffixes));
		size_t		city = find_suffix(s + prov, len - prov, prov ? 10 : 6,
									   city_suffixes, lengthof(city_suffixes));

		keep = city ? prov + city : prov;
	}

	o = copy_span(s, keep, out);
	memcpy(out + o, "****", 4);
	o += 4;
	out[o] = '\0';
	return o;
}
