/* dsa.c — streaming subtraction (see dsa.h).
 *
 * Mask: frames are averaged into the mask until contrast arrives. Arrival is seen on a 1/4-scale
 * copy of each frame against the first one: iodine only darkens, so the count of blocks that got
 * darker by more than 6 sigma grows while the count that got brighter does not (motion makes
 * both). The frame just before arrival is checked again with a lower threshold and left out of
 * the mask when it already holds a trace of contrast.
 * Motion: translation of each frame against the mask, Lucas-Kanade on a smoothed half-scale copy,
 * iterated, leaving out pixels whose residual says they hold contrast.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/dsa.h"

#include <math.h>
#include <stdio.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "base/alloc.h"
#include "base/parallel.h"
#include "base/error.h"

#define QUARTER 4
/* accuracy of the motion estimate before the mask is known, in full-resolution pixels */
#define MOTION_RESIDUAL_PX 0.35
#define RECENT 3

/* A pixel of the registration's reference that says something about the shift: its place,
 * gradient and value (in the order of the image's rows). */
struct lk_point {
    uint32_t x, y;
    float gx, gy, m;
};

struct pdva_dsa {
    pdva_dsa_params p;
    uint32_t next_index;
    float *lut;             /* stored value -> log domain */
    double units_per_ln;
    pdva_image cur;         /* current frame, log domain, full resolution */
    /* the last frames before contrast was seen, kept until it is: when it comes, the first
     * of them that already hold a trace of it are left out of the mask */
    pdva_image recent[RECENT];
    pdva_image q_recent[RECENT];
    uint32_t recent_index[RECENT];
    size_t n_recent;
    pdva_image mask_sum;    /* sum of the clean mask frames so far (up to index - 2) */
    uint32_t mask_count;
    uint32_t mask_last;     /* index of the last frame in mask_sum */
    pdva_image mask;        /* final mask (log) */
    bool mask_ready;
    pdva_image q_first;     /* 1/4 scale of the first frame */
    pdva_image q_cur;
    pdva_image q_noise;     /* noise of a quarter-scale block difference */
    pdva_image q_edge;      /* what a residual misregistration changes a block by: its
                               gradient times the registration's accuracy */
    double noise_frame;     /* per-pixel noise of one frame, log units (median over the body) */
    pdva_image noise_map;   /* per-block noise of one frame */
    double *weights;        /* trapezoid weight of each frame in the AUC */
    /* registration */
    pdva_image h_mask, h_cur, h_tmp;
    struct lk_point *lk; /* the half-scale mask's pixels with a gradient above the noise */
    size_t n_lk;
    double *shift_x, *shift_y;
    float *scratch;
    /* results */
    pdva_image auc, peak_half;
    float *top;             /* per pixel, the PDVA_DSA_TOP_K largest keys (the locally smoothed
                             * value), descending, then the values of the frames they came from:
                             * side by side, so that a pixel's store is one cache line */
    float *top_floor;       /* per pixel, the smallest key in its store (a new value must beat
                             * it): read alone, in a row of its own, most pixels of a frame are
                             * passed over without touching their stores */
    float *box_tmp;
    uint32_t top_count;     /* frames seen by the top-K store */
    pdva_image opacified;
    int16_t *cube;
    uint8_t *plane_written; /* per frame: its cube plane holds its subtraction */
    uint32_t cube_w, cube_h;
    double cube_scale;
    bool contrast_found, mask_contrast_free;
    uint32_t mask_frame, first_contrast;
    uint32_t saturated;
    double max_motion;
};

void pdva_dsa_destroy(pdva_dsa *d)
{
    if (!d)
        return;
    pdva_free(d->lut);
    pdva_image_destroy(&d->cur);
    for (int i = 0; i < RECENT; i++) {
        pdva_image_destroy(&d->recent[i]);
        pdva_image_destroy(&d->q_recent[i]);
    }
    pdva_image_destroy(&d->mask_sum);
    pdva_image_destroy(&d->mask);
    pdva_image_destroy(&d->q_first);
    pdva_image_destroy(&d->noise_map);
    pdva_image_destroy(&d->q_cur);
    pdva_image_destroy(&d->q_noise);
    pdva_image_destroy(&d->q_edge);
    pdva_free(d->weights);
    pdva_image_destroy(&d->h_mask);
    pdva_free(d->lk);
    pdva_image_destroy(&d->h_cur);
    pdva_image_destroy(&d->h_tmp);
    pdva_free(d->shift_x);
    pdva_free(d->shift_y);
    pdva_free(d->scratch);
    pdva_image_destroy(&d->auc);
    pdva_free(d->top);
    pdva_free(d->top_floor);
    pdva_free(d->box_tmp);
    pdva_image_destroy(&d->opacified);
    pdva_image_destroy(&d->peak_half);
    pdva_free(d->cube);
    pdva_free(d->plane_written);
    pdva_free(d);
}

