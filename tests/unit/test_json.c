// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The streaming writer (json.h's sw_jw) against json-c, the reference: the
 * same bytes as json-c's tree for every string, number and nesting, and
 * every record of the sample logs printed in json-c's own canonical form
 * (json-c parses it and writes it back unchanged).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "json.h"
#include "logscan.h"
#include "stop_print.h"

/* What the writer made of one value at the top level. */
static char *streamed(void (*put)(struct sw_jw *w, const void *arg), const void *arg)
{
	struct sw_jw w;
	char *out;

	sw_jw_init(&w);
	put(&w, arg);
	assert_false(w.failed);
	out = strndup(w.buf, w.len);
	sw_jw_free(&w);
	return out;
}

struct bytes {
	const char *p;
	size_t len;
};

static void put_strn(struct sw_jw *w, const void *arg)
{
	const struct bytes *b = arg;

	sw_jw_strn(w, b->p, b->len);
}

static void same_string(const char *p, size_t len)
{
	struct bytes b = { p, len };
	sw_json *ref = sw_json_strn(p, len);
	char *got = streamed(put_strn, &b);

	assert_string_equal(got, sw_json_text(ref));
	sw_json_free(ref);
	free(got);
}

/* Every byte value alone, and inside text, as json-c escapes it (UTF-8 repaired first). */
static void test_every_byte(void **state)
{
	char s[5];

	(void)state;
	for (int c = 0; c < 256; c++) {
		s[0] = 'a', s[1] = (char)c, s[2] = 'b';
		same_string(s + 1, 1);
		same_string(s, 3);
	}
	/* valid multi-byte sequences, an overlong, a surrogate, a truncated one */
	same_string("h\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	same_string("\xc0\xaf", 2);
	same_string("\xed\xa0\x80", 3);
	memcpy(s, "x\xe2\x82", 3);
	same_string(s, 3);
}

/* Random strings weighted to what needs care (fixed seed: the same each run). */
static void test_random_strings(void **state)
{
	static const unsigned char pick[] = { 'a', ' ', '"', '\\', '/', '\n', '\t', 0, 1, 0x1f,
					      0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac,
					      0xf0, 0x9f, 0xff };
	char s[48];

	(void)state;
	srandom(7);
	for (int n = 0; n < 20000; n++) {
		size_t len = random() % sizeof(s);

		for (size_t i = 0; i < len; i++)
			s[i] = (char)pick[random() % sizeof(pick)];
		same_string(s, len);
	}
}

static void put_u64(struct sw_jw *w, const void *arg)
{
	sw_jw_u64(w, *(const __u64 *)arg);
}

static void put_us(struct sw_jw *w, const void *arg)
{
	sw_jw_ns_as_us(w, *(const __s64 *)arg);
}

static void test_numbers(void **state)
{
	static const __u64 u[] = { 0, 1, 9, 10, 999, 1000, 4294967296ULL, UINT64_MAX };
	static const __s64 ns[] = { 0, 1, -1, 999, -999, 1000, 12500, -12345, INT64_MAX, INT64_MIN };
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		sw_json *ref = sw_json_u64(u[i]);
		char *got = streamed(put_u64, &u[i]);

		assert_string_equal(got, sw_json_text(ref));
		sw_json_free(ref);
		free(got);
	}
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		__u64 m = ns[i] < 0 ? -(__u64)ns[i] : (__u64)ns[i];
		char *got = streamed(put_us, &ns[i]);
		sw_json *tree = sw_json_ns_as_us(ns[i]);

		/* the definition: µs, a point, three digits of ns */
		snprintf(want, sizeof(want), "%s%llu.%03llu", ns[i] < 0 ? "-" : "",
			 (unsigned long long)(m / 1000), (unsigned long long)(m % 1000));
		assert_string_equal(got, want);
		assert_string_equal(sw_json_text(tree), want);
		sw_json_free(tree);
		free(got);
	}
}

