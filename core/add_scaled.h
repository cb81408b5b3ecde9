/* add_scaled.h — dst[i] += w * src[i] over a row, for the float and the double rows of the
 * separable filters (the blur, the profile model's table).
 *
 * Eight values at a time: GCC's -O2 vectorizes a block of fixed length but leaves a loop of
 * unknown count scalar; restrict says the rows do not overlap. Each value is still summed tap by
 * tap in its callers' order, so vectorizing changes no result.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_ADD_SCALED_H
#define PDVA_CORE_ADD_SCALED_H

#include <stddef.h>

#define PDVA_DEFINE_ADD_SCALED(name, type)                                                         \
    static inline void name(type *restrict dst, const type *restrict src, type w, size_t n)       \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8)                                                                 \
            for (size_t j = 0; j < 8; j++)                                                         \
                dst[i + j] += w * src[i + j];                                                      \
        for (; i < n; i++)                                                                         \
            dst[i] += w * src[i];                                                                  \
    }

PDVA_DEFINE_ADD_SCALED(pdva_add_scaled_f, float)
PDVA_DEFINE_ADD_SCALED(pdva_add_scaled_d, double)

#endif /* PDVA_CORE_ADD_SCALED_H */
