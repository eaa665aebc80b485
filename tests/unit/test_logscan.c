// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* logscan: the sample logs in tests/data/logs/ and the records they give. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "legacy_v1.h"
#include "logscan.h"
#include "stop_print.h"

#define MAX_RECS 16
#define S(x) ((__u64)(x##ULL))

/*
 * r[]: each record in release 1's form (legacy_v1): its bytes were the
 * state key, so the assertions on it keep that form exactly as it was.
 * s[]: the decoded record that every sink sees.
 */
struct got {
	int n;
	struct sw_record_meta m[MAX_RECS];
	struct sw_v1_stop_record r[MAX_RECS];
	struct sw_stop *s[MAX_RECS];
};

static struct got scanned;	/* what scan() returns */

static void got_reset(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		sw_stop_free(g->s[i]);
	memset(g, 0, sizeof(*g));
}

static void collect(void *ctx, const struct sw_stop *s)
{
	struct got *g = ctx;

	assert_true(g->n < MAX_RECS);
	assert_non_null(s->legacy_v1);
	g->m[g->n] = s->meta;
	g->r[g->n] = *s->legacy_v1;
	g->s[g->n] = sw_stop_new(s->nr_cpus);
	assert_non_null(g->s[g->n]);
	assert_int_equal(sw_stop_copy(g->s[g->n], s), 0);
	g->n++;
}

/* The decoded record scan() gave with release-1 form @r: derived facts come from it. */
static const struct sw_stop *decoded(const struct sw_v1_stop_record *r)
{
	long i = r - scanned.r;

	assert_true(i >= 0 && i < scanned.n);
	return scanned.s[i];
}

static enum sw_outcome sw_record_outcome(const struct sw_v1_stop_record *r)
{
	return sw_stop_outcome(decoded(r));
}

static unsigned int sw_record_top_rung(const struct sw_v1_stop_record *r)
{
	return sw_stop_top_rung(decoded(r));
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	char *buf;

	if (fd < 0)
		return NULL;
	fstat(fd, &st);
	buf = malloc(st.st_size + 1);
	*len = read(fd, buf, st.st_size);
	close(fd);
	return buf;
}

/* tests/data/logs beside this file (or $SW_TEST_LOGS) */
static void data_path(const char *name, char *out, size_t size)
{
	const char *env = getenv("SW_TEST_LOGS");
	char src[] = __FILE__;

	if (env)
		snprintf(out, size, "%s/%s", env, name);
	else
		snprintf(out, size, "%s/../data/logs/%s", dirname(src), name);
}

static struct got *scan(const char *name, const char *host)
{
	struct got *g = &scanned;
	char path[4096];
	size_t len = 0;
	char *buf;
	int ret;

	got_reset(g);
	data_path(name, path, sizeof(path));
	buf = read_all(path, &len);
	if (!buf)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	ret = sw_logscan_buffer(buf, len, host, collect, g);
	free(buf);
	assert_int_equal(ret, g->n);
	return g;
}

/* A mask of release 1's record. */
static void assert_mask(const __u64 *mask, const char *want)
{
	struct sw_cpuset w;

	assert_int_equal(sw_cpuset_parse(want, &w), 0);
	assert_memory_equal(mask, w.w, SW_V1_MASK_WORDS * sizeof(__u64));
}

