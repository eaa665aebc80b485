// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The state directory (state.h): load, exactly-once ingest, atomic commit,
 * and the cumulative JSON / text / OpenMetrics views.
 *
 * File format, version 1 (native byte order: the file stays on its host):
 *   struct state_hdr (checksummed by hdr_crc)
 *   payload (checksummed by payload_crc):
 *     struct sw_state_totals
 *     struct sw_state_boot   x nboots
 *     struct sw_state_key    x nkeys
 * The counters and the keys they count are in one file, replaced by one
 * rename: there is no moment at which a record is counted but not marked
 * seen, or marked seen but not counted.
 */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#define XXH_INLINE_ALL	/* header-only: nothing to link, static or cross */
#include <xxhash.h>
#include "env.h"
#include "fileio.h"
#include "index.h"
#include "loader.h"
#include "state.h"

#define STATE_MAGIC	"SWSTATE\n"
#define STATE_VERSION	1
#define STATE_F_LOGLINEAR 1u
#define LOG_KEY_BIT	(1ULL << 63)
/* keys are 24 bytes: 40 M records before this refuses a file as implausible */
#define STATE_MAX_SIZE	(1ULL << 30)

struct state_hdr {
	char magic[8];
	__u32 version;
	__u32 hdr_size;		/* sizeof(struct state_hdr) */
	__u32 totals_size;	/* sizeof(struct sw_state_totals): layout check */
	__u32 flags;		/* STATE_F_* */
	__u64 payload_size;
	__u64 nkeys;
	__u32 nboots;
	__u32 payload_crc;	/* crc32 (zlib) of the payload */
	__u64 committed_real_ns;
	__u32 pad;
	__u32 hdr_crc;		/* crc32 of the bytes above */
};

struct occurrence {
	__u8 hash[16];
	unsigned int seen;
};

struct sw_state {
	char dir[PATH_MAX];
	int lock_fd;
	bool update;
	struct sw_state_totals t;
	struct sw_index keys;		/* of struct sw_state_key, in the file's order */
	struct sw_state_boot *boots;
	size_t nboots;
	struct occurrence *occ;		/* untimed log records seen this session */
	size_t nocc;
	unsigned long added, already;
	bool noted_sdei;		/* this session saved live counts */
	__u64 committed_real_ns;
};

/* ---- the seen-key set ---- */

static const void *whole_key(const void *elem, size_t *len)
{
	*len = sizeof(struct sw_state_key);
	return elem;
}

/* 1: @k was there; 0: inserted; -ENOMEM. */
static int key_insert(struct sw_state *s, const struct sw_state_key *k)
{
	bool added;

	if (!sw_index_add(&s->keys, k, &added))
		return -ENOMEM;
	return !added;
}

/* ---- keys and counting ---- */

void sw_state_key_of(const struct sw_record_meta *m, const struct sw_stop_record *r,
		     unsigned int occurrence, struct sw_state_key *k)
{
	struct sw_stop_record copy;
	XXH3_state_t h;
	XXH128_hash_t d;

	memset(k, 0, sizeof(*k));
	/* store records: the store numbers them per boot, whichever way they are read */
	if (m->source != SW_SRC_LOG && r->seq && !sw_boot_id_parse(m->boot_id, k->id)) {
		k->seq = r->seq;
		return;
	}
	/*
	 * Log records have no store sequence, and most logs have no boot id. A
	 * log is read again when it grows or is rotated (kern.log, kern.log.1),
	 * so nothing positional (file, offset, ordinal) identifies a stop; what
	 * it printed does: its printk times, rungs and CPUs. So the key is a
	 * hash of the host, the boot id if any, and the record less its
	 * sequence number (which logscan counts per file). A stop printed
	 * without timestamps has no time to tell it from an identical stop of
	 * another boot: those are told apart by @occurrence, the count of
	 * identical ones before it in the same ingest.
	 */
	memcpy(&copy, r, sizeof(copy));
	copy.seq = 0;
	XXH3_128bits_reset(&h);
	XXH3_128bits_update(&h, sw_source_name(m->source), strlen(sw_source_name(m->source)) + 1);
	XXH3_128bits_update(&h, m->host, strnlen(m->host, sizeof(m->host)) + 1);
	XXH3_128bits_update(&h, m->boot_id, strnlen(m->boot_id, sizeof(m->boot_id)) + 1);
	XXH3_128bits_update(&h, &copy, sizeof(copy));
	d = XXH3_128bits_digest(&h);
	memcpy(k->id, &d.low64, 8);
	memcpy(k->id + 8, &d.high64, 8);
	k->seq = LOG_KEY_BIT | occurrence;
}

