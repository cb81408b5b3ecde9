/* body.h — the body in the mask frame: its silhouette against the air, its outline as a polygon,
 * which run it is (a leg seen front to back, or a foot seen from the side), and for a foot the
 * frame of the venosome atlas (heel, sole direction, length) fitted to the silhouette.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_BODY_H
#define PDVA_CORE_BODY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/image.h"
#include "core/result.h"
#include "core/venosome_atlas.h"

typedef struct pdva_body {
    uint32_t rows, cols;
    uint8_t *mask;           /* 1 inside the body; owned */
    pdva_vec2 *outline;      /* simplified outer contour, image points; owned */
    size_t n_outline;
    double fraction;         /* of the image covered */
} pdva_body;

/* Segment the body from the mask image (log intensity: air is the brightest). */
pdva_status pdva_body_segment(const pdva_image *mask_log, pdva_body *body, pdva_error **err);
void pdva_body_free(pdva_body *body);

/* Leg or foot, from the silhouette; `body_part` (Body Part Examined, may be NULL or "") breaks
 * ties. */
pdva_run_kind pdva_body_classify(const pdva_body *body, const char *body_part);

/* Fit the atlas frame to a foot silhouette. Returns false when the silhouette does not look like
 * a foot seen from the side. */
bool pdva_body_foot_frame(const pdva_body *body, pdva_foot_frame *frame);

#endif /* PDVA_CORE_BODY_H */
