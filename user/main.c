// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stopwatch: what happens when Linux stops its CPUs. Subcommand dispatch. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "loader.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "probes", cmd_probes, "list every attach point on this kernel and the rungs it can see" },
	{ "live", cmd_live, "stream IPI and SDEI delivery latency histograms" },
	{ "arm", cmd_arm, "pin the probes so stops are recorded after stopwatch exits" },
	{ "disarm", cmd_disarm, "remove the pinned probes and maps" },
	{ "dump", cmd_dump, "print what the pinned probes recorded" },
	{ "recover", cmd_recover, "read stop records back from a vmcore after a crash" },
	{ "logscan", cmd_logscan, "stop records from kernel logs of hosts that were never armed" },
	{ "stats", cmd_stats, "cumulative stop statistics across boots (JSON, OpenMetrics, HTTP)" },
	{ "whatif", cmd_whatif, "what other stop waits would cost: CPUs and stops escalated, time" },
	{ "report", cmd_report, "one self-contained HTML report: latency plots, whatif, stops" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: stopwatch COMMAND [OPTION...]\n"
		   "Record how Linux stops its CPUs: which rung (IPI, NMI, SDEI) stopped each\n"
		   "CPU, and how long each rung and each escalation took.\n\nCommands:\n");
	for (unsigned int i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\nExamples:\n"
		   "  stopwatch probes              # what this kernel lets stopwatch see\n"
		   "  stopwatch live 1 10           # ten 1-second intervals of latency histograms\n"
		   "  stopwatch arm                 # record the next reboot, panic or kdump\n"
		   "  stopwatch recover --vmcore /proc/vmcore --format json\n"
		   "  stopwatch logscan --format json /var/log/hosts/*.log\n"
		   "  stopwatch recover --vmcore /proc/vmcore --state-dir /var/lib/stopwatch\n"
		   "  stopwatch stats --listen 9419   # /metrics and /stats.json on 127.0.0.1\n"
		   "  stopwatch whatif --live-seconds 10   # if the IPI wait were 100 ms...\n"
		   "  stopwatch report --live-seconds 10 -o report.html\n"
		   "\n'stopwatch COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	struct timespec ts;

	/* start of the start-up clock: bench/ measures main() to all attached */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sw_t0_ms = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
	if (argc < 2) {
		fprintf(stderr, "stopwatch: no command given (try 'stopwatch --help')\n");
		return SW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("stopwatch %s (record layout %d)\n", STOPWATCH_VERSION, SW_LAYOUT_VERSION);
		return 0;
	}
	for (unsigned int i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "stopwatch: unknown command '%s' (try 'stopwatch --help')\n", argv[1]);
	return SW_EXIT_USAGE;
}
