/* tdc.h — time-density curves: a gamma-variate fit (the classic model of a bolus passage), whose
 * first moment estimates the mean transit time from injection to the point even when the run
 * ends before the curve does and the noise is high.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_TDC_H
#define PDVA_CORE_TDC_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pdva_gamma_fit {
    bool ok;
    double t0_s;        /* appearance */
    double tmax_s;      /* peak of the fitted curve */
    double alpha;       /* shape */
    double ymax;        /* peak height */
    double mean_s;      /* first moment of the fitted curve: t0 + (alpha + 1) * beta */
    double rms;         /* residual over the fitted samples */
} pdva_gamma_fit;

/* Fit y(t) = ymax * (x^alpha) * exp(alpha * (1 - x)), x = (t - t0)/(tmax - t0), on the samples
 * from the rise above 10 % of the peak to the fall below 35 % after it (recirculation and the
 * late tail are left out). */
void pdva_gamma_variate_fit(const double *t, const double *y, size_t n, pdva_gamma_fit *out);

/* Value of a fitted gamma variate at time t. */
double pdva_gamma_variate_eval(const pdva_gamma_fit *g, double t);

#endif /* PDVA_CORE_TDC_H */
