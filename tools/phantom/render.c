/* render.c — image formation of a run (see render.h).
 *
 * Physics, in the log domain: the detector sees N = N0 exp(-(mu_tissue*T + bones + iodine)), where
 * the iodine term of a vessel is mu_I * C(t) * chord, the chord being the path through a cylinder
 * of the local radius averaged over the pixel (partial volume). Blur and glare act on the
 * transmitted intensity; quantum noise is Poisson in N; storage is 12-bit, linear in N (LIN) or
 * in ln N (LOG), as XA systems write.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/render.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "core/raster.h"

#define MU_SOFT_TISSUE_PER_MM 0.021
#define MU_CORTICAL_EXTRA_PER_MM 0.034
#define MU_CANCELLOUS_EXTRA_PER_MM 0.009
#define ELECTRONIC_NOISE_COUNTS 2.5
#define LIN_AIR_VALUE 3900.0
#define LOG_AIR_VALUE 4000.0
#define LOG_GAIN 520.0

void ph_render_free(ph_render *r)
{
    if (!r)
        return;
    pdva_free(r->mu_background);
    pdva_free(r->thickness_mm);
    pdva_free(r->entry_pixel);
    pdva_free(r->entry_chord_mm);
    pdva_free(r->entry_vessel);
    pdva_free(r->entry_sample);
    for (int i = 0; i < PDVA_VENOSOME_COUNT; i++)
        pdva_free(r->blush_weight_mm[i]);
    pdva_free(r->venosome_label);
    pdva_free(r->work_a);
    pdva_free(r->work_b);
    memset(r, 0, sizeof *r);
}

void ph_gaussian_blur(float *img, uint32_t rows, uint32_t cols, double sigma_px, float *tmp)
{
    if (!(sigma_px > 0.05))
        return;
    int radius = (int)ceil(3.5 * sigma_px);
    if (radius > 256)
        radius = 256;
    float kernel[513];
    double sum = 0.0;
    for (int k = -radius; k <= radius; k++) {
        kernel[k + radius] = (float)exp(-0.5 * k * k / (sigma_px * sigma_px));
        sum += kernel[k + radius];
    }
    for (int k = 0; k <= 2 * radius; k++)
        kernel[k] = (float)(kernel[k] / sum);
    /* rows, clamping at the borders */
    for (uint32_t y = 0; y < rows; y++) {
        const float *src = img + (size_t)y * cols;
        float *dst = tmp + (size_t)y * cols;
        for (uint32_t x = 0; x < cols; x++) {
            float acc = 0.0f;
            for (int k = -radius; k <= radius; k++) {
                long xx = (long)x + k;
                xx = xx < 0 ? 0 : (xx >= (long)cols ? (long)cols - 1 : xx);
                acc += kernel[k + radius] * src[xx];
            }
            dst[x] = acc;
        }
    }
    /* columns */
    for (uint32_t y = 0; y < rows; y++) {
        float *dst = img + (size_t)y * cols;
        for (uint32_t x = 0; x < cols; x++)
            dst[x] = 0.0f;
        for (int k = -radius; k <= radius; k++) {
            long yy = (long)y + k;
            yy = yy < 0 ? 0 : (yy >= (long)rows ? (long)rows - 1 : yy);
            const float *src = tmp + (size_t)yy * cols;
            float w = kernel[k + radius];
            for (uint32_t x = 0; x < cols; x++)
                dst[x] += w * src[x];
        }
    }
}

/* Local thickness of the body (mm) at point p in a foot run: the foot's width through the ray. */
static double foot_width_mm(const ph_run *run, pdva_vec2 p)
{
    double u, v;
    pdva_foot_from_image(&run->foot, p, &u, &v);
    double w;
    if (u < 0.30)
        w = 0.88;
    else if (u < 0.62)
        w = 0.88 + (1.18 - 0.88) * (u - 0.30) / 0.32;
    else if (u < 0.82)
        w = 1.18 + 0.06 * (u - 0.62) / 0.2;
    else
        w = 1.24 - 0.74 * fmin(1.0, (u - 0.82) / 0.18);
    /* the leg column above the ankle */
    if (v > 0.30) {
        double t = fmin(1.0, (v - 0.30) / 0.12);
        w = w * (1.0 - t) + 0.86 * t;
    }
    return w * run->body_thickness_mm;
}

