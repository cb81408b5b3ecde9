/* path.h — walks through the vessel network: a sequence of segments traversed end to end,
 * flattened into one profile (arclength, diameter, arrival and mean transit time) on which the
 * stenosis, valve and flow measures run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_PATH_H
#define PDVA_CORE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/network.h"

#define PDVA_PATH_MAX_SEGMENTS 96

typedef struct pdva_path_point {
    int seg;
    size_t idx;
    pdva_vec2 p;
    double s_mm;          /* arclength along the path (mm, or nominal mm when unknown) */
    double d;             /* diameter, mm (nominal mm when the spacing is unknown); NAN */
    double arrival_s, mean_s, peak;
    double cnr;           /* contrast to noise of the lumen's profile */
    bool near_junction;
} pdva_path_point;

typedef struct pdva_path {
    int segs[PDVA_PATH_MAX_SEGMENTS];
    bool reversed[PDVA_PATH_MAX_SEGMENTS];
    int nodes[PDVA_PATH_MAX_SEGMENTS + 1]; /* node at the start of each segment, then the end */
    size_t n_segs;
    size_t first_pt[PDVA_PATH_MAX_SEGMENTS]; /* by pdva_path_flatten: each segment's first point
                                                in pt, n when it added none */
    pdva_path_point *pt;  /* owned */
    size_t n;
} pdva_path;

/* Append segment `seg` entered from node `from` (its other end becomes the path's end). */
bool pdva_path_push(pdva_path *path, const pdva_network *net, int seg, int from);

/* Flatten the segments into points; `mm_per_px` converts lengths. */
pdva_status pdva_path_flatten(pdva_path *path, const pdva_network *net, double mm_per_px,
                              pdva_error **err);

void pdva_path_free(pdva_path *path);

/* The node at the end of the path. */
int pdva_path_end_node(const pdva_path *path);

/* Arclength of the path at the start of segment k (after pdva_path_flatten). */
double pdva_path_s_at_segment(const pdva_path *path, size_t k);

/* Index of the path point nearest to arclength s. */
size_t pdva_path_index_at(const pdva_path *path, double s_mm);

/* Median of a field over [s0, s1] (finite values, junction points left out); NAN if none. */
double pdva_path_median_d(const pdva_path *path, double s0, double s1);
double pdva_path_median_arrival(const pdva_path *path, double s0, double s1);
/* The same with junction points counted: for a window that lies wholly in a merge zone, whose
 * curves mix in the branch's. */
double pdva_path_median_arrival_all(const pdva_path *path, double s0, double s1);

/* Quantile q (0..1, interpolated) of the diameters over [s0, s1] (finite values, junction points
 * left out); NAN if none. */
double pdva_path_quantile_d(const pdva_path *path, double s0, double s1, double q);

/* Velocity (mm/s) of the bolus front: the slope of the arrival time over arclength between s0
 * and s1, by a robust line fit; NAN when fewer than `min_points` usable points or a non-positive slope.
 * *used (optional) gets the number of points kept. */
double pdva_path_velocity(const pdva_path *path, double s0, double s1, size_t min_points,
                          size_t *used);

#endif /* PDVA_CORE_PATH_H */
