/* anatomy_common.h — small helpers shared by the leg and foot builders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_ANATOMY_COMMON_H
#define PDVA_PHANTOM_ANATOMY_COMMON_H

#include "tools/phantom/scene.h"

/* A point moved by a random offset of up to `mm` in each direction. */
pdva_vec2 ph_jitter(phantom_rng *rng, pdva_vec2 p, double mm);

/* Add a capsule bone (axis a-b, radius, cortex) to the run. */
void ph_add_bone(ph_run *run, pdva_vec2 a, pdva_vec2 b, double radius_mm, double cortex_mm);

/* Resample a closed control polygon into run->outline with a smooth spline. */
int ph_set_outline(ph_run *run, const pdva_vec2 *ctrl, size_t n_ctrl, double step_mm);

/* Move the first control point onto the line y = y_edge along the first segment, so a vessel that
 * enters the field starts exactly at the image edge. */
void ph_start_at_top_edge(pdva_vec2 *ctrl, size_t n_ctrl, double y_edge);

/* Replace a vessel's reference radius by a profile: constant r_a up to s1, a linear ramp to r_b
 * until s2, then r_b (mm). */
void ph_vessel_ramp_radius(ph_vessel *v, double r_a, double s1, double r_b, double s2);

/* Gentle calibre variation (+-amplitude, relative) along a vessel, smooth over ~30 mm. */
void ph_vessel_modulate_radius(ph_vessel *v, phantom_rng *rng, double amplitude);

#endif /* PDVA_PHANTOM_ANATOMY_COMMON_H */
