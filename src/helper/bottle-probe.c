/* bottle-probe: the in-VM probe helper. Static, libc only, IPv4 literals.
 *
 *   bottle-probe connect HOST PORT TIMEOUT_MS
 *   bottle-probe version
 *
 * connect makes one non-blocking TCP connect and prints exactly one line:
 *
 *   bottle-probe connect HOST PORT result=R errno=NAME(NUM) ms=N
 *
 * and exits 0 when connected, 1 when not, 2 on a usage error (message on
 * stderr, nothing on stdout). R is chosen from errno:
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
 * ms is the time from socket() to the verdict. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_FORMAT_VERSION 1

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

/* probe_connect: 0 when connected, else the errno that stopped it. */
static int probe_connect(const struct sockaddr_in *sin, long timeout_ms)
{
	long deadline = probe_ms() + timeout_ms, left;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, e = 0, n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) == 0)
		goto out;
	e = errno;
	if (e != EINPROGRESS && e != EINTR)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		left = deadline - probe_ms();
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			break;
		if (n == 0 || errno != EINTR) {
			e = n == 0 ? ETIMEDOUT : errno;
			goto out;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
out:
	close(fd);
	return e;
}

static int probe_usage(const char *why)
{
	fprintf(stderr,
		"bottle-probe: %s\n"
		"usage: bottle-probe connect IPV4 PORT TIMEOUT_MS\n"
		"       bottle-probe version\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	const char *name = "unknown", *result = "error";
	long port, timeout_ms, t0;
	size_t i;
	int e;

	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("bottle-probe %d\n", PROBE_FORMAT_VERSION);
		return 0;
	}
	if (argc != 5 || strcmp(argv[1], "connect") != 0)
		return probe_usage("expected connect or version");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1)
		return probe_usage("HOST: expected an IPv4 address");
	if ((port = probe_number(argv[3], 1, 65535)) < 0)
		return probe_usage("PORT: expected 1-65535");
	if ((timeout_ms = probe_number(argv[4], 1, 3600000)) < 0)
		return probe_usage("TIMEOUT_MS: expected 1-3600000");
	sin.sin_port = htons((unsigned short)port);

	t0 = probe_ms();
	e = probe_connect(&sin, timeout_ms);
	for (i = 0; i < sizeof probe_errors / sizeof probe_errors[0]; i++) {
		if (probe_errors[i].num == e) {
			name = probe_errors[i].name;
			result = probe_errors[i].result;
			break;
		}
	}
	printf("bottle-probe connect %s %ld result=%s errno=%s(%d) ms=%ld\n",
	       argv[2], port, result, name, e, probe_ms() - t0);
	return e == 0 ? 0 : 1;
}
