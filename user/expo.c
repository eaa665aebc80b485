// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "expo.h"

/* 2^k ns for k = lo, lo + step, ..., hi */
#define P2(k)	(1ULL << (k))

const struct sw_expo_buckets sw_buckets_delivery = {
	11, { P2(10), P2(12), P2(14), P2(16), P2(18), P2(20), P2(22), P2(24), P2(26), P2(28),
	      P2(30) },
};
const struct sw_expo_buckets sw_buckets_ack = {
	13, { P2(10), P2(12), P2(14), P2(16), P2(18), P2(20), P2(22), P2(24), P2(26), P2(28),
	      P2(30), P2(32), P2(34) },
};
const struct sw_expo_buckets sw_buckets_escalation = {
	8, { P2(20), P2(22), P2(24), P2(26), P2(28), P2(30), P2(32), P2(34) },
};

void sw_expo_init(struct sw_expo *e)
{
	memset(e, 0, sizeof(*e));
}

void sw_expo_free(struct sw_expo *e)
{
	for (size_t i = 0; i < e->n; i++) {
		for (size_t j = 0; j < e->f[i].n; j++)
			free(e->f[i].s[j].cum);
		free(e->f[i].s);
	}
	free(e->f);
	sw_expo_init(e);
}

/* Grow *@p (of @size-byte elements) to hold one more than *@n; 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *q;

	if (n < *cap)
		return 0;
	q = realloc(*p, ncap * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = ncap;
	return 0;
}

struct sw_expo_family *sw_expo_family(struct sw_expo *e, const struct sw_metric_desc *d)
{
	struct sw_expo_family *f;

	if (e->err)
		return NULL;
	if (grow((void **)&e->f, &e->cap, e->n, sizeof(*e->f))) {
		e->err = -ENOMEM;
		return NULL;
	}
	f = &e->f[e->n++];
	memset(f, 0, sizeof(*f));
	f->desc = d;
	return f;
}

int sw_expo_labels(char *buf, size_t len, ...)
{
	const char *name, *v;
	size_t o = 0;
	va_list ap;
	int ret = 0;

	va_start(ap, len);
	buf[0] = '\0';
	while ((name = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (o + strlen(name) + 4 >= len)
			goto too_long;
		o += sprintf(buf + o, "%s%s=\"", o ? "," : "", name);
		for (; *v; v++) {
			const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" :
					  *v == '\n' ? "\\n" : NULL;

			if (o + 4 >= len)
				goto too_long;
			if (esc)
				o += sprintf(buf + o, "%s", esc);
			else
				buf[o++] = *v;
		}
		buf[o++] = '"';
		buf[o] = '\0';
	}
	va_end(ap);
	return ret;
too_long:
	va_end(ap);
	buf[0] = '\0';
	return -ENAMETOOLONG;
}

static struct sw_expo_sample *add_sample(struct sw_expo *e, struct sw_expo_family *f,
					 const char *labels)
{
	struct sw_expo_sample *s;

	if (!f || e->err)
		return NULL;
	if (strlen(labels) >= sizeof(s->labels)) {
		e->err = -ENAMETOOLONG;
		return NULL;
	}
	if (grow((void **)&f->s, &f->cap, f->n, sizeof(*f->s))) {
		e->err = -ENOMEM;
		return NULL;
	}
	s = &f->s[f->n++];
	memset(s, 0, sizeof(*s));
	strcpy(s->labels, labels);
	return s;
}

void sw_expo_counter(struct sw_expo *e, struct sw_expo_family *f, const char *labels, __u64 v)
{
	struct sw_expo_sample *s = add_sample(e, f, labels);

	if (s)
		s->value = v;
}

void sw_expo_hist(struct sw_expo *e, struct sw_expo_family *f, const char *labels,
		  bool loglinear, const struct sw_hist *h)
{
	struct sw_expo_sample *s = add_sample(e, f, labels);
	const struct sw_expo_buckets *b;
	__u64 total = 0;

	if (!s)
		return;
	b = f->desc->buckets;
	s->cum = calloc(b->n + 1, sizeof(*s->cum));
	if (!s->cum) {
		f->n--;
		e->err = -ENOMEM;
		return;
	}
	for (unsigned int i = 0; i < SW_HIST_SLOTS; i++) {
		__u64 lo, hi;

		if (!h->slots[i])
			continue;
		total += h->slots[i];
		sw_hist_bounds(loglinear, i, &lo, &hi);
		/* the slot's largest value must fit under the bound, else it goes higher */
		for (unsigned int j = 0; j < b->n; j++)
			if (hi != UINT64_MAX && hi - 1 <= b->le_ns[j])
				s->cum[j] += h->slots[i];
	}
	s->cum[b->n] = total;
	s->sum = h->sum_ns / 1e9;
}

