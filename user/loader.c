// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#define XXH_INLINE_ALL	/* header-only: nothing to link, static or cross */
#include <xxhash.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "fileio.h"
#include "loader.h"
#include "record.h"
#include "wire.h"
#include "stopwatch.skel.h"

/* ---- libbpf messages: quiet unless -v, but remember the last load error ---- */

static char last_prog_error[64];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[512];
	const char *p;
	va_list copy;

	/* only a warning can name a program at fault: formatting the rest was 3% of start-up */
	if (level != LIBBPF_WARN && !env.verbose)
		return 0;
	/* keep a copy for the full message: verifier logs are long */
	va_copy(copy, args);
	vsnprintf(line, sizeof(line), fmt, args);
	/* "libbpf: prog 'NAME': failed to load..." names the program at fault */
	if (level == LIBBPF_WARN && (p = strstr(line, "prog '")) && strstr(line, "fail")) {
		const char *e = strchr(p + 6, '\'');

		if (e && e - (p + 6) < (long)sizeof(last_prog_error)) {
			memcpy(last_prog_error, p + 6, e - (p + 6));
			last_prog_error[e - (p + 6)] = '\0';
		}
	}
	if (!env.verbose) {
		va_end(copy);
		return 0;
	}
	int n = vfprintf(stderr, fmt, copy);

	va_end(copy);
	return n;
}

int sw_check_privileges(void)
{
	/* root, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_ADMIN for pagemap frames) */
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "stopwatch: must run as root (or with CAP_BPF and CAP_PERFMON)\n");
	return SW_EXIT_PERM;
}

__u64 sw_build_id(void)
{
	size_t sz;
	const void *elf = stopwatch_bpf__elf_bytes(&sz);

	/* XXH3, not a byte-at-a-time hash: 0.08 ms for the 700 KB object, not 0.9 of start-up */
	return XXH3_64bits(elf, sz);
}

/* ---- identity, clocks, frames ---- */

/* Text UUID to binary (sw_boot_id_text, in record.c, is the reverse). */
int sw_boot_id_parse(const char *text, __u8 id[16])
{
	int n = 0;

	memset(id, 0, 16);
	for (const char *p = text; *p && *p != '\n' && n < 32; p++) {
		int v;

		if (*p == '-')
			continue;
		if (sscanf(p, "%1x", &v) != 1)
			return -EINVAL;
		id[n / 2] |= v << (n % 2 ? 0 : 4);
		n++;
	}
	return n == 32 ? 0 : -EINVAL;
}

int sw_read_boot_id(__u8 id[16], char *text, int len)
{
	char buf[64];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	int err;

	memset(id, 0, 16);
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	err = sw_boot_id_parse(buf, id);
	if (text)
		sw_boot_id_text(id, text, len);
	return err;
}

void sw_store_refresh_online(struct sw_store_hdr *h)
{
	/* "0-8191" at most, but a sparse list of 8192 CPUs takes ~40 KB */
	static char buf[SW_MAX_CPUS * 5 + 2];
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	__u64 mask[SW_MASK_WORDS];
	__u32 n = h->nr_cpus <= SW_MAX_CPUS ? h->nr_cpus : SW_MAX_CPUS;

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && sw_mask_parse(buf, mask, n) == 0)
		memcpy(h + 1, mask, sw_mask_words(n) * sizeof(__u64));
	fclose(f);
}

static __u64 clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Physical frame of a mapped page, from /proc/self/pagemap (needs CAP_SYS_ADMIN). */
static int page_pfn(int pagemap, const void *addr, long page, __u64 *pfn)
{
	__u64 ent;
	off_t off = ((unsigned long)addr / page) * sizeof(ent);

	if (pread(pagemap, &ent, sizeof(ent), off) != sizeof(ent))
		return -EIO;
	if (!(ent & (1ULL << 63)) || !(ent & ((1ULL << 55) - 1)))
		return -ENOENT; /* not present, or frames hidden from us */
	*pfn = ent & ((1ULL << 55) - 1);
	return 0;
}

