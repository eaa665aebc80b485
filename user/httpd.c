// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTP endpoint on libmicrohttpd (dynamically linked build only, see httpd.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <microhttpd.h>
#include "env.h"
#include "httpd.h"
#include "loader.h"

/*
 * Bounds: a scrape endpoint needs a handful of connections, each
 * short-lived, but idle or slow clients (one byte a second never times
 * out) must not hold every slot while a scraper waits (tests/http/abuse.py):
 * room for 2048 at once (epoll, so no FD_SETSIZE cap; the soft fd limit
 * raised to fit), each with a 32 KiB pool (a request's headers and the
 * reply's; larger headers get 431): at most 2048 x 32 KiB = 64 MiB.
 * Connections past the limit wait in the listen backlog (MHD_USE_ITC: MHD
 * stops accepting at the limit instead of accepting and closing), so a
 * burst is served late rather than refused.
 */
#define HTTP_MAX_CONNECTIONS	2048
#define HTTP_BACKLOG		1024
#define HTTP_TIMEOUT_S		10
#define HTTP_CONN_MEMORY	32768

/* the soft fd limit up to what HTTP_MAX_CONNECTIONS needs (the hard limit allowing) */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= HTTP_MAX_CONNECTIONS + 64)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > HTTP_MAX_CONNECTIONS + 64 ?
		      HTTP_MAX_CONNECTIONS + 64 : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}
#define HTTP_LOG_INTERVAL_S	10

/*
 * MHD's messages, at most one line per kind (its format string) every
 * HTTP_LOG_INTERVAL_S, with how many like it were held back: a flood of
 * clients must not become a flood of log lines. MHD calls this from its
 * one polling thread.
 */
static void rate_limited_log(void *cls, const char *fmt, va_list ap)
{
	static struct {
		const char *fmt;
		time_t last;
		unsigned long held;
	} kinds[16];
	time_t now = time(NULL);
	size_t i, len;
	char msg[256];

	for (i = 0; i < 15 && kinds[i].fmt && kinds[i].fmt != fmt; i++)
		;
	kinds[i].fmt = fmt;
	if (kinds[i].last && now - kinds[i].last < HTTP_LOG_INTERVAL_S) {
		kinds[i].held++;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (kinds[i].held)
		fprintf(stderr, "stopwatch: http: %s (and %lu more like it in %lld s)\n", msg,
			kinds[i].held, (long long)(now - kinds[i].last));
	else
		fprintf(stderr, "stopwatch: http: %s\n", msg);
	kinds[i].last = now;
	kinds[i].held = 0;
}

struct server {
	const struct sw_http_route *routes;
	int nroutes;
	void *ctx;
};

/* Every connection slot is taken: others may be waiting in the backlog. */
static bool at_limit(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
	const union MHD_DaemonInfo *di;

	if (!ci)
		return false;
	di = MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di && di->num_connections >= HTTP_MAX_CONNECTIONS;
}

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *type,
			     char *body, size_t len, bool negotiated)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (at_limit(conn))	/* kept alive, it would hold a slot the queued ones wait for */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (negotiated)	/* caches keep one copy per Accept */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, int status, const char *msg)
{
	char *body = strdup(msg);

	return body ? reply(conn, status, "text/plain; charset=utf-8", body, strlen(body), false)
		    : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	const struct server *srv = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int status;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (!*req_cls) {
		/* first call: headers only; answer on the second */
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_size)
		return reply_text(conn, MHD_HTTP_BAD_REQUEST, "no request body expected\n");
	for (int i = 0; i < srv->nroutes; i++) {
		struct sw_http_request req = {
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
		};

		if (strcmp(url, srv->routes[i].path))
			continue;
		f = open_memstream(&body, &len);
		if (!f)
			return MHD_NO;
		status = srv->routes[i].fill(f, srv->ctx, &req);
		if (fclose(f)) {
			free(body);
			return MHD_NO;
		}
		if (status != MHD_HTTP_OK)
			return reply(conn, status, "text/plain; charset=utf-8", body, len, false);
		return reply(conn, status, req.content_type ? req.content_type
							    : srv->routes[i].content_type,
			     body, len, req.content_type != NULL);
	}
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /stats.json\n");
}

/* "[ADDR:]PORT": ADDR is IPv4 or [IPv6]; loopback unless told otherwise. */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char addr[64] = "127.0.0.1";
	const char *colon = strrchr(s, ':'), *port = s;
	long p;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		size_t n = colon - s;

		if (n >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, s, n);
		addr[n] = '\0';
		port = colon + 1;
	}
	if (sw_parse_long(port, 0, 65535, &p))
		return -EINVAL;
	if (addr[0] == '[') {
		size_t n = strlen(addr);

		if (n < 3 || addr[n - 1] != ']')
			return -EINVAL;
		addr[n - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		return inet_pton(AF_INET6, addr + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons(p);
	return inet_pton(AF_INET, addr, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

int sw_http_serve(const char *listen, const struct sw_http_route *routes, int nroutes, void *ctx)
{
	struct server srv = { routes, nroutes, ctx };
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t set, old;
	int sig;

	if (parse_listen(listen, &ss)) {
		fprintf(stderr, "stopwatch: failed to listen: invalid address '%s' ([ADDR:]PORT)\n",
			listen);
		return SW_EXIT_USAGE;
	}
	/* block the stop signals before MHD starts its thread, so only sigwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	raise_fd_limit();
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
			     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, &srv,
			     MHD_OPTION_EXTERNAL_LOGGER, rate_limited_log, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)HTTP_BACKLOG,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "stopwatch: failed to listen on %s: %s\n", listen, strerror(errno));
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return SW_EXIT_FAIL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "stopwatch: serving /metrics and /stats.json on %s port %u\n", listen,
		info ? info->port : 0);
	while (sigwait(&set, &sig))
		;
	fprintf(stderr, "stopwatch: %s: stopping the HTTP server\n", strsignal(sig));
	MHD_stop_daemon(d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return SW_EXIT_OK;
}
