/*
 * Layouts of the cluster engine, shared by ps/ps.c and the sync models in ps/sync_*.c.
 * Not for use outside ps/ (tests may read it).
 */
#ifndef GAIA_PS_INTERNAL_H
#define GAIA_PS_INTERNAL_H

#include "ps/ps.h"
#include "ps/rowcache.h"
#include "ps/sync.h"

/* A read request held by a shard. */
struct ps_read {
	int worker;          /* requesting worker */
	int64_t clock;       /* the clock it is about to compute (= clocks it completed) */
	size_t n;            /* rows wanted from this shard */
	uint32_t *rows;      /* their ids (owned) */
	sim_time_t arrived;  /* when the request reached the shard, ns */
	int wait;            /* enum ps_wait that held it at the last check */
	struct ps_read *next; /* queue link */
};

/* Sum of the pushes of one clock, over the rows a shard owns (dense, local row index). */
struct ps_accum {
	int64_t clock;       /* clock the pushes belong to */
	int pushes;          /* pushes summed so far */
	double *val;         /* owned_rows * row_len values */
	uint8_t *touched;    /* owned_rows flags */
	uint32_t *rows;      /* local indices of touched rows, in first-touch order */
	size_t nrows;        /* entries in rows */
	struct ps_accum *next; /* list link (ascending clock) */
};

struct ps_shard {
	int replica;         /* replica it belongs to */
	int index;           /* shard index within the replica: owns rows with row % S == index */
	int node;            /* node hosting it */
	size_t owned;        /* rows owned */
	int64_t clock;       /* clocks completed by every worker of the replica (as seen here) */
	int64_t *pushed;     /* per worker of the replica (local index): pushes received */
	struct ps_read *reads; /* held reads, in arrival order */
	struct ps_read **reads_tail; /* the link to set when appending a read (O(1) append) */
	int ahead;           /* workers of the replica with pushed > clock */
	struct ps_accum *accs; /* open accumulators, ascending clock */
	struct ps_accum *spare; /* a cleared accumulator kept for reuse, or NULL */
	void *model;         /* sync model's per-shard state */
};

struct ps_replica {
	int region;          /* region of a per-region replica, or -1 for the global one */
	double *params;      /* the replica's parameters: nrows * row_len */
	int nshards;         /* shards */
	struct ps_shard **shards; /* shards by index */
	int nworkers;        /* workers reading it */
	int *workers;        /* their ids */
};

struct ps_worker {
	int id;              /* worker id = node */
	int node;            /* node */
	int region;          /* region of the node */
	int replica;         /* replica it reads and updates */
	int local;           /* index among the replica's workers */
	int64_t clock;       /* clocks completed */
	int pending;         /* replies outstanding */
	struct rowcache *view; /* its cache of the rows it touches, each with the shard clock
	                      * its copy was served at (ps/rowcache.h) */
	size_t nneed;        /* rows the current clock's step reads (rows_needed) */
	uint32_t *need_slot; /* their slots in view */
	size_t need_cap;     /* entries allocated in need_slot */
	int waiting;         /* 1 while waiting for replies before computing */
	struct wl_update *hist; /* its own updates of the last nhist clocks (ring by clock) */
	int64_t *hist_clock; /* clock of each ring slot, -1 if empty */
	int nhist;           /* ring size: the cache staleness bound (0: none kept) */
	struct wl_update upd; /* update of the current clock */
	double speed;        /* compute-time factor */
	sim_time_t read_sent; /* when the current clock's reads were sent */
	sim_time_t worst_held; /* longest a shard held one of this round's reads */
	int worst_wait;      /* its reason */
	int done;            /* stopped */
};

struct ps {
	struct ps_config cfg;        /* configuration (copied) */
	struct transport *t;         /* transport */
	const struct sync_ops *sync; /* consistency model */
	const void *sp;              /* its parameters */
	int nregions;                /* regions */
	int nnodes;                  /* nodes = workers */
	int *node_region;            /* region of each node */
	size_t nrows, row_len;       /* model shape */
	struct ps_worker *workers;   /* by node */
	int nreplicas;               /* replicas */
	struct ps_replica *replicas; /* by index */
	struct ps_shard *shards;     /* all shards */
	int nshards_total;           /* entries in shards */
	struct ps_shard **shard_at;  /* per node and replica: shard hosted there or NULL */
	struct observer obs;         /* where the nodes report events (ps/observer.h) */
	const struct compute_ops *compute; /* compute-time policy */
	double lr0;                  /* learning rate at clock 0 */
	double *init;                /* the initial model, nrows * row_len (views start from it) */
	double *step_model;          /* sparse views: nrows * row_len, where a step's rows are
	                              * copied before it reads them (steps run one at a time) */
	uint64_t next_batch;         /* batch ids */
	char *error;                 /* why the run cannot go on (ps_error), or NULL */
};

/* Helpers for the sync models. */
/* An empty message of `kind` for clock c from shard s to shard `to` (mirror traffic). */
struct msg *ps_shard_msg(const struct ps_shard *s, const struct ps_shard *to, enum msg_kind kind,
                         int64_t c);
/* Stamp, account (bytes per region pair and kind) and send. */
void ps_send(struct ps *ps, struct msg *m);
/* Serve every held read of the shard that the model now allows. */
void ps_serve_reads(struct ps *ps, struct ps_shard *s);
/* The wire format of messages about shard s: the run's widths and s's geometry. */
void ps_msg_format(const struct ps *ps, const struct ps_shard *s, struct msg_format *f);
/* Bytes m (about shard s; kind and n set) costs on the wire: msg_wire_bytes. */
double ps_wire_bytes(const struct ps *ps, const struct ps_shard *s, const struct msg *m);
/* Report a shard's part of a region's filter counts for a clock to the observer. */
void ps_filter_record(struct ps *ps, int region, int64_t clock, uint64_t produced,
                      uint64_t sent, double threshold);
/* Learning rate at clock c. */
double ps_learning_rate(const struct ps *ps, int64_t c);

/* Global row of a shard's local row index, and back. */
static inline uint32_t ps_row_global(const struct ps_shard *s, int nshards, size_t local)
{
	return (uint32_t)(local * (size_t)nshards + (size_t)s->index);
}

#endif
