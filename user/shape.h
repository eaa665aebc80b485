/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which shape of the arm64 SDEI NMI series a kernel carries, told from the
 * names and signatures of its functions in BTF (docs/shapes.md):
 *
 *   stock   none of the series' functions
 *   v4      v3/v4: sdei_nmi_active(), void sdei_nmi_stop_cpus(mask),
 *           arm64_nmi_cpu_stop(regs, die_on_crash) that never returns: an
 *           SDEI-stopped CPU parks inside its uncompleted event
 *   park    the later shape: bool sdei_nmi_stop_cpus(mask), no
 *           sdei_nmi_active(), arm64_nmi_cpu_stop(regs) that returns,
 *           arm64_nmi_cpu_stop_pending(), sdei_nmi_parked_cpu_die(): the
 *           event is completed into a park pad, the CPU may be powered off
 *   unknown some of those names, with signatures neither shape has
 *
 * The park shape's landing pad __sdei_nmi_cpu_park is assembly and has no
 * BTF; it is not needed to tell the shapes apart.
 */
#ifndef STOPWATCH_SHAPE_H
#define STOPWATCH_SHAPE_H

#include <stdbool.h>

enum sw_shape {
	SW_SHAPE_NONE = 0,	/* not told: no BTF, or not arm64 */
	SW_SHAPE_STOCK,
	SW_SHAPE_V4,
	SW_SHAPE_PARK,
	SW_SHAPE_UNKNOWN,
};

#define SW_SHAPE_MAX_WHY	6

struct sw_shape_info {
	enum sw_shape shape;
	int nr_why;
	/* for an unknown shape: each function that fits neither shape, and why */
	char why[SW_SHAPE_MAX_WHY][256];
};

/*
 * A function's signature, canonical: typedefs and qualifiers dropped,
 * "bool (struct cpumask *)". Returns false when the kernel has no such
 * function (or no BTF to tell).
 */
typedef bool (*sw_sig_fn)(void *ctx, const char *fn, char *sig, int len);

void sw_shape_detect(struct sw_shape_info *out, sw_sig_fn sig, void *ctx);
const char *sw_shape_name(enum sw_shape s);
/* One line on what the shape means for a CPU the SDEI rung stops. */
const char *sw_shape_desc(enum sw_shape s);
/* The functions that tell the shapes apart, @i from 0; NULL after the last. */
const char *sw_shape_fn(unsigned int i);	/* "stock", "v4", "park", "unknown", "-" */
/* The parameter list of a canonical signature: "struct cpumask *" of "bool (struct cpumask *)". */
bool sw_sig_params(const char *sig, char *params, int len);

/* Raw kernel BTF: the canonical signature of FUNC type @id into @sig. */
struct sw_kbtf;
bool sw_kbtf_func_sig(const struct sw_kbtf *b, unsigned int id, char *sig, int len);

#endif
