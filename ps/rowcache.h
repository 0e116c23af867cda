/*
 * A worker's cache of model rows (its view): the rows it has touched, each with the clock its
 * copy was served at. A row enters the cache the first time the worker needs it, receives it
 * or updates it, with the initial model's value and stamp 0 (the initial model is clock 0), so
 * a cached row holds exactly what a dense copy of the whole model would hold at that row.
 *
 * Two layouts behind one interface:
 *   sparse  rows in first-touch order (slot i = the i-th row touched), found through an
 *           open-addressing hash table; memory grows with the rows touched:
 *           row_len x 8 + 8 (stamp) + 4 (row id) + about 16 (hash table, load <= 1/2) bytes
 *           per row touched, for row_len = values per row.
 *   dense   every row of the model, slot = row; nrows x (row_len x 8 + 8) bytes from the start
 *           (the engine's layout before the sparse one; kept to check the sparse layout
 *           against and for workloads whose every step reads every row).
 * Lookups and inserts are O(1) expected; values are never moved between slots, but a slot's
 * values pointer is invalidated by the next insert (the value array grows).
 */
#ifndef GAIA_ROWCACHE_H
#define GAIA_ROWCACHE_H

#include <stddef.h>
#include <stdint.h>

struct rowcache;

/*
 * A cache of rows of row_len values over a model of nrows rows whose initial value is init
 * (nrows x row_len, borrowed: it must outlive the cache). dense = 1: the dense layout.
 */
struct rowcache *rowcache_new(size_t nrows, size_t row_len, const double *init, int dense);
void rowcache_free(struct rowcache *c);

/*
 * Switch to the dense layout (no-op if dense): every row of the model, the rows held keeping
 * their values and stamps, the others the initial model's with stamp 0 (what a sparse cache
 * would give them on insert). Slots change: slot = row from then on.
 */
void rowcache_densify(struct rowcache *c);
/* Slot of `row`, inserted (initial value, stamp 0) if absent. */
size_t rowcache_get(struct rowcache *c, uint32_t row);
/* Slot of `row`, or -1 if absent. */
long rowcache_find(const struct rowcache *c, uint32_t row);
/* The row_len values of a slot (valid until the next insert). */
double *rowcache_vals(struct rowcache *c, size_t slot);
/* The stamp of a slot: the shard clock its copy was served at (0: the initial model). */
int64_t *rowcache_stamp(struct rowcache *c, size_t slot);

/* The row a slot holds. */
uint32_t rowcache_row(const struct rowcache *c, size_t slot);
/* Rows held (dense: every row of the model). */
size_t rowcache_nrows(const struct rowcache *c);
/* Bytes allocated for rows, stamps and the index. */
size_t rowcache_bytes(const struct rowcache *c);
/* The values as one nrows x row_len array when the layout is dense, else NULL. */
const double *rowcache_dense(const struct rowcache *c);

#endif
