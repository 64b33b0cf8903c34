/* bottle-probe: the in-VM probe helper. Static, libc only, IPv4 literals.
 *
 *   bottle-probe connect HOST PORT TIMEOUT_MS [HOST PORT]...
 *   bottle-probe version
 *
 * connect makes one non-blocking TCP connect per target, all at once and
 * all bounded by TIMEOUT_MS, and prints exactly one line per target, in
 * argument order, once every target is settled:
 *
 *   bottle-probe connect HOST PORT result=R errno=NAME(NUM) ms=N [reply=K]
 *
 * and exits 0 when every target connected, 1 when one did not, 2 on a
 * usage error or when it cannot run (message on stderr, nothing on
 * stdout). R is chosen from the connect's errno:
 *
 *   connected   no error; errno=none(0)
 *   refused     ECONNREFUSED: something answered with a reset
 *   denied      EACCES, EPERM: a policy refused it (smolvm TSI gives
 *               EACCES; a netfilter DROP on output gives EPERM)
 *   timeout     ETIMEDOUT, or no answer within TIMEOUT_MS
 *               (errno=ETIMEDOUT(110) then)
 *   error       anything else, e.g. ENETUNREACH, EHOSTUNREACH (also what
 *               a netfilter REJECT with ICMP "prohibited" gives); an errno
 *               missing from the table below prints as unknown(NUM)
 *
 * A connect proves little on its own: under smolvm's virtio-net a connect
 * to an allowed address always succeeds (the VMM dials afterwards). So a
 * connected target is then talked to: the helper sends one HTTP request
 * ("GET /health HTTP/1.0") and reads what comes back before the deadline:
 *
 *   reply=http(NNN)   an HTTP status line: a real service answered
 *   reply=data(N)     N bytes that are not an HTTP status line
 *   reply=eof         closed with no byte
 *   reply=reset       reset with no byte (a closed port behind the VMM)
 *   reply=silent      nothing before the deadline
 *
 * A PORT written PORT/canary makes the target bottle's canary on the host's
 * loopback: instead of the HTTP request the helper sends
 * "bottle-canary NONCE\n", NONCE being the first line of its standard
 * input (1-64 of [0-9A-Za-z]; read once, whatever the number of such
 * targets). The nonce never travels on an argv: with it the canary tells
 * this probe's connection from any other local connection. The canary
 * answers "bottle-canary ok\n" (reply=data(17)). Without a nonce on stdin
 * a PORT/canary is a usage error.
 *
 * A PORT written PORT/udp:NAME or PORT/tcp:NAME makes the target a DNS query
 * for NAME's A record over UDP or TCP instead. Its result is that of the
 * (UDP: pseudo-) connect, and when connected reply= says what came back:
 *
 *   reply=dns(RCODE,N)  an answer with that rcode and N answer records
 *   reply=eof, reset, silent, data(N) (not a DNS answer to our query)
 *
 * ms is the time from the target's socket() to its connect's verdict. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROBE_FORMAT_VERSION 3
#define PROBE_NONCE_MAX 64
#define PROBE_REPLY_MAX 512
#define PROBE_NAME_MAX 253
#define PROBE_MAX_TARGETS 1024
#define PROBE_SPARE_FDS 16 /* stdio and whatever libc needs */

