// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel BTF, read by hand: one pass over the raw type section.
 *
 * Why not libbpf's btf__parse(): the plan only asks "does this FUNC or
 * typedef exist", and btf__parse() plus btf__find_by_name_kind() (a linear
 * scan per name) cost about 15 ms plus 1-4 ms per name on this machine.
 *
 * Why a CO-RE subset: libbpf 1.1 (Debian 12) parses vmlinux BTF again at
 * load for CO-RE, and holds two copies of it at its peak (the file read, and
 * the parsed copy): 12 MB of the loader's 13 MB. Given a small BTF through
 * btf_custom_path instead, it parses only that, and a load of raw_tp and
 * kprobe programs then needs no vmlinux BTF at all (fentry and tp_btf
 * programs still make libbpf read it, for their attach ids). The subset is
 * written with libbpf's own BTF writer (btf__add_*); only the walk over the
 * raw kernel BTF is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "kbtf.h"

#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif

const struct btf_type *sw_kbtf_type(const struct sw_kbtf *b, __u32 id)
{
	if (id == 0 || id >= b->nr_types)
		return NULL;
	return (const void *)(b->raw + b->hdr->hdr_len + b->hdr->type_off + b->type_off[id]);
}

unsigned int sw_kbtf_name_bucket(const char *name)
{
	return ((unsigned char)name[0] * 31u + (name[0] ? (unsigned char)name[1] : 0u)) &
	       (SW_KBTF_NAME_BUCKETS - 1);
}

const char *sw_kbtf_name(const struct sw_kbtf *b, __u32 off)
{
	return off < b->hdr->str_len ? b->strs + off : "";
}

static size_t type_size(const struct btf_type *t)
{
	__u16 vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: return sizeof(*t) + 4;
	case BTF_KIND_ARRAY: return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return sizeof(*t) + sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return sizeof(*t) + 4;
	case BTF_KIND_ENUM64: return sizeof(*t) + vlen * 12;
	default: return sizeof(*t); /* PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG */
	}
}

void sw_kbtf_free(struct sw_kbtf *b)
{
	if (b->mapped)
		munmap(b->raw, b->len);
	else
		free(b->raw);
	free(b->type_off);
	memset(b, 0, sizeof(*b));
}

#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif

