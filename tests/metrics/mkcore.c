// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two boots' worth of exact stop records, as kdump cores (the unit tests'
 * core builder, so the real format) for the metrics stack test: each boot's
 * core is read with `recover --vmcore --state-dir`, as recover-boot does.
 * The ack latencies and escalation delays are the figures run.sh expects
 * back from Prometheus (it keeps its own copy of them, not ours).
 *
 *   mkcore OUT 1|2
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/core_builder.h"

static const struct core_layout x86 = {
	.machine = EM_X86_64, .page = 4096, .nseg = 1, .seg_base = { 16 }, .seg_pages = { 12 },
};
static const __u64 frames[] = { 16, 17, 18, 19, 20, 21, 22, 23, 24 };

#define US 1000ULL
#define S 1000000000ULL

/*
 * A stop of CPUs 1-3 from CPU 0: the IPI at +1 us; ack_us[c] is CPU c's
 * ack after its rung fired (0: never stopped). CPUs in @nmi_mask got the
 * NMI @nmi_after after the IPI instead.
 */
static void stop(struct sw_stop_record *r, __u64 seq, int kind, __u64 t0, const __u64 ack_us[4],
		 unsigned int nmi_mask, __u64 nmi_after)
{
	__u64 fire_ipi = t0 + US, fire_nmi = fire_ipi + nmi_after;

	r->seq = seq;
	r->kind = kind;
	r->state = SW_REC_DONE;
	r->nr_cpus = 4;
	r->t_start = t0;
	r->online[0] = 0xf;
	r->t_fire[SW_RUNG_IPI - 1] = fire_ipi;
	r->target[SW_RUNG_IPI - 1][0] = 0xe;
	if (nmi_mask) {
		r->t_fire[SW_RUNG_NMI - 1] = fire_nmi;
		r->target[SW_RUNG_NMI - 1][0] = nmi_mask;
	}
	r->t_end = t0 + (nmi_mask ? nmi_after : 0) + 200 * US;
	for (int c = 1; c < 4; c++) {
		bool by_nmi = nmi_mask & (1u << c);

		if (!ack_us[c])
			continue;
		r->cpu[c].rung = by_nmi ? SW_RUNG_NMI : SW_RUNG_IPI;
		r->cpu[c].t_handler = (by_nmi ? fire_nmi : fire_ipi) + ack_us[c] * US;
		r->cpu[c].irqs = by_nmi ? SW_IRQS_MASKED : SW_IRQS_ENABLED;
	}
}

int main(int argc, char **argv)
{
	static struct sw_store st;
	struct sw_store_hdr *h = &st.hdr;

	if (argc != 3 || (strcmp(argv[2], "1") && strcmp(argv[2], "2"))) {
		fprintf(stderr, "usage: mkcore OUT 1|2\n");
		return 2;
	}
	core_store_init(&st, 4096, frames, sizeof(frames) / sizeof(frames[0]));
	core_store_set_cpus(&st, 4);
	h->armed_mono_ns = 5 * S;
	h->armed_real_ns = 1764500000ULL * S;
	st.online[0] = 0xf;
	h->next_seq = 2;
	snprintf((char *)h->version, sizeof(h->version), "metrics-test");
	if (argv[2][0] == '1') {
		/* boot 1: a clean stop; a stop whose CPU 2 needed the NMI after 1 s */
		memcpy(h->boot_id, "metrics-boot-one", 16);
		stop(&st.rec[0], 1, SW_KIND_STOP, 10 * S, (const __u64[]){ 0, 5, 12, 40 }, 0, 0);
		stop(&st.rec[1], 2, SW_KIND_STOP, 20 * S, (const __u64[]){ 0, 8, 30, 20 }, 0x4, S);
	} else {
		/* boot 2: a panic whose CPU 2 never stopped, even by NMI; a clean crash stop */
		memcpy(h->boot_id, "metrics-boot-two", 16);
		stop(&st.rec[0], 1, SW_KIND_PANIC, 10 * S, (const __u64[]){ 0, 6, 0, 100 }, 0x4, S);
		stop(&st.rec[1], 2, SW_KIND_CRASH, 20 * S, (const __u64[]){ 0, 3, 9, 15 }, 0, 0);
	}
	core_store_csum(&st);
	if (core_write(argv[1], &x86, &st, -1)) {
		fprintf(stderr, "mkcore: failed to write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
