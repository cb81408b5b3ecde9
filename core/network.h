/* network.h — the vessel network of a series as measured segments: every graph edge resampled
 * along its length, with at each point the lumen diameter (cylinder profile fit on the
 * area-under-curve image) and the time-density curve (arrival, peak, mean transit time from the
 * gamma-variate fit), and the edges oriented with the flow (arrival time growing).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_NETWORK_H
#define PDVA_CORE_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/dsa.h"
#include "core/image.h"
#include "core/qca.h"
#include "core/result.h"
#include "core/vessel_graph.h"

typedef struct pdva_seg_point {
    pdva_vec2 p;
    pdva_vec2 tangent;     /* unit, along the segment (downstream once oriented) */
    double s_px;           /* arclength from the segment's start */
    double r_px;           /* lumen radius (NAN when not measured) */
    double r_fit_px;       /* from the profile width alone */
    double amplitude, area, cnr;
    double arrival_s, peak_s, mean_s, peak; /* NAN when nothing arrives */
    bool near_junction;    /* within a vessel radius or two of a branch point */
} pdva_seg_point;

typedef struct pdva_segment {
    int a, b;              /* graph nodes; a upstream once oriented */
    size_t n;
    pdva_seg_point *pt;    /* owned */
    double length_px;
    double median_r_px;
    double arrival_a, arrival_b; /* median arrival near each end */
    bool removed;
    /* labelling */
    pdva_vessel_kind kind;
    char role[40];
    int parent;            /* segment it leaves, -1 */
    int result_index;      /* index in the series result's vessels, -1 */
} pdva_segment;

typedef struct pdva_network {
    pdva_vessel_graph graph;
    pdva_segment *seg;
    size_t n_seg;
    double step_px;
    double psf_sigma_px;
    double point_noise;    /* noise of one point's time-density sample */
} pdva_network;

typedef struct pdva_network_params {
    double step_px;        /* centerline sampling */
    double psf_sigma_px;   /* 0: estimated from the image */
    double auc_noise;      /* per-pixel noise of the AUC image */
    const double *frame_times_s;
    uint32_t frames;
    uint32_t first_contrast_frame;
    unsigned threads;      /* for the profile fits; 0: one per core */
} pdva_network_params;

/* Resample and measure every edge of `graph` (taken over by the network). `scale_px` is the
 * vesselness best scale per pixel (radius guesses). */
pdva_status pdva_network_measure(pdva_network *net, pdva_vessel_graph *graph,
                                 const pdva_image *auc, const float *scale_px,
                                 const pdva_dsa_result *dsa, const pdva_network_params *params,
                                 pdva_error **err);

/* Orient every segment so that its arrival time grows from a to b. */
void pdva_network_orient(pdva_network *net);

/* Reverse a segment in place (points, tangents, arclengths, ends). */
void pdva_segment_reverse(pdva_segment *s);

/* Segments that touch node v, written to out (capacity cap); returns the count. */
size_t pdva_network_segments_at(const pdva_network *net, int v, int *out, size_t cap);

/* A capacity for pdva_network_segments_at that no skeleton node reaches. */
#define PDVA_NETWORK_MAX_AT 16

/* A segment's median radius (px), 0 when it was not measured. */
double pdva_segment_radius(const pdva_network *net, int seg);

void pdva_network_free(pdva_network *net);

#endif /* PDVA_CORE_NETWORK_H */
