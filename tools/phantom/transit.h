/* transit.h — pathology carved into the vessels, flow split at branches, and contrast transit
 * (mean delay and dispersion) along every centerline sample of a run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_TRANSIT_H
#define PDVA_PHANTOM_TRANSIT_H

#include "tools/phantom/scene.h"

/* Narrow each vessel's radius at its stenoses and valves (with the valve's upstream bulge). */
void ph_apply_lesion_geometry(ph_run *run);

/* Flow at every sample: the root takes run->flow_in_ml_min, each child its flow_fraction of the
 * parent's flow where it branches, and the parent carries the rest on. Vessels must be stored
 * parents first. */
void ph_compute_flows(ph_run *run);

/* Mean delay, variance and concentration gain at every sample: delay += ds / velocity with
 * velocity = flow / lumen area, variance += 2 k r ds / velocity^2 (mechanical dispersion growing
 * with distance), a valve adds its hold-up, an occlusion stops the contrast (or lets it in late,
 * weaker, through collaterals). */
void ph_compute_transit(ph_run *run);

/* Lesion profile helpers, shared with the truth: the cos^2 window of a narrowing at x (in units
 * of the lesion window, centred at 0), 0 outside [-0.5, 0.5]. */
double ph_lesion_window(double x);

/* The full window of a stenosis whose half-reduction length (the truth's lesion length) is L. */
#define PH_STENOSIS_WINDOW_PER_LENGTH 2.0
/* Valve: the narrowing window and the upstream bulge. */
#define PH_VALVE_WINDOW_MM 4.0
#define PH_VALVE_BULGE_WINDOW_MM 8.0
#define PH_VALVE_BULGE_OFFSET_MM 5.5

#endif /* PDVA_PHANTOM_TRANSIT_H */