static int build_background(ph_render *r, const ph_run *run)
{
    size_t npix = (size_t)r->rows * r->cols;
    double s = run->spacing_mm;
    uint8_t *inside = pdva_calloc_array(npix, 1);
    void *work = pdva_malloc(pdva_edt_work_bytes(r->rows, r->cols));
    if (!inside || !work) {
        pdva_free(inside);
        pdva_free(work);
        return -1;
    }
    pdva_vec2 poly[PH_MAX_OUTLINE];
    for (size_t i = 0; i < run->n_outline; i++)
        poly[i] = ph_mm_to_px(run, run->outline[i]);
    pdva_raster_polygon(poly, run->n_outline, r->rows, r->cols, inside, 1);
    /* distance to the skin, in pixels; rows outside the image count as inside the body where the
     * body leaves the field, which the transform cannot know: pad by treating the image border
     * as body (distance keeps growing), the right model for a leg that continues. */
    pdva_distance_transform(inside, r->rows, r->cols, r->thickness_mm, work);
    double edge_mm = run->kind == PH_RUN_FOOT ? 14.0 : 38.0;
    for (uint32_t y = 0; y < r->rows; y++)
        for (uint32_t x = 0; x < r->cols; x++) {
            size_t i = (size_t)y * r->cols + x;
            double d_mm = r->thickness_mm[i] * s;
            double t = fmin(1.0, d_mm / edge_mm);
            double profile = sqrt(fmax(0.0, 1.0 - (1.0 - t) * (1.0 - t)));
            double width = run->body_thickness_mm;
            if (run->kind == PH_RUN_FOOT)
                width = foot_width_mm(run, pdva_v2(((double)x + 0.5) * s, ((double)y + 0.5) * s));
            r->thickness_mm[i] = inside[i] ? (float)(width * profile) : 0.0f;
            r->mu_background[i] = (float)(MU_SOFT_TISSUE_PER_MM * r->thickness_mm[i]);
        }
    /* bones: capsules with a cortical shell */
    for (size_t b = 0; b < run->n_bones; b++) {
        const ph_bone *bone = &run->bones[b];
        double R = bone->radius_mm, Ri = fmax(0.0, R - bone->cortex_mm);
        double x0 = fmin(bone->a.x, bone->b.x) - R, x1 = fmax(bone->a.x, bone->b.x) + R;
        double y0 = fmin(bone->a.y, bone->b.y) - R, y1 = fmax(bone->a.y, bone->b.y) + R;
        long c0 = (long)floor(x0 / s), c1 = (long)ceil(x1 / s);
        long r0 = (long)floor(y0 / s), r1 = (long)ceil(y1 / s);
        if (c0 < 0)
            c0 = 0;
        if (r0 < 0)
            r0 = 0;
        if (c1 > (long)r->cols - 1)
            c1 = (long)r->cols - 1;
        if (r1 > (long)r->rows - 1)
            r1 = (long)r->rows - 1;
        for (long y = r0; y <= r1; y++)
            for (long x = c0; x <= c1; x++) {
                size_t i = (size_t)y * r->cols + (size_t)x;
                if (!inside[i])
                    continue;
                pdva_vec2 p = pdva_v2(((double)x + 0.5) * s, ((double)y + 0.5) * s);
                double d = pdva_segment_distance(p, bone->a, bone->b, NULL);
                if (d >= R)
                    continue;
                double outer = 2.0 * sqrt(R * R - d * d);
                double inner = d < Ri ? 2.0 * sqrt(Ri * Ri - d * d) : 0.0;
                r->mu_background[i] += (float)(MU_CORTICAL_EXTRA_PER_MM * (outer - inner) +
                                               MU_CANCELLOUS_EXTRA_PER_MM * inner);
            }
    }
    pdva_free(inside);
    pdva_free(work);
    /* anatomy has no pixel-sharp edges: band-limit it like the focal spot and detector would */
    ph_gaussian_blur(r->mu_background, r->rows, r->cols, 0.5 / run->spacing_mm, r->work_a);
    return 0;
}

