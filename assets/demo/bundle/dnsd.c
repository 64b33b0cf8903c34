/* dnsd: the demo bundle's resolver, a filtering one that resolves
 * nothing. Static, libc only.
 *
 *   dnsd ADDR PORT
 *
 * Answers every DNS query on UDP ADDR:PORT with REFUSED (rcode 5) and no
 * record, at once. A bottle's VM is created with --dns B from smolvm
 * 1.2.5: the VMM's gateway forwards the guest's queries to B:53, and a
 * bundle with a filtering resolver there keeps guest DNS from the outside
 * (smolvm-1.9.md §6.3). Without one the VMM waits its 2 s upstream
 * timeout before it answers SERVFAIL; the verdict is the same (no name
 * resolves), only slower.
 *
 * A datagram that is not a query (shorter than a header, QR set) is
 * dropped. The answer is the query's header and question with QR, RA and
 * the rcode set and every other section dropped; a question it cannot
 * walk is answered FORMERR with the header alone. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNS_HDR 12
#define RCODE_FORMERR 1
#define RCODE_REFUSED 5

/* question_end: the offset just past the first question, or 0. */
static size_t question_end(const unsigned char *q, size_t n)
{
	size_t i = DNS_HDR;

	while (i < n && q[i] != 0) {
		if ((q[i] & 0xc0) != 0) /* no compression in a question */
			return 0;
		i += (size_t)q[i] + 1;
	}
	if (i >= n)
		return 0;
	i += 1 + 4; /* the root label, QTYPE, QCLASS */
	return i <= n ? i : 0;
}

/* answer: the reply to query q (n bytes) in a; its length, 0 to drop. */
static size_t answer(const unsigned char *q, size_t n, unsigned char *a)
{
	size_t end;
	int qd;

	if (n < DNS_HDR || (q[2] & 0x80) != 0)
		return 0;
	qd = (q[4] << 8) | q[5];
	end = qd == 1 ? question_end(q, n) : 0;
	memcpy(a, q, end ? end : DNS_HDR);
	a[2] = (unsigned char)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
	a[3] = (unsigned char)(0x80 | (end ? RCODE_REFUSED : RCODE_FORMERR));
	a[4] = 0;
	a[5] = end ? 1 : 0;
	memset(a + 6, 0, 6); /* no answer, authority or additional */
	return end ? end : DNS_HDR;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa, from;
	unsigned char q[4096], a[4096];
	socklen_t flen;
	ssize_t n;
	size_t len;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dnsd ADDR PORT\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "dnsd: %s: not an IPv4 address\n", argv[1]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		perror("dnsd");
		return 1;
	}
	for (;;) {
		flen = sizeof from;
		n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from,
			     &flen);
		if (n <= 0)
			continue;
		len = answer(q, (size_t)n, a);
		if (len > 0)
			(void)sendto(fd, a, len, 0, (struct sockaddr *)&from,
				     flen);
	}
}
