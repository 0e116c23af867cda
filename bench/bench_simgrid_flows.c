/*
 * SimGrid peer for the flow-model benchmark (bench_flow runs the same workload on gaiasim's
 * flow model). Platform: 11 hosts, one per region, fully connected by 110 directed links whose
 * bandwidth and latency come from bench_pair_bw_bps / bench_pair_latency_s (benchutil.h),
 * each host pair routed over its own single link. Workload: rounds in which every host sends
 * 1 MB (10^6 bytes) to each of the 10 others concurrently, 110 flows per round; a host starts
 * its next round once all 20 of its transfers (10 out, 10 in) of this round are done.
 * Reports completed flows per wall second of simgrid_run(), with SimGrid's default network
 * model unless a --cfg=network/model:... argument says otherwise.
 *
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
#include <unistd.h>

#include "bench/benchutil.h"

/* Bytes per flow. */
#define FLOW_BYTES 1000000L
/* Rounds at scale 1 (110 flows each). */
#define ROUNDS 1000

/* Write the platform XML to a fresh temporary file; returns 0 and fills path, or -1. */
static int write_platform(char *path, size_t size)
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
	for (int i = 0; i < BENCH_REGIONS; i++)
		for (int j = 0; j < BENCH_REGIONS; j++)
			if (i != j)
				fprintf(fp, "<link id=\"l%d_%d\" bandwidth=\"%.0fBps\" latency=\"%.3fs\"/>\n",
					i, j, bench_pair_bw_bps(i, j) / 8, bench_pair_latency_s(i, j));
	for (int i = 0; i < BENCH_REGIONS; i++)
		for (int j = 0; j < BENCH_REGIONS; j++)
			if (i != j)
				fprintf(fp, "<route src=\"r%d\" dst=\"r%d\" symmetrical=\"NO\">"
					    "<link_ctn id=\"l%d_%d\"/></route>\n", i, j, i, j);
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

/* One host: argv[1] = its region index, argv[2] = number of rounds. */
static void host_main(int argc, char **argv)
{
	if (argc < 3)
		return;
	int me = atoi(argv[1]);
	long rounds = atol(argv[2]);
	static const char payload[] = "flow";
	sg_mailbox_t out[BENCH_REGIONS], in[BENCH_REGIONS];
	for (int j = 0; j < BENCH_REGIONS; j++) {
		out[j] = pair_mailbox(me, j);
		in[j] = pair_mailbox(j, me);
	}
	void *got[BENCH_REGIONS];
	sg_comm_t comms[2 * BENCH_REGIONS];
	for (long r = 0; r < rounds; r++) {
		size_t n = 0;
		for (int j = 0; j < BENCH_REGIONS; j++) {
			if (j == me)
				continue;
			comms[n++] = sg_mailbox_put_async(out[j], (void *)payload, FLOW_BYTES);
			comms[n++] = sg_mailbox_get_async(in[j], &got[j]);
		}
		sg_comm_wait_all(comms, n);
	}
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
	long rounds = (long)(ROUNDS * scale);
	if (!(scale > 0) || rounds < 1) {
		fprintf(stderr, "usage: bench_simgrid_flows [scale > 0] [SimGrid --cfg options]\n");
		return 2;
	}

	bench_print_machine("bench_simgrid_flows");
	int major, minor, patch;
	sg_version_get(&major, &minor, &patch);
	printf("# bench_simgrid_flows: SimGrid %d.%d.%d, %d hosts, %d directed links, "
	       "%ld B per flow, %d flows per round, %ld rounds\n",
	       major, minor, patch, BENCH_REGIONS, BENCH_REGIONS * (BENCH_REGIONS - 1), FLOW_BYTES,
	       BENCH_REGIONS * (BENCH_REGIONS - 1), rounds);
	fflush(stdout);

	double t_setup = bench_now_s();
	simgrid_init(&sg_argc, sg_argv);
	char path[64];
	if (write_platform(path, sizeof path) < 0) {
		perror("bench_simgrid_flows: platform file");
		return 1;
	}
	simgrid_load_platform(path);
	unlink(path);
	char idx[BENCH_REGIONS][8], nrounds[24];
	snprintf(nrounds, sizeof nrounds, "%ld", rounds);
	for (int i = 0; i < BENCH_REGIONS; i++) {
		char hname[16];
		snprintf(hname, sizeof hname, "r%d", i);
		snprintf(idx[i], sizeof idx[i], "%d", i);
		char *args[3] = { hname, idx[i], nrounds };
		sg_actor_create(hname, sg_host_by_name(hname), host_main, 3, args);
	}
	double t0 = bench_now_s();
	simgrid_run();
	double t1 = bench_now_s();

	long flows = rounds * BENCH_REGIONS * (BENCH_REGIONS - 1);
	printf("simgrid flows: %.3g completed flows per wall second (%ld flows in %.3f s; "
	       "setup %.3f s; %.1f simulated s)\n",
	       (double)flows / (t1 - t0), flows, t1 - t0, t0 - t_setup, simgrid_get_clock());
	free(sg_argv);
	return 0;
}
