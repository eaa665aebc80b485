/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Numbers to text by hand, not snprintf: CPU sets in every state key
 * (stop.c), every number of a streamed JSON record (json.c) and the text
 * sink's times (stop_text.c) are formatted per record, and printf's
 * machinery (its float formatting above all) led those profiles.
 */
#ifndef STOPWATCH_FMT_H
#define STOPWATCH_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Decimal digits of @v at @o (20 at most, no NUL); their count. */
size_t sw_fmt_u64(char *o, __u64 v);

/*
 * @ns / @scale (1000: µs, 10^6: ms) with @decimals decimals, "+" first when
 * @plus, NUL-terminated in @buf; the length. Exact where no rounding is
 * needed; where it is, the same as printf("%.*f") of the double ns / 1000.0
 * (again per 1000), which the text sink always printed: ties of the last
 * digit, and values past 2^50 ns, whose rounding hangs on the double's last
 * bits, are printf's to give. Too small a buffer gives "".
 */
size_t sw_fmt_fixed_ns(char *buf, size_t len, __s64 ns, __u64 scale, int decimals, bool plus);

#endif
