/*
 * SimGrid peer for the flow-model benchmark (bench_flow runs the same workload on gaiasim's
 * flow model). Platform: 11 hosts, one per region, fully connected by 110 directed links whose
 * bandwidth and latency come from bench_pair_bw_bps / bench_pair_latency_s (benchutil.h),
 * each host pair routed over its own single link. Workload: rounds in which every host sends
 * k flows of 1 MB (10^6 bytes) to each of the 10 others concurrently, 110 k flows per round;
 * a host starts its next round once all of its transfers of this round (in and out) are done.
 * k = 1, 9 and 91 give about 110, 1000 and 10000 concurrent flows, the three sizes of
 * bench_flow. Reports completed flows per wall second of simgrid_run(), with SimGrid's default
 * network model unless a --cfg=network/model:... argument says otherwise.
 *
 * Random traffic: the list of bench_random_traffic (benchutil.h), 50 000 transfers of 10 kB to
 * 50 MB between random pairs starting at random instants over 300 s, on the ec2-11 topology
 * (loaded with topology_load, so this program links libgaia.a): each transfer crosses the pair's
 * link (its bandwidth, latency = half its RTT). sim/net.c also routes it through the regions'
 * NICs (10 Gb/s), which never bind here (a region's ten links, out or in, sum to at most
 * 1.03 Gb/s), so the max-min allocation is the same without them; SimGrid is run without them by default
 * because with them its solver couples every flow into one system (set
 * GAIASIM_BENCH_SIMGRID_NICS=1 to include them; see docs/benchmarks.md). Every host runs one
 * actor that posts its sends and receives at their start times (one mailbox per transfer) and
 * waits for all. Reports the CPU time (getrusage, the whole child process: platform, actors,
 * simulation) and the peak resident memory (ru_maxrss) of the run.
 *
 * SimGrid's engine can be initialised once per process, so each run is a child process.
 * Written against SimGrid's C API (simgrid/engine.h, actor.h, mailbox.h, comm.h) so it needs
 * no C++ compiler; the platform is written as XML to a temporary file and loaded.
 *
 * Usage: bench_simgrid_flows [scale] [SimGrid options such as --cfg=network/model:CM02]
 */
#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "topology/topology.h"

/* Bytes per flow. */
#define FLOW_BYTES 1000000L
/* Flows completed per run at scale 1 (rounds = this / (110 k)). */
#define FLOWS_PER_RUN 110000L

/*
 * Write the platform XML to a fresh temporary file; returns 0 and fills path, or -1. Without
 * t, the peer platform of benchutil.h; with t, its links and latencies, and, when the
 * environment has GAIASIM_BENCH_SIMGRID_NICS=1, per host an egress and an ingress link
 * (machines x NIC) that every route crosses, as sim/net.c builds it.
 */
