/* anatomy_foot.c — a foot run on a lateral projection: the outline of the foot and distal leg,
 * its bones, and the arterialized venous tree: the stented conduit entering from the top edge
 * behind the medial malleolus, crossing under the flexor retinaculum and ending where the medial
 * and lateral plantar veins start; the plantar veins; the first toe's main dorsal vein reached
 * through the first intermetatarsal perforator; one branch into each venosome.
 *
 * Everything is laid out in foot coordinates (u along the sole from the heel, v toward the
 * dorsum, in foot lengths; see core/venosome_atlas.h) with random variation, then mapped to
 * millimetres through the run's foot frame.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "tools/phantom/anatomy.h"
#include "tools/phantom/anatomy_common.h"

typedef struct foot_ctx {
    ph_run *run;
    phantom_rng *rng;
    double jit; /* control-point jitter in foot units */
} foot_ctx;

static pdva_vec2 F(const foot_ctx *c, double u, double v)
{
    return pdva_foot_to_image(&c->run->foot, u, v);
}

static pdva_vec2 Fj(const foot_ctx *c, double u, double v)
{
    return F(c, u + phantom_rng_uniform(c->rng, -c->jit, c->jit),
             v + phantom_rng_uniform(c->rng, -c->jit, c->jit));
}

/* v of the image top edge (y = y_mm) above foot point u. */
static double v_at_image_y(const foot_ctx *c, double u, double y_mm)
{
    const pdva_foot_frame *fr = &c->run->foot;
    /* y(u, v) = heel.y + L (u au.y + v av.y) */
    return (y_mm - fr->heel.y - fr->length * u * fr->axis_u.y) / (fr->length * fr->axis_v.y);
}

static void place_foot_frame(ph_run *run, phantom_rng *rng, const ph_foot_params *fp,
                             double foot_len)
{
    double w = run->columns * run->spacing_mm, h = run->rows * run->spacing_mm;
    double theta = phantom_rng_uniform(rng, -7.0, 7.0) * M_PI / 180.0;
    double dir = fp->toes_right ? 1.0 : -1.0;
    pdva_vec2 au = pdva_v2(dir * cos(theta), sin(theta));
    pdva_vec2 av = pdva_v2_perp(au);
    if (av.y > 0.0)
        av = pdva_v2_scale(av, -1.0);
    run->foot.axis_u = au;
    run->foot.axis_v = av;
    run->foot.length = foot_len;
    /* horizontally: the foot from heel to toe tip centred with some freedom */
    double span = foot_len * fabs(au.x);
    double slack = fmax(0.0, (w - span) * 0.5 - 10.0);
    double mid_x = 0.5 * w + phantom_rng_uniform(rng, -0.6, 0.6) * slack;
    double heel_x = mid_x - 0.5 * dir * span;
    /* vertically: the sole near the bottom edge; the lower of heel and ball sets the margin */
    double bottom_margin = phantom_rng_uniform(rng, 14.0, 34.0);
    double ball_dy = foot_len * 0.7 * au.y; /* ball of the foot relative to the heel */
    double lowest = fmax(0.0, ball_dy);
    run->foot.heel = pdva_v2(heel_x, h - bottom_margin - lowest);
}