static const struct {
	int num;
	const char *name;
	const char *result;
} probe_errors[] = {
    {0, "none", "connected"},
    {ECONNREFUSED, "ECONNREFUSED", "refused"},
    {EACCES, "EACCES", "denied"},
    {EPERM, "EPERM", "denied"},
    {ETIMEDOUT, "ETIMEDOUT", "timeout"},
    {ENETUNREACH, "ENETUNREACH", "error"},
    {EHOSTUNREACH, "EHOSTUNREACH", "error"},
    {ENETDOWN, "ENETDOWN", "error"},
    {ECONNRESET, "ECONNRESET", "error"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL", "error"},
};

enum probe_kind { PROBE_TCP, PROBE_DNS_UDP, PROBE_DNS_TCP };

enum probe_phase { PROBE_CONNECTING, PROBE_TALKING, PROBE_DONE };

/* One target: its address, and once settled its errno, time and reply. */
struct probe_conn {
	const char *host;      /* borrowed from argv */
	const char *port_word; /* borrowed from argv, printed as given */
	long port;
	enum probe_kind kind;
	const char *name; /* DNS: the name queried (in argv) */
	struct sockaddr_in sin;
	long t0;
	long ms;
	int err;
	enum probe_phase phase;
	unsigned char q[PROBE_NAME_MAX + 20]; /* the request (> 14 + nonce) */
	size_t qlen, qsent;
	unsigned char r[PROBE_REPLY_MAX]; /* what came back */
	size_t rlen;
	int reply_err; /* 0, ECONNRESET, ETIMEDOUT (silent) */
	int reply_eof;
};

static long probe_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* probe_number: a decimal in [min, max], or -1. */
static long probe_number(const char *s, long min, long max)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

static int probe_usage(const char *why)
{
	fprintf(stderr,
		"bottle-probe: %s\n"
		"usage: bottle-probe connect IPV4 PORT TIMEOUT_MS "
		"[IPV4 PORT]...\n"
		"       (PORT: 1-65535, PORT/udp:NAME, PORT/tcp:NAME, or\n"
		"        PORT/canary with a nonce on stdin)\n"
		"       bottle-probe version\n",
		why);
	return 2;
}

/* probe_dns_query: a standard query for NAME's A record into t->q (with
 * the two-byte length prefix for TCP). 0, or -1 when NAME is no name. */
static int probe_dns_query(struct probe_conn *t)
{
	unsigned char *q = t->q + (t->kind == PROBE_DNS_TCP ? 2 : 0);
	const char *p = t->name, *dot;
	size_t n = 0, label, len = strlen(t->name);
	static const unsigned char head[12] = {0xb0, 0x77, 0x01, 0x00, 0, 1,
					       0,    0,	   0,	 0,    0, 0};

	if (len == 0 || len > PROBE_NAME_MAX)
		return -1;
	memcpy(q, head, sizeof head);
	n = sizeof head;
	while (*p != '\0') {
		dot = strchr(p, '.');
		label = dot ? (size_t)(dot - p) : strlen(p);
		if (label == 0 || label > 63)
			return -1;
		q[n++] = (unsigned char)label;
		memcpy(q + n, p, label);
		n += label;
		p += label + (dot != NULL);
		if (dot != NULL && *p == '\0')
			break; /* a trailing dot */
	}
	q[n++] = 0;
	q[n++] = 0; /* QTYPE A */
	q[n++] = 1;
	q[n++] = 0; /* QCLASS IN */
	q[n++] = 1;
	if (t->kind == PROBE_DNS_TCP) {
		t->q[0] = (unsigned char)(n >> 8);
		t->q[1] = (unsigned char)n;
		n += 2;
	}
	t->qlen = n;
	return 0;
}

/* probe_nonce: the nonce from stdin's first line (read once, bounded by
 * timeout_ms), or NULL when there is none. */
static const char *probe_nonce(long timeout_ms)
{
	static char nonce[PROBE_NONCE_MAX + 2];
	static int read_once;
	struct pollfd p = {.fd = 0, .events = POLLIN};
	long deadline = probe_ms() + timeout_ms, left;
	size_t len = 0, i;
	ssize_t n;

	if (read_once)
		return nonce[0] ? nonce : NULL;
	read_once = 1;
	while (len < sizeof nonce - 1 && memchr(nonce, '\n', len) == NULL) {
		left = deadline - probe_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(0, nonce + len, sizeof nonce - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	nonce[len] = '\0';
	nonce[strcspn(nonce, "\r\n")] = '\0';
	for (i = 0; nonce[i] != '\0'; i++) {
		char c = nonce[i];
		if (i >= PROBE_NONCE_MAX ||
		    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z'))) {
			nonce[0] = '\0';
			break;
		}
	}
	return nonce[0] ? nonce : NULL;
}

/* probe_parse_port: PORT, or PORT/udp:NAME, PORT/tcp:NAME, PORT/canary. */
static int probe_parse_port(struct probe_conn *t, const char *port,
			    long timeout_ms)
{
	const char *nonce;

	char num[8];
	const char *slash = strchr(port, '/');
	size_t n = slash ? (size_t)(slash - port) : strlen(port);

	t->port_word = port;
	t->kind = PROBE_TCP;
	if (n == 0 || n >= sizeof num)
		return probe_usage("PORT: expected 1-65535");
	memcpy(num, port, n);
	num[n] = '\0';
	if ((t->port = probe_number(num, 1, 65535)) < 0)
		return probe_usage("PORT: expected 1-65535");
	if (slash == NULL) {
		t->qlen = (size_t)snprintf((char *)t->q, sizeof t->q,
					   "GET /health HTTP/1.0\r\n\r\n");
		return 0;
	}
	if (strcmp(slash, "/canary") == 0) {
		if ((nonce = probe_nonce(timeout_ms)) == NULL)
			return probe_usage(
			    "PORT/canary needs a nonce on stdin");
		t->qlen = (size_t)snprintf((char *)t->q, sizeof t->q,
					   "bottle-canary %s\n", nonce);
		return 0;
	}
	if (strncmp(slash, "/udp:", 5) == 0)
		t->kind = PROBE_DNS_UDP;
	else if (strncmp(slash, "/tcp:", 5) == 0)
		t->kind = PROBE_DNS_TCP;
	else
		return probe_usage("PORT: expected PORT/udp:NAME, "
				   "PORT/tcp:NAME or PORT/canary");
	t->name = slash + 5;
	return probe_dns_query(t) == 0
		   ? 0
		   : probe_usage("PORT/udp:NAME needs a DNS name");
}

/* probe_parse_target: t from HOST and PORT; 0, or a usage error's exit. */
static int probe_parse_target(struct probe_conn *t, const char *host,
			      const char *port, long timeout_ms)
{
	int rc;

	t->host = host;
	t->sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &t->sin.sin_addr) != 1)
		return probe_usage("HOST: expected an IPv4 address");
	if ((rc = probe_parse_port(t, port, timeout_ms)) != 0)
		return rc;
	t->sin.sin_port = htons((unsigned short)t->port);
	return 0;
}

/* probe_enough_fds: raise the open-file limit to n + spare, or fail. */
static int probe_enough_fds(size_t n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + PROBE_SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
			return -1;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return -1;
	}
	return 0;
}

