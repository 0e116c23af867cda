/*
 * Bandwidth traces: piecewise-constant changes to directed links at exact simulated times.
 * CSV format `time_s,src,dst,bandwidth_bps[,rtt_ms]` (docs/trace-format.md). src == dst
 * changes that region's LAN capacity. Also the seeded synthetic trace generator.
 */
#ifndef GAIA_TRACE_H
#define GAIA_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/simtime.h"
#include "topology/topology.h"

struct trace_change {
	sim_time_t time;    /* when the change applies, ns since run start */
	int src, dst;       /* region indices in the topology */
	double bw_bps;      /* new bandwidth, bits/s, >= 0 */
	double rtt_s;       /* new RTT in seconds, or < 0 if the row gave none */
	long line;          /* source line, for messages */
};

struct trace {
	char *name;                  /* file base name without .csv */
	char *path;                  /* file it was loaded from */
	char sha256[65];             /* hex SHA-256 of the file's bytes */
	size_t n;                    /* number of changes */
	struct trace_change *changes; /* sorted by time (file order; times never decrease) */
};

/*
 * Load and validate against topology t; prints "FILE:LINE: message" and returns NULL on error.
 * `arg` is a file ("-": standard input; a path holds '/', ends in .csv or exists) or the NAME
 * of a shipped trace, found as NAME.csv like topologies are (lib/datadir.h, $GAIASIM_TRACEDIR).
 */
struct trace *trace_load(const char *arg, const struct topology *t);
/* Load one file, no lookup by name. */
struct trace *trace_load_file(const char *path, const struct topology *t);
void trace_free(struct trace *tr);

/* Parameters of the stationary-plus-excursions generator (docs/trace-format.md). */
struct tracegen_params {
	double duration_s;          /* trace length, seconds */
	double step_s;              /* spacing of stationary samples, seconds */
	double sigma;               /* relative std. dev. of the stationary component */
	double excursion_rate_per_h;/* mean excursions per directed pair per hour */
	double excursion_mean_s;    /* mean excursion duration, seconds */
	double excursion_depth_min; /* bandwidth during an excursion, as a fraction of base: min */
	double excursion_depth_max; /* ... and max */
	double correlated_share;    /* share of pairs whose stationary noise is shared with others */
	uint64_t seed;              /* run seed */
};

void tracegen_defaults(struct tracegen_params *p);
/* Check parameter ranges; 0, or -1 with a reason naming the value written to why. */
int tracegen_check(const struct tracegen_params *p, char *why, size_t why_size);
/* Write a trace CSV for topology t to out; returns 0, or -1 with a message. */
int trace_generate(const struct topology *t, const struct tracegen_params *p, FILE *out);

#endif
