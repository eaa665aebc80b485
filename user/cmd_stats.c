// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * stopwatch stats: the cumulative statistics of the state directory, as
 * text, JSON, Prometheus text or OpenMetrics, a node_exporter textfile, or
 * over HTTP.
 */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "expo.h"
#include "fileio.h"
#include "httpd.h"
#include "loader.h"
#include "state.h"

static const char stats_doc[] =
	"Print the statistics of every stop counted in the state directory, across\n"
	"boots: stops by kind and outcome, CPUs stopped per rung and never stopped,\n"
	"escalation delay and per-CPU ack latency histograms, SDEI deliveries, failed\n"
	"stops. 'recover' and 'logscan' with --state-dir count records into it, each\n"
	"record once. The directory is --state-dir, else $" SW_STATE_DIR_ENV ", else\n"
	SW_STATE_DEFAULT_DIR ".\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch stats\n"
	"    stopwatch stats --format json\n"
	"    stopwatch stats -o /var/lib/prometheus/node-exporter/stopwatch_stats.prom\n"
	"    stopwatch stats --format prometheus       # what --textfile writes\n"
	"    stopwatch stats --listen 9419     # /metrics, /stats.json on 127.0.0.1\n"
	"    stopwatch stats --listen 0.0.0.0:9419     # every interface\n";

enum { OPT_DIR = 0x5344, OPT_LISTEN = 0x534c };

static const struct argp_option stats_options[] = {
	{ "state-dir", OPT_DIR, "DIR", 0, "State directory (default $" SW_STATE_DIR_ENV " or "
	  SW_STATE_DEFAULT_DIR ")" },
	{ "textfile", 'o', "PATH", 0,
	  "Write the Prometheus text format to PATH atomically (node_exporter's textfile "
	  "collector); its directory must exist" },
	{ "listen", OPT_LISTEN, "[ADDR:]PORT", 0,
	  "Serve /metrics (Prometheus text, or OpenMetrics when the scraper's Accept header "
	  "asks for it) and /stats.json over HTTP until SIGINT/SIGTERM (ADDR default 127.0.0.1)" },
	{},
};

static const char *opt_dir, *opt_listen;

static error_t stats_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_DIR:
		if (!*arg)
			argp_error(state, "empty state directory");
		opt_dir = arg;
		break;
	case 'o':
		if (!*arg)
			argp_error(state, "empty textfile path");
		env.textfile = arg;
		break;
	case OPT_LISTEN:
		opt_listen = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Read the state afresh (an ingest may have committed since) and print it. */
static int print_state(FILE *f, const char *dir, enum sw_format fmt, char *err, size_t errlen)
{
	struct sw_state *s;
	struct sw_expo e;
	int ret;

	ret = sw_state_open(&s, dir, false, NULL, err, errlen);
	if (ret)
		return ret;
	if (fmt == SW_FMT_TEXT) {
		sw_state_print_text(f, s);
	} else if (fmt == SW_FMT_JSON) {
		sw_state_print_json(f, s);
	} else {
		sw_expo_init(&e);
		sw_state_expo(&e, s);
		if (!e.err)
			sw_expo_render(f, &e, fmt == SW_FMT_OPENMETRICS ? SW_EXPO_OPENMETRICS
									: SW_EXPO_PROMETHEUS);
		else
			snprintf(err, errlen, "%s", strerror(-e.err));
		ret = e.err;
		sw_expo_free(&e);
	}
	sw_state_close(s);
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s", strerror(EIO));
	}
	return ret;
}

static int fill_http(FILE *f, const char *dir, enum sw_format fmt)
{
	char err[512];

	if (!print_state(f, dir, fmt, err, sizeof(err)))
		return 200;
	/* the page is the error: throw away what was printed before it */
	rewind(f);
	fprintf(f, "failed to read state %s: %s\n", dir, err);
	return 500;
}

/* OpenMetrics or Prometheus text, as the scraper's Accept header prefers */
static int fill_metrics(FILE *f, void *ctx, struct sw_http_request *req)
{
	enum sw_expo_format fmt = sw_expo_negotiate(req->accept, &req->content_type);

	return fill_http(f, ctx, fmt == SW_EXPO_OPENMETRICS ? SW_FMT_OPENMETRICS : SW_FMT_PROMETHEUS);
}

static int fill_json(FILE *f, void *ctx, struct sw_http_request *req)
{
	return fill_http(f, ctx, SW_FMT_JSON);
}

struct textfile_ctx {
	const char *dir;
	char err[512];
};

/* node_exporter parses textfiles as the Prometheus text format 0.0.4 */
static int fill_textfile(FILE *f, void *ctx)
{
	struct textfile_ctx *t = ctx;

	return print_state(f, t->dir, SW_FMT_PROMETHEUS, t->err, sizeof(t->err));
}

static int exit_code(int err)
{
	return !err ? SW_EXIT_OK : err == -EBADMSG || err == -EPROTO ? SW_EXIT_DATA : SW_EXIT_FAIL;
}

int cmd_stats(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_om_argp }, { &sw_common_argp }, {} };
	const struct argp argp = { stats_options, stats_parse, NULL, stats_doc, children };
	static const struct sw_http_route routes[] = {
		{ "/metrics", SW_CT_PROMETHEUS, fill_metrics },
		{ "/stats.json", "application/json", fill_json },
	};
	const char *dir;
	char *out = NULL, err[512];
	size_t len = 0;
	FILE *f;
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	dir = opt_dir ? opt_dir : getenv(SW_STATE_DIR_ENV) ? getenv(SW_STATE_DIR_ENV)
							   : SW_STATE_DEFAULT_DIR;
	if (env.textfile) {
		struct textfile_ctx t = { .dir = dir };

		if (sw_check_writable_dir(env.textfile, err, sizeof(err))) {
			fprintf(stderr, "stopwatch: cannot write textfile %s: %s\n", env.textfile, err);
			return SW_EXIT_USAGE;
		}

		ret = sw_replace_file(env.textfile, 0644, false, fill_textfile, &t);
		if (ret) {
			fprintf(stderr, "stopwatch: failed to write %s: %s\n", env.textfile,
				t.err[0] ? t.err : strerror(-ret));
			return exit_code(ret);
		}
	}
	if (opt_listen)
		return sw_http_serve(opt_listen, routes, sizeof(routes) / sizeof(routes[0]),
				     (void *)dir);
	if (env.textfile)
		return SW_EXIT_OK;
	/* never half a document on stdout: print to memory, then all or nothing */
	f = open_memstream(&out, &len);
	if (!f) {
		fprintf(stderr, "stopwatch: failed to print: %s\n", strerror(errno));
		return SW_EXIT_FAIL;
	}
	ret = print_state(f, dir, env.format, err, sizeof(err));
	fclose(f);
	if (ret)
		fprintf(stderr, "stopwatch: failed to read state %s: %s\n", dir, err);
	else
		fwrite(out, 1, len, stdout);
	free(out);
	return exit_code(ret);
}
