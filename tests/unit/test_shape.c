// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The series' shape told from BTF, and the attach plan that follows from it,
 * against fake kernel BTF written with libbpf's BTF writer: a stock kernel,
 * the v4 shape, the park shape, and one of a shape stopwatch does not know.
 * The fake BTF goes through the real path: sw_kernel_open() reads it from
 * STOPWATCH_BTF, as it reads /sys/kernel/btf/vmlinux.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "points.h"
#include "record.h"
#include "shape.h"
#include "stop.h"
#include "trace.h"

enum fake_shape { FAKE_STOCK, FAKE_V4, FAKE_PARK, FAKE_UNKNOWN };

/* the types the series' signatures use, spelled as the kernel spells them */
struct fake_types {
	int t_int, t_u32, t_bool, t_void_ptr, t_regs_ptr, t_mask_ptr;
};

static void types(struct btf *b, struct fake_types *t)
{
	int _bool, regs, mask, mask_td, mask_const;

	t->t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t->t_u32 = btf__add_typedef(b, "u32", btf__add_int(b, "unsigned int", 4, 0));
	_bool = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	t->t_bool = btf__add_typedef(b, "bool", _bool);
	t->t_void_ptr = btf__add_ptr(b, 0);
	regs = btf__add_struct(b, "pt_regs", 8);
	btf__add_field(b, "pstate", t->t_int, 0, 0);
	t->t_regs_ptr = btf__add_ptr(b, regs);
	/* const cpumask_t *: a pointer to a const typedef of the struct */
	mask = btf__add_struct(b, "cpumask", 8);
	btf__add_field(b, "bits", t->t_int, 0, 0);
	mask_td = btf__add_typedef(b, "cpumask_t", mask);
	mask_const = btf__add_const(b, mask_td);
	t->t_mask_ptr = btf__add_ptr(b, mask_const);
}

/* FUNC @name returning @ret (0: void) with @n parameters of the types that follow */
static void fn(struct btf *b, const char *name, int ret, int n, ...)
{
	int proto = btf__add_func_proto(b, ret);
	va_list ap;

	assert_true(proto > 0);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(btf__add_func_param(b, "a", va_arg(ap, int)), 0);
	va_end(ap);
	assert_true(btf__add_func(b, name, BTF_FUNC_GLOBAL, proto) > 0);
}

static struct btf *fake_kernel(enum fake_shape shape)
{
	struct btf *b = btf__new_empty();
	struct fake_types t;

	assert_non_null(b);
	types(b, &t);
	/* every arm64 kernel */
	fn(b, "smp_send_stop", 0, 0);
	fn(b, "crash_smp_send_stop", 0, 0);
	fn(b, "panic_smp_self_stop", 0, 0);
	fn(b, "sdei_event_handler", t.t_int, 2, t.t_regs_ptr, t.t_void_ptr);
	btf__add_typedef(b, "btf_trace_ipi_raise", t.t_void_ptr);
	btf__add_typedef(b, "btf_trace_ipi_entry", t.t_void_ptr);
	switch (shape) {
	case FAKE_STOCK:
		fn(b, "local_cpu_stop", 0, 1, t.t_u32);
		break;
	case FAKE_V4:
		fn(b, "sdei_nmi_active", t.t_bool, 0);
		fn(b, "sdei_nmi_stop_cpus", 0, 1, t.t_mask_ptr);
		fn(b, "arm64_nmi_cpu_stop", 0, 2, t.t_regs_ptr, t.t_bool);
		fn(b, "sdei_nmi_handler", t.t_int, 3, t.t_u32, t.t_regs_ptr, t.t_void_ptr);
		break;
	case FAKE_PARK:
		fn(b, "sdei_nmi_stop_cpus", t.t_bool, 1, t.t_mask_ptr);
		fn(b, "arm64_nmi_cpu_stop", 0, 1, t.t_regs_ptr);
		fn(b, "arm64_nmi_cpu_stop_pending", t.t_bool, 0);
		fn(b, "sdei_nmi_parked_cpu_die", 0, 0);
		fn(b, "sdei_nmi_handler", t.t_int, 3, t.t_u32, t.t_regs_ptr, t.t_void_ptr);
		break;
	case FAKE_UNKNOWN:
		/* a stop rung that returns a count, a stop handler with a third argument */
		fn(b, "sdei_nmi_stop_cpus", t.t_int, 1, t.t_mask_ptr);
		fn(b, "arm64_nmi_cpu_stop", 0, 3, t.t_regs_ptr, t.t_int, t.t_bool);
		fn(b, "arm64_nmi_cpu_stop_pending", t.t_bool, 0);
		fn(b, "sdei_nmi_handler", t.t_int, 3, t.t_u32, t.t_regs_ptr, t.t_void_ptr);
		break;
	}
	return b;
}

