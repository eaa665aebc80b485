// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The record store's layouts, read in one place (store.h). Everything read
 * is checked before use: the bytes come from a core file or a map that a
 * dying kernel wrote, so a reader must get an error, never a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "wire.h"

/*
 * Layout 1: the previous release's store, one struct for 256 CPUs. Layout 2
 * is the same bytes with a CPU's irqs cut to 16 bits and its end in the
 * other 16 (zero in a layout-1 store, so one reader serves both).
 */
#define V1_CPUS		256
#define V1_WORDS	(V1_CPUS / 64)
#define V1_PAGES	16

struct v1_hdr {
	__u64 magic;
	__u32 layout;
	__u32 size;
	__u8 boot_id[16];
	__u64 build_id;
	__u64 armed_mono_ns;
	__u64 armed_real_ns;
	__u32 page_size;
	__u32 nr_pages;
	__u64 pfn[V1_PAGES];
	__u32 hdr_csum;
	__u32 nr_cpus;
	__u64 next_seq;
	__u32 active;
	__u32 panic_cpu;
	__u64 online[V1_WORDS];
	__u64 drops;
	__u64 orphans;
	__u32 flags;
	__u32 pad;
	__u8 version[32];
};

struct v1_rec {
	struct sw_rec_head head;
	__u64 target[SW_FIRE_RUNGS][V1_WORDS];
	__u64 online[V1_WORDS];
	struct sw_cpu_stop cpu[V1_CPUS];
};

#define V1_SIZE		(sizeof(struct v1_hdr) + SW_STOP_SLOTS * sizeof(struct v1_rec))

_Static_assert(sizeof(struct sw_rec_head) == offsetof(struct v1_rec, target),
	       "layouts 1 and 2 share the record head");
_Static_assert(V1_SIZE == 34608, "layout 1 as the previous release wrote it");

static bool page_size_ok(__u32 ps)
{
	return ps >= 4096 && ps <= 65536 && !(ps & (ps - 1));
}

static int check_pages(const struct sw_store_geom *g, __u32 max_pages, char *err, size_t errlen)
{
	if (!page_size_ok(g->page_size) || g->nr_pages > max_pages ||
	    g->nr_pages != (g->size + (__u64)g->page_size - 1) / g->page_size) {
		snprintf(err, errlen, "record store header is inconsistent (page size %u, %u pages)",
			 g->page_size, g->nr_pages);
		return -EBADMSG;
	}
	return 0;
}

static int geom_v1(const struct v1_hdr *h, size_t len, struct sw_store_geom *g,
		   char *err, size_t errlen)
{
	if (len < sizeof(*h) || h->size != V1_SIZE) {
		snprintf(err, errlen, "record store of layout %u with %u bytes, not %zu: corrupt",
			 h->layout, h->size, V1_SIZE);
		return -EBADMSG;
	}
	if (crc32(0, (const void *)h, offsetof(struct v1_hdr, hdr_csum)) != h->hdr_csum) {
		snprintf(err, errlen, "record store header checksum mismatch (corrupt)");
		return -EBADMSG;
	}
	*g = (struct sw_store_geom){ .layout = h->layout, .size = h->size, .page_size = h->page_size,
				     .nr_pages = h->nr_pages, .nr_cpus = V1_CPUS,
				     .hdr_len = sizeof(*h), .pfn = h->pfn,
				     .csum_len = offsetof(struct v1_hdr, hdr_csum) };
	return check_pages(g, V1_PAGES, err, errlen);
}

static int geom_sized(const struct sw_store_hdr *h, size_t len, struct sw_store_geom *g,
		   char *err, size_t errlen)
{
	if (len < sizeof(*h)) {
		snprintf(err, errlen, "record store header cut short (%zu of %zu bytes)", len,
			 sizeof(*h));
		return -EBADMSG;
	}
	/* the checksum first: nr_cpus, which the sizes follow from, is under it */
	if (crc32(0, (const void *)h, offsetof(struct sw_store_hdr, hdr_csum)) != h->hdr_csum) {
		snprintf(err, errlen, "record store header checksum mismatch (corrupt)");
		return -EBADMSG;
	}
	if (!h->nr_cpus || h->nr_cpus > SW_MAX_CPUS || h->nr_slots != SW_STOP_SLOTS ||
	    h->size != sw_store_size(h->nr_cpus)) {
		snprintf(err, errlen, "record store header is inconsistent (%u CPUs, %u slots, "
			 "%u bytes)", h->nr_cpus, h->nr_slots, h->size);
		return -EBADMSG;
	}
	*g = (struct sw_store_geom){ .layout = SW_LAYOUT_VERSION, .size = h->size, .page_size = h->page_size,
				     .nr_pages = h->nr_pages, .nr_cpus = h->nr_cpus,
				     .hdr_len = sizeof(*h), .pfn = h->pfn,
				     .csum_len = offsetof(struct sw_store_hdr, hdr_csum) };
	return check_pages(g, SW_MAX_PAGES, err, errlen);
}

