// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * IPI-heavy workload: two threads pinned to CPU 0 and CPU 1 hand a token
 * back and forth through pipes. Each hand-off wakes a thread sleeping on
 * the other CPU, which takes a reschedule IPI. Prints ns per round trip.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int ab[2], ba[2];
static long rounds;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *echo(void *arg)
{
	char c;

	(void)arg;
	pin(1);
	for (long i = 0; i < rounds; i++) {
		if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
			exit(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t;
	char c = 'x';

	rounds = argc > 1 ? atol(argv[1]) : 20000;
	if (rounds <= 0 || pipe(ab) || pipe(ba))
		return 2;
	pthread_create(&t, NULL, echo, NULL);
	pin(0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < rounds; i++)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / rounds);
	return 0;
}
