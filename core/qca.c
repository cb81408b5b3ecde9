/* qca.c — cylinder profile fitting and stenosis measures (see qca.h).
 *
 * The fit separates the linear parameters (background level and slope, amplitude), solved
 * exactly for each candidate, from the two non-linear ones (centre, radius), searched on a grid
 * and refined by successive halving. The table of blurred chords makes each evaluation a lookup.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/qca.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "core/add_scaled.h"
#include "base/error.h"
#include "base/parallel.h"

/* The chord's integral from 0 to t: the antiderivative of 2 sqrt(r^2 - t^2), odd in t and
 * constant beyond the cylinder's edge. */
static double chord_integral(double t, double r)
{
    double a = fabs(t);
    double v = a >= r ? 0.5 * M_PI * r * r : a * sqrt(r * r - a * a) + r * r * asin(a / r);
    return t < 0.0 ? -v : v;
}

/* Rows [begin, end) of the table: each radius' chord, blurred by the Gaussian kernel.
 * The kernel is sampled every `cell` (a few table steps, a sixth of sigma at most) and each
 * tap weighs the chord's exact mean over its cell, taken from the chord's integral: the
 * chord's square-root edge is integrated exactly, and a wide blur costs no more taps than a
 * narrow one. */
typedef struct model_rows_job {
    pdva_profile_model *m;
    const double *kernel; /* 2 half + 1 taps, `cell` apart */
    int half;
    int cell_steps;     /* the cell in table steps */
    atomic_bool failed; /* a buffer could not be allocated */
} model_rows_job;

static void model_fill_rows(void *ctx, size_t begin, size_t end)
{
    model_rows_job *job = ctx;
    pdva_profile_model *m = job->m;
    const double *kernel = job->kernel;
    const long half = job->half, cs = job->cell_steps, n_u = (long)m->n_u;
    const long reach = half * cs; /* the kernel's reach in table steps */
    /* mean[reach + i]: the chord's mean over the cell centred on table index i, for
     * -reach <= i < n_u + reach; acc: one row's sums */
    size_t n_mean = (size_t)(n_u + 2 * reach);
    double *mean = pdva_alloc_array(n_mean, sizeof(double));
    double *acc = pdva_alloc_array((size_t)n_u, sizeof(double));
    if (!mean || !acc) {
        pdva_free(mean);
        pdva_free(acc);
        atomic_store(&job->failed, true);
        return;
    }
    const double cell = (double)cs * m->u_step, half_cell = 0.5 * cell;
    for (size_t ir = begin; ir < end; ir++) {
        double r = (double)ir * m->r_step;
        /* the chord is zero from ra on: an output further than ra + the kernel's reach from
         * the axis is zero */
        long ra = (long)ceil(r / m->u_step) + 1;
        long nz = ra + reach + cs + 1;
        nz = nz < n_u ? nz : n_u;
        m->support[ir] = (uint32_t)nz;
        /* the means are even in i, and zero beyond ra + cs */
        long i_max = ra + cs < n_u + reach ? ra + cs : n_u + reach - 1;
        for (long i = 0; i < n_u + reach; i++) {
            double v = 0.0;
            if (i <= i_max) {
                double t = (double)i * m->u_step;
                v = (chord_integral(t + half_cell, r) - chord_integral(t - half_cell, r)) / cell;
            }
            mean[reach + i] = v;
            if (i > 0 && i <= reach)
                mean[reach - i] = v;
        }
        for (long iu = 0; iu < nz; iu++)
            acc[iu] = 0.0;
        /* tap by tap over the row: contiguous, so that it vectorizes */
        for (long k = -half; k <= half; k++)
            pdva_add_scaled_d(acc, mean + reach + k * cs, kernel[k + half], (size_t)nz);
        float *row = m->table + ir * m->n_u;
        for (long iu = 0; iu < n_u; iu++)
            row[iu] = iu < nz ? (float)acc[iu] : 0.0f;
    }
    pdva_free(mean);
    pdva_free(acc);
}