pdva_status pdva_dsa_create(const pdva_dsa_params *params, pdva_dsa **out, pdva_error **err)
{
    *out = NULL;
    if (!params || params->rows < 8 || params->columns < 8 || params->frames < 1 ||
        !params->frame_times_s)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "subtraction needs >= 8x8 frames "
                                                              "with times");
    pdva_dsa *d = pdva_calloc_array(1, sizeof *d);
    if (!d)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the subtraction");
    d->p = *params;
    uint32_t w = params->columns, h = params->rows;
    d->cube_w = (w + 1) / 2;
    d->cube_h = (h + 1) / 2;
    size_t npix = (size_t)w * h;
    pdva_status st = PDVA_OK;
    d->lut = pdva_alloc_array(65536, sizeof(float));
    d->weights = pdva_calloc_array(params->frames, sizeof(double));
    d->shift_x = pdva_calloc_array(params->frames, sizeof(double));
    d->shift_y = pdva_calloc_array(params->frames, sizeof(double));
    d->scratch = pdva_alloc_array(npix, sizeof(float));
    /* each plane is written by its frame's subtraction, or zeroed by pdva_dsa_finish: zeroing
     * the whole cube here would hold up the first frame */
    d->cube = pdva_alloc_array((size_t)d->cube_w * d->cube_h * params->frames, sizeof(int16_t));
    d->plane_written = pdva_calloc_array(params->frames, 1);
    if (!d->lut || !d->weights || !d->shift_x || !d->shift_y || !d->scratch || !d->cube ||
        !d->plane_written)
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the subtraction buffers");
    if (st == PDVA_OK)
        st = pdva_image_create_unset(&d->cur, w, h, err); /* each frame, mapped whole */
    for (int i = 0; i < RECENT && st == PDVA_OK; i++)
        st = pdva_image_create_unset(&d->recent[i], w, h, err); /* copies of cur */
    if (st == PDVA_OK)
        st = pdva_image_create(&d->mask_sum, w, h, err);
    if (st == PDVA_OK)
        st = pdva_image_create(&d->auc, w, h, err);
    if (st == PDVA_OK)
        st = pdva_image_create_unset(&d->peak_half, d->cube_w, d->cube_h, err); /* at finish */
    if (st == PDVA_OK)
        st = pdva_image_create_unset(&d->opacified, w, h, err); /* at finish, every pixel */
    if (st == PDVA_OK) {
        d->top = pdva_alloc_array(npix * 2 * PDVA_DSA_TOP_K, sizeof(float));
        d->top_floor = pdva_alloc_array(npix, sizeof(float));
        d->box_tmp = pdva_alloc_array(npix, sizeof(float));
        /* filled by the first subtracted frame's rows, on the threads that subtract it */
        if (!d->top || !d->top_floor || !d->box_tmp)
            st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the subtraction");
    }
    if (st != PDVA_OK) {
        pdva_dsa_destroy(d);
        return st;
    }
    /* the storage curve */
    for (uint32_t v = 0; v < 65536; v++)
        d->lut[v] = params->log_stored ? (float)v : (float)log(v > 0 ? (double)v : 0.5);
    d->units_per_ln = params->log_stored ? NAN : 1.0;
    /* trapezoid weights of the frames for the area under the curve */
    const double *t = params->frame_times_s;
    for (uint32_t f = 0; f < params->frames; f++) {
        double left = f > 0 ? t[f] - t[f - 1] : 0.0;
        double right = f + 1 < params->frames ? t[f + 1] - t[f] : 0.0;
        d->weights[f] = 0.5 * (left + right);
    }
    *out = d;
    return PDVA_OK;
}

/* Block means at 1/k scale. */
static pdva_status block_mean(const pdva_image *src, uint32_t k, pdva_image *dst, pdva_error **err)
{
    uint32_t w = (src->width + k - 1) / k, h = (src->height + k - 1) / k;
    if (!dst->data) { /* every block is written below */
        pdva_status st = pdva_image_create_unset(dst, w, h, err);
        if (st != PDVA_OK)
            return st;
    }
    /* the blocks wholly inside, [0, full_w) x [0, full_h), need no bounds (same sums, in the
     * same order) */
    uint32_t full_w = src->width / k, full_h = src->height / k, sw = src->width;
    for (uint32_t y = 0; y < h; y++) {
        uint32_t x = 0;
        if (y < full_h)
            for (; x < full_w; x++) {
                const float *b = src->data + (size_t)y * k * sw + (size_t)x * k;
                double acc = 0.0;
                for (uint32_t sy = 0; sy < k; sy++)
                    for (uint32_t sx = 0; sx < k; sx++)
                        acc += b[(size_t)sy * sw + sx];
                dst->data[(size_t)y * w + x] = (float)(acc / (k * k));
            }
        for (; x < w; x++) {
            double acc = 0.0;
            uint32_t n = 0;
            for (uint32_t sy = y * k; sy < (y + 1) * k && sy < src->height; sy++)
                for (uint32_t sx = x * k; sx < (x + 1) * k && sx < src->width; sx++) {
                    acc += src->data[(size_t)sy * src->width + sx];
                    n++;
                }
            dst->data[(size_t)y * w + x] = (float)(acc / n);
        }
    }
    return PDVA_OK;
}

/* Block means of src as if it had not moved by (sx, sy) pixels: each block averages the frame
 * sampled where the first frame's block went. Shifting at full resolution, where the optics
 * have already smoothed every edge, keeps the interpolation from biasing the blocks (shifting the
 * block means themselves blurs them, which darkens every bright ridge). */
static pdva_status shifted_block_mean(const pdva_image *src, double sx, double sy, pdva_image *dst,
                                      pdva_error **err)
{
    if (fabs(sx) < 0.02 && fabs(sy) < 0.02)
        return block_mean(src, QUARTER, dst, err);
    uint32_t k = QUARTER;
    uint32_t w = (src->width + k - 1) / k, h = (src->height + k - 1) / k;
    if (!dst->data) {
        pdva_status st = pdva_image_create(dst, w, h, err);
        if (st != PDVA_OK)
            return st;
    }
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double acc = 0.0;
            uint32_t n = 0;
            for (uint32_t py = y * k; py < (y + 1) * k && py < src->height; py++)
                for (uint32_t px = x * k; px < (x + 1) * k && px < src->width; px++) {
                    acc += pdva_image_sample(src, px + 0.5 + sx, py + 0.5 + sy);
                    n++;
                }
            dst->data[(size_t)y * w + x] = (float)(acc / n);
        }
    return PDVA_OK;
}

/* Per-pixel noise of a frame from second differences along rows (white noise: the variance of
 * x - (left + right) / 2 is 1.5 sigma^2), estimated robustly (median absolute value) in blocks,
 * since quantum noise grows where the body is thick. The map's median over the darker blocks (the
 * body) is the series' typical noise. */
static pdva_status estimate_noise(pdva_dsa *d, const pdva_image *img, float *scratch,
                                  pdva_error **err)
{
    const uint32_t B = PDVA_DSA_NOISE_BLOCK;
    uint32_t bw = (img->width + B - 1) / B, bh = (img->height + B - 1) / B;
    pdva_status st = pdva_image_create(&d->noise_map, bw, bh, err);
    if (st != PDVA_OK)
        return st;
    float *level = scratch + (size_t)B * B;
    for (uint32_t by = 0; by < bh; by++)
        for (uint32_t bx = 0; bx < bw; bx++) {
            size_t n = 0;
            double mean = 0.0;
            for (uint32_t y = by * B; y < (by + 1) * B && y < img->height; y++) {
                const float *r = img->data + (size_t)y * img->width;
                for (uint32_t x = bx * B + 1; x + 1 < (bx + 1) * B && x + 1 < img->width; x++) {
                    scratch[n++] = fabsf(r[x] - 0.5f * (r[x - 1] + r[x + 1]));
                    mean += r[x];
                }
            }
            float sigma = n > 16 ? (float)(1.4826 * pdva_image_quantile(scratch, n, 0.5) /
                                           sqrt(1.5))
                                 : 0.0f;
            d->noise_map.data[(size_t)by * bw + bx] = sigma;
            level[(size_t)by * bw + bx] = n ? (float)(mean / (double)n) : 0.0f;
        }
    /* the body's typical noise: blocks darker than the median level */
    size_t nb = (size_t)bw * bh, m = 0;
    float mid = pdva_image_quantile(level, nb, 0.5);
    float *pick = level + nb;
    for (size_t i = 0; i < nb; i++)
        if (level[i] <= mid)
            pick[m++] = d->noise_map.data[i];
    d->noise_frame = m ? pdva_image_quantile(pick, m, 0.5) : 0.0;
    /* blocks with no estimate take the typical value */
    for (size_t i = 0; i < nb; i++)
        if (!(d->noise_map.data[i] > 0.0f))
            d->noise_map.data[i] = (float)d->noise_frame;
    return PDVA_OK;
}

