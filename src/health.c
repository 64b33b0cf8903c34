/* health.c: HTTP and TCP health of a bundle's services, libcurl multi on
 * libuv (see health.h).
 *
 * curl tells us which sockets to watch (health_on_socket: one uv_poll_t
 * per socket, its context kept with curl_multi_assign) and when to call
 * it back (health_on_timer_set: one uv_timer_t). Neither callback calls
 * into curl: the poll and timer callbacks, which run from the loop, call
 * curl_multi_socket_action and then drain curl_multi_info_read. Each
 * health_check is a batch of easy handles (one per service); the batch
 * reports once its last transfer is done. A service without an HTTP path
 * is a TCP check: the same transfer with CURLOPT_CONNECT_ONLY.
 *
 * struct health owns two timers and is freed when both are closed; each
 * socket context is freed in its poll's close callback. */
#include "health.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HEALTH_BODY_MAX ((size_t)64 << 10)
#define HEALTH_ERROR_MAX 200

struct health_sock {
	uv_poll_t poll; /* data = this */
	curl_socket_t fd;
	struct health *h;
	struct health_sock *prev, *next;
};

struct health_req {
	struct health_batch *batch;
	size_t index; /* into batch->res */
	CURL *easy;   /* owned until the transfer is done */
	int connect_only;
	int pipelock;
	struct buf body; /* pipelock only, up to HEALTH_BODY_MAX */
	int body_over;
	uint64_t t0;
	char errbuf[CURL_ERROR_SIZE];
};

struct health_batch {
	struct health *h;
	struct health_req *reqs;	   /* owned, n */
	struct health_service_result *res; /* owned, n */
	size_t n;
	size_t pending; /* transfers not yet done */
	health_done_cb done;
	void *data;
	struct health_batch *prev, *next;
};

struct health {
	uv_loop_t *loop;
	CURLM *multi;	  /* NULL once freed */
	uv_timer_t timer; /* curl's timeout */
	uv_timer_t defer; /* reports batches that need no transfer */
	struct health_sock *socks;
	struct health_batch *batches;
	unsigned open_handles;
	int dead; /* health_free was called */
};

/* ---- pipelock's JSON (pure) ---------------------------------------------- */

static int health_json_bool(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) != 0 : -1;
}

static char *health_json_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL
		   ? xstrndup(v->valuestring, 120)
		   : NULL;
}

int health_parse_pipelock(const char *buf, size_t len,
			  struct health_service_result *r)
{
	cJSON *o;
	char *status;

	r->kill_switch_active = -1;
	r->forward_proxy_enabled = -1;
	free(r->pipelock_version);
	free(r->pipelock_mode);
	r->pipelock_version = NULL;
	r->pipelock_mode = NULL;
	o = buf != NULL ? cJSON_ParseWithLength(buf, len) : NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	r->kill_switch_active = health_json_bool(o, "kill_switch_active");
	r->forward_proxy_enabled = health_json_bool(o, "forward_proxy_enabled");
	r->pipelock_version = health_json_string(o, "version");
	r->pipelock_mode = health_json_string(o, "mode");
	status = health_json_string(o, "status");
	if (status != NULL && strcmp(status, "healthy") != 0 &&
	    strcmp(status, "ok") != 0) {
		free(r->error);
		r->error = xasprintf("pipelock status: %s", status);
	}
	free(status);
	cJSON_Delete(o);
	return 0;
}

void health_service_result_release(struct health_service_result *r)
{
	free(r->name);
	free(r->error);
	free(r->pipelock_version);
	free(r->pipelock_mode);
	memset(r, 0, sizeof *r);
}

/* ---- sockets and the timer ------------------------------------------------
 */

static void health_drain(struct health *h);

static void health_unref(struct health *h)
{
	if (--h->open_handles == 0)
		free(h);
}

static void health_on_handle_close(uv_handle_t *handle)
{
	health_unref(handle->data);
}

static void health_on_sock_close(uv_handle_t *handle)
{
	free(handle->data);
}

/* HEALTH_UNLINK: take e out of the doubly linked list that head starts. */
#define HEALTH_UNLINK(head, e)                                                 \
	do {                                                                   \
		if ((e)->prev != NULL)                                         \
			(e)->prev->next = (e)->next;                           \
		else                                                           \
			(head) = (e)->next;                                    \
		if ((e)->next != NULL)                                         \
			(e)->next->prev = (e)->prev;                           \
	} while (0)

static void health_sock_close(struct health_sock *hs)
{
	HEALTH_UNLINK(hs->h->socks, hs);
	uv_close((uv_handle_t *)&hs->poll, health_on_sock_close);
}

static void health_on_poll(uv_poll_t *poll, int status, int events)
{
	struct health_sock *hs = poll->data;
	struct health *h = hs->h;
	int flags = 0, running;

	if (h->dead)
		return;
	if (status < 0)
		flags |= CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, hs->fd, flags, &running);
	health_drain(h);
}

