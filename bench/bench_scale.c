/*
 * Training runs at scale: the main job (workloads/mf-ec2-11.conf's workload: MF, 20,000 users,
 * 2,000 items, 400,000 ratings, rank 16, seed 1, on ec2-11) under bsp for 20 clocks, with 2, 8,
 * 32 and 91 machines per region (22 to 1001 workers). Each size runs in a child process of its
 * own (fork), so that its peak memory (getrusage RUSAGE_CHILDREN via wait4: ru_maxrss) is its
 * own. The child builds the run through the cluster builder (cli/cluster.h) as `gaiasim run`
 * does (same keys, defaults of cli/run.c: 4-byte values and indices, MSG_HEADER_BYTES headers,
 * modelled compute) and reports:
 *   create_s   wall time of the workload's creation (data generation, partition), s
 *   run_s      wall time of cluster_new + cluster_run, s
 *   cpu_s      user + system CPU time of the whole child (wait4), s: the figure to trust when
 *              the machine is shared (wall time then includes waiting for a core)
 *   messages   messages between nodes (every kind, LAN and WAN: the observer's wan_msgs over
 *              every region pair, which count each message whose source is not its destination)
 *   events     simulator events
 *   us/msg     run_s and cpu_s per message, microseconds
 *   rss_mb     the child's peak resident memory, MiB
 * and, after the sizes, memory per simulated machine: the growth of peak memory from the
 * smallest to the largest size over the machines added.
 *
 * Usage: bench_scale [scale [max_machines]]   (scale multiplies the 20 clocks, default 1;
 *        max_machines drops the sizes above it, default 91)
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "cli/cluster.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "ps/msg.h"
#include "ps/sync.h"
#include "topology/topology.h"
#include "workloads/workload.h"

/* What a child reports through its pipe. */
struct child_figures {
	double create_s;     /* workload creation wall time, s */
	double run_s;        /* cluster_new + cluster_run wall time, s */
	double messages;     /* messages between nodes */
	uint64_t events;     /* simulator events */
	int64_t clocks;      /* clocks completed by worker 0 */
	int workers;         /* workers */
	double final_obj;    /* last evaluation's objective */
	int ok;              /* 1 if the run finished */
};

static void setkey(struct runcfg *c, const char *kv)
{
	if (runcfg_set(c, kv) < 0) {
		fprintf(stderr, "bench_scale: bad setting '%s'\n", kv);
		exit(1);
	}
}

/* The run with `machines` per region, `clocks` clocks, in this (child) process. */
static void child_run(int machines, int64_t clocks, struct child_figures *f)
{
	memset(f, 0, sizeof *f);
	struct topology *topo = topology_load("ec2-11");
	if (!topo)
		exit(1);
	int R = topo->n, nw = R * machines;
	struct runcfg *cfg = runcfg_new();
	static const char *const keys[] = {
		"mf.users = 20000", "mf.items = 2000", "mf.ratings = 400000", "mf.rank = 16", NULL,
	};
	for (int i = 0; keys[i]; i++)
		setkey(cfg, keys[i]);
	int *mach = xmalloc((size_t)R * sizeof *mach), *region = xmalloc((size_t)nw * sizeof *region);
	for (int r = 0; r < R; r++)
		mach[r] = machines;
	for (int w = 0; w < nw; w++)
		region[w] = w / machines;
	double t0 = bench_now_s();
	struct workload *wl = mf_ops.create(cfg, nw, region, R, 1);
	if (!wl)
		exit(1);
	double t1 = bench_now_s();
	const char *arg;
	const struct sync_ops *bsp = sync_find("bsp", &arg);
	void *sp = bsp->parse(arg, cfg);
	if (!sp)
		exit(1);
	struct cluster_config cc = {
		.topo = topo, .machines = mach, .sync = bsp, .sync_params = sp, .wl_ops = &mf_ops,
		.wl = wl, .transport = "sim", .compute = &compute_modelled, .seed = 1,
		.max_clocks = clocks, .eval_every = 10, .target = NAN, .time_limit = SIMTIME_NEVER,
		.value_bytes = 4, .index_bytes = MSG_INDEX_BYTES, .header_bytes = MSG_HEADER_BYTES,
	};
	struct cluster *c = cluster_new(&cc);
	if (!c)
		exit(1);
	cluster_run(c, SIMTIME_NEVER);
	f->run_s = bench_now_s() - t1;
	f->create_s = t1 - t0;
	f->ok = cluster_finished(c);
	const struct ps_stats *st = cluster_stats(c);
	for (size_t k = 0; k < (size_t)R * (size_t)R * MSG_NKINDS; k++)
		f->messages += st->wan_msgs[k];
	f->events = cluster_events(c);
	f->clocks = st->clocks[0];
	f->workers = nw;
	size_t ne;
	const struct ps_eval *ev = cluster_evals(c, &ne);
	f->final_obj = ne ? ev[ne - 1].objective : NAN;
	/* The process exits next: no need to free (and the free is not what is measured). */
}