static int build_outline_and_bones(foot_ctx *c, double v_top)
{
    phantom_rng *rng = c->rng;
    double arch = phantom_rng_uniform(rng, 0.006, 0.02);
    double dors = phantom_rng_uniform(rng, 0.93, 1.07);
    double legf = phantom_rng_uniform(rng, 0.31, 0.34), legb = phantom_rng_uniform(rng, 0.06, 0.09);
    pdva_vec2 pts[] = {
        F(c, 0.004, 0.06),
        F(c, 0.028, 0.013),
        F(c, 0.09, 0.0),
        F(c, 0.25, 0.0),
        F(c, 0.45, arch),
        F(c, 0.68, 0.0),
        F(c, 0.85, 0.006),
        F(c, 0.96, 0.022),
        F(c, 1.0, 0.05),
        F(c, 0.985, 0.078),
        F(c, 0.93, 0.098 * dors),
        F(c, 0.80, 0.128 * dors),
        F(c, 0.66, 0.168 * dors),
        F(c, 0.52, 0.215 * dors),
        F(c, 0.41, 0.272 * dors),
        F(c, 0.34, 0.33),
        F(c, legf, 0.42),
        F(c, legf - 0.005, 0.56),
        F(c, legf - 0.01, v_top),
        F(c, legb + 0.01, v_top),
        F(c, legb + 0.005, 0.56),
        F(c, legb, 0.42),
        F(c, legb - 0.02, 0.30),
        F(c, 0.02, 0.20),
        F(c, 0.0, 0.12),
    };
    if (ph_set_outline(c->run, pts, sizeof pts / sizeof pts[0], 2.5) != 0)
        return -1;
    double L = c->run->foot.length;
    ph_run *run = c->run;
    /* calcaneus, talus, distal tibia and fibula, navicular, cuboid, cuneiforms */
    ph_add_bone(run, F(c, 0.08, 0.085), F(c, 0.27, 0.105), 0.072 * L, 1.6);
    ph_add_bone(run, F(c, 0.24, 0.215), F(c, 0.34, 0.205), 0.05 * L, 1.4);
    ph_add_bone(run, F(c, 0.205, 0.33), F(c, 0.195, v_top + 0.3), 0.062 * L, 3.0);
    ph_add_bone(run, F(c, 0.135, 0.29), F(c, 0.15, v_top + 0.3), 0.027 * L, 2.0);
    ph_add_bone(run, F(c, 0.37, 0.19), F(c, 0.42, 0.19), 0.033 * L, 1.2);
    ph_add_bone(run, F(c, 0.37, 0.085), F(c, 0.46, 0.09), 0.034 * L, 1.2);
    ph_add_bone(run, F(c, 0.45, 0.165), F(c, 0.52, 0.155), 0.032 * L, 1.2);
    /* metatarsals from their bases down to the heads at the ball of the foot */
    for (int i = 0; i < 5; i++) {
        double base_v = 0.155 - 0.02 * i, head_v = 0.062 - 0.006 * i;
        ph_add_bone(run, F(c, 0.52 + 0.01 * i, base_v), F(c, 0.76 - 0.025 * i, head_v),
                    (0.027 - 0.002 * i) * L, 1.8);
    }
    /* phalanges of the big toe and of the lesser toes */
    ph_add_bone(run, F(c, 0.785, 0.058), F(c, 0.86, 0.056), 0.019 * L, 1.3);
    ph_add_bone(run, F(c, 0.875, 0.056), F(c, 0.95, 0.052), 0.017 * L, 1.2);
    ph_add_bone(run, F(c, 0.76, 0.04), F(c, 0.83, 0.036), 0.012 * L, 1.0);
    ph_add_bone(run, F(c, 0.84, 0.034), F(c, 0.88, 0.032), 0.010 * L, 0.9);
    return 0;
}

/* The venosome polygons: the atlas cells clipped by the outline. */
static void build_venosomes(ph_run *run, phantom_rng *rng)
{
    for (int vs = 0; vs < PDVA_VENOSOME_COUNT; vs++) {
        ph_venosome_region *reg = &run->venosomes[vs];
        reg->n = pdva_venosome_polygon(&run->foot, (pdva_venosome)vs, run->outline,
                                       run->n_outline, reg->polygon, PH_MAX_POLY);
        reg->mtt_s = phantom_rng_uniform(rng, 3.0, 7.0);
        reg->blood_volume = phantom_rng_uniform(rng, 0.03, 0.06);
    }
}

