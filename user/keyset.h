/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The seen-key set of the state directory, on disk beside the summary, so
 * that reading the statistics never loads it and an ingest never rewrites
 * it whole. Keys are opaque, all of one size.
 *
 * Two files per generation N (an LSM tree of two levels):
 *   keys-N  sorted, immutable: a header, a fan-out table of the keys' top
 *           bits, the keys in memcmp order; read whole (huge pages) and looked up in memory
 *   log-N   the keys added since, appended in the order they came
 * The summary (DIR/state) names the generation and says how many keys of
 * each file are committed, with a crc32 of each: an ingest appends to the
 * log, syncs it, then commits the summary by rename; keys a killed ingest
 * appended are past the committed count and are cut off by the next one.
 * When the log outgrows a sixteenth of the sorted keys, the two are merged
 * into generation N+1 (new files, then the summary): the files a summary
 * names are never changed but for the log's uncommitted tail.
 */
#ifndef STOPWATCH_KEYSET_H
#define STOPWATCH_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* What the summary records of the key set: with it, the set is exactly known. */
struct sw_keyset_desc {
	__u64 gen;		/* files keys-<gen>, log-<gen>; 0 = no files, no keys */
	__u64 nsorted;		/* keys in keys-<gen> */
	__u64 nlog;		/* committed keys at the start of log-<gen> */
	__u32 sorted_crc;	/* crc32 of the whole keys-<gen> file */
	__u32 log_crc;		/* crc32 of the committed keys of log-<gen> */
	__u32 key_size;
	__u32 fanout_bits;	/* of keys-<gen> */
};

struct sw_keyset;

/*
 * Open the key set @d describes in @dir for lookups and adds (an ingest,
 * holding the state lock). Both files are checked against @d (sizes,
 * crc32): damage is -EBADMSG with a one-line reason in @err. With
 * @rewrite, the files are left exactly as they are and the next flush
 * writes a new generation (recovery, migration); without it, the log's
 * uncommitted tail is cut off.
 */
int sw_keyset_open(struct sw_keyset **out, const char *dir, const struct sw_keyset_desc *d,
		   bool rewrite, char *err, size_t errlen);
/* An empty set of @key_size-byte keys in @dir (nothing written until a flush). */
int sw_keyset_new(struct sw_keyset **out, const char *dir, __u32 key_size);
void sw_keyset_close(struct sw_keyset *ks);

/* 1: @key is in the set; 0: it was not, and is added (pending); -ENOMEM. */
int sw_keyset_add(struct sw_keyset *ks, const void *key);
/* 1: @key is in the set, pending ones included; 0: it is not. */
int sw_keyset_has(const struct sw_keyset *ks, const void *key);
size_t sw_keyset_count(const struct sw_keyset *ks);
/* True when keys were added (or a rewrite is due) since the last flush. */
bool sw_keyset_dirty(const struct sw_keyset *ks);

/*
 * Make the pending keys durable, in the log or by a merge into a new
 * generation, and describe the result in @d for the summary to commit.
 * Nothing the current summary names is changed. -errno with @err.
 */
int sw_keyset_flush(struct sw_keyset *ks, struct sw_keyset_desc *d, char *err, size_t errlen);

/* After the summary naming @d (from the last flush) is committed: go on from it. */
int sw_keyset_committed(struct sw_keyset *ks, const struct sw_keyset_desc *d, char *err,
			size_t errlen);

/*
 * Readers: check without reading the keys that @d's files exist with the
 * sizes @d implies (a truncated or missing key file is -EBADMSG). Damage
 * inside the files is found by the next ingest, which reads them whole.
 */
int sw_keyset_check(const char *dir, const struct sw_keyset_desc *d, char *err, size_t errlen);

/*
 * Delete the key files of generations neither @a nor @b names (merges that
 * were superseded or killed half-way). Call holding the state lock.
 */
void sw_keyset_cleanup(const char *dir, const struct sw_keyset_desc *a,
		       const struct sw_keyset_desc *b);
/* Hard-link @d's files aside as <name>.corrupt-<suffix> (damage kept for a post-mortem). */
void sw_keyset_keep_aside(const char *dir, const struct sw_keyset_desc *d, const char *suffix);

#endif