pdva_status pdva_profile_model_create(pdva_profile_model *m, double sigma_px, double r_max_px,
                                      unsigned threads, pdva_error **err)
{
    memset(m, 0, sizeof *m);
    m->sigma_px = sigma_px;
    m->r_step = 0.05;
    m->u_step = 0.05;
    m->n_r = (size_t)(r_max_px / m->r_step) + 2;
    double u_max = r_max_px + 6.0 * sigma_px + 2.0;
    m->n_u = (size_t)(u_max / m->u_step) + 2;
    m->table = pdva_alloc_array(m->n_r * m->n_u, sizeof(float));
    m->support = pdva_alloc_array(m->n_r, sizeof(uint32_t));
    if (!m->table || !m->support) {
        pdva_profile_model_destroy(m);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the profile model");
    }
    /* Gaussian kernel out to 4 sigma, one tap per cell of about sigma / 6 (a whole number
     * of table steps); its sampling widens it by cell^2 / 12 in variance, which the sampled
     * Gaussian's own sigma gives back */
    int cs = (int)floor(sigma_px / 6.0 / m->u_step);
    cs = cs < 1 ? 1 : cs;
    double cell = cs * m->u_step;
    double var = sigma_px * sigma_px - cell * cell / 12.0;
    int half = (int)ceil(4.0 * sigma_px / cell);
    size_t klen = 2 * (size_t)half + 1;
    double *kernel = pdva_alloc_array(klen, sizeof(double));
    if (!kernel) {
        pdva_profile_model_destroy(m);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the profile model");
    }
    double ksum = 0.0;
    for (int k = -half; k <= half; k++) {
        double u = k * cell;
        kernel[k + half] = var > 0.0 ? exp(-0.5 * u * u / var) : (k == 0);
        ksum += kernel[k + half];
    }
    for (size_t k = 0; k < klen; k++)
        kernel[k] /= ksum;
    model_rows_job job = {m, kernel, half, cs, false};
    pdva_parallel_for(threads, m->n_r, 16, model_fill_rows, &job);
    pdva_free(kernel);
    if (atomic_load(&job.failed)) {
        pdva_profile_model_destroy(m);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the profile model");
    }
    return PDVA_OK;
}

void pdva_profile_model_destroy(pdva_profile_model *m)
{
    if (!m)
        return;
    pdva_free(m->table);
    pdva_free(m->support);
    m->table = NULL;
    m->support = NULL;
}

/* The two table rows around radius r and the weight of the second: what every evaluation at
 * that radius shares. */
typedef struct model_rows {
    const float *row0, *row1;
    double fr;
    double u_zero; /* |u| from which both rows are exactly zero */
} model_rows;

static model_rows model_rows_at(const pdva_profile_model *m, double r)
{
    double ar = r / m->r_step;
    if (ar < 0.0)
        ar = 0.0;
    size_t ir = (size_t)ar;
    if (ir + 1 >= m->n_r) {
        ir = m->n_r - 2;
        ar = (double)ir + 1.0;
    }
    uint32_t zero_from = m->support[ir] > m->support[ir + 1] ? m->support[ir] : m->support[ir + 1];
    model_rows rows = {m->table + ir * m->n_u, m->table + (ir + 1) * m->n_u, ar - (double)ir,
                       (double)zero_from * m->u_step};
    return rows;
}

/* Bilinear value at offset u between the rows. */
static inline double model_rows_eval(const pdva_profile_model *m, const model_rows *rows, double u)
{
    double au = fabs(u) / m->u_step;
    size_t iu = (size_t)au;
    if (iu + 1 >= m->n_u)
        return 0.0;
    double fu = au - (double)iu;
    double a = rows->row0[iu] * (1.0 - fu) + rows->row0[iu + 1] * fu;
    double b = rows->row1[iu] * (1.0 - fu) + rows->row1[iu + 1] * fu;
    return a * (1.0 - rows->fr) + b * rows->fr;
}

double pdva_profile_model_eval(const pdva_profile_model *m, double u, double r)
{
    model_rows rows = model_rows_at(m, r);
    return model_rows_eval(m, &rows, u);
}

/* Profiles up to this many samples are fitted without a heap allocation. */
#define FIT_LOCAL_SAMPLES 320

/* What solve_linear needs of a profile that does not depend on the candidate (c, r): the
 * sample positions' sums and the profile's own, centred on its mean so that the residual
 * taken from the normal equations does not lose digits to a large background level. */
typedef struct profile_sums {
    const double *x2, *yc; /* each sample's x2 and yc, worked out once for every candidate */
    size_t n;
    double step, mid;
    double y_mean;
    double s12, s22;     /* sums of x2, x2^2 (x1 = 1, x2 = u / 10) */
    double t1, t2, yy;   /* sums of yc, x2 yc, yc^2 (yc = y - y_mean) */
} profile_sums;