int sw_store_init(struct sw_store_hdr *h, size_t sz, int nr_cpus, char *err, int len)
{
	long page = sysconf(_SC_PAGESIZE);
	int pagemap;

	memset(h, 0, offsetof(struct sw_store_hdr, next_seq));
	h->magic = SW_STORE_MAGIC;
	h->layout = SW_LAYOUT_VERSION;
	h->size = sz;
	sw_read_boot_id(h->boot_id, NULL, 0);
	h->build_id = sw_build_id();
	h->armed_mono_ns = clock_ns(CLOCK_MONOTONIC);
	h->armed_real_ns = clock_ns(CLOCK_REALTIME);
	h->page_size = page;
	h->nr_pages = (sz + page - 1) / page;
	h->nr_cpus = nr_cpus;
	h->nr_slots = SW_STOP_SLOTS;
	snprintf((char *)h->version, sizeof(h->version), "%s", STOPWATCH_VERSION);
	sw_store_refresh_online(h);
	if (h->nr_pages > SW_MAX_PAGES) {
		snprintf(err, len, "record store needs %u pages, header lists %d", h->nr_pages,
			 SW_MAX_PAGES);
		return -E2BIG;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	for (unsigned int i = 0; pagemap >= 0 && i < h->nr_pages; i++) {
		volatile const char *p = (const char *)h + i * page;

		(void)*p; /* fault the page in */
		if (page_pfn(pagemap, (const char *)h + i * page, page, &h->pfn[i])) {
			h->pfn[i] = 0;
			break;
		}
	}
	if (pagemap >= 0)
		close(pagemap);
	h->hdr_csum = crc32(0, (const void *)h, offsetof(struct sw_store_hdr, hdr_csum));
	return 0;
}

int sw_store_check(const void *store, size_t size, char *err, int len)
{
	struct sw_store_view v;
	char ver[sizeof(v.hdr.version) + 1];
	size_t i;
	int ret = sw_store_view_open(&v, store, size, err, len);

	if (ret == -EINVAL)
		return SW_EXIT_DATA;
	/* pins are this build's or stale: a damaged store is re-armed too */
	if (ret)
		return SW_EXIT_STALE;
	/* the version is the store's bytes: keep the one-line error printable */
	for (i = 0; i < sizeof(v.hdr.version) && v.hdr.version[i]; i++)
		ver[i] = isprint(v.hdr.version[i]) ? v.hdr.version[i] : '?';
	ver[i] = '\0';
	if (v.g.layout != SW_LAYOUT_VERSION) {
		snprintf(err, len, "record store of layout %u from stopwatch %s; this is layout %u",
			 v.g.layout, ver, SW_LAYOUT_VERSION);
		return SW_EXIT_STALE;
	}
	if (v.hdr.build_id != sw_build_id()) {
		snprintf(err, len, "pinned by another stopwatch build (%s)", ver);
		return SW_EXIT_STALE;
	}
	return 0;
}

/* ---- load and attach ---- */

static struct bpf_program *prog_by_name(struct stopwatch_bpf *skel, const char *name)
{
	return name ? bpf_object__find_program_by_name(skel->obj, name) : NULL;
}

static const struct sw_variant *kprobe_variant(const struct sw_point *pt, int from)
{
	for (int v = from + 1; v < SW_MAX_VARIANTS && pt->v[v].prog; v++)
		if (pt->v[v].method == SW_KPROBE || pt->v[v].method == SW_KRETPROBE)
			return &pt->v[v];
	return NULL;
}

/*
 * Event rings. Each CPU needs little: events are rare (stop begin and end,
 * SDEI deliveries) and live drains every 100 ms. What must stay bounded is
 * the total on a host with hundreds of CPUs, or with 64 KiB pages: a ring
 * costs its data pages plus 3 pages of the kernel's own (header, consumer
 * and producer positions). So the rings share a budget: one per CPU
 * while each can have a data page, the data a power of two (the kernel's
 * rule) between a page and SW_RING_MAX (the one shared ring's size before
 * rings were per CPU); past that CPUs share rings, with retries (emit()).
 * live's budget is SW_RING_BUDGET. arm's rings are pinned and nobody
 * drains them (live loads its own), so they get SW_RING_BUDGET_ARMED: the
 * same rings on a small host, and pinned memory that stays bounded on a big
 * one.
 */
#ifndef ENOTSUPP
#define ENOTSUPP		524	/* the kernel's own, not in libc's errno.h */
#endif
#define SW_RING_MAX		(64u << 10)
#define SW_RING_META_PAGES	3

void sw_event_rings(int nr_cpus, long page, __u32 budget, int *rings, __u32 *size)
{
	long n = nr_cpus < 1 ? 1 : nr_cpus;
	long most = budget / ((1 + SW_RING_META_PAGES) * page);
	long share, sz = page;

	if (most > SW_MAX_RINGS)
		most = SW_MAX_RINGS;
	if (n > most)
		n = most > 0 ? most : 1;
	share = (long)budget / n - SW_RING_META_PAGES * page;
	while (sz * 2 <= share && sz * 2 <= (long)SW_RING_MAX)
		sz *= 2;
	*rings = n;
	*size = sz;
}

/*
 * "events" and its rings are made here, not by libbpf, for speed: every
 * write to a map of maps from user space waits out an RCU grace period (the
 * kernel's maybe_wait_bpf_programs()), 10-17 ms each on this machine kind.
 * So the rings go in with one batched write, on a thread of its own that
 * runs while the main one reads BTF and loads the programs; rings_ready()
 * joins it before anything is attached.
 */
static void *fill_rings(void *arg)
{
	struct sw_loaded *L = arg;
	__u32 keys[SW_MAX_RINGS], count = L->nr_rings;

	for (int i = 0; i < L->nr_rings; i++)
		keys[i] = i;
	L->rings_err = 0;
	if (!bpf_map_update_batch(L->events_fd, keys, L->ring_fds, &count, NULL))
		return NULL;
	if (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP) {
		L->rings_err = -errno;
		return NULL;
	}
	/* a kernel without batched writes to this map type: one at a time */
	for (int i = 0; i < L->nr_rings; i++)
		if (bpf_map_update_elem(L->events_fd, &keys[i], &L->ring_fds[i], BPF_ANY)) {
			L->rings_err = -errno;
			break;
		}
	return NULL;
}

static int rings_start(struct sw_loaded *L)
{
	LIBBPF_OPTS(bpf_map_create_opts, outer);
	char name[24];	/* the kernel keeps 15 characters: "sw_events_255" fits */
	int err;

	for (int i = 0; i < L->nr_rings; i++) {
		snprintf(name, sizeof(name), "sw_events_%d", i);
		L->ring_fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, L->ring_size, NULL);
		if (L->ring_fds[i] < 0)
			return -errno;
	}
	outer.inner_map_fd = L->ring_fds[0];
	L->events_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "events", sizeof(__u32),
				      sizeof(__u32), L->nr_rings, &outer);
	if (L->events_fd < 0)
		return -errno;
	err = pthread_create(&L->rings_filler, NULL, fill_rings, L);
	if (err)
		return -err;
	L->rings_filling = true;
	return 0;
}

