// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The state directory (state.h): load, exactly-once ingest, atomic commit,
 * and the cumulative JSON / text / OpenMetrics views.
 *
 * File format, version 2 (native byte order: the file stays on its host):
 *   struct state_hdr (checksummed by hdr_crc), naming the key set
 *   payload (checksummed by payload_crc):
 *     struct sw_state_totals
 *     struct sw_state_boot   x nboots
 * The seen keys are beside it (keyset.h): an ingest makes its new keys
 * durable first, then replaces this summary by one rename, and the summary
 * says how many keys are committed. So there is still no moment at which a
 * record is counted but not marked seen, or marked seen but not counted,
 * and `stats` reads a few kilobytes whatever the number of records.
 *
 * Version 1 kept the keys in this file, after the boots (struct
 * sw_state_key x nkeys), and its totals ended before rung_acks. It is read as it is, and the first ingest
 * migrates it: the keys go into a key set as they are, and the summary
 * says so (STATE_F_V1_KEYS), so a record whose key the v1 key function
 * made is found under that key whatever the key function is now.
 */
#include <argp.h>
#include <dirent.h>
#include <endian.h>
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
#include "keyset.h"
#include "loader.h"
#include "json.h"
#include "legacy_v1.h"
#include "state.h"

#define STATE_MAGIC	"SWSTATE\n"
#define STATE_VERSION	2
#define STATE_F_LOGLINEAR 1u
#define STATE_F_V1_KEYS	2u	/* the key set holds keys of the v1 key function */
#define LOG_KEY_BIT	(1ULL << 63)
/* Version 1's totals: the v2 ones less rung_acks (whatif's per-rung facts). */
#define TOTALS_V1_SIZE	offsetof(struct sw_state_totals, rung_acks)

static size_t totals_size(__u32 version)
{
	return version == 1 ? TOTALS_V1_SIZE : sizeof(struct sw_state_totals);
}

/* v1 keys are 24 bytes: 40 M records before this refuses a file as implausible */
#define STATE_MAX_SIZE	(1ULL << 30)

/* magic and version, at the same place in every version */
struct state_id {
	char magic[8];
	__u32 version;
};

struct state_hdr {
	char magic[8];
	__u32 version;
	__u32 hdr_size;		/* sizeof(struct state_hdr) */
	__u32 totals_size;	/* sizeof(struct sw_state_totals): layout check */
	__u32 flags;		/* STATE_F_* */
	__u64 payload_size;
	struct sw_keyset_desc keys;
	__u32 nboots;
	__u32 payload_crc;	/* crc32 (zlib) of the payload */
	__u64 committed_real_ns;
	__u32 pad;
	__u32 hdr_crc;		/* crc32 of the bytes above */
};

struct state_hdr_v1 {
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
	bool dirty;			/* something to commit besides new keys */
	struct sw_state_totals t;
	struct sw_keyset *keys;		/* ingests only: readers never load the keys */
	struct sw_keyset_desc kd;	/* the key set the loaded summary names */
	__u64 nkeys;			/* its size, as the summary says */
	__u32 flags;			/* STATE_F_* of the loaded summary */
	unsigned char *v1_keys;		/* a v1 file's keys, to migrate */
	__u64 nv1_keys;
	struct sw_state_boot *boots;
	size_t nboots;
	struct occurrence *occ;		/* untimed log records seen this session */
	size_t nocc;
	unsigned long added, already;
	bool noted_sdei;		/* this session saved live counts */
	__u64 committed_real_ns;
};

/* ---- keys and counting ---- */

/*
 * Log records have no store sequence, and most logs have no boot id. A log
 * is read again when it grows or is rotated (kern.log, kern.log.1), so
 * nothing positional (file, offset, ordinal) identifies a stop; what it
 * printed does: its printk times, rungs and CPUs. So a log record's key is
 * a hash of the host, the boot id if any, and the decoded record's facts
 * (not its sequence number, which logscan counts per file), each fed as a
 * field of its own: the key does not change when a struct's layout does.
 * A stop printed without timestamps has no time to tell it from an
 * identical stop of another boot: those are told apart by the occurrence,
 * the count of identical ones before it in the same ingest.
 */
/*
 * A key's bytes go through a buffer: XXH3's streaming update costs a call
 * and a copy per field, and a key has dozens of small fields (it was half of
 * a re-ingest's time). XXH3 gives the same digest for the same bytes however
 * they are fed, so the keys are those of one update per field: most fit the
 * buffer and take one one-shot XXH3_128bits(); longer ones stream.
 */
struct key_hash {
	bool streaming;
	size_t n;
	unsigned char buf[4096];
	XXH3_state_t st;
};

/* Stream what the buffer holds (from now on the key streams) */
static void hash_flush(struct key_hash *h)
{
	if (!h->streaming)
		XXH3_128bits_reset(&h->st);
	h->streaming = true;
	XXH3_128bits_update(&h->st, h->buf, h->n);
	h->n = 0;
}

