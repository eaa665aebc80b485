// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Numbers to text by hand (fmt.h says why). */
#include <stdio.h>
#include <string.h>
#include "fmt.h"

size_t sw_fmt_u64(char *o, __u64 v)
{
	char t[20];
	size_t n = 0;

	do
		t[n++] = '0' + v % 10;
	while (v /= 10);
	for (size_t i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	return n;
}

size_t sw_fmt_fixed_ns(char *buf, size_t len, __s64 ns, __u64 scale, int decimals, bool plus)
{
	__u64 m = ns < 0 ? -(__u64)ns : (__u64)ns, step = scale, unit = 1, q, r;
	char *o = buf;

	for (int i = 0; i < decimals; i++) {
		step /= 10;
		unit *= 10;
	}
	r = step ? m % step : 0;
	if (!step || (step > 1 && (2 * r == step || m >= 1ULL << 50))) {
		double v = (double)ns;
		int n;

		for (__u64 sc = scale; sc > 1; sc /= 1000)
			v /= 1000.0;
		n = snprintf(buf, len, plus ? "%+.*f" : "%.*f", decimals, v);
		return n > 0 && (size_t)n < len ? (size_t)n : 0;
	}
	q = m / step + (2 * r > step);	/* in units of the last digit */
	/* sign, 20 digits, point, decimals, NUL */
	if (len < 23 + (size_t)decimals) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	if (ns < 0 || plus)
		*o++ = ns < 0 ? '-' : '+';
	o += sw_fmt_u64(o, q / unit);
	if (decimals) {
		*o++ = '.';
		for (int i = decimals - 1; i >= 0; i--, q /= 10)
			o[i] = '0' + q % 10;
		o += decimals;
	}
	*o = '\0';
	return o - buf;
}
