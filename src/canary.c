/* canary.c: the host-loopback listener the localhost-reach probe aims at
 * (see canary.h).
 *
 * Each accepted connection becomes a client: its TCP handle and a timer
 * bounding how long it may stay silent. Its first line decides: the
 * magic and an expected nonce make a hit (answered, then closed), anything
 * else is unrelated (closed). The struct lives until the listener and
 * every client handle have been closed: it counts open handles and the
 * last close callback frees it. */
#include "canary.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define CANARY_BACKLOG 64
#define CANARY_MAX_CLIENTS 64 /* connections waiting for their line */

struct canary_nonce {
	char *nonce; /* owned */
	uint64_t hits;
	struct canary_nonce *next;
};

struct canary_client {
	uv_tcp_t tcp;	  /* data = this */
	uv_timer_t timer; /* data = this */
	uv_write_t write;
	struct canary *c;
	char line[CANARY_LINE_MAX];
	size_t len;
	int settled;
	int open; /* handles not yet closed (tcp, timer) */
	struct canary_client *prev, *next;
};

struct canary {
	uv_tcp_t server; /* data = this */
	uv_loop_t *loop;
	int port;
	uint64_t hits;
	uint64_t unrelated;
	unsigned open_handles; /* server + client handles not yet closed */
	int closing;
	struct canary_nonce *nonces;
	struct canary_client *clients; /* unsettled and settling */
	size_t n_clients;
	canary_unrelated_cb on_unrelated;
	void *on_unrelated_data;
};

static void canary_unref(struct canary *c)
{
	if (--c->open_handles == 0) {
		while (c->nonces != NULL) {
			struct canary_nonce *n = c->nonces;
			c->nonces = n->next;
			free(n->nonce);
			free(n);
		}
		free(c);
	}
}

static void canary_on_server_close(uv_handle_t *h)
{
	canary_unref(h->data);
}

static void canary_on_client_close(uv_handle_t *h)
{
	struct canary_client *k = h->data;
	struct canary *c = k->c;

	if (--k->open == 0) {
		if (k->prev != NULL)
			k->prev->next = k->next;
		else
			c->clients = k->next;
		if (k->next != NULL)
			k->next->prev = k->prev;
		c->n_clients--;
		free(k);
	}
	canary_unref(c);
}

static void canary_client_close(struct canary_client *k)
{
	if (!uv_is_closing((uv_handle_t *)&k->tcp))
		uv_close((uv_handle_t *)&k->tcp, canary_on_client_close);
	if (!uv_is_closing((uv_handle_t *)&k->timer))
		uv_close((uv_handle_t *)&k->timer, canary_on_client_close);
}

static struct canary_nonce *canary_find(const struct canary *c, const char *s,
					size_t len)
{
	struct canary_nonce *n;

	for (n = c->nonces; n != NULL; n = n->next)
		if (strlen(n->nonce) == len && memcmp(n->nonce, s, len) == 0)
			return n;
	return NULL;
}

static void canary_on_ack(uv_write_t *w, int status)
{
	(void)status;
	canary_client_close(w->data);
}

/* canary_settle: judge k's first line (partial when complete is 0). */
static void canary_settle(struct canary_client *k, int complete,
			  const char *silent)
{
	static char ack[] = CANARY_ACK;
	struct canary *c = k->c;
	struct canary_nonce *n = NULL;
	size_t mlen = strlen(CANARY_MAGIC), len = k->len;
	const char *why = silent;
	uv_buf_t b;

	if (k->settled)
		return;
	k->settled = 1;
	uv_read_stop((uv_stream_t *)&k->tcp);
	uv_timer_stop(&k->timer);
	if (why == NULL) {
		while (len > 0 &&
		       (k->line[len - 1] == '\n' || k->line[len - 1] == '\r'))
			len--;
		if (!complete || len <= mlen ||
		    memcmp(k->line, CANARY_MAGIC, mlen) != 0)
			why = "no nonce";
		else if ((n = canary_find(c, k->line + mlen, len - mlen)) ==
			 NULL)
			why = "an unknown nonce";
	}
	if (n == NULL) {
		c->unrelated++;
		if (c->on_unrelated != NULL)
			c->on_unrelated(c, why, c->on_unrelated_data);
		canary_client_close(k);
		return;
	}
	n->hits++;
	c->hits++;
	b = uv_buf_init(ack, sizeof ack - 1);
	k->write.data = k;
	if (uv_write(&k->write, (uv_stream_t *)&k->tcp, &b, 1, canary_on_ack) !=
	    0)
		canary_client_close(k);
}

/* canary_take: bytes arrived for k; settle once a line is complete. */
static void canary_take(struct canary_client *k, const char *p, size_t n)
{
	size_t room = sizeof k->line - k->len;

	if (n > room)
		n = room;
	memcpy(k->line + k->len, p, n);
	k->len += n;
	if (memchr(k->line, '\n', k->len) != NULL)
		canary_settle(k, 1, NULL);
	else if (k->len == sizeof k->line)
		canary_settle(k, 0, NULL);
}

static void canary_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	struct canary_client *k = h->data;

	(void)size;
	*b = uv_buf_init(k->line + k->len, (unsigned)(sizeof k->line - k->len));
}

