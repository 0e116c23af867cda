/*
 * Fuzz harness: the bandwidth-trace parser (topology/trace.h, trace_load). Each input is
 * parsed against every topology the shipped traces are written for, so that the region names
 * of the seeds resolve. An accepted trace is checked: times never decrease, regions are in
 * range, bandwidths are finite and >= 0, RTTs are -1 (none) or finite and >= 0.
 */
#include <math.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "topology/trace.h"

/* Topologies of the seed traces (topology/traces, tests/data/trace, tests/data/net). */
static const char *const topo_files[] = {
	"topology/ec2-11.topo", "topology/ec2-11-64conn.topo", "tests/data/trace/t3.topo",
	"tests/data/trace/t4.topo", "tests/data/net/three.topo",
};
#define NTOPO (sizeof topo_files / sizeof topo_files[0])

static struct topology *topos[NTOPO]; /* loaded on first use, kept for the whole process */

static void load_topologies(void)
{
	for (size_t k = 0; k < NTOPO; k++) {
		char *p = fuzz_srcpath(topo_files[k]);
		topos[k] = topology_load_file(p);
		free(p);
		FUZZ_CHECK(topos[k] != NULL);
	}
}

static void check(const struct trace *tr, const struct topology *t)
{
	FUZZ_CHECK(tr->name && tr->sha256[64] == '\0');
	for (size_t k = 0; k < tr->n; k++) {
		const struct trace_change *c = &tr->changes[k];
		FUZZ_CHECK(c->time >= 0 && (k == 0 || c->time >= tr->changes[k - 1].time));
		FUZZ_CHECK(c->src >= 0 && c->src < t->n && c->dst >= 0 && c->dst < t->n);
		FUZZ_CHECK(isfinite(c->bw_bps) && c->bw_bps >= 0);
		FUZZ_CHECK(c->rtt_s == -1 || (isfinite(c->rtt_s) && c->rtt_s >= 0));
	}
}

static int run(const char *path)
{
	if (!topos[0])
		load_topologies();
	int accepted = 0;
	for (size_t k = 0; k < NTOPO; k++) {
		fuzz_clear_message();
		struct trace *tr = trace_load(path, topos[k]);
		if (tr) {
			check(tr, topos[k]);
			accepted = 1;
		} else {
			fuzz_rejected(path);
		}
		trace_free(tr);
	}
	return accepted ? 0 : -1;
}

FUZZ_TARGET(trace, "topology/traces/*.csv tests/data/trace/*.csv tests/data/net/trace-*.csv", run)
