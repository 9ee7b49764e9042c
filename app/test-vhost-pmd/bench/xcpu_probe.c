/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * xcpu-probe SECS: the cache-line round trip between CPU 0 and CPU 1 while
 * a benchmark runs on them. On a virtual machine the two vCPUs may sit on
 * nearby or on distant physical cores, and the hypervisor moves them: the
 * round trip was seen to switch between ~120 and ~480 ns every few seconds
 * here, and every cross-core miss of the vhost path with it. ./run bench
 * runs this beside each run and reports it, so that a ratio can be read
 * against the placement each side drew.
 *
 * Every 200 ms both threads (SCHED_FIFO when allowed, so that they preempt
 * the pollers at once) bounce one line for 1 ms: 0.5 % of each CPU.
 * Output: "XCPU samples=N median_ns=M min_ns=A max_ns=B".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PERIOD_NS	200000000ull
#define WINDOW_NS	1000000ull
#define MAX_SAMPLES	4096

static volatile uint64_t line[8] __attribute__((aligned(64)));
static volatile int stop;
static uint64_t t_start;	/* CLOCK_MONOTONIC ns of the first window */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ull, .tv_nsec = t % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static void
pin(int cpu)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* Not allowed: the sample is then taken when the scheduler lets us. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

/* CPU 1: answers every odd value with the next even one. */
static void *
echo_main(void *arg)
{
	uint64_t w;

	(void)arg;
	pin(1);
	for (w = 0; !stop; w++) {
		uint64_t end;

		sleep_until(t_start + w * PERIOD_NS);
		end = now_ns() + 2 * WINDOW_NS;
		while (now_ns() < end && !stop) {
			uint64_t v = line[0];

			if (v & 1)
				line[0] = v + 1;
		}
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static uint64_t samples[MAX_SAMPLES];
	double secs = argc > 1 ? atof(argv[1]) : 3;
	uint64_t windows = (uint64_t)(secs * 1e9 / PERIOD_NS), w, n = 0;
	uint64_t v = 0;
	pthread_t echo;

	if (windows > MAX_SAMPLES)
		windows = MAX_SAMPLES;
	t_start = now_ns() + PERIOD_NS / 4;
	if (pthread_create(&echo, NULL, echo_main, NULL) != 0)
		return 1;
	pin(0);
	for (w = 0; w < windows; w++) {
		uint64_t t0, end, trips = 0;

		sleep_until(t_start + w * PERIOD_NS);
		t0 = now_ns();
		end = t0 + WINDOW_NS;
		while (now_ns() < end) {
			uint64_t spin = 0;

			line[0] = ++v;		/* odd: the echo answers v + 1 */
			while (line[0] != v + 1 && ++spin < 1000000)
				;
			v++;
			trips++;
		}
		if (trips > 0)
			samples[n++] = (now_ns() - t0) / trips;
	}
	stop = 1;
	pthread_join(echo, NULL);
	if (n == 0) {
		printf("XCPU samples=0\n");
		return 0;
	}
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	printf("XCPU samples=%llu median_ns=%llu min_ns=%llu max_ns=%llu\n",
	       (unsigned long long)n, (unsigned long long)samples[n / 2],
	       (unsigned long long)samples[0], (unsigned long long)samples[n - 1]);
	return 0;
}