/* Mean over a pixel of width w (across the vessel) of the chord 2 sqrt(r^2 - x^2) at offset d. */
static double mean_chord(double d, double r, double w)
{
    double a = d - 0.5 * w, b = d + 0.5 * w;
    if (a >= r || b <= -r)
        return 0.0;
    a = fmax(a, -r);
    b = fmin(b, r);
    double fa = a * sqrt(fmax(0.0, r * r - a * a)) + r * r * asin(a / r);
    double fb = b * sqrt(fmax(0.0, r * r - b * b)) + r * r * asin(b / r);
    return (fb - fa) / w;
}

static int append_entry(ph_render *r, size_t *cap, uint32_t pixel, float chord, uint16_t vessel,
                        float sample)
{
    if (r->n_entries == *cap) {
        size_t ncap = *cap ? *cap * 2 : 65536;
        uint32_t *p = pdva_realloc_array(r->entry_pixel, ncap, sizeof *p);
        if (!p)
            return -1;
        r->entry_pixel = p;
        float *c = pdva_realloc_array(r->entry_chord_mm, ncap, sizeof *c);
        if (!c)
            return -1;
        r->entry_chord_mm = c;
        uint16_t *v = pdva_realloc_array(r->entry_vessel, ncap, sizeof *v);
        if (!v)
            return -1;
        r->entry_vessel = v;
        float *sm = pdva_realloc_array(r->entry_sample, ncap, sizeof *sm);
        if (!sm)
            return -1;
        r->entry_sample = sm;
        *cap = ncap;
    }
    r->entry_pixel[r->n_entries] = pixel;
    r->entry_chord_mm[r->n_entries] = chord;
    r->entry_vessel[r->n_entries] = vessel;
    r->entry_sample[r->n_entries] = sample;
    r->n_entries++;
    return 0;
}

static int build_vessel_entries(ph_render *r, const ph_run *run)
{
    size_t npix = (size_t)r->rows * r->cols;
    double s = run->spacing_mm;
    float *best_d = r->work_a, *best_sample = r->work_b;
    uint32_t *touched = pdva_alloc_array(npix, sizeof *touched);
    if (!touched)
        return -1;
    for (size_t i = 0; i < npix; i++)
        best_d[i] = INFINITY;
    size_t cap = 0;
    /* the entry last written at each pixel: where a branch leaves its parent the two lumens are
     * one, so the ray crosses the wider of the two chords, not their sum */
    int32_t *owner = pdva_alloc_array(npix, sizeof(int32_t));
    if (!owner) {
        pdva_free(touched);
        return -1;
    }
    for (size_t i = 0; i < npix; i++)
        owner[i] = -1;
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        const ph_vessel *v = &run->vessels[vi];
        if (!v->visible)
            continue;
        double branch_zone_mm = 0.0;
        if (v->parent >= 0) {
            const ph_vessel *pv = &run->vessels[v->parent];
            size_t k = v->parent_sample < pv->n ? v->parent_sample : pv->n - 1;
            branch_zone_mm = 2.5 * pv->r[k] + 1.0;
        }
        size_t n_touched = 0;
        for (size_t i = 0; i + 1 < v->n; i++) {
            pdva_vec2 a = v->p[i], b = v->p[i + 1];
            double rmax = fmax(v->r[i], v->r[i + 1]) + s;
            long c0 = (long)floor((fmin(a.x, b.x) - rmax) / s);
            long c1 = (long)ceil((fmax(a.x, b.x) + rmax) / s);
            long r0 = (long)floor((fmin(a.y, b.y) - rmax) / s);
            long r1 = (long)ceil((fmax(a.y, b.y) + rmax) / s);
            if (c1 < 0 || r1 < 0 || c0 >= (long)r->cols || r0 >= (long)r->rows)
                continue;
            c0 = c0 < 0 ? 0 : c0;
            r0 = r0 < 0 ? 0 : r0;
            c1 = c1 >= (long)r->cols ? (long)r->cols - 1 : c1;
            r1 = r1 >= (long)r->rows ? (long)r->rows - 1 : r1;
            for (long y = r0; y <= r1; y++)
                for (long x = c0; x <= c1; x++) {
                    pdva_vec2 p = pdva_v2(((double)x + 0.5) * s, ((double)y + 0.5) * s);
                    double t;
                    double d = pdva_segment_distance(p, a, b, &t);
                    if (d > rmax)
                        continue;
                    size_t pi = (size_t)y * r->cols + (size_t)x;
                    if (isinf(best_d[pi]))
                        touched[n_touched++] = (uint32_t)pi;
                    if (d < best_d[pi]) {
                        best_d[pi] = (float)d;
                        best_sample[pi] = (float)((double)i + t);
                    }
                }
        }
        for (size_t k = 0; k < n_touched; k++) {
            uint32_t pi = touched[k];
            double smp = best_sample[pi];
            size_t i = (size_t)smp;
            if (i + 1 >= v->n)
                i = v->n - 2;
            double f = smp - (double)i;
            double rad = v->r[i] * (1.0 - f) + v->r[i + 1] * f;
            pdva_vec2 dir = pdva_v2_unit(pdva_v2_sub(v->p[i + 1], v->p[i]));
            /* width of the pixel across the vessel direction */
            double w = s * (fabs(dir.x) + fabs(dir.y));
            double chord = mean_chord(best_d[pi], rad, w);
            best_d[pi] = INFINITY;
            if (chord <= 1e-4)
                continue;
            int32_t prev = owner[pi];
            /* the parent's lumen, or a sibling's leaving from the same place */
            bool same_lumen = prev >= 0 && v->parent >= 0 &&
                              (r->entry_vessel[prev] == (uint16_t)v->parent ||
                               run->vessels[r->entry_vessel[prev]].parent == v->parent);
            if (same_lumen && smp * PH_DS_MM < branch_zone_mm) {
                if (chord > r->entry_chord_mm[prev]) {
                    r->entry_chord_mm[prev] = (float)chord;
                    r->entry_vessel[prev] = (uint16_t)vi;
                    r->entry_sample[prev] = (float)smp;
                }
                continue;
            }
            if (append_entry(r, &cap, pi, (float)chord, (uint16_t)vi, (float)smp) != 0) {
                pdva_free(touched);
                pdva_free(owner);
                return -1;
            }
            owner[pi] = (int32_t)(r->n_entries - 1);
        }
    }
    pdva_free(touched);
    pdva_free(owner);
    return 0;
}

