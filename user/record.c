// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The wire record's masks and the names of live-stream kinds. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "record.h"

static const char *const ipi_kind_names[SW_IPI_KINDS] = {
	[SW_IPI_RESCHED] = "resched", [SW_IPI_CALL_FUNC] = "call_function",
	[SW_IPI_CALL_FUNC_SINGLE] = "call_function_single", [SW_IPI_CPU_STOP] = "cpu_stop",
	[SW_IPI_CPU_STOP_NMI] = "cpu_stop_nmi", [SW_IPI_TIMER] = "timer",
	[SW_IPI_IRQ_WORK] = "irq_work", [SW_IPI_BACKTRACE] = "backtrace",
	[SW_IPI_KGDB] = "kgdb", [SW_IPI_WAKEUP] = "wakeup", [SW_IPI_OTHER] = "other",
};

static const char *const sdei_kind_names[SW_SDEI_KINDS] = {
	[SW_SDEI_BACKTRACE] = "backtrace", [SW_SDEI_STOP] = "stop", [SW_SDEI_OTHER] = "other",
};

const char *sw_ipi_kind_name(unsigned int kind)
{
	return kind < SW_IPI_KINDS ? ipi_kind_names[kind] : "invalid";
}

const char *sw_sdei_kind_name(unsigned int kind)
{
	return kind < SW_SDEI_KINDS ? sdei_kind_names[kind] : "invalid";
}

void sw_mask_set(__u64 *mask, unsigned int cpu)
{
	if (cpu < SW_MAX_CPUS)
		mask[cpu / 64] |= 1ULL << (cpu % 64);
}

bool sw_mask_test(const __u64 *mask, unsigned int cpu)
{
	return cpu < SW_MAX_CPUS && (mask[cpu / 64] >> (cpu % 64)) & 1;
}

_Static_assert(SW_MASK_WORDS == SW_CPUSET_WORDS, "a wire mask and a CPU set have the same words");

/* The grammar of sw_cpuset_parse, the one cpulist parser */
int sw_mask_parse(const char *list, __u64 *mask, unsigned int nbits)
{
	struct sw_cpuset s;

	memset(mask, 0, SW_MASK_WORDS * sizeof(__u64));
	if (nbits > SW_MAX_CPUS)
		nbits = SW_MAX_CPUS;
	if (sw_cpuset_parse(list, &s) || sw_cpuset_last(&s) >= (int)nbits)
		return -EINVAL;
	memcpy(mask, s.w, SW_MASK_WORDS * sizeof(__u64));
	return 0;
}
