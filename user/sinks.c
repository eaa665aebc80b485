// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The sinks a command wires a source to (sinks.h). */
#include <string.h>
#include "env.h"
#include "sinks.h"
#include "stop_print.h"

int sw_sinks_take(void *ctx, const struct sw_stop *s)
{
	struct sw_sinks *k = ctx;

	if (k->boot_id && strcasecmp(k->boot_id, s->meta.boot_id))
		return 0;
	k->taken++;
	if (k->out)
		sw_stop_print(k->out, s, k->json, k->per_cpu);
	/* printed even when it cannot be counted: the operator sees what was read */
	if (k->state && !k->state_failed && sw_state_add(k->state, s) < 0)
		k->state_failed = true;
	return 0;
}

static const struct argp_option records_options[] = {
	{ "per-cpu", 'C', NULL, 0, "Text: a row per CPU, not only where the times differ" },
	{},
};

static error_t records_parse(int key, char *arg, struct argp_state *state)
{
	if (key != 'C')
		return ARGP_ERR_UNKNOWN;
	env.per_cpu = true;
	return 0;
}

const struct argp sw_records_argp = { records_options, records_parse };
