/*
 * Topologies: the regions (data centers) of a deployment, the directed WAN links between them,
 * the machines and LAN inside each region, inter-region prices and optional hub groups.
 * Loaded from the line-oriented text format documented in docs/topology-format.md.
 */
#ifndef GAIA_TOPOLOGY_H
#define GAIA_TOPOLOGY_H

#include <stdint.h>
#include <stdio.h>

#define TOPO_NAME_MAX 32   /* longest region / group name, bytes incl. NUL */
#define TOPO_CITY_MAX 64   /* longest city string, bytes incl. NUL */
/*
 * Limits every parser of network figures enforces (topologies and traces), so that every value
 * it accepts is one the simulator can run: a bandwidth above 1 Pbit/s times 1024 machines is
 * still finite, and a one-way latency of half a day leaves room for 10^5 round trips before
 * the int64 ns clock (292 years) ends. docs/topology-format.md and docs/trace-format.md state them.
 */
#define TOPO_MAX_BPS 1e15        /* largest bandwidth, bits/s (1 Pbit/s) */
#define TOPO_MAX_RTT_MS 8.64e7   /* largest round-trip time, ms (one day) */

struct topo_region {
	char name[TOPO_NAME_MAX];  /* short name used everywhere, e.g. "virginia" */
	char code[TOPO_NAME_MAX];  /* EC2 region code, e.g. "us-east-1" */
	char city[TOPO_CITY_MAX];  /* human-readable location */
	int machines;              /* machines in this region, >= 1 */
	double nic_bps;            /* NIC bandwidth of each machine, bits/s, > 0 */
	double lan_bps;            /* LAN capacity inside the region, bits/s, > 0 */
	double lan_rtt_s;          /* LAN round-trip time, seconds, >= 0 */
	int group;                 /* index into topology.groups, or -1 */
};

struct topo_group {
	char name[TOPO_NAME_MAX];  /* group name, e.g. "americas" */
	int hub;                   /* region index of the group's hub */
};

struct topology {
	char *name;                /* topology name (from its `topology` line) */
	char *path;                /* file it was loaded from */
	char sha256[65];           /* hex SHA-256 of the file's bytes */
	int n;                     /* number of regions */
	struct topo_region *regions; /* n regions, in file order */
	double *bw_bps;            /* n*n directed WAN bandwidth, [src*n+dst], bits/s; diagonal 0 */
	double *rtt_s;             /* n*n directed round-trip time, seconds; diagonal = LAN RTT */
	double *usd_per_gb;        /* n*n price per GB (1e9 bytes) sent src->dst, USD, charged at src */
	int ngroups;               /* number of hub groups (0: no hubs) */
	struct topo_group *groups; /* ngroups groups */
};

/*
 * Load a topology from a file path, or by name from the shipped topologies (NAME resolves to
 * $GAIASIM_TOPODIR/NAME.topo, else the source tree's topology/NAME.topo, else the installed
 * data dir). On error prints "FILE:LINE: message" and returns NULL.
 */
struct topology *topology_load(const char *name_or_path);
/* Parse from a file path only. */
struct topology *topology_load_file(const char *path);
void topology_free(struct topology *t);

/*
 * Multiply every WAN link's bandwidth (bw_bps off the diagonal) by factor (> 0), e.g. for the
 * config key net.bw_scale (docs/config-format.md). LANs, NICs, RTTs and prices are unchanged.
 * Returns 0, or -1 without changing anything when a scaled bandwidth would leave
 * (0, TOPO_MAX_BPS].
 */
int topology_scale_wan(struct topology *t, double factor);

/* Index of the region named `s` (short name or EC2 code), or -1. */
int topology_region(const struct topology *t, const char *s);

/* One-way latency src->dst in seconds (RTT/2; LAN RTT/2 when src == dst). */
double topology_one_way_s(const struct topology *t, int src, int dst);

/* Print the matrices with units (for `gaiasim topo show`). */
void topology_print(const struct topology *t, FILE *out);

#endif
