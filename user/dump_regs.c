// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Which CPU each saved register set of a dump belongs to.
 *
 * A PRSTATUS note does not name its CPU. The kernel keeps one note buffer
 * per possible CPU (crash_notes), and a CPU fills its own when it stops for
 * the crash (crash_save_cpu(): the x86 NMI shootdown callback, arm64's IPI
 * and SDEI stop handlers, and the crashing CPU itself). The elfcorehdr lists
 * the buffers in CPU order (crash_prepare_elf64_headers()), and the capture
 * kernel merges them into /proc/vmcore's one PT_NOTE, leaving out the empty
 * buffers of CPUs that saved nothing (fs/proc/vmcore.c); makedumpfile copies
 * that list. So the notes come in CPU order with the silent CPUs left out,
 * and the stop record says which CPUs stopped: when the counts agree, the
 * k-th note is the k-th CPU that stopped. When they do not, which note is
 * whose cannot be told, and no CPU is given registers that may be another's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "dump.h"
#include "dump_regs.h"

/*
 * CPUs of @s that must have saved registers: the initiator and every CPU
 * that stopped; with @self false, not those that stopped themselves. No
 * panic_smp_self_stop() saves registers (the series' NULL-regs path skips
 * crash_save_cpu()), and on arm64 nothing stops such a CPU again; on x86
 * the crash NMI still reaches it and saves them. So both are tried.
 */
static unsigned int savers(const struct sw_stop *s, struct sw_cpuset *out, bool self)
{
	sw_cpuset_clear(out);
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		if (c == s->initiator ||
		    (s->cpu[c].rung != SW_RUNG_NONE && (self || s->cpu[c].rung != SW_RUNG_SELF)))
			sw_cpuset_set(out, c);
	return sw_cpuset_count(out);
}

static void give(struct sw_stop *s, const struct sw_cpuset *cpus, const struct sw_dump_regs *notes)
{
	int k = 0;

	for (unsigned int c = 0; c < s->nr_cpus; c++) {
		struct sw_cpu_regs *r = &s->cpu[c].regs;

		if (!sw_cpuset_test(cpus, c)) {
			r->state = SW_REGS_MISSING;
			continue;
		}
		r->state = SW_REGS_KNOWN;
		r->pc = notes[k].pc;
		r->sp = notes[k].sp;
		r->irqs = notes[k].irqs_masked ? SW_IRQS_MASKED : SW_IRQS_ENABLED;
		k++;
	}
}

int sw_dump_fill_regs(const struct sw_dump *d, struct sw_stop *s, char *why, size_t len)
{
	int n = sw_dump_prstatus(d, NULL, 0);
	struct sw_dump_regs *notes = calloc(n ? n : 1, sizeof(*notes));
	struct sw_cpuset *cpus = calloc(1, sizeof(*cpus));
	unsigned int nsave, nonline = 0;
	int ret = 0;

	if (len)
		why[0] = '\0';
	if (!notes || !cpus) {
		ret = -ENOMEM;
		goto out;
	}
	sw_dump_prstatus(d, notes, n);
	nsave = savers(s, cpus, true);
	if (!n)			/* no CPU's registers at all */
		sw_cpuset_clear(cpus);
	/* else the CPUs that stopped themselves saved nothing (cpus becomes them) */
	if (!n || (unsigned int)n == nsave || (unsigned int)n == savers(s, cpus, false)) {
		give(s, cpus, notes);
		goto out;
	}
	/* every CPU online saved (one the record did not see stop, too) */
	sw_cpuset_clear(cpus);
	for (unsigned int c = 0; c < s->nr_cpus; c++)
		if (!s->online_known || sw_cpuset_test(&s->online, c)) {
			sw_cpuset_set(cpus, c);
			nonline++;
		}
	if ((unsigned int)n == nonline) {
		give(s, cpus, notes);
		goto out;
	}
	snprintf(why, len, "the dump holds %d register sets for %u CPUs that stopped "
		 "(%u online): which CPU each belongs to cannot be told", n, nsave, nonline);
	ret = -ENOENT;
out:
	free(notes);
	free(cpus);
	return ret;
}
