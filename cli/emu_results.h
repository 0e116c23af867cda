/*
 * The results file of an emulated run's node process, and the merge of every region's file
 * into one run (docs/emulation.md, "Emulated runs"). A node process writes its file when it
 * finishes (`finish` from `emu run`, or the linger by hand); `emu run` and `emu collect` read
 * one file per region process and store one run (runs.kind 'emu') through the same code as a
 * simulated run (run_report_parts, cli/run.h). Text, one record a line, in this order:
 *   gaiasim-emu-results 2              format version: any other is refused, naming it
 *   region R                           the region of the node process
 *   end_ns T                           its latest PUSH delivery, emulated ns
 *   replica I REGION                   a replica it holds whole (REGION -1: global), then
 *   final I OBJ METRIC TEST            the quality of that replica's final model
 *   eval I CLOCK T OBJ METRIC TEST     an evaluation of a replica it holds (T emulated ns)
 *   worker W CLOCKS COMPUTE_S WAIT_S.. a hosted worker: clocks, compute s, wait s per kind
 *   wan A B KIND BYTES MSGS            WAN traffic from region A to B, per message kind
 *   filter REGION CLOCK PROD SENT THR  a significance-filter record
 *   (a global replica split over processes: `replica I -1` and its shards' snapshots,
 *   `gsnap`/`gv` lines, cli/emu_global.h)
 *   counters PROD SENT PUSHED PUSHED_WAN  update counters
 *   end
 * The file is written to FILE.tmp and renamed, so a file that exists is whole.
 */
#ifndef GAIA_CLI_EMU_RESULTS_H
#define GAIA_CLI_EMU_RESULTS_H

#include "cli/emu_run.h"

struct cluster;
struct emu_global;
struct transport;

/* What a node process writes its results file from (borrowed). */
struct emu_results_node {
	const char *results;           /* results file path */
	int region;                    /* region this process runs */
	int nnodes;                    /* nodes of the run */
	const unsigned char *hosted;   /* per node: 1 if this process runs it */
	const struct run_setup *rs;    /* the run's setup */
	const struct cluster *c;       /* the cluster (hosting this region's nodes) */
	const struct transport *t;     /* its socket transport */
	const struct emu_global *glob; /* shard snapshots of a global model (cli/emu_global.h) */
};

/* Write nd's results file; 0, or -1 with a message (no file at nd->results). */
int emu_results_write(const struct emu_results_node *nd);

/*
 * Merge the results files paths[0..n-1] (one per region process) into one run: summarized
 * into *res and, with o->db, stored as runs.kind 'emu'. Every region that runs nodes must have
 * exactly one file. t0 is the real start (wallclock_s) for the run's real duration. 0, or -1
 * with a message naming the file (nothing stored).
 */
int emu_results_collect(struct run_setup *rs, struct runcfg *cfg, const char *const *paths,
                        int n, const struct emu_run_opts *o, double t0, struct run_result *res);

#endif