static int write_platform(char *path, size_t size, const struct topology *t)
{
	snprintf(path, size, "/tmp/gaiasim-simgrid-platform-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	FILE *fp = fdopen(fd, "w");
	if (!fp)
		return -1;
	fprintf(fp, "<?xml version='1.0'?>\n"
		    "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
		    "<platform version=\"4.1\">\n"
		    "<zone id=\"world\" routing=\"Full\">\n");
	for (int i = 0; i < BENCH_REGIONS; i++)
		fprintf(fp, "<host id=\"r%d\" speed=\"1Gf\"/>\n", i);
	const char *env = getenv("GAIASIM_BENCH_SIMGRID_NICS");
	int nics = t != NULL && env && strcmp(env, "1") == 0;
	for (int i = 0; i < BENCH_REGIONS; i++)
		for (int j = 0; j < BENCH_REGIONS; j++)
			if (i != j)
				fprintf(fp, "<link id=\"l%d_%d\" bandwidth=\"%.3fBps\" latency=\"%.9fs\"/>\n",
					i, j,
					t ? t->bw_bps[i * t->n + j] / 8 : bench_pair_bw_bps(i, j) / 8,
					t ? topology_one_way_s(t, i, j) : bench_pair_latency_s(i, j));
	for (int i = 0; nics && i < BENCH_REGIONS; i++) {
		double nic = t->regions[i].machines * t->regions[i].nic_bps / 8;
		fprintf(fp, "<link id=\"o%d\" bandwidth=\"%.3fBps\" latency=\"0s\"/>\n"
			    "<link id=\"i%d\" bandwidth=\"%.3fBps\" latency=\"0s\"/>\n", i, nic, i, nic);
	}
	for (int i = 0; i < BENCH_REGIONS; i++)
		for (int j = 0; j < BENCH_REGIONS; j++) {
			if (i == j)
				continue;
			if (nics)
				fprintf(fp, "<route src=\"r%d\" dst=\"r%d\" symmetrical=\"NO\">"
					    "<link_ctn id=\"o%d\"/><link_ctn id=\"l%d_%d\"/>"
					    "<link_ctn id=\"i%d\"/></route>\n", i, j, i, i, j, j);
			else
				fprintf(fp, "<route src=\"r%d\" dst=\"r%d\" symmetrical=\"NO\">"
					    "<link_ctn id=\"l%d_%d\"/></route>\n", i, j, i, j);
		}
	fprintf(fp, "</zone>\n</platform>\n");
	return fclose(fp) == 0 ? 0 : -1;
}

/* Mailbox carrying the flows from host src to host dst. */
static sg_mailbox_t pair_mailbox(int src, int dst)
{
	char name[32];
	snprintf(name, sizeof name, "m%d_%d", src, dst);
	return sg_mailbox_by_name(name);
}

/* One host: argv[1] = its region index, argv[2] = rounds, argv[3] = flows per peer (k). */
static void host_main(int argc, char **argv)
{
	if (argc < 4)
		return;
	int me = atoi(argv[1]);
	long rounds = atol(argv[2]);
	int k = atoi(argv[3]);
	static const char payload[] = "flow";
	sg_mailbox_t out[BENCH_REGIONS], in[BENCH_REGIONS];
	for (int j = 0; j < BENCH_REGIONS; j++) {
		out[j] = pair_mailbox(me, j);
		in[j] = pair_mailbox(j, me);
	}
	size_t max = 2 * (size_t)BENCH_REGIONS * (size_t)k;
	void **got = calloc(max, sizeof *got);
	sg_comm_t *comms = calloc(max, sizeof *comms);
	if (!got || !comms)
		abort();
	for (long r = 0; r < rounds; r++) {
		size_t n = 0;
		for (int j = 0; j < BENCH_REGIONS; j++) {
			if (j == me)
				continue;
			for (int f = 0; f < k; f++) {
				comms[n] = sg_mailbox_put_async(out[j], (void *)payload, FLOW_BYTES);
				n++;
				comms[n] = sg_mailbox_get_async(in[j], &got[n]);
				n++;
			}
		}
		sg_comm_wait_all(comms, n);
	}
	free(got);
	free(comms);
}

/* Run the workload with k flows per ordered pair in this process; print one line. */
static int run_one(int k, long rounds, int sg_argc, char **sg_argv)
{
	double t_setup = bench_now_s();
	simgrid_init(&sg_argc, sg_argv);
	char path[64];
	if (write_platform(path, sizeof path, NULL) < 0) {
		perror("bench_simgrid_flows: platform file");
		return 1;
	}
	simgrid_load_platform(path);
	unlink(path);
	char idx[BENCH_REGIONS][8], nrounds[24], kstr[16];
	snprintf(nrounds, sizeof nrounds, "%ld", rounds);
	snprintf(kstr, sizeof kstr, "%d", k);
	for (int i = 0; i < BENCH_REGIONS; i++) {
		char hname[16];
		snprintf(hname, sizeof hname, "r%d", i);
		snprintf(idx[i], sizeof idx[i], "%d", i);
		char *args[4] = { hname, idx[i], nrounds, kstr };
		sg_actor_create(hname, sg_host_by_name(hname), host_main, 4, args);
	}
	double t0 = bench_now_s();
	simgrid_run();
	double t1 = bench_now_s();
	int conc = BENCH_REGIONS * (BENCH_REGIONS - 1) * k;
	long flows = rounds * conc;
	printf("simgrid flows, %d concurrent: %.3g completed flows per wall second "
	       "(%ld flows in %.3f s; setup %.3f s; %.1f simulated s)\n",
	       conc, (double)flows / (t1 - t0), flows, t1 - t0, t0 - t_setup, simgrid_get_clock());
	fflush(stdout);
	return 0;
}


/* ---- random traffic ---- */

static struct bench_xfer *rt_list; /* the transfers, by start */
static long rt_n;                  /* their number */

/* One host: posts its sends and receives of the list at their start times, then waits. */
static void rt_host(int argc, char **argv)
{
	if (argc < 2)
		return;
	int me = atoi(argv[1]);
	static const char payload[] = "flow";
	long mine = 0;
	for (long i = 0; i < rt_n; i++)
		mine += (rt_list[i].src == me) + (rt_list[i].dst == me);
	sg_comm_t *comms = calloc((size_t)mine + 1, sizeof *comms);
	void **got = calloc((size_t)mine + 1, sizeof *got);
	if (!comms || !got)
		abort();
	size_t n = 0;
	for (long i = 0; i < rt_n; i++) {
		const struct bench_xfer *x = &rt_list[i];
		if (x->src != me && x->dst != me)
			continue;
		sg_actor_sleep_until((double)x->start_us * 1e-6);
		char name[32];
		snprintf(name, sizeof name, "x%ld", x->idx);
		sg_mailbox_t mb = sg_mailbox_by_name(name);
		if (x->src == me) {
			comms[n] = sg_mailbox_put_async(mb, (void *)payload, x->bytes);
			n++;
		}
		if (x->dst == me) {
			comms[n] = sg_mailbox_get_async(mb, &got[n]);
			n++;
		}
	}
	sg_comm_wait_all(comms, n);
	free(comms);
	free(got);
}

/* Run the random-traffic workload in this process; print one line. */
static int run_random(double scale, int sg_argc, char **sg_argv)
{
	double cpu0 = bench_cpu_s();
	rt_list = bench_random_traffic(scale, &rt_n);
	struct topology *t = topology_load("ec2-11");
	if (!t || t->n != BENCH_REGIONS) {
		fprintf(stderr, "bench_simgrid_flows: cannot load topology ec2-11 with %d regions "
			"(set GAIASIM_TOPODIR)\n", BENCH_REGIONS);
		return 1;
	}
	simgrid_init(&sg_argc, sg_argv);
	char path[64];
	if (write_platform(path, sizeof path, t) < 0) {
		perror("bench_simgrid_flows: platform file");
		return 1;
	}
	simgrid_load_platform(path);
	unlink(path);
	char idx[BENCH_REGIONS][8];
	for (int i = 0; i < BENCH_REGIONS; i++) {
		char hname[16];
		snprintf(hname, sizeof hname, "r%d", i);
		snprintf(idx[i], sizeof idx[i], "%d", i);
		char *args[2] = { hname, idx[i] };
		sg_actor_create(hname, sg_host_by_name(hname), rt_host, 2, args);
	}
	simgrid_run();
	double cpu = bench_cpu_s() - cpu0;
	printf("simgrid random traffic: %ld transfers, CPU %.3f s, peak RSS %.1f MiB "
	       "(%.1f simulated s)\n", rt_n, cpu, bench_maxrss_mib(), simgrid_get_clock());
	fflush(stdout);
	free(rt_list);
	topology_free(t);
	return 0;
}

int main(int argc, char **argv)
{
	double scale = 1.0;
	/* Our own first argument (a number) is the scale; the rest go to SimGrid. */
	char **sg_argv = calloc((size_t)argc + 2, sizeof *sg_argv);
	if (!sg_argv)
		return 1;
	int sg_argc = 0;
	sg_argv[sg_argc++] = argv[0];
	sg_argv[sg_argc++] = "--log=root.thresh:warning";
	for (int i = 1; i < argc; i++) {
		if (i == 1 && argv[i][0] != '-')
			scale = atof(argv[i]);
		else
			sg_argv[sg_argc++] = argv[i];
	}
	if (!(scale > 0)) {
		fprintf(stderr, "usage: bench_simgrid_flows [scale > 0] [SimGrid --cfg options]\n");
		return 2;
	}

	bench_print_machine("bench_simgrid_flows");
	int major, minor, patch;
	sg_version_get(&major, &minor, &patch);
	printf("# bench_simgrid_flows: SimGrid %d.%d.%d, %d hosts, %d directed links, "
	       "%ld B per flow, about %.0f flows per run\n",
	       major, minor, patch, BENCH_REGIONS, BENCH_REGIONS * (BENCH_REGIONS - 1), FLOW_BYTES,
	       FLOWS_PER_RUN * scale);
	fflush(stdout);

	static const int ks[] = { 1, 9, 91 };
	int failed = 0;
	for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
		long per_round = (long)BENCH_REGIONS * (BENCH_REGIONS - 1) * ks[c];
		long rounds = (long)(FLOWS_PER_RUN * scale) / per_round;
		if (rounds < 1)
			rounds = 1;
		pid_t pid = fork();
		if (pid < 0) {
			perror("bench_simgrid_flows: fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_one(ks[c], rounds, sg_argc, sg_argv));
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench_simgrid_flows: run with k=%d failed\n", ks[c]);
			failed = 1;
		}
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_simgrid_flows: fork");
		return 1;
	}
	if (pid == 0)
		_exit(run_random(scale, sg_argc, sg_argv));
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_simgrid_flows: random-traffic run failed\n");
		failed = 1;
	}
	free(sg_argv);
	return failed;
}