/* x2_yc: room for 2 n doubles, which the sums point into. */
static void profile_sums_init(profile_sums *ps, const float *y, size_t n, double step,
                              double *x2_yc)
{
    memset(ps, 0, sizeof *ps);
    ps->n = n;
    ps->step = step;
    ps->mid = 0.5 * (double)(n - 1);
    for (size_t k = 0; k < n; k++)
        ps->y_mean += y[k];
    ps->y_mean /= (double)n;
    double *x2s = x2_yc, *ycs = x2_yc + n;
    ps->x2 = x2s;
    ps->yc = ycs;
    for (size_t k = 0; k < n; k++) {
        double x2 = ((double)k - ps->mid) * step / 10.0, yc = y[k] - ps->y_mean;
        x2s[k] = x2;
        ycs[k] = yc;
        ps->s12 += x2;
        ps->s22 += x2 * x2;
        ps->t1 += yc;
        ps->t2 += x2 * yc;
        ps->yy += yc * yc;
    }
}

/* Least squares of profile = b0 + b1 u + A P(u - c; r); returns the residual sum of squares,
 * from the normal equations (RSS = y'y - beta' X'y), so that the model is evaluated once per
 * sample, and A in *amp (the fit keeps only A: b0 and b1 are the background's). */
static double solve_linear(const pdva_profile_model *m, const profile_sums *ps, double c,
                           double r, double *amp)
{
    double s13 = 0, s23 = 0, s33 = 0, t3 = 0;
    const double *x2s = ps->x2, *ycs = ps->yc;
    /* the radius' two rows are looked up once for every sample */
    model_rows rows = model_rows_at(m, r);
    /* only the samples where the model is not exactly zero add anything: |u - c| < u_zero
     * (a sample or two more on each side changes nothing) */
    double k_lo = floor(ps->mid + (c - rows.u_zero) / ps->step) - 1.0;
    double k_hi = ceil(ps->mid + (c + rows.u_zero) / ps->step) + 1.0;
    size_t k0 = k_lo > 0.0 ? (size_t)k_lo : 0;
    size_t k1 = k_hi < (double)ps->n ? (size_t)k_hi : ps->n;
    double ratio = ps->step / m->u_step;
    long steps = lround(ratio);
    if (steps >= 1 && fabs(ratio - (double)steps) < 1e-9) {
        /* The samples are a whole number of table columns apart: every sample on one side of
         * the centre c falls at the same fraction between two columns, `steps` columns on from
         * the one before, so the four bilinear weights are worked out once a side. */
        double kc = ceil(ps->mid + c / ps->step);
        size_t kp = kc < (double)k0 ? k0 : (kc > (double)k1 ? k1 : (size_t)kc);
        for (int side = 0; side < 2; side++) {
            /* side 0: samples kp.. rightwards; side 1: samples kp - 1.. leftwards */
            size_t first = side == 0 ? kp : kp - 1;
            size_t count = side == 0 ? k1 - kp : kp - k0;
            if (count == 0)
                continue;
            double a = fabs((((double)first - ps->mid) * ps->step - c) / m->u_step);
            double fl = floor(a), fu = a - fl;
            double w00 = (1.0 - fu) * (1.0 - rows.fr), w01 = fu * (1.0 - rows.fr);
            double w10 = (1.0 - fu) * rows.fr, w11 = fu * rows.fr;
            size_t iu = (size_t)fl;
            for (size_t j = 0; j < count; j++, iu += (size_t)steps) {
                if (iu + 1 >= m->n_u)
                    break; /* beyond the table: zero, as is every sample further out */
                size_t k = side == 0 ? first + j : first - j;
                double x3 = w00 * rows.row0[iu] + w01 * rows.row0[iu + 1] + w10 * rows.row1[iu] +
                            w11 * rows.row1[iu + 1];
                s13 += x3;
                s23 += x2s[k] * x3;
                s33 += x3 * x3;
                t3 += x3 * ycs[k];
            }
        }
    } else {
        for (size_t k = k0; k < k1; k++) {
            double u = ((double)k - ps->mid) * ps->step;
            double x3 = model_rows_eval(m, &rows, u - c);
            s13 += x3;
            s23 += x2s[k] * x3;
            s33 += x3 * x3;
            t3 += x3 * ycs[k];
        }
    }
    double s11 = (double)ps->n, s12 = ps->s12, s22 = ps->s22, t1 = ps->t1, t2 = ps->t2;
    /* 3x3 symmetric solve by Cramer's rule */
    double det = s11 * (s22 * s33 - s23 * s23) - s12 * (s12 * s33 - s23 * s13) +
                 s13 * (s12 * s23 - s22 * s13);
    if (!(fabs(det) > 1e-18)) {
        *amp = 0.0;
        return INFINITY;
    }
    double d1 = t1 * (s22 * s33 - s23 * s23) - s12 * (t2 * s33 - s23 * t3) +
                s13 * (t2 * s23 - s22 * t3);
    double d2 = s11 * (t2 * s33 - t3 * s23) - t1 * (s12 * s33 - s23 * s13) +
                s13 * (s12 * t3 - t2 * s13);
    double d3 = s11 * (s22 * t3 - s23 * t2) - s12 * (s12 * t3 - t2 * s13) +
                t1 * (s12 * s23 - s22 * s13);
    double c0 = d1 / det, c1 = d2 / det, a = d3 / det;
    *amp = a;
    double rss = ps->yy - (c0 * t1 + c1 * t2 + a * t3);
    return rss > 0.0 ? rss : 0.0;
}

