/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small read-only HTTP endpoint (libmicrohttpd). Only the dynamically
 * linked build has it: Debian ships libmicrohttpd.a built against GnuTLS,
 * whose static archive needs p11-kit, of which Debian has no static
 * library, so a static binary cannot link it (httpd_none.c says so).
 */
#ifndef STOPWATCH_HTTPD_H
#define STOPWATCH_HTTPD_H

#include <stdio.h>

/* What a page may depend on: the request's Accept header (NULL: none). */
struct sw_http_request {
	const char *accept;
	const char *content_type;	/* set by fill to override the route's */
};

/* Write the page for one request to @f; return the HTTP status (200, 500...). */
typedef int (*sw_http_fill_fn)(FILE *f, void *ctx, struct sw_http_request *req);

struct sw_http_route {
	const char *path;
	const char *content_type;
	sw_http_fill_fn fill;
};

/*
 * Serve GET requests for @routes on @listen ("[ADDR:]PORT", ADDR an IPv4
 * address or [IPv6], default 127.0.0.1; PORT 0 picks a free port) until
 * SIGINT or SIGTERM. Prints the address it serves on stderr. Returns an
 * sw_exit code.
 */
int sw_http_serve(const char *listen, const struct sw_http_route *routes, int nroutes, void *ctx);

#endif