static void health_on_timer(uv_timer_t *timer)
{
	struct health *h = timer->data;
	int running;

	if (h->dead)
		return;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	health_drain(h);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching s. Called from
 * inside curl: only libuv and curl_multi_assign here. */
static int health_on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
			    void *socketp)
{
	struct health *h = userp;
	struct health_sock *hs = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			health_sock_close(hs);
			if (!h->dead)
				curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (hs == NULL) {
		hs = xcalloc(1, sizeof *hs);
		if (uv_poll_init_socket(h->loop, &hs->poll, s) != 0) {
			free(hs);
			return -1;
		}
		hs->poll.data = hs;
		hs->fd = s;
		hs->h = h;
		hs->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = hs;
		h->socks = hs;
		curl_multi_assign(h->multi, s, hs);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&hs->poll, events, health_on_poll);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 is a real timeout that
 * fires on the next loop iteration. Called from inside curl. */
static int health_on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct health *h = userp;

	(void)multi;
	if (timeout_ms < 0 || h->dead)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, health_on_timer, (uint64_t)timeout_ms,
			       0);
	return 0;
}

/* ---- batches ----------------------------------------------------------------
 */

static void health_batch_unlink(struct health_batch *b)
{
	HEALTH_UNLINK(b->h->batches, b);
	b->prev = b->next = NULL;
}

/* health_batch_free: abort what is still running and free everything. */
static void health_batch_free(struct health_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct health_req *req = &b->reqs[i];
		if (req->easy != NULL) {
			if (b->h->multi != NULL)
				curl_multi_remove_handle(b->h->multi,
							 req->easy);
			curl_easy_cleanup(req->easy);
		}
		buf_release(&req->body);
		health_service_result_release(&b->res[i]);
	}
	free(b->reqs);
	free(b->res);
	free(b);
}

/* health_batch_settle: report and free b if nothing is left to wait for. */
static void health_batch_settle(struct health_batch *b)
{
	struct health_report rep;
	size_t i;

	if (b->pending > 0)
		return;
	memset(&rep, 0, sizeof rep);
	rep.services = b->res;
	rep.n = b->n;
	rep.all_ok = 1;
	rep.at_ms = util_wall_ms();
	for (i = 0; i < b->n; i++) {
		if (!b->res[i].ok)
			rep.all_ok = 0;
		if (b->res[i].kill_switch_active == 1)
			rep.kill_switch = 1;
	}
	if (rep.kill_switch)
		rep.all_ok = 0;
	health_batch_unlink(b);
	b->done(&rep, b->data);
	health_batch_free(b);
}

static void health_on_defer(uv_timer_t *timer)
{
	struct health *h = timer->data;
	struct health_batch *b;

	for (;;) {
		if (h->dead)
			return;
		for (b = h->batches; b != NULL && b->pending > 0; b = b->next)
			;
		if (b == NULL)
			return;
		health_batch_settle(b); /* unlinks b: the scan restarts */
	}
}

/* ---- one transfer
 * ------------------------------------------------------------- */

static size_t health_on_write(char *p, size_t size, size_t nmemb, void *data)
{
	struct health_req *req = data;
	size_t n = size * nmemb;

	if (!req->pipelock)
		return n; /* only pipelock's body is read */
	if (req->body.len + n > HEALTH_BODY_MAX) {
		req->body_over = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	buf_add(&req->body, p, n);
	return n;
}

static char *health_error(struct health_req *req, CURLcode rc)
{
	long os_errno = 0;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return xstrdup("timeout");
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED)
			return xstrdup("connection refused");
		if (os_errno != 0)
			return xasprintf("cannot connect: %s",
					 strerror((int)os_errno));
		return xstrdup("cannot connect");
	case CURLE_WRITE_ERROR:
		if (req->body_over)
			return xasprintf("response over %zu KiB",
					 HEALTH_BODY_MAX >> 10);
		break;
	case CURLE_GOT_NOTHING:
		return xstrdup("empty reply");
	default:
		break;
	}
	if (req->errbuf[0] != '\0')
		return xstrndup(req->errbuf, HEALTH_ERROR_MAX);
	return xstrdup(curl_easy_strerror(rc));
}

/* health_req_finish: fill the service's result from the finished
 * transfer and release the easy handle. */
static void health_req_finish(struct health_req *req, CURLcode rc)
{
	struct health_batch *b = req->batch;
	struct health_service_result *r = &b->res[req->index];
	long code = 0;

	r->latency_ms = util_mono_ms() - req->t0;
	if (!req->connect_only)
		curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &code);
	r->http_status = code;
	if (rc != CURLE_OK) {
		r->error = health_error(req, rc);
	} else if (req->connect_only) {
		r->ok = 1;
	} else if (code < 200 || code > 299) {
		r->error = xasprintf("HTTP %ld", code);
	} else if (req->pipelock &&
		   health_parse_pipelock(req->body.data, req->body.len, r) !=
		       0) {
		r->error = xstrdup("pipelock health: not a JSON object");
	} else {
		r->ok = r->error == NULL;
	}
	curl_multi_remove_handle(b->h->multi, req->easy);
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	buf_release(&req->body);
	b->pending--;
}