/*
 * STOPWATCH_RING_BYTES (tests only): smaller event rings, a power of two of
 * at least a page, so that a lab scenario can fill them and see the drops
 * counted on the CPU that lost its event (arm64 scenario 8).
 */
static void shrink_rings_for_test(struct sw_loaded *L)
{
	const char *s = getenv("STOPWATCH_RING_BYTES");
	unsigned long want = s ? strtoul(s, NULL, 0) : 0;

	if (want >= (unsigned long)sysconf(_SC_PAGESIZE) && !(want & (want - 1)) &&
	    want < L->ring_size)
		L->ring_size = want;
}

/* Wait for the rings to be in "events"; 0 or -errno of the write. */
static int rings_ready(struct sw_loaded *L)
{
	if (L->rings_filling) {
		pthread_join(L->rings_filler, NULL);
		L->rings_filling = false;
	}
	return L->rings_err;
}

int sw_size_cpus(int possible)
{
	const char *s = getenv("STOPWATCH_SIZE_CPUS");
	int n = possible > 0 ? possible : 1;

	if (s && atoi(s) > n)
		n = atoi(s);
	return n < SW_MAX_CPUS ? n : SW_MAX_CPUS;
}

/*
 * Size the maps, and the rodata that bounds the BPF side's loops, for
 * @nr_cpus CPUs: the store (layout in stopwatch.h), the pending sends, and
 * histogram values with only the slots a latency can reach.
 */
static void size_maps(struct stopwatch_bpf *skel, __u32 nr_cpus, bool loglinear)
{
	__u32 slots = sw_hist_slots_for(loglinear, skel->rodata->max_pending_ns);

	skel->rodata->nr_cpus = nr_cpus;
	skel->rodata->hist_loglinear = loglinear;
	skel->rodata->hist_slots = slots;
	bpf_map__set_value_size(skel->maps.sw_store, sw_store_size(nr_cpus));
	bpf_map__set_max_entries(skel->maps.pending, nr_cpus * SW_PENDING_KINDS);
	bpf_map__set_value_size(skel->maps.hists, sw_hist_wire_size(slots));
}

