/* transit.c — lesion geometry, flow bookkeeping and contrast transit along the vessels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/transit.h"

#include <math.h>

/* ml/min to mm^3/s */
#define ML_MIN_TO_MM3_S (1000.0 / 60.0)

double ph_lesion_window(double x)
{
    if (x <= -0.5 || x >= 0.5)
        return 0.0;
    double c = cos(M_PI * x);
    return c * c;
}

void ph_apply_lesion_geometry(ph_run *run)
{
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        ph_vessel *v = &run->vessels[vi];
        for (size_t i = 0; i < v->n; i++) {
            double s = (double)i * PH_DS_MM;
            double factor = 1.0;
            for (size_t li = 0; li < run->n_lesions; li++) {
                const ph_lesion *l = &run->lesions[li];
                if (l->vessel != (int)vi)
                    continue;
                if (l->type == PH_LESION_STENOSIS) {
                    double window = l->length_mm * PH_STENOSIS_WINDOW_PER_LENGTH;
                    factor *= 1.0 - l->severity * ph_lesion_window((s - l->s_mm) / window);
                } else if (l->type == PH_LESION_VALVE) {
                    double narrow = ph_lesion_window((s - l->s_mm) / PH_VALVE_WINDOW_MM);
                    double bulge = ph_lesion_window(
                        (s - (l->s_mm - PH_VALVE_BULGE_OFFSET_MM)) / PH_VALVE_BULGE_WINDOW_MM);
                    factor *= (1.0 - l->severity * narrow) * (1.0 + 0.28 * bulge);
                }
            }
            v->r[i] = v->r_ref[i] * factor;
        }
    }
}

void ph_compute_flows(ph_run *run)
{
    double start_q[PH_MAX_VESSELS] = {0};
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        ph_vessel *v = &run->vessels[vi];
        double remaining = v->parent < 0 ? run->flow_in_ml_min : start_q[vi];
        for (size_t i = 0; i < v->n; i++)
            v->q_ml_min[i] = remaining;
        /* children in order of their branch point along this vessel (ties: creation order);
         * each takes its fraction of what is left there, the parent carries the rest on. The
         * segment into the branch sample still carries the child's share. */
        int done[PH_MAX_VESSELS] = {0};
        for (;;) {
            int next = -1;
            for (size_t ci = vi + 1; ci < run->n_vessels; ci++) {
                const ph_vessel *c = &run->vessels[ci];
                if (c->parent != (int)vi || done[ci])
                    continue;
                if (next < 0 || c->parent_sample < run->vessels[next].parent_sample)
                    next = (int)ci;
            }
            if (next < 0)
                break;
            done[next] = 1;
            const ph_vessel *c = &run->vessels[next];
            size_t k = c->parent_sample < v->n ? c->parent_sample : v->n - 1;
            double qc = c->flow_fraction * remaining;
            start_q[next] = qc;
            remaining -= qc;
            if (remaining < 0.0)
                remaining = 0.0;
            for (size_t i = k + 1; i < v->n; i++)
                v->q_ml_min[i] = remaining;
        }
    }
}

void ph_compute_transit(ph_run *run)
{
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        ph_vessel *v = &run->vessels[vi];
        double tau = run->inflow_pre_delay_s, var = run->inflow_var_s2, gain = 1.0;
        double flow_scale = 1.0;
        if (v->parent >= 0) {
            const ph_vessel *p = &run->vessels[v->parent];
            size_t k = v->parent_sample < p->n ? v->parent_sample : p->n - 1;
            tau = p->tau_s[k];
            var = p->var_s2[k];
            gain = p->gain[k];
            /* a child of a late-filled segment fills late too, at the reduced flow */
            flow_scale = gain < 1.0 && gain > 0.0 ? gain : 1.0;
        }
        v->tau_s[0] = tau;
        v->var_s2[0] = var;
        v->gain[0] = gain;
        for (size_t i = 1; i < v->n; i++) {
            double s = (double)i * PH_DS_MM;
            double r = v->r[i];
            double area = M_PI * r * r;
            double q = v->q_ml_min[i] * ML_MIN_TO_MM3_S * flow_scale;
            if (q < 1.0)
                q = 1.0; /* a near-dead end: very slow, never infinite */
            double vel = q / area;
            tau += PH_DS_MM / vel;
            var += 2.0 * run->dispersion_k * r * PH_DS_MM / (vel * vel);
            for (size_t li = 0; li < run->n_lesions; li++) {
                const ph_lesion *l = &run->lesions[li];
                if (l->vessel != (int)vi)
                    continue;
                double prev_s = s - PH_DS_MM;
                if (l->type == PH_LESION_VALVE && prev_s < l->s_mm && s >= l->s_mm) {
                    tau += l->delay_s;
                    var += (0.3 * l->delay_s) * (0.3 * l->delay_s);
                } else if (l->type == PH_LESION_OCCLUSION) {
                    if (s >= l->s_mm && s < l->s_mm + l->length_mm) {
                        gain = 0.0;
                    } else if (prev_s < l->s_mm + l->length_mm && s >= l->s_mm + l->length_mm) {
                        if (l->distal_via_collaterals) {
                            gain = l->late_gain;
                            tau += l->late_delay_s;
                            var += (0.4 * l->late_delay_s) * (0.4 * l->late_delay_s);
                            flow_scale = l->late_gain;
                        } else {
                            gain = 0.0;
                        }
                    }
                }
            }
            v->tau_s[i] = tau;
            v->var_s2[i] = var;
            v->gain[i] = gain;
        }
    }
}