static void hist_add(struct sw_hist *h, __u64 ns)
{
	h->slots[sw_hist_slot(true, ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static void count_record(struct sw_state_totals *t, const struct sw_record_meta *m,
			 const struct sw_stop_record *r)
{
	unsigned int kind = r->kind < SW_KIND_COUNT ? r->kind : SW_KIND_UNKNOWN;
	unsigned int ncpu = r->nr_cpus && r->nr_cpus <= SW_MAX_CPUS ? r->nr_cpus : SW_MAX_CPUS;
	__u64 never[SW_MASK_WORDS], prev = 0;
	/* a log without printk timestamps has only the order of its lines */
	bool timed = m->exact || r->t_start;

	t->records[m->source < SW_SOURCES ? m->source : SW_SRC_LOG]++;
	t->stops[kind][sw_record_outcome(r)]++;
	for (unsigned int c = 0; c < ncpu; c++)
		if (r->cpu[c].rung != SW_RUNG_NONE && r->cpu[c].rung < SW_RUNG_COUNT)
			t->cpus_stopped[r->cpu[c].rung]++;
	sw_record_never_stopped(r, never);
	for (int w = 0; w < SW_MASK_WORDS; w++)
		t->cpus_never_stopped += __builtin_popcountll(never[w]);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		if (!r->t_fire[i])
			continue;
		/* only after an earlier rung: x86 kdump sends NMIs first, no escalation */
		if (prev && timed && r->t_fire[i] >= prev)
			hist_add(&t->escalation[i], r->t_fire[i] - prev);
		prev = r->t_fire[i];
	}
	/* a log only bounds when a CPU stopped (logscan infers it): no ack latency from text */
	if (!m->exact)
		return;
	for (unsigned int c = 0; c < ncpu; c++) {
		const struct sw_cpu_stop *cs = &r->cpu[c];
		__u64 fired;

		if (cs->rung < SW_RUNG_IPI || cs->rung > SW_RUNG_SDEI || !cs->t_handler)
			continue;
		fired = r->t_fire[cs->rung - 1] ? r->t_fire[cs->rung - 1] : r->t_start;
		if (cs->t_handler >= fired)
			hist_add(&t->ack[cs->rung - 1], cs->t_handler - fired);
	}
}

int sw_state_add(struct sw_state *s, const struct sw_record_meta *m, const struct sw_stop_record *r)
{
	struct sw_state_key k;
	unsigned int occurrence = 0;
	int ret;

	sw_state_key_of(m, r, 0, &k);
	if ((k.seq & LOG_KEY_BIT) && !r->t_start) {
		size_t i;

		for (i = 0; i < s->nocc && memcmp(s->occ[i].hash, k.id, 16); i++)
			;
		if (i == s->nocc) {
			struct occurrence *n = realloc(s->occ, (s->nocc + 1) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			s->occ = n;
			memcpy(n[i].hash, k.id, 16);
			n[i].seen = 0;
			s->nocc++;
		}
		occurrence = s->occ[i].seen++;
		k.seq = LOG_KEY_BIT | occurrence;
	}
	ret = key_insert(s, &k);
	if (ret < 0)
		return ret;
	if (ret) {
		s->already++;
		return 0;
	}
	count_record(&s->t, m, r);
	s->added++;
	return 1;
}

int sw_state_add_store(struct sw_state *s, const struct sw_record_meta *m, const struct sw_store *st)
{
	__u64 last = st->hdr.next_seq;
	int added = 0;

	/* the same walk as sw_store_print: the ring holds the newest SW_STOP_SLOTS */
	for (__u64 seq = last > SW_STOP_SLOTS ? last - SW_STOP_SLOTS + 1 : 1; seq <= last; seq++) {
		const struct sw_stop_record *r = &st->rec[(seq - 1) % SW_STOP_SLOTS];
		int ret;

		if (r->seq != seq)
			continue;
		ret = sw_state_add(s, m, r);
		if (ret < 0)
			return ret;
		added += ret;
	}
	return added;
}

int sw_state_note_sdei(struct sw_state *s, const char *boot_id, const __u64 sdei[SW_SDEI_KINDS])
{
	__u8 id[16];
	size_t i;

	if (sw_boot_id_parse(boot_id, id))
		return -EINVAL;
	for (i = 0; i < s->nboots && memcmp(s->boots[i].boot_id, id, 16); i++)
		;
	if (i == s->nboots) {
		struct sw_state_boot *n = realloc(s->boots, (s->nboots + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->boots = n;
		memset(&n[i], 0, sizeof(n[i]));
		memcpy(n[i].boot_id, id, 16);
		s->nboots++;
	}
	s->noted_sdei = true;
	/* counts only grow within a boot: taking the larger makes a repeat harmless */
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		if (sdei[k] > s->boots[i].sdei[k])
			s->boots[i].sdei[k] = sdei[k];
	return 0;
}

/* ---- the file ---- */

static int join(char *buf, size_t len, const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);

	if (d + 1 + n + 1 > len)
		return -ENAMETOOLONG;
	memcpy(buf, dir, d);
	buf[d] = '/';
	memcpy(buf + d + 1, name, n + 1);
	return 0;
}

static __u32 hdr_crc(const struct state_hdr *h)
{
	return crc32(0, (const Bytef *)h, offsetof(struct state_hdr, hdr_crc));
}

/*
 * Parse a state file into @s (totals, boots, keys). -ENOENT: no file;
 * -EPROTO: another format version or layout (not corruption: never moved
 * aside); -EBADMSG: corrupt or truncated; -errno: I/O.
 */
static int load_file(struct sw_state *s, const char *path, char *err, size_t errlen)
{
	struct state_hdr h;
	struct stat sb;
	unsigned char *buf = NULL;
	size_t off;
	ssize_t n;
	int fd, ret = -EBADMSG;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	if ((__u64)sb.st_size < sizeof(h)) {
		snprintf(err, errlen, "truncated: %lld bytes, the header alone is %zu",
			 (long long)sb.st_size, sizeof(h));
		goto out;
	}
	if ((__u64)sb.st_size > STATE_MAX_SIZE) {
		snprintf(err, errlen, "%lld bytes: larger than any state file", (long long)sb.st_size);
		goto out;
	}
	buf = malloc(sb.st_size);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto out;
	}
	for (off = 0; off < (size_t)sb.st_size; off += n) {
		n = read(fd, buf + off, sb.st_size - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			ret = n < 0 ? -errno : -EBADMSG;
			snprintf(err, errlen, "read: %s", n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, STATE_MAGIC, sizeof(h.magic))) {
		snprintf(err, errlen, "not a stopwatch state file (bad magic)");
		goto out;
	}
	if (hdr_crc(&h) != h.hdr_crc) {
		snprintf(err, errlen, "header checksum mismatch");
		goto out;
	}
	if (h.version != STATE_VERSION || h.hdr_size != sizeof(h) ||
	    h.totals_size != sizeof(struct sw_state_totals) || !(h.flags & STATE_F_LOGLINEAR)) {
		snprintf(err, errlen, "format version %u (layout %u/%u), this stopwatch reads %u (%zu/%zu)",
			 h.version, h.hdr_size, h.totals_size, STATE_VERSION, sizeof(h),
			 sizeof(struct sw_state_totals));
		ret = -EPROTO;
		goto out;
	}
	if (h.payload_size != (__u64)sb.st_size - sizeof(h)) {
		snprintf(err, errlen, "%s: %llu payload bytes, the header says %llu",
			 h.payload_size > (__u64)sb.st_size - sizeof(h) ? "truncated" : "trailing bytes",
			 (unsigned long long)(sb.st_size - sizeof(h)),
			 (unsigned long long)h.payload_size);
		goto out;
	}
	if (h.nkeys > STATE_MAX_SIZE || h.nboots > STATE_MAX_SIZE ||
	    h.payload_size != sizeof(s->t) + h.nboots * sizeof(struct sw_state_boot) +
				      h.nkeys * sizeof(struct sw_state_key)) {
		snprintf(err, errlen, "inconsistent header: %llu keys and %u boots do not fill %llu bytes",
			 (unsigned long long)h.nkeys, h.nboots, (unsigned long long)h.payload_size);
		goto out;
	}
	if (crc32(0, buf + sizeof(h), h.payload_size) != h.payload_crc) {
		snprintf(err, errlen, "payload checksum mismatch");
		goto out;
	}
	off = sizeof(h);
	memcpy(&s->t, buf + off, sizeof(s->t));
	off += sizeof(s->t);
	if (h.nboots) {
		s->boots = malloc(h.nboots * sizeof(*s->boots));
		if (!s->boots) {
			ret = -ENOMEM;
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			goto out;
		}
		memcpy(s->boots, buf + off, h.nboots * sizeof(*s->boots));
		s->nboots = h.nboots;
		off += h.nboots * sizeof(*s->boots);
	}
	for (__u64 i = 0; i < h.nkeys; i++) {
		struct sw_state_key k;
		int r;

		memcpy(&k, buf + off + i * sizeof(k), sizeof(k));
		r = key_insert(s, &k);
		if (r) {
			ret = r < 0 ? r : -EBADMSG;
			snprintf(err, errlen, "%s", r < 0 ? strerror(-r) : "a record key appears twice");
			goto out;
		}
	}
	s->committed_real_ns = h.committed_real_ns;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

static void reset(struct sw_state *s)
{
	memset(&s->t, 0, sizeof(s->t));
	free(s->boots);
	s->boots = NULL;
	s->nboots = 0;
	sw_index_clear(&s->keys);
	s->committed_real_ns = 0;
}

/* Remove the temporary files of ingests that were killed (we hold the lock). */
static void clear_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "state.tmp.", 10) && !join(path, sizeof(path), dir, e->d_name))
			unlink(path);
	closedir(d);
}

int sw_state_open(struct sw_state **out, const char *dir, bool update, bool *recovered,
		  char *err, size_t errlen)
{
	struct sw_state *s = calloc(1, sizeof(*s));
	char path[PATH_MAX], aside[PATH_MAX + 32], why[256];
	int ret;

	*out = NULL;
	if (recovered)
		*recovered = false;
	if (!s) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	s->lock_fd = -1;
	s->update = update;
	s->keys = SW_INDEX_INIT(sizeof(struct sw_state_key), whole_key);
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
	    join(path, sizeof(path), dir, "lock")) {
		snprintf(err, errlen, "%s", strerror(ENAMETOOLONG));
		free(s);
		return -ENAMETOOLONG;
	}
	if (update) {
		if (mkdir(dir, 0755) && errno != EEXIST) {
			ret = -errno;
			snprintf(err, errlen, "create %s: %s", dir, strerror(errno));
			goto fail;
		}
		s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lock_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "open %s: %s", path, strerror(errno));
			goto fail;
		}
		while ((ret = flock(s->lock_fd, LOCK_EX)) && errno == EINTR)
			;
		if (ret) {
			ret = -errno;
			snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
			goto fail;
		}
		clear_temps(dir);
	}
	join(path, sizeof(path), dir, "state");
	ret = load_file(s, path, why, sizeof(why));
	if (ret == -ENOENT) {
		/* a crash between dropping state and renaming the new one is not
		 * possible (rename replaces), so no file means nothing ingested yet */
		reset(s);
		ret = 0;
	}
	if (ret == -EBADMSG && update) {
		char prev[PATH_MAX], why2[256];

		/* link, not rename: never replace the file an earlier damage left aside */
		ret = -EEXIST;
		for (int n = 0; ret == -EEXIST && n < 100; n++) {
			snprintf(aside, sizeof(aside), n ? "%s.corrupt-%lld.%d" : "%s.corrupt-%lld",
				 path, (long long)time(NULL), n);
			ret = link(path, aside) ? -errno : 0;
		}
		if (ret || unlink(path)) {
			ret = -errno;
			snprintf(err, errlen, "%s is corrupt (%s) and could not be moved aside: %s",
				 path, why, strerror(errno));
			goto fail;
		}
		sw_sync_parent_dir(path);
		reset(s);
		join(prev, sizeof(prev), dir, "state.prev");
		ret = load_file(s, prev, why2, sizeof(why2));
		fprintf(stderr, "stopwatch: state file %s is corrupt (%s): kept as %s; ", path, why,
			aside);
		if (!ret) {
			fprintf(stderr, "continuing from %s (%zu records; records ingested after it "
					"count when read again)\n", prev, s->keys.n);
		} else {
			reset(s);
			fprintf(stderr, "starting afresh (%s: %s)\n", prev, why2);
		}
		if (recovered)
			*recovered = true;
		ret = 0;
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s%s", path, why,
			 ret == -EBADMSG ? " (left as is; an ingest moves it aside)" : "");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sw_state_close(s);
	return ret;
}

