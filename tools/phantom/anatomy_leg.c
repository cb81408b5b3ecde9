/* anatomy_leg.c — a leg run, antero-posterior view from the knee down the calf: femoral condyles,
 * patella, tibia and fibula; the popliteal artery entering from the top edge, the anterior tibial
 * artery (occluded after a short course, as in no-option CLTI), the tibio-peroneal trunk and its
 * branches; the donor artery (the trunk, the proximal peroneal or the proximal posterior tibial)
 * ending at the AV connection, where a covered stent crosses into the accompanying deep vein; and
 * the stented conduit down to the bottom edge.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "tools/phantom/anatomy.h"
#include "tools/phantom/anatomy_common.h"

/* Leg width (mm) at depth y below the top edge: knee, calf bulge, lower calf. */
static double leg_width(double y, double knee_y, double w_knee, double w_calf, double w_low,
                        double h)
{
    double calf_y = knee_y + 0.35 * (h - knee_y);
    if (y <= knee_y)
        return w_knee;
    if (y <= calf_y)
        return w_knee + (w_calf - w_knee) * (y - knee_y) / (calf_y - knee_y);
    return w_calf + (w_low - w_calf) * (y - calf_y) / fmax(1.0, h - calf_y);
}

/* A thin artery from point a heading along `dir` for `length` mm, bending gently. */
static int add_artery(ph_run *run, phantom_rng *rng, const char *name, ph_vessel_kind kind,
                      int parent, size_t parent_sample, pdva_vec2 a, pdva_vec2 dir, double length,
                      double d0, double d1, double fraction)
{
    pdva_vec2 ctrl[5];
    ctrl[0] = a;
    pdva_vec2 side = pdva_v2_perp(dir);
    for (int i = 1; i < 5; i++) {
        double t = length * i / 4.0;
        double sway = phantom_rng_uniform(rng, -2.5, 2.5);
        ctrl[i] = pdva_v2_add(a, pdva_v2_add(pdva_v2_scale(dir, t), pdva_v2_scale(side, sway)));
    }
    int idx = ph_run_add_vessel(run, name, kind, parent, parent_sample, ctrl, 5, 0.5 * d0, 0.5 * d1);
    if (idx >= 0)
        run->vessels[idx].flow_fraction = fraction;
    return idx;
}

