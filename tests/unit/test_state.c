// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The state directory: exactly-once ingest, record keys, corrupt and
 * truncated state files. Records come from logscan on tests/data/logs and
 * from stores built like the BPF side fills them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "logscan.h"
#include "state.h"

static const char *const log_files[] = {
	"arm64-clean-reboot.log", "arm64-failed-stop.log", "arm64-ftrace-dump.log",
	"arm64-nmi-retry.log", "arm64-sdei-kdump.log", "dmesg-ramoops-0", "journal-export.log",
	"journal-short-monotonic.log", "netconsole-ext.log", "no-timestamps.log",
	"syslog-multihost.log", "two-boots.log", "x86-kdump.log", "x86-nmi-shutdown.log",
	"x86-panic.log",
};
#define NLOGS (sizeof(log_files) / sizeof(log_files[0]))
#define BOOT_A "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
/* test_log_keys_stable: the sample logs' records and their keys as shipped */
#define KEYS_RECORDS 21
#define KEYS_CRC 0x4aa7ed2aUL

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	*len = fread(buf, 1, n, f);
	fclose(f);
	return buf;
}

static char *log_data(const char *name, size_t *len)
{
	const char *env = getenv("SW_TEST_LOGS");
	char src[] = __FILE__, path[4096];
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", env ? env : strcat(dirname(src), "/../data/logs"), name);
	buf = slurp(path, len);
	if (!buf)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	return buf;
}

struct feed {
	struct sw_state *s;
	int added, records;
};

static void feed_record(void *ctx, const struct sw_stop *r)
{
	struct feed *f = ctx;
	int ret = sw_state_add(f->s, r);

	assert_true(ret >= 0);
	f->added += ret;
	f->records++;
}

/* Every sample log into @s, each under its own name as host (as logscan FILE does). */
static struct feed feed_logs(struct sw_state *s)
{
	struct feed f = { .s = s };

	for (unsigned int i = 0; i < NLOGS; i++) {
		size_t len;
		char *buf = log_data(log_files[i], &len);

		sw_logscan_buffer(buf, len, log_files[i], feed_record, &f);
		free(buf);
	}
	return f;
}

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/sw-state-test.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_dir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

static struct sw_state *open_rw(const char *dir, bool *recovered)
{
	struct sw_state *s;
	char err[512];
	int ret = sw_state_open(&s, dir, true, recovered, err, sizeof(err));

	if (ret)
		fail_msg("open %s: %s", dir, err);
	return s;
}

static void commit(struct sw_state *s)
{
	char err[512];

	if (sw_state_commit(s, err, sizeof(err)))
		fail_msg("commit: %s", err);
}

static void path_in(const char *dir, const char *name, char *out)
{
	snprintf(out, 4096, "%s/%s", dir, name);
}

/* ---- stores, filled the way the BPF side fills them ---- */

/*
 * Stop @seq on 4 CPUs from CPU 0: the IPI reaches CPUs 1-3 after ack_ns
 * each, unless @wedged (CPU 2 with interrupts masked): then the NMI rung
 * fires 1 s later and stops it, or with @lost nothing does.
 */
static void fill_stop(struct sw_stop_record *r, __u64 seq, __u32 kind, bool wedged, bool lost)
{
	__u64 t0 = seq * 100000000000ULL;

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->kind = kind;
	r->nr_cpus = 4;
	r->state = SW_REC_DONE;
	r->t_start = t0;
	sw_mask_parse("0-3", r->online, 4);
	r->t_fire[0] = t0 + 1000;
	sw_mask_parse("1-3", r->target[0], 4);
	for (unsigned int c = 1; c < 4; c++)
		r->cpu[c] = (struct sw_cpu_stop){ t0 + 1000 + 5000 * c, SW_RUNG_IPI, SW_IRQS_ENABLED };
	if (wedged) {
		r->cpu[2] = (struct sw_cpu_stop){};
		r->t_fire[1] = t0 + 1000001000ULL;
		sw_mask_parse("2", r->target[1], 4);
		if (!lost)
			r->cpu[2] = (struct sw_cpu_stop){ r->t_fire[1] + 40000, SW_RUNG_NMI,
							  SW_IRQS_MASKED };
	}
	r->t_end = t0 + 1100000000ULL;
}

static struct sw_store *three_stops(void)
{
	struct sw_store *st = calloc(1, sizeof(*st));