/* Run one size in a child; fills *f and the child's peak RSS (KiB) and CPU seconds. */
static int measure(int machines, int64_t clocks, struct child_figures *f, long *rss_kb,
                   double *cpu_s)
{
	int fd[2];
	if (pipe(fd) < 0) {
		perror("pipe");
		return -1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		struct child_figures cf;
		child_run(machines, clocks, &cf);
		ssize_t n = write(fd[1], &cf, sizeof cf);
		_exit(n == (ssize_t)sizeof cf ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], f, sizeof *f);
	close(fd[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n != (ssize_t)sizeof *f) {
		fprintf(stderr, "bench_scale: the run with %d machines per region failed\n", machines);
		return -1;
	}
	*rss_kb = ru.ru_maxrss;
	*cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	return 0;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	int max_machines = argc > 2 ? atoi(argv[2]) : 91;
	if (!(scale > 0) || max_machines < 1) {
		fprintf(stderr, "usage: bench_scale [scale > 0 [max_machines >= 1]]\n");
		return 2;
	}
	bench_print_machine("bench_scale");
	int64_t clocks = (int64_t)llround(20 * scale);
	if (clocks < 1)
		clocks = 1;
	static const int sizes[] = { 2, 8, 32, 91 };
	printf("\n# scale: ec2-11, mf-ec2-11.conf's workload, bsp, %lld clocks; one child process "
	       "per size\n", (long long)clocks);
	printf("%8s %7s %8s %8s %8s %12s %12s %9s %9s %9s %10s\n", "machines", "workers",
	       "create_s", "run_s", "cpu_s", "messages", "events", "us/msg", "cpu_us/msg", "rss_mb",
	       "final_obj");
	double rss0 = NAN, rss1 = NAN;
	int w0 = 0, w1 = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		if (sizes[i] > max_machines)
			break;
		struct child_figures f;
		long rss_kb;
		double cpu_s;
		if (measure(sizes[i], clocks, &f, &rss_kb, &cpu_s) < 0)
			return 1;
		if (!f.ok || f.clocks != clocks) {
			fprintf(stderr, "bench_scale: %d machines: run unfinished (%lld clocks)\n",
			        sizes[i], (long long)f.clocks);
			return 1;
		}
		double rss_mb = (double)rss_kb / 1024;
		printf("%8d %7d %8.3f %8.3f %8.3f %12.0f %12llu %9.3f %9.3f %9.1f %10.6f\n", sizes[i],
		       f.workers, f.create_s, f.run_s, cpu_s, f.messages, (unsigned long long)f.events,
		       f.run_s / f.messages * 1e6, cpu_s / f.messages * 1e6, rss_mb, f.final_obj);
		fflush(stdout);
		if (isnan(rss0)) {
			rss0 = rss_mb;
			w0 = f.workers;
		}
		rss1 = rss_mb;
		w1 = f.workers;
	}
	if (w1 > w0)
		printf("memory per simulated machine: %.3f MiB ((%.1f - %.1f) MiB / (%d - %d) "
		       "machines)\n", (rss1 - rss0) / (w1 - w0), rss1, rss0, w1, w0);
	return 0;
}
