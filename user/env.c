// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"

double sw_t0_ms;

struct env env = {
	.interval = 1,
	.pin_dir = SW_DEFAULT_PIN_DIR,
};

static const struct argp_option common_options[] = {
	{ "verbose", 'v', NULL, 0, "Show libbpf's and the loader's messages", -1 },
	{},
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	(void)state;
	if (key == 'v') {
		env.verbose = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

const struct argp sw_common_argp = { common_options, common_parse };

/* --format, shared: text|json everywhere, plus the metrics formats where counters are printed */
static const struct argp_option format_options[] = {
	{ "format", 'f', "FMT", 0, "text (default) or json" },
	{},
};

static const struct argp_option format_om_options[] = {
	{ "format", 'f', "FMT", 0, "text (default), json, prometheus (text format 0.0.4) or "
	  "openmetrics" },
	{},
};

static error_t format_parse(int key, char *arg, struct argp_state *state)
{
	if (key != 'f')
		return ARGP_ERR_UNKNOWN;
	if (sw_parse_format(arg, &env.format) || env.format >= SW_FMT_OPENMETRICS)
		argp_error(state, "invalid format '%s' (text or json)", arg);
	return 0;
}

static error_t format_om_parse(int key, char *arg, struct argp_state *state)
{
	if (key != 'f')
		return ARGP_ERR_UNKNOWN;
	if (sw_parse_format(arg, &env.format))
		argp_error(state, "invalid format '%s' (text, json, prometheus or openmetrics)", arg);
	return 0;
}

const struct argp sw_format_argp = { format_options, format_parse };
const struct argp sw_format_om_argp = { format_om_options, format_om_parse };

int sw_parse_format(const char *s, enum sw_format *fmt)
{
	if (!strcmp(s, "text"))
		*fmt = SW_FMT_TEXT;
	else if (!strcmp(s, "json"))
		*fmt = SW_FMT_JSON;
	else if (!strcmp(s, "openmetrics"))
		*fmt = SW_FMT_OPENMETRICS;
	else if (!strcmp(s, "prometheus"))
		*fmt = SW_FMT_PROMETHEUS;
	else
		return -EINVAL;
	return 0;
}

int sw_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || isnan(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

bool sw_valid_instance_name(const char *name)
{
	return *name && !strchr(name, '/');
}

int sw_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
