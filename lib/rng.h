/*
 * Pseudo-random streams. Every random entity (a region's trace, a worker's data shuffle, a
 * dataset generator) draws from its own stream derived from (run seed, stream id), so adding
 * an entity never perturbs the numbers another entity sees. Generator: xoshiro256**, seeded
 * through splitmix64.
 */
#ifndef GAIA_RNG_H
#define GAIA_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4]; /* xoshiro256** state; never all zero */
};

/* Initialise the stream `stream` of run seed `seed`. */
void rng_init(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(struct rng *r);
/* Uniform double in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal deviate. */
double rng_normal(struct rng *r);
/* Exponential deviate with the given mean. */
double rng_exp(struct rng *r, double mean);

/* Stream id made from a name and up to two integers, for readable derivations. */
uint64_t rng_stream_id(const char *name, uint64_t a, uint64_t b);

#endif