/* An le bound in seconds, exactly: ns / 1e9 in decimal, trailing zeros dropped. */
static void fmt_le(char *buf, size_t len, __u64 ns)
{
	int n = snprintf(buf, len, "%llu.%09llu", (unsigned long long)(ns / 1000000000ULL),
			 (unsigned long long)(ns % 1000000000ULL));

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[n++] = '0', buf[n] = '\0';
}

/* HELP text: backslash and newline escaped (both formats), and '"' in OpenMetrics */
static void put_help(FILE *o, const char *help, enum sw_expo_format fmt)
{
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", o);
		else if (*help == '\n')
			fputs("\\n", o);
		else if (*help == '"' && fmt == SW_EXPO_OPENMETRICS)
			fputs("\\\"", o);
		else
			fputc(*help, o);
	}
	fputc('\n', o);
}

static const char *const type_names[] = {
	[SW_METRIC_COUNTER] = "counter",
	[SW_METRIC_HISTOGRAM] = "histogram",
	[SW_METRIC_GAUGE] = "gauge",
};

/*
 * The metadata lines: the only place the formats differ besides # EOF. In
 * 0.0.4 a counter's TYPE and HELP name its sample (x_total); OpenMetrics
 * names the family (x) and has UNIT.
 */
static void put_header(FILE *o, const struct sw_metric_desc *d, enum sw_expo_format fmt)
{
	const char *suffix = d->type == SW_METRIC_COUNTER ? "_total" : "";

	if (fmt == SW_EXPO_OPENMETRICS) {
		fprintf(o, "# TYPE %s %s\n", d->name, type_names[d->type]);
		if (d->unit)
			fprintf(o, "# UNIT %s %s\n", d->name, d->unit);
		fprintf(o, "# HELP %s ", d->name);
	} else {
		fprintf(o, "# HELP %s%s ", d->name, suffix);
		put_help(o, d->help, fmt);
		fprintf(o, "# TYPE %s%s %s\n", d->name, suffix, type_names[d->type]);
		return;
	}
	put_help(o, d->help, fmt);
}

/* name{labels[,extra]} with no braces when both are empty */
static void put_series(FILE *o, const char *name, const char *suffix, const char *labels,
		       const char *extra)
{
	const char *sep = labels[0] && extra[0] ? "," : "";

	if (!labels[0] && !extra[0])
		fprintf(o, "%s%s ", name, suffix);
	else
		fprintf(o, "%s%s{%s%s%s} ", name, suffix, labels, sep, extra);
}

static void put_hist(FILE *o, const struct sw_metric_desc *d, const struct sw_expo_sample *s)
{
	const struct sw_expo_buckets *b = d->buckets;
	char le[48], bound[32];

	for (unsigned int j = 0; j <= b->n; j++) {
		if (j < b->n)
			fmt_le(bound, sizeof(bound), b->le_ns[j]);
		snprintf(le, sizeof(le), "le=\"%s\"", j < b->n ? bound : "+Inf");
		put_series(o, d->name, "_bucket", s->labels, le);
		fprintf(o, "%llu\n", (unsigned long long)s->cum[j]);
	}
	put_series(o, d->name, "_count", s->labels, "");
	fprintf(o, "%llu\n", (unsigned long long)s->cum[b->n]);
	put_series(o, d->name, "_sum", s->labels, "");
	fprintf(o, "%.9f\n", s->sum);
}

