/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The JSON writer: documents are built as a json-c tree (Debian's
 * libjson-c, linked statically like libbpf) and written by sw_json_print(),
 * so their strings are escaped by the library; the stop record alone, printed
 * by the thousand, is streamed by sw_jw (below), which writes the same bytes.
 * Strings also pass through a UTF-8 check first (json-c copies bytes as
 * they are): host names and other text from logs can hold any byte, and
 * an invalid sequence becomes U+FFFD rather than invalid JSON.
 *
 * Numbers: unsigned 64-bit integers stay exact (json_object_new_uint64);
 * microseconds are written with a fixed number of decimals, as text the
 * library emits verbatim (json_object_new_double_s), so 12.5 us is 12.500
 * and never 12.499999999999998; from ns they are formatted as integers
 * (printf's float formatting was a quarter of logscan's time on dense logs).
 */
#ifndef STOPWATCH_JSON_H
#define STOPWATCH_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <json-c/json.h>

typedef struct json_object sw_json;

sw_json *sw_json_obj(void);
sw_json *sw_json_arr(void);
/* Values (NULL: out of memory, which json-c then prints as null). */
sw_json *sw_json_str(const char *s);		/* NULL s: JSON null */
sw_json *sw_json_strn(const char *s, size_t len);
sw_json *sw_json_u64(__u64 v);
sw_json *sw_json_s64(long long v);
sw_json *sw_json_bool(bool v);
sw_json *sw_json_fixed(double v, int decimals);	/* 3 decimals: "1000.453" */
/* A ns difference as µs with 3 exact decimals, from integers: "-12.345". */
sw_json *sw_json_ns_as_us(__s64 ns);

/*
 * Members of an object; a NULL value is written as null. @key must be a
 * string that outlives @o (a literal) and new in @o: it is not copied.
 */
void sw_json_set(sw_json *o, const char *key, sw_json *v);
static inline void sw_json_set_str(sw_json *o, const char *key, const char *s)
{
	sw_json_set(o, key, sw_json_str(s));
}
static inline void sw_json_set_u64(sw_json *o, const char *key, __u64 v)
{
	sw_json_set(o, key, sw_json_u64(v));
}
static inline void sw_json_set_bool(sw_json *o, const char *key, bool v)
{
	sw_json_set(o, key, sw_json_bool(v));
}
static inline void sw_json_set_null(sw_json *o, const char *key)
{
	sw_json_set(o, key, NULL);
}
/* Append to an array. */
void sw_json_push(sw_json *a, sw_json *v);

/*
 * Write @o compactly on one line and a newline, then free it (whole
 * documents only). Returns 0, or -EIO when the stream failed.
 */
int sw_json_print(FILE *f, sw_json *o);
/* Write @o without the newline and without freeing it (tests, embedding). */
const char *sw_json_text(sw_json *o);
void sw_json_free(sw_json *o);

/*
 * The streaming writer, for the document printed by the thousand: the stop
 * record (stop_json.c). json-c has no streaming output, and its tree costs
 * a malloc per value and a hash table per object: 55-60% of logscan's time
 * on logs dense with stops (perf, 2026-12-03). This writes the bytes json-c
 * would write for the same tree (same order, same escaping and UTF-8 repair:
 * test_json compares the two on every byte value) into one buffer. Commas
 * are the writer's; nesting goes at most 63 deep.
 */
struct sw_jw {
	char *buf;
	size_t len, cap;
	__u64 nonempty;		/* bit d: nesting level d has a value already */
	unsigned int depth;
	bool after_key;		/* the next value is a member's: no comma before it */
	bool failed;		/* out of memory or too deep: nothing is printed */
	char first[4096];	/* buf until a document outgrows it */
};

void sw_jw_init(struct sw_jw *w);
void sw_jw_free(struct sw_jw *w);
void sw_jw_open(struct sw_jw *w, char bracket);		/* '{' or '[' */
void sw_jw_close(struct sw_jw *w, char bracket);	/* '}' or ']' */
/* A member's key: a literal of plain ASCII, written as it is (inline: its length folds). */
void sw_jw_keyn(struct sw_jw *w, const char *key, size_t len);
static inline void sw_jw_key(struct sw_jw *w, const char *key)
{
	sw_jw_keyn(w, key, __builtin_strlen(key));
}
void sw_jw_strn(struct sw_jw *w, const char *s, size_t len);
void sw_jw_str(struct sw_jw *w, const char *s);		/* NULL s: null */
void sw_jw_u64(struct sw_jw *w, __u64 v);
void sw_jw_bool(struct sw_jw *w, bool v);
void sw_jw_null(struct sw_jw *w);
void sw_jw_ns_as_us(struct sw_jw *w, __s64 ns);		/* as sw_json_ns_as_us */
/* Print the document and a newline: 0, -EIO when the stream failed, -ENOMEM. */
int sw_jw_print(FILE *f, struct sw_jw *w);

#endif
