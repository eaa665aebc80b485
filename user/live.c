// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fileio.h"
#include "json.h"
#include "live.h"
#include "loader.h"
#include "record.h"

static const char *const counter_names[SW_COUNTERS] = {
	[SW_CNT_IPI_SENT] = "ipi_sent",
	[SW_CNT_IPI_MATCHED] = "ipi_matched",
	[SW_CNT_IPI_UNMATCHED] = "ipi_unmatched",
	[SW_CNT_IPI_STALE] = "ipi_stale",
	[SW_CNT_SDEI_SIGNALLED] = "sdei_signalled",
	[SW_CNT_SDEI_DELIVERED] = "sdei_delivered",
	[SW_CNT_SDEI_MASKED] = "sdei_masked",
	[SW_CNT_SDEI_IDLE] = "sdei_idle",
	[SW_CNT_RINGBUF_DROPS] = "ringbuf_drops",
	[SW_CNT_STOP_HANDLERS] = "stop_handlers",
	[SW_CNT_ORPHAN_HANDLERS] = "orphan_stop_handlers",
	[SW_CNT_STOPS] = "stops",
	[SW_CNT_REASON_UNKNOWN] = "ipi_reason_unknown",
	[SW_CNT_TRACE_DROPS] = "trace_line_drops",
	[SW_CNT_IPI_UNSAMPLED] = "ipi_unsampled",
};

static const char *const counter_help[SW_COUNTERS] = {
	[SW_CNT_IPI_SENT] = "IPI sends seen, per target CPU",
	[SW_CNT_IPI_MATCHED] = "IPI handler entries paired with their send",
	[SW_CNT_IPI_UNMATCHED] = "IPI handler entries with no send seen",
	[SW_CNT_IPI_STALE] = "IPI send/handler pairs dropped as stale",
	[SW_CNT_SDEI_SIGNALLED] = "SDEI event 0 signals, per target CPU",
	[SW_CNT_SDEI_DELIVERED] = "SDEI event 0 deliveries",
	[SW_CNT_SDEI_MASKED] = "SDEI event 0 deliveries to a busy CPU with interrupts masked",
	[SW_CNT_SDEI_IDLE] = "SDEI event 0 deliveries to an idle CPU (an IPI wakes it too)",
	[SW_CNT_RINGBUF_DROPS] = "events lost because the ring buffer was full",
	[SW_CNT_STOP_HANDLERS] = "stop handlers seen in a stop sequence",
	[SW_CNT_ORPHAN_HANDLERS] = "stop handlers seen outside any stop sequence",
	[SW_CNT_STOPS] = "stop sequences begun",
	[SW_CNT_REASON_UNKNOWN] = "IPI reasons stopwatch could not classify",
	[SW_CNT_TRACE_DROPS] = "stop-record trace lines bpf_trace_printk refused",
	[SW_CNT_IPI_UNSAMPLED] = "IPI handler entries paired with a send sampling left untimed",
};

const char *sw_counter_name(unsigned int idx)
{
	return idx < SW_COUNTERS ? counter_names[idx] : "invalid";
}

struct sw_live_snapshot *sw_live_snapshot_new(int nr_cpus, bool per_cpu)
{
	struct sw_live_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nr_cpus = nr_cpus;
	if (per_cpu) {
		s->percpu = calloc((size_t)nr_cpus * SW_HIST_KEYS, sizeof(struct sw_hist));
		s->percpu_counters = calloc((size_t)nr_cpus * SW_COUNTERS, sizeof(__u64));
		if (!s->percpu || !s->percpu_counters) {
			sw_live_snapshot_free(s);
			return NULL;
		}
	}
	return s;
}

void sw_live_snapshot_free(struct sw_live_snapshot *s)
{
	if (s) {
		free(s->percpu);
		free(s->percpu_counters);
	}
	free(s);
}

/* BPF leaves this counter to the histograms (one atomic less per event) */
static __u64 ipi_matched(const struct sw_hist *keys)
{
	__u64 n = 0;

	for (int k = 0; k < SW_HIST_KINDS; k++)
		n += keys[SW_STREAM_IPI * SW_HIST_KINDS + k].count;
	return n;
}

