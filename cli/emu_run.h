/*
 * Emulated training runs (docs/emulation.md): the same cluster as a simulated run, but every
 * region's nodes run in a process of their own (`gaiasim emu node`), exchanging encoded
 * messages over TCP through the shaped relays of the mesh (`gaiasim emu mesh`) in real time.
 * The parent (`gaiasim emu run`) starts the node and mesh processes, tells each node where to
 * connect, detects the finish with a two-round count of messages sent and delivered, collects
 * each node's results file and stores one run (runs.kind = 'emu') through the same code as a
 * simulated run. `gaiasim emu validate` runs one experiment both ways and compares them.
 */
#ifndef GAIA_EMU_RUN_H
#define GAIA_EMU_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "cli/run.h"

struct emu_run_opts {
	const char *config;     /* configuration file */
	char **sets;            /* --set KEY=VALUE assignments */
	int nsets;              /* their number */
	const char *db;         /* results database, or NULL */
	const char *label;      /* runs.label, or NULL (the sync model) */
	double time_scale;      /* emulated seconds per real second (>= 1 compresses) */
	double timeout_s;       /* real seconds before the run is abandoned (0: none) */
	int base_port;          /* first relay port tried (0: derived from the process id) */
	const char *mesh_drop;  /* fault for the meshes, `emu mesh --drop SRC,DST,BYTES`, or NULL */
	double start_timeout_s; /* real s for a node or mesh to report it started (0: 30) */
	/* Filled when non-NULL: per directed region pair and kind, like ps_stats.wan_bytes */
	double **wan_bytes;     /* nregions^2 * MSG_NKINDS bytes (caller frees) */
	/* Filled when non-NULL: the objective trajectory, as run_opts documents */
	double **traj_objective, **traj_time_s;
	int64_t **traj_clock;
	size_t *traj_n;
};

/* Run the configuration emulated; 0 and *res, or -1 with a message (nothing stored). */
int emu_run(const struct emu_run_opts *o, struct run_result *res);

/* Merge results files written by `emu node --peers` processes (one per region) into one run,
 * as emu_run does (o->config, sets, db, label); 0, or -1 with a message. */
int emu_collect(const struct emu_run_opts *o, const char *const *paths, int n,
                struct run_result *res);

/* `gaiasim emu node ...` (argv[0] = "node"): one region's process. Exit status. */
int emu_node_main(int argc, char **argv);

#endif
