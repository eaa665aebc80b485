// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON writer (json.h): json-c, plus a UTF-8 check json-c does not make. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define TO_STRING_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

sw_json *sw_json_obj(void)
{
	return json_object_new_object();
}

sw_json *sw_json_arr(void)
{
	return json_object_new_array();
}

/* Length of the valid UTF-8 sequence at @p (RFC 3629: no overlongs, surrogates, > U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned int c = p[0], n, min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (unsigned int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

sw_json *sw_json_strn(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	sw_json *v;
	char *clean;
	size_t o = 0;

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; ) {
		size_t n = utf8_len(p + i, len - i);

		if (!n)
			break;
		i += n;
		if (i == len)
			return json_object_new_string_len(s, len);	/* all valid: as is */
	}
	if (!len)
		return json_object_new_string_len(s, 0);
	/* U+FFFD (3 bytes) for each invalid byte */
	clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	for (size_t i = 0; i < len; ) {
		size_t n = utf8_len(p + i, len - i);

		if (n) {
			memcpy(clean + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(clean + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	v = json_object_new_string_len(clean, o);
	free(clean);
	return v;
}

sw_json *sw_json_str(const char *s)
{
	return s ? sw_json_strn(s, strlen(s)) : NULL;
}

sw_json *sw_json_u64(__u64 v)
{
	return json_object_new_uint64(v);
}

sw_json *sw_json_s64(long long v)
{
	return json_object_new_int64(v);
}

sw_json *sw_json_bool(bool v)
{
	return json_object_new_boolean(v);
}

sw_json *sw_json_fixed(double v, int decimals)
{
	char buf[64];

	/* JSON has no NaN or infinity */
	if (v != v || v > 1e300 || v < -1e300)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

sw_json *sw_json_ns_as_us(__s64 ns)
{
	__u64 m = ns < 0 ? -(__u64)ns : (__u64)ns;
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%llu.%03llu", ns < 0 ? "-" : "", (unsigned long long)(m / 1000),
		 (unsigned long long)(m % 1000));
	return json_object_new_double_s((double)ns / 1000.0, buf);
}

void sw_json_set(sw_json *o, const char *key, sw_json *v)
{
	/* every caller names each key once, as a literal: no copy, no duplicate lookup */
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
					     JSON_C_OBJECT_KEY_IS_CONSTANT);
}

void sw_json_push(sw_json *a, sw_json *v)
{
	json_object_array_add(a, v);
}

const char *sw_json_text(sw_json *o)
{
	return json_object_to_json_string_ext(o, TO_STRING_FLAGS);
}

void sw_json_free(sw_json *o)
{
	json_object_put(o);
}

int sw_json_print(FILE *f, sw_json *o)
{
	int ret = fprintf(f, "%s\n", sw_json_text(o)) < 0 ? -EIO : 0;

	json_object_put(o);
	return ret;
}