int sw_live_read(const struct sw_live_maps *m, struct sw_live_snapshot *s)
{
	int err = sw_read_hists(m->hists_fd, m->nr_cpus, s->total, s->percpu);

	if (!err)
		err = sw_read_counters(m->counters_fd, m->nr_cpus, s->counters, s->percpu_counters);
	if (err)
		return err;
	/* matched: the timed ones (the histograms) and those sampling left untimed */
	s->counters[SW_CNT_IPI_MATCHED] = ipi_matched(s->total) + s->counters[SW_CNT_IPI_UNSAMPLED];
	if (s->percpu && s->percpu_counters)
		for (int c = 0; c < s->nr_cpus; c++) {
			__u64 *pc = &s->percpu_counters[c * SW_COUNTERS];

			pc[SW_CNT_IPI_MATCHED] = ipi_matched(&s->percpu[c * SW_HIST_KEYS]) +
						 pc[SW_CNT_IPI_UNSAMPLED];
		}
	return 0;
}

void sw_live_delta(struct sw_live_snapshot *d, const struct sw_live_snapshot *a,
		   const struct sw_live_snapshot *b)
{
	for (int k = 0; k < SW_HIST_KEYS; k++)
		sw_hist_sub(&d->total[k], &a->total[k], &b->total[k]);
	if (d->percpu && a->percpu && b->percpu)
		for (int i = 0; i < a->nr_cpus * SW_HIST_KEYS; i++)
			sw_hist_sub(&d->percpu[i], &a->percpu[i], &b->percpu[i]);
	for (int c = 0; c < SW_COUNTERS; c++)
		d->counters[c] = a->counters[c] - b->counters[c];
	if (d->percpu_counters && a->percpu_counters && b->percpu_counters)
		for (int i = 0; i < a->nr_cpus * SW_COUNTERS; i++)
			d->percpu_counters[i] = a->percpu_counters[i] - b->percpu_counters[i];
}

static unsigned int sample_every(const struct sw_live_maps *m)
{
	return m->sample_every > 1 ? m->sample_every : 1;
}

/* Whether CPU @c counted anything (-C prints only those). */
static bool cpu_counted(const struct sw_live_snapshot *s, int c)
{
	for (int i = 0; i < SW_COUNTERS; i++)
		if (s->percpu_counters[c * SW_COUNTERS + i])
			return true;
	return false;
}

static const char *stream_name(int key)
{
	return key / SW_HIST_KINDS == SW_STREAM_IPI ? "ipi" : "sdei";
}

static const char *kind_name(int key)
{
	int kind = key % SW_HIST_KINDS;

	return key / SW_HIST_KINDS == SW_STREAM_IPI ? sw_ipi_kind_name(kind) : sw_sdei_kind_name(kind);
}

static bool valid_key(int key)
{
	return key / SW_HIST_KINDS == SW_STREAM_IPI || key % SW_HIST_KINDS < SW_SDEI_KINDS;
}

static void print_time(FILE *f)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%-8s\n", buf);
}