/* Bytes past the buffer: stream what it holds, then them */
static void hash_long(struct key_hash *h, const void *p, size_t len)
{
	hash_flush(h);
	XXH3_128bits_update(&h->st, p, len);
}

static inline void hash_bytes(struct key_hash *h, const void *p, size_t len)
{
	if (__builtin_expect(len > sizeof(h->buf) - h->n, 0)) {
		hash_long(h, p, len);
		return;
	}
	memcpy(h->buf + h->n, p, len);
	h->n += len;
}

static inline void hash_u64(struct key_hash *h, __u64 v)
{
	__u64 le = htole64(v);

	hash_bytes(h, &le, sizeof(le));
}

static void hash_str(struct key_hash *h, const char *s, size_t max)
{
	hash_bytes(h, s, strnlen(s, max) + 1);
}

static inline void hash_time(struct key_hash *h, const struct sw_time *t)
{
	hash_u64(h, t->has_after | t->has_by << 1);
	hash_u64(h, t->has_after ? t->after : 0);
	hash_u64(h, t->has_by ? t->by : 0);
}

/* A set as its text with the NUL, "?" when unknown: formatted in the buffer when it fits */
static void hash_set(struct key_hash *h, bool known, const struct sw_cpuset *set)
{
	char buf[SW_CPUSET_TEXT_MAX];
	int n;

	if (!known) {
		hash_bytes(h, "?", 2);
		return;
	}
	n = h->n < sizeof(h->buf) ? sw_cpuset_format(set, (char *)h->buf + h->n, sizeof(h->buf) - h->n)
				  : -ENOSPC;
	if (n >= 0) {
		h->n += n + 1;
		return;
	}
	sw_cpuset_format(set, buf, sizeof(buf));
	hash_str(h, buf, sizeof(buf));
}

static void key_from_hash(struct key_hash *h, unsigned int occurrence, struct sw_state_key *k)
{
	XXH128_hash_t d;

	if (h->streaming) {
		hash_flush(h);
		d = XXH3_128bits_digest(&h->st);
	} else {
		d = XXH3_128bits(h->buf, h->n);
	}
	memcpy(k->id, &d.low64, 8);
	memcpy(k->id + 8, &d.high64, 8);
	k->seq = LOG_KEY_BIT | occurrence;
}

static void hash_meta(struct key_hash *h, const struct sw_record_meta *m)
{
	h->streaming = false;
	h->n = 0;
	hash_str(h, sw_source_name(m->source), 16);
	hash_str(h, m->host, sizeof(m->host));
	hash_str(h, m->boot_id, sizeof(m->boot_id));
}

/* Store records: the store numbers them per boot, whichever way they are read. */
static bool store_key(const struct sw_record_meta *m, __u64 seq, struct sw_state_key *k)
{
	memset(k, 0, sizeof(*k));
	if (m->source == SW_SRC_LOG || !seq || sw_boot_id_parse(m->boot_id, k->id))
		return false;
	k->seq = seq;
	return true;
}

void sw_state_key_of(const struct sw_stop *r, unsigned int occurrence, struct sw_state_key *k)
{
	struct key_hash h;

	if (store_key(&r->meta, r->seq, k))
		return;
	hash_meta(&h, &r->meta);
	hash_str(&h, "stopwatch.key/2", 16);
	hash_u64(&h, r->kind);
	hash_u64(&h, r->state);
	hash_u64(&h, r->initiator);
	hash_time(&h, &r->start);
	hash_time(&h, &r->end);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		hash_u64(&h, r->rung[i].fired);
		hash_time(&h, &r->rung[i].t);
		hash_set(&h, r->rung[i].targets_known, &r->rung[i].targets);
	}
	hash_set(&h, r->online_known, &r->online);
	hash_set(&h, r->failed_known, &r->failed);
	/* rung, time and irqs only: facts a later reader adds (registers) are the same stop */
	for (unsigned int c = 0; c < r->nr_cpus; c++) {
		const struct sw_stop_cpu *sc = &r->cpu[c];

		if (sc->rung == SW_RUNG_NONE)
			continue;
		hash_u64(&h, c);
		hash_u64(&h, sc->rung);
		hash_u64(&h, sc->irqs);
		hash_time(&h, &sc->at);
	}
	key_from_hash(&h, occurrence, k);
}

void sw_state_key_v1(const struct sw_record_meta *m, const struct sw_v1_stop_record *r,
		     unsigned int occurrence, struct sw_state_key *k)
{
	static const __u64 zero_seq;
	struct key_hash h;

	if (store_key(m, r->seq, k))
		return;
	/* release 1: the bytes of its record with seq as 0 */
	hash_meta(&h, m);
	hash_bytes(&h, &zero_seq, sizeof(zero_seq));
	hash_long(&h, (const char *)r + sizeof(r->seq), sizeof(*r) - sizeof(r->seq));
	key_from_hash(&h, occurrence, k);
}

