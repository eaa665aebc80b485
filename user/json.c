// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON writer (json.h): json-c, plus a UTF-8 check json-c does not make. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
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
	char buf[48];

	sw_fmt_fixed_ns(buf, sizeof(buf), ns, 1000, 3, false);
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

/* ---- the streaming writer ---- */

void sw_jw_init(struct sw_jw *w)
{
	w->buf = w->first;
	w->cap = sizeof(w->first);
	w->len = 0;
	w->nonempty = 0;
	w->depth = 0;
	w->after_key = false;
	w->failed = false;
}

void sw_jw_free(struct sw_jw *w)
{
	if (w->buf != w->first)
		free(w->buf);
	sw_jw_init(w);
}

static char *grow(struct sw_jw *w, size_t n);

/* Room for @n more bytes: where they go, or NULL (then the document is failed). */
static inline char *room(struct sw_jw *w, size_t n)
{
	if (__builtin_expect(n <= w->cap - w->len && !w->failed, 1))
		return w->buf + w->len;
	return grow(w, n);
}

static char *grow(struct sw_jw *w, size_t n)
{
	size_t cap = w->cap;
	char *b;

	if (w->failed)
		return NULL;
	while (cap - w->len < n)
		cap *= 2;
	b = w->buf == w->first ? malloc(cap) : realloc(w->buf, cap);
	if (!b) {
		w->failed = true;
		return NULL;
	}
	if (w->buf == w->first)
		memcpy(b, w->first, w->len);
	w->buf = b;
	w->cap = cap;
	return b + w->len;
}

static void put(struct sw_jw *w, const char *s, size_t n)
{
	char *o = room(w, n);

	if (o) {
		memcpy(o, s, n);
		w->len += n;
	}
}

/* Before a value or a key: a comma when the level has one already. */
static void sep(struct sw_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth && (w->nonempty >> w->depth & 1))
		put(w, ",", 1);
	w->nonempty |= 1ULL << w->depth;
}

void sw_jw_open(struct sw_jw *w, char bracket)
{
	sep(w);
	put(w, &bracket, 1);
	if (++w->depth > 63)
		w->failed = true;
	else
		w->nonempty &= ~(1ULL << w->depth);
}

void sw_jw_close(struct sw_jw *w, char bracket)
{
	if (w->depth)
		w->depth--;
	put(w, &bracket, 1);
}

void sw_jw_keyn(struct sw_jw *w, const char *key, size_t n)
{
	char *o;

	sep(w);
	o = room(w, n + 3);
	if (!o)
		return;
	o[0] = '"';
	memcpy(o + 1, key, n);
	o[n + 1] = '"';
	o[n + 2] = ':';
	w->len += n + 3;
	w->after_key = true;
}

/*
 * json-c's escaping (json_escape_str, with NOSLASHESCAPE): \" \\ \b \t \n
 * \f \r by name, other bytes below 0x20 as \u00xx, everything else (DEL,
 * UTF-8) as it is; invalid UTF-8 first becomes U+FFFD, as sw_json_strn does.
 */
void sw_jw_strn(struct sw_jw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *o, *start;

	sep(w);
	start = o = room(w, len * 6 + 2);	/* \u00xx: 6 bytes of one */
	if (!o)
		return;
	*o++ = '"';
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_len(p + i, len - i);
			if (n) {
				memcpy(o, p + i, n);
				o += n;
				i += n;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': case '\\': *o++ = c; break;
		case '\b': *o++ = 'b'; break;
		case '\t': *o++ = 't'; break;
		case '\n': *o++ = 'n'; break;
		case '\f': *o++ = 'f'; break;
		case '\r': *o++ = 'r'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
		i++;
	}
	*o++ = '"';
	w->len += o - start;
}

void sw_jw_str(struct sw_jw *w, const char *s)
{
	if (s)
		sw_jw_strn(w, s, strlen(s));
	else
		sw_jw_null(w);
}

void sw_jw_u64(struct sw_jw *w, __u64 v)
{
	char *o;

	sep(w);
	o = room(w, 20);
	if (o)
		w->len += sw_fmt_u64(o, v);
}

void sw_jw_ns_as_us(struct sw_jw *w, __s64 ns)
{
	char *o;

	sep(w);
	o = room(w, 48);
	if (o)
		w->len += sw_fmt_fixed_ns(o, 48, ns, 1000, 3, false);
}

void sw_jw_bool(struct sw_jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void sw_jw_null(struct sw_jw *w)
{
	sep(w);
	put(w, "null", 4);
}

int sw_jw_print(FILE *f, struct sw_jw *w)
{
	int ret = 0;

	put(w, "\n", 1);
	if (w->failed)
		ret = -ENOMEM;
	else if (fwrite(w->buf, 1, w->len, f) != w->len)
		ret = -EIO;
	sw_jw_free(w);
	return ret;
}