static void configure(struct stopwatch_bpf *skel, struct sw_plan *plan, const struct env *e,
		      const struct sw_kernel *k, int nr_cpus, int nr_rings)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; i < plan->n; i++) {
		struct sw_choice *c = &plan->c[i];
		const struct sw_variant *v;

		if (c->status != SW_ST_PLANNED)
			continue;
		v = &c->pt->v[c->variant];
		p = prog_by_name(skel, v->prog);
		if (!p)
			continue;
		bpf_program__set_autoload(p, true);
		if (v->method == SW_FENTRY || v->method == SW_FEXIT)
			bpf_program__set_attach_target(p, 0, c->target);
		if (c->kprobe_fallback && (v = kprobe_variant(c->pt, c->variant)))
			bpf_program__set_autoload(prog_by_name(skel, v->prog), true);
	}
	size_maps(skel, nr_cpus, e->loglinear);
	skel->rodata->pseudo_nmi = k->pseudo_nmi;
	skel->rodata->trace_lines = e->trace_lines;
	skel->rodata->nr_rings = nr_rings;
	skel->rodata->sample_every = e->sample_every > 1 ? e->sample_every : 1;
	bpf_map__set_max_entries(skel->maps.events, nr_rings);
}

/* A load failed in @prog: move its point to its next form, or drop the point. */
static bool demote(struct sw_plan *plan, const char *prog, const struct sw_kernel *k)
{
	for (int i = 0; i < plan->n; i++) {
		struct sw_choice *c = &plan->c[i];
		const struct sw_variant *fb;

		if (c->status != SW_ST_PLANNED)
			continue;
		fb = c->kprobe_fallback ? kprobe_variant(c->pt, c->variant) : NULL;
		if (strcmp(sw_choice_prog(c), prog) && !(fb && !strcmp(fb->prog, prog)))
			continue;
		if (fb && strcmp(fb->prog, prog)) {
			c->variant = fb - c->pt->v;
			c->target = fb->targets[0];
			c->kprobe_fallback = false;
		} else {
			c->status = SW_ST_FAILED;
			snprintf(c->why, sizeof(c->why), "%s %s did not load on this kernel",
				 sw_method_name(c->pt->v[c->variant].method), c->target);
			c->variant = -1;
		}
		return true;
	}
	(void)k;
	return false;
}

static struct bpf_link *attach_variant(struct bpf_program *p, const struct sw_variant *v,
				       const char *target)
{
	if (v->method == SW_KPROBE || v->method == SW_KRETPROBE)
		return bpf_program__attach_kprobe(p, v->method == SW_KRETPROBE, target);
	return bpf_program__attach(p);
}

/*
 * Attach kprobe form @v under each of its candidate names but @tried, until
 * one takes: names differ between kernels, and kallsyms is not scanned.
 */
static struct bpf_link *attach_kprobe_candidates(struct sw_loaded *L, struct sw_choice *c,
						 const struct sw_variant *v, const char *tried,
						 int *err)
{
	struct bpf_link *link = NULL;

	for (int t = 0; t < SW_MAX_TARGETS && v->targets[t] && *err; t++) {
		if (v->targets[t] == tried)
			continue;
		link = attach_variant(prog_by_name(L->skel, v->prog), v, v->targets[t]);
		*err = libbpf_get_error(link);
		if (!*err) {
			c->variant = v - c->pt->v;
			c->target = v->targets[t];
		}
	}
	return link;
}

static void attach_all(struct sw_loaded *L)
{
	for (int i = 0; i < L->plan.n; i++) {
		struct sw_choice *c = &L->plan.c[i];
		const struct sw_variant *v;
		struct bpf_link *link;
		int err;

		if (c->status != SW_ST_PLANNED)
			continue;
		v = &c->pt->v[c->variant];
		link = attach_variant(prog_by_name(L->skel, v->prog), v, c->target);
		err = libbpf_get_error(link);
		if (err && c->kprobe_fallback && (v = kprobe_variant(c->pt, c->variant)))
			/* the BTF form refused: every candidate name as a kprobe */
			link = attach_kprobe_candidates(L, c, v, NULL, &err);
		else if (err && (v->method == SW_KPROBE || v->method == SW_KRETPROBE))
			link = attach_kprobe_candidates(L, c, v, c->target, &err);
		if (err) {
			c->status = v->method == SW_KPROBE || v->method == SW_KRETPROBE ?
					    SW_ST_UNAVAILABLE : SW_ST_FAILED;
			if (err == -ENOENT || err == -EINVAL)
				sw_choice_why_absent(c);
			else
				snprintf(c->why, sizeof(c->why), "attach %s failed: %s",
					 c->target, strerror(-err));
			continue;
		}
		L->links[i] = link;
		c->status = SW_ST_ATTACHED;
		L->attached++;
	}
}