/* The fit itself, on a profile's sums: a grid of centres and radii, then halving steps. */
static void fit_cylinder(const pdva_profile_model *m, const profile_sums *ps, double r_guess,
                         double noise, pdva_profile_fit *out)
{
    double r_max = (double)(m->n_r - 2) * m->r_step;
    double best = INFINITY, bc = 0.0, br = r_guess, a = 0.0;
    double c_span = fmin(3.0, 0.6 * r_guess + 1.0);
    double r_lo = 0.3, r_hi = fmin(r_max, 2.2 * r_guess + 2.0);
    double rstep = fmax(0.2, (r_hi - r_lo) / 24.0), cstep = fmax(0.25, c_span / 6.0);
    for (double c = -c_span; c <= c_span + 1e-9; c += cstep)
        for (double r = r_lo; r <= r_hi + 1e-9; r += rstep) {
            double ca;
            double rss = solve_linear(m, ps, c, r, &ca);
            if (ca > 0.0 && rss < best) {
                best = rss;
                bc = c;
                br = r;
                a = ca;
            }
        }
    if (!isfinite(best))
        return;
    /* refine by halving the steps around the best point (whose own fit is known) */
    for (int it = 0; it < 8; it++) {
        cstep *= 0.5;
        rstep *= 0.5;
        double c0 = bc, r0 = br;
        for (int dc = -1; dc <= 1; dc++)
            for (int dr = -1; dr <= 1; dr++) {
                double c = c0 + dc * cstep, r = r0 + dr * rstep;
                if ((dc == 0 && dr == 0) || r < 0.2 || r > r_max)
                    continue;
                double ca;
                double rss = solve_linear(m, ps, c, r, &ca);
                if (ca > 0.0 && rss < best) {
                    best = rss;
                    bc = c;
                    br = r;
                    a = ca;
                }
            }
    }
    out->ok = a > 0.0 && isfinite(best);
    out->offset_px = bc;
    out->radius_px = br;
    out->amplitude = a;
    out->area = a * M_PI * br * br;
    out->rms = sqrt(best / (double)ps->n);
    /* peak height over the noise */
    double peak = a * pdva_profile_model_eval(m, 0.0, br);
    out->contrast_to_noise = noise > 0.0 ? peak / noise : 0.0;
}

void pdva_profile_fit_cylinder(const pdva_profile_model *m, const float *y, size_t n,
                               double step, double r_guess, double noise, pdva_profile_fit *out)
{
    memset(out, 0, sizeof *out);
    if (n < 7 || !(r_guess > 0.0))
        return;
    /* a profile's samples' x2 and yc: on the stack for the profiles the analysis takes (at
     * most 257 samples), from the heap for longer ones */
    double local[2 * FIT_LOCAL_SAMPLES], *x2_yc = local;
    if (n > FIT_LOCAL_SAMPLES && !(x2_yc = pdva_alloc_array(n, 2 * sizeof(double))))
        return; /* no memory: no fit (out->ok false) */
    profile_sums ps;
    profile_sums_init(&ps, y, n, step, x2_yc);
    fit_cylinder(m, &ps, r_guess, noise, out);
    if (x2_yc != local)
        pdva_free(x2_yc);
}

void pdva_profile_sample(const pdva_image *img, pdva_vec2 p, pdva_vec2 normal, double step,
                         size_t n, float *out)
{
    double mid = 0.5 * (double)(n - 1);
    for (size_t k = 0; k < n; k++) {
        double u = ((double)k - mid) * step;
        out[k] = pdva_image_sample(img, p.x + normal.x * u, p.y + normal.y * u);
    }
}