/* Counts of quarter-scale blocks darker / brighter than the first frame by `sigmas` noise. */
static void contrast_counts(const pdva_dsa *d, double sigmas, size_t *darker, size_t *brighter)
{
    size_t n = (size_t)d->q_first.width * d->q_first.height;
    size_t dk = 0, br = 0;
    for (size_t i = 0; i < n; i++) {
        double thr = sigmas * d->q_noise.data[i] + d->q_edge.data[i];
        double diff = d->q_first.data[i] - d->q_cur.data[i]; /* q_cur: motion compensated */
        if (diff > thr)
            dk++;
        else if (diff < -thr)
            br++;
    }
    *darker = dk;
    *brighter = br;
}

/* Noise of the difference of two quarter-scale block means, from the noise map. */
static pdva_status make_quarter_noise(pdva_dsa *d, pdva_error **err)
{
    uint32_t w = d->q_first.width, h = d->q_first.height;
    pdva_status st = pdva_image_create(&d->q_noise, w, h, err);
    if (st != PDVA_OK)
        return st;
    const double b = PDVA_DSA_NOISE_BLOCK;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double fx = (x + 0.5) * QUARTER, fy = (y + 0.5) * QUARTER;
            double s = pdva_image_sample(&d->noise_map, fx / b, fy / b);
            d->q_noise.data[(size_t)y * w + x] = (float)(s / QUARTER * sqrt(2.0));
        }
    /* Bone and skin edges: a registration off by a fraction of a pixel (and the interpolation
     * of block means) changes these blocks by far more than the quantum noise, one way on one
     * side of the edge and the other way on the other; blocks that only such a residual can
     * have changed are not counted as contrast. */
    st = pdva_image_create(&d->q_edge, w, h, err);
    if (st != PDVA_OK)
        return st;
    const float *q = d->q_first.data;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t xl = x ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
            uint32_t yu = y ? y - 1 : y, yd = y + 1 < h ? y + 1 : y;
            double gx = (q[(size_t)y * w + xr] - q[(size_t)y * w + xl]) / (double)(xr - xl ? xr - xl : 1);
            double gy = (q[(size_t)yd * w + x] - q[(size_t)yu * w + x]) / (double)(yd - yu ? yd - yu : 1);
            d->q_edge.data[(size_t)y * w + x] =
                (float)((fabs(gx) + fabs(gy)) * MOTION_RESIDUAL_PX / QUARTER);
        }
    return PDVA_OK;
}

static bool looks_like_contrast(size_t darker, size_t brighter, size_t blocks)
{
    size_t floor_count = blocks / 4000 + 4;
    return darker > floor_count && darker > 3 * brighter + floor_count;
}

/* The registration reference's planes and pixel list: rebuilt on the mask, freed at the end. */
static void release_registration(pdva_dsa *d)
{
    pdva_image_destroy(&d->h_mask);
    pdva_image_destroy(&d->h_cur);
    pdva_image_destroy(&d->h_tmp);
    pdva_free(d->lk);
    d->lk = NULL;
    d->n_lk = 0;
}

/* The frames kept before contrast, once the mask is made from them. */
static void release_recent(pdva_dsa *d)
{
    for (int i = 0; i < RECENT; i++) {
        pdva_image_destroy(&d->recent[i]);
        pdva_image_destroy(&d->q_recent[i]);
    }
    d->n_recent = 0;
}

/* Registration reference: half scale, smoothed, and the points with a gradient. Called on the
 * first frame (to see contrast arrive through motion) and again on the finished mask, which
 * reuses the first call's planes and point list (same size: no fresh pages to fault in). */
static pdva_status prepare_registration(pdva_dsa *d, const pdva_image *ref, pdva_error **err)
{
    d->n_lk = 0;
    pdva_status st = block_mean(ref, 2, &d->h_mask, err);
    if (st == PDVA_OK && !d->h_cur.data) /* written whole by block_mean for each frame */
        st = pdva_image_create_unset(&d->h_cur, d->h_mask.width, d->h_mask.height, err);
    if (st == PDVA_OK && !d->h_tmp.data) /* the blur's scratch, written before it is read */
        st = pdva_image_create_unset(&d->h_tmp, d->h_mask.width, d->h_mask.height, err);
    if (st != PDVA_OK)
        return st;
    pdva_image_blur(&d->h_mask, 1.0, d->h_tmp.data);
    uint32_t w = d->h_mask.width, h = d->h_mask.height;
    /* the pixels estimate_shift reads: away from the border, and not flat (a flat pixel
     * carries no information about the shift) */
    if (!d->lk)
        d->lk = pdva_alloc_array((size_t)w * h, sizeof *d->lk);
    if (!d->lk)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the registration");
    double noise = d->noise_frame / 2.0 * 1.5; /* half scale, a little smoothing */
    const float *m = d->h_mask.data;
    for (uint32_t y = 4; y + 4 < h; y++)
        for (uint32_t x = 4; x + 4 < w; x++) {
            size_t i = (size_t)y * w + x;
            float gxf = 0.5f * (m[i + 1] - m[i - 1]), gyf = 0.5f * (m[i + w] - m[i - w]);
            double gx = gxf, gy = gyf;
            if (gx * gx + gy * gy < 4.0 * noise * noise)
                continue;
            d->lk[d->n_lk++] = (struct lk_point){x, y, gxf, gyf, m[i]};
        }
    return PDVA_OK;
}