/* Open @b as the kernel's BTF, as an arm64 kernel with fentry and kprobes. */
static void open_kernel(struct btf *b, struct sw_kernel *k)
{
	char path[64], err[256];
	__u32 size;
	const void *raw = btf__raw_data(b, &size);
	int fd = memfd_create("fake-vmlinux", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, size), size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv("STOPWATCH_BTF", path, 1);
	assert_int_equal(sw_kernel_open(k, err, sizeof(err)), 0);
	unsetenv("STOPWATCH_BTF");
	close(fd);
	assert_true(k->btf);
	/* the plan's view of the host, fixed: the BTF is what is under test */
	k->arch = SW_ARCH_ARM64;
	k->fentry = true;
	k->kprobes = true;
	/* and what the kernel answers once the BTF copy is gone, as the loader does */
	sw_kernel_release_btf(k);
}

static const struct sw_choice *choice(const struct sw_plan *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->c[i].pt->name, name))
			return &p->c[i];
	fail_msg("no point %s in the plan", name);
	return NULL;
}

static const char *prog(const struct sw_plan *p, const char *name)
{
	const char *s = sw_choice_prog(choice(p, name));

	return s ? s : "(none)";
}

static void plan_for(enum fake_shape shape, struct sw_kernel *k, struct sw_plan *p)
{
	struct btf *b = fake_kernel(shape);

	open_kernel(b, k);
	btf__free(b);
	sw_plan_make(p, k, SW_GROUP_STOP | SW_GROUP_LIVE);
}

static void test_stock(void **state)
{
	struct sw_kernel k;
	struct sw_plan p;
	char why[256];

	(void)state;
	plan_for(FAKE_STOCK, &k, &p);
	assert_int_equal(k.shape.shape, SW_SHAPE_STOCK);
	assert_int_equal(k.shape.nr_why, 0);
	assert_string_equal(prog(&p, "local_cpu_stop"), "fentry_local_cpu_stop");
	assert_int_equal(choice(&p, "arm64_nmi_cpu_stop")->status, SW_ST_UNAVAILABLE);
	assert_non_null(strstr(choice(&p, "arm64_nmi_cpu_stop")->why, "lacks the SDEI NMI series"));
	assert_false(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	sw_kernel_close(&k);
}

static void test_v4(void **state)
{
	struct sw_kernel k;
	struct sw_plan p;
	char why[256];

	(void)state;
	plan_for(FAKE_V4, &k, &p);
	assert_int_equal(k.shape.shape, SW_SHAPE_V4);
	assert_string_equal(sw_shape_name(k.shape.shape), "v4");
	/* the form that reads die_on_crash, with its kprobe kept ready */
	assert_string_equal(prog(&p, "arm64_nmi_cpu_stop"), "fentry_arm64_nmi_cpu_stop");
	assert_true(choice(&p, "arm64_nmi_cpu_stop")->kprobe_fallback);
	assert_string_equal(prog(&p, "sdei_nmi_stop_cpus"), "fentry_sdei_nmi_stop_cpus");
	assert_int_equal(choice(&p, "local_cpu_stop")->status, SW_ST_UNAVAILABLE);
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	sw_kernel_close(&k);
}

static void test_park(void **state)
{
	struct sw_kernel k;
	struct sw_plan p;
	char why[256];

	(void)state;
	plan_for(FAKE_PARK, &k, &p);
	assert_int_equal(k.shape.shape, SW_SHAPE_PARK);
	assert_string_equal(sw_shape_name(k.shape.shape), "park");
	/* same name as v4, one argument fewer: the park form, not v4's */
	assert_string_equal(prog(&p, "arm64_nmi_cpu_stop"), "fentry_arm64_nmi_cpu_stop_park");
	assert_true(choice(&p, "arm64_nmi_cpu_stop")->kprobe_fallback);
	assert_string_equal(prog(&p, "sdei_nmi_stop_cpus"), "fentry_sdei_nmi_stop_cpus");
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));

	/* without fentry the kprobe form of the park shape, again not v4's */
	k.fentry = false;
	sw_plan_make(&p, &k, SW_GROUP_STOP);
	assert_string_equal(prog(&p, "arm64_nmi_cpu_stop"), "kprobe_arm64_nmi_cpu_stop_park");
	sw_kernel_close(&k);
}

