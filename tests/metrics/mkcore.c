// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two boots' worth of exact stop records, as kdump cores (the unit tests'
 * core builder, so the real format) for the metrics stack test: each boot's
 * core is read with `recover --vmcore --state-dir`, as recover-boot does.
 * The ack latencies and escalation delays are the figures run.sh expects
 * back from Prometheus (it keeps its own copy of them, not ours).
 *
 * The worst case of the series budget: every kind and outcome a stop can
 * have (sw_stop_outcome gives a self stop only "clean": 21 pairs), and on
 * ARCH every rung a stop can escalate to and be acked by (x86_64: ipi, nmi;
 * arm64 with pseudo-NMI and the SDEI series: ipi, nmi, sdei), 8 records a
 * core, cores 0, 1 and 2 (worst-case-boot-0 ...).
 *
 *   mkcore OUT 1|2
 *   mkcore OUT worst x86_64|arm64 0|1|2
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

/* CPU @c ran its stop handler at @t, by @rung (a later rung: interrupts were masked) */
static void acked(struct sw_stop_record *r, int c, __u64 t, unsigned int rung)
{
	r->cpu[c].t_handler = t;
	r->cpu[c].rung = rung;
	r->cpu[c].irqs = rung == SW_RUNG_IPI ? SW_IRQS_ENABLED : SW_IRQS_MASKED;
}

enum outcome { CLEAN, ESCALATED, FAILED, INCOMPLETE, NOOP, OUTCOMES };

/*
 * A stop of CPUs 1-3 from CPU 0 whose verdict is @out: every CPU acks the
 * IPI (clean); CPU 2 needs the NMI and, with @sdei, CPU 3 the SDEI rung
 * 10 ms after the NMI (escalated); CPU 3 never stops (failed, or
 * incomplete while the stop still runs); or nothing to stop (noop: the
 * initiator is the only CPU online).
 */
static void worst_stop(struct sw_stop_record *r, __u64 seq, int kind, enum outcome out, bool sdei)
{
	__u64 t0 = seq * 10 * S, fire_ipi = t0 + US, fire_nmi = fire_ipi + S;
	__u64 fire_sdei = fire_nmi + 10 * 1000 * US;

	r->seq = seq;
	r->kind = kind;
	r->state = out == INCOMPLETE ? SW_REC_RUNNING : SW_REC_DONE;
	r->nr_cpus = 4;
	r->t_start = t0;
	r->t_end = out == INCOMPLETE ? 0 : t0 + 3 * S;
	if (out == NOOP) {
		r->online[0] = 0x1;
		return;
	}
	r->online[0] = 0xf;
	r->t_fire[SW_RUNG_IPI - 1] = fire_ipi;
	r->target[SW_RUNG_IPI - 1][0] = 0xe;
	for (int c = 1; c < 4; c++)
		acked(r, c, fire_ipi + c * 7 * US, SW_RUNG_IPI);
	if (out == FAILED || out == INCOMPLETE)
		r->cpu[3] = (struct sw_cpu_stop){ 0 };
	if (out != ESCALATED)
		return;
	r->t_fire[SW_RUNG_NMI - 1] = fire_nmi;
	r->target[SW_RUNG_NMI - 1][0] = sdei ? 0xc : 0x4;
	acked(r, 2, fire_nmi + 20 * US, SW_RUNG_NMI);
	if (!sdei)
		return;
	r->t_fire[SW_RUNG_SDEI - 1] = fire_sdei;
	r->target[SW_RUNG_SDEI - 1][0] = 0x8;
	acked(r, 3, fire_sdei + 60 * US, SW_RUNG_SDEI);
}

/* Worst-case core @part: records 8 * part .. of the 21 (kind, outcome) pairs */
static int worst(struct sw_store *st, const char *arch, const char *part)
{
	static const int kinds[] = { SW_KIND_UNKNOWN, SW_KIND_STOP, SW_KIND_PANIC, SW_KIND_CRASH };
	bool sdei = !strcmp(arch, "arm64");
	int p = atoi(part), n = 0, slot = 0;

	if ((!sdei && strcmp(arch, "x86_64")) || p < 0 || p > 2)
		return -1;
	for (int k = 0; k <= 4; k++)
		for (int o = 0; o < OUTCOMES; o++) {
			/* a self stop is always clean (sw_stop_outcome) */
			if (k == 4 && o != CLEAN)
				continue;
			if (n++ / SW_STOP_SLOTS != p)
				continue;
			worst_stop(&st->rec[slot], slot + 1, k < 4 ? kinds[k] : SW_KIND_SELF, o, sdei);
			slot++;
		}
	st->hdr.next_seq = slot;	/* the last seq handed out */
	memcpy(st->hdr.boot_id, "worst-case-boot", 15);
	st->hdr.boot_id[15] = '0' + p;
	return 0;
}

int main(int argc, char **argv)
{
	static struct sw_store st;
	struct sw_store_hdr *h = &st.hdr;
	bool worst_case = argc == 5 && !strcmp(argv[2], "worst");

	if (!worst_case && (argc != 3 || (strcmp(argv[2], "1") && strcmp(argv[2], "2")))) {
		fprintf(stderr, "usage: mkcore OUT 1|2\n       mkcore OUT worst x86_64|arm64 0|1|2\n");
		return 2;
	}
	core_store_init(&st, 4096, frames, sizeof(frames) / sizeof(frames[0]));
	core_store_set_cpus(&st, 4);
	h->armed_mono_ns = 5 * S;
	h->armed_real_ns = 1764500000ULL * S;
	st.online[0] = 0xf;
	h->next_seq = 2;
	snprintf((char *)h->version, sizeof(h->version), "metrics-test");
	if (worst_case) {
		if (worst(&st, argv[3], argv[4])) {
			fprintf(stderr, "mkcore: worst x86_64|arm64 0|1|2\n");
			return 2;
		}
	} else if (argv[2][0] == '1') {
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