/* pdva_image_sample, with the clamping left to it only where a neighbour is outside. */
static inline float sample_inside(const pdva_image *img, double x, double y)
{
    double u = x - 0.5, v = y - 0.5;
    long w = (long)img->width, h = (long)img->height;
    if (!(u >= 0.0 && v >= 0.0 && u < (double)(w - 1) && v < (double)(h - 1)))
        return pdva_image_sample(img, x, y);
    long x0 = (long)floor(u), y0 = (long)floor(v);
    double fx = u - (double)x0, fy = v - (double)y0;
    const float *a = img->data + y0 * w + x0, *b = a + w;
    double top = a[0] * (1.0 - fx) + a[1] * fx;
    double bot = b[0] * (1.0 - fx) + b[1] * fx;
    return (float)(top * (1.0 - fy) + bot * fy);
}

/* Translation (full-resolution pixels) taking the mask onto the current frame:
 * cur(x + s) ~ mask(x). */
static void estimate_shift(pdva_dsa *d, uint32_t f, double *sx, double *sy)
{
    pdva_error *ignored = NULL;
    block_mean(&d->cur, 2, &d->h_cur, &ignored);
    pdva_error_destroy(ignored);
    pdva_image_blur(&d->h_cur, 1.0, d->h_tmp.data);
    double noise = d->noise_frame / 2.0 * 1.5; /* half scale, a little smoothing */
    double s0x = f > 0 ? d->shift_x[f - 1] / 2.0 : 0.0, s0y = f > 0 ? d->shift_y[f - 1] / 2.0 : 0.0;
    for (int iter = 0; iter < 5; iter++) {
        double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
        for (size_t j = 0; j < d->n_lk; j++) {
            const struct lk_point *p = &d->lk[j];
            double gx = p->gx, gy = p->gy;
            double fv = sample_inside(&d->h_cur, p->x + 0.5 + s0x, p->y + 0.5 + s0y);
            double r = p->m - fv;
            /* contrast only makes the frame darker (r > 0): leave those pixels out */
            if (r > 4.0 * noise || r < -30.0 * noise)
                continue;
            a11 += gx * gx;
            a12 += gx * gy;
            a22 += gy * gy;
            b1 += gx * r;
            b2 += gy * r;
        }
        double det = a11 * a22 - a12 * a12;
        if (!(det > 1e-12))
            break;
        double dx = (a22 * b1 - a12 * b2) / det, dy = (a11 * b2 - a12 * b1) / det;
        s0x += dx;
        s0y += dy;
        if (fabs(dx) < 0.005 && fabs(dy) < 0.005)
            break;
    }
    /* a frame can't wander off more than a few pixels from the mask: distrust larger answers */
    if (!(fabs(s0x) < 8.0 && fabs(s0y) < 8.0))
        s0x = s0y = 0.0;
    *sx = 2.0 * s0x;
    *sy = 2.0 * s0y;
}

/* The mask: the frames before `first_contrast` (mask_sum holds those older than the recent
 * ones). Prepares the registration against it. */
static pdva_status finalize_mask(pdva_dsa *d, uint32_t first_contrast, pdva_error **err)
{
    size_t npix = (size_t)d->cur.width * d->cur.height;
    pdva_status st = pdva_image_create_unset(&d->mask, d->cur.width, d->cur.height, err);
    if (st != PDVA_OK)
        return st;
    uint32_t n = d->mask_count, last = d->mask_count ? d->mask_last : 0;
    memcpy(d->mask.data, d->mask_sum.data, npix * sizeof(float));
    for (size_t r = 0; r < d->n_recent; r++) {
        if (d->recent_index[r] >= first_contrast)
            continue;
        const float *f = d->recent[r].data;
        for (size_t i = 0; i < npix; i++)
            d->mask.data[i] += f[i];
        n++;
        last = d->recent_index[r];
    }
    if (n == 0) {
        /* contrast from the very first frame: the mask is that frame */
        memcpy(d->mask.data, d->recent[0].data, npix * sizeof(float));
        n = 1;
        last = d->recent_index[0];
        d->mask_contrast_free = false;
    } else {
        d->mask_contrast_free = true;
    }
    for (size_t i = 0; i < npix; i++)
        d->mask.data[i] /= (float)n;
    d->mask_frame = last;
    d->mask_count = n;
    d->first_contrast = first_contrast;
    d->mask_ready = true;
    pdva_image_destroy(&d->mask_sum);
    if (d->p.correct_motion)
        return prepare_registration(d, &d->mask, err);
    return PDVA_OK;
}

/* Keep the current frame among the recent ones; the oldest, when the ring is full, joins the
 * mask sum for good. */
static void remember_frame(pdva_dsa *d, uint32_t index)
{
    size_t npix = (size_t)d->cur.width * d->cur.height;
    if (d->n_recent == RECENT) {
        float *ms = d->mask_sum.data;
        const float *old = d->recent[0].data;
        for (size_t i = 0; i < npix; i++)
            ms[i] += old[i];
        d->mask_count++;
        d->mask_last = d->recent_index[0];
        pdva_image t = d->recent[0], q = d->q_recent[0];
        for (size_t r = 1; r < RECENT; r++) {
            d->recent[r - 1] = d->recent[r];
            d->q_recent[r - 1] = d->q_recent[r];
            d->recent_index[r - 1] = d->recent_index[r];
        }
        d->recent[RECENT - 1] = t;
        d->q_recent[RECENT - 1] = q;
        d->n_recent--;
    }
    size_t r = d->n_recent++;
    memcpy(d->recent[r].data, d->cur.data, npix * sizeof(float));
    pdva_image tq = d->q_recent[r];
    d->q_recent[r] = d->q_cur;
    d->q_cur = tq; /* reuse its buffer next time (or none yet) */
    d->recent_index[r] = index;
}

/* Mean darkening of a remembered quarter-scale frame against the first one, over the blocks
 * where contrast was seen, in units of its noise. */
static double darkening_over(const pdva_dsa *d, const pdva_image *q, const uint8_t *region,
                             double *fraction_of, double reference)
{
    size_t n_blocks = (size_t)d->q_first.width * d->q_first.height;
    double sum = 0.0, var = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < n_blocks; i++) {
        if (!region[i])
            continue;
        sum += d->q_first.data[i] - q->data[i]; /* q: motion compensated when it was kept */
        var += (double)d->q_noise.data[i] * d->q_noise.data[i];
        n++;
    }
    if (!n || !(var > 0.0))
        return 0.0;
    if (fraction_of)
        *fraction_of = reference > 0.0 ? (sum / (double)n) / reference : 0.0;
    return sum / sqrt(var);
}

