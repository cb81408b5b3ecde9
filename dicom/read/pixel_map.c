/* pixel_map.c — stored pixel values to pdva's 16-bit output values.
 *
 * Output = the stored value (bits above the high bit masked, sign extended when signed) through
 * the Modality LUT or Rescale Slope/Intercept; when the result can be negative (signed pixels,
 * negative intercepts) the whole range is shifted up so that its smallest possible value is 0;
 * values are rounded and clamped to [0, max_value] (at most 65535); MONOCHROME1 is inverted
 * (max_value - v) so that bright always means more X-rays. All of it is folded into one table
 * indexed by the raw container value (256 or 65536 entries), so that converting a frame is a
 * single pass; the common case (unsigned MONOCHROME2 without rescale) needs only a mask.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dicom/read/read_internal.h"

typedef struct transform {
    bool use_lut;
    const pdva_read_header *hdr;
    int32_t lut_first;
    double slope, intercept;
} transform;

static double apply_transform(const transform *t, int32_t v)
{
    if (t->use_lut) {
        int64_t index = (int64_t)v - t->lut_first;
        if (index < 0)
            index = 0;
        if (index >= (int64_t)t->hdr->lut_entries)
            index = (int64_t)t->hdr->lut_entries - 1;
        uint16_t out = t->hdr->lut_data[index];
        if (t->hdr->lut_bits < 16)
            out = (uint16_t)(out & ((1u << t->hdr->lut_bits) - 1));
        return out;
    }
    return t->slope * (double)v + t->intercept;
}

/* Stored value of a raw container value. */
static int32_t stored_value(const pdva_read_pixel_map *m, uint32_t raw)
{
    uint32_t shift = (uint32_t)(m->high_bit + 1 - m->bits_stored);
    uint32_t mask = m->bits_stored >= 32 ? 0xFFFFFFFFu : (1u << m->bits_stored) - 1;
    uint32_t v = (raw >> shift) & mask;
    if (m->is_signed && (v & (1u << (m->bits_stored - 1))))
        return (int32_t)v - (int32_t)(1u << m->bits_stored);
    return (int32_t)v;
}

static bool parse_one(const char *raw, double *out)
{
    return pdva_read_parse_ds_list(raw, out, 1) == 1;
}