	fill_stop(&st->rec[0], 1, SW_KIND_STOP, false, false);
	fill_stop(&st->rec[1], 2, SW_KIND_PANIC, true, false);
	fill_stop(&st->rec[2], 3, SW_KIND_CRASH, true, true);
	st->hdr.next_seq = 3;
	return st;
}

static void test_store_counted_once(void **state)
{
	struct sw_record_meta m = { .source = SW_SRC_BPF, .boot_id = BOOT_A, .exact = true };
	const struct sw_state_totals *t;
	struct sw_store *st = three_stops();
	char *dir = tmp_dir();
	struct sw_state *s = open_rw(dir, NULL);
	unsigned long added, already;

	(void)state;
	assert_int_equal(sw_state_add_store(s, &m, st), 3);
	t = sw_state_totals(s);
	assert_int_equal(t->records[SW_SRC_BPF], 3);
	assert_int_equal(t->stops[SW_KIND_STOP][SW_OUT_CLEAN], 1);
	assert_int_equal(t->stops[SW_KIND_PANIC][SW_OUT_ESCALATED], 1);
	assert_int_equal(t->stops[SW_KIND_CRASH][SW_OUT_FAILED], 1);
	/* 3 + 2 + 2 by the IPI, 1 by the NMI, CPU 2 of stop 3 by nothing */
	assert_int_equal(t->cpus_stopped[SW_RUNG_IPI], 7);
	assert_int_equal(t->cpus_stopped[SW_RUNG_NMI], 1);
	assert_int_equal(t->cpus_never_stopped, 1);
	/* the NMI fired 1 s after the IPI, twice */
	assert_int_equal(t->escalation[SW_RUNG_NMI - 1].count, 2);
	assert_int_equal(t->escalation[SW_RUNG_NMI - 1].max_ns, 1000000000ULL);
	/* acks: IPI 5, 10, 15 us (stop 1) + 5, 15 (2) + 5, 15 (3); NMI 40 us */
	assert_int_equal(t->ack[SW_RUNG_IPI - 1].count, 7);
	assert_int_equal(t->ack[SW_RUNG_IPI - 1].sum_ns, 70000);
	assert_int_equal(t->ack[SW_RUNG_NMI - 1].count, 1);
	assert_int_equal(t->ack[SW_RUNG_NMI - 1].sum_ns, 40000);
	commit(s);
	sw_state_close(s);

	/* the same store again, and read from a vmcore: the same stops */
	s = open_rw(dir, NULL);
	assert_int_equal(sw_state_add_store(s, &m, st), 0);
	m.source = SW_SRC_VMCORE;
	assert_int_equal(sw_state_add_store(s, &m, st), 0);
	sw_state_session(s, &added, &already);
	assert_int_equal(added, 0);
	assert_int_equal(already, 6);
	assert_int_equal(sw_state_totals(s)->records[SW_SRC_BPF], 3);
	assert_int_equal(sw_state_totals(s)->records[SW_SRC_VMCORE], 0);
	/* a newer record in the ring is new; the overwritten one is gone, not recounted */
	fill_stop(&st->rec[0], 9, SW_KIND_STOP, false, false);
	st->hdr.next_seq = 9;
	assert_int_equal(sw_state_add_store(s, &m, st), 1);
	assert_int_equal(sw_state_nkeys(s), 4);
	sw_state_close(s);
	free(st);
	rm_dir(dir);
}

/*
 * A torn store whose next_seq is near 2^64 (next_seq is outside the header
 * checksum): the ingest walks the ring's slots and ends. state.c once had a
 * walk of its own that compared with next_seq, wrapped, and looped forever
 * holding DIR/lock (recover --state-dir, recover-boot). alarm(): a hang
 * fails the test instead of hanging the suite.
 */
static void test_store_next_seq_wrap(void **state)
{
	struct sw_record_meta m = { .source = SW_SRC_VMCORE, .boot_id = BOOT_A, .exact = true };
	struct sw_store *st = calloc(1, sizeof(*st));
	char *dir = tmp_dir();
	struct sw_state *s = open_rw(dir, NULL);

	(void)state;
	alarm(10);
	st->hdr.next_seq = UINT64_MAX;
	fill_stop(&st->rec[(UINT64_MAX - 1) % SW_STOP_SLOTS], UINT64_MAX, SW_KIND_STOP, false, false);
	fill_stop(&st->rec[(UINT64_MAX - 8) % SW_STOP_SLOTS], UINT64_MAX - 7, SW_KIND_PANIC, true,
		  false);
	assert_int_equal(sw_state_add_store(s, &m, st), 2);
	assert_int_equal(sw_state_add_store(s, &m, st), 0);
	for (__u64 last = UINT64_MAX - SW_STOP_SLOTS; last; last++) {
		st->hdr.next_seq = last;	/* every offset of the wrap */
		assert_true(sw_state_add_store(s, &m, st) >= 0);
	}
	alarm(0);
	sw_state_close(s);
	free(st);
	rm_dir(dir);
}