/* 5x5 mean (edges clamped), in two passes: each row into tmp, then each row of dst from five
 * rows of tmp. The inner columns need no clamping and are written so that the compiler
 * vectorizes them. */
static void box_filter_row_5(const float *r, float *o, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++) {
        if (x == 2 && w > 4) {
            for (; x + 2 < w; x++)
                o[x] = (r[x - 2] + r[x - 1] + r[x] + r[x + 1] + r[x + 2]) * 0.2f;
            if (x >= w)
                break;
        }
        float acc = 0.0f;
        for (int k = -2; k <= 2; k++) {
            long xx = (long)x + k;
            xx = xx < 0 ? 0 : (xx >= (long)w ? (long)w - 1 : xx);
            acc += r[xx];
        }
        o[x] = acc * 0.2f;
    }
}

/* The five rows of the horizontal pass that row y's vertical pass sums (clamped at the edges). */
static void box_column_rows(const float *tmp, uint32_t w, uint32_t h, uint32_t y,
                            const float *rows[5])
{
    for (int k = -2; k <= 2; k++) {
        long yy = (long)y + k;
        yy = yy < 0 ? 0 : (yy >= (long)h ? (long)h - 1 : yy);
        rows[k + 2] = tmp + (size_t)yy * w;
    }
}

/* The vertical pass over n columns from x0, into out[0, n): -O2 vectorizes a run of fixed
 * length, so it goes eight at a time. */
static void box_column_5(const float *const rows[5], uint32_t x0, uint32_t n,
                         float *restrict out)
{
    const float *r0 = rows[0] + x0, *r1 = rows[1] + x0, *r2 = rows[2] + x0, *r3 = rows[3] + x0,
                *r4 = rows[4] + x0;
    uint32_t x = 0;
    for (; x + 8 <= n; x += 8)
        for (uint32_t j = 0; j < 8; j++)
            out[x + j] = (r0[x + j] + r1[x + j] + r2[x + j] + r3[x + j] + r4[x + j]) * 0.2f;
    for (; x < n; x++)
        out[x] = (r0[x] + r1[x] + r2[x] + r3[x] + r4[x]) * 0.2f;
}

/* One row of mask - frame shifted by (sx, sy): bilinear like pdva_image_sample, but the
 * weights are the same for every pixel of a constant shift, so only the border columns need
 * the clamped general case. */
static void subtract_shifted_row(const float *mrow, const pdva_image *cur, uint32_t y, double sx,
                                 double sy, float *out)
{
    long w = (long)cur->width, h = (long)cur->height;
    double fsx = floor(sx), fsy = floor(sy);
    long ix = (long)fsx, y0 = (long)y + (long)fsy;
    double fx = sx - fsx, fy = sy - fsy;
    long ya = y0 < 0 ? 0 : (y0 >= h ? h - 1 : y0);
    long yb = y0 + 1 < 0 ? 0 : (y0 + 1 >= h ? h - 1 : y0 + 1);
    const float *ra = cur->data + ya * w, *rb = cur->data + yb * w;
    /* columns whose two neighbours x + ix and x + ix + 1 are both inside */
    long lo = -ix < 0 ? 0 : -ix, hi = w - 1 - ix; /* [lo, hi) */
    if (hi > w)
        hi = w;
    if (lo > hi)
        lo = hi = 0;
    for (long x = 0; x < lo; x++)
        out[x] = mrow[x] - pdva_image_sample(cur, (double)x + 0.5 + sx, (double)y + 0.5 + sy);
    const float *pa = ra + ix, *pb = rb + ix;
    for (long x = lo; x < hi; x++) {
        double top = pa[x] * (1.0 - fx) + pa[x + 1] * fx;
        double bot = pb[x] * (1.0 - fx) + pb[x + 1] * fx;
        out[x] = mrow[x] - (float)(top * (1.0 - fy) + bot * fy);
    }
    for (long x = hi < lo ? lo : hi; x < w; x++)
        out[x] = mrow[x] - pdva_image_sample(cur, (double)x + 0.5 + sx, (double)y + 0.5 + sy);
}

/* What the row-parallel phases of subtract_frame share. */
typedef struct subtract_job {
    pdva_dsa *d;
    uint32_t f;
    double sx, sy;
    bool shifted;
} subtract_job;

/* Cube row cy of frame f: 2x2 means of the subtracted frame (rows 2 cy and 2 cy + 1, the last
 * alone when the height is odd) in noise units. */
static void cube_row(pdva_dsa *d, uint32_t f, size_t cy)
{
    uint32_t w = d->cur.width, h = d->cur.height;
    const float *dsa = d->scratch;
    int16_t *o = d->cube + (size_t)f * d->cube_w * d->cube_h + cy * d->cube_w;
    double inv = 1.0 / d->cube_scale;
    uint32_t full_w = w / 2, full_h = h / 2; /* cells with all four pixels inside */
    uint32_t x = 0;
    if (cy < full_h) {
        const float *r0 = dsa + (2 * cy) * w, *r1 = r0 + w;
        for (; x < full_w; x++) {
            double acc = (double)r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1];
            double q = acc / 4 * inv;
            q = q > 32767.0 ? 32767.0 : (q < -32767.0 ? -32767.0 : q);
            o[x] = (int16_t)lrint(q);
        }
    }
    for (; x < d->cube_w; x++) {
        double acc = 0.0;
        int n = 0;
        for (size_t yy = 2 * cy; yy < 2 * cy + 2 && yy < h; yy++)
            for (uint32_t xx = 2 * x; xx < 2 * x + 2 && xx < w; xx++) {
                acc += dsa[yy * w + xx];
                n++;
            }
        double q = acc / n * inv;
        q = q > 32767.0 ? 32767.0 : (q < -32767.0 ? -32767.0 : q);
        o[x] = (int16_t)lrint(q);
    }
}

/* Rows [y0, y1) (y0 even): mask - frame, added into the AUC; the 5 x 5 box filter's horizontal
 * pass and the cube's cells of each row pair, done while the row is in the cache rather than in
 * passes of their own over the whole frame. */
