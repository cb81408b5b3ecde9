/* maps.h — parametric maps of the contrast transit: for every pixel (at half resolution, from
 * the subtraction's time cube) the arrival time, time to peak, peak height, area under the curve
 * and mean transit time of its time-density curve, NAN where nothing arrives.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_MAPS_H
#define PDVA_CORE_MAPS_H

#include "core/dsa.h"
#include "core/image.h"

typedef enum pdva_map_kind {
    PDVA_MAP_ARRIVAL = 0,
    PDVA_MAP_TIME_TO_PEAK = 1,
    PDVA_MAP_PEAK = 2,
    PDVA_MAP_AUC = 3,
    PDVA_MAP_MTT = 4,
    PDVA_MAP_COUNT = 5
} pdva_map_kind;

/* Report-style name of a map ("arrival_time_s", "time_to_peak_s", "peak_height", "auc",
 * "mean_transit_time_s"). */
const char *pdva_map_name(pdva_map_kind kind);

typedef struct pdva_maps {
    pdva_image map[PDVA_MAP_COUNT]; /* half resolution; owned */
} pdva_maps;

/* Compute the maps, rows shared out between up to `threads` threads (0: one per core); a
 * pixel's curve must peak above `sigmas` times its noise to count. */
pdva_status pdva_maps_compute(const pdva_dsa_result *dsa, const double *frame_times_s,
                              uint32_t frames, double sigmas, unsigned threads, pdva_maps *out,
                              pdva_error **err);
void pdva_maps_free(pdva_maps *maps);

#endif /* PDVA_CORE_MAPS_H */
