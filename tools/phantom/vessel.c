/* vessel.c — vessels of a run as sampled tubes: creation from control points, lesions carved
 * into the radius profile, and the bookkeeping that frees a run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "tools/phantom/scene.h"

const char *ph_vessel_kind_name(ph_vessel_kind kind)
{
    switch (kind) {
    case PH_DONOR_ARTERY: return "donor_artery";
    case PH_ARTERY: return "artery";
    case PH_ARTERIALIZED_VEIN: return "arterialized_vein";
    case PH_COLLATERAL: return "collateral";
    }
    return "unknown";
}

static void vessel_free(ph_vessel *v)
{
    pdva_free(v->p);
    pdva_free(v->r_ref);
    pdva_free(v->r);
    pdva_free(v->q_ml_min);
    pdva_free(v->tau_s);
    pdva_free(v->var_s2);
    pdva_free(v->gain);
    memset(v, 0, sizeof *v);
}

void ph_run_free(ph_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_vessels; i++)
        vessel_free(&run->vessels[i]);
    run->n_vessels = 0;
    pdva_free(run->frame_times_s);
    pdva_free(run->shift_x_mm);
    pdva_free(run->shift_y_mm);
    run->frame_times_s = run->shift_x_mm = run->shift_y_mm = NULL;
}

int ph_run_add_vessel(ph_run *run, const char *name, ph_vessel_kind kind, int parent,
                      size_t parent_sample, const pdva_vec2 *ctrl, size_t n_ctrl, double r_start,
                      double r_end)
{
    if (run->n_vessels >= PH_MAX_VESSELS || n_ctrl < 2)
        return -1;
    double approx = 0.0;
    for (size_t i = 1; i < n_ctrl; i++)
        approx += pdva_v2_dist(ctrl[i - 1], ctrl[i]);
    /* a spline through the control points is at most a little longer than the polygon */
    size_t cap = (size_t)(approx * 1.6 / PH_DS_MM) + 16;
    pdva_vec2 *pts = pdva_alloc_array(cap, sizeof *pts);
    if (!pts)
        return -1;
    size_t n = pdva_spline_resample(ctrl, n_ctrl, PH_DS_MM, pts, cap);
    if (n < 2) {
        pdva_free(pts);
        return -1;
    }
    ph_vessel *v = &run->vessels[run->n_vessels];
    memset(v, 0, sizeof *v);
    v->p = pts;
    v->n = n;
    v->r_ref = pdva_calloc_array(n, sizeof(double));
    v->r = pdva_calloc_array(n, sizeof(double));
    v->q_ml_min = pdva_calloc_array(n, sizeof(double));
    v->tau_s = pdva_calloc_array(n, sizeof(double));
    v->var_s2 = pdva_calloc_array(n, sizeof(double));
    v->gain = pdva_calloc_array(n, sizeof(double));
    if (!v->r_ref || !v->r || !v->q_ml_min || !v->tau_s || !v->var_s2 || !v->gain) {
        vessel_free(v);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double t = n > 1 ? (double)i / (double)(n - 1) : 0.0;
        v->r_ref[i] = v->r[i] = r_start + (r_end - r_start) * t;
        v->gain[i] = 1.0;
    }
    snprintf(v->name, sizeof v->name, "%s", name);
    v->kind = kind;
    v->parent = parent;
    v->parent_sample = parent_sample;
    v->flow_fraction = 1.0;
    v->drains_to = PH_DRAIN_NONE;
    v->visible = true;
    return (int)run->n_vessels++;
}

size_t ph_vessel_sample_at(const ph_vessel *v, double s_mm)
{
    if (v->n == 0 || s_mm <= 0.0)
        return 0;
    double idx = s_mm / PH_DS_MM;
    if (idx >= (double)(v->n - 1))
        return v->n - 1;
    return (size_t)lround(idx);
}

pdva_vec2 ph_mm_to_px(const ph_run *run, pdva_vec2 mm)
{
    return pdva_v2(mm.x / run->spacing_mm, mm.y / run->spacing_mm);
}

int ph_run_find_vessel(const ph_run *run, const char *name)
{
    for (size_t i = 0; i < run->n_vessels; i++)
        if (strcmp(run->vessels[i].name, name) == 0)
            return (int)i;
    return -1;
}