/*
 * Open the BPF object. The first call (the kernel BTF is still held) also
 * writes the CO-RE subset of it the object needs (kbtf.c: why), then drops
 * the kernel BTF; later calls reuse the subset. Without one (no BTF, or
 * STOPWATCH_CORE_BTF=full) libbpf reads vmlinux BTF itself.
 */
static struct stopwatch_bpf *open_object(struct sw_loaded *L, const struct env *e)
{
	const struct sw_kbtf *kbtf = sw_kernel_btf(&L->kernel);
	const char *mode = getenv("STOPWATCH_CORE_BTF");
	struct stopwatch_bpf *skel;
	char path[64], err[256];

	if (kbtf && !(mode && !strcmp(mode, "full")))
		L->core_btf_fd = memfd_create("stopwatch-core-btf", MFD_CLOEXEC);
	if (L->core_btf_fd < 0) {
		sw_kernel_release_btf(&L->kernel);
		return stopwatch_bpf__open();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", L->core_btf_fd);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = path);
	skel = stopwatch_bpf__open_opts(&opts);
	if (skel && kbtf && sw_kbtf_write_core_subset(kbtf, bpf_object__btf(skel->obj),
						      L->core_btf_fd, err, sizeof(err))) {
		if (e->verbose)
			fprintf(stderr, "stopwatch: %s; libbpf reads vmlinux BTF itself\n", err);
		stopwatch_bpf__destroy(skel);
		close(L->core_btf_fd);
		L->core_btf_fd = -1;
		skel = stopwatch_bpf__open();
	}
	sw_kernel_release_btf(&L->kernel);
	return skel;
}

static double now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1e6;
}

int sw_load(struct sw_loaded *L, const struct env *e, unsigned int groups)
{
	double t0 = now_ms(), t_plan, t_load;
	char err[256];
	int ret;

	memset(L, 0, sizeof(*L));
	L->core_btf_fd = -1;
	L->events_fd = -1;
	for (int i = 0; i < SW_MAX_RINGS; i++)
		L->ring_fds[i] = -1;
	libbpf_set_print(libbpf_print);
	L->nr_cpus = libbpf_num_possible_cpus();
	if (L->nr_cpus <= 0)
		L->nr_cpus = 1;
	L->size_cpus = sw_size_cpus(L->nr_cpus);
	if (L->nr_cpus > SW_MAX_CPUS)
		fprintf(stderr, "stopwatch: %d CPUs; CPUs from %d on are not recorded\n",
			L->nr_cpus, SW_MAX_CPUS);
	sw_event_rings(L->size_cpus, sysconf(_SC_PAGESIZE),
		       groups & SW_GROUP_STOP ? SW_RING_BUDGET_ARMED : SW_RING_BUDGET,
		       &L->nr_rings, &L->ring_size);
	shrink_rings_for_test(L);
	ret = rings_start(L);
	if (ret) {
		fprintf(stderr, "stopwatch: failed to create the event rings: %s\n", strerror(-ret));
		return ret == -EPERM ? SW_EXIT_PERM : SW_EXIT_FAIL;
	}
	sw_kernel_open(&L->kernel, err, sizeof(err));
	if (!L->kernel.btf && !L->kernel.kprobes) {
		fprintf(stderr, "stopwatch: %s\n", err);
		return SW_EXIT_KERNEL;
	}
	if (!L->kernel.btf && e->verbose)
		fprintf(stderr, "stopwatch: %s; using kprobes only\n", err);
	sw_plan_make(&L->plan, &L->kernel, groups);
	t_plan = now_ms();
	for (int tries = 0;; tries++) {
		L->skel = open_object(L, e);
		if (!L->skel) {
			fprintf(stderr, "stopwatch: failed to open BPF object: %s\n", strerror(errno));
			return SW_EXIT_FAIL;
		}
		configure(L->skel, &L->plan, e, &L->kernel, L->size_cpus, L->nr_rings);
		if (bpf_map__reuse_fd(L->skel->maps.events, L->events_fd)) {
			fprintf(stderr, "stopwatch: failed to use the event rings: %s\n", strerror(errno));
			return SW_EXIT_FAIL;
		}
		last_prog_error[0] = '\0';
		ret = stopwatch_bpf__load(L->skel);
		if (!ret)
			break;
		stopwatch_bpf__destroy(L->skel);
		L->skel = NULL;
		/* one form of one point did not load here: plan around it and retry */
		if ((ret == -EPERM || ret == -EACCES) && !last_prog_error[0]) {
			fprintf(stderr, "stopwatch: failed to load BPF programs: %s "
				"(need root, or CAP_BPF and CAP_PERFMON)\n", strerror(-ret));
			return SW_EXIT_PERM;
		}
		if (tries > 8 || !last_prog_error[0] || !demote(&L->plan, last_prog_error, &L->kernel)) {
			fprintf(stderr, "stopwatch: failed to load BPF programs: %s%s%s\n",
				strerror(-ret), last_prog_error[0] ? " in " : "", last_prog_error);
			return SW_EXIT_KERNEL;
		}
	}
	L->store_size = sw_store_size(L->size_cpus);
	L->store = mmap(NULL, L->store_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(L->skel->maps.sw_store), 0);
	if (L->store == MAP_FAILED) {
		L->store = NULL;
		fprintf(stderr, "stopwatch: failed to map the record store: %s\n", strerror(errno));
		return SW_EXIT_FAIL;
	}
	if (sw_store_init(L->store, L->store_size, L->size_cpus, err, sizeof(err))) {
		fprintf(stderr, "stopwatch: %s\n", err);
		return SW_EXIT_FAIL;
	}
	if (e->loglinear)
		L->store->flags |= SW_STORE_F_LOGLINEAR;
	ret = rings_ready(L);
	if (ret) {
		fprintf(stderr, "stopwatch: failed to create the event rings: %s\n", strerror(-ret));
		return SW_EXIT_FAIL;
	}
	if (e->verbose)
		fprintf(stderr, "stopwatch: %d event rings of %u KiB for %d CPUs\n"
			"stopwatch: sized for %d CPUs: record store %zu KiB\n", L->nr_rings,
			L->ring_size >> 10, L->size_cpus, L->size_cpus, L->store_size >> 10);
	t_load = now_ms();
	attach_all(L);
	if (e->verbose)
		fprintf(stderr, "stopwatch: BTF and plan %.1f ms, load %.1f ms, attach %.1f ms\n",
			t_plan - t0, t_load - t_plan, now_ms() - t_load);
	if (!L->attached) {
		fprintf(stderr, "stopwatch: failed to attach: no attach point works on this kernel "
			"(see 'stopwatch probes')\n");
		return SW_EXIT_KERNEL;
	}
	return SW_EXIT_OK;
}