/* A venosome branch leaving `parent` at arclength s, through foot points pts (u, v pairs). */
static int add_branch(foot_ctx *c, const char *name, int parent, double s_mm, const double *uv,
                      size_t n_uv, double d_mm, double fraction, int drains_to)
{
    ph_run *run = c->run;
    ph_vessel *pv = &run->vessels[parent];
    size_t k = ph_vessel_sample_at(pv, s_mm);
    pdva_vec2 ctrl[8];
    ctrl[0] = pv->p[k];
    for (size_t i = 0; i < n_uv && i < 7; i++)
        ctrl[i + 1] = Fj(c, uv[2 * i], uv[2 * i + 1]);
    int idx = ph_run_add_vessel(run, name, PH_ARTERIALIZED_VEIN, parent, k, ctrl, n_uv + 1,
                                0.5 * d_mm, 0.5 * d_mm * 0.55);
    if (idx < 0)
        return -1;
    run->vessels[idx].flow_fraction = fraction;
    run->vessels[idx].drains_to = drains_to;
    return idx;
}

int ph_build_foot(ph_run *run, phantom_rng *rng, const ph_foot_params *fp)
{
    foot_ctx c = {run, rng, 0.006};
    run->kind = PH_RUN_FOOT;
    run->has_foot = true;
    double w = run->columns * run->spacing_mm;
    double foot_len = phantom_rng_uniform(rng, 200.0, fmin(268.0, 0.86 * w));
    place_foot_frame(run, rng, fp, foot_len);
    double v_top = v_at_image_y(&c, 0.2, -25.0);
    if (build_outline_and_bones(&c, v_top) != 0)
        return -1;
    build_venosomes(run, rng);
    run->body_thickness_mm = phantom_rng_uniform(rng, 70.0, 84.0);

    /* The conduit: from the top edge down behind the malleolus, under the retinaculum, into the
     * sole where it ends at the start of the plantar veins. */
    double uc = phantom_rng_uniform(rng, 0.13, 0.18);
    pdva_vec2 conduit[] = {
        F(&c, uc, v_at_image_y(&c, uc, -1.0) + 0.02),
        Fj(&c, uc + 0.004, 0.52),
        Fj(&c, 0.152, 0.36),
        Fj(&c, 0.165, 0.235),
        Fj(&c, 0.205, 0.14),
        F(&c, 0.285, 0.092),
    };
    ph_start_at_top_edge(conduit, 6, -0.5);
    int ic = ph_run_add_vessel(run, PH_NAME_CONDUIT, PH_ARTERIALIZED_VEIN, -1, 0, conduit, 6,
                               0.5 * fp->conduit_d_mm, 0.5 * fp->conduit_d_mm);
    if (ic < 0)
        return -1;
    ph_vessel_modulate_radius(&run->vessels[ic], rng, 0.025);
    run->vessels[ic].is_conduit = true;
    run->vessels[ic].stented = true;
    run->vessels[ic].on_arterialized_path = true;
    run->conduit = ic;
    size_t conduit_end = run->vessels[ic].n - 1;
    pdva_vec2 split = run->vessels[ic].p[conduit_end];

    /* medial plantar vein along the arch to the first intermetatarsal space */
    pdva_vec2 mpv[] = {split, Fj(&c, 0.34, 0.085), Fj(&c, 0.45, 0.08), Fj(&c, 0.56, 0.082),
                       F(&c, 0.64, 0.09)};
    int im = ph_run_add_vessel(run, PH_NAME_MPV, PH_ARTERIALIZED_VEIN, ic, conduit_end, mpv, 5,
                               0.5 * fp->mpv_d_mm, 0.5 * fp->mpv_d_mm * 0.85);
    /* lateral plantar vein, lower, to the plantar forefoot */
    pdva_vec2 lpv[] = {split, Fj(&c, 0.33, 0.055), Fj(&c, 0.45, 0.045), Fj(&c, 0.58, 0.045),
                       Fj(&c, 0.70, 0.05), Fj(&c, 0.80, 0.045)};
    int il = ph_run_add_vessel(run, PH_NAME_LPV, PH_ARTERIALIZED_VEIN, ic, conduit_end, lpv, 6,
                               0.5 * fp->lpv_d_mm, 0.5 * fp->lpv_d_mm * 0.6);
    if (im < 0 || il < 0)
        return -1;
    run->vessels[im].flow_fraction = phantom_rng_uniform(rng, 0.5, 0.62);
    run->vessels[il].flow_fraction = 1.0;
    run->vessels[im].on_arterialized_path = run->vessels[il].on_arterialized_path = true;
    run->vessels[il].drains_to = PDVA_VENOSOME_LATERAL_PLANTAR;

    /* first toe's main dorsal vein, through the perforator, along the dorsum of the first ray */
    ph_vessel *m = &run->vessels[im];
    pdva_vec2 ftdv[] = {m->p[m->n - 1], Fj(&c, 0.68, 0.112), Fj(&c, 0.75, 0.118),
                        Fj(&c, 0.83, 0.104), F(&c, 0.905, 0.084)};
    int it = ph_run_add_vessel(run, PH_NAME_FTDV, PH_ARTERIALIZED_VEIN, im, m->n - 1, ftdv, 5,
                               0.5 * fp->ftdv_d_mm, 0.5 * fp->ftdv_d_mm * 0.85);
    if (it < 0)
        return -1;
    run->vessels[it].flow_fraction = 1.0;
    run->vessels[it].on_arterialized_path = true;
    run->vessels[it].is_first_toe_vein = true;
    run->vessels[it].drains_to = PDVA_VENOSOME_DORSALIS_PEDIS;
    ph_vessel_modulate_radius(&run->vessels[it], rng, 0.04);

    /* one branch into each venosome */
    double bd[6];
    for (int i = 0; i < 6; i++)
        bd[i] = phantom_rng_uniform(rng, 1.6, 2.6);
    const double lc[] = {0.235, 0.077, 0.15, 0.102, 0.085, 0.15, 0.045, 0.19};
    const double mc[] = {0.21, 0.04, 0.13, 0.034, 0.075, 0.045};
    const double ap[] = {0.36, 0.15, 0.372, 0.23, 0.345, 0.30};
    const double mp[] = {0.49, 0.05, 0.54, 0.03};
    const double dp[] = {0.67, 0.18, 0.59, 0.22, 0.53, 0.25};
    if (add_branch(&c, "lateral calcaneal branch", il, phantom_rng_uniform(rng, 4.0, 7.0), lc, 4,
                   bd[0], phantom_rng_uniform(rng, 0.12, 0.2),
                   PDVA_VENOSOME_LATERAL_CALCANEAL) < 0 ||
        add_branch(&c, "medial calcaneal branch", il, phantom_rng_uniform(rng, 10.0, 14.0), mc,
                   3, bd[1], phantom_rng_uniform(rng, 0.15, 0.25),
                   PDVA_VENOSOME_MEDIAL_CALCANEAL) < 0 ||
        add_branch(&c, "anterior perforating branch", im, phantom_rng_uniform(rng, 11.0, 16.0),
                   ap, 3, bd[2], phantom_rng_uniform(rng, 0.12, 0.2),
                   PDVA_VENOSOME_ANTERIOR_PERFORATING) < 0 ||
        add_branch(&c, "medial plantar branch", im, 0.5 * (double)m->n * PH_DS_MM, mp, 2, bd[3],
                   phantom_rng_uniform(rng, 0.2, 0.3), PDVA_VENOSOME_MEDIAL_PLANTAR) < 0 ||
        add_branch(&c, "dorsalis pedis branch", it, phantom_rng_uniform(rng, 6.0, 9.0), dp, 3,
                   bd[4],
                   phantom_rng_uniform(rng, 0.3, 0.42), PDVA_VENOSOME_DORSALIS_PEDIS) < 0)
        return -1;
    return 0;
}

