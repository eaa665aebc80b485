// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stopwatch report: one self-contained HTML file of plots and tables for a postmortem. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "fileio.h"
#include "loader.h"
#include "report.h"

static const char report_doc[] =
	"Write one self-contained HTML file (inline SVG, no script, nothing loaded\n"
	"from anywhere) for a postmortem: the CDF of IPI and SDEI delivery latency\n"
	"and of each rung's ack latency on a log time axis with the kernel's waits,\n"
	"the escalation delay distribution, a per-CPU heat map of IPI latency over\n"
	"the live window, the whatif table, and the stops recorded. Data as for\n"
	"'stopwatch whatif'.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch report -o /tmp/stops.html     # this host's state\n"
	"    stopwatch report --live-seconds 10 -o live.html\n"
	"    stopwatch report --records recover.json --live-seconds 5 -o incident.html\n";

static const struct argp_option report_options[] = {
	{ "output", 'o', "FILE.html", 0, "Write the report here (required; replaced atomically)" },
	{},
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		if (!*arg)
			argp_error(state, "empty output path");
		env.output = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env.output)
			argp_error(state, "-o FILE.html is required");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct fill_ctx {
	const struct sw_wi_data *d;
	const struct sw_wi_table *t;
};

static int fill_report(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;

	sw_report_write(f, c->d, c->t);
	return ferror(f) ? -EIO : 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_whatif_input_argp }, { &sw_common_argp },
						      {} };
	const struct argp argp = { report_options, report_parse, NULL, report_doc, children };
	struct sw_wi_table *t = NULL;
	struct sw_wi_data *d = NULL;
	char err[512];
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	/* before any tracing: a report that cannot be written is a usage error */
	if (sw_check_writable_dir(env.output, err, sizeof(err))) {
		fprintf(stderr, "stopwatch: failed to write %s: %s\n", env.output, err);
		return SW_EXIT_USAGE;
	}
	d = calloc(1, sizeof(*d));
	t = calloc(1, sizeof(*t));
	if (!d || !t) {
		fprintf(stderr, "stopwatch: failed to start: %s\n", strerror(ENOMEM));
		ret = SW_EXIT_FAIL;
		goto out;
	}
	ret = sw_wi_gather(d);
	if (ret)
		goto out;
	sw_wi_compute(&d->in, d->waits_us, d->nwaits, t);
	ret = sw_replace_file(env.output, 0644, false, fill_report, &(struct fill_ctx){ d, t });
	if (ret) {
		fprintf(stderr, "stopwatch: failed to write %s: %s\n", env.output, strerror(-ret));
		ret = SW_EXIT_FAIL;
		goto out;
	}
	fprintf(stderr, "stopwatch: report written to %s\n", env.output);
out:
	if (d)
		sw_wi_data_free(d);
	free(d);
	free(t);
	return ret;
}