static void print_text(FILE *f, const struct env *e, const struct sw_live_maps *m,
		       const struct sw_live_snapshot *s, const struct sw_store *st)
{
	char title[128];
	bool any = false;

	if (e->timestamp)
		print_time(f);
	for (int key = 0; key < SW_HIST_KEYS; key++) {
		if (!valid_key(key))
			continue;
		if (e->per_cpu && s->percpu) {
			for (int c = 0; c < s->nr_cpus; c++) {
				const struct sw_hist *h = &s->percpu[c * SW_HIST_KEYS + key];

				if (!h->count)
					continue;
				snprintf(title, sizeof(title), "%s %s delivery latency, CPU %d",
					 stream_name(key), kind_name(key), c);
				sw_hist_print_text(f, m->loglinear, h, title);
				fputc('\n', f);
				any = true;
			}
			continue;
		}
		if (!s->total[key].count)
			continue;
		snprintf(title, sizeof(title), "%s %s delivery latency", stream_name(key), kind_name(key));
		sw_hist_print_text(f, m->loglinear, &s->total[key], title);
		fputc('\n', f);
		any = true;
	}
	if (!any)
		fprintf(f, "(no IPI or SDEI deliveries in this interval)\n");
	if (sample_every(m) > 1)
		fprintf(f, "sampled: 1 in %u IPI sends timed per CPU (histograms); counters exact\n",
			sample_every(m));
	fprintf(f, "counters:");
	for (int c = 0; c < SW_COUNTERS; c++)
		if (s->counters[c])
			fprintf(f, " %s=%llu", counter_names[c], (unsigned long long)s->counters[c]);
	if (st)
		fprintf(f, " stop_records=%llu", (unsigned long long)st->hdr.next_seq);
	fprintf(f, "\n");
	for (int c = 0; e->per_cpu && s->percpu_counters && c < s->nr_cpus; c++) {
		if (!cpu_counted(s, c))
			continue;
		fprintf(f, "counters CPU %d:", c);
		for (int i = 0; i < SW_COUNTERS; i++)
			if (s->percpu_counters[c * SW_COUNTERS + i])
				fprintf(f, " %s=%llu", counter_names[i],
					(unsigned long long)s->percpu_counters[c * SW_COUNTERS + i]);
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}

static void print_json(FILE *f, const struct env *e, const struct sw_live_maps *m,
		       const struct sw_live_snapshot *s, const struct sw_store *st)
{
	sw_json *o = sw_json_obj(), *x;

	sw_json_set_str(o, "schema", "stopwatch.live/1");
	sw_json_set(o, "time", sw_json_s64(time(NULL)));
	sw_json_set(o, "interval_s", sw_json_fixed(e->interval, 3));
	sw_json_set_str(o, "bucketing", m->loglinear ? "loglinear_ns" : "log2_us");
	sw_json_set_u64(o, "sample_every", sample_every(m));
	for (int stream = 0; stream < SW_STREAMS; stream++) {
		x = sw_json_obj();
		for (int kind = 0; kind < SW_HIST_KINDS; kind++) {
			int key = stream * SW_HIST_KINDS + kind;

			if (valid_key(key) && s->total[key].count)
				sw_json_set(x, kind_name(key), sw_hist_json(m->loglinear, &s->total[key]));
		}
		sw_json_set(o, stream == SW_STREAM_IPI ? "ipi" : "sdei", x);
	}
	if (e->per_cpu && s->percpu) {
		x = sw_json_arr();
		for (int c = 0; c < s->nr_cpus; c++)
			for (int key = 0; key < SW_HIST_KEYS; key++) {
				const struct sw_hist *h = &s->percpu[c * SW_HIST_KEYS + key];
				sw_json *p;

				if (!valid_key(key) || !h->count)
					continue;
				p = sw_json_obj();
				sw_json_set_u64(p, "cpu", c);
				sw_json_set_str(p, "stream", stream_name(key));
				sw_json_set_str(p, "kind", kind_name(key));
				sw_json_set(p, "hist", sw_hist_json(m->loglinear, h));
				sw_json_push(x, p);
			}
		sw_json_set(o, "per_cpu", x);
	}
	x = sw_json_obj();
	for (int c = 0; c < SW_COUNTERS; c++)
		sw_json_set_u64(x, counter_names[c], s->counters[c]);
	sw_json_set(o, "counters", x);
	if (e->per_cpu && s->percpu_counters) {
		/* CPUs that counted anything, each with every counter */
		x = sw_json_arr();
		for (int c = 0; c < s->nr_cpus; c++) {
			sw_json *p;

			if (!cpu_counted(s, c))
				continue;
			p = sw_json_obj();
			sw_json_set_u64(p, "cpu", c);
			for (int i = 0; i < SW_COUNTERS; i++)
				sw_json_set_u64(p, counter_names[i], s->percpu_counters[c * SW_COUNTERS + i]);
			sw_json_push(x, p);
		}
		sw_json_set(o, "per_cpu_counters", x);
	}
	if (st)
		sw_json_set_u64(o, "stop_records", st->hdr.next_seq);
	sw_json_print(f, o);
}

static const struct sw_metric_desc sample_desc = {
	"stopwatch_ipi_sample_every", SW_METRIC_GAUGE, NULL,
	"1 in this many IPI sends per CPU is timed into the latency histograms (1: all; counters are exact)",
};

static const struct sw_metric_desc latency_desc[SW_STREAMS] = {
	[SW_STREAM_IPI] = { "stopwatch_ipi_latency_seconds", SW_METRIC_HISTOGRAM, "seconds",
			    "IPI send to handler entry (-C: per IPI kind and CPU)", &sw_buckets_delivery },
	[SW_STREAM_SDEI] = { "stopwatch_sdei_latency_seconds", SW_METRIC_HISTOGRAM, "seconds",
			     "SDEI event 0 signal to handler (-C: per reason and CPU)", &sw_buckets_delivery },
};

/* The counters' families: stopwatch_<counter name>, filled once. */
static const struct sw_metric_desc *counter_desc(unsigned int c)
{
	static char names[SW_COUNTERS][48];
	static struct sw_metric_desc d[SW_COUNTERS];

	if (!d[c].name) {
		snprintf(names[c], sizeof(names[c]), "stopwatch_%s", counter_names[c]);
		d[c] = (struct sw_metric_desc){ names[c], SW_METRIC_COUNTER, NULL, counter_help[c] };
	}
	return &d[c];
}

void sw_live_expo(struct sw_expo *e, const struct sw_live_maps *m,
		  const struct sw_live_snapshot *cum, bool per_cpu)
{
	char labels[SW_EXPO_LABELS], cpu[16];

	sw_expo_gauge(e, sw_expo_family(e, &sample_desc), "", sample_every(m));
	for (int stream = 0; stream < SW_STREAMS; stream++) {
		struct sw_expo_family *f = sw_expo_family(e, &latency_desc[stream]);
		struct sw_hist all = { 0 };

		for (int kind = 0; kind < SW_HIST_KINDS; kind++) {
			int key = stream * SW_HIST_KINDS + kind;

			if (!valid_key(key))
				continue;
			if (per_cpu && cum->percpu) {
				/*
				 * -C: the CPUs that saw this kind, not every CPU (a
				 * 256-CPU host would export 100,000 idle series). The
				 * counts are cumulative: a series, once there, stays.
				 */
				for (int c = 0; c < cum->nr_cpus; c++) {
					if (!cum->percpu[c * SW_HIST_KEYS + key].count)
						continue;
					snprintf(cpu, sizeof(cpu), "%d", c);
					sw_expo_labels(labels, sizeof(labels), "kind", kind_name(key),
						       "cpu", cpu, NULL);
					sw_expo_hist(e, f, labels, m->loglinear,
						     &cum->percpu[c * SW_HIST_KEYS + key]);
				}
			} else {
				sw_hist_merge(&all, &cum->total[key]);
			}
		}
		/*
		 * -C off: one histogram per stream, every kind summed. A host's
		 * series stay within budget whatever kinds its kernel sends (an
		 * arm64 kernel names up to 10); the kinds stay in -C, the text
		 * and JSON outputs, and node_exporter's interrupts collector
		 * counts IPIs per kind.
		 */
		if (!(per_cpu && cum->percpu) && all.count)
			sw_expo_hist(e, f, "", m->loglinear, &all);
	}
	for (unsigned int c = 0; c < SW_COUNTERS; c++) {
		struct sw_expo_family *f = sw_expo_family(e, counter_desc(c));

		/* -C: per CPU only, as the histograms, so a sum() over cpu is the total */
		if (per_cpu && cum->percpu_counters) {
			for (int i = 0; i < cum->nr_cpus; i++) {
				if (!cum->percpu_counters[i * SW_COUNTERS + c])
					continue;	/* as above: only what counted */
				snprintf(cpu, sizeof(cpu), "%d", i);
				sw_expo_labels(labels, sizeof(labels), "cpu", cpu, NULL);
				sw_expo_counter(e, f, labels, cum->percpu_counters[i * SW_COUNTERS + c]);
			}
		} else {
			sw_expo_counter(e, f, "", cum->counters[c]);
		}
	}
}

int sw_live_print_metrics(FILE *f, const struct sw_live_maps *m,
			  const struct sw_live_snapshot *cum, bool per_cpu, enum sw_expo_format fmt)
{
	struct sw_expo e;
	int err;

	sw_expo_init(&e);
	sw_live_expo(&e, m, cum, per_cpu);
	if (!e.err)
		sw_expo_render(f, &e, fmt);
	err = e.err;
	sw_expo_free(&e);
	return err;
}

struct textfile_ctx {
	const struct sw_live_maps *m;
	const struct sw_live_snapshot *cum;
	bool per_cpu;
};

static int fill_textfile(FILE *f, void *ctx)
{
	const struct textfile_ctx *t = ctx;

	/* node_exporter parses textfiles as the Prometheus text format 0.0.4 */
	int err = sw_live_print_metrics(f, t->m, t->cum, t->per_cpu, SW_EXPO_PROMETHEUS);

	return err ? err : ferror(f) ? -EIO : 0;
}

int sw_write_textfile(const char *path, const struct sw_live_maps *m,
		      const struct sw_live_snapshot *cum, bool per_cpu)
{
	struct textfile_ctx t = { m, cum, per_cpu };

	/* node_exporter must never read a half-written file */
	return sw_replace_file(path, 0644, false, fill_textfile, &t);
}

void sw_live_print(FILE *f, const struct env *e, const struct sw_live_maps *m,
		   const struct sw_live_snapshot *shown, const struct sw_live_snapshot *cumulative,
		   const struct sw_store *st)
{
	switch (e->format) {
	case SW_FMT_TEXT:
		print_text(f, e, m, shown, st);
		break;
	case SW_FMT_JSON:
		print_json(f, e, m, shown, st);
		break;
	case SW_FMT_OPENMETRICS:
	case SW_FMT_PROMETHEUS:
		sw_live_print_metrics(f, m, cumulative ? cumulative : shown, e->per_cpu,
				      e->format == SW_FMT_OPENMETRICS ? SW_EXPO_OPENMETRICS
								      : SW_EXPO_PROMETHEUS);
		break;
	}
	fflush(f);
}
