// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stopwatch probes: every attach point on this kernel, and the rungs it can see. */
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "env.h"
#include "json.h"
#include "loader.h"
#include "record.h"

error_t argp_err_exit_status = SW_EXIT_USAGE;
const char *argp_program_bug_address = NULL;

int sw_argp_parse(const struct argp *argp, int argc, char **argv)
{
	return argp_parse(argp, argc, argv, 0, NULL, NULL) ? SW_EXIT_USAGE : 0;
}

static bool dry_run, verify;

static const char probes_doc[] =
	"List every attach point stopwatch knows for this architecture: the method\n"
	"chosen (fentry, kprobe, tp_btf, tracepoint), its status after a real attach,\n"
	"and why a point is unavailable. Then which rungs of the stop ladder can be\n"
	"observed on this kernel.\n"
	"\n"
	"EXAMPLES:\n"
	"    stopwatch probes            # plan, load and attach, then detach\n"
	"    stopwatch probes --plan     # only the plan from BTF, nothing loaded\n"
	"    stopwatch probes --verify   # every program form through the verifier\n"
	"    stopwatch probes --format json\n";

static const struct argp_option probes_options[] = {
	{ "plan", 'n', NULL, 0, "Show the plan only: load and attach nothing" },
	{ "verify", 'V', NULL, 0, "Load every program form alone through the verifier" },
	{},
};

static error_t probes_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'n':
		dry_run = true;
		break;
	case 'V':
		verify = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const unsigned int plan_rungs[] = { SW_RUNG_IPI, SW_RUNG_NMI, SW_RUNG_SDEI };

static void print_plan_json(const struct sw_plan *plan, const struct sw_kernel *k)
{
	sw_json *o = sw_json_obj(), *points = sw_json_arr(), *whys = sw_json_arr(), *rungs = sw_json_obj();
	char why[256];

	sw_json_set_str(o, "schema", "stopwatch.probes/1");
	sw_json_set_str(o, "arch", k->arch == SW_ARCH_ARM64 ? "arm64" : "x86_64");
	sw_json_set_bool(o, "btf", k->btf);
	sw_json_set_bool(o, "kprobes", k->kprobes);
	sw_json_set_bool(o, "fentry", k->fentry);
	for (int i = 0; i < plan->n; i++) {
		const struct sw_choice *c = &plan->c[i];
		sw_json *p = sw_json_obj();

		sw_json_set_str(p, "point", c->pt->name);
		sw_json_set_str(p, "method", c->variant >= 0 ? sw_method_name(c->pt->v[c->variant].method) : "");
		sw_json_set_str(p, "target", c->target && c->variant >= 0 ? c->target : "");
		sw_json_set_str(p, "status", sw_status_name(c->status));
		sw_json_set_str(p, "why", c->why);
		sw_json_push(points, p);
	}
	sw_json_set(o, "points", points);
	sw_json_set_str(o, "series_shape", sw_shape_name(k->shape.shape));
	for (int i = 0; i < k->shape.nr_why; i++)
		sw_json_push(whys, sw_json_str(k->shape.why[i]));
	sw_json_set(o, "shape_why", whys);
	for (unsigned int i = 0; i < 3; i++) {
		sw_json *r = sw_json_obj();

		sw_json_set_bool(r, "available", sw_plan_rung_available(plan, k, plan_rungs[i], why,
									 sizeof(why)));
		sw_json_set_str(r, "why", why);
		sw_json_set(rungs, sw_rung_name(plan_rungs[i]), r);
	}
	sw_json_set(o, "rungs", rungs);
	sw_json_print(stdout, o);
}

static void print_plan(const struct sw_plan *plan, const struct sw_kernel *k)
{
	char why[256];

	if (env.format == SW_FMT_JSON) {
		print_plan_json(plan, k);
		return;
	}
	printf("%-30s %-10s %-34s %s\n", "POINT", "METHOD", "TARGET", "STATUS");
	for (int i = 0; i < plan->n; i++) {
		const struct sw_choice *c = &plan->c[i];

		printf("%-30s %-10s %-34s %s%s%s\n", c->pt->name,
		       c->variant >= 0 ? sw_method_name(c->pt->v[c->variant].method) : "-",
		       c->variant >= 0 && c->target ? c->target : "-", sw_status_name(c->status),
		       c->why[0] ? ": " : "", c->why);
	}
	printf("\nrungs on this kernel (%s, BTF %s, fentry %s, kprobes %s):\n",
	       k->arch == SW_ARCH_ARM64 ? "arm64" : "x86_64", k->btf ? "yes" : "no",
	       k->fentry ? "yes" : "no", k->kprobes ? "yes" : "no");
	printf("  series shape: %s (%s)\n", sw_shape_name(k->shape.shape),
	       sw_shape_desc(k->shape.shape));
	for (int i = 0; i < k->shape.nr_why; i++)
		printf("    %s\n", k->shape.why[i]);
	for (unsigned int i = 0; i < 3; i++) {
		bool ok = sw_plan_rung_available(plan, k, plan_rungs[i], why, sizeof(why));

		printf("  %-5s %s%s%s\n", sw_rung_name(plan_rungs[i]), ok ? "observable" : "unavailable",
		       ok ? "" : ": ", why);
	}
}

int cmd_probes(int argc, char **argv)
{
	static const struct argp_child children[] = { { &sw_format_argp }, { &sw_common_argp }, {} };
	const struct argp argp = { probes_options, probes_parse, NULL, probes_doc, children };
	struct sw_loaded L;
	int ret;

	if (sw_argp_parse(&argp, argc, argv))
		return SW_EXIT_USAGE;
	if (dry_run) {
		struct sw_kernel k;
		struct sw_plan plan;
		char err[256];

		sw_kernel_open(&k, err, sizeof(err));
		if (!k.btf)
			fprintf(stderr, "stopwatch: %s\n", err);
		sw_plan_make(&plan, &k, SW_GROUP_STOP | SW_GROUP_LIVE);
		print_plan(&plan, &k);
		sw_kernel_close(&k);
		return 0;
	}
	if ((ret = sw_check_privileges()))
		return ret;
	if (verify) {
		int ok, skipped, failed = sw_verify_programs(stdout, &ok, &skipped);

		if (failed < 0) {
			fprintf(stderr, "stopwatch: failed to open BPF object: %s\n", strerror(-failed));
			return SW_EXIT_FAIL;
		}
		printf("%d verified, %d failed, %d skipped (sized for %d CPUs)\n", ok, failed, skipped,
		       sw_size_cpus(libbpf_num_possible_cpus()));
		return failed ? SW_EXIT_FAIL : SW_EXIT_OK;
	}
	ret = sw_load(&L, &env, SW_GROUP_STOP | SW_GROUP_LIVE);
	if (L.skel || ret == SW_EXIT_OK)
		print_plan(&L.plan, &L.kernel);
	sw_unload(&L);
	return ret;
}