void pdva_reference_diameter(const double *s, const double *d, size_t n, double *ref)
{
    bool *use = pdva_alloc_array(n ? n : 1, sizeof(bool));
    if (!use) {
        for (size_t i = 0; i < n; i++)
            ref[i] = d[i];
        return;
    }
    /* start from the wider points (at least 80 % of the upper quartile): a long lesion may
     * cover half the window, and a first fit through it would take it for the vessel */
    double q75 = NAN;
    {
        double *sorted = pdva_alloc_array(n ? n : 1, sizeof(double));
        size_t m = 0;
        if (sorted) {
            for (size_t i = 0; i < n; i++)
                if (isfinite(d[i]))
                    sorted[m++] = d[i];
            for (size_t x = 1; x < m; x++)
                for (size_t y = x; y > 0 && sorted[y - 1] > sorted[y]; y--) {
                    double t = sorted[y];
                    sorted[y] = sorted[y - 1];
                    sorted[y - 1] = t;
                }
            if (m)
                q75 = sorted[(3 * m) / 4 < m ? (3 * m) / 4 : m - 1];
            pdva_free(sorted);
        }
    }
    for (size_t i = 0; i < n; i++)
        use[i] = isfinite(d[i]) && !(isfinite(q75) && d[i] < 0.8 * q75);
    double a = 0.0, b = 0.0;
    for (int iter = 0; iter < 6; iter++) {
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t i = 0; i < n; i++) {
            if (!use[i])
                continue;
            sw += 1.0;
            sx += s[i];
            sy += d[i];
            sxx += s[i] * s[i];
            sxy += s[i] * d[i];
        }
        if (sw < 2.0)
            break;
        double den = sw * sxx - sx * sx;
        b = fabs(den) > 1e-12 ? (sw * sxy - sx * sy) / den : 0.0;
        a = (sy - b * sx) / sw;
        /* leave out what lies well below the line: the narrowing itself */
        double spread = 0.0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (use[i]) {
                spread += fabs(d[i] - (a + b * s[i]));
                k++;
            }
        spread = k ? 1.25 * spread / (double)k : 0.0;
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(d[i]))
                continue;
            bool keep = d[i] > a + b * s[i] - fmax(2.0 * spread, 0.08 * (a + b * s[i]));
            if (keep != use[i]) {
                use[i] = keep;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (size_t i = 0; i < n; i++)
        ref[i] = a + b * s[i];
    pdva_free(use);
}

void pdva_find_stenosis(const double *s, const double *d, const double *ref, size_t n,
                        size_t from, size_t to, double min_pct, pdva_stenosis *out)
{
    memset(out, 0, sizeof *out);
    if (to > n)
        to = n;
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = from; i < to; i++) {
        if (!isfinite(d[i]) || !(ref[i] > 0.0))
            continue;
        /* a single low point is noise: take the larger of the point and its neighbours' mean */
        double dl = i > from && isfinite(d[i - 1]) ? d[i - 1] : d[i];
        double dr = i + 1 < to && isfinite(d[i + 1]) ? d[i + 1] : d[i];
        double smooth = fmax(d[i], 0.5 * (dl + dr) - 0.15 * ref[i]);
        double red = 1.0 - smooth / ref[i];
        if (red > worst) {
            worst = red;
            wi = i;
        }
    }
    if (100.0 * worst < min_pct)
        return;
    out->found = true;
    out->index = wi;
    out->minimal_lumen_diameter = d[wi];
    out->reference_diameter = ref[wi];
    out->diameter_stenosis_pct = 100.0 * (1.0 - d[wi] / ref[wi]);
    if (out->diameter_stenosis_pct < 0.0)
        out->diameter_stenosis_pct = 0.0;
    /* length: where the reduction stays above half its maximum, interpolated */
    double half = 0.5 * (1.0 - d[wi] / ref[wi]);
    size_t a = wi, b = wi;
    while (a > from && isfinite(d[a - 1]) && 1.0 - d[a - 1] / ref[a - 1] >= half)
        a--;
    while (b + 1 < to && isfinite(d[b + 1]) && 1.0 - d[b + 1] / ref[b + 1] >= half)
        b++;
    double sa = s[a], sb = s[b];
    if (a > from && isfinite(d[a - 1])) {
        double r0 = 1.0 - d[a - 1] / ref[a - 1], r1 = 1.0 - d[a] / ref[a];
        if (r1 > r0)
            sa = s[a - 1] + (half - r0) / (r1 - r0) * (s[a] - s[a - 1]);
    }
    if (b + 1 < to && isfinite(d[b + 1])) {
        double r0 = 1.0 - d[b] / ref[b], r1 = 1.0 - d[b + 1] / ref[b + 1];
        if (r0 > r1)
            sb = s[b] + (r0 - half) / (r0 - r1) * (s[b + 1] - s[b]);
    }
    out->s_start = sa;
    out->s_end = sb;
    out->lesion_length = sb - sa;
}