pdva_status pdva_read_pixel_map_build(const pdva_read_header *hdr, pdva_series_info *info,
                                      pdva_read_pixel_map *map, pdva_error **err)
{
    memset(map, 0, sizeof *map);
    map->container_bits = info->bits_allocated;
    map->bits_stored = info->bits_stored;
    map->high_bit = hdr->has_high_bit ? hdr->high_bit : (uint16_t)(info->bits_stored - 1);
    map->is_signed = info->pixel_signed;
    map->invert = info->monochrome1;

    transform t = {false, hdr, 0, 1.0, 0.0};
    info->rescale_slope = 1.0;
    info->rescale_intercept = 0.0;
    info->modality_lut_applied = false;
    if (hdr->has_modality_lut && !hdr->modality_lut_unusable && hdr->lut_data) {
        t.use_lut = true;
        t.lut_first = map->is_signed ? (int32_t)(int16_t)hdr->lut_first_mapped
                                     : (int32_t)(uint16_t)hdr->lut_first_mapped;
        info->modality_lut_applied = true;
        if (hdr->rescale_slope[0] || hdr->rescale_intercept[0])
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "both a Modality LUT and Rescale Slope/Intercept: the LUT is used");
    } else if (hdr->rescale_slope[0] || hdr->rescale_intercept[0]) {
        double slope = 1.0, intercept = 0.0;
        bool ok = (!hdr->rescale_slope[0] || parse_one(hdr->rescale_slope, &slope)) &&
                  (!hdr->rescale_intercept[0] || parse_one(hdr->rescale_intercept, &intercept));
        if (!ok || slope == 0 || fabs(slope) > 65536 || fabs(intercept) > 1e9) {
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "Rescale Slope '%s' / Intercept '%s' unusable: ignored",
                           hdr->rescale_slope, hdr->rescale_intercept);
        } else {
            t.slope = slope;
            t.intercept = intercept;
            info->rescale_slope = slope;
            info->rescale_intercept = intercept;
            info->modality_lut_applied = slope != 1.0 || intercept != 0.0;
        }
        if (hdr->rescale_varies)
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "Rescale Slope/Intercept differ between frames: the first frame's are "
                           "used");
    }

    /* Range of the transform over every possible stored value. */
    int32_t smin = map->is_signed ? -(int32_t)(1u << (map->bits_stored - 1)) : 0;
    int32_t smax = map->is_signed ? (int32_t)(1u << (map->bits_stored - 1)) - 1
                                  : (int32_t)((1u << map->bits_stored) - 1);
    double out_min, out_max;
    if (t.use_lut) {
        out_min = 65535;
        out_max = 0;
        int64_t lo = (int64_t)smin - t.lut_first, hi = (int64_t)smax - t.lut_first;
        int64_t last = (int64_t)hdr->lut_entries - 1;
        lo = lo < 0 ? 0 : (lo > last ? last : lo);
        hi = hi < 0 ? 0 : (hi > last ? last : hi);
        for (int64_t i = lo; i <= hi; i++) {
            double v = apply_transform(&t, (int32_t)(i + t.lut_first));
            if (v < out_min)
                out_min = v;
            if (v > out_max)
                out_max = v;
        }
    } else {
        double a = apply_transform(&t, smin), b = apply_transform(&t, smax);
        out_min = a < b ? a : b;
        out_max = a < b ? b : a;
    }
    double offset = out_min < 0 ? -out_min : 0;
    double top = floor(out_max + offset + 0.5);
    if (top > 65535) {
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "rescaled values reach %g: clamped to 65535", top);
        top = 65535;
    }
    if (offset > 0)
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "values can be negative: shifted up by %g so that they start at 0", offset);
    map->max_value = (uint16_t)(top < 0 ? 0 : top);
    info->max_value = map->max_value;

    map->identity = !t.use_lut && t.slope == 1.0 && t.intercept == 0.0 && !map->is_signed &&
                    map->high_bit + 1 == map->bits_stored;
    map->mask = (uint16_t)((1u << map->bits_stored) - 1);
    if (map->identity)
        return PDVA_OK;

    size_t entries = (size_t)1 << map->container_bits;
    map->table = pdva_alloc_array(entries, sizeof *map->table);
    if (!map->table)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for the pixel value table");
    for (size_t r = 0; r < entries; r++) {
        double v = floor(apply_transform(&t, stored_value(map, (uint32_t)r)) + offset + 0.5);
        if (!(v >= 0))
            v = 0;
        if (v > map->max_value)
            v = map->max_value;
        uint16_t out = (uint16_t)v;
        map->table[r] = map->invert ? (uint16_t)(map->max_value - out) : out;
    }
    return PDVA_OK;
}

void pdva_read_pixel_map_clear(pdva_read_pixel_map *map)
{
    if (!map)
        return;
    pdva_free(map->table);
    map->table = NULL;
}

/* value & mask (then top - that), sixteen samples at a time in a 32-byte vector (GCC and clang
 * vector extensions; two SSE2 registers on baseline x86-64, one AVX2 register in the clone
 * chosen at load time on CPUs that have it), loaded and stored through memcpy so that alignment
 * does not matter. The frame was just read, so this pass is bound by cache bandwidth. */
typedef uint16_t u16x16 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PDVA_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PDVA_VECTOR_CLONES
#endif