static void test_logs_counted_once(void **state)
{
	struct sw_state_totals first;
	char *dir = tmp_dir();
	struct sw_state *s = open_rw(dir, NULL);
	struct feed f = feed_logs(s);
	unsigned long added, already;

	(void)state;
	assert_true(f.records >= (int)NLOGS);
	assert_int_equal(f.added, f.records);
	assert_int_equal(sw_state_totals(s)->records[SW_SRC_LOG], f.records);
	memcpy(&first, sw_state_totals(s), sizeof(first));
	commit(s);
	sw_state_close(s);

	s = open_rw(dir, NULL);
	assert_memory_equal(sw_state_totals(s), &first, sizeof(first));
	f = feed_logs(s);
	sw_state_session(s, &added, &already);
	assert_int_equal(added, 0);
	assert_int_equal(already, f.records);
	assert_memory_equal(sw_state_totals(s), &first, sizeof(first));
	sw_state_close(s);
	rm_dir(dir);
}

/* The key of a wire record, through the one decoder. */
static void key_of(const struct sw_record_meta *m, const struct sw_stop_record *r,
		   unsigned int occurrence, struct sw_state_key *k)
{
	struct sw_stop *s = sw_stop_from_wire(m, r);

	assert_non_null(s);
	sw_state_key_of(s, occurrence, k);
	sw_stop_free(s);
}

