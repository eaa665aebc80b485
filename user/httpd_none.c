// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The static build: no HTTP server (why: httpd.h). */
#include "httpd.h"
#include "loader.h"

int sw_http_serve(const char *listen, const struct sw_http_route *routes, int nroutes, void *ctx)
{
	fprintf(stderr, "stopwatch: failed to listen on %s: this static build has no HTTP server "
			"(libmicrohttpd cannot be linked statically on Debian); use stopwatch-dynamic, "
			"or --textfile for node_exporter\n", listen);
	return SW_EXIT_FAIL;
}
