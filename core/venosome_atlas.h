/* venosome_atlas.h — the six venosomes of the foot and ankle on a lateral projection, as an atlas
 * in foot-normalized coordinates, and the flexor-retinaculum zone.
 *
 * The foot frame: origin at the back of the heel on the sole line, u along the sole toward the
 * toes, v perpendicular toward the dorsum, both in units of the foot length (heel to tip of the
 * longest toe). The atlas cells partition the strip 0 <= v <= PDVA_ATLAS_TOP_V; mapped to the
 * image and clipped by the foot outline they give the venosome polygons. The sample-study
 * generator builds its anatomy on the same atlas; the analyzer fits the frame to the foot it sees.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_VENOSOME_ATLAS_H
#define PDVA_CORE_VENOSOME_ATLAS_H

#include <stddef.h>

#include "core/geom.h"

typedef enum pdva_venosome {
    PDVA_VENOSOME_DORSALIS_PEDIS = 0,
    PDVA_VENOSOME_MEDIAL_PLANTAR = 1,
    PDVA_VENOSOME_LATERAL_PLANTAR = 2,
    PDVA_VENOSOME_MEDIAL_CALCANEAL = 3,
    PDVA_VENOSOME_LATERAL_CALCANEAL = 4,
    PDVA_VENOSOME_ANTERIOR_PERFORATING = 5,
    PDVA_VENOSOME_COUNT = 6
} pdva_venosome;

/* Height (in foot lengths above the sole) up to which the atlas partitions the foot. */
#define PDVA_ATLAS_TOP_V 0.55

/* The report identifier ("dorsalis_pedis", ...). NULL for an invalid value. */
const char *pdva_venosome_id(pdva_venosome v);
/* Parse a report identifier; returns 0 and sets *out on success, -1 when unknown. */
int pdva_venosome_from_id(const char *id, pdva_venosome *out);

typedef struct pdva_foot_frame {
    pdva_vec2 heel;   /* back of the heel on the sole line, image coordinates */
    pdva_vec2 axis_u; /* unit vector heel -> toes */
    pdva_vec2 axis_v; /* unit vector sole -> dorsum (perpendicular to axis_u) */
    double length;    /* foot length, in the units of `heel` */
} pdva_foot_frame;

pdva_vec2 pdva_foot_to_image(const pdva_foot_frame *frame, double u, double v);
void pdva_foot_from_image(const pdva_foot_frame *frame, pdva_vec2 p, double *u, double *v);

/* The atlas cell of venosome v in (u, v) foot coordinates: a convex polygon of 4 or 5 points.
 * Returns the number of points written to out (capacity 8), 0 for an invalid v. */
size_t pdva_venosome_atlas_cell(pdva_venosome v, pdva_vec2 *out);

/* Venosome v's polygon in image coordinates: its atlas cell through `frame`, clipped by the foot
 * outline (image coordinates). Returns the vertex count written to out (0 when empty). */
size_t pdva_venosome_polygon(const pdva_foot_frame *frame, pdva_venosome v,
                             const pdva_vec2 *outline, size_t n_outline, pdva_vec2 *out,
                             size_t max_out);

/* Which venosome's atlas cell holds foot coordinates (u, v); -1 outside the atlas strip. */
int pdva_venosome_at(double u, double v);

/* The zone where the conduit runs under the flexor retinaculum, from the medial malleolus to the
 * calcaneus, as 4 image points. */
void pdva_retinaculum_zone(const pdva_foot_frame *frame, pdva_vec2 out[4]);

/* Whether an image point lies in the retinaculum zone. */
int pdva_in_retinaculum_zone(const pdva_foot_frame *frame, pdva_vec2 p);

#endif /* PDVA_CORE_VENOSOME_ATLAS_H */
