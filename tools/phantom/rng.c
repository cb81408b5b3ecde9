/* rng.c — PCG32 (O'Neill, pcg-random.org, XSH RR variant) and the distributions we draw.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/rng.h"

#include <math.h>

void phantom_rng_seed(phantom_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0u;
    rng->inc = (stream << 1u) | 1u;
    rng->has_spare_normal = 0;
    rng->spare_normal = 0.0;
    (void)phantom_rng_u32(rng);
    rng->state += seed;
    (void)phantom_rng_u32(rng);
}

uint32_t phantom_rng_u32(phantom_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

double phantom_rng_unit(phantom_rng *rng)
{
    /* 53 random bits from two draws */
    uint64_t hi = phantom_rng_u32(rng) >> 5;
    uint64_t lo = phantom_rng_u32(rng) >> 6;
    return (double)(hi * 67108864u + lo) / 9007199254740992.0;
}

double phantom_rng_uniform(phantom_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * phantom_rng_unit(rng);
}

int phantom_rng_int(phantom_rng *rng, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    uint32_t span = (uint32_t)(hi - lo) + 1u;
    return lo + (int)(phantom_rng_u32(rng) % span);
}

double phantom_rng_normal(phantom_rng *rng)
{
    if (rng->has_spare_normal) {
        rng->has_spare_normal = 0;
        return rng->spare_normal;
    }
    double u, v, s;
    do {
        u = 2.0 * phantom_rng_unit(rng) - 1.0;
        v = 2.0 * phantom_rng_unit(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    rng->spare_normal = v * f;
    rng->has_spare_normal = 1;
    return u * f;
}

double phantom_rng_poisson(phantom_rng *rng, double mean)
{
    if (!(mean > 0.0))
        return 0.0;
    if (mean < 64.0) {
        /* Knuth's multiplication method: exact, cheap for small means */
        double limit = exp(-mean), p = 1.0;
        int k = 0;
        do {
            k++;
            p *= phantom_rng_unit(rng);
        } while (p > limit && k < 1000);
        return (double)(k - 1);
    }
    double x = mean + sqrt(mean) * phantom_rng_normal(rng);
    return x < 0.0 ? 0.0 : x;
}

int phantom_rng_chance(phantom_rng *rng, double p)
{
    return phantom_rng_unit(rng) < p;
}