void sw_unload(struct sw_loaded *L)
{
	for (int i = 0; i < SW_MAX_POINTS; i++)
		bpf_link__destroy(L->links[i]);
	if (L->store)
		munmap(L->store, L->store_size);
	rings_ready(L);
	for (int i = 0; i < L->nr_rings; i++)
		if (L->ring_fds[i] >= 0)
			close(L->ring_fds[i]);
	if (L->events_fd >= 0)
		close(L->events_fd);
	stopwatch_bpf__destroy(L->skel);
	sw_kernel_close(&L->kernel);
	if (L->core_btf_fd >= 0)
		close(L->core_btf_fd);
	memset(L, 0, sizeof(*L));
	L->core_btf_fd = -1;
	L->events_fd = -1;
}

/* ---- pins ---- */

static int pin_path(char *buf, size_t len, const struct env *e, const char *sub, const char *name)
{
	int n = snprintf(buf, len, "%s%s%s/%s", e->pin_dir, sub[0] ? "/" : "", sub, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sw_pin(struct sw_loaded *L, const struct env *e)
{
	char path[512];
	struct bpf_map *m;
	int err;

	/* root only: the pins are the stop path's programs and its records */
	if ((err = sw_make_dir(e->pin_dir, 0700)))
		goto fail_err;
	pin_path(path, sizeof(path), e, "", "links");
	if ((err = sw_make_dir(path, 0700)))
		goto fail_err;
	bpf_object__for_each_map(m, L->skel->obj) {
		const char *name = bpf_map__name(m);

		if (strchr(name, '.'))
			continue; /* .rodata: internal */
		pin_path(path, sizeof(path), e, "", name);
		err = bpf_map__pin(m, path);
		if (err) {
			fprintf(stderr, "stopwatch: failed to pin %s: %s\n", path, strerror(-err));
			return SW_EXIT_FAIL;
		}
	}
	for (int i = 0; i < L->plan.n; i++) {
		if (!L->links[i])
			continue;
		pin_path(path, sizeof(path), e, "links", sw_choice_prog(&L->plan.c[i]));
		err = bpf_link__pin(L->links[i], path);
		if (err) {
			fprintf(stderr, "stopwatch: failed to pin %s: %s\n", path, strerror(-err));
			return SW_EXIT_FAIL;
		}
	}
	return SW_EXIT_OK;
fail_err:
	fprintf(stderr, "stopwatch: failed to create %s: %s%s\n", e->pin_dir, strerror(-err),
		err == -ENOENT ? " (is bpffs mounted at /sys/fs/bpf?)" : "");
	return SW_EXIT_FAIL;
}

/* The pin dir holds pinned objects and the links dir, nothing else. */
static void unlink_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	char path[512];

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) && errno == EISDIR)
			unlink_dir(path);
	}
	closedir(dp);
	rmdir(dir);
}