/* Map @fd when it is a sized sysfs file that allows it (st filled in either way). */
static bool map_sysfs(struct sw_kbtf *b, int fd, struct stat *st)
{
	struct statfs fs;
	void *p;

	if (fstat(fd, st))
		st->st_size = 0;
	if (st->st_size <= 0 || fstatfs(fd, &fs) || fs.f_type != SYSFS_MAGIC)
		return false;
	p = mmap(NULL, st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return false;
	b->raw = p;
	b->len = st->st_size;
	b->mapped = true;
	return true;
}

/* Read @fd to EOF into b->raw (NULL when out of memory). */
static void read_all(struct sw_kbtf *b, int fd, off_t size)
{
	/* sysfs reports size 0 or the real size: read to EOF either way */
	size_t cap = size > 0 ? size : (8 << 20), off = 0;

	for (b->raw = malloc(cap); b->raw;) {
		ssize_t n = read(fd, b->raw + off, cap - off);

		if (n <= 0)
			break;
		off += n;
		if (off == cap) {
			char *p = realloc(b->raw, cap * 2);

			if (!p)
				break;
			b->raw = p;
			cap *= 2;
		}
	}
	b->len = off;
}

int sw_kbtf_load(struct sw_kbtf *b, const char *path, char *err, int errlen)
{
	struct stat st;
	int fd;

	memset(b, 0, sizeof(*b));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "no vmlinux BTF (%s: %s): kernel needs CONFIG_DEBUG_INFO_BTF",
			 path, strerror(errno));
		return -ENOENT;
	}
	/*
	 * Kernels since 6.16 let /sys/kernel/btf/vmlinux be mapped read-only:
	 * no 6 MB copy into freshly zeroed pages, which was half of start-up's
	 * BTF time. Only sysfs is mapped, which nobody can truncate under us.
	 */
	if (!map_sysfs(b, fd, &st))
		read_all(b, fd, st.st_size);
	close(fd);
	b->hdr = (const void *)b->raw;
	if (!b->raw || b->len < sizeof(*b->hdr) || b->hdr->magic != BTF_MAGIC ||
	    b->hdr->hdr_len < sizeof(*b->hdr) ||
	    (size_t)b->hdr->hdr_len + b->hdr->str_off + b->hdr->str_len > b->len ||
	    (size_t)b->hdr->type_off + b->hdr->type_len > b->hdr->str_off ||
	    /* type records are read in place: 4-byte aligned, as the kernel writes them */
	    (b->hdr->hdr_len + b->hdr->type_off) % 4 ||
	    /* names are read as C strings: the section must end in one */
	    !b->hdr->str_len || b->raw[b->hdr->hdr_len + b->hdr->str_off + b->hdr->str_len - 1]) {
		snprintf(err, errlen, "%s is not valid BTF", path);
		sw_kbtf_free(b);
		return -EINVAL;
	}
	b->strs = b->raw + b->hdr->hdr_len + b->hdr->str_off;
	/* one pass to index type offsets */
	size_t cnt = 1, tcap = 1 << 17, off;
	const char *types = b->raw + b->hdr->hdr_len + b->hdr->type_off;

	b->type_off = malloc(tcap * sizeof(__u32));
	for (off = 0; b->type_off && off + sizeof(struct btf_type) <= b->hdr->type_len; cnt++) {
		const struct btf_type *t = (const void *)(types + off);

		if (cnt == tcap) {
			__u32 *p = realloc(b->type_off, (tcap *= 2) * sizeof(__u32));

			if (!p) {
				free(b->type_off);
				b->type_off = NULL;
				break;
			}
			b->type_off = p;
		}
		b->type_off[cnt] = off;
		off += type_size(t);
	}
	if (!b->type_off || off != b->hdr->type_len) {
		snprintf(err, errlen, "%s: %s", path, b->type_off ? "type section is malformed" :
			 "out of memory");
		sw_kbtf_free(b);
		return b->type_off ? -EINVAL : -ENOMEM;
	}
	b->nr_types = cnt;
	return 0;
}

/* ---- the CO-RE subset ---- */

/* How much of a kernel type the subset keeps. */
enum keep {
	KEEP_NONE = 0,
	KEEP_FWD,	/* struct/union only pointed to: a forward declaration */
	KEEP_WEAK,	/* typedef or modifier only pointed to: what it names stays weak */
	KEEP_FULL,
};

struct subset {
	const struct sw_kbtf *b;
	__u8 *keep;		/* enum keep, per kernel type id */
	__u32 *todo;		/* ids whose references are still to walk */
	__u32 ntodo, cap;
	char **roots;		/* sorted essential names of the program's types */
	int nroots;
	__u64 root_pairs[SW_KBTF_NAME_BUCKETS / 64];	/* bit b: a root is in bucket b */
};


static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* CO-RE matches names without their "___flavor" suffix. */
static size_t essential_len(const char *name)
{
	const char *p = strstr(name, "___");

	return p ? (size_t)(p - name) : strlen(name);
}

/*
 * The bucket bit first: a bsearch of every named kernel type (about seven
 * strcmp each) was a tenth of start-up.
 */
static bool is_root(const struct subset *s, const char *name)
{
	unsigned int k = sw_kbtf_name_bucket(name);

	return name[0] && (s->root_pairs[k >> 6] >> (k & 63) & 1) &&
	       bsearch(&name, s->roots, s->nroots, sizeof(char *), cmp_str);
}

