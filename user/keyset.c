// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The on-disk seen-key set (keyset.h). Hand-written: an embedded store
 * (LMDB, SQLite) would bring its own locking, files and recovery next to
 * the state's own, where a sorted array and an append-only log, committed
 * by the summary's rename like everything else, keep one crash story.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "fileio.h"
#include "index.h"
#include "keyset.h"

#define KEYS_MAGIC	"SWKEYS1\n"
#define LOG_MIN		4096	/* keys the log may hold before a merge is considered */
#define LOG_RATIO	16	/* ... and its most, as a fraction of the sorted keys */
#define FANOUT_MAX_BITS	22
#define KEY_MAX_SIZE	256
/* a key file larger than this is not one we wrote (2^32 keys of 64 bytes) */
#define KEYS_MAX_COUNT	(1ULL << 32)

struct keys_hdr {
	char magic[8];
	__u32 key_size;
	__u32 fanout_bits;
	__u64 n;
	__u64 reserved;
};

/* room for "/keys-<20 digits>.corrupt-<suffix>" after the directory */
#define DIR_MAX	(PATH_MAX - 80)

struct sw_keyset {
	char dir[DIR_MAX];
	struct sw_keyset_desc d;	/* what is committed */
	unsigned char *map;		/* keys-<gen>, read (read_huge) */
	size_t map_len;
	const __u32 *fanout;
	const unsigned char *keys;
	struct sw_index log;		/* log-<gen>'s committed keys, then the pending ones */
	bool rewrite;			/* the next flush writes a new generation */
	__u64 max_gen;			/* highest generation seen on disk */
};

static int name_of(char *buf, size_t len, const char *dir, const char *what, __u64 gen)
{
	return snprintf(buf, len, "%s/%s-%llu", dir, what, (unsigned long long)gen) >= (int)len ?
		       -ENAMETOOLONG : 0;
}

static size_t sorted_size(__u64 n, __u32 bits, __u32 ks)
{
	return sizeof(struct keys_hdr) + (((size_t)1 << bits) + 1) * sizeof(__u32) + n * ks;
}

/* The fan-out bucket of @key: its first bits, big-endian. */
static __u32 top_bits(const unsigned char *key, __u32 bits)
{
	__u32 v = (__u32)key[0] << 24 | (__u32)key[1] << 16 | (__u32)key[2] << 8 | key[3];

	return bits ? v >> (32 - bits) : 0;
}

/* Enough bits that a bucket holds about 8 keys: a lookup touches a page or two. */
static __u32 fanout_bits_for(__u64 n)
{
	__u32 bits = 0;

	while (bits < FANOUT_MAX_BITS && (n >> (bits + 3)))
		bits++;
	return bits;
}

static int desc_ok(const struct sw_keyset_desc *d, char *err, size_t errlen)
{
	if (!d->key_size || d->key_size > KEY_MAX_SIZE || d->key_size < 8 ||
	    d->fanout_bits > FANOUT_MAX_BITS || d->nsorted > KEYS_MAX_COUNT ||
	    d->nlog > KEYS_MAX_COUNT) {
		snprintf(err, errlen, "implausible key index: %u-byte keys, %u fan-out bits, %llu+%llu keys",
			 d->key_size, d->fanout_bits, (unsigned long long)d->nsorted,
			 (unsigned long long)d->nlog);
		return -EBADMSG;
	}
	return 0;
}