#define SUBTRACT_GRAIN 64 /* even: a cube cell's two rows are in one piece */
static void subtract_rows(void *ctx, size_t y0, size_t y1)
{
    const subtract_job *job = ctx;
    pdva_dsa *d = job->d;
    uint32_t w = d->cur.width, h = d->cur.height;
    double wd = d->weights[job->f];
    for (size_t y = y0; y < y1; y++) {
        const float *mrow = d->mask.data + y * w;
        float *out = d->scratch + y * w;
        if (!job->shifted) {
            const float *crow = d->cur.data + y * w;
            for (uint32_t x = 0; x < w; x++)
                out[x] = mrow[x] - crow[x];
        } else {
            subtract_shifted_row(mrow, &d->cur, (uint32_t)y, job->sx, job->sy, out);
        }
        float *auc = d->auc.data + y * w;
        for (uint32_t x = 0; x < w; x++)
            auc[x] += (float)(wd * out[x]);
        box_filter_row_5(out, d->box_tmp + y * w, w);
        if (y % 2 == 1 || y + 1 == h)
            cube_row(d, job->f, y / 2);
    }
}

/* Put (key, value) into a pixel's store (keys[0..K) descending, then their values), where the
 * key beats the smallest, which leaves; returns the new smallest key. Entries with a key equal
 * to the new one stay ahead of it. */
static inline float top_insert(float *store, float key, float value)
{
#if defined(__SSE2__) && PDVA_DSA_TOP_K == 4
    /* Without a branch: where the new key lands is as good as random for noise, and a
     * mispredicted loop exit cost more than the whole insertion. The lanes whose key is below
     * the new one are a suffix (keys descending); the first of them takes the new entry, the
     * others their left neighbour's. */
    __m128 keys = _mm_loadu_ps(store), vals = _mm_loadu_ps(store + 4);
    __m128 nk = _mm_set1_ps(key), nv = _mm_set1_ps(value);
    __m128 below = _mm_cmplt_ps(keys, nk);
    __m128 below_left = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(below), 4));
    __m128 keys_left = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(keys), 4));
    __m128 vals_left = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(vals), 4));
    __m128 in_k = _mm_or_ps(_mm_and_ps(below_left, keys_left), _mm_andnot_ps(below_left, nk));
    __m128 in_v = _mm_or_ps(_mm_and_ps(below_left, vals_left), _mm_andnot_ps(below_left, nv));
    keys = _mm_or_ps(_mm_and_ps(below, in_k), _mm_andnot_ps(below, keys));
    vals = _mm_or_ps(_mm_and_ps(below, in_v), _mm_andnot_ps(below, vals));
    _mm_storeu_ps(store, keys);
    _mm_storeu_ps(store + 4, vals);
    return _mm_cvtss_f32(_mm_shuffle_ps(keys, keys, _MM_SHUFFLE(3, 3, 3, 3)));
#else
    float *tk = store, *tv = store + PDVA_DSA_TOP_K;
    int k = PDVA_DSA_TOP_K - 1;
    while (k > 0 && tk[k - 1] < key) {
        tk[k] = tk[k - 1];
        tv[k] = tv[k - 1];
        k--;
    }
    tk[k] = key;
    tv[k] = value;
    return tk[PDVA_DSA_TOP_K - 1];
#endif
}

/* Rows [y0, y1): the box filter's vertical pass, then each pixel's top values (ranked by the
 * 5x5 mean: noise does not choose the frames, and every pixel across a vessel gets the same
 * frames, so the profile keeps its shape). */
#define TOP_CHUNK 256
static void top_rows(void *ctx, size_t y0, size_t y1)
{
    const subtract_job *job = ctx;
    pdva_dsa *d = job->d;
    uint32_t w = d->cur.width, h = d->cur.height;
    const float *dsa = d->scratch;
    for (size_t y = y0; y < y1; y++) {
        const float *rows[5];
        box_column_rows(d->box_tmp, w, h, (uint32_t)y, rows);
        float *floor_row = d->top_floor + y * w;
        if (d->top_count == 0) { /* the first frame: every pixel's store starts empty */
            for (size_t i = y * w; i < (y + 1) * w; i++) {
                float *store = d->top + i * 2 * PDVA_DSA_TOP_K;
                for (int k = 0; k < PDVA_DSA_TOP_K; k++) {
                    store[k] = -INFINITY;
                    store[PDVA_DSA_TOP_K + k] = 0.0f;
                }
            }
            for (uint32_t x = 0; x < w; x++)
                floor_row[x] = -INFINITY;
        }
        /* the pixels whose store takes the new value are a few per cent once the stores have
         * filled, scattered: their stores are fetched together, a chunk at a time, rather than
         * each waiting on its own cache miss */
        /* the keys (the vertical pass) a chunk at a time, kept in the cache: no key plane is
         * written and read back */
        uint32_t take[TOP_CHUNK];
        float key_chunk[TOP_CHUNK];
        for (uint32_t x0 = 0; x0 < w; x0 += TOP_CHUNK) {
            uint32_t x1 = x0 + TOP_CHUNK < w ? x0 + TOP_CHUNK : w, n = 0;
            box_column_5(rows, x0, x1 - x0, key_chunk);
            for (uint32_t x = x0; x < x1; x++) { /* without a branch: which pixels is noise */
                take[n] = x;
                n += key_chunk[x - x0] > floor_row[x];
            }
            for (uint32_t j = 0; j < n; j++)
                __builtin_prefetch(d->top + (y * w + take[j]) * 2 * PDVA_DSA_TOP_K, 1);
            for (uint32_t j = 0; j < n; j++) {
                uint32_t x = take[j];
                size_t i = y * w + x;
                floor_row[x] =
                    top_insert(d->top + i * 2 * PDVA_DSA_TOP_K, key_chunk[x - x0], dsa[i]);
            }
        }
    }
}


/* Subtract the current frame f from the mask and accumulate, rows shared out between threads
 * (the decoder thread competes for the cores while frames stream: the OS balances the two). */
static void subtract_frame(pdva_dsa *d, uint32_t f)
{
    subtract_job job = {d, f, 0.0, 0.0, false};
    if (d->p.correct_motion && d->h_mask.data) {
        estimate_shift(d, f, &job.sx, &job.sy);
        d->shift_x[f] = job.sx;
        d->shift_y[f] = job.sy;
        double m = hypot(job.sx, job.sy);
        if (m > d->max_motion)
            d->max_motion = m;
    }
    job.shifted = fabs(job.sx) > 0.03 || fabs(job.sy) > 0.03;
    uint32_t h = d->cur.height;
    unsigned threads = d->p.threads;
    pdva_parallel_for(threads, h, SUBTRACT_GRAIN, subtract_rows, &job);
    pdva_parallel_for(threads, h, 64, top_rows, &job);
    d->top_count++;
    d->plane_written[f] = 1;
}

