// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The series' shape from BTF names and signatures (shape.h says what each shape is). */
#include <stdio.h>
#include <string.h>
#include <linux/btf.h>
#include "kbtf.h"
#include "shape.h"

/*
 * What each shape has, function by function: its canonical signature, or
 * NULL where the shape does not have the function. Return types count:
 * sdei_nmi_stop_cpus() is void in v3/v4 and bool in the park shape.
 */
static const struct {
	const char *fn;
	const char *v4;
	const char *park;
} expected[] = {
	{ "sdei_nmi_active", "bool (void)", NULL },
	{ "sdei_nmi_stop_cpus", "void (struct cpumask *)", "bool (struct cpumask *)" },
	{ "arm64_nmi_cpu_stop", "void (struct pt_regs *, bool)", "void (struct pt_regs *)" },
	{ "arm64_nmi_cpu_stop_pending", NULL, "bool (void)" },
	{ "sdei_nmi_parked_cpu_die", NULL, "void (void)" },
};
#define NR_EXPECTED (sizeof(expected) / sizeof(expected[0]))

const char *sw_shape_desc(enum sw_shape s)
{
	switch (s) {
	case SW_SHAPE_STOCK: return "no SDEI NMI series: no SDEI rung";
	case SW_SHAPE_V4: return "SDEI NMI series v3/v4: an SDEI-stopped CPU parks inside its "
				 "uncompleted event";
	case SW_SHAPE_PARK: return "SDEI NMI series, park shape: an SDEI-stopped CPU completes its "
				   "event into a park pad, and is powered off on a crash stop";
	case SW_SHAPE_UNKNOWN: return "SDEI NMI series of a shape stopwatch does not know";
	case SW_SHAPE_NONE: break;
	}
	return "not told (no BTF)";
}

const char *sw_shape_fn(unsigned int i)
{
	return i < NR_EXPECTED ? expected[i].fn : NULL;
}

const char *sw_shape_name(enum sw_shape s)
{
	switch (s) {
	case SW_SHAPE_STOCK: return "stock";
	case SW_SHAPE_V4: return "v4";
	case SW_SHAPE_PARK: return "park";
	case SW_SHAPE_UNKNOWN: return "unknown";
	case SW_SHAPE_NONE: break;
	}
	return "-";
}

static bool fits(const char *want, bool have, const char *sig)
{
	return want ? have && !strcmp(want, sig) : !have;
}

static void add_why(struct sw_shape_info *out, const char *fn, bool have, const char *sig,
		    const char *shape, const char *want)
{
	if (out->nr_why == SW_SHAPE_MAX_WHY)
		return;
	snprintf(out->why[out->nr_why++], sizeof(out->why[0]), "%.40s: %s%.90s, but %s %s%.90s",
		 fn, have ? "is " : "absent", have ? sig : "", shape,
		 want ? "has " : "lacks it", want ? want : "");
}

void sw_shape_detect(struct sw_shape_info *out, sw_sig_fn sig_of, void *ctx)
{
	char sig[NR_EXPECTED][128];
	bool have[NR_EXPECTED], any = false;
	int v4 = 0, park = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < NR_EXPECTED; i++) {
		have[i] = sig_of(ctx, expected[i].fn, sig[i], sizeof(sig[i]));
		if (!have[i])
			sig[i][0] = '\0';
		any |= have[i];
		v4 += fits(expected[i].v4, have[i], sig[i]);
		park += fits(expected[i].park, have[i], sig[i]);
	}
	if (!any)
		out->shape = SW_SHAPE_STOCK;
	else if (v4 == NR_EXPECTED)
		out->shape = SW_SHAPE_V4;
	else if (park == NR_EXPECTED)
		out->shape = SW_SHAPE_PARK;
	else
		out->shape = SW_SHAPE_UNKNOWN;
	if (out->shape != SW_SHAPE_UNKNOWN)
		return;
	/* say how it differs from the shape it is closest to */
	bool near_park = park > v4;

	for (unsigned int i = 0; i < NR_EXPECTED; i++) {
		const char *want = near_park ? expected[i].park : expected[i].v4;

		if (!fits(want, have[i], sig[i]))
			add_why(out, expected[i].fn, have[i], sig[i], near_park ? "park" : "v3/v4", want);
	}
}

bool sw_sig_params(const char *sig, char *params, int len)
{
	const char *open = strchr(sig, '('), *close = strrchr(sig, ')');

	if (!open || !close || close < open)
		return false;
	snprintf(params, len, "%.*s", (int)(close - open - 1), open + 1);
	return true;
}

/* ---- canonical type names from raw BTF ---- */

static void cat(char *buf, int len, const char *s)
{
	size_t n = strlen(buf);

	if ((int)n < len - 1)
		snprintf(buf + n, len - n, "%s", s);
}

/* typedefs and qualifiers are dropped: "const cpumask_t *" is "struct cpumask *" */
static void type_name(const struct sw_kbtf *b, __u32 id, char *buf, int len, int depth)
{
	const struct btf_type *t = id ? sw_kbtf_type(b, id) : NULL;
	const char *name;

	if (!id) {
		cat(buf, len, "void");
		return;
	}
	if (!t || depth > 16) {	/* out of range, or a loop in malformed BTF */
		cat(buf, len, "?");
		return;
	}
	name = sw_kbtf_name(b, t->name_off);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		type_name(b, t->type, buf, len, depth + 1);
		return;
	case BTF_KIND_PTR:
		type_name(b, t->type, buf, len, depth + 1);
		cat(buf, len, " *");
		return;
	case BTF_KIND_INT:
		cat(buf, len, !strcmp(name, "_Bool") ? "bool" : name);
		return;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FWD:
		cat(buf, len, BTF_INFO_KIND(t->info) == BTF_KIND_UNION ||
			      (BTF_INFO_KIND(t->info) == BTF_KIND_FWD && BTF_INFO_KFLAG(t->info))
			      ? "union " : "struct ");
		cat(buf, len, name);
		return;
	case BTF_KIND_ENUM:
		cat(buf, len, "enum ");
		cat(buf, len, name);
		return;
	case BTF_KIND_FUNC_PROTO:
		cat(buf, len, "function");
		return;
	default:
		cat(buf, len, name[0] ? name : "?");
	}
}

bool sw_kbtf_func_sig(const struct sw_kbtf *b, unsigned int id, char *sig, int len)
{
	const struct btf_type *f = sw_kbtf_type(b, id), *p;
	const struct btf_param *params;
	__u16 vlen;

	sig[0] = '\0';
	if (!f || BTF_INFO_KIND(f->info) != BTF_KIND_FUNC)
		return false;
	p = sw_kbtf_type(b, f->type);
	if (!p || BTF_INFO_KIND(p->info) != BTF_KIND_FUNC_PROTO)
		return false;
	type_name(b, p->type, sig, len, 0);
	cat(sig, len, " (");
	vlen = BTF_INFO_VLEN(p->info);
	params = (const void *)(p + 1);
	for (__u16 i = 0; i < vlen; i++) {
		if (i)
			cat(sig, len, ", ");
		if (params[i].type == 0)
			cat(sig, len, "...");
		else
			type_name(b, params[i].type, sig, len, 0);
	}
	cat(sig, len, vlen ? ")" : "void)");
	return true;
}
