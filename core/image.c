/* image.c — float image helpers (see image.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/image.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "core/add_scaled.h"
#include "base/parallel.h"
#include "base/error.h"

static pdva_status image_alloc(pdva_image *img, uint32_t width, uint32_t height, bool zeroed,
                               pdva_error **err)
{
    img->width = img->height = 0;
    img->data = NULL;
    if (width == 0 || height == 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "empty image %ux%u", width, height);
    size_t n = (size_t)width * height;
    img->data = zeroed ? pdva_calloc_array(n, sizeof(float)) : pdva_alloc_array(n, sizeof(float));
    if (!img->data)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a %ux%u image", width,
                              height);
    img->width = width;
    img->height = height;
    return PDVA_OK;
}

pdva_status pdva_image_create(pdva_image *img, uint32_t width, uint32_t height, pdva_error **err)
{
    return image_alloc(img, width, height, true, err);
}

pdva_status pdva_image_create_unset(pdva_image *img, uint32_t width, uint32_t height,
                                    pdva_error **err)
{
    return image_alloc(img, width, height, false, err);
}

void pdva_image_destroy(pdva_image *img)
{
    if (!img)
        return;
    pdva_free(img->data);
    img->data = NULL;
    img->width = img->height = 0;
}

float pdva_image_sample(const pdva_image *img, double x, double y)
{
    double u = x - 0.5, v = y - 0.5;
    long w = (long)img->width, h = (long)img->height;
    if (!(u > -1e9 && u < 1e9 && v > -1e9 && v < 1e9))
        return 0.0f;
    long x0 = (long)floor(u), y0 = (long)floor(v);
    double fx = u - (double)x0, fy = v - (double)y0;
    long xa = x0 < 0 ? 0 : (x0 >= w ? w - 1 : x0);
    long xb = x0 + 1 < 0 ? 0 : (x0 + 1 >= w ? w - 1 : x0 + 1);
    long ya = y0 < 0 ? 0 : (y0 >= h ? h - 1 : y0);
    long yb = y0 + 1 < 0 ? 0 : (y0 + 1 >= h ? h - 1 : y0 + 1);
    const float *d = img->data;
    double top = d[ya * w + xa] * (1.0 - fx) + d[ya * w + xb] * fx;
    double bot = d[yb * w + xa] * (1.0 - fx) + d[yb * w + xb] * fx;
    return (float)(top * (1.0 - fy) + bot * fy);
}

pdva_status pdva_image_downsample2(const pdva_image *src, pdva_image *dst, pdva_error **err)
{
    uint32_t w = (src->width + 1) / 2, h = (src->height + 1) / 2;
    pdva_status st = pdva_image_create(dst, w, h, err);
    if (st != PDVA_OK)
        return st;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double acc = 0.0;
            int n = 0;
            for (uint32_t dy = 0; dy < 2; dy++)
                for (uint32_t dx = 0; dx < 2; dx++) {
                    uint32_t sx = 2 * x + dx, sy = 2 * y + dy;
                    if (sx < src->width && sy < src->height) {
                        acc += src->data[(size_t)sy * src->width + sx];
                        n++;
                    }
                }
            dst->data[(size_t)y * w + x] = (float)(acc / n);
        }
    return PDVA_OK;
}

/* What the two passes of a Gaussian blur share. */
typedef struct blur_job {
    float *data, *tmp;
    uint32_t width, height;
    int radius;
    float kernel[401];
} blur_job;

