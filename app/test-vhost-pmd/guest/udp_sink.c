/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vpt-udp-sink: the test guest's UDP receiver (busybox's nc has no UDP).
 * Static, no DPDK: it runs in the guest's busybox initramfs.
 *
 *   vpt-udp-sink PORT COUNT SECONDS OUT
 *
 * Binds UDP PORT, prints "UDPSINK LISTEN", then appends the payload of
 * each datagram to OUT until COUNT datagrams came or SECONDS passed, and
 * prints "UDPSINK datagrams=N bytes=B min=S max=L". Exit status 0 if COUNT
 * came.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long count, got = 0, bytes = 0, min = 0, max = 0;
	int fd, rcvbuf = 16 << 20;
	long end;
	FILE *out;

	if (argc != 5) {
		fprintf(stderr, "usage: vpt-udp-sink PORT COUNT SECONDS OUT\n");
		return 2;
	}
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	count = strtoul(argv[2], NULL, 0);
	end = now_ms() + atol(argv[3]) * 1000L;
	out = fopen(argv[4], "w");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (out == NULL || fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("vpt-udp-sink");
		return 1;
	}
	printf("UDPSINK LISTEN\n");
	fflush(stdout);
	while (got < count && now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		/* MSG_TRUNC: the datagram's real length, even if longer than buf */
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0)
			continue;
		if ((size_t)n > sizeof(buf)) {
			fprintf(stderr, "vpt-udp-sink: %zd-byte datagram\n", n);
			return 1;
		}
		fwrite(buf, 1, (size_t)n, out);
		got++;
		bytes += (unsigned long)n;
		if (min == 0 || (unsigned long)n < min)
			min = (unsigned long)n;
		if ((unsigned long)n > max)
			max = (unsigned long)n;
	}
	fclose(out);
	printf("UDPSINK datagrams=%lu bytes=%lu min=%lu max=%lu\n", got, bytes, min, max);
	return got == count ? 0 : 1;
}