int sw_keyset_check(const char *dir, const struct sw_keyset_desc *d, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat sb;
	int ret;

	if (!d->gen)
		return 0;
	if ((ret = desc_ok(d, err, errlen)))
		return ret;
	for (int i = 0; i < 2; i++) {
		__u64 want = i ? d->nlog * d->key_size : sorted_size(d->nsorted, d->fanout_bits,
								      d->key_size);

		if ((ret = name_of(path, sizeof(path), dir, i ? "log" : "keys", d->gen)))
			return ret;
		if (stat(path, &sb)) {
			snprintf(err, errlen, "key index %s: %s", path, strerror(errno));
			return errno == ENOENT ? -EBADMSG : -errno;
		}
		/* the log may hold an uncommitted tail; the sorted file is exact */
		if ((__u64)sb.st_size < want || (!i && (__u64)sb.st_size != want)) {
			snprintf(err, errlen, "key index %s: %s: %lld bytes, the summary says %llu",
				 path, (__u64)sb.st_size < want ? "truncated" : "trailing bytes",
				 (long long)sb.st_size, (unsigned long long)want);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The first @len bytes of @fd: 0, -errno, or -EBADMSG when the file is shorter */
static int read_all(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		done += n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

#define HUGE_PAGE	(2UL << 20)

/*
 * @len bytes of @fd into anonymous memory that may use transparent huge
 * pages. A known record's lookup is two or three random reads in the keys;
 * over a file mapping each one also missed the TLB (4 KB pages; under a
 * hypervisor a two-level walk), about a third of the lookup at 1M keys.
 * The copy is one more pass over a file the crc32 reads whole anyway. Returns the memory (*@map_len bytes of it) or NULL with errno set.
 */
static unsigned char *read_huge(int fd, size_t len, size_t *map_len)
{
	/* a small set stays in small pages: a huge one would cost 2 MB of RSS for nothing */
	bool huge = len >= HUGE_PAGE;
	size_t n = huge ? (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1) : len;
	unsigned char *b = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (b == MAP_FAILED)
		return NULL;
	if (huge)
		madvise(b, n, MADV_HUGEPAGE);	/* advice: without THP the copy is plain memory */
	ret = read_all(fd, b, len);
	if (ret) {
		munmap(b, n);
		errno = -ret;
		return NULL;
	}
	*map_len = n;
	return b;
}

/* Read keys-<gen> and check it against @d. */
static int map_sorted(struct sw_keyset *ks, char *err, size_t errlen)
{
	const struct sw_keyset_desc *d = &ks->d;
	size_t len = sorted_size(d->nsorted, d->fanout_bits, d->key_size);
	struct keys_hdr h;
	char path[PATH_MAX];
	int fd;

	name_of(path, sizeof(path), ks->dir, "keys", d->gen);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "key index %s: %s", path, strerror(errno));
		return -EBADMSG;
	}
	ks->map = read_huge(fd, len, &ks->map_len);
	close(fd);
	if (!ks->map) {
		snprintf(err, errlen, "key index %s: read: %s", path,
			 errno == EBADMSG ? "truncated" : strerror(errno));
		return errno == EBADMSG ? -EBADMSG : -errno;
	}
	memcpy(&h, ks->map, sizeof(h));
	if (crc32(0, ks->map, len) != d->sorted_crc) {
		snprintf(err, errlen, "key index %s: checksum mismatch", path);
		return -EBADMSG;
	}
	if (memcmp(h.magic, KEYS_MAGIC, 8) || h.key_size != d->key_size ||
	    h.fanout_bits != d->fanout_bits || h.n != d->nsorted) {
		snprintf(err, errlen, "key index %s: header disagrees with the summary", path);
		return -EBADMSG;
	}
	ks->fanout = (const __u32 *)(ks->map + sizeof(h));
	ks->keys = ks->map + sorted_size(0, d->fanout_bits, d->key_size);
	/* checksummed, but a lookup must never leave the map whatever the file says */
	for (__u64 i = 0; i < ((__u64)1 << d->fanout_bits); i++)
		if (ks->fanout[i] > ks->fanout[i + 1] || ks->fanout[i + 1] > d->nsorted) {
			snprintf(err, errlen, "key index %s: fan-out table out of order", path);
			return -EBADMSG;
		}
	return 0;
}

/* Read log-<gen>'s committed keys into the index; cut off an uncommitted tail. */
static int load_log(struct sw_keyset *ks, char *err, size_t errlen)
{
	const struct sw_keyset_desc *d = &ks->d;
	size_t len = d->nlog * d->key_size;
	unsigned char *buf;
	char path[PATH_MAX];
	int fd, ret = 0;

	name_of(path, sizeof(path), ks->dir, "log", d->gen);
	fd = open(path, (ks->rewrite ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "key index %s: %s", path, strerror(errno));
		return -EBADMSG;
	}
	buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = read_all(fd, buf, len);
	if (ret) {
		snprintf(err, errlen, "key index %s: %s", path,
			 ret == -EBADMSG ? "truncated" : strerror(-ret));
		goto out;
	}
	if (crc32(0, buf, len) != d->log_crc) {
		ret = -EBADMSG;
		snprintf(err, errlen, "key index %s: checksum mismatch", path);
		goto out;
	}
	for (__u64 i = 0; i < d->nlog; i++) {
		bool added;

		if (!sw_index_add(&ks->log, buf + i * d->key_size, &added)) {
			ret = -ENOMEM;
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			goto out;
		}
		if (!added) {
			ret = -EBADMSG;
			snprintf(err, errlen, "key index %s: a key appears twice", path);
			goto out;
		}
	}
	/* keys a killed ingest appended were never counted: they go (and an
	 * ingest that finds none leaves the file as it is, mtime included) */
	if (!ks->rewrite && lseek(fd, 0, SEEK_END) > (off_t)len && ftruncate(fd, len)) {
		ret = -errno;
		snprintf(err, errlen, "key index %s: truncate: %s", path, strerror(errno));
	}
out:
	free(buf);
	close(fd);
	return ret;
}

static __u64 highest_gen(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	__u64 max = 0;

	while (dp && (e = readdir(dp))) {
		unsigned long long g;
		char tail;

		if ((sscanf(e->d_name, "keys-%llu%c", &g, &tail) == 1 ||
		     sscanf(e->d_name, "log-%llu%c", &g, &tail) == 1) && g > max)
			max = g;
	}
	if (dp)
		closedir(dp);
	return max;
}

int sw_keyset_new(struct sw_keyset **out, const char *dir, __u32 key_size)
{
	struct sw_keyset *ks = calloc(1, sizeof(*ks));

	*out = NULL;
	if (!ks)
		return -ENOMEM;
	if (snprintf(ks->dir, sizeof(ks->dir), "%s", dir) >= (int)sizeof(ks->dir)) {
		free(ks);
		return -ENAMETOOLONG;
	}
	ks->d.key_size = key_size;
	ks->log = SW_INDEX_INIT(key_size, NULL);
	ks->max_gen = highest_gen(dir);
	*out = ks;
	return 0;
}

int sw_keyset_open(struct sw_keyset **out, const char *dir, const struct sw_keyset_desc *d,
		   bool rewrite, char *err, size_t errlen)
{
	struct sw_keyset *ks;
	int ret;

	if (!d->gen) {
		ret = sw_keyset_new(out, dir, d->key_size);
		if (!ret)
			(*out)->rewrite = rewrite;
		return ret;
	}
	if ((ret = desc_ok(d, err, errlen)) || (ret = sw_keyset_check(dir, d, err, errlen)))
		return ret;
	if ((ret = sw_keyset_new(&ks, dir, d->key_size)))
		return ret;
	ks->d = *d;
	ks->rewrite = rewrite;
	ret = map_sorted(ks, err, errlen);
	if (!ret)
		ret = load_log(ks, err, errlen);
	if (ret) {
		sw_keyset_close(ks);
		return ret;
	}
	*out = ks;
	return 0;
}

void sw_keyset_close(struct sw_keyset *ks)
{
	if (!ks)
		return;
	if (ks->map)
		munmap(ks->map, ks->map_len);
	sw_index_free(&ks->log);
	free(ks);
}

/* The first 8 bytes as a big-endian number: memcmp's order, one compare. */
static __u64 prefix8(const unsigned char *k)
{
	__u64 v;

	memcpy(&v, k, 8);
	return __builtin_bswap64(v);
}

static int key_cmp(const unsigned char *a, const unsigned char *b, __u64 pb, __u32 ksz)
{
	__u64 pa = prefix8(a);

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return memcmp(a + 8, b + 8, ksz - 8);
}

static bool in_sorted(const struct sw_keyset *ks, const void *key)
{
	__u32 ksz = ks->d.key_size, top;
	__u64 lo, hi, pk = prefix8(key);

	if (!ks->map || !ks->d.nsorted)
		return false;
	top = top_bits(key, ks->d.fanout_bits);
	lo = ks->fanout[top];
	hi = ks->fanout[top + 1];
	/*
	 * Keys are mostly hashes, spread evenly: first where the key's next bits
	 * put it in its bucket, then that slot's neighbours (the same cache line,
	 * most often), then a binary search of what is left. The bucket's three
	 * or four binary steps were as many cache misses, most of a known
	 * record's lookup. [lo, hi) holds the key if the set does, throughout.
	 */
	if (hi - lo > 2 && hi - lo < 1u << 31) {
		__u64 e = lo + (((hi - lo) * ((pk << ks->d.fanout_bits) >> 32)) >> 32);

		for (int step = 0; step < 3 && lo < hi; step++) {
			int c = key_cmp(ks->keys + e * ksz, key, pk, ksz);

			if (!c)
				return true;
			if (c < 0)
				e = lo = e + 1;
			else
				e = (hi = e) - 1;
		}
	}
	while (lo < hi) {
		__u64 mid = lo + (hi - lo) / 2;
		int c = key_cmp(ks->keys + mid * ksz, key, pk, ksz);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int sw_keyset_has(const struct sw_keyset *ks, const void *key)
{
	return in_sorted(ks, key) || sw_index_find(&ks->log, key, ks->d.key_size);
}

int sw_keyset_add(struct sw_keyset *ks, const void *key)
{
	bool added;

	if (in_sorted(ks, key))
		return 1;
	if (!sw_index_add(&ks->log, key, &added))
		return -ENOMEM;
	return !added;
}

size_t sw_keyset_count(const struct sw_keyset *ks)
{
	return ks->d.nsorted + ks->log.n;
}

bool sw_keyset_dirty(const struct sw_keyset *ks)
{
	return ks->rewrite || ks->log.n > ks->d.nlog;
}

/* Append the pending keys to log-<gen> and sync it. */
static int append_log(struct sw_keyset *ks, struct sw_keyset_desc *d, char *err, size_t errlen)
{
	size_t ksz = ks->d.key_size, first = ks->d.nlog, len = (ks->log.n - first) * ksz;
	const unsigned char *add = sw_index_at(&ks->log, first);
	char path[PATH_MAX];
	int fd, ret;

	name_of(path, sizeof(path), ks->dir, "log", ks->d.gen);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = write_all(fd, add, len, first * ksz);
	if (!ret && fdatasync(fd))
		ret = -errno;
	close(fd);
	if (ret) {
		snprintf(err, errlen, "write %s: %s", path, strerror(-ret));
		return ret;
	}
	*d = ks->d;
	d->nlog = ks->log.n;
	d->log_crc = crc32(ks->d.log_crc, add, len);
	return 0;
}

static int cmp_key_size;

static int cmp_keys(const void *a, const void *b)
{
	return memcmp(a, b, cmp_key_size);
}

struct merge_ctx {
	const struct sw_keyset *ks;
	const unsigned char *log;	/* the log's keys, sorted */
	__u64 nlog;
	struct sw_keyset_desc *d;	/* the new generation's */
	uLong crc;
};

static void put(FILE *f, struct merge_ctx *c, const void *p, size_t len)
{
	fwrite(p, len, 1, f);
	c->crc = crc32(c->crc, p, len);
}

/* keys-<new gen>: the sorted keys and the log's, merged. */
static int fill_sorted(FILE *f, void *ctx)
{
	struct merge_ctx *c = ctx;
	const struct sw_keyset *ks = c->ks;
	__u32 ksz = ks->d.key_size, bits = c->d->fanout_bits, nb = 1u << bits;
	struct keys_hdr h = { .key_size = ksz, .fanout_bits = bits, .n = c->d->nsorted };
	__u32 *fan = calloc(nb + 1, sizeof(*fan));
	__u64 i = 0, j = 0;

	if (!fan)
		return -ENOMEM;
	/* bucket counts, then a running sum: fan[b] = first key of bucket b */
	for (__u64 k = 0; k < ks->d.nsorted; k++)
		fan[top_bits(ks->keys + k * ksz, bits) + 1]++;
	for (__u64 k = 0; k < c->nlog; k++)
		fan[top_bits(c->log + k * ksz, bits) + 1]++;
	for (__u32 b = 0; b < nb; b++)
		fan[b + 1] += fan[b];
	memcpy(h.magic, KEYS_MAGIC, 8);
	c->crc = crc32(0, NULL, 0);
	put(f, c, &h, sizeof(h));
	put(f, c, fan, (nb + 1) * sizeof(*fan));
	free(fan);
	while (i < ks->d.nsorted || j < c->nlog) {
		const unsigned char *a = i < ks->d.nsorted ? ks->keys + i * ksz : NULL;
		const unsigned char *b = j < c->nlog ? c->log + j * ksz : NULL;

		if (a && (!b || memcmp(a, b, ksz) < 0)) {
			put(f, c, a, ksz);
			i++;
		} else {
			put(f, c, b, ksz);
			j++;
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* Crash test hook (as state.c's): STOPWATCH_STATE_CRASH_AT=merge kills after the new files. */
static void crash_point(const char *where)
{
	const char *at = getenv("STOPWATCH_STATE_CRASH_AT");

	if (at && !strcmp(at, where))
		raise(SIGKILL);
}

/* Merge the sorted keys and the log into a new generation with an empty log. */
static int merge(struct sw_keyset *ks, struct sw_keyset_desc *d, char *err, size_t errlen)
{
	size_t ksz = ks->d.key_size;
	struct merge_ctx c = { .ks = ks, .nlog = ks->log.n, .d = d };
	unsigned char *sorted = NULL;
	char path[PATH_MAX];
	int fd, ret;

	if (ks->log.n) {
		sorted = malloc(ks->log.n * ksz);
		if (!sorted) {
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		memcpy(sorted, ks->log.elem, ks->log.n * ksz);
		cmp_key_size = ksz;
		qsort(sorted, ks->log.n, ksz, cmp_keys);
	}
	c.log = sorted;
	*d = (struct sw_keyset_desc){
		.gen = (ks->max_gen > ks->d.gen ? ks->max_gen : ks->d.gen) + 1,
		.nsorted = ks->d.nsorted + ks->log.n,
		.key_size = ksz,
	};
	d->fanout_bits = fanout_bits_for(d->nsorted);
	name_of(path, sizeof(path), ks->dir, "keys", d->gen);
	ret = sw_replace_file(path, SW_STATE_FILE_MODE, false, fill_sorted, &c);
	free(sorted);
	if (ret) {
		snprintf(err, errlen, "write %s: %s", path, strerror(-ret));
		return ret;
	}
	d->sorted_crc = c.crc;
	d->log_crc = crc32(0, NULL, 0);
	name_of(path, sizeof(path), ks->dir, "log", d->gen);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SW_STATE_FILE_MODE);
	if (fd < 0 || fsync(fd)) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	ks->max_gen = d->gen;
	crash_point("merge");
	return 0;
}

int sw_keyset_flush(struct sw_keyset *ks, struct sw_keyset_desc *d, char *err, size_t errlen)
{
	__u64 limit = ks->d.nsorted / LOG_RATIO > LOG_MIN ? ks->d.nsorted / LOG_RATIO : LOG_MIN;
	int ret;

	*d = ks->d;
	if (!sw_keyset_dirty(ks))
		return 0;
	if (ks->rewrite || !ks->d.gen || ks->log.n > limit)
		ret = merge(ks, d, err, errlen);
	else
		ret = append_log(ks, d, err, errlen);
	return ret;
}

int sw_keyset_committed(struct sw_keyset *ks, const struct sw_keyset_desc *d, char *err,
			size_t errlen)
{
	if (d->gen == ks->d.gen) {
		ks->d = *d;
		return 0;
	}
	/* a merge: the pending keys are in the new sorted file now */
	if (ks->map)
		munmap(ks->map, ks->map_len);
	ks->map = NULL;
	sw_index_clear(&ks->log);
	ks->d = *d;
	ks->rewrite = false;
	return map_sorted(ks, err, errlen);
}

static bool named(const struct sw_keyset_desc *d, __u64 gen)
{
	return d && d->gen && d->gen == gen;
}

void sw_keyset_cleanup(const char *dir, const struct sw_keyset_desc *a,
		       const struct sw_keyset_desc *b)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (dp && (e = readdir(dp))) {
		unsigned long long g;
		char tail;
		int n;

		n = sscanf(e->d_name, "keys-%llu%c", &g, &tail);
		if (n != 1)
			n = sscanf(e->d_name, "log-%llu%c", &g, &tail);
		if (n == 1 && !named(a, g) && !named(b, g) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	if (dp)
		closedir(dp);
}

void sw_keyset_keep_aside(const char *dir, const struct sw_keyset_desc *d, const char *suffix)
{
	char path[PATH_MAX], aside[PATH_MAX + 64];

	if (!d->gen)
		return;
	for (int i = 0; i < 2; i++) {
		if (name_of(path, sizeof(path), dir, i ? "log" : "keys", d->gen))
			continue;
		snprintf(aside, sizeof(aside), "%s.corrupt-%s", path, suffix);
		if (link(path, aside) && errno != ENOENT)
			fprintf(stderr, "stopwatch: could not keep %s aside: %s\n", path,
				strerror(errno));
	}
}
