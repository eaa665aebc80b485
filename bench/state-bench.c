// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * State work at scale, through the state API only (so the same source
 * links against an older build to give the same-run baseline):
 *   state-bench DIR build N        ingest N distinct log records (one commit)
 *   state-bench DIR reingest N     ingest the same N again: all known
 *   state-bench DIR new N M        M records never seen, on top of N
 * Prints one line of key=value figures: wall seconds of open, the adds
 * (with making the records), commit, in all; state_us_per_record is the CPU
 * time in sw_state_add per record, key_us_per_record that of the key
 * function (sw_state_key_of, part of it) on the same records; work_s the
 * state work in all: open, the adds' CPU time, commit (not making records).
 * Records are log records (content-hash keys, as logscan makes them) of a
 * 4-CPU stop, each a different host and time, the fleet case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time: on a shared machine, wall time also counts other processes' turns */
static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/*
 * One log record of a 4-CPU stop, each a different host and time. The
 * record model (issue 10) changed the state API from the BPF wire struct
 * to the decoded struct sw_stop (stop.h defines SW_CPUS_MAX); the bench
 * speaks both, so that the same source still builds against the baseline.
 */
#ifdef SW_CPUS_MAX
typedef struct sw_stop bench_rec;

static bench_rec *rec_new(void)
{
	return sw_stop_new(4);
}

static void fill(bench_rec *r, unsigned long i)
{
	__u64 t0 = 1000000000ULL + i * 1000;

	memset(&r->meta, 0, sizeof(r->meta));
	r->meta.source = SW_SRC_LOG;
	snprintf(r->meta.host, sizeof(r->meta.host), "node%lu", i % 4096);
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->state = SW_REC_DONE;
	r->initiator = 0;
	r->start = sw_time_exact(t0);
	r->end = (struct sw_time){ 0 };
	memset(r->rung, 0, sizeof(r->rung));
	r->rung[0].fired = true;
	r->rung[0].t = sw_time_exact(t0 + 1000);
	r->rung[0].targets_known = true;
	sw_cpuset_parse("1-3", &r->rung[0].targets);
	r->online_known = true;
	sw_cpuset_parse("0-3", &r->online);
	r->failed_known = false;
	memset(r->cpu, 0, 4 * sizeof(*r->cpu));
	r->cpu[0].rung = SW_RUNG_NONE;
	for (unsigned int c = 1; c < 4; c++) {
		r->cpu[c].rung = SW_RUNG_IPI;
		r->cpu[c].irqs = SW_IRQS_ENABLED;
		r->cpu[c].at = sw_time_exact(t0 + 1000 + 5000 * c);
	}
}

static void rec_free(bench_rec *r)
{
	sw_stop_free(r);
}

static int add(struct sw_state *s, bench_rec *r)
{
	return sw_state_add(s, r);
}

static void key_of(bench_rec *r, struct sw_state_key *k)
{
	sw_state_key_of(r, 0, k);
}
#else
typedef struct {
	struct sw_record_meta m;
	struct sw_stop_record r;
} bench_rec;

static bench_rec *rec_new(void)
{
	return malloc(sizeof(bench_rec));
}

static void fill(bench_rec *b, unsigned long i)
{
	struct sw_stop_record *r = &b->r;
	struct sw_record_meta *m = &b->m;
	__u64 t0 = 1000000000ULL + i * 1000;

	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->kind = SW_KIND_STOP;
	r->nr_cpus = 4;
	r->state = SW_REC_DONE;
	r->t_start = t0;
	sw_mask_parse("0-3", r->online, 4);
	r->t_fire[0] = t0 + 1000;
	sw_mask_parse("1-3", r->target[0], 4);
	for (unsigned int c = 1; c < 4; c++)
		r->cpu[c] = (struct sw_cpu_stop){ t0 + 1000 + 5000 * c, SW_RUNG_IPI, SW_IRQS_ENABLED };
	memset(m, 0, sizeof(*m));
	m->source = SW_SRC_LOG;
	snprintf(m->host, sizeof(m->host), "node%lu", i % 4096);
}

static void rec_free(bench_rec *b)
{
	free(b);
}

static int add(struct sw_state *s, bench_rec *b)
{
	return sw_state_add(s, &b->m, &b->r);
}

static void key_of(bench_rec *b, struct sw_state_key *k)
{
	sw_state_key_of(&b->m, &b->r, 0, k);
}
#endif

int main(int argc, char **argv)
{
	bench_rec *r = rec_new();
	struct sw_state *s;
	unsigned long n, first, count, added = 0, already = 0;
	double t0, t1, t2, t3, c0, c1, c2, c3, c4;
	unsigned long nkey;
	char err[512];

	if (argc < 4) {
		fprintf(stderr, "usage: state-bench DIR build|reingest|new N [M]\n");
		return 2;
	}
	if (!r) {
		fprintf(stderr, "state-bench: out of memory\n");
		return 1;
	}
	n = strtoul(argv[3], NULL, 0);
	first = !strcmp(argv[2], "new") ? n : 0;
	count = !strcmp(argv[2], "new") ? strtoul(argc > 4 ? argv[4] : "1000", NULL, 0) : n;
	nkey = count < 100000 ? count : 100000;
	t0 = now();
	if (sw_state_open(&s, argv[1], true, NULL, err, sizeof(err))) {
		fprintf(stderr, "state-bench: open: %s\n", err);
		return 1;
	}
	t1 = now();
	/* state work = CPU time of (make the record, add it) less that of making it alone */
	c0 = cpu();
	for (unsigned long i = first; i < first + count; i++)
		fill(r, i);
	c1 = cpu();
	for (unsigned long i = first; i < first + count; i++) {
		fill(r, i);
		if (add(s, r) < 0) {
			fprintf(stderr, "state-bench: out of memory\n");
			return 1;
		}
	}
	c2 = cpu();
	t2 = now();
	if (sw_state_commit(s, err, sizeof(err))) {
		fprintf(stderr, "state-bench: commit: %s\n", err);
		return 1;
	}
	t3 = now();
	/* the key function alone, on the same records: its share of the state work */
	c3 = cpu();
	for (unsigned long i = first; i < first + nkey; i++) {
		struct sw_state_key k;

		fill(r, i);
		key_of(r, &k);
	}
	c4 = cpu();
	sw_state_session(s, &added, &already);
	sw_state_close(s);
	printf("%s records=%lu new=%lu known=%lu open_s=%.4f add_s=%.4f commit_s=%.4f total_s=%.4f "
	       "state_us_per_record=%.3f key_us_per_record=%.3f work_s=%.4f\n", argv[2], count, added, already,
	       t1 - t0, t2 - t1, t3 - t2, t3 - t0, ((c2 - c1) - (c1 - c0)) * 1e6 / count,
	       ((c4 - c3) - (c1 - c0) * nkey / count) * 1e6 / nkey,
	       (t1 - t0) + ((c2 - c1) - (c1 - c0)) + (t3 - t2));
	rec_free(r);
	return 0;
}
