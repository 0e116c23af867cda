/*
 * `gaiasim net`: load a list of transfers, replay them (and an optional trace) over a
 * topology's network, and report when each transfer's first and last byte arrived, plus the
 * bytes each directed link carried per time bin.
 */
#ifndef GAIA_NETRUN_H
#define GAIA_NETRUN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"
#include "topology/topology.h"
#include "topology/trace.h"

struct netrun_transfer {
	int64_t id;            /* user's id (unique in the file) */
	sim_time_t start;      /* when it is sent, ns */
	int src, dst;          /* region indices */
	double bytes;          /* size, bytes */
	long line;             /* line in the transfers file */
	sim_time_t first_byte; /* result: when bytes began to move (start + latency), ns */
	sim_time_t finish;     /* result: when the last byte arrived, ns; -1 if it never did */
};

/* Bytes carried by one directed link (src == dst: LAN) during [t0, t1). */
struct netrun_bin {
	int src, dst;          /* region indices */
	sim_time_t t0, t1;     /* bin bounds, ns */
	double bytes;          /* bytes carried */
};

/*
 * The bound on link_bytes rows kept in memory (about 40 MB of struct netrun_bin): when a run
 * would write more, each link's rows are merged two by two and the bin width doubles (so a
 * row may span several bins of --bin; it still holds exactly what the link carried in it).
 */
#define NETRUN_MAX_BINS ((size_t)1 << 20)

struct netrun {
	struct netrun_transfer *xfers; /* transfers in file order */
	size_t n;                      /* how many */
	struct netrun_bin *bins;       /* non-empty link bins, in time order per link; a link's
	                                * rows sum to exactly the bytes it carried */
	size_t nbins;                  /* how many (at most max_bins) */
	size_t max_bins;               /* row bound; 0 (as netrun_load leaves it): NETRUN_MAX_BINS */
	sim_time_t end;                /* time the last transfer finished */
	uint64_t events;               /* simulator events run */
	char sha256[65];               /* hex SHA-256 of the transfers file as read */
};

/*
 * Parse a transfers CSV (header `id,start_s,src,dst,bytes`) against topology t. Returns 0 and
 * fills r->xfers / r->n, or -1 after printing "FILE:LINE: message".
 */
int netrun_load(struct netrun *r, const char *path, const struct topology *t);

/*
 * Simulate: every transfer, the trace if not NULL, link bins of bin_s seconds. When progress
 * is non-zero, a progress line is kept up to date on stderr. Returns 0, or -1 if some
 * transfer can never finish (a link left at zero bandwidth), with a message.
 */
int netrun_simulate(struct netrun *r, const struct topology *t, const struct trace *tr,
                    double bin_s, int progress);

void netrun_free(struct netrun *r);

#endif