int ph_build_leg(ph_run *run, phantom_rng *rng, const ph_leg_params *lp)
{
    run->kind = PH_RUN_LEG;
    run->has_foot = false;
    double w = run->columns * run->spacing_mm, h = run->rows * run->spacing_mm;
    double lat = lp->laterality == 'R' ? -1.0 : 1.0; /* image x direction of the lateral side */
    double xc = 0.5 * w + phantom_rng_uniform(rng, -0.05, 0.05) * w;
    double knee_y = phantom_rng_uniform(rng, 18.0, 55.0);
    double w_knee = phantom_rng_uniform(rng, 112.0, 132.0);
    double w_calf = phantom_rng_uniform(rng, 108.0, 126.0);
    double w_low = phantom_rng_uniform(rng, 82.0, 100.0);
    run->body_thickness_mm = phantom_rng_uniform(rng, 95.0, 118.0);

    /* outline: the medial side down, the lateral side up */
    pdva_vec2 outline[16];
    size_t n = 0;
    const double ys[] = {-20.0, knee_y, knee_y + 0.2 * (h - knee_y), knee_y + 0.35 * (h - knee_y),
                         knee_y + 0.65 * (h - knee_y), h + 20.0};
    for (size_t i = 0; i < 6; i++) {
        double half = 0.5 * leg_width(ys[i], knee_y, w_knee, w_calf, w_low, h);
        outline[n++] = pdva_v2(xc - half + phantom_rng_uniform(rng, -2.0, 2.0), ys[i]);
    }
    for (size_t i = 6; i-- > 0;) {
        double half = 0.5 * leg_width(ys[i], knee_y, w_knee, w_calf, w_low, h);
        outline[n++] = pdva_v2(xc + half + phantom_rng_uniform(rng, -2.0, 2.0), ys[i]);
    }
    if (ph_set_outline(run, outline, n, 3.0) != 0)
        return -1;

    /* bones */
    ph_add_bone(run, pdva_v2(xc, -80.0), pdva_v2(xc, knee_y - 24.0), 36.0, 3.0);
    ph_add_bone(run, pdva_v2(xc + lat * 3.0, knee_y - 34.0), pdva_v2(xc + lat * 3.0, knee_y - 12.0),
                17.0, 2.0);
    ph_add_bone(run, pdva_v2(xc - lat * 22.0, knee_y + 13.0), pdva_v2(xc + lat * 8.0, knee_y + 13.0),
                13.0, 2.0);
    ph_add_bone(run, pdva_v2(xc - lat * 9.0, knee_y + 18.0), pdva_v2(xc - lat * 13.0, h + 80.0),
                14.0, 4.5);
    ph_add_bone(run, pdva_v2(xc + lat * 31.0, knee_y + 16.0), pdva_v2(xc + lat * 31.0, knee_y + 30.0),
                9.0, 1.5);
    ph_add_bone(run, pdva_v2(xc + lat * 31.0, knee_y + 30.0), pdva_v2(xc + lat * 26.0, h + 80.0),
                6.5, 2.2);

    /* popliteal artery to the origin of the anterior tibial artery */
    double at_y = knee_y + phantom_rng_uniform(rng, 45.0, 70.0);
    pdva_vec2 pop[] = {pdva_v2(xc + lat * 4.0, -5.0), ph_jitter(rng, pdva_v2(xc + lat * 5.0, knee_y), 2.0),
                       pdva_v2(xc + lat * 4.0, at_y)};
    ph_start_at_top_edge(pop, 3, -0.5);
    int ip = ph_run_add_vessel(run, PH_NAME_POPLITEAL, PH_ARTERY, -1, 0, pop, 3,
                               0.5 * lp->popliteal_d_mm, 0.5 * lp->popliteal_d_mm * 0.95);
    if (ip < 0)
        return -1;
    size_t pop_end = run->vessels[ip].n - 1;
    pdva_vec2 A = run->vessels[ip].p[pop_end];

    /* anterior tibial artery: laterally through the interosseous membrane, then down; occluded */
    pdva_vec2 at_ctrl[] = {A, pdva_v2(A.x + lat * 13.0, A.y + 10.0),
                           ph_jitter(rng, pdva_v2(A.x + lat * 20.0, A.y + 40.0), 2.0),
                           pdva_v2(A.x + lat * 21.0, A.y + phantom_rng_uniform(rng, 70.0, 140.0))};
    int iat = ph_run_add_vessel(run, "anterior tibial artery", PH_ARTERY, ip, pop_end, at_ctrl, 4,
                                phantom_rng_uniform(rng, 1.2, 1.45), 0.75);
    if (iat < 0)
        return -1;
    run->vessels[iat].flow_fraction = phantom_rng_uniform(rng, 0.04, 0.09);

    /* tibio-peroneal trunk */
    bool tpt_donor = lp->donor_site == PH_DONOR_TPT;
    double tpt_len = phantom_rng_uniform(rng, 26.0, 40.0);
    pdva_vec2 tpt_ctrl[] = {A, pdva_v2(A.x - lat * 1.0, A.y + 0.5 * tpt_len),
                            pdva_v2(A.x - lat * 2.0, A.y + tpt_len)};
    double tpt_d = tpt_donor ? lp->donor_d_mm : fmax(lp->donor_d_mm + 0.3, 4.0);
    int it = ph_run_add_vessel(run, tpt_donor ? PH_NAME_DONOR : "tibio-peroneal trunk",
                               tpt_donor ? PH_DONOR_ARTERY : PH_ARTERY, ip, pop_end, tpt_ctrl, 3,
                               0.5 * tpt_d, 0.5 * tpt_d);
    if (it < 0)
        return -1;
    run->vessels[it].flow_fraction = 1.0;
    size_t tpt_end = run->vessels[it].n - 1;
    pdva_vec2 B = run->vessels[it].p[tpt_end];
    pdva_vec2 down = pdva_v2(0.0, 1.0);
    pdva_vec2 to_pt = pdva_v2_unit(pdva_v2(-lat * 0.28, 1.0));
    pdva_vec2 to_per = pdva_v2_unit(pdva_v2(lat * 0.22, 1.0));

    int donor = -1;
    size_t donor_end = 0;
    pdva_vec2 P;
    double vein_side = -lat; /* the accompanying vein lies toward the middle of the leg */
    if (tpt_donor) {
        if (add_artery(run, rng, "posterior tibial artery", PH_ARTERY, it, tpt_end, B, to_pt,
                       phantom_rng_uniform(rng, 40.0, 110.0), 2.4, 1.5,
                       phantom_rng_uniform(rng, 0.03, 0.07)) < 0 ||
            add_artery(run, rng, "peroneal artery", PH_ARTERY, it, tpt_end, B, to_per,
                       phantom_rng_uniform(rng, 40.0, 110.0), 2.4, 1.5,
                       phantom_rng_uniform(rng, 0.03, 0.07)) < 0)
            return -1;
        donor = it;
        donor_end = tpt_end;
        P = B;
    } else {
        bool peroneal = lp->donor_site == PH_DONOR_PROX_PERONEAL;
        pdva_vec2 ddir = peroneal ? to_per : to_pt;
        pdva_vec2 odir = peroneal ? to_pt : to_per;
        if (add_artery(run, rng, peroneal ? "posterior tibial artery" : "peroneal artery",
                       PH_ARTERY, it, tpt_end, B, odir, phantom_rng_uniform(rng, 35.0, 90.0), 2.3,
                       1.4, phantom_rng_uniform(rng, 0.03, 0.07)) < 0)
            return -1;
        double dlen = phantom_rng_uniform(rng, 18.0, 38.0);
        donor = add_artery(run, rng, PH_NAME_DONOR, PH_DONOR_ARTERY, it, tpt_end, B, ddir, dlen,
                           lp->donor_d_mm, lp->donor_d_mm, 1.0);
        if (donor < 0)
            return -1;
        donor_end = run->vessels[donor].n - 1;
        P = run->vessels[donor].p[donor_end];
        vein_side = peroneal ? -lat : lat;
        (void)down;
    }
    run->donor = donor;
    run->vessels[donor].on_arterialized_path = true;
    run->has_av_connection = true;
    run->av_connection_mm = P;

    /* the donor artery goes on beyond the connection, thin and soon occluded */
    pdva_vec2 cont_dir = pdva_v2_unit(pdva_v2(-vein_side * 0.3, 1.0));
    if (add_artery(run, rng, "donor artery beyond the connection", PH_ARTERY, donor, donor_end, P,
                   cont_dir, phantom_rng_uniform(rng, 22.0, 50.0), 0.6 * lp->donor_d_mm, 1.2,
                   phantom_rng_uniform(rng, 0.03, 0.07)) < 0)
        return -1;

    /* the AV connection and the stented vein down to the bottom edge */
    pdva_vec2 cond[10];
    size_t nc = 0;
    cond[nc++] = P;
    cond[nc++] = pdva_v2(P.x + vein_side * 5.0, P.y + 9.0);
    double x = P.x + vein_side * 8.0, y = P.y + 32.0;
    double drift = phantom_rng_uniform(rng, -0.05, 0.05);
    while (y < h + 30.0 && nc < 9) {
        cond[nc++] = pdva_v2(x + phantom_rng_uniform(rng, -4.0, 4.0), y);
        y += phantom_rng_uniform(rng, 60.0, 90.0);
        x += drift * 75.0;
    }
    cond[nc++] = pdva_v2(x, h + 30.0);
    int ic = ph_run_add_vessel(run, PH_NAME_CONDUIT, PH_ARTERIALIZED_VEIN, donor, donor_end, cond,
                               nc, 0.5 * lp->conduit_d_mm, 0.5 * lp->conduit_d_mm);
    if (ic < 0)
        return -1;
    ph_vessel *cv = &run->vessels[ic];
    double r_av = 0.5 * lp->donor_d_mm * phantom_rng_uniform(rng, 1.0, 1.12);
    double s1 = phantom_rng_uniform(rng, 12.0, 18.0);
    ph_vessel_ramp_radius(cv, r_av, s1, 0.5 * lp->conduit_d_mm, s1 + 10.0);
    ph_vessel_modulate_radius(cv, rng, 0.02);
    cv->flow_fraction = 1.0;
    cv->is_conduit = cv->stented = cv->on_arterialized_path = true;
    run->conduit = ic;
    return 0;
}

