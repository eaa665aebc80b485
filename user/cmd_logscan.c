// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * stopwatch logscan: stop records from the kernel logs of hosts that were
 * never armed (console, dmesg, netconsole, pstore, syslog, journal export).
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "env.h"
#include "index.h"
#include "loader.h"
#include "logscan.h"
#include "sinks.h"
#include "state.h"

static const char logscan_doc[] =
	"Read kernel logs and print one stop record per CPU stop found in them\n"
	"(reboot, halt, power-off, panic, kdump): which rungs fired (stop IPI, NMI,\n"
	"SDEI), to which CPUs, and which CPUs never stopped. Accepts console and\n"
	"serial captures, dmesg, netconsole, pstore (dmesg-ramoops-N), syslog\n"
	"('Nov 21 13:04:18 host kernel: ...'), journalctl -o short-monotonic and\n"
	"-o export; files may hold several boots and, for syslog and journal, many\n"
	"hosts. Times come from printk timestamps (printk resolution). Text output\n"
	"ends with a summary per host. FILE '-' is standard input.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch logscan /var/log/kern.log\n"
	"    stopwatch logscan --format json /srv/consoles/*.log > stops.jsonl\n"
	"    journalctl -k -o export -b -1 | stopwatch logscan -\n"
	"    stopwatch logscan --host node17 /sys/fs/pstore/dmesg-ramoops-0\n"
	"    journalctl -k -o export -b -1 | stopwatch logscan --host $(hostname) \\\n"
	"        --state-dir /var/lib/stopwatch -\n";

static const struct argp_option logscan_options[] = {
	{ "host", 'H', "NAME", 0, "Host of lines that do not name one (default: the file name)" },
	{},
};

static const char *opt_host;
static char **files;
static int nfiles;

static error_t logscan_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'H':
		if (!*arg)
			argp_error(state, "empty host name");
		opt_host = arg;
		break;
	case ARGP_KEY_ARG:
		files = realloc(files, (nfiles + 1) * sizeof(*files));
		if (!files)
			argp_failure(state, SW_EXIT_FAIL, ENOMEM, "out of memory");
		files[nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (!nfiles)
			argp_error(state, "no FILE given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct summary {
	char host[sizeof(((struct sw_record_meta *)0)->host)];
	unsigned long stops, escalated, failed, never;
};

struct out {
	struct sw_index hosts;		/* of struct summary, by host, in order of first sight */
	char last_host[sizeof(((struct sw_record_meta *)0)->host)];
	bool oom;
	struct sw_sinks sinks;		/* stdout, and --state-dir: count each record once */
};

static const void *host_of(const void *elem, size_t *len)
{
	const struct summary *s = elem;

	*len = strlen(s->host);
	return s->host;
}

static void on_record(void *ctx, const struct sw_stop *r)
{
	struct out *o = ctx;
	struct summary *s, blank = {};
	struct sw_cpuset never;
	enum sw_outcome out = sw_stop_outcome(r);

	if (!o->sinks.json && strcmp(o->last_host, r->meta.host))
		printf("host %s\n", r->meta.host[0] ? r->meta.host : "?");
	snprintf(o->last_host, sizeof(o->last_host), "%s", r->meta.host);
	sw_sinks_take(&o->sinks, r);
	snprintf(blank.host, sizeof(blank.host), "%s", r->meta.host);
	s = sw_index_add(&o->hosts, &blank, NULL);
	if (!s) {
		o->oom = true;
		return;
	}
	s->stops++;
	s->escalated += out == SW_OUT_ESCALATED || sw_stop_top_rung(r) > SW_RUNG_IPI;
	s->failed += out == SW_OUT_FAILED;
	if (sw_stop_never_stopped(r, &never))
		s->never += sw_cpuset_count(&never);
}

/* A file or standard input, read in bounded memory whatever its size. */
static int scan_file(const char *path, const char *host, struct out *o)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	struct sw_logscan_stats st;
	struct stat sb;
	int ret;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (S_ISDIR(sb.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	ret = sw_logscan_fd(fd, host, on_record, o, &st);
	close(fd);
	if (st.skipped)
		fprintf(stderr, "stopwatch: %s: %lu lines skipped (a keyword in a line over 4 KiB or "
			"holding NUL bytes)\n", path, st.skipped);
	return ret < 0 ? ret : 0;
}

int cmd_logscan(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_argp }, { &sw_records_argp }, { &sw_state_argp },
						      { &sw_common_argp }, {} };
	const struct argp argp = { logscan_options, logscan_parse, "FILE...", logscan_doc, children };
	struct out o = { .hosts = SW_INDEX_INIT(sizeof(struct summary), host_of) };
	int ret = SW_EXIT_OK;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	o.sinks = (struct sw_sinks){ .out = stdout, .json = env.format == SW_FMT_JSON,
				     .per_cpu = env.per_cpu };
	ret = sw_ingest_begin(&o.sinks.state);
	if (ret)
		return ret;
	for (int i = 0; i < nfiles; i++) {
		const char *host = opt_host;
		const char *slash;
		int err;

		if (!host) {
			slash = strrchr(files[i], '/');
			host = !strcmp(files[i], "-") ? "" : slash ? slash + 1 : files[i];
		}
		err = scan_file(files[i], host, &o);
		if (err) {
			fprintf(stderr, "stopwatch: failed to read %s: %s\n", files[i], strerror(-err));
			ret = SW_EXIT_FAIL;
		}
	}
	fflush(stdout);
	if (env.format == SW_FMT_TEXT) {
		printf("%s%-24s %8s %10s %8s %14s\n", o.hosts.n ? "\n" : "", "HOST", "STOPS",
		       "ESCALATED", "FAILED", "NEVER-STOPPED");
		for (size_t i = 0; i < o.hosts.n; i++) {
			const struct summary *s = sw_index_at(&o.hosts, i);

			printf("%-24s %8lu %10lu %8lu %14lu\n", s->host[0] ? s->host : "?",
			       s->stops, s->escalated, s->failed, s->never);
		}
	}
	if (o.oom || o.sinks.state_failed) {
		fprintf(stderr, "stopwatch: failed to summarise: %s\n", strerror(ENOMEM));
		ret = SW_EXIT_FAIL;
		/* the counts would be short: commit nothing, the state stays as it was */
		sw_state_close(o.sinks.state);
		o.sinks.state = NULL;
	}
	ret = sw_ingest_end(o.sinks.state, ret);
	sw_index_free(&o.hosts);
	free(files);
	files = NULL;
	nfiles = 0;
	return ret;
}