void sw_expo_render(FILE *o, const struct sw_expo *e, enum sw_expo_format fmt)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct sw_expo_family *f = &e->f[i];

		if (!f->n)
			continue;
		put_header(o, f->desc, fmt);
		for (size_t j = 0; j < f->n; j++) {
			if (f->desc->type == SW_METRIC_HISTOGRAM) {
				put_hist(o, f->desc, &f->s[j]);
			} else {
				put_series(o, f->desc->name, f->desc->type == SW_METRIC_COUNTER ?
					   "_total" : "", f->s[j].labels, "");
				fprintf(o, "%llu\n", (unsigned long long)f->s[j].value);
			}
		}
	}
	if (fmt == SW_EXPO_OPENMETRICS)
		fputs("# EOF\n", o);
}

size_t sw_expo_series(const struct sw_expo *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->f[i].n * (e->f[i].desc->type == SW_METRIC_HISTOGRAM ?
				  e->f[i].desc->buckets->n + 3 : 1);
	return n;
}

/* ---- Accept negotiation ---- */

/* [p, end) without surrounding blanks */
static void trim(const char **p, const char **end)
{
	while (*p < *end && isspace((unsigned char)**p))
		(*p)++;
	while (*end > *p && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

static bool token_is(const char *p, const char *end, const char *s)
{
	return (size_t)(end - p) == strlen(s) && !strncasecmp(p, s, end - p);
}

/*
 * One media range "type/sub; k=v; q=0.5": which format it asks for (-1: none
 * we serve) and its weight.
 */
static int media_range(const char *p, const char *end, double *q)
{
	const char *semi = memchr(p, ';', end - p), *tend = semi ? semi : end;
	const char *version = NULL, *vend = NULL;
	int fmt;

	*q = 1.0;
	trim(&p, &tend);
	if (token_is(p, tend, "application/openmetrics-text"))
		fmt = SW_EXPO_OPENMETRICS;
	else if (token_is(p, tend, "text/plain") || token_is(p, tend, "text/*") ||
		 token_is(p, tend, "*/*"))
		fmt = SW_EXPO_PROMETHEUS;
	else
		return -1;
	while (semi) {
		const char *k = semi + 1, *eq, *v;

		semi = memchr(k, ';', end - k);
		v = semi ? semi : end;
		eq = memchr(k, '=', v - k);
		if (!eq)
			continue;
		{
			const char *kend = eq, *vs = eq + 1, *ve = v;

			trim(&k, &kend);
			trim(&vs, &ve);
			if (token_is(k, kend, "q")) {
				char num[16];
				size_t n = ve - vs < 15 ? (size_t)(ve - vs) : 15;

				memcpy(num, vs, n);
				num[n] = '\0';
				*q = strtod(num, NULL);
				if (!(*q >= 0))	/* NaN or negative: not acceptable */
					*q = 0;
				if (*q > 1)
					*q = 1;
			} else if (token_is(k, kend, "version")) {
				version = vs;
				vend = ve;
			}
		}
	}
	if (version) {
		if (fmt == SW_EXPO_OPENMETRICS && !token_is(version, vend, "1.0.0") &&
		    !token_is(version, vend, "0.0.1"))
			return -1;
		if (fmt == SW_EXPO_PROMETHEUS && !token_is(version, vend, "0.0.4"))
			return -1;
	}
	return fmt;
}

enum sw_expo_format sw_expo_negotiate(const char *accept, const char **content_type)
{
	enum sw_expo_format best = SW_EXPO_PROMETHEUS;
	double best_q = 0;

	for (const char *p = accept; p && *p;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		double q;
		int fmt = media_range(p, end, &q);

		/* the highest weight wins; on a tie the earlier range */
		if (fmt >= 0 && q > best_q) {
			best = fmt;
			best_q = q;
		}
		p = comma ? comma + 1 : end;
	}
	*content_type = best == SW_EXPO_OPENMETRICS ? SW_CT_OPENMETRICS : SW_CT_PROMETHEUS;
	return best;
}
