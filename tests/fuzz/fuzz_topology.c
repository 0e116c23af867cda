/*
 * Fuzz harness: the topology parser (topology/topology.h, topology_load_file). An accepted
 * topology is checked for what its users rely on: at least one region, positive machines and
 * capacities, zero bandwidth on the diagonal, finite non-negative values elsewhere, and hub
 * groups whose hubs belong to them.
 */
#include <math.h>

#include "tests/fuzz/fuzz.h"
#include "topology/topology.h"

static void check_region(const struct topology *t, int i)
{
	const struct topo_region *r = &t->regions[i];
	FUZZ_CHECK(r->machines >= 1 && r->nic_bps > 0 && r->lan_bps > 0 && r->lan_rtt_s >= 0);
	FUZZ_CHECK(r->group >= -1 && r->group < t->ngroups);
	FUZZ_CHECK(topology_region(t, r->name) == i);
	for (int j = 0; j < t->n; j++) {
		size_t ij = (size_t)i * (size_t)t->n + (size_t)j;
		FUZZ_CHECK(isfinite(t->bw_bps[ij]) && isfinite(t->rtt_s[ij]) && isfinite(t->usd_per_gb[ij]));
		FUZZ_CHECK(t->rtt_s[ij] >= 0 && t->usd_per_gb[ij] >= 0);
		FUZZ_CHECK(i == j ? t->bw_bps[ij] == 0 : t->bw_bps[ij] > 0);
	}
}

static int run(const char *path)
{
	struct topology *t = topology_load_file(path);
	if (!t)
		return -1;
	FUZZ_CHECK(t->n >= 1 && t->name && t->sha256[64] == '\0');
	for (int i = 0; i < t->n; i++)
		check_region(t, i);
	for (int g = 0; g < t->ngroups; g++) {
		int hub = t->groups[g].hub;
		FUZZ_CHECK(hub >= 0 && hub < t->n && t->regions[hub].group == g);
	}
	topology_free(t);
	return 0;
}

FUZZ_TARGET(topology, "topology/*.topo tests/data/*/*.topo", run)