static void probe_close(struct probe_conn *t, struct pollfd *pfd)
{
	t->phase = PROBE_DONE;
	if (pfd->fd >= 0)
		close(pfd->fd);
	pfd->fd = -1; /* poll skips it */
}

/* probe_connected: the connect settled with err; talk when it worked. */
static void probe_connected(struct probe_conn *t, struct pollfd *pfd, int err)
{
	if (err == ECONNRESET || err == EPIPE) {
		/* a reset before we polled: only an established connection
		 * is reset (a refused connect is ECONNREFUSED), so this is
		 * "connected, then reset with nothing answered" */
		t->err = 0;
		t->ms = probe_ms() - t->t0;
		t->reply_err = ECONNRESET;
		probe_close(t, pfd);
		return;
	}
	t->err = err;
	t->ms = probe_ms() - t->t0;
	if (err != 0) {
		probe_close(t, pfd);
		return;
	}
	t->phase = PROBE_TALKING;
	pfd->events = POLLOUT | POLLIN;
}

/* probe_start: open t's socket and begin its connect; settles the
 * connect when the answer is immediate. */
static void probe_start(struct probe_conn *t, struct pollfd *pfd)
{
	int type = t->kind == PROBE_DNS_UDP ? SOCK_DGRAM : SOCK_STREAM;

	t->t0 = probe_ms();
	t->phase = PROBE_CONNECTING;
	pfd->events = POLLOUT;
	pfd->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd->fd < 0) {
		t->phase = PROBE_DONE;
		t->err = errno;
		t->ms = probe_ms() - t->t0;
		return;
	}
	if (connect(pfd->fd, (const struct sockaddr *)&t->sin, sizeof t->sin) ==
	    0)
		probe_connected(t, pfd, 0);
	else if (errno != EINPROGRESS && errno != EINTR)
		probe_connected(t, pfd, errno);
}