/*
 * 1: the record was counted before; 0: it was not, and its key is added;
 * -ENOMEM. A state migrated from v1 holds release 1's keys of log records:
 * a record found under its release-1 key (legacy_v1) was counted then.
 */
static int key_insert(struct sw_state *s, const struct sw_stop *r, unsigned int occurrence,
		      const struct sw_state_key *k)
{
	struct sw_state_key k1;

	if (!(s->flags & STATE_F_V1_KEYS) || !r->legacy_v1)
		return sw_keyset_add(s->keys, k);
	if (sw_keyset_has(s->keys, k))
		return 1;
	sw_state_key_v1(&r->meta, r->legacy_v1, occurrence, &k1);
	if (sw_keyset_has(s->keys, &k1))
		return 1;
	return sw_keyset_add(s->keys, k);
}



static void hist_add(struct sw_hist *h, __u64 ns)
{
	h->slots[sw_hist_slot(true, ns)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Each fired rung: the CPUs it was sent to that it did not stop, and the slowest that it did. */
static void count_rung_acks(struct sw_state_totals *t, const struct sw_stop *r)
{
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		const struct sw_stop_rung *rg = &r->rung[i];
		struct sw_state_rung_acks *ra = &t->rung_acks[i];
		__u64 last = 0, missed = 0;

		if (!rg->fired || !rg->targets_known || !sw_time_known(&rg->t))
			continue;
		for (unsigned int c = 0; c < r->nr_cpus; c++) {
			const struct sw_stop_cpu *cs = &r->cpu[c];

			/* an earlier rung's late ack: this one was not needed there */
			if (!sw_cpuset_test(&rg->targets, c) ||
			    (cs->rung >= SW_RUNG_IPI && cs->rung < (unsigned int)i + 1))
				continue;
			if (cs->rung != (unsigned int)i + 1 || !sw_time_known(&cs->at) ||
			    cs->at.by < rg->t.by)
				missed++;
			else if (cs->at.by - rg->t.by > last)
				last = cs->at.by - rg->t.by;
		}
		ra->cpus_not_acked += missed;
		if (missed)
			ra->stops_not_acked++;
		else
			hist_add(&ra->stop_last_ack, last);
	}
}

void sw_state_count(struct sw_state_totals *t, const struct sw_stop *r)
{
	const struct sw_record_meta *m = &r->meta;
	unsigned int kind = r->kind < SW_KIND_COUNT ? r->kind : SW_KIND_UNKNOWN;
	struct sw_cpuset never;
	const struct sw_time *prev = NULL;

	t->records[m->source < SW_SOURCES ? m->source : SW_SRC_LOG]++;
	t->stops[kind][sw_stop_outcome(r)]++;
	/* a CPU whose rung is unknown stopped, but under no rung: not counted per rung */
	for (unsigned int c = 0; c < r->nr_cpus; c++)
		if (r->cpu[c].rung != SW_RUNG_NONE && r->cpu[c].rung < SW_RUNG_COUNT)
			t->cpus_stopped[r->cpu[c].rung]++;
	if (sw_stop_never_stopped(r, &never))
		t->cpus_never_stopped += sw_cpuset_count(&never);
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		const struct sw_time *ft = &r->rung[i].t;

		if (!r->rung[i].fired)
			continue;
		/* only after an earlier rung: x86 kdump sends NMIs first, no escalation */
		if (prev && sw_time_known(prev) && sw_time_known(ft) && ft->by >= prev->by)
			hist_add(&t->escalation[i], ft->by - prev->by);
		prev = ft;
	}
	/* a log only bounds when a CPU stopped: no ack latency from text */
	if (!m->exact)
		return;
	for (unsigned int c = 0; c < r->nr_cpus; c++) {
		const struct sw_stop_cpu *cs = &r->cpu[c];
		const struct sw_time *fired;

		if (cs->rung < SW_RUNG_IPI || cs->rung > SW_RUNG_SDEI || !sw_time_known(&cs->at))
			continue;
		fired = r->rung[cs->rung - 1].fired ? &r->rung[cs->rung - 1].t : &r->start;
		if (sw_time_known(fired) && cs->at.by >= fired->by)
			hist_add(&t->ack[cs->rung - 1], cs->at.by - fired->by);
	}
	count_rung_acks(t, r);
}