static int build_blush(ph_render *r, const ph_run *run)
{
    size_t npix = (size_t)r->rows * r->cols;
    r->venosome_label = pdva_alloc_array(npix, 1);
    if (!r->venosome_label)
        return -1;
    memset(r->venosome_label, 255, npix);
    if (!run->has_foot)
        return 0;
    uint8_t *mask = pdva_alloc_array(npix, 1);
    if (!mask)
        return -1;
    for (int vs = 0; vs < PDVA_VENOSOME_COUNT; vs++) {
        const ph_venosome_region *reg = &run->venosomes[vs];
        pdva_vec2 poly[PH_MAX_POLY];
        for (size_t i = 0; i < reg->n; i++)
            poly[i] = ph_mm_to_px(run, reg->polygon[i]);
        memset(mask, 0, npix);
        pdva_raster_polygon(poly, reg->n, r->rows, r->cols, mask, 1);
        r->blush_weight_mm[vs] = pdva_alloc_array(npix, sizeof(float));
        if (!r->blush_weight_mm[vs]) {
            pdva_free(mask);
            return -1;
        }
        for (size_t i = 0; i < npix; i++) {
            if (mask[i])
                r->venosome_label[i] = (uint8_t)vs;
            r->blush_weight_mm[vs][i] = mask[i] ? r->thickness_mm[i] : 0.0f;
        }
        /* the territories fade out up the leg instead of stopping at the atlas' top line */
        for (uint32_t y = 0; y < r->rows; y++)
            for (uint32_t x = 0; x < r->cols; x++) {
                size_t i = (size_t)y * r->cols + x;
                if (r->blush_weight_mm[vs][i] == 0.0f)
                    continue;
                double u, v;
                pdva_foot_from_image(&run->foot,
                                     pdva_v2(((double)x + 0.5) * run->spacing_mm,
                                             ((double)y + 0.5) * run->spacing_mm),
                                     &u, &v);
                double fade = (PDVA_ATLAS_TOP_V - v) / (PDVA_ATLAS_TOP_V - 0.35);
                if (fade < 1.0)
                    r->blush_weight_mm[vs][i] *= (float)fmax(0.0, fade);
            }
        /* a blush has no edge: smooth over a few millimetres */
        ph_gaussian_blur(r->blush_weight_mm[vs], r->rows, r->cols, 3.0 / run->spacing_mm,
                         r->work_a);
    }
    pdva_free(mask);
    return 0;
}