void sw_state_close(struct sw_state *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);	/* drops the flock */
	sw_index_free(&s->keys);
	free(s->boots);
	free(s->occ);
	free(s);
}

/* Test hook: STOPWATCH_STATE_CRASH_AT=write|prev|rename kills the ingest there. */
static void crash_point(const char *where)
{
	const char *at = getenv("STOPWATCH_STATE_CRASH_AT");

	if (at && !strcmp(at, where))
		raise(SIGKILL);
}

struct commit_ctx {
	const struct sw_state *s;
	struct state_hdr h;
};

static int fill_state(FILE *f, void *ctx)
{
	struct commit_ctx *c = ctx;
	const struct sw_state *s = c->s;

	fwrite(&c->h, sizeof(c->h), 1, f);
	fwrite(&s->t, sizeof(s->t), 1, f);
	if (getenv("STOPWATCH_STATE_CRASH_AT")) {
		fflush(f);
		crash_point("write");	/* header and counters written, keys not */
	}
	if (s->nboots)
		fwrite(s->boots, sizeof(*s->boots), s->nboots, f);
	if (s->keys.n)
		fwrite(s->keys.elem, s->keys.size, s->keys.n, f);
	return ferror(f) ? -EIO : 0;
}

int sw_state_commit(struct sw_state *s, char *err, size_t errlen)
{
	struct commit_ctx c = { .s = s };
	char path[PATH_MAX], prev[PATH_MAX], prev_tmp[PATH_MAX];
	struct timespec ts;
	uLong crc;
	int ret;

	if (!s->update) {
		snprintf(err, errlen, "state opened read-only");
		return -EPERM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(c.h.magic, STATE_MAGIC, sizeof(c.h.magic));
	c.h.version = STATE_VERSION;
	c.h.hdr_size = sizeof(c.h);
	c.h.totals_size = sizeof(s->t);
	c.h.flags = STATE_F_LOGLINEAR;
	c.h.nkeys = s->keys.n;
	c.h.nboots = s->nboots;
	c.h.payload_size = sizeof(s->t) + s->nboots * sizeof(*s->boots) + s->keys.n * s->keys.size;
	c.h.committed_real_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	crc = crc32(0, (const Bytef *)&s->t, sizeof(s->t));
	if (s->nboots)
		crc = crc32(crc, (const Bytef *)s->boots, s->nboots * sizeof(*s->boots));
	if (s->keys.n)
		crc = crc32(crc, (const Bytef *)s->keys.elem, s->keys.n * s->keys.size);
	c.h.payload_crc = crc;
	c.h.hdr_crc = hdr_crc(&c.h);

	join(path, sizeof(path), s->dir, "state");
	join(prev, sizeof(prev), s->dir, "state.prev");
	if (join(prev_tmp, sizeof(prev_tmp), s->dir, "state.tmp.prev")) {
		snprintf(err, errlen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	/* keep the committed state as state.prev, replaced atomically too */
	unlink(prev_tmp);
	if (!link(path, prev_tmp))
		rename(prev_tmp, prev);
	/* rename() does nothing when both are links to one file (a commit killed after this) */
	unlink(prev_tmp);
	crash_point("prev");
	ret = sw_replace_file(path, 0644, true, fill_state, &c);
	if (ret) {
		snprintf(err, errlen, "write %s: %s", path, strerror(-ret));
		return ret;
	}
	crash_point("rename");
	s->committed_real_ns = c.h.committed_real_ns;
	return 0;
}

/* ---- views ---- */

void sw_state_session(const struct sw_state *s, unsigned long *added, unsigned long *already)
{
	*added = s->added;
	*already = s->already;
}

const struct sw_state_totals *sw_state_totals(const struct sw_state *s)
{
	return &s->t;
}

size_t sw_state_nkeys(const struct sw_state *s)
{
	return s->keys.n;
}

static __u64 failed_stops(const struct sw_state_totals *t)
{
	__u64 n = 0;

	for (int k = 0; k < SW_KIND_COUNT; k++)
		n += t->stops[k][SW_OUT_FAILED];
	return n;
}

static void sdei_totals(const struct sw_state *s, __u64 out[SW_SDEI_KINDS])
{
	memset(out, 0, SW_SDEI_KINDS * sizeof(*out));
	for (size_t i = 0; i < s->nboots; i++)
		for (int k = 0; k < SW_SDEI_KINDS; k++)
			out[k] += s->boots[i].sdei[k];
}

static void committed_text(const struct sw_state *s, char *buf, size_t len)
{
	time_t t = s->committed_real_ns / 1000000000ULL;
	struct tm tm;

	buf[0] = '\0';
	if (s->committed_real_ns && gmtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sw_state_print_json(FILE *f, const struct sw_state *s)
{
	const struct sw_state_totals *t = &s->t;
	__u64 sdei[SW_SDEI_KINDS], total = 0;
	char when[32];

	committed_text(s, when, sizeof(when));
	for (int i = 0; i < SW_SOURCES; i++)
		total += t->records[i];
	fprintf(f, "{\"schema\":\"stopwatch.stats/1\",\"committed\":%s%s%s,\"records\":{\"total\":%llu",
		when[0] ? "\"" : "", when[0] ? when : "null", when[0] ? "\"" : "",
		(unsigned long long)total);
	for (int i = 0; i < SW_SOURCES; i++)
		fprintf(f, ",\"%s\":%llu", sw_source_name(i), (unsigned long long)t->records[i]);
	fprintf(f, "},\"stops\":{");
	for (int k = 0; k < SW_KIND_COUNT; k++) {
		fprintf(f, "%s\"%s\":{", k ? "," : "", sw_kind_name(k));
		for (int o = 0; o < SW_OUTCOMES; o++)
			fprintf(f, "%s\"%s\":%llu", o ? "," : "", sw_outcome_name(o),
				(unsigned long long)t->stops[k][o]);
		fprintf(f, "}");
	}
	fprintf(f, "},\"failed_stops\":%llu,\"cpus_stopped\":{", (unsigned long long)failed_stops(t));
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, "%s\"%s\":%llu", r > SW_RUNG_IPI ? "," : "", sw_rung_name(r),
			(unsigned long long)t->cpus_stopped[r]);
	sdei_totals(s, sdei);
	fprintf(f, "},\"cpus_never_stopped\":%llu,\"sdei_deliveries\":{",
		(unsigned long long)t->cpus_never_stopped);
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", sw_sdei_kind_name(k),
			(unsigned long long)sdei[k]);
	fprintf(f, "},\"sdei_boots\":%zu,\"bucketing\":\"loglinear_ns\",\"escalation_delay\":{",
		s->nboots);
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		fprintf(f, "%s\"%s\":", i > 1 ? "," : "", sw_rung_name(i + 1));
		sw_hist_print_json(f, true, &t->escalation[i]);
	}
	fprintf(f, "},\"ack_latency\":{");
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", sw_rung_name(i + 1));
		sw_hist_print_json(f, true, &t->ack[i]);
	}
	fprintf(f, "}}\n");
}

void sw_state_print_text(FILE *f, const struct sw_state *s)
{
	const struct sw_state_totals *t = &s->t;
	__u64 sdei[SW_SDEI_KINDS], total = 0;
	char when[32], title[64];

	committed_text(s, when, sizeof(when));
	for (int i = 0; i < SW_SOURCES; i++)
		total += t->records[i];
	fprintf(f, "state %s: %llu records (", s->dir, (unsigned long long)total);
	for (int i = 0; i < SW_SOURCES; i++)
		fprintf(f, "%s%s %llu", i ? ", " : "", sw_source_name(i),
			(unsigned long long)t->records[i]);
	fprintf(f, "), last ingest %s\n\n%-8s", when[0] ? when : "never", "KIND");
	for (int o = 0; o < SW_OUTCOMES; o++)
		fprintf(f, " %10s", sw_outcome_name(o));
	fprintf(f, "\n");
	for (int k = 0; k < SW_KIND_COUNT; k++) {
		fprintf(f, "%-8s", sw_kind_name(k));
		for (int o = 0; o < SW_OUTCOMES; o++)
			fprintf(f, " %10llu", (unsigned long long)t->stops[k][o]);
		fprintf(f, "\n");
	}
	fprintf(f, "\nfailed stops %llu; CPUs stopped by", (unsigned long long)failed_stops(t));
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, " %s %llu", sw_rung_name(r), (unsigned long long)t->cpus_stopped[r]);
	sdei_totals(s, sdei);
	fprintf(f, "; never stopped %llu\nSDEI deliveries (live mode, %zu boots):",
		(unsigned long long)t->cpus_never_stopped, s->nboots);
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		fprintf(f, " %s %llu", sw_sdei_kind_name(k), (unsigned long long)sdei[k]);
	fprintf(f, "\n");
	/* summaries: the buckets are in --format json and openmetrics */
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		snprintf(title, sizeof(title), "escalation to %s:", sw_rung_name(i + 1));
		fprintf(f, "%-24s ", title);
		sw_hist_print_summary(f, true, &t->escalation[i]);
	}
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		snprintf(title, sizeof(title), "ack latency, %s:", sw_rung_name(i + 1));
		fprintf(f, "%-24s ", title);
		sw_hist_print_summary(f, true, &t->ack[i]);
	}
}

