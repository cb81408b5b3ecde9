/* conc.c — tabulating concentrations: vessel samples through their transit kernels, venosome
 * blushes as a flow-weighted mix of the veins that drain into them, passed through the tissue's
 * residue function (a well-mixed compartment with the venosome's mean transit time).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/conc.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"

void ph_conc_free(ph_conc *conc)
{
    for (size_t v = 0; v < PH_MAX_VESSELS; v++) {
        pdva_free(conc->vessel[v]);
        conc->vessel[v] = NULL;
    }
    for (size_t i = 0; i < PDVA_VENOSOME_COUNT; i++) {
        pdva_free(conc->blush[i]);
        conc->blush[i] = NULL;
    }
    ph_bolus_free(&conc->bolus);
}

double ph_conc_vessel_at_time(const ph_run *run, const ph_conc *conc, int v, size_t sample,
                              double t_s)
{
    const ph_vessel *ves = &run->vessels[v];
    if (ves->gain[sample] <= 0.0)
        return 0.0;
    ph_kernel k;
    if (ph_kernel_init(&k, &conc->bolus, ves->tau_s[sample], ves->var_s2[sample]) != 0)
        return 0.0;
    double c = ph_bolus_concentration(&conc->bolus, &k, t_s);
    ph_kernel_free(&k);
    return run->peak_iodine_mg_ml * ves->gain[sample] * c;
}

static int build_vessel_table(const ph_run *run, ph_conc *conc, size_t vi)
{
    const ph_vessel *v = &run->vessels[vi];
    size_t n_grid = (v->n - 1) / PH_CONC_STRIDE + 2;
    conc->n_grid[vi] = n_grid;
    conc->vessel[vi] = pdva_calloc_array(n_grid * run->frames, sizeof(double));
    if (!conc->vessel[vi])
        return -1;
    for (size_t g = 0; g < n_grid; g++) {
        size_t i = g * PH_CONC_STRIDE;
        if (i >= v->n)
            i = v->n - 1;
        if (v->gain[i] <= 0.0)
            continue;
        ph_kernel k;
        if (ph_kernel_init(&k, &conc->bolus, v->tau_s[i], v->var_s2[i]) != 0)
            return -1;
        for (uint32_t f = 0; f < run->frames; f++)
            conc->vessel[vi][g * run->frames + f] =
                run->peak_iodine_mg_ml * v->gain[i] *
                ph_bolus_concentration(&conc->bolus, &k, run->frame_times_s[f]);
        ph_kernel_free(&k);
    }
    return 0;
}

/* The blush of venosome `vs`: inflow mixed by flow from every vessel that drains into it. */
static int build_blush(const ph_run *run, ph_conc *conc, int vs)
{
    const ph_bolus *b = &conc->bolus;
    double *inflow = pdva_calloc_array(b->n, sizeof(double));
    conc->blush[vs] = pdva_calloc_array(run->frames, sizeof(double));
    if (!inflow || !conc->blush[vs]) {
        pdva_free(inflow);
        return -1;
    }
    double w_total = 0.0, w_nominal = 0.0;
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        const ph_vessel *v = &run->vessels[vi];
        if (v->drains_to != vs)
            continue;
        size_t last = v->n - 1;
        double q = v->q_ml_min[last];
        w_nominal += q;
        if (v->gain[last] <= 0.0 || q <= 0.0)
            continue;
        w_total += q;
        ph_kernel k;
        if (ph_kernel_init(&k, b, v->tau_s[last], v->var_s2[last]) != 0) {
            pdva_free(inflow);
            return -1;
        }
        for (size_t g = 0; g < b->n; g++) {
            double t = b->t0_s + (double)g * b->dt_s;
            inflow[g] += q * v->gain[last] * ph_bolus_concentration(b, &k, t);
        }
        ph_kernel_free(&k);
    }
    conc->blush_amplitude[vs] = w_nominal > 0.0 ? w_total / w_nominal : 0.0;
    if (w_total > 0.0) {
        /* residue function of a well-mixed compartment: exponential with the venosome MTT */
        double mtt = run->venosomes[vs].mtt_s;
        double a = exp(-b->dt_s / mtt);
        double y = 0.0;
        for (size_t g = 0; g < b->n; g++) {
            y = a * y + (1.0 - a) * inflow[g] / w_total;
            inflow[g] = y;
        }
        double bv = run->venosomes[vs].blood_volume * conc->blush_amplitude[vs];
        for (uint32_t f = 0; f < run->frames; f++) {
            double x = (run->frame_times_s[f] - b->t0_s) / b->dt_s;
            double c = 0.0;
            if (x > 0.0) {
                size_t g = (size_t)x;
                c = g + 1 < b->n ? inflow[g] + (inflow[g + 1] - inflow[g]) * (x - (double)g)
                                 : inflow[b->n - 1];
            }
            conc->blush[vs][f] = run->peak_iodine_mg_ml * bv * c;
        }
    }
    pdva_free(inflow);
    return 0;
}

int ph_conc_build(const ph_run *run, ph_conc *conc)
{
    memset(conc, 0, sizeof *conc);
    conc->frames = run->frames;
    double t_end = run->frame_times_s[run->frames - 1] + 1.0;
    if (ph_bolus_init(&conc->bolus, run->inflow_t0_s, run->bolus_alpha, run->bolus_tpeak_s,
                      t_end) != 0)
        return -1;
    for (size_t vi = 0; vi < run->n_vessels; vi++)
        if (build_vessel_table(run, conc, vi) != 0) {
            ph_conc_free(conc);
            return -1;
        }
    if (run->has_foot)
        for (int vs = 0; vs < PDVA_VENOSOME_COUNT; vs++)
            if (build_blush(run, conc, vs) != 0) {
                ph_conc_free(conc);
                return -1;
            }
    return 0;
}

double ph_conc_vessel(const ph_conc *conc, int v, double sample, uint32_t f)
{
    const double *t = conc->vessel[v];
    double x = sample / PH_CONC_STRIDE;
    if (x < 0.0)
        x = 0.0;
    size_t g = (size_t)x;
    if (g + 1 >= conc->n_grid[v])
        return t[(conc->n_grid[v] - 1) * conc->frames + f];
    double fr = x - (double)g;
    return t[g * conc->frames + f] * (1.0 - fr) + t[(g + 1) * conc->frames + f] * fr;
}
