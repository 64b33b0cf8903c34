/* bottle-probe: the in-VM probe helper. Static, libc only, IPv4 literals.
 *
 *   bottle-probe connect HOST PORT TIMEOUT_MS [HOST PORT]...
 *   bottle-probe version
 *
 * connect makes one non-blocking TCP connect per target, all at once and
 * all bounded by TIMEOUT_MS, and prints exactly one line per target, in
 * argument order, once every connect is settled:
 *
 *   bottle-probe connect HOST PORT result=R errno=NAME(NUM) ms=N
 *
 * and exits 0 when every target connected, 1 when one did not, 2 on a
 * usage error or when it cannot run (message on stderr, nothing on
 * stdout). R is chosen from errno:
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
 * ms is the time from the target's socket() to its verdict. */
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
#include <time.h>
#include <unistd.h>

#define PROBE_FORMAT_VERSION 1
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

/* One connect: its address, and once settled its errno and time. */
struct probe_conn {
	const char *host; /* borrowed from argv */
	long port;
	struct sockaddr_in sin;
	long t0;
	long ms;
	int err;
	int done;
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
		"       bottle-probe version\n",
		why);
	return 2;
}

/* probe_parse_target: t from HOST and PORT; 0, or a usage error's exit. */
static int probe_parse_target(struct probe_conn *t, const char *host,
			      const char *port)
{
	t->host = host;
	t->sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &t->sin.sin_addr) != 1)
		return probe_usage("HOST: expected an IPv4 address");
	if ((t->port = probe_number(port, 1, 65535)) < 0)
		return probe_usage("PORT: expected 1-65535");
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

static void probe_settle(struct probe_conn *t, struct pollfd *pfd, int err)
{
	t->err = err;
	t->ms = probe_ms() - t->t0;
	t->done = 1;
	if (pfd->fd >= 0)
		close(pfd->fd);
	pfd->fd = -1; /* poll skips it */
}

/* probe_start: open t's socket and begin its connect; settles t when the
 * answer is immediate. */
static void probe_start(struct probe_conn *t, struct pollfd *pfd)
{
	t->t0 = probe_ms();
	pfd->events = POLLOUT;
	pfd->fd =
	    socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd->fd < 0) {
		probe_settle(t, pfd, errno);
		return;
	}
	if (connect(pfd->fd, (const struct sockaddr *)&t->sin, sizeof t->sin) ==
	    0)
		probe_settle(t, pfd, 0);
	else if (errno != EINPROGRESS && errno != EINTR)
		probe_settle(t, pfd, errno);
}

/* probe_wait: poll every pending connect until all are settled or the
 * deadline passes (then the rest time out). */
static void probe_wait(struct probe_conn *t, struct pollfd *pfd, size_t n,
		       long deadline)
{
	socklen_t len;
	size_t i, pending = 0;
	long left;
	int e, r;

	for (i = 0; i < n; i++)
		pending += !t[i].done;
	while (pending > 0) {
		left = deadline - probe_ms();
		r = poll(pfd, (nfds_t)n, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			if (t[i].done)
				continue;
			if (r <= 0) {
				probe_settle(&t[i], &pfd[i],
					     r == 0 ? ETIMEDOUT : errno);
			} else if (pfd[i].revents != 0) {
				len = sizeof e;
				if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR,
					       &e, &len) != 0)
					e = errno;
				probe_settle(&t[i], &pfd[i], e);
			} else {
				continue;
			}
			pending--;
		}
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
	printf("bottle-probe connect %s %ld result=%s errno=%s(%d) ms=%ld\n",
	       t->host, t->port, result, name, t->err, t->ms);
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
					argv[i ? 4 + 2 * i : 3]);
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
