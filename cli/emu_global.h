/*
 * Evaluating a global model in an emulated run (docs/emulation.md, "Models with one global
 * replica"). Under bsp, ssp and async one replica is sharded over the nodes of every region,
 * and each region's nodes run in a process of their own, so no process holds the whole model.
 * Each node process therefore records, whenever one of its shards of such a replica completes
 * an evaluation clock (every eval.every clocks and the last, as the standard observer
 * evaluates), a snapshot of the rows that shard owns and the emulated time; at the end it
 * writes them, with the shards' final rows, into its results file. When the files are merged
 * (`emu run`, `emu collect`), the snapshots of every shard for one clock are assembled into the
 * model and evaluated (objective, metric, held-out metric) at the latest shard's time.
 *
 * Node side:    g = emu_global_new(ps, cluster_observer(c), &cc);
 *               ps_set_observer(ps, emu_global_as(g));  ... run ...
 *               emu_global_write(g, results_file);  emu_global_free(g);
 * Collect side: s = emu_global_set_new(nvalues);  emu_global_set_line(s, path, line_no, line) for
 *               every line of every file (1: it was a snapshot line);
 *               emu_global_set_end(s, path, line_no) at each file's end;
 *               emu_global_set_eval(s, wl_ops, wl, &res);  emu_global_set_free(s);
 *
 * Results-file lines (after `gaiasim-emu-results 2`):
 *   gsnap REPLICA NSHARDS SHARD CLOCK TIME_NS NVALUES   a snapshot header (CLOCK -1: the final
 *                                                       rows, TIME_NS 0)
 *   gv V...                                             up to EMU_GLOBAL_PER_LINE of its values
 *                                                       (%.17g: doubles read back exactly),
 *                                                       rows in the shard's local order
 */
#ifndef GAIA_EMU_GLOBAL_H
#define GAIA_EMU_GLOBAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ps/observer.h"
#include "workloads/workload.h"

#define EMU_GLOBAL_PER_LINE 8   /* values per `gv` line (8 x 25 chars fits any line reader) */

struct cluster_config;
struct ps;

/* ---- node side ---- */

struct emu_global;

/*
 * A recorder for the cluster `ps` built from `cc` (its hosted, wl_ops, wl, max_clocks and
 * eval_every are read), forwarding every event to `inner`. Only replicas that are global
 * (ps_replica_region -1) and whose shards are not all hosted here are recorded.
 */
struct emu_global *emu_global_new(const struct ps *ps, struct observer inner,
                                  const struct cluster_config *cc);
void emu_global_free(struct emu_global *g);
/* The observer to install in place of `inner` (before the run starts). */
struct observer emu_global_as(struct emu_global *g);
/* Write the `replica R -1` line, the snapshots and the final rows of the hosted shards. */
void emu_global_write(const struct emu_global *g, FILE *f);

/* ---- collect side ---- */

struct emu_global_set;

/* The assembled evaluations and final models. */
struct emu_global_result {
	struct ps_eval *evals;   /* one per replica and clock every shard reached (owned) */
	size_t nevals;           /* their number */
	int nfinal;              /* replicas with a final model assembled */
	int final_replica[8];    /* their indices */
	double final_objective[8], final_metric[8], final_test[8]; /* their final quality */
};

/* A set for a model of max_values values (rows x row length): a snapshot that claims more
 * is malformed input. */
struct emu_global_set *emu_global_set_new(size_t max_values);
void emu_global_set_free(struct emu_global_set *s);
/* Take one line of a results file: 1 if it was a snapshot line, 0 if not ours, -1 (message
 * naming path and line) if malformed. */
int emu_global_set_line(struct emu_global_set *s, const char *path, long line_no,
                        const char *line);
/* A file ended at line_no: -1 with a message if a snapshot's values were cut short. */
int emu_global_set_end(struct emu_global_set *s, const char *path, long line_no);
/*
 * Assemble and evaluate. A clock not reached by every shard is not evaluated (the simulator
 * evaluates a clock once every shard completed it); a replica's final rows must be complete.
 * 0 and *res (free res->evals), or -1 with a message naming the file of a bad snapshot.
 */
int emu_global_set_eval(const struct emu_global_set *s, const struct workload_ops *ops,
                        const struct workload *wl, struct emu_global_result *res);

#endif