static int want(struct subset *s, __u32 id, bool strong)
{
	const struct btf_type *t = sw_kbtf_type(s->b, id);
	enum keep k;

	if (!t)
		return 0;	/* void, or out of range: the writer maps it to void */
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		/* an anonymous one cannot be declared forward */
		k = strong || !t->name_off ? KEEP_FULL : KEEP_FWD;
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		k = strong ? KEEP_FULL : KEEP_WEAK;
		break;
	default:
		k = KEEP_FULL;
	}
	if (s->keep[id] >= k)
		return 0;
	s->keep[id] = k;
	if (k == KEEP_FWD)
		return 0;
	if (s->ntodo == s->cap) {
		__u32 *p = realloc(s->todo, (s->cap = s->cap ? s->cap * 2 : 1024) * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->todo = p;
	}
	s->todo[s->ntodo++] = id;
	return 0;
}

/* What type @id refers to: contents strongly, pointees weakly. */
static int walk(struct subset *s, __u32 id)
{
	const struct btf_type *t = sw_kbtf_type(s->b, id);
	bool strong = s->keep[id] == KEEP_FULL;
	__u16 vlen = BTF_INFO_VLEN(t->info);
	int err = 0;

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
		return want(s, t->type, false);
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return want(s, t->type, strong);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		err = want(s, a->type, true);
		return err ?: want(s, a->index_type, true);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		for (__u16 i = 0; i < vlen && !err; i++)
			err = want(s, m[i].type, true);
		return err;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		err = want(s, t->type, strong);
		for (__u16 i = 0; i < vlen && !err; i++)
			err = want(s, p[i].type, strong);
		return err;
	}
	default:
		return 0;
	}
}

/* Kinds a CO-RE relocation can name (and so look up by name in the kernel). */
static bool named_by_core(unsigned int kind)
{
	switch (kind) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_FWD:
		return true;
	default:
		return false;
	}
}

static int collect_roots(struct subset *s, const struct btf *prog)
{
	__u32 n = btf__type_cnt(prog);

	s->roots = calloc(n, sizeof(char *));
	if (!s->roots)
		return -ENOMEM;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(prog, id);
		const char *name = btf__name_by_offset(prog, t->name_off);

		if (!named_by_core(BTF_INFO_KIND(t->info)) || !name || !name[0])
			continue;
		if (!(s->roots[s->nroots] = strndup(name, essential_len(name))))
			return -ENOMEM;
		s->nroots++;
	}
	qsort(s->roots, s->nroots, sizeof(char *), cmp_str);
	for (int i = 0; i < s->nroots; i++) {
		unsigned int k = sw_kbtf_name_bucket(s->roots[i]);

		s->root_pairs[k >> 6] |= 1ULL << (k & 63);
	}
	return 0;
}

