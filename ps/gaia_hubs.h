/*
 * Gaia's hub overlay (`gaia.hubs = on`, docs/sync-models.md "Hubs"): the regions form the
 * topology's groups, each with a hub region. A shard sends its significant updates and mirror
 * clocks only to the shards of the same index in its own group; the hub's shard sums its group's
 * updates per clock and exchanges the sums with the other hubs (MSG_HUB then a group clock,
 * MSG_HCLOCK); a hub sums what the other hubs send and forwards it to its own group once every
 * other group's clock has passed (MSG_HUB then an inter-group clock, MSG_HCLOCK).
 *
 * Internal to sim/: ps/sync_gaia.c keeps one `struct gaia_hub` per shard when hubs are on and
 * calls these hooks at its clock boundaries, on hub-related messages and in its read rule.
 */
#ifndef GAIA_GAIA_HUBS_H
#define GAIA_GAIA_HUBS_H

#include <stdint.h>

struct ps;
struct ps_shard;
struct msg;
struct gaia_hub;

/* The fields of the Gaia shard state that the hub logic reads and updates. */
struct gaia_hub_link {
	const int64_t *mirror_clock; /* per replica: mirror clocks received (group members') */
	uint64_t *batch_seq;         /* the shard's batch-id counter, shared with its MIRROR batches
	                                so ids stay increasing on every channel (selective barrier) */
	double *wan_bytes;           /* bytes sent to other regions since the last clock boundary */
	int barrier;                 /* 1: send a selective barrier before a slow HUB batch */
	double barrier_drain_s;      /* its trigger: drain time of the data channel, seconds */
};

/*
 * Hub state of shard s, built from ps->cfg.region_group / group_hub / ngroups. NULL with a
 * message if the topology has no groups, a region with machines is in none, or a group's hub
 * region has no machines.
 */
struct gaia_hub *gaia_hub_new(const struct ps *ps, const struct ps_shard *s,
                              const struct gaia_hub_link *link);
void gaia_hub_free(struct gaia_hub *h);

/* Replicas to which the shard sends its own batches and mirror clocks (its group, not itself). */
int gaia_hub_dests(const struct gaia_hub *h, const int **replicas);

/*
 * The shard reached clock c and `batch` (MSG_MIRROR entries, possibly none) is what its filter
 * sent for clock c - 1. At a hub: the batch joins the group's sum of clock c, and every group
 * clock now complete is sent to the other hubs. Elsewhere: nothing.
 */
void gaia_hub_own_batch(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, int64_t c,
                        const struct msg *batch);

/*
 * A MIRROR or HUB batch arrived and has been added to the shard's copy. A hub sums a group
 * member's MIRROR into the group's sum and another hub's HUB into the inter-group sum of its
 * clock; nothing else is done with it (it is never added to the copy twice).
 */
void gaia_hub_on_data(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, const struct msg *m);

/*
 * An MCLOCK (already recorded in link->mirror_clock) or HCLOCK arrived: send any group clock
 * now complete (hub), record another hub's group clock and forward every inter-group clock now
 * complete to the group (hub), or record the inter-group clock forwarded by the hub (member).
 */
void gaia_hub_on_clock(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, const struct msg *m);

/*
 * Read rule, mirror part: 1 while some group member's mirror clock, or the inter-group clock
 * (forwarded by the hub, or computed at the hub itself), is below `need` (= c - slack).
 */
int gaia_hub_behind(const struct gaia_hub *h, int64_t need);

/*
 * The least clock whose significant updates from every other region have all arrived here: the
 * group members' mirror clocks and the inter-group clock (INT64_MAX with no other region).
 */
int64_t gaia_hub_seen(const struct gaia_hub *h);

#endif