int ph_render_init(ph_render *r, const ph_run *run)
{
    memset(r, 0, sizeof *r);
    r->rows = run->rows;
    r->cols = run->columns;
    size_t npix = (size_t)r->rows * r->cols;
    r->mu_background = pdva_alloc_array(npix, sizeof(float));
    r->thickness_mm = pdva_alloc_array(npix, sizeof(float));
    r->work_a = pdva_alloc_array(npix, sizeof(float));
    r->work_b = pdva_alloc_array(npix, sizeof(float));
    if (!r->mu_background || !r->thickness_mm || !r->work_a || !r->work_b ||
        build_background(r, run) != 0 || build_vessel_entries(r, run) != 0 ||
        build_blush(r, run) != 0) {
        ph_render_free(r);
        return -1;
    }
    return 0;
}

void ph_render_iodine(const ph_render *r, const ph_run *run, const ph_conc *conc, uint32_t f,
                      float *iodine)
{
    size_t npix = (size_t)r->rows * r->cols;
    double mu = run->iodine_mu_per_mg_ml_mm;
    memset(iodine, 0, npix * sizeof(float));
    for (size_t e = 0; e < r->n_entries; e++) {
        double c = ph_conc_vessel(conc, r->entry_vessel[e], r->entry_sample[e], f);
        iodine[r->entry_pixel[e]] += (float)(mu * c * r->entry_chord_mm[e]);
    }
    if (!run->has_foot)
        return;
    for (int vs = 0; vs < PDVA_VENOSOME_COUNT; vs++) {
        double c = conc->blush[vs] ? conc->blush[vs][f] : 0.0;
        if (c <= 0.0)
            continue;
        float k = (float)(mu * c);
        const float *w = r->blush_weight_mm[vs];
        for (size_t i = 0; i < npix; i++)
            iodine[i] += k * w[i];
    }
}

/* Bilinear resampling of src shifted by (dx, dy) pixels into dst (edges clamped). */
static void shift_image(const float *src, float *dst, uint32_t rows, uint32_t cols, double dx,
                        double dy)
{
    for (uint32_t y = 0; y < rows; y++) {
        double sy = (double)y - dy;
        long y0 = (long)floor(sy);
        double fy = sy - (double)y0;
        long ya = y0 < 0 ? 0 : (y0 >= (long)rows ? (long)rows - 1 : y0);
        long yb = y0 + 1 < 0 ? 0 : (y0 + 1 >= (long)rows ? (long)rows - 1 : y0 + 1);
        for (uint32_t x = 0; x < cols; x++) {
            double sx = (double)x - dx;
            long x0 = (long)floor(sx);
            double fx = sx - (double)x0;
            long xa = x0 < 0 ? 0 : (x0 >= (long)cols ? (long)cols - 1 : x0);
            long xb = x0 + 1 < 0 ? 0 : (x0 + 1 >= (long)cols ? (long)cols - 1 : x0 + 1);
            double top = src[(size_t)ya * cols + (size_t)xa] * (1.0 - fx) +
                         src[(size_t)ya * cols + (size_t)xb] * fx;
            double bot = src[(size_t)yb * cols + (size_t)xa] * (1.0 - fx) +
                         src[(size_t)yb * cols + (size_t)xb] * fx;
            dst[(size_t)y * cols + x] = (float)(top * (1.0 - fy) + bot * fy);
        }
    }
}

