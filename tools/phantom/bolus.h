/* bolus.h — contrast concentration over time: a gamma-variate injection seen through transit
 * kernels (gamma distributions with the mean delay and variance accumulated along the vessels).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_BOLUS_H
#define PDVA_PHANTOM_BOLUS_H

#include <stddef.h>

/* The injection as it enters the run's inflow reference, sampled on a fine time grid. */
typedef struct ph_bolus {
    double t0_s;      /* start of the injection curve */
    double alpha;     /* gamma-variate shape */
    double tpeak_s;   /* time from t0 to the peak */
    double dt_s;      /* grid step */
    size_t n;         /* grid length */
    double *g;        /* g[k] = normalized concentration at t0 + k*dt (peak 1) */
} ph_bolus;

/* Sample the gamma variate up to t_end_s. Returns 0, or -1 on allocation failure. */
int ph_bolus_init(ph_bolus *b, double t0_s, double alpha, double tpeak_s, double t_end_s);
void ph_bolus_free(ph_bolus *b);

/* A transit kernel (gamma distribution of delays) with its weights on the bolus grid. */
typedef struct ph_kernel {
    double mean_s, var_s2;
    size_t first;     /* grid index of the first weight */
    size_t n;         /* number of weights (0: pure shift by mean_s) */
    double *w;
} ph_kernel;

/* Build the kernel of mean delay mean_s and variance var_s2. Returns 0 or -1 (memory). */
int ph_kernel_init(ph_kernel *k, const ph_bolus *b, double mean_s, double var_s2);
void ph_kernel_free(ph_kernel *k);

/* Normalized concentration (peak of the injection = 1) at time t_s after the kernel. */
double ph_bolus_concentration(const ph_bolus *b, const ph_kernel *k, double t_s);

/* The injection itself at time t_s (linear interpolation on the grid). */
double ph_bolus_at(const ph_bolus *b, double t_s);

#endif /* PDVA_PHANTOM_BOLUS_H */
