/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The state directory: statistics of every stop ever recovered on this host
 * (or, for logscan, on the hosts whose logs were fed to it), across boots.
 * Each record is counted exactly once: the set of ingested record keys is
 * kept in the same file as the counters, and the file is replaced as a whole
 * (temp file, fsync, rename, fsync of the directory), so a crash at any
 * point leaves either the old state or the new one, never a mix.
 *
 * DIR/state       the statistics and the seen-key set (format below, in state.c)
 * DIR/state.prev  the state before the last commit: fallback if state is corrupt
 * DIR/lock        flock()ed by an ingest for its whole read-modify-write
 */
#ifndef STOPWATCH_STATE_H
#define STOPWATCH_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hist.h"
#include "record.h"

#define SW_STATE_DEFAULT_DIR	"/var/lib/stopwatch"
#define SW_STATE_DIR_ENV	"STOPWATCH_STATE_DIR"
#define SW_SOURCES		(SW_SRC_LOG + 1)
#define SW_OUTCOMES		(SW_OUT_NOOP + 1)

/*
 * Per rung, from exact records: what 'whatif' replays a shorter or longer
 * wait against. The per-CPU ack latencies are sw_state_totals.ack; these
 * are the CPUs and stops those leave out: a CPU the rung was sent to that
 * it did not stop is only known to have taken longer than the kernel's
 * wait (censored).
 */
struct sw_state_rung_acks {
	__u64 cpus_not_acked;		/* CPUs it was sent to that it did not stop */
	__u64 stops_not_acked;		/* stops in which such a CPU was */
	struct sw_hist stop_last_ack;	/* the other stops: their slowest ack of it */
};

/* Cumulative statistics. Histograms use log-linear ns buckets. */
struct sw_state_totals {
	__u64 records[SW_SOURCES];		/* records ingested, per source */
	__u64 stops[SW_KIND_COUNT][SW_OUTCOMES];
	__u64 cpus_stopped[SW_RUNG_COUNT];	/* per rung that stopped the CPU ([NONE] unused) */
	__u64 cpus_never_stopped;
	/* fire of a rung after the one before it (or the stop's start); [0] unused */
	struct sw_hist escalation[SW_FIRE_RUNGS];
	/* rung fired to the CPU's stop handler, per rung; exact (BPF) records only */
	struct sw_hist ack[SW_FIRE_RUNGS];
	struct sw_state_rung_acks rung_acks[SW_FIRE_RUNGS];	/* exact records only */
};

/*
 * A record's identity. Store records (BPF, vmcore, trace): the boot id and
 * the store's sequence number. Log records: a content hash (see
 * sw_state_key_of) with the top bit of seq set, a space store sequence
 * numbers never reach.
 */
struct sw_state_key {
	__u8 id[16];
	__u64 seq;
};

/* SDEI event-0 deliveries live mode counted in one boot (monotonic within it). */
struct sw_state_boot {
	__u8 boot_id[16];
	__u64 sdei[SW_SDEI_KINDS];
};

struct sw_state;

/*
 * Open DIR's state. @update: create DIR if needed, take the lock (waits for
 * another ingest), clear temp files a killed ingest left. A corrupt state
 * file is an error without @update; with it, the file is renamed to
 * state.corrupt-<unix time>, that is said on stderr, and the state restarts
 * from state.prev when that is sound (else empty); *@recovered is set.
 * Returns 0 or a negative errno with a one-line reason in @err.
 */
int sw_state_open(struct sw_state **out, const char *dir, bool update, bool *recovered,
		  char *err, size_t errlen);
void sw_state_close(struct sw_state *s);

/* Key of a decoded record; @occurrence tells apart identical untimed log records. */
void sw_state_key_of(const struct sw_stop *r, unsigned int occurrence, struct sw_state_key *k);
/*
 * The key release 1 gave a log record (a hash of its record's bytes), kept
 * so that a record counted then is not counted again: sw_state_add checks
 * it in a state migrated from v1, when the record carries its release-1
 * form (legacy_v1, struct sw_v1_stop_record in legacy_v1.h).
 */
struct sw_v1_stop_record;
void sw_state_key_v1(const struct sw_record_meta *m, const struct sw_v1_stop_record *r,
		     unsigned int occurrence, struct sw_state_key *k);

/* Count @r into @t (no key check: sw_state_add does that). */
void sw_state_count(struct sw_state_totals *t, const struct sw_stop *r);
/* Count @r unless its key was counted before: 1 = new, 0 = already counted, -ENOMEM. */
int sw_state_add(struct sw_state *s, const struct sw_stop *r);
/* Every valid record of a store (sw_store_walk); returns new ones or -ENOMEM. */
int sw_state_add_store(struct sw_state *s, const struct sw_record_meta *m, const struct sw_store *st);
/* Live mode's SDEI delivery counts of one boot so far (text boot id). */
int sw_state_note_sdei(struct sw_state *s, const char *boot_id, const __u64 sdei[SW_SDEI_KINDS]);
/* Write the state (atomically, durably). Returns 0 or -errno with @err. */
int sw_state_commit(struct sw_state *s, char *err, size_t errlen);

/* This session: records new and already counted. */
void sw_state_session(const struct sw_state *s, unsigned long *added, unsigned long *already);
const struct sw_state_totals *sw_state_totals(const struct sw_state *s);
size_t sw_state_nkeys(const struct sw_state *s);

void sw_state_print_json(FILE *f, const struct sw_state *s);
void sw_state_print_text(FILE *f, const struct sw_state *s);
/* SDEI deliveries summed over the boots live mode saw; stops whose outcome is failed. */
void sw_state_sdei_totals(const struct sw_state *s, __u64 out[SW_SDEI_KINDS]);
__u64 sw_state_failed_stops(const struct sw_state_totals *t);
/* The cumulative families (state_expo.c, docs/metrics.md), added to @e. */
struct sw_expo;
void sw_state_expo(struct sw_expo *e, const struct sw_state *s);

/*
 * The --state-dir option of recover and logscan, and the ingest around a
 * command: begin (NULL dir: no ingest, returns 0), add, end (commit and a
 * "state DIR: N new, M already counted" line on stderr). end returns an
 * sw_exit code.
 */
extern const struct argp sw_state_argp;
extern const char *sw_state_dir;	/* set by sw_state_argp */
int sw_ingest_begin(struct sw_state **s);
int sw_ingest_end(struct sw_state *s, int ret);

#endif