/* probe_reply_done: enough came back to tell what answered. */
static int probe_reply_done(const struct probe_conn *t)
{
	size_t need;

	if (t->rlen >= sizeof t->r)
		return 1;
	if (t->kind == PROBE_TCP)
		return memchr(t->r, '\n', t->rlen) != NULL;
	if (t->kind == PROBE_DNS_UDP)
		return t->rlen > 0; /* one datagram */
	if (t->rlen < 2)
		return 0;
	need = 2 + ((size_t)t->r[0] << 8 | t->r[1]);
	return t->rlen >= (need < 14 ? 14 : need) || t->rlen >= sizeof t->r;
}

/* probe_talk: send what is left of the request, read what is there. */
static void probe_talk(struct probe_conn *t, struct pollfd *pfd, short rev)
{
	ssize_t n;

	if ((rev & POLLOUT) && t->qsent < t->qlen) {
		n = send(pfd->fd, t->q + t->qsent, t->qlen - t->qsent,
			 MSG_NOSIGNAL);
		if (n > 0)
			t->qsent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			t->reply_err = errno;
			probe_close(t, pfd);
			return;
		}
		if (t->qsent == t->qlen)
			pfd->events = POLLIN;
	}
	if (!(rev & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = recv(pfd->fd, t->r + t->rlen, sizeof t->r - t->rlen, 0);
	if (n > 0) {
		t->rlen += (size_t)n;
		if (probe_reply_done(t))
			probe_close(t, pfd);
	} else if (n == 0) {
		t->reply_eof = 1;
		probe_close(t, pfd);
	} else if (errno != EAGAIN && errno != EINTR) {
		t->reply_err = errno;
		probe_close(t, pfd);
	}
}

/* probe_wait: poll every pending target until all are settled or the
 * deadline passes (then connects time out and replies are silent). */
static void probe_wait(struct probe_conn *t, struct pollfd *pfd, size_t n,
		       long deadline)
{
	socklen_t len;
	size_t i, pending;
	long left;
	int e, r;

	for (;;) {
		for (i = 0, pending = 0; i < n; i++)
			pending += t[i].phase != PROBE_DONE;
		if (pending == 0)
			return;
		left = deadline - probe_ms();
		r = poll(pfd, (nfds_t)n, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			if (t[i].phase == PROBE_DONE)
				continue;
			if (r <= 0) {
				e = r == 0 ? ETIMEDOUT : errno;
				if (t[i].phase == PROBE_CONNECTING)
					probe_connected(&t[i], &pfd[i], e);
				t[i].reply_err = ETIMEDOUT;
				probe_close(&t[i], &pfd[i]);
			} else if (pfd[i].revents == 0) {
				continue;
			} else if (t[i].phase == PROBE_CONNECTING) {
				len = sizeof e;
				if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR,
					       &e, &len) != 0)
					e = errno;
				probe_connected(&t[i], &pfd[i], e);
			} else {
				probe_talk(&t[i], &pfd[i], pfd[i].revents);
			}
		}
	}
}