/* Rows [y0, y1) of the horizontal pass, data into tmp. */
static void blur_rows_horizontal(void *ctx, size_t y0, size_t y1)
{
    const blur_job *job = ctx;
    const size_t width = job->width;
    const int radius = job->radius;
    const float *kernel = job->kernel;
    /* the columns whose every tap is inside, [x_lo, x_hi), are summed tap by tap over the
     * whole run; each pixel's sum is taken in the same order as at the clamped border */
    size_t x_lo = (size_t)radius < width ? (size_t)radius : width;
    size_t x_hi = width > (size_t)radius ? width - (size_t)radius : 0;
    if (x_hi < x_lo)
        x_hi = x_lo;
    for (size_t y = y0; y < y1; y++) {
        const float *src = job->data + y * width;
        float *dst = job->tmp + y * width;
        if (x_hi > x_lo) {
            memset(dst + x_lo, 0, (x_hi - x_lo) * sizeof(float));
            for (int k = -radius; k <= radius; k++)
                pdva_add_scaled_f(dst + x_lo, src + (ptrdiff_t)x_lo + k, kernel[k + radius],
                           x_hi - x_lo);
        }
        for (size_t x = 0; x < width; x++) {
            if (x == x_lo && x_hi > x_lo) {
                x = x_hi - 1;
                continue;
            }
            float acc = 0.0f;
            for (int k = -radius; k <= radius; k++) {
                long xx = (long)x + k;
                xx = xx < 0 ? 0 : (xx >= (long)width ? (long)width - 1 : xx);
                acc += kernel[k + radius] * src[xx];
            }
            dst[x] = acc;
        }
    }
}

/* Rows [y0, y1) of the vertical pass, tmp back into data. */
static void blur_rows_vertical(void *ctx, size_t y0, size_t y1)
{
    const blur_job *job = ctx;
    const size_t width = job->width, height = job->height;
    const int radius = job->radius;
    for (size_t y = y0; y < y1; y++) {
        float *dst = job->data + y * width;
        memset(dst, 0, width * sizeof(float));
        for (int k = -radius; k <= radius; k++) {
            long yy = (long)y + k;
            yy = yy < 0 ? 0 : (yy >= (long)height ? (long)height - 1 : yy);
            pdva_add_scaled_f(dst, job->tmp + (size_t)yy * width, job->kernel[k + radius], width);
        }
    }
}

void pdva_blur_buffer_threads(float *data, uint32_t width, uint32_t height, double sigma_px,
                              float *tmp, unsigned threads)
{
    if (!(sigma_px > 0.05) || width == 0 || height == 0)
        return;
    blur_job job = {data, tmp, width, height, (int)ceil(3.0 * sigma_px), {0}};
    if (job.radius > 200)
        job.radius = 200;
    double sum = 0.0;
    for (int k = -job.radius; k <= job.radius; k++) {
        job.kernel[k + job.radius] = (float)exp(-0.5 * k * k / (sigma_px * sigma_px));
        sum += job.kernel[k + job.radius];
    }
    for (int k = 0; k <= 2 * job.radius; k++)
        job.kernel[k] = (float)(job.kernel[k] / sum);
    if (threads == 1) {
        blur_rows_horizontal(&job, 0, height);
        blur_rows_vertical(&job, 0, height);
        return;
    }
    pdva_parallel_for(threads, height, 32, blur_rows_horizontal, &job);
    pdva_parallel_for(threads, height, 32, blur_rows_vertical, &job);
}

void pdva_blur_buffer(float *data, uint32_t width, uint32_t height, double sigma_px, float *tmp)
{
    pdva_blur_buffer_threads(data, width, height, sigma_px, tmp, 1);
}

void pdva_image_blur(pdva_image *img, double sigma_px, float *tmp)
{
    pdva_blur_buffer(img->data, img->width, img->height, sigma_px, tmp);
}

/* Put the k-th smallest of v[0..n) at v[k], smaller-or-equal values before it and
 * greater-or-equal after (Hoare's selection, median-of-three pivots): the quantile needs two
 * order statistics, not a sorted sample. */
