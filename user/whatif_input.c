// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "env.h"
#include "loader.h"
#include "record_json.h"
#include "state.h"
#include "whatif_input.h"

enum { OPT_DIR = 0x5344, OPT_RECORDS = 0x5752, OPT_LIVE = 0x574c, OPT_WAITS = 0x5757 };

static const char *opt_dir, *opt_records[SW_WI_MAX_RECORD_FILES], *opt_waits;
static int nopt_records;

static const struct argp_option input_options[] = {
	{ "state-dir", OPT_DIR, "DIR", 0, "Recorded stops counted in DIR (default, without --"
	  "records: $" SW_STATE_DIR_ENV " or " SW_STATE_DEFAULT_DIR ")" },
	{ "records", OPT_RECORDS, "FILE", 0, "Stop records as JSON lines (recover/dump --format "
	  "json), not counted in the state dir; repeatable" },
	{ "live-seconds", OPT_LIVE, "N", 0, "Trace IPI and SDEI delivery latency for N seconds "
	  "(root)" },
	{ "waits", OPT_WAITS, "LIST", 0, "Candidate waits, increasing: 100us,1ms,0.5s (bare numbers "
	  "are us; default 100us to 1s in 1-2-5 steps)" },
	{},
};

static error_t input_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_DIR:
		if (!*arg)
			argp_error(state, "empty state directory");
		opt_dir = arg;
		break;
	case OPT_RECORDS:
		if (!*arg || nopt_records == SW_WI_MAX_RECORD_FILES)
			argp_error(state, "empty --records or more than %d", SW_WI_MAX_RECORD_FILES);
		opt_records[nopt_records++] = arg;
		break;
	case OPT_LIVE:
		if (sw_parse_long(arg, 1, 3600, &env.live_seconds))
			argp_error(state, "invalid --live-seconds '%s' (1 to 3600)", arg);
		break;
	case OPT_WAITS:
		opt_waits = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp sw_whatif_input_argp = { input_options, input_parse };

static int read_state(struct sw_wi_data *d, const char *dir)
{
	struct sw_state *s;
	char err[512];
	int ret = sw_state_open(&s, dir, false, NULL, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "stopwatch: failed to read state %s: %s\n", dir, err);
		return ret == -EBADMSG || ret == -EPROTO ? SW_EXIT_DATA : SW_EXIT_FAIL;
	}
	d->in.t = *sw_state_totals(s);
	snprintf(d->state_dir, sizeof(d->state_dir), "%s", dir);
	for (int i = 0; i < SW_SOURCES; i++)
		d->state_records += d->in.t.records[i];
	sw_state_close(s);
	return SW_EXIT_OK;
}

static int keep_record(void *ctx, const struct sw_stop *r)
{
	struct sw_wi_data *d = ctx;
	struct sw_wi_record *n = realloc(d->recs, (d->nrecs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	d->recs = n;
	n[d->nrecs].s = sw_stop_new(r->nr_cpus);
	if (!n[d->nrecs].s || sw_stop_copy(n[d->nrecs].s, r)) {
		sw_stop_free(n[d->nrecs].s);
		return -ENOMEM;
	}
	sw_state_count(&d->in.t, r);
	d->nrecs++;
	return 0;
}

static int read_records(struct sw_wi_data *d, const char *path)
{
	FILE *f = fopen(path, "r");
	char err[256];
	size_t before = d->nrecs;
	int n;

	if (!f) {
		fprintf(stderr, "stopwatch: failed to open %s: %s\n", path, strerror(errno));
		return SW_EXIT_FAIL;
	}
	n = sw_records_read_json(f, keep_record, d, err, sizeof(err));
	fclose(f);
	if (n < 0) {
		fprintf(stderr, "stopwatch: failed to read records %s: %s\n", path, err);
		return SW_EXIT_DATA;
	}
	if (d->nrecs - before != (size_t)n) {
		fprintf(stderr, "stopwatch: failed to keep records: %s\n", strerror(ENOMEM));
		return SW_EXIT_FAIL;
	}
	return SW_EXIT_OK;
}

static __u64 exact_samples(const struct sw_state_totals *t)
{
	return t->ack[0].count + t->rung_acks[0].cpus_not_acked;
}

int sw_wi_gather(struct sw_wi_data *d)
{
	const char *dir = opt_dir;
	int ret;

	memset(d, 0, sizeof(*d));
	if (opt_waits ? sw_wi_parse_waits(opt_waits, d->waits_us, SW_WHATIF_MAX_WAITS, &d->nwaits)
		      : (d->nwaits = sw_wi_default_waits(d->waits_us, SW_WHATIF_MAX_WAITS)) <= 0) {
		fprintf(stderr, "stopwatch: invalid --waits '%s': positive times, increasing, at most "
			"%d\n", opt_waits, SW_WHATIF_MAX_WAITS);
		return SW_EXIT_USAGE;
	}
	/*
	 * With no records named, the host's own state, as 'stats' reads it;
	 * beside --live-seconds only when there is one.
	 */
	if (!dir && !nopt_records) {
		struct stat sb;

		dir = getenv(SW_STATE_DIR_ENV) ? getenv(SW_STATE_DIR_ENV) : SW_STATE_DEFAULT_DIR;
		if (env.live_seconds && stat(dir, &sb))
			dir = NULL;
	}
	if (dir && (ret = read_state(d, dir)))
		return ret;
	for (int i = 0; i < nopt_records; i++)
		if ((ret = read_records(d, opt_records[i])))
			return ret;
	for (int i = SW_SRC_BPF; i < SW_SRC_LOG; i++)
		d->in.exact_records += d->in.t.records[i];
	if ((dir || nopt_records) && !exact_samples(&d->in.t)) {
		if (!env.live_seconds) {
			fprintf(stderr, "stopwatch: failed to find data: no exact stop records (%llu "
				"records, none with BPF times) and no --live-seconds\n",
				(unsigned long long)(d->state_records + d->nrecs));
			return SW_EXIT_FAIL;
		}
		fprintf(stderr, "stopwatch: no exact stop records (%llu records, none with BPF "
			"times): using live data only\n",
			(unsigned long long)(d->state_records + d->nrecs));
	}
	if (env.live_seconds) {
		ret = sw_live_window_run(&d->live, env.live_seconds);
		if (ret)
			return ret;
		d->in.have_live = true;
		d->in.live_seconds = env.live_seconds;
		sw_live_window_stream(&d->live, SW_STREAM_IPI, &d->in.live_ipi);
		sw_live_window_stream(&d->live, SW_STREAM_SDEI, &d->in.live_sdei);
	}
	return SW_EXIT_OK;
}

void sw_wi_data_free(struct sw_wi_data *d)
{
	for (size_t i = 0; i < d->nrecs; i++)
		sw_stop_free(d->recs[i].s);
	free(d->recs);
	sw_live_window_free(&d->live);
}
