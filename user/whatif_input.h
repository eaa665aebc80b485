/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The data whatif and report read, and their shared options: the state
 * directory, JSON records (--records), a live window (--live-seconds).
 */
#ifndef STOPWATCH_WHATIF_INPUT_H
#define STOPWATCH_WHATIF_INPUT_H

#include "livewin.h"
#include "whatif.h"

#define SW_WI_MAX_RECORD_FILES 16

/* --state-dir, --records, --live-seconds, --waits: argp child for both commands */
extern const struct argp sw_whatif_input_argp;

/* Records read from --records files, kept for report's table of stops. */
struct sw_wi_record {
	struct sw_stop *s;
};

struct sw_wi_data {
	struct sw_wi_input in;
	struct sw_live_window live;	/* when in.have_live */
	char state_dir[4096];		/* "" when no state was read */
	__u64 state_records;		/* records the state counted */
	struct sw_wi_record *recs;	/* from --records */
	size_t nrecs;
	double waits_us[SW_WHATIF_MAX_WAITS];
	int nwaits;
};

/*
 * Read the state, the records files and the live window as the options
 * say. Returns an sw_exit code, the error said in one line; says on
 * stderr when the records hold no exact ack latencies and live is used alone.
 */
int sw_wi_gather(struct sw_wi_data *d);
void sw_wi_data_free(struct sw_wi_data *d);

#endif
