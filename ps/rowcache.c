/*
 * A worker's cache of model rows (ps/rowcache.h): dense, or sparse through an open-addressing
 * hash table (linear probing, Fibonacci hashing of the row id, load factor at most 1/2) over
 * slots in first-touch order.
 */
#include "ps/rowcache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

/* Hash table entries of a new sparse cache (a power of two). */
#define ROWCACHE_MIN_INDEX 64

struct rowcache {
	size_t nrows_model;    /* rows of the model */
	size_t row_len;        /* values per row */
	const double *init;    /* the initial model, nrows_model x row_len (borrowed) */
	int dense;             /* 1: slot = row, every row held */
	size_t n;              /* slots used */
	size_t cap;            /* slots allocated */
	double *vals;          /* cap x row_len values, by slot */
	int64_t *stamp;        /* cap stamps, by slot */
	uint32_t *row;         /* sparse: cap row ids, by slot */
	uint32_t *index;       /* sparse: hash table of slot + 1 (0 = empty), index_cap entries */
	size_t index_cap;      /* sparse: entries of index (a power of two) */
	unsigned shift;        /* sparse: 32 - log2(index_cap) */
};

static unsigned log2_size(size_t n)
{
	unsigned k = 0;
	while (((size_t)1 << k) < n)
		k++;
	return k;
}

struct rowcache *rowcache_new(size_t nrows, size_t row_len, const double *init, int dense)
{
	struct rowcache *c = xcalloc(1, sizeof *c);
	c->nrows_model = nrows;
	c->row_len = row_len;
	c->init = init;
	c->dense = dense;
	if (dense) {
		c->n = c->cap = nrows;
		c->vals = xmalloc((nrows * row_len + 1) * sizeof *c->vals);
		memcpy(c->vals, init, nrows * row_len * sizeof *c->vals);
		c->stamp = xcalloc(nrows + 1, sizeof *c->stamp);
		return c;
	}
	c->index_cap = ROWCACHE_MIN_INDEX;
	c->shift = 32 - log2_size(c->index_cap);
	c->index = xcalloc(c->index_cap, sizeof *c->index);
	return c;
}

void rowcache_densify(struct rowcache *c)
{
	if (c->dense)
		return;
	size_t rl = c->row_len, nrows = c->nrows_model;
	double *vals = xmalloc((nrows * rl + 1) * sizeof *vals);
	memcpy(vals, c->init, nrows * rl * sizeof *vals);
	int64_t *stamp = xcalloc(nrows + 1, sizeof *stamp);
	for (size_t s = 0; s < c->n; s++) {
		memcpy(vals + (size_t)c->row[s] * rl, c->vals + s * rl, rl * sizeof *vals);
		stamp[c->row[s]] = c->stamp[s];
	}
	free(c->vals);
	free(c->stamp);
	free(c->row);
	free(c->index);
	c->vals = vals;
	c->stamp = stamp;
	c->row = c->index = NULL;
	c->index_cap = 0;
	c->n = c->cap = nrows;
	c->dense = 1;
}

void rowcache_free(struct rowcache *c)
{
	if (!c)
		return;
	free(c->vals);
	free(c->stamp);
	free(c->row);
	free(c->index);
	free(c);
}

/* Home position of row in the hash table. */
static inline size_t home(const struct rowcache *c, uint32_t row)
{
	return (size_t)((uint32_t)(row * 2654435769u) >> c->shift);
}

/* Double the hash table and reinsert every slot. */
static void index_grow(struct rowcache *c)
{
	free(c->index);
	c->index_cap *= 2;
	c->shift--;
	c->index = xcalloc(c->index_cap, sizeof *c->index);
	size_t mask = c->index_cap - 1;
	for (size_t s = 0; s < c->n; s++) {
		size_t h = home(c, c->row[s]);
		while (c->index[h])
			h = (h + 1) & mask;
		c->index[h] = (uint32_t)(s + 1);
	}
}

long rowcache_find(const struct rowcache *c, uint32_t row)
{
	if (c->dense)
		return row < c->nrows_model ? (long)row : -1;
	size_t mask = c->index_cap - 1;
	for (size_t h = home(c, row); c->index[h]; h = (h + 1) & mask)
		if (c->row[c->index[h] - 1] == row)
			return (long)c->index[h] - 1;
	return -1;
}

/* A new slot for row (absent), holding its initial value and stamp 0. */
static size_t insert(struct rowcache *c, uint32_t row)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->vals = xreallocarray(c->vals, c->cap * c->row_len, sizeof *c->vals);
		c->stamp = xreallocarray(c->stamp, c->cap, sizeof *c->stamp);
		c->row = xreallocarray(c->row, c->cap, sizeof *c->row);
	}
	if (2 * (c->n + 1) > c->index_cap)
		index_grow(c);
	size_t s = c->n++, mask = c->index_cap - 1, h = home(c, row);
	memcpy(c->vals + s * c->row_len, c->init + (size_t)row * c->row_len,
	       c->row_len * sizeof *c->vals);
	c->stamp[s] = 0;
	c->row[s] = row;
	while (c->index[h])
		h = (h + 1) & mask;
	c->index[h] = (uint32_t)(s + 1);
	return s;
}

size_t rowcache_get(struct rowcache *c, uint32_t row)
{
	assert(row < c->nrows_model);
	long s = rowcache_find(c, row);
	return s >= 0 ? (size_t)s : insert(c, row);
}

double *rowcache_vals(struct rowcache *c, size_t slot)
{
	assert(slot < c->n);
	return c->vals + slot * c->row_len;
}

int64_t *rowcache_stamp(struct rowcache *c, size_t slot)
{
	assert(slot < c->n);
	return &c->stamp[slot];
}

uint32_t rowcache_row(const struct rowcache *c, size_t slot)
{
	assert(slot < c->n);
	return c->dense ? (uint32_t)slot : c->row[slot];
}

size_t rowcache_nrows(const struct rowcache *c)
{
	return c->n;
}

size_t rowcache_bytes(const struct rowcache *c)
{
	size_t b = c->cap * (c->row_len * sizeof *c->vals + sizeof *c->stamp);
	if (!c->dense)
		b += c->cap * sizeof *c->row + c->index_cap * sizeof *c->index;
	return b;
}

const double *rowcache_dense(const struct rowcache *c)
{
	return c->dense ? c->vals : NULL;
}
