/* geom.h — plane geometry on points in millimetres or pixels: vectors, polylines, polygons.
 * Pure functions on caller-owned arrays; no allocation unless stated.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_GEOM_H
#define PDVA_CORE_GEOM_H

#include <stddef.h>

#include "pdva/pdva.h"

typedef struct pdva_vec2 {
    double x, y;
} pdva_vec2;

static inline pdva_vec2 pdva_v2(double x, double y)
{
    pdva_vec2 v = {x, y};
    return v;
}
static inline pdva_vec2 pdva_v2_add(pdva_vec2 a, pdva_vec2 b)
{
    return pdva_v2(a.x + b.x, a.y + b.y);
}
static inline pdva_vec2 pdva_v2_sub(pdva_vec2 a, pdva_vec2 b)
{
    return pdva_v2(a.x - b.x, a.y - b.y);
}
static inline pdva_vec2 pdva_v2_scale(pdva_vec2 a, double s)
{
    return pdva_v2(a.x * s, a.y * s);
}
static inline double pdva_v2_dot(pdva_vec2 a, pdva_vec2 b)
{
    return a.x * b.x + a.y * b.y;
}
static inline double pdva_v2_cross(pdva_vec2 a, pdva_vec2 b)
{
    return a.x * b.y - a.y * b.x;
}
/* Rotate a direction by 90 degrees (x right, y down: this turns "right" into "down"). */
static inline pdva_vec2 pdva_v2_perp(pdva_vec2 a)
{
    return pdva_v2(-a.y, a.x);
}
double pdva_v2_norm(pdva_vec2 a);
double pdva_v2_dist(pdva_vec2 a, pdva_vec2 b);
/* Unit vector along a; (1, 0) for a zero vector. */
pdva_vec2 pdva_v2_unit(pdva_vec2 a);
pdva_vec2 pdva_v2_lerp(pdva_vec2 a, pdva_vec2 b, double t);

/* Distance from p to segment [a, b]; *t_out (optional) receives the parameter in [0, 1]. */
double pdva_segment_distance(pdva_vec2 p, pdva_vec2 a, pdva_vec2 b, double *t_out);

/* Length of an open polyline. */
double pdva_polyline_length(const pdva_vec2 *pts, size_t n);

/* Point at arclength s along an open polyline (clamped to its ends). */
pdva_vec2 pdva_polyline_point_at(const pdva_vec2 *pts, size_t n, double s);

/* Closest point of a polyline to p: returns the distance, *s_out the arclength there. */
double pdva_polyline_project(const pdva_vec2 *pts, size_t n, pdva_vec2 p, double *s_out);

/* Centripetal Catmull-Rom spline through `n_ctrl` control points, resampled every `step` along
 * its length (first and last control points included). Writes at most `max_out` points into out
 * and returns how many it wrote; 0 when max_out is too small or the input is degenerate. */
size_t pdva_spline_resample(const pdva_vec2 *ctrl, size_t n_ctrl, double step, pdva_vec2 *out,
                            size_t max_out);

/* Signed area of a polygon (positive when counter-clockwise in x-right/y-up axes). */
double pdva_polygon_signed_area(const pdva_vec2 *poly, size_t n);

/* Even-odd rule point-in-polygon. */
int pdva_polygon_contains(const pdva_vec2 *poly, size_t n, pdva_vec2 p);

/* Clip polygon `subject` (any simple polygon) by the CONVEX polygon `clip` (Sutherland-Hodgman).
 * Writes into out (capacity max_out) and returns the vertex count (0 when empty or max_out is too
 * small). */
size_t pdva_polygon_clip_convex(const pdva_vec2 *subject, size_t n_subject, const pdva_vec2 *clip,
                                size_t n_clip, pdva_vec2 *out, size_t max_out);

/* Centroid of a polygon (area-weighted); the vertex mean for degenerate polygons. */
pdva_vec2 pdva_polygon_centroid(const pdva_vec2 *poly, size_t n);

#endif /* PDVA_CORE_GEOM_H */