/* Emit kernel type @id into @out, its references mapped through @nid. */
static int emit(struct btf *out, const struct subset *s, __u32 id, const __u32 *nid)
{
	const struct btf_type *t = sw_kbtf_type(s->b, id);
	const char *name = sw_kbtf_name(s->b, t->name_off);
	__u16 vlen = BTF_INFO_VLEN(t->info);
	bool kflag = BTF_INFO_KFLAG(t->info);
	int err = 0;

#define NID(x) ((x) < s->b->nr_types ? nid[x] : 0)
	if (s->keep[id] == KEEP_FWD)
		return btf__add_fwd(out, name, BTF_INFO_KIND(t->info) == BTF_KIND_UNION ?
				    BTF_FWD_UNION : BTF_FWD_STRUCT);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: {
		__u32 enc = *(const __u32 *)(t + 1);

		return btf__add_int(out, name, t->size, BTF_INT_ENCODING(enc));
	}
	case BTF_KIND_PTR:
		return btf__add_ptr(out, NID(t->type));
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		return btf__add_array(out, NID(a->index_type), NID(a->type), a->nelems);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		err = BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT ? btf__add_struct(out, name, t->size)
								 : btf__add_union(out, name, t->size);
		for (__u16 i = 0; i < vlen && err >= 0; i++)
			err = btf__add_field(out, sw_kbtf_name(s->b, m[i].name_off), NID(m[i].type),
					     kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset,
					     kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0);
		return err;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = (const void *)(t + 1);

		err = btf__add_enum(out, name, t->size);
		for (__u16 i = 0; i < vlen && err >= 0; i++)
			err = btf__add_enum_value(out, sw_kbtf_name(s->b, e[i].name_off), e[i].val);
		return err;
	}
	case BTF_KIND_ENUM64: {
		const __u32 *v = (const void *)(t + 1);	/* name_off, val_lo32, val_hi32 */

		err = btf__add_enum64(out, name, t->size, kflag);
		for (__u16 i = 0; i < vlen && err >= 0; i++, v += 3)
			err = btf__add_enum64_value(out, sw_kbtf_name(s->b, v[0]),
						    ((__u64)v[2] << 32) | v[1]);
		return err;
	}
	case BTF_KIND_FWD:
		return btf__add_fwd(out, name, kflag ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	case BTF_KIND_TYPEDEF:
		return btf__add_typedef(out, name, NID(t->type));
	case BTF_KIND_VOLATILE:
		return btf__add_volatile(out, NID(t->type));
	case BTF_KIND_CONST:
		return btf__add_const(out, NID(t->type));
	case BTF_KIND_RESTRICT:
		return btf__add_restrict(out, NID(t->type));
	case BTF_KIND_TYPE_TAG:
		return btf__add_type_tag(out, name, NID(t->type));
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		err = btf__add_func_proto(out, NID(t->type));
		for (__u16 i = 0; i < vlen && err >= 0; i++)
			err = btf__add_func_param(out, sw_kbtf_name(s->b, p[i].name_off),
						  NID(p[i].type));
		return err;
	}
	case BTF_KIND_FLOAT:
		return btf__add_float(out, name, t->size);
	default:
		/* FUNC, VAR, DATASEC, DECL_TAG: no type refers to them */
		return -EINVAL;
	}
#undef NID
}

int sw_kbtf_write_core_subset(const struct sw_kbtf *b, const struct btf *prog, int fd,
			      char *err, int errlen)
{
	struct subset s = { .b = b };
	struct btf *out = NULL;
	__u32 *nid = NULL, next = 1;
	const void *raw;
	__u32 raw_len;
	int ret;

	s.keep = calloc(b->nr_types, 1);
	nid = calloc(b->nr_types, sizeof(*nid));
	ret = s.keep && nid ? collect_roots(&s, prog) : -ENOMEM;
	/* every kernel type a program type is named after, then what it holds */
	for (__u32 id = 1; id < b->nr_types && !ret; id++) {
		const struct btf_type *t = sw_kbtf_type(b, id);

		if (named_by_core(BTF_INFO_KIND(t->info)) && is_root(&s, sw_kbtf_name(b, t->name_off)))
			ret = want(&s, id, true);
	}
	while (!ret && s.ntodo)
		ret = walk(&s, s.todo[--s.ntodo]);
	/* new ids in kernel order, so references can be written before their types */
	for (__u32 id = 1; id < b->nr_types && !ret; id++)
		if (s.keep[id])
			nid[id] = next++;
	if (!ret && !(out = btf__new_empty()))
		ret = -ENOMEM;
	for (__u32 id = 1; id < b->nr_types && !ret; id++)
		if (s.keep[id] && (ret = emit(out, &s, id, nid)) > 0)
			ret = 0;
	if (!ret) {
		raw = btf__raw_data(out, &raw_len);
		if (!raw)
			ret = -ENOMEM;
		else if (write(fd, raw, raw_len) != (ssize_t)raw_len)
			ret = -errno ?: -EIO;
	}
	if (ret)
		snprintf(err, errlen, "failed to write the CO-RE subset of kernel BTF: %s",
			 strerror(-ret));
	btf__free(out);
	for (int i = 0; i < s.nroots; i++)
		free(s.roots[i]);
	free(s.roots);
	free(s.todo);
	free(s.keep);
	free(nid);
	return ret;
}