PDVA_VECTOR_CLONES
static void mask_samples(const uint16_t *src, uint16_t *dst, size_t n, uint16_t mask, bool invert,
                         uint16_t top)
{
    u16x16 m, t;
    for (int lane = 0; lane < 16; lane++) {
        m[lane] = mask;
        t[lane] = top;
    }
    size_t i = 0;
    if (invert) {
        for (; i + 16 <= n; i += 16) {
            u16x16 v;
            memcpy(&v, src + i, sizeof v);
            v = t - (v & m);
            memcpy(dst + i, &v, sizeof v);
        }
    } else if (mask == 0xFFFF) {
        /* 16 bits stored: nothing to mask */
        if (src != dst)
            memcpy(dst, src, n * sizeof *dst);
        return;
    } else {
        /* Stored values rarely carry bits above the high bit: look first (reading only), and
         * write only when some do. */
        u16x16 any = m & (u16x16){0};
        /* from the end: the last part written is the part still in the nearest cache */
        size_t k = n - n % 32;
        for (size_t j = k; j >= 32; j -= 32) {
            u16x16 a, b;
            memcpy(&a, src + j - 32, sizeof a);
            memcpy(&b, src + j - 16, sizeof b);
            any |= a | b;
        }
        uint16_t high = 0;
        for (int lane = 0; lane < 16; lane++)
            high = (uint16_t)(high | any[lane]);
        for (; k < n; k++)
            high = (uint16_t)(high | src[k]);
        if ((high & (uint16_t)~mask) == 0) {
            if (src != dst)
                memcpy(dst, src, n * sizeof *dst);
            return;
        }
        for (; i + 16 <= n; i += 16) {
            u16x16 v;
            memcpy(&v, src + i, sizeof v);
            v &= m;
            memcpy(dst + i, &v, sizeof v);
        }
    }
    for (; i < n; i++) {
        uint16_t v = (uint16_t)(src[i] & mask);
        dst[i] = invert ? (uint16_t)(top - v) : v;
    }
}

typedef uint8_t u8x16 __attribute__((vector_size(16)));

/* Bytes to 16-bit values (masked, inverted when asked), sixteen at a time. src and dst do not
 * overlap. */
PDVA_VECTOR_CLONES
static void widen_samples(const uint8_t *src, uint16_t *dst, size_t n, uint16_t mask, bool invert,
                          uint16_t top)
{
    u16x16 m, t;
    for (int lane = 0; lane < 16; lane++) {
        m[lane] = mask;
        t[lane] = top;
    }
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        u8x16 b;
        memcpy(&b, src + i, sizeof b);
        u16x16 v = __builtin_convertvector(b, u16x16) & m;
        if (invert)
            v = t - v;
        memcpy(dst + i, &v, sizeof v);
    }
    for (; i < n; i++) {
        uint16_t v = (uint16_t)(src[i] & mask);
        dst[i] = invert ? (uint16_t)(top - v) : v;
    }
}

void pdva_read_pixel_map_apply(const pdva_read_pixel_map *map, const void *src,
                               unsigned sample_bytes, uint16_t *dst, size_t n)
{
    const uint16_t mask = map->mask, top = map->max_value;
    if (sample_bytes == 2) {
        const uint16_t *s = src;
        if (map->identity) {
            mask_samples(s, dst, n, mask, map->invert, top);
        } else if (map->container_bits == 16) {
            const uint16_t *table = map->table;
            for (size_t i = 0; i < n; i++)
                dst[i] = table[s[i]];
        } else {
            /* 16-bit samples in an 8-bit container never reach here (refused before decoding);
             * keep the output bounded anyway. */
            for (size_t i = 0; i < n; i++)
                dst[i] = map->table[s[i] & 0xFF];
        }
        return;
    }
    const uint8_t *s = src;
    if ((const void *)s != (const void *)dst) {
        if (map->identity) {
            widen_samples(s, dst, n, mask, map->invert, top);
        } else {
            const uint16_t *table = map->table;
            for (size_t i = 0; i < n; i++)
                dst[i] = table[s[i]];
        }
        return;
    }
    /* Bytes in the first half of dst: widen from the end so nothing is overwritten before it
     * is read. */
    if (map->identity) {
        for (size_t i = n; i-- > 0;) {
            uint16_t v = (uint16_t)(s[i] & mask);
            dst[i] = map->invert ? (uint16_t)(top - v) : v;
        }
    } else {
        const uint16_t *table = map->table;
        for (size_t i = n; i-- > 0;)
            dst[i] = table[s[i]];
    }
}