int sw_unpin(const struct env *e, bool quiet)
{
	struct stat st;

	if (stat(e->pin_dir, &st)) {
		if (!quiet)
			fprintf(stderr, "stopwatch: not armed (%s does not exist)\n", e->pin_dir);
		return SW_EXIT_FAIL;
	}
	unlink_dir(e->pin_dir);
	if (stat(e->pin_dir, &st) == 0) {
		fprintf(stderr, "stopwatch: failed to remove %s\n", e->pin_dir);
		return SW_EXIT_FAIL;
	}
	return SW_EXIT_OK;
}

int sw_open_pinned_store(const struct env *e, int *fd, struct sw_store **store, char *err, int len)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	char path[512];
	void *p;
	int ret;

	*store = NULL;
	pin_path(path, sizeof(path), e, "", "sw_store");
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		snprintf(err, len, "not armed: %s: %s", path, strerror(errno));
		return errno == EPERM || errno == EACCES ? SW_EXIT_PERM : SW_EXIT_FAIL;
	}
	if (bpf_obj_get_info_by_fd(*fd, &info, &info_len) || info.max_entries != 1 ||
	    info.value_size < sizeof(__u64) * 2 || !(info.map_flags & BPF_F_MMAPABLE)) {
		snprintf(err, len, "%s is not a stopwatch record store (value size %u): pinned by "
			 "another program", path, info.value_size);
		ret = SW_EXIT_STALE;
		goto fail;
	}
	p = mmap(NULL, info.value_size, PROT_READ, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, len, "failed to map %s: %s", path, strerror(errno));
		ret = SW_EXIT_FAIL;
		goto fail;
	}
	ret = sw_store_check(p, info.value_size, err, len);
	if (!ret) {
		*store = malloc(sizeof(**store));
		if (*store)
			sw_store_decode(p, info.value_size, *store, err, len);
		else
			ret = SW_EXIT_FAIL;
		if (ret)
			snprintf(err, len, "out of memory");
	}
	munmap(p, info.value_size);
	if (!ret)
		return 0;
fail:
	close(*fd);
	*fd = -1;
	return ret;
}

/* ---- reading maps ---- */

/* A per-CPU histogram as the BPF side keeps it (stopwatch.h) into a struct sw_hist. */
static void hist_from_wire(struct sw_hist *h, const struct sw_hist_wire *w, __u32 slots)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->slots, w->slots, slots * sizeof(__u64));
	h->count = w->count;
	h->sum_ns = w->sum_ns;
	h->max_ns = w->max_ns;
}

int sw_read_hists(int fd, int nr_cpus, struct sw_hist *total, struct sw_hist *percpu)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), slots;
	unsigned char *vals;
	size_t stride;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return -errno;
	if (info.value_size < sw_hist_wire_size(1) || info.value_size > sizeof(struct sw_hist_wire))
		return -EINVAL;
	slots = (info.value_size - sw_hist_wire_size(0)) / sizeof(__u64);
	stride = (info.value_size + 7) & ~7u;	/* per-CPU values come 8-byte aligned */
	vals = calloc(nr_cpus, stride);
	if (!vals)
		return -ENOMEM;
	memset(total, 0, SW_HIST_KEYS * sizeof(*total));
	for (__u32 key = 0; key < SW_HIST_KEYS; key++) {
		__u32 stream = key / SW_HIST_KINDS, kind = key % SW_HIST_KINDS;
		__u32 wkey = sw_hist_wire_key(stream, kind);

		if (stream == SW_STREAM_SDEI && kind >= SW_SDEI_KINDS)
			continue;	/* no such histogram */
		if (bpf_map_lookup_elem(fd, &wkey, vals))
			continue;
		for (int c = 0; c < nr_cpus; c++) {
			struct sw_hist h;

			hist_from_wire(&h, (const void *)(vals + c * stride), slots);
			sw_hist_merge(&total[key], &h);
			if (percpu)
				percpu[c * SW_HIST_KEYS + key] = h;
		}
	}
	free(vals);
	return 0;
}

