// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The record store as a source (store.h): metadata and the one ring walk. */
#include <errno.h>
#include <stdio.h>
#include "store.h"

void sw_boot_id_text(const __u8 id[16], char *text, int len)
{
	snprintf(text, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10],
		 id[11], id[12], id[13], id[14], id[15]);
}

void sw_store_meta(const struct sw_store *st, struct sw_record_meta *m)
{
	sw_boot_id_text(st->hdr.boot_id, m->boot_id, sizeof(m->boot_id));
	/* unknown (0) when torn clocks would overflow it */
	if (__builtin_sub_overflow((__s64)st->hdr.armed_real_ns, (__s64)st->hdr.armed_mono_ns,
				   &m->mono_to_real_ns))
		m->mono_to_real_ns = 0;
}

bool sw_store_say_counts(const struct sw_store *st, const char *what, FILE *f)
{
	if (!st->hdr.drops && !st->hdr.orphans)
		return false;
	fprintf(f, "stopwatch: %s: the store dropped %llu records (no free slot, or a CPU past "
		"its size) and saw %llu stop handlers run with no stop open\n", what,
		(unsigned long long)st->hdr.drops, (unsigned long long)st->hdr.orphans);
	return true;
}

int sw_store_walk(const struct sw_store *st, const struct sw_record_meta *m,
		  sw_stop_fn fn, void *ctx)
{
	__u64 last = st->hdr.next_seq;
	__u64 left = last < SW_STOP_SLOTS ? last : SW_STOP_SLOTS;
	int n = 0;

	for (__u64 seq = last - left + 1; left; left--, seq++) {
		const struct sw_stop_record *w = &st->rec[(seq - 1) % SW_STOP_SLOTS];
		struct sw_stop *s;
		int ret;

		if (w->seq != seq)
			continue; /* overwritten, or being reset when read */
		s = sw_stop_from_wire(m, w);
		if (!s)
			return -ENOMEM;
		ret = fn(ctx, s);
		sw_stop_free(s);
		if (ret < 0)
			return ret;
		n++;
	}
	return n;
}
