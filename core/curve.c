/* curve.c — time-density curve parameters (see curve.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/curve.h"

#include <string.h>

double pdva_curve_crossing(const double *t, const double *c, size_t n, size_t from, double level)
{
    for (size_t i = from; i < n; i++) {
        if (c[i] >= level) {
            if (i == 0)
                return t[0];
            double c0 = c[i - 1], c1 = c[i];
            if (c1 <= c0)
                return t[i];
            double f = (level - c0) / (c1 - c0);
            if (f < 0.0)
                f = 0.0;
            return t[i - 1] + f * (t[i] - t[i - 1]);
        }
    }
    return -1.0;
}

void pdva_curve_compute(const double *t, const double *c, size_t n, double min_peak,
                        pdva_curve_params *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return;
    size_t ip = 0;
    for (size_t i = 1; i < n; i++)
        if (c[i] > c[ip])
            ip = i;
    if (!(c[ip] > min_peak))
        return;
    out->peak_index = ip;
    out->peak_height = c[ip];
    out->peak_time_s = t[ip];
    /* arrival: the crossing on the rising limb, just before the peak */
    size_t from = ip;
    double level = PDVA_ARRIVAL_FRACTION * c[ip];
    while (from > 0 && c[from - 1] >= level)
        from--;
    out->arrival_time_s = pdva_curve_crossing(t, c, n, from, level);
    double area = 0.0, moment = 0.0;
    for (size_t i = 1; i < n; i++) {
        double dt = t[i] - t[i - 1];
        double a = c[i - 1] > 0.0 ? c[i - 1] : 0.0, b = c[i] > 0.0 ? c[i] : 0.0;
        area += 0.5 * (a + b) * dt;
        moment += 0.5 * (a * t[i - 1] + b * t[i]) * dt;
    }
    out->auc = area;
    out->mean_transit_time_s = area > 0.0 ? moment / area - out->arrival_time_s : 0.0;
    if (out->mean_transit_time_s < 0.0)
        out->mean_transit_time_s = 0.0;
    out->valid = true;
}