/* Identical untimed log records of this ingest before this one. */
static int occurrence_of(struct sw_state *s, const struct sw_state_key *k, unsigned int *occ)
{
	size_t i;

	for (i = 0; i < s->nocc && memcmp(s->occ[i].hash, k->id, 16); i++)
		;
	if (i == s->nocc) {
		struct occurrence *n = realloc(s->occ, (s->nocc + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->occ = n;
		memcpy(n[i].hash, k->id, 16);
		n[i].seen = 0;
		s->nocc++;
	}
	*occ = s->occ[i].seen++;
	return 0;
}

int sw_state_add(struct sw_state *s, const struct sw_stop *r)
{
	struct sw_state_key k;
	unsigned int occurrence = 0;
	int ret;

	if (!s->keys)
		return -EPERM;	/* opened to read */
	sw_state_key_of(r, 0, &k);
	if ((k.seq & LOG_KEY_BIT) && sw_time_unknown(&r->start)) {
		if (occurrence_of(s, &k, &occurrence))
			return -ENOMEM;
		k.seq = LOG_KEY_BIT | occurrence;
	}
	ret = key_insert(s, r, occurrence, &k);
	if (ret < 0)
		return ret;
	if (ret) {
		s->already++;
		return 0;
	}
	sw_state_count(&s->t, r);
	s->added++;
	return 1;
}

static int add_one(void *ctx, const struct sw_stop *r)
{
	return sw_state_add(ctx, r);
}

int sw_state_add_store(struct sw_state *s, const struct sw_record_meta *m, const struct sw_store *st)
{
	unsigned long before = s->added;
	int ret = sw_store_walk(st, m, add_one, s);

	return ret < 0 ? ret : (int)(s->added - before);
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
		s->dirty = true;
	}
	s->noted_sdei = true;
	/* counts only grow within a boot: taking the larger makes a repeat harmless */
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		if (sdei[k] > s->boots[i].sdei[k]) {
			s->boots[i].sdei[k] = sdei[k];
			s->dirty = true;
		}
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

static __u32 hdr_crc(const void *h, size_t crc_off)
{
	return crc32(0, (const Bytef *)h, crc_off);
}

/* Read all of @fd (at most STATE_MAX_SIZE bytes) into a new buffer. */
static int read_whole(int fd, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	unsigned char *buf;
	ssize_t n;

	if (fstat(fd, &sb)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if ((__u64)sb.st_size < sizeof(struct state_id)) {
		snprintf(err, errlen, "truncated: %lld bytes, the header alone is %zu",
			 (long long)sb.st_size, sizeof(struct state_hdr));
		return -EBADMSG;
	}
	if ((__u64)sb.st_size > STATE_MAX_SIZE) {
		snprintf(err, errlen, "%lld bytes: larger than any state file", (long long)sb.st_size);
		return -EBADMSG;
	}
	buf = malloc(sb.st_size);
	if (!buf) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t off = 0; off < (size_t)sb.st_size; off += n) {
		n = read(fd, buf + off, sb.st_size - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			int ret = n < 0 ? -errno : -EBADMSG;

			snprintf(err, errlen, "read: %s", n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			return ret;
		}
	}
	*out = buf;
	*len = sb.st_size;
	return 0;
}

/* The common checks of both versions' headers; -EBADMSG or -EPROTO with @err. */
static int check_hdr(const void *h, size_t hdr_size, __u32 hsize, __u32 tsize, __u32 flags,
		     __u32 version, size_t file_len, char *err, size_t errlen)
{
	if (file_len < hdr_size) {
		snprintf(err, errlen, "truncated: %zu bytes, the header alone is %zu", file_len,
			 hdr_size);
		return -EBADMSG;
	}
	if (hdr_crc(h, hdr_size - 4) != *(const __u32 *)((const char *)h + hdr_size - 4)) {
		snprintf(err, errlen, "header checksum mismatch");
		return -EBADMSG;
	}
	if (hsize != hdr_size || tsize != totals_size(version) || !(flags & STATE_F_LOGLINEAR)) {
		snprintf(err, errlen, "format version %u (layout %u/%u), this stopwatch reads %u (%zu/%zu)",
			 version, hsize, tsize, version, hdr_size, totals_size(version));
		return -EPROTO;
	}
	return 0;
}

static int check_payload(const unsigned char *buf, size_t len, size_t hdr_size, __u64 payload_size,
			 __u64 want, __u32 crc, char *err, size_t errlen)
{
	if (payload_size != len - hdr_size) {
		snprintf(err, errlen, "%s: %zu payload bytes, the header says %llu",
			 payload_size > len - hdr_size ? "truncated" : "trailing bytes",
			 len - hdr_size, (unsigned long long)payload_size);
		return -EBADMSG;
	}
	if (payload_size != want) {
		snprintf(err, errlen, "inconsistent header: its counts do not fill %llu bytes",
			 (unsigned long long)payload_size);
		return -EBADMSG;
	}
	if (crc32(0, buf + hdr_size, payload_size) != crc) {
		snprintf(err, errlen, "payload checksum mismatch");
		return -EBADMSG;
	}
	return 0;
}

static int take_boots(struct sw_state *s, const unsigned char *p, __u32 nboots)
{
	if (!nboots)
		return 0;
	s->boots = malloc(nboots * sizeof(*s->boots));
	if (!s->boots)
		return -ENOMEM;
	memcpy(s->boots, p, nboots * sizeof(*s->boots));
	s->nboots = nboots;
	return 0;
}

/* A version 1 file: totals and boots; its keys too (to migrate) when @keys. */
static int parse_v1(struct sw_state *s, const unsigned char *buf, size_t len, bool keys,
		    char *err, size_t errlen)
{
	struct state_hdr_v1 h;
	size_t off = sizeof(h);
	int ret;

	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	ret = check_hdr(&h, sizeof(h), h.hdr_size, h.totals_size, h.flags, 1, len, err, errlen);
	if (ret)
		return ret;
	if (h.nkeys > STATE_MAX_SIZE || h.nboots > STATE_MAX_SIZE) {
		snprintf(err, errlen, "inconsistent header: %llu keys and %u boots",
			 (unsigned long long)h.nkeys, h.nboots);
		return -EBADMSG;
	}
	ret = check_payload(buf, len, sizeof(h), h.payload_size,
			    TOTALS_V1_SIZE + h.nboots * sizeof(struct sw_state_boot) +
				    h.nkeys * sizeof(struct sw_state_key),
			    h.payload_crc, err, errlen);
	if (ret)
		return ret;
	/* v1 had no rung_acks: they start at zero (reset() cleared them) */
	memcpy(&s->t, buf + off, TOTALS_V1_SIZE);
	off += TOTALS_V1_SIZE;
	if (take_boots(s, buf + off, h.nboots))
		goto nomem;
	off += h.nboots * sizeof(struct sw_state_boot);
	if (keys && h.nkeys) {
		s->v1_keys = malloc(h.nkeys * sizeof(struct sw_state_key));
		if (!s->v1_keys)
			goto nomem;
		memcpy(s->v1_keys, buf + off, h.nkeys * sizeof(struct sw_state_key));
		s->nv1_keys = h.nkeys;
	}
	s->nkeys = h.nkeys;
	s->flags = STATE_F_LOGLINEAR | STATE_F_V1_KEYS;
	s->kd = (struct sw_keyset_desc){ .key_size = sizeof(struct sw_state_key) };
	s->committed_real_ns = h.committed_real_ns;
	return 0;
nomem:
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	return -ENOMEM;
}

static int parse_v2(struct sw_state *s, const unsigned char *buf, size_t len, char *err,
		    size_t errlen)
{
	struct state_hdr h;
	int ret;

	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	ret = check_hdr(&h, sizeof(h), h.hdr_size, h.totals_size, h.flags, 2, len, err, errlen);
	if (ret)
		return ret;
	if (h.nboots > STATE_MAX_SIZE || h.keys.key_size != sizeof(struct sw_state_key)) {
		snprintf(err, errlen, "inconsistent header: %u boots, %u-byte keys", h.nboots,
			 h.keys.key_size);
		return -EBADMSG;
	}
	ret = check_payload(buf, len, sizeof(h), h.payload_size,
			    sizeof(s->t) + h.nboots * sizeof(struct sw_state_boot), h.payload_crc,
			    err, errlen);
	if (ret)
		return ret;
	memcpy(&s->t, buf + sizeof(h), sizeof(s->t));
	if (take_boots(s, buf + sizeof(h) + sizeof(s->t), h.nboots)) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	s->kd = h.keys;
	s->nkeys = h.keys.nsorted + h.keys.nlog;
	s->flags = h.flags;
	s->committed_real_ns = h.committed_real_ns;
	return 0;
}

/*
 * Parse a state file's summary into @s (totals, boots, the key set's
 * description; a v1 file's keys when @keys). -ENOENT: no file; -EPROTO:
 * another format version or layout (not corruption: never moved aside);
 * -EBADMSG: corrupt or truncated; -errno: I/O.
 */
static int load_file(struct sw_state *s, const char *path, bool keys, char *err, size_t errlen)
{
	struct state_id id;
	unsigned char *buf = NULL;
	size_t len;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	ret = read_whole(fd, &buf, &len, err, errlen);
	close(fd);
	if (ret)
		return ret;
	memcpy(&id, buf, sizeof(id));
	if (memcmp(id.magic, STATE_MAGIC, sizeof(id.magic))) {
		snprintf(err, errlen, "not a stopwatch state file (bad magic)");
		ret = -EBADMSG;
	} else if (id.version == 1) {
		ret = parse_v1(s, buf, len, keys, err, errlen);
	} else if (id.version == STATE_VERSION) {
		ret = parse_v2(s, buf, len, err, errlen);
	} else {
		snprintf(err, errlen, "format version %u, this stopwatch reads 1 and %u", id.version,
			 STATE_VERSION);
		ret = -EPROTO;
	}
	free(buf);
	return ret;
}

static void reset(struct sw_state *s)
{
	memset(&s->t, 0, sizeof(s->t));
	free(s->boots);
	s->boots = NULL;
	s->nboots = 0;
	free(s->v1_keys);
	s->v1_keys = NULL;
	s->nv1_keys = 0;
	sw_keyset_close(s->keys);
	s->keys = NULL;
	s->kd = (struct sw_keyset_desc){ .key_size = sizeof(struct sw_state_key) };
	s->nkeys = 0;
	s->flags = STATE_F_LOGLINEAR;
	s->committed_real_ns = 0;
}

/*
 * The key set of the loaded summary, for an ingest: opened in place, or
 * with @rewrite left as it is on disk and written anew at commit (the
 * summary came from state.prev, or a v1 file's keys are to migrate).
 */
static int open_keys(struct sw_state *s, bool rewrite, char *err, size_t errlen)
{
	int ret;

	if (s->v1_keys || !s->kd.gen) {
		ret = sw_keyset_new(&s->keys, s->dir, sizeof(struct sw_state_key));
		if (ret) {
			snprintf(err, errlen, "%s", strerror(-ret));
			return ret;
		}
		for (__u64 i = 0; i < s->nv1_keys; i++) {
			ret = sw_keyset_add(s->keys, s->v1_keys + i * sizeof(struct sw_state_key));
			if (ret) {
				snprintf(err, errlen, "%s", ret < 0 ? strerror(-ret) :
					 "a record key appears twice");
				return ret < 0 ? ret : -EBADMSG;
			}
		}
		if (s->v1_keys)
			s->dirty = true;	/* the migration to v2 */
		free(s->v1_keys);
		s->v1_keys = NULL;
		s->nv1_keys = 0;
		return 0;
	}
	ret = sw_keyset_open(&s->keys, s->dir, &s->kd, rewrite, err, errlen);
	if (!ret && rewrite)
		s->dirty = true;
	return ret;
}

/* The key set state.prev names, if it is a readable v2 summary (gen 0 otherwise). */
static void prev_keys(const char *dir, struct sw_keyset_desc *d)
{
	struct sw_state *p = calloc(1, sizeof(*p));
	char path[PATH_MAX], why[256];

	memset(d, 0, sizeof(*d));
	if (!p || join(path, sizeof(path), dir, "state.prev")) {
		free(p);
		return;
	}
	if (!load_file(p, path, false, why, sizeof(why)))
		*d = p->kd;
	free(p->boots);
	free(p);
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
		if ((!strncmp(e->d_name, "state.tmp.", 10) ||
		     (!strncmp(e->d_name, "keys-", 5) && strstr(e->d_name, ".tmp."))) &&
		    !join(path, sizeof(path), dir, e->d_name))
			unlink(path);
	closedir(d);
}

/*
 * @path is corrupt (@why), or the key set it names is: keep both aside,
 * go on from state.prev when it and its key set are sound, else afresh.
 */
static int recover(struct sw_state *s, const char *path, const char *why, char *err,
		   size_t errlen)
{
	char aside[PATH_MAX + 64], prev[PATH_MAX], why2[256], suffix[32];
	struct sw_keyset_desc damaged = s->kd;
	int ret = -EEXIST;

	/* link, not rename: never replace the file an earlier damage left aside */
	for (int n = 0; ret == -EEXIST && n < 100; n++) {
		snprintf(suffix, sizeof(suffix), n ? "%lld.%d" : "%lld", (long long)time(NULL), n);
		snprintf(aside, sizeof(aside), "%s.corrupt-%s", path, suffix);
		ret = link(path, aside) ? -errno : 0;
	}
	if (ret || unlink(path)) {
		ret = -errno;
		snprintf(err, errlen, "%s is corrupt (%s) and could not be moved aside: %s", path, why,
			 strerror(errno));
		return ret;
	}
	sw_keyset_keep_aside(s->dir, &damaged, suffix);
	sw_sync_parent_dir(path);
	reset(s);
	join(prev, sizeof(prev), s->dir, "state.prev");
	ret = load_file(s, prev, true, why2, sizeof(why2));
	if (!ret)
		ret = open_keys(s, true, why2, sizeof(why2));
	fprintf(stderr, "stopwatch: state file %s is corrupt (%s): kept as %s; ", path, why, aside);
	if (!ret) {
		fprintf(stderr, "continuing from %s (%zu records; records ingested after it "
				"count when read again)\n", prev, sw_keyset_count(s->keys));
	} else {
		reset(s);
		fprintf(stderr, "starting afresh (%s: %s)\n", prev, why2);
		ret = open_keys(s, false, err, errlen);
		if (ret)
			return ret;
	}
	s->dirty = true;	/* state is gone: the next commit writes it */
	return 0;
}

int sw_state_open(struct sw_state **out, const char *dir, bool update, bool *recovered,
		  char *err, size_t errlen)
{
	struct sw_state *s = calloc(1, sizeof(*s));
	char path[PATH_MAX], why[256];
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
	/* the key files' names, corrupt ones kept aside included, must fit in PATH_MAX */
	if (strlen(dir) >= PATH_MAX - 80 ||
	    snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
	    join(path, sizeof(path), dir, "lock")) {
		snprintf(err, errlen, "%s", strerror(ENAMETOOLONG));
		free(s);
		return -ENAMETOOLONG;
	}
	reset(s);
	if (update) {
		/* what was stopped, where and when: root and its group only */
		if ((ret = sw_make_dir(dir, SW_STATE_DIR_MODE))) {
			snprintf(err, errlen, "create %s: %s", dir, strerror(-ret));
			goto fail;
		}
		s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, SW_STATE_FILE_MODE);
		if (s->lock_fd >= 0)
			fchmod(s->lock_fd, SW_STATE_FILE_MODE);	/* an older lock was 0644 */
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
	ret = load_file(s, path, update, why, sizeof(why));
	if (ret == -ENOENT) {
		/* a crash between dropping state and renaming the new one is not
		 * possible (rename replaces), so no file means nothing ingested yet */
		reset(s);
		ret = 0;
	}
	/* readers look at the key files' sizes only; an ingest reads them whole */
	if (!ret && !update)
		ret = sw_keyset_check(dir, &s->kd, why, sizeof(why));
	if (!ret && update) {
		struct sw_keyset_desc p;

		prev_keys(dir, &p);
		sw_keyset_cleanup(dir, &s->kd, &p);
		ret = open_keys(s, false, why, sizeof(why));
	}
	if (ret == -EBADMSG && update) {
		ret = recover(s, path, why, err, errlen);
		if (ret)
			goto fail;
		if (recovered)
			*recovered = true;
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
	sw_keyset_close(s->keys);
	free(s->v1_keys);
	free(s->boots);
	free(s->occ);
	free(s);
}

/* Test hook: STOPWATCH_STATE_CRASH_AT=keys|write|prev|rename kills the ingest there. */
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
	if (getenv("STOPWATCH_STATE_CRASH_AT")) {
		fflush(f);
		crash_point("write");	/* header written, counters not */
	}
	fwrite(&s->t, sizeof(s->t), 1, f);
	if (s->nboots)
		fwrite(s->boots, sizeof(*s->boots), s->nboots, f);
	return ferror(f) ? -EIO : 0;
}

int sw_state_commit(struct sw_state *s, char *err, size_t errlen)
{
	struct commit_ctx c = { .s = s };
	char path[PATH_MAX], prev[PATH_MAX], prev_tmp[PATH_MAX];
	struct sw_keyset_desc old = s->kd;
	struct timespec ts;
	uLong crc;
	int ret;

	if (!s->update) {
		snprintf(err, errlen, "state opened read-only");
		return -EPERM;
	}
	/* nothing new: nothing written, and state.prev stays the commit before */
	if (!s->dirty && !sw_keyset_dirty(s->keys))
		return 0;
	ret = sw_keyset_flush(s->keys, &c.h.keys, err, errlen);
	if (ret)
		return ret;
	crash_point("keys");	/* keys durable, the summary that counts them not */
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(c.h.magic, STATE_MAGIC, sizeof(c.h.magic));
	c.h.version = STATE_VERSION;
	c.h.hdr_size = sizeof(c.h);
	c.h.totals_size = sizeof(s->t);
	c.h.flags = s->flags;
	c.h.nboots = s->nboots;
	c.h.payload_size = sizeof(s->t) + s->nboots * sizeof(*s->boots);
	c.h.committed_real_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	crc = crc32(0, (const Bytef *)&s->t, sizeof(s->t));
	if (s->nboots)
		crc = crc32(crc, (const Bytef *)s->boots, s->nboots * sizeof(*s->boots));
	c.h.payload_crc = crc;
	c.h.hdr_crc = hdr_crc(&c.h, offsetof(struct state_hdr, hdr_crc));

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
	ret = sw_replace_file(path, SW_STATE_FILE_MODE, true, fill_state, &c);
	if (ret) {
		snprintf(err, errlen, "write %s: %s", path, strerror(-ret));
		return ret;
	}
	crash_point("rename");
	s->committed_real_ns = c.h.committed_real_ns;
	s->kd = c.h.keys;
	s->nkeys = s->kd.nsorted + s->kd.nlog;
	s->dirty = false;
	/* state.prev names the key set committed before: both stay, older ones go */
	sw_keyset_cleanup(s->dir, &s->kd, &old);
	return sw_keyset_committed(s->keys, &s->kd, err, errlen);
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
	return s->keys ? sw_keyset_count(s->keys) : s->nkeys;
}

__u64 sw_state_failed_stops(const struct sw_state_totals *t)
{
	__u64 n = 0;

	for (int k = 0; k < SW_KIND_COUNT; k++)
		n += t->stops[k][SW_OUT_FAILED];
	return n;
}

void sw_state_sdei_totals(const struct sw_state *s, __u64 out[SW_SDEI_KINDS])
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

/* One counter per name: {"NAME(0)": v[0], ...}. */
static sw_json *counts_json(const __u64 *v, int n, int from, const char *(*name)(unsigned int))
{
	sw_json *o = sw_json_obj();

	for (int i = from; i < n; i++)
		sw_json_set_u64(o, name(i), v[i]);
	return o;
}

static const char *source_key(unsigned int i)
{
	return sw_source_name(i);
}

static const char *outcome_key(unsigned int i)
{
	return sw_outcome_name(i);
}

void sw_state_print_json(FILE *f, const struct sw_state *s)
{
	const struct sw_state_totals *t = &s->t;
	sw_json *o = sw_json_obj(), *x;
	__u64 sdei[SW_SDEI_KINDS], total = 0;
	char when[32];

	committed_text(s, when, sizeof(when));
	for (int i = 0; i < SW_SOURCES; i++)
		total += t->records[i];
	sw_json_set_str(o, "schema", "stopwatch.stats/1");
	sw_json_set(o, "committed", when[0] ? sw_json_str(when) : NULL);
	x = sw_json_obj();
	sw_json_set_u64(x, "total", total);
	for (int i = 0; i < SW_SOURCES; i++)
		sw_json_set_u64(x, source_key(i), t->records[i]);
	sw_json_set(o, "records", x);
	x = sw_json_obj();
	for (int k = 0; k < SW_KIND_COUNT; k++)
		sw_json_set(x, sw_kind_name(k), counts_json(t->stops[k], SW_OUTCOMES, 0, outcome_key));
	sw_json_set(o, "stops", x);
	sw_json_set_u64(o, "failed_stops", sw_state_failed_stops(t));
	sw_json_set(o, "cpus_stopped", counts_json(t->cpus_stopped, SW_RUNG_COUNT, SW_RUNG_IPI,
						   sw_rung_name));
	sw_json_set_u64(o, "cpus_never_stopped", t->cpus_never_stopped);
	sw_state_sdei_totals(s, sdei);
	sw_json_set(o, "sdei_deliveries", counts_json(sdei, SW_SDEI_KINDS, 0, sw_sdei_kind_name));
	sw_json_set_u64(o, "sdei_boots", s->nboots);
	sw_json_set_str(o, "bucketing", "loglinear_ns");
	x = sw_json_obj();
	for (int i = 1; i < SW_FIRE_RUNGS; i++)
		sw_json_set(x, sw_rung_name(i + 1), sw_hist_json(true, &t->escalation[i]));
	sw_json_set(o, "escalation_delay", x);
	x = sw_json_obj();
	for (int i = 0; i < SW_FIRE_RUNGS; i++)
		sw_json_set(x, sw_rung_name(i + 1), sw_hist_json(true, &t->ack[i]));
	sw_json_set(o, "ack_latency", x);
	sw_json_print(f, o);
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
	fprintf(f, "\nfailed stops %llu; CPUs stopped by",
		(unsigned long long)sw_state_failed_stops(t));
	for (int r = SW_RUNG_IPI; r < SW_RUNG_COUNT; r++)
		fprintf(f, " %s %llu", sw_rung_name(r), (unsigned long long)t->cpus_stopped[r]);
	sw_state_sdei_totals(s, sdei);
	fprintf(f, "; never stopped %llu\nSDEI deliveries (live mode, %zu boots):",
		(unsigned long long)t->cpus_never_stopped, s->nboots);
	for (int k = 0; k < SW_SDEI_KINDS; k++)
		fprintf(f, " %s %llu", sw_sdei_kind_name(k), (unsigned long long)sdei[k]);
	fprintf(f, "\n");
	/* summaries: the buckets are in --format json, prometheus and openmetrics */
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
	/* the distributions behind them, in the layout live prints (log-linear rows in use) */
	for (int i = 1; i < SW_FIRE_RUNGS; i++) {
		if (!t->escalation[i].count)
			continue;
		snprintf(title, sizeof(title), "\nescalation delay to %s", sw_rung_name(i + 1));
		sw_hist_print_text(f, true, &t->escalation[i], title);
	}
	for (int i = 0; i < SW_FIRE_RUNGS; i++) {
		if (!t->ack[i].count)
			continue;
		snprintf(title, sizeof(title), "\nack latency, %s", sw_rung_name(i + 1));
		sw_hist_print_text(f, true, &t->ack[i], title);
	}
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
				"(%zu records in all)\n", s->dir, s->added, s->already,
				sw_state_nkeys(s));
		if (ingest_recovered && ret == SW_EXIT_OK)
			ret = SW_EXIT_DATA;	/* said above: the operator should look */
	}
	sw_state_close(s);
	return ret;
}
