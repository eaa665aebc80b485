// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stop records from the persistent trace instance. The ring buffer is read
 * by libtracefs and its events decoded by libtraceevent; only the text of
 * stopwatch's own lines (bpf/trace_lines.bpf.h) is parsed here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tracefs.h>
#include <event-parse.h>
#include "trace.h"

/* ---- record assembly ---- */

struct asm_rec {
	int epoch;			/* arming the record belongs to */
	struct sw_stop_record r;
};

struct epoch_meta {
	char boot_id[37];
	__s64 mono_to_real_ns;
};

struct sw_trace_asm {
	struct asm_rec *recs;
	int n, cap;
	struct epoch_meta *ep;		/* ep[0]: lines before any armed line */
	int nep;
	int used, bad;
};

struct sw_trace_asm *sw_trace_asm_new(void)
{
	struct sw_trace_asm *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->ep = calloc(1, sizeof(*a->ep));
	if (!a->ep) {
		free(a);
		return NULL;
	}
	a->nep = 1;
	return a;
}

void sw_trace_asm_free(struct sw_trace_asm *a)
{
	if (!a)
		return;
	free(a->recs);
	free(a->ep);
	free(a);
}

/* The value of "KEY=" among the space-separated fields of @s, NULL if absent. */
static const char *field(const char *s, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = s; *p; ) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return p + kl + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

static bool field_u64(const char *s, const char *key, int base, __u64 *out)
{
	const char *v = field(s, key);
	char *end;

	if (!v || !((*v >= '0' && *v <= '9') || (base == 16 && ((*v | 0x20) >= 'a' && (*v | 0x20) <= 'f'))))
		return false;
	errno = 0;
	*out = strtoull(v, &end, base);
	return !errno && (*end == ' ' || *end == '\0' || (base == 16 && *end == ','));
}

/* "W0,W1,W2,W3": the mask words, lowest CPUs first, in hex. */
/*
 * A line holds 4 words of a mask (trace_lines.bpf.h): into @out[0..3], the
 * rest of @out cleared.
 */
#define SW_TL_WORDS	4
static bool field_mask(const char *s, const char *key, __u64 out[SW_MASK_WORDS])
{
	const char *v = field(s, key);

	memset(out, 0, SW_MASK_WORDS * sizeof(__u64));
	if (!v)
		return false;
	for (int w = 0; w < SW_TL_WORDS; w++) {
		char *end;

		if (!((*v >= '0' && *v <= '9') || ((*v | 0x20) >= 'a' && (*v | 0x20) <= 'f')))
			return false;
		out[w] = strtoull(v, &end, 16);
		if (w < SW_TL_WORDS - 1 ? *end != ',' : (*end != ' ' && *end != '\0'))
			return false;
		v = end + 1;
	}
	return true;
}

static int field_rung_of(const char *s, const char *key)
{
	const char *v = field(s, key);
	char name[8];
	size_t n = 0;

	if (!v)
		return -1;
	while (v[n] && v[n] != ' ' && n < sizeof(name) - 1) {
		name[n] = v[n];
		n++;
	}
	name[n] = '\0';
	return sw_rung_parse(name);
}

static int field_rung(const char *s)
{
	return field_rung_of(s, "rung");
}

static int field_irqs(const char *s)
{
	const char *v = field(s, "irqs");

	if (!v)
		return -1;
	if (!strncmp(v, "masked", 6))
		return SW_IRQS_MASKED;
	if (!strncmp(v, "enabled", 7))
		return SW_IRQS_ENABLED;
	if (!strncmp(v, "unknown", 7))
		return SW_IRQS_UNKNOWN;
	return -1;
}

static int field_cpu_end(const char *s)
{
	const char *v = field(s, "end");

	for (unsigned int e = SW_END_PARKED_UNCOMPLETED; v && e < SW_SDEI_END_COUNT; e++) {
		const char *name = sw_sdei_end_name(e);
		size_t n = strlen(name);

		if (!strncmp(v, name, n) && (v[n] == ' ' || v[n] == '\0'))
			return e;
	}
	return -1;
}

/* The record of (current arming, @seq), created empty on first sight. */
static struct sw_stop_record *rec_of(struct sw_trace_asm *a, __u64 seq)
{
	int epoch = a->nep - 1;

