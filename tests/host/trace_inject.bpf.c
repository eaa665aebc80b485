// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Host test helper: writes one stop-record trace line per run with the BPF
 * side's own emitters (bpf/trace_lines.bpf.h), so a host whose kernel has no
 * kprobes or fentry (the stop path cannot be probed there) still puts real
 * bpf_trace_printk events in a trace instance. Run with `bpftool prog run`;
 * the "packet" is a struct sw_inject.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "stopwatch.h"
#include "trace_lines.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

enum { OP_BEGIN = 1, OP_KIND, OP_FIRE, OP_HANDLER, OP_IRQS, OP_END };

struct sw_inject {
	__u8 pad[16];		/* XDP test runs want an Ethernet header's worth */
	__u32 op, cpu, kind, rung, irqs, nr;
	__u64 seq, t;
	__u64 mask[4];		/* CPUs 0-255: the first words of a mask */
};

SEC("xdp")
int inject(struct xdp_md *ctx)
{
	struct sw_inject *in = (void *)(long)ctx->data;

	if ((void *)(in + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	switch (in->op) {
	case OP_BEGIN: sw_tl_begin(in->seq, in->kind, in->cpu, in->nr, in->t, in->mask, 4); break;
	case OP_KIND: sw_tl_kind(in->seq, in->kind); break;
	case OP_FIRE: sw_tl_fire(in->seq, in->rung, in->t, in->mask, 4); break;
	case OP_HANDLER: sw_tl_handler(in->cpu, in->rung, in->t, in->irqs, in->seq); break;
	case OP_IRQS: sw_tl_irqs(in->cpu, in->irqs, in->seq); break;
	case OP_END: sw_tl_end(in->seq, in->t); break;
	default: return XDP_ABORTED;
	}
	return XDP_PASS;
}