static void om_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n", name, type);
	if (!strcmp(type, "histogram"))
		fprintf(f, "# UNIT %s seconds\n", name);
	fprintf(f, "# HELP %s %s\n", name, help);
}

void sw_state_print_openmetrics(FILE *f, const struct sw_state *s)
{
	const struct sw_state_totals *t = &s->t;
	__u64 sdei[SW_SDEI_KINDS];
	char labels[64];

	/* "cumulative": these span boots; the live exposition's names stay its own */
	om_family(f, "stopwatch_cumulative_records", "counter", "stop records ingested, per source");
	for (int i = 0; i < SW_SOURCES; i++)
		fprintf(f, "stopwatch_cumulative_records_total{source=\"%s\"} %llu\n",
			sw_source_name(i), (unsigned long long)t->records[i]);
	om_family(f, "stopwatch_cumulative_stops", "counter", "CPU stops, per kind and outcome");
	for (int k = 0; k < SW_KIND_COUNT; k++)
		for (int o = 0; o < SW_OUTCOMES; o++)
			fprintf(f, "stopwatch_cumulative_stops_total{kind=\"%s\",outcome=\"%s\"} %llu\n",
				sw_kind_name(k), sw_outcome_name(o),
				(unsigned long long)t->stops[k][o]);
	om_family(f, "stopwatch_cumulative_failed_stops", "counter",
		  "stops that left some CPU running");
	fprintf(f, "stopwatch_cumulative_failed_stops_total %llu\n",
		(unsigned long long)failed_stops(t));
	om_family(f, "stopwatch_cumulative_cpus_stopped", "counter",
		  "CPUs stopped, per rung that stopped them");
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, "stopwatch_cumulative_cpus_stopped_total{rung=\"%s\"} %llu\n",
			sw_rung_name(r), (unsigned long long)t->cpus_stopped[r]);
	om_family(f, "stopwatch_cumulative_cpus_never_stopped", "counter",
		  "CPUs a stop had to stop that never ran a stop handler");
	fprintf(f, "stopwatch_cumulative_cpus_never_stopped_total %llu\n",
		(unsigned long long)t->cpus_never_stopped);
	sdei_totals(s, sdei);
	om_family(f, "stopwatch_cumulative_sdei_deliveries", "counter",
		  "SDEI event 0 deliveries seen by live mode, per reason");
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		fprintf(f, "stopwatch_cumulative_sdei_deliveries_total{reason=\"%s\"} %llu\n",
			sw_sdei_kind_name(k), (unsigned long long)sdei[k]);
	om_family(f, "stopwatch_cumulative_escalation_delay_seconds", "histogram",
		  "a rung's fire after the rung before it, per rung escalated to");
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		snprintf(labels, sizeof(labels), "rung=\"%s\"", sw_rung_name(i + 1));
		sw_hist_print_openmetrics(f, true, &t->escalation[i],
					  "stopwatch_cumulative_escalation_delay_seconds", labels);
	}
	om_family(f, "stopwatch_cumulative_ack_latency_seconds", "histogram",
		  "rung fired to a CPU's stop handler, per rung");
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		snprintf(labels, sizeof(labels), "rung=\"%s\"", sw_rung_name(i + 1));
		sw_hist_print_openmetrics(f, true, &t->ack[i],
					  "stopwatch_cumulative_ack_latency_seconds", labels);
	}
	fprintf(f, "# EOF\n");
}