static void test_unknown(void **state)
{
	struct sw_kernel k;
	struct sw_plan p;
	const struct sw_choice *c;
	char why[256];

	(void)state;
	plan_for(FAKE_UNKNOWN, &k, &p);
	assert_int_equal(k.shape.shape, SW_SHAPE_UNKNOWN);
	/* closest to park (it has the pending flag); the two differences named */
	assert_int_equal(k.shape.nr_why, 3);
	assert_string_equal(k.shape.why[0],
			    "sdei_nmi_stop_cpus: is int (struct cpumask *), but park has bool (struct cpumask *)");
	assert_string_equal(k.shape.why[1], "arm64_nmi_cpu_stop: is void (struct pt_regs *, int, bool), "
			    "but park has void (struct pt_regs *)");
	assert_string_equal(k.shape.why[2], "sdei_nmi_parked_cpu_die: absent, but park has void (void)");
	/* the stop handler is there with parameters no form reads: not attached, and why */
	c = choice(&p, "arm64_nmi_cpu_stop");
	assert_int_equal(c->status, SW_ST_UNAVAILABLE);
	assert_string_equal(c->why, "unknown signature: arm64_nmi_cpu_stop is void (struct pt_regs *, "
			    "int, bool); stopwatch reads (struct pt_regs *, bool) or (struct pt_regs *) "
			    "(series shape unknown)");
	/* the rest keeps working: the rung's parameters are the known ones */
	assert_string_equal(prog(&p, "sdei_nmi_stop_cpus"), "fentry_sdei_nmi_stop_cpus");
	assert_string_equal(prog(&p, "smp_send_stop"), "fentry_smp_send_stop");
	assert_int_equal(choice(&p, "ipi_entry")->status, SW_ST_PLANNED);
	assert_true(sw_plan_rung_available(&p, &k, SW_RUNG_SDEI, why, sizeof(why)));
	sw_kernel_close(&k);
}

/* Typedefs and qualifiers do not make another signature. */
static void test_canonical_signatures(void **state)
{
	struct btf *b = fake_kernel(FAKE_PARK);
	struct sw_kernel k;
	char sig[128], params[128];

	(void)state;
	open_kernel(b, &k);
	btf__free(b);
	assert_true(k.btf_func_sig(k.ctx, "sdei_nmi_stop_cpus", sig, sizeof(sig)));
	assert_string_equal(sig, "bool (struct cpumask *)");
	assert_true(k.btf_func_sig(k.ctx, "sdei_nmi_parked_cpu_die", sig, sizeof(sig)));
	assert_string_equal(sig, "void (void)");
	assert_true(sw_sig_params(sig, params, sizeof(params)));
	assert_string_equal(params, "void");
	assert_true(k.btf_func_sig(k.ctx, "sdei_event_handler", sig, sizeof(sig)));
	assert_string_equal(sig, "int (struct pt_regs *, void *)");
	assert_false(k.btf_func_sig(k.ctx, "sdei_nmi_active", sig, sizeof(sig)));
	sw_kernel_close(&k);
}

/* A kernel seen by names only (no signatures) plans as before: first form. */
static bool names_only(void *ctx, const char *fn)
{
	(void)ctx;
	return !strcmp(fn, "arm64_nmi_cpu_stop");
}

static bool no_tp(void *ctx, const char *ev)
{
	(void)ctx;
	(void)ev;
	return false;
}

static void test_names_only(void **state)
{
	struct sw_kernel k = { .arch = SW_ARCH_ARM64, .btf = true, .fentry = true, .kprobes = true,
			       .btf_func = names_only, .btf_tp = no_tp, .tracefs_event = no_tp };
	struct sw_plan p;

	(void)state;
	sw_kernel_shape(&k);
	assert_int_equal(k.shape.shape, SW_SHAPE_NONE);
	sw_plan_make(&p, &k, SW_GROUP_STOP);
	assert_string_equal(prog(&p, "arm64_nmi_cpu_stop"), "fentry_arm64_nmi_cpu_stop");
}

/* ---- how a stopped CPU ended: the wire's end, decoded ---- */