int ph_add_leg_collateral(ph_run *run, phantom_rng *rng, double d_mm, double fraction)
{
    const ph_vessel *cv = &run->vessels[run->conduit];
    double h = run->rows * run->spacing_mm;
    size_t k = 0;
    for (int attempt = 0; attempt < 40; attempt++) {
        double s = phantom_rng_uniform(rng, 45.0, (double)cv->n * PH_DS_MM - 60.0);
        k = ph_vessel_sample_at(cv, s);
        int clash = cv->p[k].y > h - 40.0;
        for (size_t vi = 0; vi < run->n_vessels; vi++) {
            const ph_vessel *o = &run->vessels[vi];
            if (o->kind == PH_COLLATERAL && o->parent == run->conduit &&
                fabs((double)o->parent_sample - (double)k) * PH_DS_MM < 40.0)
                clash = 1;
        }
        if (!clash)
            break;
    }
    /* away from the arteries around the popliteal axis, then up toward the top edge */
    int ip = ph_run_find_vessel(run, PH_NAME_POPLITEAL);
    const ph_vessel *pop = &run->vessels[ip < 0 ? 0 : ip];
    double lat_side = cv->p[k].x >= pop->p[pop->n - 1].x ? 1.0 : -1.0;
    pdva_vec2 b = cv->p[k];
    double off = phantom_rng_uniform(rng, 24.0, 32.0);
    pdva_vec2 ctrl[] = {b, pdva_v2(b.x + lat_side * 0.45 * off, b.y - 8.0),
                        ph_jitter(rng, pdva_v2(b.x + lat_side * off, b.y - 45.0), 3.0),
                        ph_jitter(rng, pdva_v2(b.x + lat_side * (off + 2.0), 0.5 * b.y), 3.0),
                        pdva_v2(b.x + lat_side * (off + 3.0), -6.0)};
    int idx = ph_run_add_vessel(run, "collateral", PH_COLLATERAL, run->conduit, k, ctrl, 5,
                                0.5 * d_mm, 0.5 * d_mm);
    if (idx < 0)
        return -1;
    run->vessels[idx].flow_fraction = fraction;
    run->vessels[idx].drains_to = PH_DRAIN_SYSTEMIC;
    return idx;
}
