/* geom.c — plane geometry helpers shared by the analyzer and the sample-study generator.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/geom.h"

#include <math.h>

double pdva_v2_norm(pdva_vec2 a)
{
    return hypot(a.x, a.y);
}

double pdva_v2_dist(pdva_vec2 a, pdva_vec2 b)
{
    return hypot(a.x - b.x, a.y - b.y);
}

pdva_vec2 pdva_v2_unit(pdva_vec2 a)
{
    double n = hypot(a.x, a.y);
    if (!(n > 0.0))
        return pdva_v2(1.0, 0.0);
    return pdva_v2(a.x / n, a.y / n);
}

pdva_vec2 pdva_v2_lerp(pdva_vec2 a, pdva_vec2 b, double t)
{
    return pdva_v2(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
}

double pdva_segment_distance(pdva_vec2 p, pdva_vec2 a, pdva_vec2 b, double *t_out)
{
    pdva_vec2 ab = pdva_v2_sub(b, a);
    double len2 = pdva_v2_dot(ab, ab);
    double t = 0.0;
    if (len2 > 0.0) {
        t = pdva_v2_dot(pdva_v2_sub(p, a), ab) / len2;
        if (t < 0.0)
            t = 0.0;
        else if (t > 1.0)
            t = 1.0;
    }
    if (t_out)
        *t_out = t;
    return pdva_v2_dist(p, pdva_v2_add(a, pdva_v2_scale(ab, t)));
}

double pdva_polyline_length(const pdva_vec2 *pts, size_t n)
{
    double len = 0.0;
    for (size_t i = 1; i < n; i++)
        len += pdva_v2_dist(pts[i - 1], pts[i]);
    return len;
}

pdva_vec2 pdva_polyline_point_at(const pdva_vec2 *pts, size_t n, double s)
{
    if (n == 0)
        return pdva_v2(0.0, 0.0);
    if (s <= 0.0 || n == 1)
        return pts[0];
    double acc = 0.0;
    for (size_t i = 1; i < n; i++) {
        double seg = pdva_v2_dist(pts[i - 1], pts[i]);
        if (acc + seg >= s && seg > 0.0)
            return pdva_v2_lerp(pts[i - 1], pts[i], (s - acc) / seg);
        acc += seg;
    }
    return pts[n - 1];
}

double pdva_polyline_project(const pdva_vec2 *pts, size_t n, pdva_vec2 p, double *s_out)
{
    double best = INFINITY, best_s = 0.0, acc = 0.0;
    if (n == 1) {
        best = pdva_v2_dist(p, pts[0]);
    }
    for (size_t i = 1; i < n; i++) {
        double t;
        double seg = pdva_v2_dist(pts[i - 1], pts[i]);
        double d = pdva_segment_distance(p, pts[i - 1], pts[i], &t);
        if (d < best) {
            best = d;
            best_s = acc + t * seg;
        }
        acc += seg;
    }
    if (s_out)
        *s_out = best_s;
    return best;
}

/* One centripetal Catmull-Rom segment between p1 and p2 evaluated at t in [0, 1]. */
static pdva_vec2 catmull_rom(pdva_vec2 p0, pdva_vec2 p1, pdva_vec2 p2, pdva_vec2 p3, double t)
{
    /* Barry-Goldman pyramidal formulation with alpha = 0.5 (no cusps or self-intersections). */
    double t0 = 0.0;
    double t1 = t0 + sqrt(fmax(pdva_v2_dist(p0, p1), 1e-9));
    double t2 = t1 + sqrt(fmax(pdva_v2_dist(p1, p2), 1e-9));
    double t3 = t2 + sqrt(fmax(pdva_v2_dist(p2, p3), 1e-9));
    double u = t1 + (t2 - t1) * t;
    pdva_vec2 a1 = pdva_v2_add(pdva_v2_scale(p0, (t1 - u) / (t1 - t0)),
                               pdva_v2_scale(p1, (u - t0) / (t1 - t0)));
    pdva_vec2 a2 = pdva_v2_add(pdva_v2_scale(p1, (t2 - u) / (t2 - t1)),
                               pdva_v2_scale(p2, (u - t1) / (t2 - t1)));
    pdva_vec2 a3 = pdva_v2_add(pdva_v2_scale(p2, (t3 - u) / (t3 - t2)),
                               pdva_v2_scale(p3, (u - t2) / (t3 - t2)));
    pdva_vec2 b1 = pdva_v2_add(pdva_v2_scale(a1, (t2 - u) / (t2 - t0)),
                               pdva_v2_scale(a2, (u - t0) / (t2 - t0)));
    pdva_vec2 b2 = pdva_v2_add(pdva_v2_scale(a2, (t3 - u) / (t3 - t1)),
                               pdva_v2_scale(a3, (u - t1) / (t3 - t1)));
    return pdva_v2_add(pdva_v2_scale(b1, (t2 - u) / (t2 - t1)),
                       pdva_v2_scale(b2, (u - t1) / (t2 - t1)));
}

