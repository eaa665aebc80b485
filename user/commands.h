/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Subcommands, one file each: cmd_<name>.c. argv[0] is the command name. */
#ifndef STOPWATCH_COMMANDS_H
#define STOPWATCH_COMMANDS_H

int cmd_probes(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_arm(int argc, char **argv);
int cmd_disarm(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_logscan(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_whatif(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Parse @argv with @argp plus the common options; exit code 2 on usage errors. */
struct argp;
int sw_argp_parse(const struct argp *argp, int argc, char **argv);

#endif
