/* path.c — network walks flattened into profiles (see path.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/path.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"

bool pdva_path_push(pdva_path *path, const pdva_network *net, int seg, int from)
{
    if (path->n_segs >= PDVA_PATH_MAX_SEGMENTS)
        return false;
    const pdva_segment *s = &net->seg[seg];
    bool rev = s->b == from && s->a != from;
    path->segs[path->n_segs] = seg;
    path->reversed[path->n_segs] = rev;
    path->nodes[path->n_segs] = from;
    path->nodes[path->n_segs + 1] = rev ? s->a : s->b;
    path->n_segs++;
    return true;
}

int pdva_path_end_node(const pdva_path *path)
{
    return path->n_segs ? path->nodes[path->n_segs] : -1;
}

void pdva_path_free(pdva_path *path)
{
    if (!path)
        return;
    pdva_free(path->pt);
    path->pt = NULL;
    path->n = 0;
}

pdva_status pdva_path_flatten(pdva_path *path, const pdva_network *net, double mm_per_px,
                              pdva_error **err)
{
    size_t total = 0;
    for (size_t k = 0; k < path->n_segs; k++)
        total += net->seg[path->segs[k]].n;
    pdva_free(path->pt);
    path->n = 0;
    path->pt = pdva_alloc_array(total ? total : 1, sizeof(pdva_path_point));
    if (!path->pt)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a vessel path");
    double s = 0.0;
    for (size_t k = 0; k < path->n_segs; k++) {
        const pdva_segment *sg = &net->seg[path->segs[k]];
        path->first_pt[k] = total; /* (none added yet) */
        for (size_t j = 0; j < sg->n; j++) {
            size_t i = path->reversed[k] ? sg->n - 1 - j : j;
            if (k > 0 && j == 0)
                continue; /* the junction point is the previous segment's last */
            const pdva_seg_point *q = &sg->pt[i];
            if (path->n > 0)
                s += pdva_v2_dist(path->pt[path->n - 1].p, q->p) * mm_per_px;
            if (path->first_pt[k] == total)
                path->first_pt[k] = path->n;
            pdva_path_point *pp = &path->pt[path->n++];
            pp->seg = path->segs[k];
            pp->idx = i;
            pp->p = q->p;
            pp->s_mm = s;
            pp->d = isfinite(q->r_px) ? 2.0 * q->r_px * mm_per_px : NAN;
            pp->arrival_s = q->arrival_s;
            pp->mean_s = q->mean_s;
            pp->peak = q->peak;
            pp->cnr = q->cnr;
            pp->near_junction = q->near_junction;
        }
    }
    for (size_t k = 0; k < path->n_segs; k++)
        if (path->first_pt[k] == total)
            path->first_pt[k] = path->n;
    return PDVA_OK;
}

double pdva_path_s_at_segment(const pdva_path *path, size_t k)
{
    size_t i = k < path->n_segs ? path->first_pt[k] : path->n;
    if (i < path->n)
        return i > 0 ? path->pt[i - 1].s_mm : path->pt[i].s_mm;
    return path->n ? path->pt[path->n - 1].s_mm : 0.0;
}

size_t pdva_path_index_at(const pdva_path *path, double s_mm)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t i = 0; i < path->n; i++) {
        double d = fabs(path->pt[i].s_mm - s_mm);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { FIELD_D, FIELD_ARRIVAL, FIELD_ARRIVAL_ALL };

/* The finite values of a field over [s0, s1] away from branch points (FIELD_ARRIVAL_ALL: at
 * them too), sorted into buf (cap values at most). Returns how many. */
static size_t sorted_field(const pdva_path *path, double s0, double s1, int field, double *buf,
                           size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < path->n && m < cap; i++) {
        const pdva_path_point *p = &path->pt[i];
        if (p->s_mm < s0 || p->s_mm > s1 || (p->near_junction && field != FIELD_ARRIVAL_ALL))
            continue;
        double v = field == FIELD_D ? p->d : p->arrival_s;
        if (isfinite(v))
            buf[m++] = v;
    }
    qsort(buf, m, sizeof(double), compare_double);
    return m;
}