/* A crash stop of 4 CPUs from CPU 0: 1 by IPI, 2 by SDEI, 3 stopped itself. */
static struct sw_stop_record *wire_crash(unsigned int end1, unsigned int end2, unsigned int end3)
{
	struct sw_stop_record *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->seq = 1;
	w->kind = SW_KIND_CRASH;
	w->nr_cpus = 4;
	w->state = SW_REC_DONE;
	w->t_start = 1000;
	w->online[0] = 0xf;
	w->cpu[1] = (struct sw_cpu_stop){ 2000, SW_RUNG_IPI, SW_IRQS_ENABLED, end1 };
	w->cpu[2] = (struct sw_cpu_stop){ 3000, SW_RUNG_SDEI, SW_IRQS_MASKED, end2 };
	w->cpu[3] = (struct sw_cpu_stop){ 4000, SW_RUNG_SELF, SW_IRQS_UNKNOWN, end3 };
	return w;
}

static void test_decode_cpu_end(void **state)
{
	struct sw_record_meta m = { .source = SW_SRC_VMCORE, .exact = true };
	struct sw_stop_record *w;
	struct sw_stop *s;

	(void)state;
	/* park shape, crash stop: IPI CPU and SDEI CPU powered off, the self-stop parked */
	w = wire_crash(SW_END_POWERED_OFF, SW_END_POWERED_OFF, SW_END_UNKNOWN);
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(s->cpu[1].sdei_end, SW_SDEI_END_UNKNOWN);	/* not SDEI-stopped */
	assert_int_equal(s->cpu[1].reonline, SW_REONLINE_YES);
	assert_int_equal(s->cpu[2].sdei_end, SW_SDEI_END_POWERED_OFF);
	assert_string_equal(sw_sdei_end_name(s->cpu[2].sdei_end), "powered_off");
	assert_int_equal(s->cpu[2].reonline, SW_REONLINE_YES);
	assert_int_equal(s->cpu[3].reonline, SW_REONLINE_NO);
	assert_int_equal(s->cpu[0].reonline, SW_REONLINE_UNKNOWN);	/* the initiator */
	sw_stop_free(s);

	/* v4: the SDEI CPU parks in its event; the IPI CPU's CPU_OFF not seen */
	w->cpu[1].end = SW_END_UNKNOWN;
	w->cpu[2].end = SW_END_PARKED_UNCOMPLETED;
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(s->cpu[1].reonline, SW_REONLINE_UNKNOWN);
	assert_int_equal(s->cpu[2].sdei_end, SW_SDEI_END_PARKED_UNCOMPLETED);
	assert_int_equal(s->cpu[2].reonline, SW_REONLINE_NO);
	sw_stop_free(s);

	/* not a crash stop: how it ended, but nothing about a capture kernel */
	w->kind = SW_KIND_STOP;
	w->cpu[2].end = SW_END_COMPLETED_PARKED;
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(s->cpu[2].sdei_end, SW_SDEI_END_COMPLETED_PARKED);
	assert_int_equal(s->cpu[2].reonline, SW_REONLINE_UNKNOWN);
	assert_int_equal(s->cpu[3].reonline, SW_REONLINE_UNKNOWN);
	sw_stop_free(s);

	/* torn: an end past the enum is unknown */
	w->kind = SW_KIND_CRASH;
	w->cpu[2].end = 77;
	s = sw_stop_from_wire(&m, w);
	assert_int_equal(s->cpu[2].sdei_end, SW_SDEI_END_UNKNOWN);
	assert_int_equal(s->cpu[2].reonline, SW_REONLINE_UNKNOWN);
	sw_stop_free(s);
	free(w);
}

/* The trace line of an end: the same wire field, a later end winning. */
static void test_trace_cpu_end(void **state)
{
	struct sw_trace_asm *a = sw_trace_asm_new();
	struct sw_record_meta m;
	const struct sw_stop_record *r;

	(void)state;
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: begin seq=1 kind=3 cpu=0 nr=4 t=100 online=f,0,0,0"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpu=2 rung=sdei t=300 irqs=masked seq=1"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend cpu=2 end=completed_parked seq=1"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend cpu=2 end=powered_off seq=1"), 1);
	/* lines may come out of order: an earlier end does not undo a later one */
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend cpu=2 end=completed_parked seq=1"), 1);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend cpu=2 end=off seq=1"), -EINVAL);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend cpu=9999 end=powered_off seq=1"), -EINVAL);
	assert_int_equal(sw_trace_asm_line(a, "stopwatch: cpuend end=powered_off seq=1"), -EINVAL);
	r = sw_trace_asm_record(a, 0, &m);
	assert_non_null(r);
	assert_int_equal(r->cpu[2].end, SW_END_POWERED_OFF);
	sw_trace_asm_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_park),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_canonical_signatures),
		cmocka_unit_test(test_names_only),
		cmocka_unit_test(test_decode_cpu_end),
		cmocka_unit_test(test_trace_cpu_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