static void select_kth(float *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        /* order v[lo], v[mid], v[hi]; the median becomes the pivot */
        if (v[mid] < v[lo]) { float t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { float t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[hi] < v[mid]) { float t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        float pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* now v[lo..j] <= pivot <= v[i..hi], and j < i */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return; /* between j and i: equal to the pivot, in place */
    }
}

float pdva_image_quantile(const float *data, size_t n, double fraction)
{
    enum { MAX_SAMPLES = 65536 };
    if (n == 0)
        return 0.0f;
    size_t stride = n / MAX_SAMPLES + 1;
    size_t m = 0;
    /* room for what the stride takes, not always the most: small calls (a noise block's 900
     * values, a thousand times a frame) then stay on the heap instead of mapping fresh pages */
    size_t cap = n / stride + 1;
    float *sample = pdva_alloc_array(cap, sizeof(float));
    if (!sample)
        return 0.0f;
    for (size_t i = 0; i < n && m <= MAX_SAMPLES; i += stride)
        if (isfinite(data[i]))
            sample[m++] = data[i];
    float q = 0.0f;
    if (m > 0) {
        double pos = fraction * (double)(m - 1);
        size_t k = (size_t)pos;
        if (k >= m - 1) {
            select_kth(sample, m, m - 1);
            q = sample[m - 1];
        } else {
            select_kth(sample, m, k);
            float next = sample[k + 1]; /* the smallest of what lies above the k-th */
            for (size_t i = k + 2; i < m; i++)
                next = sample[i] < next ? sample[i] : next;
            q = (float)(sample[k] + (pos - (double)k) * (next - sample[k]));
        }
    }
    pdva_free(sample);
    return q;
}

/* The images are finite: plain comparisons (no NaN rules) let the compiler inline and
 * vectorize them. */
static inline float min_f(float a, float b) { return b < a ? b : a; }
static inline float max_f(float a, float b) { return b > a ? b : a; }

/* Running minimum (or maximum) over windows of 2 r + 1 along one row of n values (van Herk /
 * Gil-Werman: a forward and a backward running extreme within blocks of 2 r + 1). */
static void running_extreme_row(const float *in, float *out, size_t n, uint32_t r, bool maximum,
                                float *g, float *h, float *line)
{
    size_t k = 2 * (size_t)r + 1;
    size_t m = n + 2 * (size_t)r;
    /* pad with the edge values so the border is not biased */
    for (size_t i = 0; i < m; i++) {
        size_t j = i < r ? 0 : (i - r >= n ? n - 1 : i - r);
        line[i] = in[j];
    }
    for (size_t i = 0; i < m; i++) {
        if (i % k == 0)
            g[i] = line[i];
        else
            g[i] = maximum ? max_f(g[i - 1], line[i]) : min_f(g[i - 1], line[i]);
    }
    for (size_t i = m; i-- > 0;) {
        if (i == m - 1 || (i + 1) % k == 0)
            h[i] = line[i];
        else
            h[i] = maximum ? max_f(h[i + 1], line[i]) : min_f(h[i + 1], line[i]);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = maximum ? max_f(h[i], g[i + k - 1]) : min_f(h[i], g[i + k - 1]);
}

/* The same down the columns, for a strip of EXTREME_STRIP columns at a time: rows of the strip
 * are processed whole, so that memory is read along rows and the work vectorizes across
 * columns. g and h hold (hgt + 2 r) x EXTREME_STRIP values. */
#define EXTREME_STRIP 64u
static void running_extreme_columns(const float *src, float *dst, uint32_t w, size_t stride,
                                    uint32_t hgt, uint32_t r, bool maximum, float *g, float *h)
{
    size_t k = 2 * (size_t)r + 1;
    size_t m = hgt + 2 * (size_t)r;
    for (uint32_t x0 = 0; x0 < w; x0 += EXTREME_STRIP) {
        uint32_t sw = w - x0 < EXTREME_STRIP ? w - x0 : EXTREME_STRIP;
        for (size_t i = 0; i < m; i++) {
            size_t j = i < r ? 0 : (i - r >= hgt ? hgt - 1 : i - r);
            const float *in = src + j * stride + x0;
            float *gi = g + i * EXTREME_STRIP;
            if (i % k == 0) {
                for (uint32_t c = 0; c < sw; c++)
                    gi[c] = in[c];
            } else {
                const float *prev = gi - EXTREME_STRIP;
                if (maximum)
                    for (uint32_t c = 0; c < sw; c++)
                        gi[c] = max_f(prev[c], in[c]);
                else
                    for (uint32_t c = 0; c < sw; c++)
                        gi[c] = min_f(prev[c], in[c]);
            }
        }
        for (size_t i = m; i-- > 0;) {
            size_t j = i < r ? 0 : (i - r >= hgt ? hgt - 1 : i - r);
            const float *in = src + j * stride + x0;
            float *hi = h + i * EXTREME_STRIP;
            if (i == m - 1 || (i + 1) % k == 0) {
                for (uint32_t c = 0; c < sw; c++)
                    hi[c] = in[c];
            } else {
                const float *next = hi + EXTREME_STRIP;
                if (maximum)
                    for (uint32_t c = 0; c < sw; c++)
                        hi[c] = max_f(next[c], in[c]);
                else
                    for (uint32_t c = 0; c < sw; c++)
                        hi[c] = min_f(next[c], in[c]);
            }
        }
        for (uint32_t y = 0; y < hgt; y++) {
            const float *hy = h + (size_t)y * EXTREME_STRIP;
            const float *gy = g + ((size_t)y + k - 1) * EXTREME_STRIP;
            float *out = dst + (size_t)y * stride + x0;
            if (maximum)
                for (uint32_t c = 0; c < sw; c++)
                    out[c] = max_f(hy[c], gy[c]);
            else
                for (uint32_t c = 0; c < sw; c++)
                    out[c] = min_f(hy[c], gy[c]);
        }
    }
}

/* What the row and strip passes of a separable extreme share. */
typedef struct extreme_job {
    const float *src;
    float *dst, *tmp_img;
    uint32_t w, hgt, r;
    bool maximum;
    size_t longest;     /* the longest line, padded: the size of each pass's own buffers */
    atomic_bool failed; /* a pass's buffers could not be allocated */
} extreme_job;

/* Rows [y0, y1): the running extreme along each row, src into tmp_img. */
static void extreme_rows(void *ctx, size_t y0, size_t y1)
{
    extreme_job *job = ctx;
    float *g = pdva_alloc_array(job->longest, sizeof(float));
    float *h = pdva_alloc_array(job->longest, sizeof(float));
    float *line = pdva_alloc_array(job->longest, sizeof(float));
    if (g && h && line)
        for (size_t y = y0; y < y1; y++)
            running_extreme_row(job->src + y * job->w, job->tmp_img + y * job->w, job->w, job->r,
                                job->maximum, g, h, line);
    else
        atomic_store(&job->failed, true);
    pdva_free(g);
    pdva_free(h);
    pdva_free(line);
}

/* Strips [s0, s1) of EXTREME_STRIP columns: the running extreme down the columns, tmp_img into
 * dst. */
static void extreme_strips(void *ctx, size_t s0, size_t s1)
{
    extreme_job *job = ctx;
    float *g = pdva_alloc_array(job->longest * EXTREME_STRIP, sizeof(float));
    float *h = pdva_alloc_array(job->longest * EXTREME_STRIP, sizeof(float));
    if (g && h)
        for (size_t s = s0; s < s1; s++) {
            uint32_t x0 = (uint32_t)s * EXTREME_STRIP;
            uint32_t sw = job->w - x0 < EXTREME_STRIP ? job->w - x0 : EXTREME_STRIP;
            running_extreme_columns(job->tmp_img + x0, job->dst + x0, sw, job->w, job->hgt, job->r,
                                    job->maximum, g, h);
        }
    else
        atomic_store(&job->failed, true);
    pdva_free(g);
    pdva_free(h);
}

static bool separable_extreme(const float *src, float *dst, uint32_t w, uint32_t hgt, uint32_t r,
                              bool maximum, float *tmp_img, unsigned threads)
{
    size_t longest = (w > hgt ? w : hgt) + 2 * (size_t)r + 2;
    extreme_job job = {src, dst, tmp_img, w, hgt, r, maximum, longest, false};
    pdva_parallel_for(threads, hgt, 32, extreme_rows, &job);
    pdva_parallel_for(threads, (w + EXTREME_STRIP - 1) / EXTREME_STRIP, 1, extreme_strips, &job);
    return !atomic_load(&job.failed);
}

pdva_status pdva_image_opening(const pdva_image *src, pdva_image *dst, uint32_t radius,
                               unsigned threads, pdva_error **err)
{
    uint32_t w = src->width, hgt = src->height;
    float *tmp = pdva_alloc_array((size_t)w * hgt, sizeof(float));
    float *eroded = pdva_alloc_array((size_t)w * hgt, sizeof(float));
    pdva_status st = PDVA_OK;
    if (!tmp || !eroded ||
        !separable_extreme(src->data, eroded, w, hgt, radius, false, tmp, threads) ||
        !separable_extreme(eroded, dst->data, w, hgt, radius, true, tmp, threads))
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the opening");
    pdva_free(tmp);
    pdva_free(eroded);
    return st;
}