/* Objects, arrays (empty and not), nesting, null and booleans: commas where json-c puts them. */
static void put_doc(struct sw_jw *w, const void *arg)
{
	(void)arg;
	sw_jw_open(w, '{');
	sw_jw_key(w, "a");
	sw_jw_open(w, '[');
	sw_jw_close(w, ']');
	sw_jw_key(w, "b");
	sw_jw_open(w, '[');
	sw_jw_u64(w, 1);
	sw_jw_open(w, '{');
	sw_jw_close(w, '}');
	sw_jw_null(w);
	sw_jw_open(w, '[');
	sw_jw_bool(w, true);
	sw_jw_bool(w, false);
	sw_jw_close(w, ']');
	sw_jw_close(w, ']');
	sw_jw_key(w, "c");
	sw_jw_open(w, '{');
	sw_jw_key(w, "d");
	sw_jw_str(w, NULL);
	sw_jw_key(w, "e");
	sw_jw_str(w, "x");
	sw_jw_close(w, '}');
	sw_jw_close(w, '}');
}

static void test_nesting(void **state)
{
	sw_json *ref = sw_json_obj(), *b = sw_json_arr(), *inner = sw_json_arr(), *c = sw_json_obj();
	char *got;

	(void)state;
	sw_json_set(ref, "a", sw_json_arr());
	sw_json_push(b, sw_json_u64(1));
	sw_json_push(b, sw_json_obj());
	sw_json_push(b, NULL);
	sw_json_push(inner, sw_json_bool(true));
	sw_json_push(inner, sw_json_bool(false));
	sw_json_push(b, inner);
	sw_json_set(ref, "b", b);
	sw_json_set(c, "d", NULL);
	sw_json_set_str(c, "e", "x");
	sw_json_set(ref, "c", c);
	got = streamed(put_doc, NULL);
	assert_string_equal(got, sw_json_text(ref));
	sw_json_free(ref);
	free(got);
}

/* Too deep a document, and one past the first buffer: failed, or grown and whole. */
static void test_depth_and_growth(void **state)
{
	struct sw_jw w;
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(f);
	sw_jw_init(&w);
	for (int i = 0; i < 64; i++)
		sw_jw_open(&w, '[');
	assert_true(w.failed);
	assert_int_equal(sw_jw_print(f, &w), -ENOMEM);

	sw_jw_init(&w);
	sw_jw_open(&w, '[');
	for (int i = 0; i < 5000; i++)
		sw_jw_str(&w, "0123456789");
	sw_jw_close(&w, ']');
	assert_false(w.failed);
	assert_int_equal(w.len, 2 + 5000 * 13 - 1);	/* "0123456789" and a comma each */
	assert_int_equal(w.buf[w.len - 1], ']');
	assert_int_equal(sw_jw_print(f, &w), 0);
	fclose(f);
}

/* Each record json-c reads back and writes out unchanged: canonical json-c output. */
static void check_record(void *ctx, const struct sw_stop *s)
{
	char *text = NULL, *nl;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct json_object *o;

	assert_non_null(m);
	assert_int_equal(sw_stop_print_json(m, s), 0);
	fclose(m);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_true(nl[1] == '\0');
	*nl = '\0';
	o = json_tokener_parse(text);
	assert_non_null(o);
	assert_string_equal(sw_json_text(o), text);
	json_object_put(o);
	free(text);
	(*(int *)ctx)++;
}

static void test_records_canonical(void **state)
{
	/* a host name from a log can hold any byte */
	static const char *hosts[] = { "node17", "bad\"host\\\x01\xff\xc3\xa9" };
	char src[] = __FILE__, dir[4096], path[8192];
	const char *env = getenv("SW_TEST_LOGS");
	struct dirent *e;
	int records = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", env ? env : strcat(dirname(src), "/../data/logs"));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		FILE *f;
		char *buf;
		long len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc(len + 1);
		assert_int_equal(fread(buf, 1, len, f), (size_t)len);
		fclose(f);
		for (int h = 0; h < 2; h++)
			sw_logscan_buffer(buf, len, hosts[h], check_record, &records);
		free(buf);
	}
	closedir(d);
	/* the sample logs hold dozens of stops, one of 320 CPUs (past the first buffer) */
	assert_true(records > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_depth_and_growth),
		cmocka_unit_test(test_records_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