static double quantile_field(const pdva_path *path, double s0, double s1, int field, double q)
{
    double buf[2048];
    size_t m = sorted_field(path, s0, s1, field, buf, 2048);
    if (!m)
        return NAN;
    double x = q * (double)(m - 1);
    size_t lo = (size_t)floor(x);
    size_t hi = lo + 1 < m ? lo + 1 : lo;
    return buf[lo] + (x - (double)lo) * (buf[hi] - buf[lo]);
}

double pdva_path_quantile_d(const pdva_path *path, double s0, double s1, double q)
{
    return quantile_field(path, s0, s1, FIELD_D, q);
}

static double median_field(const pdva_path *path, double s0, double s1, int field)
{
    double buf[2048];
    size_t m = sorted_field(path, s0, s1, field, buf, 2048);
    if (!m)
        return NAN;
    return m % 2 ? buf[m / 2] : 0.5 * (buf[m / 2 - 1] + buf[m / 2]);
}

double pdva_path_median_d(const pdva_path *path, double s0, double s1)
{
    return median_field(path, s0, s1, FIELD_D);
}

double pdva_path_median_arrival(const pdva_path *path, double s0, double s1)
{
    return median_field(path, s0, s1, FIELD_ARRIVAL);
}

double pdva_path_median_arrival_all(const pdva_path *path, double s0, double s1)
{
    return median_field(path, s0, s1, FIELD_ARRIVAL_ALL);
}

double pdva_path_velocity(const pdva_path *path, double s0, double s1, size_t min_points,
                          size_t *used)
{
    size_t n = 0;
    double *xs = pdva_alloc_array(path->n ? path->n : 1, sizeof(double));
    double *ys = pdva_alloc_array(path->n ? path->n : 1, sizeof(double));
    bool *keep = pdva_alloc_array(path->n ? path->n : 1, sizeof(bool));
    if (used)
        *used = 0;
    if (!xs || !ys || !keep) {
        pdva_free(xs);
        pdva_free(ys);
        pdva_free(keep);
        return NAN;
    }
    for (size_t i = 0; i < path->n; i++) {
        const pdva_path_point *p = &path->pt[i];
        if (p->s_mm < s0 || p->s_mm > s1 || p->near_junction || !isfinite(p->arrival_s))
            continue;
        xs[n] = p->s_mm;
        ys[n] = p->arrival_s;
        keep[n] = true;
        n++;
    }
    double slope = NAN;
    size_t kept = n;
    for (int iter = 0; iter < 5 && kept >= min_points; iter++) {
        double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (size_t i = 0; i < n; i++) {
            if (!keep[i])
                continue;
            sw++;
            sx += xs[i];
            sy += ys[i];
            sxx += xs[i] * xs[i];
            sxy += xs[i] * ys[i];
        }
        double den = sw * sxx - sx * sx;
        if (!(fabs(den) > 1e-12))
            break;
        slope = (sw * sxy - sx * sy) / den;
        double icpt = (sy - slope * sx) / sw;
        /* leave out points far from the line (3 robust sigmas) */
        double dev[4096];
        size_t m = 0;
        for (size_t i = 0; i < n && m < 4096; i++)
            if (keep[i])
                dev[m++] = fabs(ys[i] - (icpt + slope * xs[i]));
        qsort(dev, m, sizeof(double), compare_double);
        double mad = m ? dev[m / 2] : 0.0;
        double lim = fmax(3.0 * 1.4826 * mad, 0.02);
        kept = 0;
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            bool k = fabs(ys[i] - (icpt + slope * xs[i])) <= lim;
            if (k != keep[i])
                changed = true;
            keep[i] = k;
            kept += k;
        }
        if (!changed)
            break;
    }
    pdva_free(xs);
    pdva_free(ys);
    pdva_free(keep);
    if (used)
        *used = kept;
    if (kept < min_points || !(slope > 0.0))
        return NAN;
    return 1.0 / slope;
}