void pdva_dsa_set_threads(pdva_dsa *d, unsigned threads)
{
    if (d)
        d->p.threads = threads;
}

pdva_status pdva_dsa_push_frame(pdva_dsa *d, uint32_t index, const uint16_t *pixels,
                                pdva_error **err)
{
    if (!d || !pixels)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "no frame");
    if (!d->top)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "frame pushed after the last");
    if (index != d->next_index || index >= d->p.frames)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "frame %u pushed, frame %u expected", index, d->next_index);
    d->next_index++;
    size_t npix = (size_t)d->cur.width * d->cur.height;
    /* a frame mostly at the extremes of the range carries no image (flash, dropped frame) */
    size_t extreme = 0;
    uint32_t maxv = d->p.max_value ? d->p.max_value : 65535;
    for (size_t i = 0; i < npix; i += 7)
        if (pixels[i] == 0 || pixels[i] >= maxv)
            extreme++;
    bool saturated = extreme * 7 > npix * 6 / 10;
    if (saturated) {
        d->saturated++;
        return PDVA_OK; /* its cube plane stays 0, its weight in the AUC is lost */
    }
    float *cur = d->cur.data;
    for (size_t i = 0; i < npix; i++)
        cur[i] = d->lut[pixels[i]];
    pdva_status st = PDVA_OK;
    if (!d->mask_ready) {
        if (!d->q_first.data) {
            /* the first usable frame: reference for arrival, noise, first mask frame */
            st = block_mean(&d->cur, QUARTER, &d->q_first, err);
            if (st == PDVA_OK)
                st = estimate_noise(d, &d->cur, d->scratch, err);
            if (st == PDVA_OK)
                st = make_quarter_noise(d, err);
            if (st == PDVA_OK && d->p.correct_motion)
                st = prepare_registration(d, &d->cur, err);
            if (st == PDVA_OK)
                st = block_mean(&d->cur, QUARTER, &d->q_cur, err);
            if (st != PDVA_OK)
                return st;
            double dsa_noise = d->noise_frame * sqrt(2.0);
            d->cube_scale = dsa_noise > 0.0 ? dsa_noise / 12.0 : 1e-4;
            remember_frame(d, index);
            return PDVA_OK;
        }
        size_t blocks = (size_t)d->q_first.width * d->q_first.height;
        /* motion against the first frame, so that edges moving are not taken for contrast */
        double sx = 0.0, sy = 0.0;
        if (d->p.correct_motion && d->h_mask.data)
            estimate_shift(d, index, &sx, &sy);
        d->shift_x[index] = sx;
        d->shift_y[index] = sy;
        st = shifted_block_mean(&d->cur, sx, sy, &d->q_cur, err);
        if (st != PDVA_OK)
            return st;
        size_t darker, brighter;
        contrast_counts(d, 6.0, &darker, &brighter);
        if (PDVA_TRACE_ON("PDVA_DEBUG_MASK"))
            PDVA_TRACEF( "mask: frame %u darker %zu brighter %zu blocks %zu\n", index, darker,
                    brighter, blocks);
        if (!looks_like_contrast(darker, brighter, blocks)) {
            remember_frame(d, index);
            return PDVA_OK;
        }
        d->contrast_found = true;
        /* Where it is now, was it already, faintly, in the frames just before? The mean over
         * that region sees far less than the 6 sigma of single blocks. */
        uint8_t *region = pdva_calloc_array(blocks, 1);
        if (!region)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the mask");
        double now_sum = 0.0;
        size_t now_n = 0;
        for (size_t i = 0; i < blocks; i++) {
            double c = d->q_cur.data[i];
            if (d->q_first.data[i] - c > 6.0 * d->q_noise.data[i] + d->q_edge.data[i]) {
                region[i] = 1;
                now_sum += d->q_first.data[i] - c;
                now_n++;
            }
        }
        double now_mean = now_n ? now_sum / (double)now_n : 0.0;
        uint32_t first = index;
        for (size_t r = 0; r < d->n_recent; r++) {
            if (d->recent_index[r] == 0)
                continue; /* the reference itself */
            double frac = 0.0;
            double z = darkening_over(d, &d->q_recent[r], region, &frac, now_mean);
            if (PDVA_TRACE_ON("PDVA_DEBUG_MASK"))
                PDVA_TRACEF( "mask: look back at frame %u: %.1f sigma, %.3f of now\n",
                        d->recent_index[r], z, frac);
            if (z > 4.0 && frac > 0.03) {
                first = d->recent_index[r];
                break;
            }
        }
        pdva_free(region);
        st = finalize_mask(d, first, err);
        if (st != PDVA_OK)
            return st;
        /* the recent frames that already held contrast are part of the curves */
        pdva_image keep = d->cur;
        for (size_t r = 0; r < d->n_recent; r++) {
            if (d->recent_index[r] < first)
                continue;
            d->cur = d->recent[r];
            subtract_frame(d, d->recent_index[r]);
        }
        d->cur = keep;
        /* the frames before contrast are in the mask or subtracted: their planes go back now,
         * and the cube's planes, touched frame by frame from here on, reuse their pages */
        release_recent(d);
    }
    subtract_frame(d, index);
    return PDVA_OK;
}

/* What the parallel parts of pdva_dsa_finish share. */
typedef struct finish_job {
    pdva_dsa *d;
    float *buf[3]; /* full-size buffers, one per worker of the temporal maximum */
    unsigned parts;
} finish_job;

/* Rows [y0, y1) of the opacified image: each pixel's mean of its top values. */
static void opacified_rows(void *ctx, size_t y0, size_t y1)
{
    const finish_job *job = ctx;
    pdva_dsa *d = job->d;
    uint32_t k_used = d->top_count < PDVA_DSA_TOP_K ? d->top_count : PDVA_DSA_TOP_K;
    for (size_t i = y0 * d->cur.width; i < y1 * d->cur.width; i++) {
        double acc = 0.0;
        for (uint32_t k = 0; k < k_used; k++)
            acc += d->top[i * 2 * PDVA_DSA_TOP_K + PDVA_DSA_TOP_K + k];
        d->opacified.data[i] = k_used ? (float)(acc / k_used) : 0.0f;
    }
}

/* Workers [t0, t1) of the temporal maximum: worker t takes frames t, t + parts, ... into the
 * third plane of its buffer. */
