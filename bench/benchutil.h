/*
 * Helpers shared by the benchmark programs (bench/, built and run only by `make bench`):
 * a wall clock, a banner describing the machine and build, and the 11-region link matrix
 * used by the flow benchmarks (gaiasim's flow model and the SimGrid peer run the same one).
 *
 * Benchmarks may read the wall clock; the simulator itself never does (it reads sim_now()).
 */
#ifndef GAIA_BENCHUTIL_H
#define GAIA_BENCHUTIL_H

#include <stdio.h>
#include <string.h>
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

#endif