/* ---- --state-dir for the commands that read records ---- */

const char *sw_state_dir;

#define OPT_STATE_DIR 0x5344	/* long option only: short letters belong to the commands */

static const struct argp_option state_options[] = {
	{ "state-dir", OPT_STATE_DIR, "DIR", 0,
	  "Also count the records, once each, in the cumulative statistics in DIR "
	  "(see 'stopwatch stats'; usually " SW_STATE_DEFAULT_DIR ")" },
	{},
};

static error_t state_parse(int key, char *arg, struct argp_state *state)
{
	if (key != OPT_STATE_DIR)
		return ARGP_ERR_UNKNOWN;
	if (!*arg)
		argp_error(state, "empty state directory");
	sw_state_dir = arg;
	return 0;
}

const struct argp sw_state_argp = { state_options, state_parse };

static bool ingest_recovered;

int sw_ingest_begin(struct sw_state **s)
{
	char err[512];

	*s = NULL;
	if (!sw_state_dir)
		return 0;
	if (sw_state_open(s, sw_state_dir, true, &ingest_recovered, err, sizeof(err))) {
		fprintf(stderr, "stopwatch: failed to open state %s: %s\n", sw_state_dir, err);
		return SW_EXIT_DATA;
	}
	return 0;
}

int sw_ingest_end(struct sw_state *s, int ret)
{
	char err[512];

	if (!s)
		return ret;
	if (sw_state_commit(s, err, sizeof(err))) {
		fprintf(stderr, "stopwatch: failed to save state: %s\n", err);
		ret = SW_EXIT_FAIL;
	} else {
		/* live mode's SDEI saves see no records: nothing to say */
		if (s->added || s->already || !s->noted_sdei)
			fprintf(stderr, "stopwatch: state %s: %lu new, %lu already counted "
				"(%zu records in all)\n", s->dir, s->added, s->already, s->keys.n);
		if (ingest_recovered && ret == SW_EXIT_OK)
			ret = SW_EXIT_DATA;	/* said above: the operator should look */
	}
	sw_state_close(s);
	return ret;
}
