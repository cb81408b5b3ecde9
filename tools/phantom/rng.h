/* rng.h — a small seeded random generator (PCG32) with explicit state, so that a study is a pure
 * function of its recipe (scenario, seed) and several generators can run at once.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_RNG_H
#define PDVA_PHANTOM_RNG_H

#include <stdint.h>

typedef struct phantom_rng {
    uint64_t state;
    uint64_t inc;
    int has_spare_normal;
    double spare_normal;
} phantom_rng;

/* Seed a stream; `stream` separates independent sequences drawn from the same seed. */
void phantom_rng_seed(phantom_rng *rng, uint64_t seed, uint64_t stream);
uint32_t phantom_rng_u32(phantom_rng *rng);
/* Uniform in [0, 1). */
double phantom_rng_unit(phantom_rng *rng);
/* Uniform in [lo, hi). */
double phantom_rng_uniform(phantom_rng *rng, double lo, double hi);
/* Integer uniform in [lo, hi] (inclusive). */
int phantom_rng_int(phantom_rng *rng, int lo, int hi);
/* Standard normal (Marsaglia polar method). */
double phantom_rng_normal(phantom_rng *rng);
/* Poisson-distributed count of mean `mean` (exact below 64, normal approximation above). */
double phantom_rng_poisson(phantom_rng *rng, double mean);
/* 1 with probability p. */
int phantom_rng_chance(phantom_rng *rng, double p);

#endif /* PDVA_PHANTOM_RNG_H */