int sw_read_counters(int fd, int nr_cpus, __u64 out[SW_COUNTERS], __u64 *percpu)
{
	__u64 *vals = calloc(nr_cpus, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	for (__u32 key = 0; key < SW_COUNTER_SLOTS; key++) {
		/* the BPF-only slots are parts of a reported counter */
		__u32 to = key == SW_CNT_IPI_SENT_MASK ? SW_CNT_IPI_SENT
			 : key == SW_CNT_IPI_UNSAMPLED_IRQ ? SW_CNT_IPI_UNSAMPLED : key;

		if (key < SW_COUNTERS)
			out[to] = 0;
		if (bpf_map_lookup_elem(fd, &key, vals))
			memset(vals, 0, nr_cpus * sizeof(*vals));
		for (int c = 0; c < nr_cpus; c++) {
			__u64 *p = percpu ? &percpu[c * SW_COUNTERS + to] : NULL;

			out[to] += vals[c];
			if (p)
				*p = (key < SW_COUNTERS ? 0 : *p) + vals[c];
		}
	}
	free(vals);
	return 0;
}

/*
 * The verifier's own statistics line of a load at log level 4
 * ("processed N insns (limit L) max_states_per_insn M total_states T ..."),
 * as " (N insns, T states)", or "" when the log has none.
 */
static void verifier_stats(const char *log, char *out, size_t len)
{
	const char *p = strstr(log, "processed ");
	unsigned int insns, max_per, total;

	out[0] = '\0';
	if (p && sscanf(p, "processed %u insns (limit %*u) max_states_per_insn %u total_states %u",
			&insns, &max_per, &total) == 3)
		snprintf(out, len, " (%u insns, %u states)", insns, total);
}

/*
 * Load every program of the object on its own, so each form this kernel
 * accepts goes through the verifier (the plan loads only one form per
 * point), the maps and loops sized as for this host (STOPWATCH_SIZE_CPUS:
 * for a bigger one). Prints each verdict with the verifier's instruction
 * and state counts. Returns the number that failed verification.
 */
int sw_verify_programs(FILE *out, int *verified, int *skipped)
{
	static char vlog[16384];	/* log level 4: the statistics lines only */
	char stats[96];
	struct stopwatch_bpf *probe = stopwatch_bpf__open();
	struct sw_kernel k;
	struct bpf_program *p;
	char err[256];
	int failed = 0, n = 0, nr_cpus = libbpf_num_possible_cpus();

	*verified = *skipped = 0;
	libbpf_set_print(libbpf_print);
	if (!probe)
		return -errno;
	sw_kernel_open(&k, err, sizeof(err));
	bpf_object__for_each_program(p, probe->obj)
		n++;
	for (int i = 0; i < n; i++) {
		struct stopwatch_bpf *skel = stopwatch_bpf__open();
		struct bpf_program *target = NULL;
		enum bpf_attach_type at;
		const char *name, *verdict;
		int j = 0, ret;

		if (!skel)
			return -errno;
		bpf_object__for_each_program(p, skel->obj) {
			bpf_program__set_autoload(p, j == i);
			if (j++ == i)
				target = p;
		}
		size_maps(skel, sw_size_cpus(nr_cpus), false);
		/* with the trace lines: the larger program, a superset of the other */
		skel->rodata->trace_lines = true;
		name = bpf_program__name(target);
		at = bpf_program__expected_attach_type(target);
		vlog[0] = '\0';
		bpf_program__set_log_buf(target, vlog, sizeof(vlog));
		bpf_program__set_log_level(target, 4);
		last_prog_error[0] = '\0';
		ret = stopwatch_bpf__load(skel);
		verifier_stats(vlog, stats, sizeof(stats));
		if (!ret) {
			verdict = "verified";
			(*verified)++;
		} else if ((at == BPF_TRACE_FENTRY || at == BPF_TRACE_FEXIT) && !k.fentry) {
			verdict = "skipped: kernel refuses fentry programs";
			(*skipped)++;
		} else if (ret == -ESRCH || ret == -ENOENT) {
			verdict = "skipped: no such function or tracepoint on this kernel";
			(*skipped)++;
		} else {
			verdict = "FAILED verification";
			failed++;
		}
		fprintf(out, "%-44s %s%s%s%s\n", name, verdict, ret && !strstr(verdict, "skipped") ? ": " : "",
			ret && !strstr(verdict, "skipped") ? strerror(-ret) : "", stats);
		stopwatch_bpf__destroy(skel);
	}
	stopwatch_bpf__destroy(probe);
	sw_kernel_close(&k);
	return failed;
}