int sw_store_geom(const void *hdr, size_t len, struct sw_store_geom *g, char *err, size_t errlen)
{
	const struct sw_store_hdr *h = hdr;

	memset(g, 0, sizeof(*g));
	/* magic, layout and size are at the same offsets in every layout */
	if (len < offsetof(struct sw_store_hdr, boot_id) || h->magic != SW_STORE_MAGIC) {
		snprintf(err, errlen, "not a stopwatch record store (bad magic)");
		return -EINVAL;
	}
	if (h->layout == 1 || h->layout == 2)
		return geom_v1(hdr, len, g, err, errlen);
	if (h->layout == SW_LAYOUT_VERSION)
		return geom_sized(hdr, len, g, err, errlen);
	snprintf(err, errlen, "record store of layout %u, which this stopwatch (layouts 1 to %d) "
		 "does not read", h->layout, SW_LAYOUT_VERSION);
	return -EPROTO;
}

/* Layout 1's header in layout 2's form (the online mask stays in the view). */
static void hdr_from_v1(const struct v1_hdr *o, struct sw_store_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = o->magic;
	h->layout = o->layout;
	h->size = o->size;
	memcpy(h->boot_id, o->boot_id, sizeof(h->boot_id));
	h->build_id = o->build_id;
	h->armed_mono_ns = o->armed_mono_ns;
	h->armed_real_ns = o->armed_real_ns;
	h->page_size = o->page_size;
	h->nr_pages = o->nr_pages;
	h->nr_cpus = V1_CPUS;
	h->nr_slots = SW_STOP_SLOTS;
	memcpy(h->pfn, o->pfn, sizeof(o->pfn));
	h->hdr_csum = o->hdr_csum;
	h->next_seq = o->next_seq;
	h->active = o->active;
	h->panic_cpu = o->panic_cpu;
	h->drops = o->drops;
	h->orphans = o->orphans;
	h->flags = o->flags;
	memcpy(h->version, o->version, sizeof(h->version));
}

int sw_store_view_open(struct sw_store_view *v, const void *buf, size_t len,
		       char *err, size_t errlen)
{
	int ret = sw_store_geom(buf, len, &v->g, err, errlen);

	if (ret)
		return ret;
	if (len < v->g.size) {
		snprintf(err, errlen, "record store cut short (%zu of %u bytes)", len, v->g.size);
		return -EBADMSG;
	}
	v->base = buf;
	v->words = sw_mask_words(v->g.nr_cpus);
	if (v->g.layout < SW_LAYOUT_VERSION) {
		const struct v1_hdr *o = buf;

		hdr_from_v1(o, &v->hdr);
		v->online = o->online;
		v->recs_off = sizeof(struct v1_hdr);
		v->rec_size = sizeof(struct v1_rec);
		v->online_off = offsetof(struct v1_rec, online);
		v->target_off = offsetof(struct v1_rec, target);
		v->cpu_off = offsetof(struct v1_rec, cpu);
		return 0;
	}
	memcpy(&v->hdr, buf, sizeof(v->hdr));
	v->online = (const __u64 *)(v->base + sizeof(struct sw_store_hdr));
	v->recs_off = sw_store_recs_off(v->g.nr_cpus);
	v->rec_size = sw_rec_size(v->g.nr_cpus);
	v->online_off = sw_rec_online_off(v->g.nr_cpus);
	v->target_off = sw_rec_target_off(v->g.nr_cpus, 0);
	v->cpu_off = sw_rec_cpu_off(v->g.nr_cpus);
	return 0;
}

const struct sw_rec_head *sw_store_view_rec(const struct sw_store_view *v, unsigned int slot)
{
	return (const void *)(v->base + v->recs_off + (slot % SW_STOP_SLOTS) * v->rec_size);
}

const __u64 *sw_store_view_online(const struct sw_store_view *v, const struct sw_rec_head *r)
{
	return (const void *)((const unsigned char *)r + v->online_off);
}

const __u64 *sw_store_view_target(const struct sw_store_view *v, const struct sw_rec_head *r,
				  unsigned int i)
{
	return (const void *)((const unsigned char *)r + v->target_off +
			      (i % SW_FIRE_RUNGS) * v->words * sizeof(__u64));
}

const struct sw_cpu_stop *sw_store_view_cpu(const struct sw_store_view *v,
					    const struct sw_rec_head *r, unsigned int cpu)
{
	return (const void *)((const unsigned char *)r + v->cpu_off +
			      (cpu % v->g.nr_cpus) * sizeof(struct sw_cpu_stop));
}

void sw_store_view_decode(const struct sw_store_view *v, struct sw_store *out)
{
	memset(out, 0, sizeof(*out));
	out->hdr = v->hdr;
	memcpy(out->online, v->online, v->words * sizeof(__u64));
	for (unsigned int s = 0; s < SW_STOP_SLOTS; s++) {
		const struct sw_rec_head *h = sw_store_view_rec(v, s);
		struct sw_stop_record *r = &out->rec[s];

		memcpy(r, h, sizeof(*h));
		memcpy(r->online, sw_store_view_online(v, h), v->words * sizeof(__u64));
		for (unsigned int i = 0; i < SW_FIRE_RUNGS; i++)
			memcpy(r->target[i], sw_store_view_target(v, h, i), v->words * sizeof(__u64));
		memcpy(r->cpu, sw_store_view_cpu(v, h, 0), v->g.nr_cpus * sizeof(struct sw_cpu_stop));
	}
}

int sw_store_decode(const void *buf, size_t len, struct sw_store *out, char *err, size_t errlen)
{
	struct sw_store_view v;
	int ret = sw_store_view_open(&v, buf, len, err, errlen);

	if (!ret)
		sw_store_view_decode(&v, out);
	return ret;
}

