/* canary.c: the host-loopback listener the localhost-reach probe aims at.
 *
 * Every accepted connection is counted and closed at once. The struct
 * lives until the listener and every client handle have been closed: it
 * counts open handles and the last close callback frees it. */
#include "canary.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define CANARY_BACKLOG 64

struct canary {
	uv_tcp_t server; /* data = this */
	int port;
	uint64_t hits;
	unsigned open_handles; /* server + clients not yet closed */
	int closing;
};

static void canary_unref(struct canary *c)
{
	if (--c->open_handles == 0)
		free(c);
}

static void canary_on_server_close(uv_handle_t *h)
{
	canary_unref(h->data);
}

static void canary_on_client_close(uv_handle_t *h)
{
	struct canary *c = h->data;

	free(h);
	canary_unref(c);
}

static void canary_on_connection(uv_stream_t *server, int status)
{
	struct canary *c = server->data;
	uv_tcp_t *client;

	if (status < 0)
		return;
	client = xcalloc(1, sizeof *client);
	uv_tcp_init(server->loop, client);
	client->data = c;
	c->open_handles++;
	if (uv_accept(server, (uv_stream_t *)client) == 0)
		c->hits++;
	uv_close((uv_handle_t *)client, canary_on_client_close);
}

int canary_open(uv_loop_t *loop, struct canary **out, int *port)
{
	struct canary *c = xcalloc(1, sizeof *c);
	struct sockaddr_storage ss;
	struct sockaddr_in addr;
	int len = sizeof ss, rc;

	*out = NULL;
	uv_tcp_init(loop, &c->server);
	c->server.data = c;
	c->open_handles = 1;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	rc = uv_tcp_bind(&c->server, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&c->server, CANARY_BACKLOG,
			       canary_on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&c->server, (struct sockaddr *)&ss,
					&len);
	if (rc != 0) {
		uv_close((uv_handle_t *)&c->server, canary_on_server_close);
		return rc;
	}
	c->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*out = c;
	if (port != NULL)
		*port = c->port;
	return 0;
}

int canary_port(const struct canary *c)
{
	return c->port;
}

uint64_t canary_hits(const struct canary *c)
{
	return c->hits;
}

uint64_t canary_drain(struct canary *c)
{
	uv_os_fd_t fd;
	int s;

	if (c->closing || uv_fileno((uv_handle_t *)&c->server, &fd) != 0)
		return c->hits;
	/* The listener is non-blocking (libuv made it so); libuv's own
	 * accept on the next readiness then finds EAGAIN and moves on. */
	for (;;) {
		s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		c->hits++;
		close(s);
	}
	return c->hits;
}

void canary_close(struct canary *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->server, canary_on_server_close);
}
