// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stopwatch whatif: what other stop waits would have cost, from records and live data. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "loader.h"
#include "whatif_input.h"

static const char whatif_doc[] =
	"Replay the stop ladder's waits: for each candidate wait W of the first\n"
	"rung (the stop IPI, 1 s in the kernel), the fraction of CPUs whose ack\n"
	"would have come after W, the fraction of stops that would have escalated,\n"
	"and the mean stop time saved (negative) or added. Data: the exact ack\n"
	"latencies of the stops counted in the state directory or given as JSON\n"
	"records, and IPI (and SDEI) delivery latency from N seconds of live\n"
	"tracing. Each answer comes with the interval the histogram buckets allow.\n"
	"The kernel's own waits are marked: IPI 1 s, pseudo-NMI 10 ms, SDEI 100 ms\n"
	"(later series shape).\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch whatif                       # this host's state\n"
	"    stopwatch whatif --live-seconds 10     # and 10 s of live tracing\n"
	"    stopwatch whatif --live-seconds 5 --waits 100us,1ms,10ms,100ms,1s\n"
	"    stopwatch whatif --records recover.json --format json\n";

static error_t whatif_parse(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		argp_error(state, "unexpected argument '%s'", arg);
	return ARGP_ERR_UNKNOWN;
}

int cmd_whatif(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_whatif_input_argp }, { &sw_format_argp },
						      { &sw_common_argp }, {} };
	const struct argp argp = { NULL, whatif_parse, NULL, whatif_doc, children };
	struct sw_wi_table *t;
	struct sw_wi_data *d;
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	d = calloc(1, sizeof(*d));
	t = calloc(1, sizeof(*t));
	if (!d || !t) {
		fprintf(stderr, "stopwatch: failed to start: %s\n", strerror(ENOMEM));
		free(d);
		free(t);
		return SW_EXIT_FAIL;
	}
	ret = sw_wi_gather(d);
	if (!ret) {
		sw_wi_compute(&d->in, d->waits_us, d->nwaits, t);
		if (env.format == SW_FMT_JSON)
			sw_wi_print_json(stdout, t);
		else
			sw_wi_print_text(stdout, t);
	}
	sw_wi_data_free(d);
	free(d);
	free(t);
	return ret;
}