/* Veiling glare: a fraction of the light spread over a wide kernel, computed at 1/8 scale. */
static void add_glare(float *img, uint32_t rows, uint32_t cols, double fraction, double sigma_px,
                      float *tmp)
{
    if (!(fraction > 0.0))
        return;
    const uint32_t k = 8;
    uint32_t sr = (rows + k - 1) / k, sc = (cols + k - 1) / k;
    float *small = tmp, *small_tmp = tmp + (size_t)sr * sc;
    for (uint32_t y = 0; y < sr; y++)
        for (uint32_t x = 0; x < sc; x++) {
            double acc = 0.0;
            int n = 0;
            for (uint32_t yy = y * k; yy < (y + 1) * k && yy < rows; yy++)
                for (uint32_t xx = x * k; xx < (x + 1) * k && xx < cols; xx++) {
                    acc += img[(size_t)yy * cols + xx];
                    n++;
                }
            small[(size_t)y * sc + x] = (float)(acc / n);
        }
    ph_gaussian_blur(small, sr, sc, sigma_px / k, small_tmp);
    for (uint32_t y = 0; y < rows; y++) {
        double fy = ((double)y + 0.5) / k - 0.5;
        long y0 = (long)floor(fy);
        double ty = fy - (double)y0;
        long ya = y0 < 0 ? 0 : (y0 >= (long)sr ? (long)sr - 1 : y0);
        long yb = y0 + 1 >= (long)sr ? (long)sr - 1 : (y0 + 1 < 0 ? 0 : y0 + 1);
        for (uint32_t x = 0; x < cols; x++) {
            double fx = ((double)x + 0.5) / k - 0.5;
            long x0 = (long)floor(fx);
            double tx = fx - (double)x0;
            long xa = x0 < 0 ? 0 : (x0 >= (long)sc ? (long)sc - 1 : x0);
            long xb = x0 + 1 >= (long)sc ? (long)sc - 1 : (x0 + 1 < 0 ? 0 : x0 + 1);
            double g = (small[(size_t)ya * sc + (size_t)xa] * (1 - tx) +
                        small[(size_t)ya * sc + (size_t)xb] * tx) * (1 - ty) +
                       (small[(size_t)yb * sc + (size_t)xa] * (1 - tx) +
                        small[(size_t)yb * sc + (size_t)xb] * tx) * ty;
            size_t i = (size_t)y * cols + x;
            img[i] = (float)((1.0 - fraction) * img[i] + fraction * g);
        }
    }
}

void ph_render_frame(ph_render *r, const ph_run *run, const ph_conc *conc, uint32_t f,
                     phantom_rng *rng, float *iodine, uint16_t *out)
{
    size_t npix = (size_t)r->rows * r->cols;
    if (r->no_contrast)
        memset(iodine, 0, npix * sizeof *iodine);
    else
        ph_render_iodine(r, run, conc, f, iodine);
    for (size_t i = 0; i < npix; i++)
        iodine[i] += r->mu_background[i];
    /* patient motion moves the whole scene */
    double dx = run->shift_x_mm ? run->shift_x_mm[f] / run->spacing_mm : 0.0;
    double dy = run->shift_y_mm ? run->shift_y_mm[f] / run->spacing_mm : 0.0;
    float *mu = iodine;
    if (dx != 0.0 || dy != 0.0) {
        shift_image(iodine, r->work_a, r->rows, r->cols, dx, dy);
        mu = r->work_a;
    }
    float *intensity = r->work_b;
    for (size_t i = 0; i < npix; i++)
        intensity[i] = expf(-mu[i]);
    float *tmp = mu == r->work_a ? iodine : r->work_a;
    ph_gaussian_blur(intensity, r->rows, r->cols, run->blur_sigma_px, tmp);
    add_glare(intensity, r->rows, r->cols, run->glare_fraction,
              run->glare_sigma_mm / run->spacing_mm, tmp);
    double n0 = run->photons_per_pixel;
    for (size_t i = 0; i < npix; i++) {
        double n = phantom_rng_poisson(rng, n0 * intensity[i]) +
                   ELECTRONIC_NOISE_COUNTS * phantom_rng_normal(rng);
        double v;
        if (run->log_storage)
            v = LOG_AIR_VALUE + LOG_GAIN * log(fmax(n, 1.0) / n0);
        else
            v = n * LIN_AIR_VALUE / n0;
        v = floor(v + 0.5);
        out[i] = (uint16_t)(v < 0.0 ? 0.0 : (v > 4095.0 ? 4095.0 : v));
    }
}
