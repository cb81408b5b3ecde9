/* bolus.c — gamma-variate injection and gamma transit kernels (causal, mean = transit delay, so
 * the first moment of every curve is the injection's plus the path's delay: the central volume
 * principle the analyzer's flow estimate relies on).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/bolus.h"

#include <math.h>

#include "base/alloc.h"

int ph_bolus_init(ph_bolus *b, double t0_s, double alpha, double tpeak_s, double t_end_s)
{
    b->t0_s = t0_s;
    b->alpha = alpha;
    b->tpeak_s = tpeak_s;
    b->dt_s = 0.005;
    double span = t_end_s - t0_s;
    if (span < 1.0)
        span = 1.0;
    b->n = (size_t)(span / b->dt_s) + 2;
    b->g = pdva_calloc_array(b->n, sizeof(double));
    if (!b->g)
        return -1;
    for (size_t k = 0; k < b->n; k++) {
        double x = (double)k * b->dt_s / tpeak_s;
        b->g[k] = x > 0.0 ? pow(x, alpha) * exp(alpha * (1.0 - x)) : 0.0;
    }
    return 0;
}

void ph_bolus_free(ph_bolus *b)
{
    pdva_free(b->g);
    b->g = NULL;
    b->n = 0;
}

double ph_bolus_at(const ph_bolus *b, double t_s)
{
    double x = (t_s - b->t0_s) / b->dt_s;
    if (x <= 0.0)
        return 0.0;
    size_t k = (size_t)x;
    if (k + 1 >= b->n)
        return b->g[b->n - 1];
    double f = x - (double)k;
    return b->g[k] * (1.0 - f) + b->g[k + 1] * f;
}

int ph_kernel_init(ph_kernel *k, const ph_bolus *b, double mean_s, double var_s2)
{
    k->mean_s = mean_s > 0.0 ? mean_s : 0.0;
    k->var_s2 = var_s2 > 0.0 ? var_s2 : 0.0;
    k->first = 0;
    k->n = 0;
    k->w = NULL;
    double sd = sqrt(k->var_s2);
    if (sd < 2.0 * b->dt_s || k->mean_s <= 0.0)
        return 0; /* narrower than the grid: a pure delay */
    /* A gamma distribution needs shape >= 1 to be unimodal from 0; cap the spread accordingly. */
    if (sd > k->mean_s)
        sd = k->mean_s;
    double shape = (k->mean_s * k->mean_s) / (sd * sd);
    double scale = (sd * sd) / k->mean_s;
    double lo = k->mean_s - 6.0 * sd, hi = k->mean_s + 8.0 * sd;
    if (lo < 0.0)
        lo = 0.0;
    k->first = (size_t)(lo / b->dt_s);
    size_t last = (size_t)(hi / b->dt_s) + 1;
    k->n = last - k->first + 1;
    k->w = pdva_alloc_array(k->n, sizeof(double));
    if (!k->w)
        return -1;
    double norm = -lgamma(shape) - shape * log(scale);
    double sum = 0.0;
    for (size_t i = 0; i < k->n; i++) {
        double u = (double)(k->first + i) * b->dt_s;
        double w = u > 0.0 ? exp(norm + (shape - 1.0) * log(u) - u / scale) : 0.0;
        k->w[i] = w;
        sum += w;
    }
    if (!(sum > 0.0)) {
        pdva_free(k->w);
        k->w = NULL;
        k->n = 0;
        return 0;
    }
    for (size_t i = 0; i < k->n; i++)
        k->w[i] /= sum;
    return 0;
}

void ph_kernel_free(ph_kernel *k)
{
    pdva_free(k->w);
    k->w = NULL;
    k->n = 0;
}

double ph_bolus_concentration(const ph_bolus *b, const ph_kernel *k, double t_s)
{
    if (k->n == 0)
        return ph_bolus_at(b, t_s - k->mean_s);
    double acc = 0.0;
    for (size_t i = 0; i < k->n; i++) {
        double u = (double)(k->first + i) * b->dt_s;
        acc += k->w[i] * ph_bolus_at(b, t_s - u);
    }
    return acc;
}