static void test_keys(void **state)
{
	struct sw_record_meta m = { .source = SW_SRC_BPF, .boot_id = BOOT_A, .exact = true };
	struct sw_state_key a, b;
	struct sw_stop_record *r = calloc(1, sizeof(*r));
	static const __u8 boot_a[16] = { 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
					 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };

	(void)state;
	fill_stop(r, 5, SW_KIND_STOP, true, false);
	/* store records: exactly boot id and sequence, whatever the source */
	key_of(&m, r, 0, &a);
	assert_memory_equal(a.id, boot_a, 16);
	assert_int_equal(a.seq, 5);
	m.source = SW_SRC_TRACE;
	r->t_end = 0;	/* read before the stop returned: the same stop */
	key_of(&m, r, 0, &b);
	assert_memory_equal(&a, &b, sizeof(a));

	/* log records: content, not position; the host and the times are part of it */
	m = (struct sw_record_meta){ .source = SW_SRC_LOG, .host = "node1" };
	key_of(&m, r, 0, &a);
	assert_true(a.seq >> 63);
	r->seq = 17;	/* logscan numbers stops per file: a rotated log numbers them anew */
	key_of(&m, r, 0, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	key_of(&m, r, 1, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	strcpy(m.host, "node2");
	key_of(&m, r, 0, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	strcpy(m.host, "node1");
	r->t_start += 1000;
	key_of(&m, r, 0, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* a store record without a boot id cannot use the store's numbering */
	m = (struct sw_record_meta){ .source = SW_SRC_TRACE };
	key_of(&m, r, 0, &b);
	assert_true(b.seq >> 63);
	free(r);
}

/*
 * Log records' keys are in every state directory in the field: a key that
 * changes makes the next ingest count every known log stop again. This pins
 * them: the keys of every record of the sample logs (bounds, unknown rungs
 * and sets, many CPUs), folded into one crc32, as the key code of state v2
 * made them when it shipped (commit 934a803). A faster key function must
 * give the same bytes; a new key needs a new state version and a migration.
 */
struct key_fold {
	uLong crc;
	unsigned int records;
};

static void fold_key(void *ctx, const struct sw_stop *r)
{
	struct key_fold *f = ctx;
	struct sw_state_key k;

	sw_state_key_of(r, f->records % 3, &k);
	f->crc = crc32(f->crc, (const Bytef *)&k, sizeof(k));
	f->records++;
}

static void test_log_keys_stable(void **state)
{
	struct key_fold f = { .crc = crc32(0, Z_NULL, 0) };
	static const char *const more[] = { "arm64-320-cpus.log", "garbage-truncated.log" };

	(void)state;
	for (unsigned int i = 0; i < NLOGS + 2; i++) {
		const char *name = i < NLOGS ? log_files[i] : more[i - NLOGS];
		size_t len;
		char *buf = log_data(name, &len);

		sw_logscan_buffer(buf, len, name, fold_key, &f);
		free(buf);
	}
	assert_int_equal(f.records, KEYS_RECORDS);
	if (f.crc != KEYS_CRC)
		fail_msg("log record keys changed: crc32 %#lx over %u records, shipped %#lx",
			 f.crc, f.records, (uLong)KEYS_CRC);
}

/* Two identical boots in one untimed log are two stops; read again, still two. */
static void test_untimed_log_occurrences(void **state)
{
	char *dir = tmp_dir();
	size_t len;
	char *one = log_data("no-timestamps.log", &len);
	char *two = malloc(2 * len);
	struct sw_state *s;
	struct feed f;

	(void)state;
	memcpy(two, one, len);
	memcpy(two + len, one, len);
	for (int pass = 0; pass < 2; pass++) {
		s = open_rw(dir, NULL);
		f = (struct feed){ .s = s };
		sw_logscan_buffer(two, 2 * len, "h", feed_record, &f);
		assert_int_equal(f.records, 2);
		assert_int_equal(f.added, pass ? 0 : 2);
		assert_int_equal(sw_state_nkeys(s), 2);
		commit(s);
		sw_state_close(s);
	}
	free(one);
	free(two);
	rm_dir(dir);
}

static void test_sdei_per_boot(void **state)
{
	static const __u64 a1[SW_SDEI_KINDS] = { 3, 0, 0 }, a2[SW_SDEI_KINDS] = { 5, 1, 0 },
			   b1[SW_SDEI_KINDS] = { 2, 0, 1 };
	char *dir = tmp_dir();
	struct sw_state *s = open_rw(dir, NULL);
	char *json = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(sw_state_note_sdei(s, BOOT_A, a1), 0);
	assert_int_equal(sw_state_note_sdei(s, BOOT_A, a2), 0);
	assert_int_equal(sw_state_note_sdei(s, BOOT_A, a1), 0);	/* an older reading */
	assert_int_equal(sw_state_note_sdei(s, "11111111-2222-3333-4444-555555555555", b1), 0);
	assert_int_equal(sw_state_note_sdei(s, "not-a-uuid", b1), -EINVAL);
	commit(s);
	sw_state_close(s);
	s = open_rw(dir, NULL);
	f = open_memstream(&json, &len);
	sw_state_print_json(f, s);
	fclose(f);
	assert_non_null(strstr(json, "\"sdei_deliveries\":{\"backtrace\":7,\"stop\":1,\"other\":1}"));
	assert_non_null(strstr(json, "\"sdei_boots\":2"));
	free(json);
	sw_state_close(s);
	rm_dir(dir);
}

/* ---- damaged state files ---- */

static int count_corrupt(const char *dir, char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (strstr(e->d_name, "state.corrupt-")) {
			n++;
			strcpy(name, e->d_name);
		}
	closedir(d);
	return n;
}

/* Two commits (logs, then a store), then @damage the file; check what every reader does. */
static void damaged(void (*damage)(const char *path), const char *why)
{
	struct sw_record_meta m = { .source = SW_SRC_BPF, .boot_id = BOOT_A, .exact = true };
	char *dir = tmp_dir(), path[4096], aside[4096], name[256], err[512];
	struct sw_store *st = three_stops();
	struct sw_state *s = open_rw(dir, NULL), *r;
	size_t logs, before_len, aside_len;
	char *before, *kept;
	bool recovered = false;
	struct feed f;

	f = feed_logs(s);
	logs = f.records;
	commit(s);
	sw_state_close(s);
	s = open_rw(dir, NULL);
	assert_int_equal(sw_state_add_store(s, &m, st), 3);
	commit(s);
	sw_state_close(s);

	path_in(dir, "state", path);
	damage(path);
	before = slurp(path, &before_len);
	/* a reader: a clear error, the file as it was */
	assert_int_equal(sw_state_open(&r, dir, false, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, why));
	assert_non_null(strstr(err, path));
	kept = slurp(path, &aside_len);
	assert_int_equal(aside_len, before_len);
	assert_memory_equal(kept, before, before_len);
	free(kept);
	assert_int_equal(count_corrupt(dir, name), 0);

	/* an ingest: the damaged file kept aside byte for byte, and the previous commit back */
	s = open_rw(dir, &recovered);
	assert_true(recovered);
	assert_int_equal(count_corrupt(dir, name), 1);
	path_in(dir, name, aside);
	kept = slurp(aside, &aside_len);
	assert_int_equal(aside_len, before_len);
	assert_memory_equal(kept, before, before_len);
	assert_int_equal(sw_state_nkeys(s), logs);
	/* the stores' records, lost with the damaged commit, count again: once */
	assert_int_equal(sw_state_add_store(s, &m, st), 3);
	assert_int_equal(sw_state_add_store(s, &m, st), 0);
	commit(s);
	sw_state_close(s);
	assert_int_equal(sw_state_open(&r, dir, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(sw_state_nkeys(r), logs + 3);
	sw_state_close(r);
	free(kept);
	free(before);
	free(st);
	rm_dir(dir);
}

static void truncate_tail(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 24), 0);
}

static void truncate_header(const char *path)
{
	assert_int_equal(truncate(path, 10), 0);
}

static void flip_payload_byte(const char *path)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 200), 1);
	c ^= 0x10;
	assert_int_equal(pwrite(fd, &c, 1, 200), 1);
	close(fd);
}

static void overwrite_garbage(const char *path)
{
	FILE *f = fopen(path, "w");

	fputs("this is not a state file, but it is long enough to hold a header....\n", f);
	fclose(f);
}

static void test_truncated(void **state)
{
	(void)state;
	damaged(truncate_tail, "truncated");
	damaged(truncate_header, "truncated");
}

static void test_corrupt(void **state)
{
	(void)state;
	damaged(flip_payload_byte, "payload checksum mismatch");
	damaged(overwrite_garbage, "bad magic");
}

/* A state file of another format version is refused, never moved or rewritten. */
static void test_other_version(void **state)
{
	char *dir = tmp_dir(), path[4096], err[512], name[256];
	struct sw_state *s = open_rw(dir, NULL);
	unsigned char hdr[64];
	__u32 v = 99, crc;
	size_t len;
	char *before, *after;
	int fd;

	(void)state;
	feed_logs(s);
	commit(s);
	sw_state_close(s);
	path_in(dir, "state", path);
	/* version at offset 8; hdr_crc, the last 4 header bytes, over what precedes it */
	fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, hdr, sizeof(hdr), 0), sizeof(hdr));
	memcpy(hdr + 8, &v, 4);
	crc = crc32(0, hdr, sizeof(hdr) - 4);
	memcpy(hdr + sizeof(hdr) - 4, &crc, 4);
	assert_int_equal(pwrite(fd, hdr, sizeof(hdr), 0), sizeof(hdr));
	close(fd);
	before = slurp(path, &len);
	for (int update = 0; update < 2; update++) {
		assert_int_equal(sw_state_open(&s, dir, update, NULL, err, sizeof(err)), -EPROTO);
		assert_non_null(strstr(err, "format version 99"));
	}
	after = slurp(path, &len);
	assert_memory_equal(before, after, len);
	assert_int_equal(count_corrupt(dir, name), 0);
	free(before);
	free(after);
	rm_dir(dir);
}

/* An ingest holds DIR/lock for its whole read-modify-write. */
static void test_lock_held(void **state)
{
	char *dir = tmp_dir(), lock[4096];
	struct sw_state *s = open_rw(dir, NULL);
	int status;
	pid_t pid;

	(void)state;
	path_in(dir, "lock", lock);
	for (int held = 1; held >= 0; held--) {
		pid = fork();
		if (!pid) {
			int fd = open(lock, O_RDWR);

			_exit(flock(fd, LOCK_EX | LOCK_NB) ? (errno == EWOULDBLOCK ? 10 : 11) : 0);
		}
		waitpid(pid, &status, 0);
		assert_int_equal(WEXITSTATUS(status), held ? 10 : 0);
		if (held)
			sw_state_close(s);
	}
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_counted_once),
		cmocka_unit_test(test_store_next_seq_wrap),
		cmocka_unit_test(test_logs_counted_once),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_log_keys_stable),
		cmocka_unit_test(test_untimed_log_occurrences),
		cmocka_unit_test(test_sdei_per_boot),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_lock_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