static void peak_parts(void *ctx, size_t t0, size_t t1)
{
    const finish_job *job = ctx;
    const pdva_dsa *d = job->d;
    size_t plane = (size_t)d->cube_w * d->cube_h;
    for (size_t t = t0; t < t1; t++) {
        float *tmp = job->buf[t], *frame = tmp + plane, *mx = frame + plane;
        for (size_t i = 0; i < plane; i++)
            mx[i] = 0.0f;
        for (uint32_t f = (uint32_t)t; f < d->p.frames; f += job->parts) {
            const int16_t *src = d->cube + f * plane;
            for (size_t i = 0; i < plane; i++)
                frame[i] = (float)(src[i] * d->cube_scale);
            pdva_blur_buffer(frame, d->cube_w, d->cube_h, 0.8, tmp);
            for (size_t i = 0; i < plane; i++)
                if (frame[i] > mx[i])
                    mx[i] = frame[i];
        }
    }
}

pdva_status pdva_dsa_finish(pdva_dsa *d, pdva_error **err)
{
    if (!d)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "no subtraction");
    if (!d->top)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "subtraction finished already");
    if (!d->mask_ready && d->q_first.data) {
        /* contrast never came: the mask is everything, the subtraction is empty */
        pdva_status st = finalize_mask(d, d->p.frames, err);
        if (st != PDVA_OK)
            return st;
        d->contrast_found = false;
    }
    /* the planes of the frames never subtracted (the mask's, saturated ones) hold zero */
    size_t plane = (size_t)d->cube_w * d->cube_h;
    for (uint32_t f = 0; f < d->p.frames; f++)
        if (!d->plane_written[f])
            memset(d->cube + f * plane, 0, plane * sizeof(int16_t));
    /* the opacified image: mean of the top values (fewer when fewer frames were seen) */
    finish_job job = {d, {d->scratch, d->top_floor, d->box_tmp}, 1};
    pdva_parallel_for(d->p.threads, d->cur.height, 64, opacified_rows, &job);
    pdva_free(d->top);
    d->top = NULL;
    /* temporal maximum at half resolution, lightly smoothed against the noise: the frames are
     * shared out between up to three workers, each in one of the full-size buffers free by
     * now (three half-size planes fit in one), and their maxima merged */
    for (size_t i = 0; i < plane; i++)
        d->peak_half.data[i] = 0.0f;
    if (3 * plane <= (size_t)d->cur.width * d->cur.height) {
        unsigned parts = pdva_parallel_threads(d->p.threads);
        job.parts = parts < 3 ? parts : 3;
        pdva_parallel_for(job.parts, job.parts, 1, peak_parts, &job);
        for (unsigned t = 0; t < job.parts; t++) {
            const float *mx = job.buf[t] + 2 * plane;
            for (size_t i = 0; i < plane; i++)
                if (mx[i] > d->peak_half.data[i])
                    d->peak_half.data[i] = mx[i];
        }
    }
    pdva_free(d->top_floor);
    pdva_free(d->box_tmp);
    d->top_floor = d->box_tmp = NULL;
    /* what only the stream needed goes back before segmentation allocates its own planes */
    pdva_free(d->scratch);
    d->scratch = NULL;
    pdva_image_destroy(&d->cur);
    release_recent(d);
    release_registration(d);
    return PDVA_OK;
}

void pdva_dsa_get_result(const pdva_dsa *d, pdva_dsa_result *r)
{
    memset(r, 0, sizeof *r);
    r->contrast_found = d->contrast_found;
    r->mask_contrast_free = d->mask_contrast_free;
    r->mask_frame = d->mask_frame;
    r->first_contrast_frame = d->first_contrast;
    r->noise_sigma = d->noise_frame * sqrt(2.0);
    r->units_per_ln = d->units_per_ln;
    r->mask_log = &d->mask;
    r->auc = &d->auc;
    r->opacified = &d->opacified;
    r->mask_frames = d->mask_frame + 1;
    r->peak = &d->peak_half;
    r->shift_x_px = d->shift_x;
    r->shift_y_px = d->shift_y;
    r->max_motion_px = d->max_motion;
    r->cube_width = d->cube_w;
    r->cube_height = d->cube_h;
    r->cube = d->cube;
    r->cube_scale = d->cube_scale;
    r->saturated_frames = d->saturated;
    r->noise_map = &d->noise_map;
}

double pdva_dsa_noise_at(const pdva_dsa_result *r, double x, double y)
{
    const double b = PDVA_DSA_NOISE_BLOCK;
    if (!r->noise_map || !r->noise_map->data)
        return r->noise_sigma;
    return sqrt(2.0) * pdva_image_sample(r->noise_map, x / b, y / b);
}

double pdva_dsa_cube_sample(const pdva_dsa_result *r, double x, double y, uint32_t f)
{
    /* full-resolution point -> half-resolution pixel space */
    double u = x / 2.0 - 0.5, v = y / 2.0 - 0.5;
    long w = (long)r->cube_width, h = (long)r->cube_height;
    if (!(u > -1e6 && u < 1e6 && v > -1e6 && v < 1e6))
        return 0.0;
    long x0 = (long)floor(u), y0 = (long)floor(v);
    double fx = u - (double)x0, fy = v - (double)y0;
    long xa = x0 < 0 ? 0 : (x0 >= w ? w - 1 : x0), xb = x0 + 1 < 0 ? 0 : (x0 + 1 >= w ? w - 1 : x0 + 1);
    long ya = y0 < 0 ? 0 : (y0 >= h ? h - 1 : y0), yb = y0 + 1 < 0 ? 0 : (y0 + 1 >= h ? h - 1 : y0 + 1);
    const int16_t *p = r->cube + (size_t)f * r->cube_width * r->cube_height;
    double top = p[ya * w + xa] * (1.0 - fx) + p[ya * w + xb] * fx;
    double bot = p[yb * w + xa] * (1.0 - fx) + p[yb * w + xb] * fx;
    return (top * (1.0 - fy) + bot * fy) * r->cube_scale;
}

double pdva_dsa_cube_mean(const pdva_dsa_result *r, const uint32_t *pixels, size_t n, uint32_t f)
{
    size_t plane = (size_t)r->cube_width * r->cube_height;
    const int16_t *p = r->cube + (size_t)f * plane;
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc += p[pixels[i]];
    return n ? acc / (double)n * r->cube_scale : 0.0;
}