size_t pdva_spline_resample(const pdva_vec2 *ctrl, size_t n_ctrl, double step, pdva_vec2 *out,
                            size_t max_out)
{
    if (n_ctrl < 2 || !(step > 0.0) || max_out < 2)
        return 0;
    /* Dense evaluation first, then resampling at equal arclength. */
    enum { SUB = 64 };
    size_t n_dense = (n_ctrl - 1) * SUB + 1;
    double total = 0.0;
    pdva_vec2 prev = ctrl[0];
    size_t n_out = 0;
    out[n_out++] = ctrl[0];
    double next_s = step;
    for (size_t k = 1; k < n_dense; k++) {
        size_t seg = (k - 1) / SUB;
        double t = (double)(k - seg * SUB) / SUB;
        pdva_vec2 p0 = ctrl[seg == 0 ? 0 : seg - 1];
        pdva_vec2 p1 = ctrl[seg];
        pdva_vec2 p2 = ctrl[seg + 1];
        pdva_vec2 p3 = ctrl[seg + 2 < n_ctrl ? seg + 2 : n_ctrl - 1];
        /* phantom end points so the first and last segments are well defined */
        if (seg == 0)
            p0 = pdva_v2_sub(pdva_v2_scale(p1, 2.0), p2);
        if (seg + 2 >= n_ctrl)
            p3 = pdva_v2_sub(pdva_v2_scale(p2, 2.0), p1);
        pdva_vec2 cur = catmull_rom(p0, p1, p2, p3, t);
        double d = pdva_v2_dist(prev, cur);
        while (d > 0.0 && total + d >= next_s) {
            if (n_out >= max_out)
                return 0;
            out[n_out++] = pdva_v2_lerp(prev, cur, (next_s - total) / d);
            next_s += step;
        }
        total += d;
        prev = cur;
    }
    /* close on the last control point unless the last sample is already there */
    if (pdva_v2_dist(out[n_out - 1], ctrl[n_ctrl - 1]) > 1e-6 * step) {
        if (n_out >= max_out)
            return 0;
        out[n_out++] = ctrl[n_ctrl - 1];
    }
    return n_out;
}

double pdva_polygon_signed_area(const pdva_vec2 *poly, size_t n)
{
    double a = 0.0;
    for (size_t i = 0, j = n ? n - 1 : 0; i < n; j = i++)
        a += poly[j].x * poly[i].y - poly[i].x * poly[j].y;
    return 0.5 * a;
}

int pdva_polygon_contains(const pdva_vec2 *poly, size_t n, pdva_vec2 p)
{
    int inside = 0;
    for (size_t i = 0, j = n ? n - 1 : 0; i < n; j = i++) {
        if (((poly[i].y > p.y) != (poly[j].y > p.y)) &&
            (p.x < (poly[j].x - poly[i].x) * (p.y - poly[i].y) / (poly[j].y - poly[i].y) +
                       poly[i].x))
            inside = !inside;
    }
    return inside;
}

size_t pdva_polygon_clip_convex(const pdva_vec2 *subject, size_t n_subject, const pdva_vec2 *clip,
                                size_t n_clip, pdva_vec2 *out, size_t max_out)
{
    enum { MAX_TMP = 1024 };
    pdva_vec2 buf_a[MAX_TMP], buf_b[MAX_TMP];
    if (n_subject > MAX_TMP / 2 || n_clip < 3)
        return 0;
    double orient = pdva_polygon_signed_area(clip, n_clip) >= 0.0 ? 1.0 : -1.0;
    size_t n_in = n_subject;
    for (size_t i = 0; i < n_subject; i++)
        buf_a[i] = subject[i];
    pdva_vec2 *in = buf_a, *res = buf_b;
    for (size_t e = 0; e < n_clip && n_in > 0; e++) {
        pdva_vec2 c0 = clip[e], c1 = clip[(e + 1) % n_clip];
        pdva_vec2 edge = pdva_v2_sub(c1, c0);
        size_t n_res = 0;
        for (size_t i = 0; i < n_in; i++) {
            pdva_vec2 cur = in[i], prv = in[(i + n_in - 1) % n_in];
            double dc = orient * pdva_v2_cross(edge, pdva_v2_sub(cur, c0));
            double dp = orient * pdva_v2_cross(edge, pdva_v2_sub(prv, c0));
            if (dc >= 0.0) {
                if (dp < 0.0 && n_res < MAX_TMP)
                    res[n_res++] = pdva_v2_lerp(prv, cur, dp / (dp - dc));
                if (n_res < MAX_TMP)
                    res[n_res++] = cur;
            } else if (dp >= 0.0 && n_res < MAX_TMP) {
                res[n_res++] = pdva_v2_lerp(prv, cur, dp / (dp - dc));
            }
        }
        pdva_vec2 *t = in;
        in = res;
        res = t;
        n_in = n_res;
    }
    if (n_in < 3 || n_in > max_out)
        return 0;
    for (size_t i = 0; i < n_in; i++)
        out[i] = in[i];
    return n_in;
}

pdva_vec2 pdva_polygon_centroid(const pdva_vec2 *poly, size_t n)
{
    double a = 0.0, cx = 0.0, cy = 0.0;
    for (size_t i = 0, j = n ? n - 1 : 0; i < n; j = i++) {
        double f = poly[j].x * poly[i].y - poly[i].x * poly[j].y;
        a += f;
        cx += (poly[j].x + poly[i].x) * f;
        cy += (poly[j].y + poly[i].y) * f;
    }
    if (fabs(a) < 1e-12) {
        pdva_vec2 m = {0.0, 0.0};
        for (size_t i = 0; i < n; i++)
            m = pdva_v2_add(m, poly[i]);
        return n ? pdva_v2_scale(m, 1.0 / (double)n) : m;
    }
    return pdva_v2(cx / (3.0 * a), cy / (3.0 * a));
}
