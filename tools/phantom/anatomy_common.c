/* anatomy_common.c — helpers shared by the leg and foot builders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/anatomy_common.h"

#include <math.h>

pdva_vec2 ph_jitter(phantom_rng *rng, pdva_vec2 p, double mm)
{
    return pdva_v2(p.x + phantom_rng_uniform(rng, -mm, mm),
                   p.y + phantom_rng_uniform(rng, -mm, mm));
}

void ph_add_bone(ph_run *run, pdva_vec2 a, pdva_vec2 b, double radius_mm, double cortex_mm)
{
    if (run->n_bones >= PH_MAX_BONES)
        return;
    ph_bone *bone = &run->bones[run->n_bones++];
    bone->a = a;
    bone->b = b;
    bone->radius_mm = radius_mm;
    bone->cortex_mm = cortex_mm;
}

int ph_set_outline(ph_run *run, const pdva_vec2 *ctrl, size_t n_ctrl, double step_mm)
{
    pdva_vec2 closed[128];
    if (n_ctrl + 1 > 128)
        return -1;
    for (size_t i = 0; i < n_ctrl; i++)
        closed[i] = ctrl[i];
    closed[n_ctrl] = ctrl[0];
    size_t n = pdva_spline_resample(closed, n_ctrl + 1, step_mm, run->outline, PH_MAX_OUTLINE);
    if (n < 4)
        return -1;
    /* the spline closes on its first point: drop the duplicate */
    if (pdva_v2_dist(run->outline[0], run->outline[n - 1]) < 1e-6)
        n--;
    run->n_outline = n;
    return 0;
}

void ph_start_at_top_edge(pdva_vec2 *ctrl, size_t n_ctrl, double y_edge)
{
    if (n_ctrl < 2)
        return;
    pdva_vec2 a = ctrl[0], b = ctrl[1];
    if (fabs(b.y - a.y) < 1e-9)
        return;
    double t = (y_edge - a.y) / (b.y - a.y);
    ctrl[0] = pdva_v2_lerp(a, b, t);
}

void ph_vessel_ramp_radius(ph_vessel *v, double r_a, double s1, double r_b, double s2)
{
    for (size_t i = 0; i < v->n; i++) {
        double s = (double)i * PH_DS_MM;
        double r;
        if (s <= s1)
            r = r_a;
        else if (s >= s2)
            r = r_b;
        else
            r = r_a + (r_b - r_a) * (s - s1) / (s2 - s1);
        v->r_ref[i] = v->r[i] = r;
    }
}

void ph_vessel_modulate_radius(ph_vessel *v, phantom_rng *rng, double amplitude)
{
    double phase1 = phantom_rng_uniform(rng, 0.0, 2.0 * M_PI);
    double phase2 = phantom_rng_uniform(rng, 0.0, 2.0 * M_PI);
    double wl1 = phantom_rng_uniform(rng, 60.0, 140.0), wl2 = phantom_rng_uniform(rng, 25.0, 50.0);
    for (size_t i = 0; i < v->n; i++) {
        double s = (double)i * PH_DS_MM;
        double m = 1.0 + amplitude * (0.7 * sin(2.0 * M_PI * s / wl1 + phase1) +
                                      0.3 * sin(2.0 * M_PI * s / wl2 + phase2));
        v->r_ref[i] *= m;
        v->r[i] = v->r_ref[i];
    }
}