/* health_drain: complete every finished transfer and settle batches. A
 * done callback may call health_free: stop as soon as h is dead. */
static void health_drain(struct health *h)
{
	struct health_req *req;
	char *priv;
	CURLMsg *m;
	CURLcode rc;
	CURL *easy;
	int left;

	while (!h->dead &&
	       (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		rc = m->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv == NULL)
			continue;
		req = (struct health_req *)(void *)priv;
		health_req_finish(req, rc);
		health_batch_settle(req->batch);
	}
}

static char *health_url(const char *ip, const struct health_service_target *t)
{
	const char *path = t->path ? t->path : "/";
	int v6 = strchr(ip, ':') != NULL;

	return xasprintf("http://%s%s%s:%d%s%s", v6 ? "[" : "", ip,
			 v6 ? "]" : "", t->port, path[0] == '/' ? "" : "/",
			 path);
}

/* health_req_init: the easy handle for one service; -1 when curl could
 * not make one. */
static int health_req_init(struct health_req *req, const char *ip,
			   const struct health_service_target *t,
			   uint64_t timeout_ms)
{
	char *url;
	long ms = timeout_ms > 0 ? (long)timeout_ms : 1;

	req->easy = curl_easy_init();
	if (req->easy == NULL)
		return -1;
	req->connect_only = t->path == NULL;
	req->pipelock = t->pipelock && !req->connect_only;
	url = health_url(ip, t);
	curl_easy_setopt(req->easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(req->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(req->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(req->easy, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(req->easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(req->easy, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(req->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(req->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(req->easy, CURLOPT_USERAGENT,
			 "bottle/" BOTTLE_VERSION);
	curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, health_on_write);
	curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
	if (req->connect_only)
		curl_easy_setopt(req->easy, CURLOPT_CONNECT_ONLY, 1L);
	return 0;
}

/* ---- the API
 * ------------------------------------------------------------------ */

struct health *health_new(uv_loop_t *loop)
{
	static int curl_ready;
	struct health *h = xcalloc(1, sizeof *h);

	if (!curl_ready) {
		/* once per process, never cleaned up: cheap, and OpenSSL
		 * cannot be initialised again after a cleanup */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	h->loop = loop;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		fatal("health: curl_multi_init failed");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, health_on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
			  health_on_timer_set);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->defer);
	h->timer.data = h;
	h->defer.data = h;
	h->open_handles = 2;
	return h;
}

int health_check(struct health *h, const char *ip,
		 const struct health_service_target *t, size_t n,
		 uint64_t timeout_ms, health_done_cb done, void *data)
{
	struct health_batch *b;
	uint64_t now = util_mono_ms();
	CURLMcode mc;
	size_t i;

	if (h == NULL || h->dead || done == NULL)
		return -1;
	b = xcalloc(1, sizeof *b);
	b->h = h;
	b->n = n;
	b->reqs = xcalloc(n ? n : 1, sizeof *b->reqs);
	b->res = xcalloc(n ? n : 1, sizeof *b->res);
	b->done = done;
	b->data = data;
	for (i = 0; i < n; i++) {
		b->res[i].name = xstrdup(t[i].name ? t[i].name : "");
		b->res[i].kill_switch_active = -1;
		b->res[i].forward_proxy_enabled = -1;
		b->reqs[i].batch = b;
		b->reqs[i].index = i;
		b->reqs[i].t0 = now;
		if (health_req_init(&b->reqs[i], ip, &t[i], timeout_ms) != 0) {
			health_batch_free(b);
			return -1;
		}
	}
	b->next = h->batches;
	if (h->batches != NULL)
		h->batches->prev = b;
	h->batches = b;
	for (i = 0; i < n; i++) {
		mc = curl_multi_add_handle(h->multi, b->reqs[i].easy);
		if (mc == CURLM_OK) {
			b->pending++;
			continue;
		}
		b->res[i].error =
		    xasprintf("curl: %s", curl_multi_strerror(mc));
		curl_easy_cleanup(b->reqs[i].easy);
		b->reqs[i].easy = NULL;
	}
	if (b->pending == 0)
		uv_timer_start(&h->defer, health_on_defer, 0, 0);
	return 0;
}

void health_free(struct health *h)
{
	struct health_batch *b;

	if (h == NULL || h->dead)
		return;
	h->dead = 1;
	while ((b = h->batches) != NULL) {
		health_batch_unlink(b);
		health_batch_free(b);
	}
	curl_multi_cleanup(h->multi); /* removes its sockets: REMOVE calls */
	h->multi = NULL;
	while (h->socks != NULL) /* anything curl left behind */
		health_sock_close(h->socks);
	uv_close((uv_handle_t *)&h->timer, health_on_handle_close);
	uv_close((uv_handle_t *)&h->defer, health_on_handle_close);
}