static void assert_set(const struct sw_cpuset *s, const char *want)
{
	char buf[SW_CPUSET_TEXT_MAX];

	assert_int_equal(sw_cpuset_format(s, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void assert_never(const struct sw_v1_stop_record *r, const char *want)
{
	struct sw_cpuset never;

	assert_true(sw_stop_never_stopped(decoded(r), &never));
	assert_set(&never, want);
}

static void test_arm64_clean_reboot(void **state)
{
	struct got *g = scan("arm64-clean-reboot.log", "fallback");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(g->m[0].source, SW_SRC_LOG);
	assert_false(g->m[0].exact);
	assert_string_equal(g->m[0].host, "fallback");
	assert_int_equal(r->seq, 1);
	assert_int_equal(r->kind, SW_KIND_STOP);
	assert_int_equal(r->initiator, 0);
	assert_int_equal(r->state, SW_REC_RUNNING);
	assert_int_equal(r->nr_cpus, 4);
	assert_mask(r->online, "0-3");
	assert_int_equal(r->t_start, S(61790160000));
	assert_int_equal(r->t_fire[0], S(61790160000));
	assert_int_equal(r->t_fire[1], 0);
	assert_int_equal(r->t_fire[2], 0);
	assert_int_equal(r->t_end, 0);
	for (int c = 1; c < 4; c++)
		assert_int_equal(r->cpu[c].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[0].rung, SW_RUNG_NONE);
	assert_int_equal(sw_record_outcome(r), SW_OUT_CLEAN);
}

static void test_arm64_nmi_retry(void **state)
{
	struct got *g = scan("arm64-nmi-retry.log", NULL);
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_string_equal(g->m[0].host, "");
	assert_int_equal(r->kind, SW_KIND_STOP);	/* sysrq reset: no panic */
	assert_int_equal(r->t_start, S(45000120000));
	assert_int_equal(r->t_fire[0], S(45000120000));
	assert_int_equal(r->t_fire[1], S(46000502000));
	assert_mask(r->target[0], "");			/* the IPI's targets are not printed */
	assert_mask(r->target[1], "2-3");
	assert_int_equal(r->cpu[1].rung, SW_RUNG_IPI);
	/* CPU 1 was not named by the retry: it had stopped by then */
	assert_int_equal(r->cpu[1].t_handler, S(46000502000));
	assert_int_equal(r->cpu[2].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[3].rung, SW_RUNG_NMI);
	assert_never(r, "");
	assert_int_equal(sw_record_top_rung(r), SW_RUNG_NMI);
	assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
}

static void test_arm64_failed_stop(void **state)
{
	struct got *g = scan("arm64-failed-stop.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_PANIC);
	assert_int_equal(r->initiator, 1);		/* dump_stack's "CPU: 1" */
	assert_int_equal(r->state, SW_REC_DONE);
	assert_int_equal(r->t_start, S(82502203000));
	assert_int_equal(r->t_end, S(83502799000));
	assert_int_equal(r->t_fire[1], 0);		/* no pseudo-NMI: no NMI rung */
	assert_int_equal(r->cpu[3].rung, SW_RUNG_NONE);
	assert_int_equal(r->cpu[0].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[2].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[1].rung, SW_RUNG_NONE);	/* the initiator */
	assert_never(r, "3");
	assert_int_equal(sw_record_outcome(r), SW_OUT_FAILED);
}

static void test_arm64_sdei_kdump(void **state)
{
	struct got *g = scan("arm64-sdei-kdump.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	/* the capture kernel's boot has no stop of its own */
	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_CRASH);
	assert_int_equal(r->initiator, 0);		/* printk caller id [    C0] */
	assert_int_equal(r->t_start, S(95330402000));
	assert_int_equal(r->t_fire[1], S(96330911000));
	assert_int_equal(r->t_fire[2], S(96341007000));
	assert_mask(r->target[1], "2-3");
	assert_mask(r->target[2], "2");
	assert_int_equal(r->cpu[1].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[3].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[3].t_handler, S(96341007000));
	assert_int_equal(r->cpu[2].rung, SW_RUNG_SDEI);
	assert_never(r, "");
	assert_int_equal(sw_record_top_rung(r), SW_RUNG_SDEI);
	assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
}

static void test_arm64_ftrace_dump(void **state)
{
	struct got *g = scan("arm64-ftrace-dump.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_PANIC);
	assert_int_equal(r->state, SW_REC_DONE);
	/* the BPF side's own times win over the inference */
	assert_int_equal(r->cpu[1].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[1].t_handler, S(200000411873));
	assert_int_equal(r->cpu[2].t_handler, S(200000430102));
	assert_int_equal(r->cpu[3].rung, SW_RUNG_SDEI);
	assert_int_equal(r->cpu[3].t_handler, S(201000850977));
	assert_int_equal(r->cpu[3].irqs, SW_IRQS_MASKED);
	assert_mask(r->target[2], "3");
	assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
}

static void test_x86_nmi_shutdown(void **state)
{
	struct got *g = scan("x86-nmi-shutdown.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	/* "reboot: machine restart" follows "Restarting system": one stop */
	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_STOP);
	assert_int_equal(r->t_start, S(330515206000));
	assert_int_equal(r->t_fire[0], S(330515206000));
	assert_int_equal(r->t_fire[1], S(331516110000));
	assert_mask(r->target[1], "");			/* x86 does not print them */
	assert_mask(r->online, "0-3");
	assert_int_equal(sw_record_top_rung(r), SW_RUNG_NMI);
	assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
}

static void test_x86_panic(void **state)
{
	struct got *g = scan("x86-panic.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_PANIC);
	assert_int_equal(r->initiator, 5);
	assert_int_equal(r->nr_cpus, 8);
	assert_int_equal(r->t_start, S(120004350000));
	assert_int_equal(r->t_fire[1], S(121005020000));
	assert_int_equal(r->state, SW_REC_DONE);	/* "---[ end Kernel panic" */
	assert_int_equal(r->t_end, S(121016002000));
	assert_int_equal(r->cpu[5].rung, SW_RUNG_NONE);
	assert_never(r, "");
	assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
}

static void test_x86_kdump(void **state)
{
	struct got *g = scan("x86-kdump.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	/* the panic's stop becomes a crash stop once the capture kernel boots;
	 * x86's nmi_shootdown_cpus() fires NMIs at once */
	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_CRASH);
	assert_int_equal(r->initiator, 2);
	assert_int_equal(r->t_fire[0], 0);
	assert_int_equal(r->t_fire[1], S(310250001000));
	assert_int_equal(r->cpu[0].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[1].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[3].rung, SW_RUNG_NMI);
}

static void test_syslog_multihost(void **state)
{
	struct got *g = scan("syslog-multihost.log", "kern.log");

	/* web01's user-space "SMP: stopping" line is not the kernel's */
	assert_int_equal(g->n, 2);
	for (int i = 0; i < 2; i++) {
		const struct sw_v1_stop_record *r = &g->r[i];

		assert_int_equal(r->seq, 1);
		if (!strcmp(g->m[i].host, "db02")) {
			assert_int_equal(r->kind, SW_KIND_STOP);
			assert_int_equal(r->t_start, S(254510230000));
			assert_mask(r->target[1], "1");
			assert_mask(r->online, "0-3");
			assert_int_equal(r->cpu[1].rung, SW_RUNG_NMI);
			assert_int_equal(r->cpu[2].rung, SW_RUNG_IPI);
			assert_int_equal(sw_record_outcome(r), SW_OUT_ESCALATED);
		} else {
			assert_string_equal(g->m[i].host, "web01");
			assert_int_equal(r->kind, SW_KIND_STOP);
			assert_int_equal(r->t_start, S(256001771000));
			assert_mask(r->online, "0-1");
			assert_int_equal(r->t_fire[1], 0);
			assert_int_equal(sw_record_outcome(r), SW_OUT_CLEAN);
		}
	}
}

static void test_journal_export(void **state)
{
	struct got *g = scan("journal-export.log", "journal");
	const struct sw_v1_stop_record *r;

	/* two boots (two _BOOT_IDs); the stdout "reboot:" line is not the kernel's */
	assert_int_equal(g->n, 2);
	r = &g->r[0];
	assert_string_equal(g->m[0].host, "node17");
	assert_string_equal(g->m[0].boot_id, "4d3c2b1a-0f9e-8d7c-6b5a-493827161504");
	assert_int_equal(r->seq, 1);
	assert_int_equal(r->kind, SW_KIND_STOP);
	assert_int_equal(r->t_start, S(45000120000));	/* _SOURCE_MONOTONIC_TIMESTAMP */
	assert_int_equal(r->t_fire[1], S(46000502000));
	assert_mask(r->target[1], "2-3");
	/* __REALTIME_TIMESTAMP - _SOURCE_MONOTONIC_TIMESTAMP */
	assert_int_equal(g->m[0].mono_to_real_ns, (__s64)(S(1732194258000120) - S(45000114)) * 1000);
	r = &g->r[1];
	assert_string_equal(g->m[1].boot_id, "8899aabb-ccdd-eeff-0011-223344556677");
	assert_int_equal(r->seq, 1);
	assert_int_equal(r->kind, SW_KIND_STOP);
	assert_int_equal(r->t_start, S(100800990000));
	assert_mask(r->online, "0-3");
	assert_int_equal(sw_record_outcome(r), SW_OUT_CLEAN);
}

static void test_journal_short_monotonic(void **state)
{
	struct got *g = scan("journal-short-monotonic.log", "x");

	assert_int_equal(g->n, 1);
	assert_string_equal(g->m[0].host, "node03");
	assert_int_equal(g->r[0].t_start, S(77640113000));
	assert_mask(g->r[0].online, "0-1");
	assert_int_equal(sw_record_outcome(&g->r[0]), SW_OUT_CLEAN);
}

static void test_pstore(void **state)
{
	struct got *g = scan("dmesg-ramoops-0", "dmesg-ramoops-0");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_string_equal(g->m[0].host, "dmesg-ramoops-0");
	assert_int_equal(r->kind, SW_KIND_PANIC);
	assert_int_equal(r->initiator, 2);
	assert_int_equal(r->t_start, S(140120210000));
	assert_int_equal(r->t_fire[1], S(141120700000));
	assert_mask(r->target[1], "0");
	assert_int_equal(r->cpu[0].rung, SW_RUNG_NMI);
}

static void test_netconsole_extended(void **state)
{
	struct got *g = scan("netconsole-ext.log", "nc");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(r->kind, SW_KIND_PANIC);
	assert_int_equal(r->initiator, 1);
	assert_int_equal(r->t_start, S(88120001000));	/* usec field of "0,2201,88120001,-;" */
	assert_int_equal(r->t_end, S(88131100000));
	assert_int_equal(r->cpu[0].rung, SW_RUNG_IPI);
}

static void test_no_timestamps(void **state)
{
	struct got *g = scan("no-timestamps.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	assert_int_equal(g->n, 1);
	assert_int_equal(r->t_start, 0);
	/* fired rungs are marked with 1 ns: 0 means "not fired" in the record */
	assert_int_equal(r->t_fire[0], 1);
	assert_int_equal(r->t_fire[1], 1);
	assert_int_equal(r->t_fire[2], 0);
	assert_mask(r->target[1], "1,3");
	assert_int_equal(r->state, SW_REC_DONE);
	assert_int_equal(r->cpu[1].rung, SW_RUNG_NMI);
	assert_int_equal(r->cpu[2].rung, SW_RUNG_IPI);
	assert_int_equal(r->cpu[3].rung, SW_RUNG_NONE);
	assert_never(r, "3");
	assert_int_equal(sw_record_outcome(r), SW_OUT_FAILED);
}

static void test_two_boots(void **state)
{
	struct got *g = scan("two-boots.log", "h");

	/* the second boot has no banner: its timestamps go back */
	assert_int_equal(g->n, 2);
	assert_int_equal(g->r[0].seq, 1);
	assert_int_equal(g->r[0].kind, SW_KIND_PANIC);
	assert_int_equal(g->r[0].t_start, S(12000210000));
	assert_int_equal(g->r[0].state, SW_REC_DONE);
	assert_int_equal(g->r[1].seq, 1);
	/* the panic belonged to the first boot only */
	assert_int_equal(g->r[1].kind, SW_KIND_STOP);
	assert_int_equal(g->r[1].t_start, S(50120033000));
}

static void test_garbage(void **state)
{
	struct got *g = scan("garbage-truncated.log", "h");
	const struct sw_v1_stop_record *r = &g->r[0];

	/* NUL lines and the 9 kB line are skipped; unparsable lists leave targets unknown */
	assert_true(g->n >= 1);
	assert_int_equal(r->t_start, S(10000000000));
	assert_int_equal(r->state, SW_REC_RUNNING);	/* the failed line was too long */
	assert_int_equal(r->t_fire[1], S(12000000000));
	assert_mask(r->target[1], "");
	for (int i = 0; i < g->n; i++)
		for (int c = 0; c < SW_V1_MAX_CPUS; c++)
			assert_true(g->r[i].cpu[c].rung < SW_RUNG_COUNT);
}

/* Edge cases on synthetic buffers: nothing may crash or read out of bounds. */
static void test_edges(void **state)
{
	static const char *const bufs[] = {
		"", "\n", "SMP: ", "SMP: retry stop with NMI for CPUs ",
		"SMP: retry stop with NMI for CPUs 0-300\n",
		"SMP: failed to stop secondary CPUs\n",
		"stopwatch: cpu=1 rung=bogus t=5\nstopwatch: cpu=1\n",
		"[ 1.0] stopwatch: cpu=1 rung=self t=5",
		"MESSAGE=SMP: stopping secondary CPUs",
		"\n\nMESSAGE=SMP: stopping secondary CPUs\n_BOOT_ID=zz\n_SOURCE_MONOTONIC_TIMESTAMP=99999999999999999999\n",
		"Nov",
		"Nov 21 13:04:18 h kernel:SMP: stopping secondary CPUs",
		"2024-11-21T13:04:18+00:00 a\"b kernel: SMP: stopping secondary CPUs\n",
		"1,2,3,;SMP: stopping secondary CPUs",
	};
	struct got g = {};

	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		char *copy = malloc(strlen(bufs[i]) + 1);	/* ASan: exact size */

		memcpy(copy, bufs[i], strlen(bufs[i]));
		got_reset(&g);
		assert_true(sw_logscan_buffer(copy, strlen(bufs[i]), "h", collect, &g) >= 0);
		free(copy);
	}
	/* host names are kept as they are: the JSON writer escapes them */
	got_reset(&g);
	sw_logscan_buffer(bufs[12], strlen(bufs[12]), "h", collect, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.m[0].host, "a\"b");
	/* the self-stop line with a timestamp opens a record */
	got_reset(&g);
	sw_logscan_buffer(bufs[7], strlen(bufs[7]), NULL, collect, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].cpu[1].rung, SW_RUNG_SELF);
	got_reset(&g);
	/* no emit callback: just a count */
	assert_int_equal(sw_logscan_buffer(bufs[2], 5, NULL, NULL, NULL), 0);
}

/* A stop split across many hosts interleaved, plus a big buffer of chatter. */
static void test_bulk(void **state)
{
	size_t cap = 8 << 20, len = 0;
	char *buf = malloc(cap);
	struct got g = {};
	int n;

	while (len + 200 < cap) {
		len += snprintf(buf + len, cap - len,
				"[%5zu.%06zu] EXT4-fs (vda): mounted filesystem with ordered data mode.\n",
				len / 1000000, len % 1000000);
	}
	n = snprintf(buf + len / 2, 120, "[%5zu.000000] SMP: stopping secondary CPUs\n",
		     len / 2 / 1000000 + 1);
	buf[len / 2 + n] = '[';	/* keep the next line's bracket */
	sw_logscan_buffer(buf, len, "bulk", collect, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].kind, SW_KIND_STOP);
	got_reset(&g);
	free(buf);
}

/* Every record as its JSON line, in one string: two scans compared whole. */
struct printed {
	FILE *f;
	char *text;
	size_t len;
};

static void print_json(void *ctx, const struct sw_stop *s)
{
	sw_stop_print_json(((struct printed *)ctx)->f, s);
}

static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	memcpy(*buf + *len, p, n);
	*len += n;
}

/*
 * Every sample log, again and again with chatter between, past several
 * 4 MiB windows, with a keyword in a 10 KiB line across a window's end, in
 * a 6 MiB line (longer than a window) and in a line holding NUL: read from
 * a pipe in bounded memory, the same records as the whole buffer gives,
 * and the three lines skipped and counted.
 */
static void test_stream(void **state)
{
	static const char *const names[] = {
		"arm64-clean-reboot.log", "arm64-failed-stop.log", "journal-export.log",
		"syslog-multihost.log", "x86-kdump.log", "x86-nmi-shutdown.log", "two-boots.log",
		"no-timestamps.log",
	};
	struct printed whole = {}, piped = {};
	struct sw_logscan_stats st;
	size_t len = 0, cap = 1 << 20, chatter = 0;
	char *buf = malloc(cap), line[200], *big;
	int fds[2], status;
	pid_t pid;

	(void)state;
	for (int round = 0; len < (13u << 20); round++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char path[4096], *log;
			size_t n;

			data_path(names[i], path, sizeof(path));
			log = read_all(path, &n);
			assert_non_null(log);
			append(&buf, &len, &cap, log, n);
			free(log);
			for (int k = 0; k < 2000; k++) {
				n = snprintf(line, sizeof(line), "[%6zu.%06d] EXT4-fs (vda): chatter\n",
					     chatter / 1000, (int)(chatter % 1000));
				chatter++;
				append(&buf, &len, &cap, line, n);
			}
		}
		if (round == 0) {	/* a 10 KiB line ending past the first window */
			big = malloc(10240);
			memset(big, 'x', 10240);
			memcpy(big + 2000, "SMP: stopping secondary CPUs", 28);
			big[10239] = '\n';
			while (len < (4u << 20) - 5000)
				append(&buf, &len, &cap, "filler line\n", 12);
			append(&buf, &len, &cap, big, 10240);
			free(big);
		}
		if (round == 1) {	/* 6 MiB, one line */
			big = malloc(6u << 20);
			memset(big, 'y', 6u << 20);
			memcpy(big + (3u << 20), "Kernel panic - not syncing: x", 29);
			big[(6u << 20) - 1] = '\n';
			append(&buf, &len, &cap, big, 6u << 20);
			free(big);
			append(&buf, &len, &cap, "[ 1.000000] SMP: stop\0ping secondary CPUs\n", 43);
		}
	}
	whole.f = open_memstream(&whole.text, &whole.len);
	assert_true(sw_logscan_buffer(buf, len, "h", print_json, &whole) > 0);
	fclose(whole.f);

	/* the real window, and the smallest: window ends land everywhere, journal entries too */
	for (size_t window = 4u << 20; window >= SW_LOGSCAN_WINDOW_MIN; window = window == SW_LOGSCAN_WINDOW_MIN + 777 ? 0 : SW_LOGSCAN_WINDOW_MIN + 777) {
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		if (!pid) {
			close(fds[0]);
			_exit(write(fds[1], buf, len) == (ssize_t)len ? 0 : 1);
		}
		close(fds[1]);
		piped = (struct printed){};
		piped.f = open_memstream(&piped.text, &piped.len);
		assert_true(sw_logscan_fd_window(fds[0], "h", print_json, &piped, &st, window) > 0);
		fclose(piped.f);
		close(fds[0]);
		waitpid(pid, &status, 0);
		assert_int_equal(status, 0);
		assert_int_equal(st.bytes, len);
		assert_int_equal(st.skipped, 3);
		assert_int_equal(piped.len, whole.len);
		assert_memory_equal(piped.text, whole.text, whole.len);
		free(piped.text);
	}
	free(whole.text);
	free(buf);
}

/* Journal export entries end to end: a small window's ends fall inside entries. */
static void test_stream_journal(void **state)
{
	struct printed whole = {}, piped = {};
	struct sw_logscan_stats st;
	char path[4096], *log, *buf, name[64];
	size_t n, len = 0, cap = 1 << 20;
	FILE *tmp;

	(void)state;
	data_path("journal-export.log", path, sizeof(path));
	log = read_all(path, &n);
	assert_non_null(log);
	buf = malloc(cap);
	for (int i = 0; len < (3u << 20); i++) {
		/* each copy its own host, so every entry is a record of its own */
		int h = snprintf(name, sizeof(name), "_HOSTNAME=copy%d\n", i);

		append(&buf, &len, &cap, name, h);
		append(&buf, &len, &cap, log, n);
	}
	free(log);
	whole.f = open_memstream(&whole.text, &whole.len);
	assert_true(sw_logscan_buffer(buf, len, "h", print_json, &whole) > 100);
	fclose(whole.f);
	tmp = tmpfile();
	assert_int_equal(fwrite(buf, 1, len, tmp), len);
	fflush(tmp);
	for (size_t window = SW_LOGSCAN_WINDOW_MIN; window < SW_LOGSCAN_WINDOW_MIN + 5000; window += 997) {
		lseek(fileno(tmp), 0, SEEK_SET);
		piped = (struct printed){};
		piped.f = open_memstream(&piped.text, &piped.len);
		assert_true(sw_logscan_fd_window(fileno(tmp), "h", print_json, &piped, &st, window) > 0);
		fclose(piped.f);
		assert_int_equal(piped.len, whole.len);
		assert_memory_equal(piped.text, whole.text, whole.len);
		free(piped.text);
	}
	fclose(tmp);
	free(whole.text);
	free(buf);
}

/* ---- the decoded record: bounds, unknowns, no made-up times ---- */

static void assert_window(const struct sw_time *t, __u64 after, __u64 by)
{
	assert_false(sw_time_known(t));
	assert_int_equal(t->has_after, after != 0);
	assert_int_equal(t->has_by, by != 0);
	if (after)
		assert_int_equal(t->after, after);
	if (by)
		assert_int_equal(t->by, by);
}

static char *text_of(const struct sw_stop *s, bool per_cpu)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	sw_stop_print_text(f, s, per_cpu);
	fclose(f);
	return out;
}

/* arm64: CPUs the retry line leaves out stopped by the IPI by the retry, not at it. */
static void test_decoded_arm64_bounds(void **state)
{
	struct got *g = scan("arm64-nmi-retry.log", NULL);
	const struct sw_stop *s = g->s[0];

	assert_true(sw_time_known(&s->start));
	assert_true(sw_time_known(&s->rung[0].t));	/* "SMP: stopping" is printed as it sends */
	assert_false(s->rung[0].targets_known);
	assert_true(s->rung[1].targets_known);
	assert_int_equal(s->cpu[1].rung, SW_RUNG_IPI);
	assert_window(&s->cpu[1].at, S(45000120000), S(46000502000));
	assert_int_equal(s->cpu[2].rung, SW_RUNG_NMI);
	assert_window(&s->cpu[2].at, S(46000502000), 0);	/* the log ends: no upper bound */
	assert_true(sw_time_unknown(&s->end));
}

/* x86: "Shutting down cpus with NMI" names no CPU: their rung is unknown. */
static void test_decoded_x86_unknown_rung(void **state)
{
	struct got *g = scan("x86-nmi-shutdown.log", "h");
	const struct sw_stop *s = g->s[0];
	struct sw_cpuset never;
	char *text;

	for (int c = 1; c < 4; c++) {
		assert_int_equal(s->cpu[c].rung, SW_RUNG_UNKNOWN);
		assert_window(&s->cpu[c].at, S(330515206000), 0);
	}
	assert_true(s->rung[1].fired && !s->rung[1].targets_known);
	/* the reboot line precedes the IPI: a lower bound, not the fire time */
	assert_window(&s->rung[0].t, S(330515206000), 0);
	assert_true(sw_time_unknown(&s->end));		/* no duration, not 0.0 us */
	assert_true(sw_stop_never_stopped(s, &never));
	assert_true(sw_cpuset_empty(&never));
	assert_int_equal(sw_stop_outcome(s), SW_OUT_ESCALATED);
	text = text_of(s, false);
	assert_non_null(strstr(text, "  CPUs 1-3 stopped, rung unknown, after +0.0 us\n"));
	free(text);
}

/* No printk timestamps: rungs fired at an unknown time, never "1 ns". */
static void test_decoded_no_timestamps(void **state)
{
	struct got *g = scan("no-timestamps.log", "h");
	const struct sw_stop *s = g->s[0];
	char *text;

	assert_true(sw_time_unknown(&s->start));
	assert_true(s->rung[0].fired && sw_time_unknown(&s->rung[0].t));
	assert_true(s->rung[1].fired && sw_time_unknown(&s->rung[1].t));
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		assert_true(sw_time_unknown(&s->cpu[c].at));
	text = text_of(s, false);
	assert_non_null(strstr(text, "rung nmi  fired time unknown to CPUs 1,3"));
	free(text);
}

/* A 320-CPU arm64 host: CPUs past 255, their rungs, bounds, outcome and readable text. */
static void test_320_cpus(void **state)
{
	struct got *g = scan("arm64-320-cpus.log", "big");
	const struct sw_stop *s = g->s[0];
	struct sw_cpuset never;
	char *text;

	assert_int_equal(g->n, 1);
	assert_int_equal(s->nr_cpus, 320);
	assert_int_equal(s->kind, SW_KIND_PANIC);
	assert_int_equal(s->initiator, 17);
	assert_true(s->online_known);
	assert_set(&s->online, "0-319");
	assert_set(&s->rung[1].targets, "5,290");
	assert_int_equal(s->cpu[290].rung, SW_RUNG_NONE);
	assert_int_equal(s->cpu[17].rung, SW_RUNG_NONE);
	assert_int_equal(s->cpu[5].rung, SW_RUNG_NMI);
	assert_window(&s->cpu[5].at, S(7206110902000), S(7206121377000));
	for (int c = 0; c < 320; c++) {
		if (c == 5 || c == 17 || c == 290)
			continue;
		assert_int_equal(s->cpu[c].rung, SW_RUNG_IPI);
		assert_window(&s->cpu[c].at, S(7205110431000), S(7206110902000));
	}
	assert_true(sw_stop_never_stopped(s, &never));
	assert_set(&never, "290");
	assert_int_equal(sw_stop_outcome(s), SW_OUT_FAILED);
	text = text_of(s, false);
	assert_non_null(strstr(text, "\n  CPUs 0-4,6-16,18-289,291-319 ipi after +0.0 us, by +1000.471 ms\n"));
	assert_non_null(strstr(text, "\n  CPU 5 nmi after +1000.471 ms, by +1010.946 ms\n"));
	assert_non_null(strstr(text, "\n  never stopped: 290\n"));
	assert_null(strstr(text, "CPU   RUNG"));	/* no per-CPU table: no exact times */
	free(text);
	text = text_of(s, true);			/* -C: every CPU */
	assert_non_null(strstr(text, "\n  319   ipi     after +0.0 us, by +1000.471 ms"));
	free(text);
}

/* Every record of every sample log is valid JSON to a real parser (json-c's), one line each. */
static void test_json_parses(void **state)
{
	static const char *const logs[] = {
		"arm64-clean-reboot.log", "arm64-failed-stop.log", "arm64-ftrace-dump.log",
		"arm64-nmi-retry.log", "arm64-sdei-kdump.log", "dmesg-ramoops-0",
		"journal-export.log", "journal-short-monotonic.log", "netconsole-ext.log",
		"no-timestamps.log", "syslog-multihost.log", "two-boots.log", "x86-kdump.log",
		"x86-nmi-shutdown.log", "x86-panic.log", "arm64-320-cpus.log",
		"garbage-truncated.log",
	};

	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		struct got *g = scan(logs[i], "q\"uote\\back\x01\xff");

		for (int k = 0; k < g->n; k++) {
			char *out = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&out, &len);
			struct json_object *o, *v;

			sw_stop_print_json(f, g->s[k]);
			fclose(f);
			assert_int_equal(strchr(out, '\n') - out, (long)len - 1);
			o = json_tokener_parse(out);
			assert_non_null(o);
			assert_true(json_object_object_get_ex(o, "schema", &v));
			assert_string_equal(json_object_get_string(v), "stopwatch.stop/2");
			if (json_object_object_get_ex(o, "host", &v) && strcmp(g->m[k].host, "h"))
				assert_string_equal(json_object_get_string(v),
						    g->m[k].host[0] == 'q' ? "q\"uote\\back\x01\xef\xbf\xbd"
									 : g->m[k].host);
			json_object_put(o);
			free(out);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm64_clean_reboot),
		cmocka_unit_test(test_arm64_nmi_retry),
		cmocka_unit_test(test_arm64_failed_stop),
		cmocka_unit_test(test_arm64_sdei_kdump),
		cmocka_unit_test(test_arm64_ftrace_dump),
		cmocka_unit_test(test_x86_nmi_shutdown),
		cmocka_unit_test(test_x86_panic),
		cmocka_unit_test(test_x86_kdump),
		cmocka_unit_test(test_syslog_multihost),
		cmocka_unit_test(test_journal_export),
		cmocka_unit_test(test_journal_short_monotonic),
		cmocka_unit_test(test_pstore),
		cmocka_unit_test(test_netconsole_extended),
		cmocka_unit_test(test_no_timestamps),
		cmocka_unit_test(test_two_boots),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_journal),
		cmocka_unit_test(test_decoded_arm64_bounds),
		cmocka_unit_test(test_decoded_x86_unknown_rung),
		cmocka_unit_test(test_decoded_no_timestamps),
		cmocka_unit_test(test_320_cpus),
		cmocka_unit_test(test_json_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
