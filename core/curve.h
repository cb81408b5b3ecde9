/* curve.h — parameters of a time-density curve, with the report's conventions: arrival at the
 * first crossing of 20 % of the peak (interpolated between frames), peak time at the highest
 * sample, area under the curve by trapezoids, mean transit time = first moment - arrival.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_CURVE_H
#define PDVA_CORE_CURVE_H

#include <stdbool.h>
#include <stddef.h>

/* Fraction of the peak that defines arrival. */
#define PDVA_ARRIVAL_FRACTION 0.2

typedef struct pdva_curve_params {
    bool valid;               /* false when the curve never rises above `min_peak` */
    double arrival_time_s;
    double peak_time_s;
    double peak_height;
    double auc;               /* integral of the curve over time (curve units x s) */
    double mean_transit_time_s;
    size_t peak_index;
} pdva_curve_params;

/* Parameters of curve c (n samples at times t, seconds from the first frame), baseline already
 * removed. A curve whose peak is below min_peak is not valid (nothing arrived). */
void pdva_curve_compute(const double *t, const double *c, size_t n, double min_peak,
                        pdva_curve_params *out);

/* The first time c crosses `level` (interpolated), searching from index `from`; -1 if never. */
double pdva_curve_crossing(const double *t, const double *c, size_t n, size_t from, double level);

#endif /* PDVA_CORE_CURVE_H */