	for (int i = a->n - 1; i >= 0; i--)
		if (a->recs[i].epoch == epoch && a->recs[i].r.seq == seq)
			return &a->recs[i].r;
	if (a->n == a->cap) {
		int cap = a->cap ? a->cap * 2 : 8;
		struct asm_rec *n = realloc(a->recs, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->recs = n;
		a->cap = cap;
	}
	memset(&a->recs[a->n], 0, sizeof(a->recs[a->n]));
	a->recs[a->n].epoch = epoch;
	a->recs[a->n].r.seq = seq;
	a->recs[a->n].r.state = SW_REC_RUNNING;
	return &a->recs[a->n++].r;
}

static int armed(struct sw_trace_asm *a, const char *s)
{
	const char *id = field(s, "boot_id");
	struct epoch_meta *ep;
	__u64 m2r = 0;

	if (!id || strcspn(id, " ") != 36)
		return -EINVAL;
	field_u64(s, "mono_to_real_ns", 10, &m2r);
	ep = realloc(a->ep, (a->nep + 1) * sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	a->ep = ep;
	memcpy(ep[a->nep].boot_id, id, 36);
	ep[a->nep].boot_id[36] = '\0';
	ep[a->nep].mono_to_real_ns = (__s64)m2r;
	a->nep++;
	return 1;
}

static int asm_line(struct sw_trace_asm *a, const char *s)
{
	__u64 seq, t = 0, x, mask[SW_MASK_WORDS];
	struct sw_stop_record *r;
	int rung, irqs;

	if (!strncmp(s, "armed ", 6))
		return armed(a, s);
	if (!field_u64(s, "seq", 10, &seq) || !seq)
		return -EINVAL;
	if (!strncmp(s, "begin ", 6)) {
		__u64 kind, cpu, nr;

		if (!field_u64(s, "kind", 10, &kind) || kind >= SW_KIND_COUNT ||
		    !field_u64(s, "cpu", 10, &cpu) || cpu >= SW_MAX_CPUS ||
		    !field_u64(s, "nr", 10, &nr) || nr > SW_MAX_CPUS ||
		    !field_u64(s, "t", 10, &t) || !field_mask(s, "online", mask))
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		/* a kind line may have come first (another CPU's, same time) */
		if (r->kind == SW_KIND_UNKNOWN || r->kind == SW_KIND_STOP)
			r->kind = kind;
		r->initiator = cpu;
		r->nr_cpus = nr;
		r->t_start = t;
		memcpy(r->online, mask, sizeof(mask));
		return 1;
	}
	if (!strncmp(s, "kind ", 5)) {
		if (!field_u64(s, "kind", 10, &x) || x >= SW_KIND_COUNT)
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		r->kind = x;
		return 1;
	}
	if (!strncmp(s, "fire ", 5)) {
		rung = field_rung(s);
		if (rung < SW_RUNG_IPI || rung > SW_RUNG_SDEI || !field_u64(s, "t", 10, &t) || !t ||
		    !field_mask(s, "targets", mask))
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		/* the first firing is the escalation time; repeats add targets */
		if (!r->t_fire[rung - 1] || t < r->t_fire[rung - 1])
			r->t_fire[rung - 1] = t;
		for (int w = 0; w < SW_MASK_WORDS; w++)
			r->target[rung - 1][w] |= mask[w];
		return 1;
	}
	if (!strncmp(s, "irqs ", 5)) {
		irqs = field_irqs(s);
		if (!field_u64(s, "cpu", 10, &x) || x >= SW_MAX_CPUS || irqs <= 0)
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		if (r->cpu[x].irqs == SW_IRQS_UNKNOWN)
			r->cpu[x].irqs = irqs;
		return 1;
	}
	if (!strncmp(s, "mask ", 5)) {
		/* words w.. of a begin line's online mask (of=online) or a fire line's targets */
		const char *of = field(s, "of");

		rung = of && !strncmp(of, "online ", 7) ? SW_RUNG_NONE : field_rung_of(s, "of");
		if (rung < SW_RUNG_NONE || rung > SW_RUNG_SDEI || !field_u64(s, "w", 10, &x) ||
		    x % SW_TL_WORDS || x >= SW_MASK_WORDS || !field_mask(s, "bits", mask))
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		for (int k = 0; k < SW_TL_WORDS; k++) {
			if (rung == SW_RUNG_NONE)
				r->online[x + k] |= mask[k];
			else
				r->target[rung - 1][x + k] |= mask[k];
		}
		return 1;
	}
	if (!strncmp(s, "cpuend ", 7)) {
		int end = field_cpu_end(s);

		if (!field_u64(s, "cpu", 10, &x) || x >= SW_MAX_CPUS || end <= SW_END_UNKNOWN)
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		if (r->cpu[x].end < end)	/* the BPF side's rule: a later end wins */
			r->cpu[x].end = end;
		return 1;
	}
	if (!strncmp(s, "end ", 4)) {
		if (!field_u64(s, "t", 10, &t))
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		r->t_end = t;
		r->state = SW_REC_DONE;
		return 1;
	}
	if (!strncmp(s, "cpu=", 4)) {
		rung = field_rung(s);
		irqs = field_irqs(s);
		if (!field_u64(s, "cpu", 10, &x) || x >= SW_MAX_CPUS || rung <= SW_RUNG_NONE ||
		    rung >= SW_RUNG_COUNT || !field_u64(s, "t", 10, &t) || irqs < 0)
			return -EINVAL;
		if (!(r = rec_of(a, seq)))
			return -ENOMEM;
		/* the BPF side writes one claim per CPU; keep the first anyway */
		if (r->cpu[x].rung == SW_RUNG_NONE) {
			r->cpu[x].rung = rung;
			r->cpu[x].t_handler = t;
			if (r->cpu[x].irqs == SW_IRQS_UNKNOWN)
				r->cpu[x].irqs = irqs;
		}
		return 1;
	}
	return -EINVAL;
}

int sw_trace_asm_line(struct sw_trace_asm *a, const char *text)
{
	const char *p = strstr(text, "stopwatch: ");
	char line[512];
	size_t n;
	int ret;

	if (!p)
		return 0;
	p += 11;
	n = strcspn(p, "\n");
	if (n >= sizeof(line)) {
		a->bad++;
		return -EINVAL;
	}
	memcpy(line, p, n);
	line[n] = '\0';
	ret = asm_line(a, line);
	if (ret > 0)
		a->used++;
	else if (ret == -EINVAL)
		a->bad++;
	return ret;
}

int sw_trace_asm_count(const struct sw_trace_asm *a)
{
	return a->n;
}

const struct sw_stop_record *sw_trace_asm_record(const struct sw_trace_asm *a, int i,
						 struct sw_record_meta *meta)
{
	struct sw_stop_record *r;
	const struct epoch_meta *ep;

	if (i < 0 || i >= a->n)
		return NULL;
	r = &a->recs[i].r;
	ep = &a->ep[a->recs[i].epoch];
	/* a begin line lost (overwritten): cover every CPU a line named */
	if (!r->nr_cpus) {
		for (unsigned int c = 0; c < SW_MAX_CPUS; c++) {
			bool named = r->cpu[c].rung || sw_mask_test(r->online, c);

			for (int k = 0; k < SW_FIRE_RUNGS; k++)
				named |= sw_mask_test(r->target[k], c);
			if (named)
				r->nr_cpus = c + 1;
		}
	}
	memset(meta, 0, sizeof(*meta));
	meta->source = SW_SRC_TRACE;
	meta->exact = true;	/* bpf_ktime_get_ns() values, as in the BPF store */
	memcpy(meta->boot_id, ep->boot_id, sizeof(meta->boot_id));
	meta->mono_to_real_ns = ep->mono_to_real_ns;
	return r;
}

void sw_trace_asm_stats(const struct sw_trace_asm *a, int *used, int *bad)
{
	*used = a->used;
	*bad = a->bad;
}

int sw_trace_armed_line(char *buf, size_t len, const char *boot_id, __s64 mono_to_real_ns)
{
	return snprintf(buf, len, "stopwatch: armed boot_id=%s mono_to_real_ns=%lld version=%s",
			boot_id, (long long)mono_to_real_ns, STOPWATCH_VERSION);
}

/* ---- the instance ---- */

enum sw_trace_state sw_trace_instance_state(const char *name)
{
	struct tracefs_instance *inst;
	enum sw_trace_state st;

	if (!tracefs_instance_exists(name))
		return SW_TRACE_ABSENT;
	inst = tracefs_instance_alloc(NULL, name);
	if (!inst)
		return SW_TRACE_ABSENT;
	/* 6.12 creates last_boot_info only in instances mapped on reserved memory */
	st = tracefs_file_exists(inst, "last_boot_info") ? SW_TRACE_PERSISTENT : SW_TRACE_VOLATILE;
	tracefs_instance_free(inst);
	return st;
}

void sw_trace_boot_params(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "reserve_mem=12M:4096:trace trace_instance=%s^traceoff@trace", name);
}

int sw_trace_arm(const char *name, const char *armed_line, char *err, size_t errlen)
{
	struct tracefs_instance *inst = tracefs_instance_alloc(NULL, name);
	int ret = 0;

	if (!inst) {
		snprintf(err, errlen, "failed to open trace instance %s: %s", name, strerror(errno));
		return -errno;
	}
	if (tracefs_event_enable(inst, "bpf_trace", "bpf_trace_printk")) {
		ret = errno ? -errno : -ENOENT;
		snprintf(err, errlen, "failed to enable bpf_trace/bpf_trace_printk in instance %s: %s",
			 name, strerror(-ret));
	} else if (tracefs_trace_on(inst)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "failed to turn tracing on in instance %s: %s", name,
			 strerror(-ret));
	} else if (tracefs_printf(inst, "%s\n", armed_line) < 0) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "failed to write to %s's trace_marker: %s", name,
			 strerror(-ret));
	}
	tracefs_instance_free(inst);
	return ret;
}

