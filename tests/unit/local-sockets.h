/* tests/unit/local-sockets.h: sockets on 127.0.0.1 for the unit tests
 * that talk to local servers (test_health, test_probe); included by one
 * test file each, after cmocka.h and util.h. */
#ifndef BOTTLE_TEST_LOCAL_SOCKETS_H
#define BOTTLE_TEST_LOCAL_SOCKETS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* listen_local: a listening socket on 127.0.0.1, its port in *port */
static int listen_local(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* closed_port: a port on 127.0.0.1 that refuses connections: bound (so
 * nothing else gets it) but not listening. Held until the group ends. */
static int closed_fds[64];
static size_t n_closed_fds;

static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(n_closed_fds < UTIL_NELEM(closed_fds));
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	closed_fds[n_closed_fds++] = fd;
	return ntohs(a.sin_port);
}

static int closed_ports_release(void **state)
{
	(void)state;
	while (n_closed_fds > 0)
		close(closed_fds[--n_closed_fds]);
	return 0;
}

#endif