static void canary_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct canary_client *k = s->data;

	(void)b;
	if (n == 0 || k->settled)
		return;
	if (n < 0) {
		canary_settle(k, 0, k->len == 0 ? "silent" : NULL);
		return;
	}
	/* the bytes are already in place (canary_alloc) */
	k->len += (size_t)n;
	if (memchr(k->line, '\n', k->len) != NULL)
		canary_settle(k, 1, NULL);
	else if (k->len == sizeof k->line)
		canary_settle(k, 0, NULL);
}

static void canary_on_timeout(uv_timer_t *t)
{
	struct canary_client *k = t->data;

	canary_settle(k, 0, k->len == 0 ? "silent" : NULL);
}

/* canary_client_new: a client for an accepted connection. */
static struct canary_client *canary_client_new(struct canary *c)
{
	struct canary_client *k = xcalloc(1, sizeof *k);

	k->c = c;
	uv_tcp_init(c->loop, &k->tcp);
	uv_timer_init(c->loop, &k->timer);
	k->tcp.data = k;
	k->timer.data = k;
	k->open = 2;
	c->open_handles += 2;
	k->next = c->clients;
	if (c->clients != NULL)
		c->clients->prev = k;
	c->clients = k;
	c->n_clients++;
	return k;
}

/* canary_client_start: wait for k's line (unless already settled). */
static void canary_client_start(struct canary_client *k)
{
	if (k->settled)
		return;
	if (k->c->n_clients > CANARY_MAX_CLIENTS) {
		canary_settle(k, 0, "one connection too many");
		return;
	}
	if (uv_read_start((uv_stream_t *)&k->tcp, canary_alloc,
			  canary_on_read) != 0) {
		canary_settle(k, 0, "unreadable");
		return;
	}
	uv_timer_start(&k->timer, canary_on_timeout, CANARY_READ_MS, 0);
}

static void canary_on_connection(uv_stream_t *server, int status)
{
	struct canary *c = server->data;
	struct canary_client *k;

	if (status < 0 || c->closing)
		return;
	k = canary_client_new(c);
	if (uv_accept(server, (uv_stream_t *)&k->tcp) != 0) {
		k->settled = 1;
		canary_client_close(k);
		return;
	}
	canary_client_start(k);
}

int canary_open(uv_loop_t *loop, struct canary **out, int *port)
{
	struct canary *c = xcalloc(1, sizeof *c);
	struct sockaddr_storage ss;
	struct sockaddr_in addr;
	int len = sizeof ss, rc;

	*out = NULL;
	c->loop = loop;
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

void canary_on_unrelated(struct canary *c, canary_unrelated_cb cb, void *data)
{
	c->on_unrelated = cb;
	c->on_unrelated_data = data;
}

int canary_nonce_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= CANARY_NONCE_MAX)
			return 0;
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	}
	return 1;
}

int canary_expect(struct canary *c, const char *nonce)
{
	struct canary_nonce *n;

	if (!canary_nonce_ok(nonce) || canary_find(c, nonce, strlen(nonce)))
		return -1;
	n = xcalloc(1, sizeof *n);
	n->nonce = xstrdup(nonce);
	n->next = c->nonces;
	c->nonces = n;
	return 0;
}

void canary_forget(struct canary *c, const char *nonce)
{
	struct canary_nonce **pp, *n;

	for (pp = &c->nonces; (n = *pp) != NULL; pp = &n->next) {
		if (strcmp(n->nonce, nonce) == 0) {
			*pp = n->next;
			free(n->nonce);
			free(n);
			return;
		}
	}
}

uint64_t canary_nonce_hits(const struct canary *c, const char *nonce)
{
	const struct canary_nonce *n =
	    nonce ? canary_find(c, nonce, strlen(nonce)) : NULL;

	return n != NULL ? n->hits : 0;
}

uint64_t canary_hits(const struct canary *c)
{
	return c->hits;
}

uint64_t canary_unrelated(const struct canary *c)
{
	return c->unrelated;
}

uint64_t canary_drain(struct canary *c)
{
	struct canary_client *k;
	char buf[CANARY_LINE_MAX];
	uv_os_fd_t fd;
	ssize_t n;
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
		k = canary_client_new(c);
		if (uv_tcp_open(&k->tcp, s) != 0) {
			close(s);
			c->unrelated++;
			k->settled = 1;
			canary_client_close(k);
			continue;
		}
		/* what has already arrived is judged now */
		n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0)
			canary_take(k, buf, (size_t)n);
		else if (n == 0)
			canary_settle(k, 0, "silent");
		canary_client_start(k);
	}
	/* connections libuv accepted whose line is there but unread */
	for (k = c->clients; k != NULL; k = k->next) {
		if (k->settled || uv_fileno((uv_handle_t *)&k->tcp, &fd) != 0)
			continue;
		n = recv(fd, buf, sizeof buf - k->len, MSG_DONTWAIT);
		if (n > 0)
			canary_take(k, buf, (size_t)n);
	}
	return c->hits;
}

void canary_close(struct canary *c)
{
	struct canary_client *k;

	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	for (k = c->clients; k != NULL; k = k->next) {
		k->settled = 1;
		canary_client_close(k);
	}
	uv_close((uv_handle_t *)&c->server, canary_on_server_close);
}