struct read_ctx {
	struct sw_trace_asm *a;
	FILE *events;
	int n;
};

/* The text of a bpf_trace_printk (bpf_string) or trace_marker (buf) event. */
static int read_event(struct tep_event *event, struct tep_record *record, int cpu, void *data)
{
	struct read_ctx *c = data;
	struct tep_format_field *f;
	char text[1024];
	const char *p;
	int len, max;

	if (!strcmp(event->name, "bpf_trace_printk"))
		f = tep_find_field(event, "bpf_string");
	else if (!strcmp(event->name, "print"))
		f = tep_find_field(event, "buf");
	else
		return 0;
	if (!f)
		return 0;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		p = tep_get_field_raw(NULL, event, f->name, record, &len, 0);
		max = p ? len : 0;
	} else {
		/* char buf[]: runs to the end of the record */
		p = (const char *)record->data + f->offset;
		max = record->size > f->offset ? record->size - f->offset : 0;
	}
	if (!p || max <= 0)
		return 0;
	len = strnlen(p, max < (int)sizeof(text) - 1 ? max : (int)sizeof(text) - 1);
	memcpy(text, p, len);
	while (len && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	c->n++;
	if (c->events)
		fprintf(c->events, "%d %llu %s:%s %s\n", cpu, (unsigned long long)record->ts,
			event->system, event->name, text);
	sw_trace_asm_line(c->a, text);
	return 0;
}

int sw_trace_read_instance(const char *name, struct sw_trace_asm *a, FILE *events,
			   char *err, size_t errlen)
{
	const char *systems[] = { "bpf_trace", "ftrace", NULL };
	struct read_ctx c = { .a = a, .events = events };
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	int ret = 0;

	if (!tracefs_instance_exists(name)) {
		snprintf(err, errlen, "no trace instance %s", name);
		return -ENOENT;
	}
	inst = tracefs_instance_alloc(NULL, name);
	/* only the two systems whose events carry stopwatch's lines */
	tep = tracefs_local_events_system(NULL, systems);
	if (!inst || !tep) {
		ret = errno ? -errno : -ENOMEM;
		snprintf(err, errlen, "failed to read the event formats in tracefs: %s",
			 strerror(-ret));
	} else if (tracefs_iterate_raw_events(tep, inst, NULL, 0, read_event, &c) < 0) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "failed to read instance %s: %s", name, strerror(-ret));
	}
	tep_free(tep);
	tracefs_instance_free(inst);
	return ret ? ret : c.n;
}