/* probe_http_status: NNN of an "HTTP/1.x NNN" status line, else -1. */
static int probe_http_status(const unsigned char *r, size_t len)
{
	if (len < 12 || memcmp(r, "HTTP/1.", 7) != 0 || r[8] != ' ' ||
	    r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' ||
	    r[11] < '0' || r[11] > '9')
		return -1;
	return (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
}

/* probe_print_dns: reply=dns(RCODE,N) when r answers our query. */
static int probe_print_dns(const struct probe_conn *t)
{
	const unsigned char *r = t->r, *q = t->q;
	size_t len = t->rlen;

	if (t->kind == PROBE_DNS_TCP) {
		if (len < 2)
			return -1;
		r += 2;
		len -= 2;
		q += 2;
	}
	/* same id, a response (QR), our question count */
	if (len < 12 || r[0] != q[0] || r[1] != q[1] || !(r[2] & 0x80))
		return -1;
	printf(" reply=dns(%d,%d)", r[3] & 0x0f, r[6] << 8 | r[7]);
	return 0;
}

static void probe_print_reply(const struct probe_conn *t)
{
	int status;

	if (t->err != 0)
		return;
	if (t->rlen > 0) {
		if (t->kind != PROBE_TCP && probe_print_dns(t) == 0)
			return;
		status = t->kind == PROBE_TCP ? probe_http_status(t->r, t->rlen)
					      : -1;
		if (status >= 0)
			printf(" reply=http(%d)", status);
		else
			printf(" reply=data(%zu)", t->rlen);
	} else if (t->reply_eof) {
		printf(" reply=eof");
	} else if (t->reply_err == ETIMEDOUT) {
		printf(" reply=silent");
	} else if (t->reply_err != 0) {
		printf(" reply=reset");
	} else {
		printf(" reply=silent");
	}
}

static void probe_print(const struct probe_conn *t)
{
	const char *name = "unknown", *result = "error";
	size_t i;

	for (i = 0; i < sizeof probe_errors / sizeof probe_errors[0]; i++) {
		if (probe_errors[i].num == t->err) {
			name = probe_errors[i].name;
			result = probe_errors[i].result;
			break;
		}
	}
	printf("bottle-probe connect %s %s result=%s errno=%s(%d) ms=%ld",
	       t->host, t->port_word, result, name, t->err, t->ms);
	probe_print_reply(t);
	printf("\n");
}

static int probe_connect_all(int argc, char **argv)
{
	struct probe_conn *t;
	struct pollfd *pfd;
	size_t i, n = (size_t)(argc - 3) / 2;
	long timeout_ms, deadline;
	int rc = 0;

	if (n > PROBE_MAX_TARGETS)
		return probe_usage("too many targets (at most 1024)");
	if ((timeout_ms = probe_number(argv[4], 1, 3600000)) < 0)
		return probe_usage("TIMEOUT_MS: expected 1-3600000");
	t = calloc(n, sizeof *t);
	pfd = calloc(n, sizeof *pfd);
	if (t == NULL || pfd == NULL) {
		fprintf(stderr, "bottle-probe: out of memory\n");
		return 2;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = probe_parse_target(&t[i], argv[i ? 3 + 2 * i : 2],
					argv[i ? 4 + 2 * i : 3], timeout_ms);
	if (rc == 0 && probe_enough_fds(n) != 0)
		rc = probe_usage("too many targets for the open-file limit");
	if (rc == 0) {
		deadline = probe_ms() + timeout_ms;
		for (i = 0; i < n; i++)
			probe_start(&t[i], &pfd[i]);
		probe_wait(t, pfd, n, deadline);
		for (i = 0; i < n; i++) {
			probe_print(&t[i]);
			rc |= t[i].err != 0;
		}
	}
	free(t);
	free(pfd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("bottle-probe %d\n", PROBE_FORMAT_VERSION);
		return 0;
	}
	if (argc < 5 || (argc - 5) % 2 != 0 || strcmp(argv[1], "connect") != 0)
		return probe_usage("expected connect or version");
	return probe_connect_all(argc, argv);
}
