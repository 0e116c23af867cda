/*
 * Helpers shared by the benchmark programs (bench/, built and run only by `make bench`):
 * a wall clock, a banner describing the machine and build, and the 11-region link matrix
 * used by the flow benchmarks (gaiasim's flow model and the SimGrid peer run the same one).
 *
 * Benchmarks may read the wall clock; the simulator itself never does (it reads sim_now()).
 */
#ifndef GAIA_BENCHUTIL_H
#define GAIA_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Monotonic wall-clock time in seconds. */
static inline double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Print "# machine: ..." lines: online CPUs, CPU model, compiler, assertions, sanitizers. */
static inline void bench_print_machine(const char *bench)
{
	char model[256] = "unknown";
	FILE *fp = fopen("/proc/cpuinfo", "r");
	if (fp) {
		char line[512];
		while (fgets(line, sizeof line, fp)) {
			if (strncmp(line, "model name", 10) != 0)
				continue;
			const char *colon = strchr(line, ':');
			if (colon) {
				snprintf(model, sizeof model, "%s", colon + 1 + (colon[1] == ' '));
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
		fclose(fp);
	}
	printf("# %s: cpus online %ld, cpu model \"%s\"\n", bench, sysconf(_SC_NPROCESSORS_ONLN),
	       model);
#ifdef __VERSION__
	printf("# %s: compiler %s", bench, __VERSION__);
#else
	printf("# %s: compiler unknown", bench);
#endif
#ifdef __OPTIMIZE__
	printf(", optimised");
#else
	printf(", NOT optimised (figures meaningless)");
#endif
#ifdef NDEBUG
	printf(", assertions off");
#else
	printf(", assertions on");
#endif
#if defined(__SANITIZE_ADDRESS__)
	printf(", SANITIZERS ON (figures meaningless)");
#endif
	printf("\n");
}

/* The flow benchmarks' platform: 11 regions, one host each, a directed link for each pair. */
#define BENCH_REGIONS 11

/*
 * Bandwidth of the directed link i -> j (i != j), bits/s: ten steps from 100 Mb/s to 1 Gb/s,
 * 100e6 * (1 + (3i + 7j) mod 10), deterministic from the pair indices.
 */
static inline double bench_pair_bw_bps(int i, int j)
{
	return 100e6 * (double)(1 + (3 * i + 7 * j) % 10);
}

/* Latency of the directed link i -> j (i != j), seconds: 30 ms + 10 ms * ((5i + 2j) mod 13). */
static inline double bench_pair_latency_s(int i, int j)
{
	return 0.030 + 0.010 * (double)((5 * i + 2 * j) % 13);
}

/*
 * The random-traffic workload (both flow benchmarks run the same list): BENCH_RT_N transfers,
 * each between a random ordered pair of distinct regions, of a size drawn uniformly from
 * BENCH_RT_MIN_B..BENCH_RT_MAX_B bytes, starting at a time drawn uniformly from the first
 * BENCH_RT_SPAN_US microseconds (whole microseconds, so both simulators get the same instants).
 * Unlike the rounds, nothing synchronises the transfers: starts and ends are spread over time,
 * each one changing the rates of the flows on its link. Seeded (splitmix64), identical in both.
 */
#define BENCH_RT_N 50000
#define BENCH_RT_MIN_B 10000L
#define BENCH_RT_MAX_B 50000000L
#define BENCH_RT_SPAN_US 300000000L
#define BENCH_RT_SEED 1

/* One transfer of the random-traffic workload. */
struct bench_xfer {
	int src, dst;     /* regions, src != dst */
	long bytes;       /* size, bytes */
	long start_us;    /* start, microseconds from 0 */
	long idx;         /* position in the drawn order (breaks ties between equal starts) */
};

static inline uint64_t bench_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* A draw below n (n > 0); the modulo bias (n / 2^64) does not matter here. */
static inline long bench_below(uint64_t *state, long n)
{
	return (long)(bench_splitmix64(state) % (uint64_t)n);
}

/* One random transfer (the list below, and bench_flow's closed loop). */
static inline struct bench_xfer bench_random_xfer(uint64_t *state)
{
	struct bench_xfer x;
	x.src = (int)bench_below(state, BENCH_REGIONS);
	x.dst = (x.src + 1 + (int)bench_below(state, BENCH_REGIONS - 1)) % BENCH_REGIONS;
	x.bytes = BENCH_RT_MIN_B + bench_below(state, BENCH_RT_MAX_B - BENCH_RT_MIN_B + 1);
	x.start_us = bench_below(state, BENCH_RT_SPAN_US);
	x.idx = 0;
	return x;
}

static inline int bench_xfer_cmp(const void *a, const void *b)
{
	const struct bench_xfer *x = a, *y = b;
	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * The workload's list (malloc'd), sorted by (start, idx): BENCH_RT_N transfers, or at a
 * benchmark scale below 1 that fraction of them over that fraction of the span (the same
 * concurrency); *n gets the count.
 */
static inline struct bench_xfer *bench_random_traffic(double scale, long *n)
{
	double f = scale < 1 ? scale : 1;
	*n = (long)(BENCH_RT_N * f) > 0 ? (long)(BENCH_RT_N * f) : 1;
	long span = (long)((double)BENCH_RT_SPAN_US * f) > 0 ? (long)((double)BENCH_RT_SPAN_US * f) : 1;
	struct bench_xfer *x = malloc((size_t)*n * sizeof *x);
	if (!x)
		abort();
	uint64_t state = BENCH_RT_SEED;
	for (long i = 0; i < *n; i++) {
		x[i] = bench_random_xfer(&state);
		x[i].start_us %= span;
		x[i].idx = i;
	}
	qsort(x, (size_t)*n, sizeof *x, bench_xfer_cmp);
	return x;
}

/* CPU seconds (user + system) this process has used so far. */
static inline double bench_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Peak resident memory of this process so far, MiB (ru_maxrss). */
static inline double bench_maxrss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

#endif