void ph_foot_retinaculum_span(const ph_run *run, double *s_from, double *s_to)
{
    const ph_vessel *v = &run->vessels[run->conduit];
    double lo = -1.0, hi = -1.0;
    for (size_t i = 0; i < v->n; i++)
        if (pdva_in_retinaculum_zone(&run->foot, v->p[i])) {
            double s = (double)i * PH_DS_MM;
            if (lo < 0.0)
                lo = s;
            hi = s;
        }
    *s_from = lo;
    *s_to = hi;
}

int ph_add_foot_collateral(ph_run *run, phantom_rng *rng, int target, double d_mm,
                           double fraction)
{
    foot_ctx c = {run, rng, 0.004};
    ph_vessel *cv = &run->vessels[run->conduit];
    /* where on the conduit: a height band per target, keeping away from other collaterals */
    double v_lo, v_hi;
    if (target == PH_DRAIN_SYSTEMIC) {
        v_lo = 0.40;
        v_hi = 0.62;
    } else if (target == PDVA_VENOSOME_LATERAL_CALCANEAL) {
        v_lo = 0.30;
        v_hi = 0.40;
    } else {
        v_lo = 0.36;
        v_hi = 0.50;
    }
    size_t k = 0;
    for (int attempt = 0; attempt < 40; attempt++) {
        double want_v = phantom_rng_uniform(rng, v_lo, v_hi);
        double best = INFINITY;
        for (size_t i = 0; i < cv->n; i++) {
            double u, v;
            pdva_foot_from_image(&run->foot, cv->p[i], &u, &v);
            if (fabs(v - want_v) < best) {
                best = fabs(v - want_v);
                k = i;
            }
        }
        int clash = 0;
        for (size_t vi = 0; vi < run->n_vessels; vi++) {
            const ph_vessel *o = &run->vessels[vi];
            if (o->kind == PH_COLLATERAL && o->parent == run->conduit &&
                fabs((double)o->parent_sample - (double)k) * PH_DS_MM < 22.0)
                clash = 1;
        }
        if (!clash && cv->p[k].y > 8.0)
            break;
    }
    double ub, vb;
    pdva_foot_from_image(&run->foot, cv->p[k], &ub, &vb);
    pdva_vec2 ctrl[6];
    size_t n = 0;
    ctrl[n++] = cv->p[k];
    if (target == PH_DRAIN_SYSTEMIC) {
        ctrl[n++] = Fj(&c, ub + 0.05, vb + 0.035);
        ctrl[n++] = Fj(&c, ub + 0.085, vb + 0.12);
        ctrl[n++] = F(&c, ub + 0.095, v_at_image_y(&c, ub + 0.095, -6.0));
    } else if (target == PDVA_VENOSOME_LATERAL_CALCANEAL) {
        ctrl[n++] = Fj(&c, ub - 0.04, vb - 0.03);
        ctrl[n++] = Fj(&c, 0.075, vb - 0.07);
        ctrl[n++] = Fj(&c, 0.05, vb - 0.11);
    } else { /* anterior perforating */
        ctrl[n++] = Fj(&c, ub + 0.06, vb - 0.02);
        ctrl[n++] = Fj(&c, 0.30, vb - 0.055);
        ctrl[n++] = Fj(&c, 0.37, vb - 0.1);
    }
    int idx = ph_run_add_vessel(run, "collateral", PH_COLLATERAL, run->conduit, k, ctrl, n,
                                0.5 * d_mm, 0.5 * d_mm * (target == PH_DRAIN_SYSTEMIC ? 0.95 : 0.6));
    if (idx < 0)
        return -1;
    run->vessels[idx].flow_fraction = fraction;
    run->vessels[idx].drains_to = target;
    return idx;
}
