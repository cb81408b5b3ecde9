/* study.c — from (scenario, seed) to a complete study: which runs, the patient, physiology,
 * pathology placed on the anatomy, flows scaled to the arterialization flow, transit, frame times
 * that cover the transit, mask frames, motion, detector and storage.
 *
 * Random streams are separate for anatomy, pathology, timing and physics so that the baseline
 * and the control of a follow-up pair share the same anatomy.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/study.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "tools/phantom/anatomy.h"
#include "tools/phantom/bolus.h"
#include "tools/phantom/transit.h"

const char *const ph_scenarios[] = {
    "clean",          "residual-valves", "donor-restenosis", "collateral-steal",
    "low-flow",       "calibre-mismatch", "conduit-stenosis", "occlusion",
    "combined",       "followup-pair",    NULL,
};

bool ph_scenario_known(const char *name)
{
    for (size_t i = 0; ph_scenarios[i]; i++)
        if (strcmp(ph_scenarios[i], name) == 0)
            return true;
    return false;
}

void ph_options_init(ph_options *o)
{
    memset(o, 0, sizeof *o);
    o->spacing_variant = -1;
}

void ph_study_free(ph_study *st)
{
    for (size_t i = 0; i < st->n_runs; i++)
        ph_run_free(&st->runs[i]);
    st->n_runs = 0;
}

/* Streams of the generator's random numbers. */
enum {
    STREAM_STUDY = 1,
    STREAM_ANATOMY_LEG = 11,
    STREAM_ANATOMY_FOOT = 12,
    STREAM_PLAN = 21,
    STREAM_COLLATERALS = 22,
    STREAM_STENOSIS = 23,
    STREAM_VALVES = 24,
    STREAM_OCCLUSION = 25,
    STREAM_ROLE = 26,
    STREAM_TIMING = 31,
    STREAM_PHYSICS = 41
};

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* A UID under the UUID-derived root 2.25 (no registration needed), deterministic per study. */
static void make_uid(char out[65], phantom_rng *rng)
{
    uint64_t a = ((uint64_t)phantom_rng_u32(rng) << 32) | phantom_rng_u32(rng);
    uint64_t b = ((uint64_t)phantom_rng_u32(rng) << 32) | phantom_rng_u32(rng);
    a = a % 10000000000000000000ULL;
    if (a == 0)
        a = 1;
    snprintf(out, 65, "2.25.%llu%019llu", (unsigned long long)a,
             (unsigned long long)(b % 10000000000000000000ULL));
}

static void add_days(const char *ymd, int days, char out[9])
{
    int y, m, d;
    sscanf(ymd, "%4d%2d%2d", &y, &m, &d);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    d += days;
    for (;;) {
        int dim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
        if (d <= dim)
            break;
        d -= dim;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    snprintf(out, 9, "%04d%02d%02d", y, m, d);
}

/* Each kind of pathology draws from its own stream, so that adding one (the control of a
 * follow-up pair gets a new restenosis) does not move the others. */
typedef struct pathology_rng {
    phantom_rng collaterals, stenosis, valves, occlusion;
} pathology_rng;

typedef struct pathology_plan {
    bool leg, foot;
    double flow;               /* arterialization flow, ml/min */
    double donor_d, conduit_d;
    int n_valves;              /* in the foot */
    bool donor_stenosis, donor_stenosis_at_connection;
    double donor_severity;
    int n_leg_collaterals, n_foot_collaterals;
    int foot_collateral_target[3];
    double collateral_fraction[4];
    bool conduit_stenosis, conduit_stenosis_retinaculum, conduit_stenosis_in_foot_stent;
    double conduit_severity;
    bool occlusion, occlusion_in_foot, occlusion_via_collaterals;
} pathology_plan;

static void choose_runs(pathology_plan *p, phantom_rng *rng, double p_both, double p_leg_only)
{
    double x = phantom_rng_unit(rng);
    p->leg = x < p_both + p_leg_only;
    p->foot = x < p_both || x >= p_both + p_leg_only;
}

static int plan_pathology(pathology_plan *p, const char *sc, int role, phantom_rng *rng,
                          phantom_rng *role_rng)
{
    memset(p, 0, sizeof *p);
    bool low = is(sc, "low-flow") || (is(sc, "combined") && phantom_rng_chance(rng, 0.4));
    p->flow = low ? phantom_rng_uniform(rng, 100.0, 265.0) : phantom_rng_uniform(rng, 340.0, 520.0);
    if (is(sc, "calibre-mismatch")) {
        p->donor_d = phantom_rng_uniform(rng, 2.5, 3.0);
        p->conduit_d = phantom_rng_uniform(rng, 6.4, 7.4);
    } else {
        p->donor_d = phantom_rng_uniform(rng, 3.6, 4.5);
        p->conduit_d = phantom_rng_uniform(rng, 5.0, 6.0);
    }
    for (int i = 0; i < 4; i++)
        p->collateral_fraction[i] = phantom_rng_uniform(rng, 0.08, 0.32);
    if (is(sc, "clean")) {
        choose_runs(p, rng, 0.5, 0.2);
    } else if (is(sc, "residual-valves")) {
        choose_runs(p, rng, 0.4, 0.0);
        p->n_valves = phantom_rng_int(rng, 1, 3);
    } else if (is(sc, "donor-restenosis")) {
        choose_runs(p, rng, 0.4, 0.6);
        p->donor_stenosis = true;
        p->donor_stenosis_at_connection = phantom_rng_chance(rng, 0.3);
        p->donor_severity = phantom_rng_uniform(rng, 0.30, 0.85);
    } else if (is(sc, "collateral-steal")) {
        choose_runs(p, rng, 0.5, 0.15);
        int n = phantom_rng_int(rng, 1, 3);
        for (int i = 0; i < n; i++) {
            if (p->leg && (!p->foot || phantom_rng_chance(rng, 0.35)) && p->n_leg_collaterals < 2)
                p->n_leg_collaterals++;
            else if (p->foot)
                p->n_foot_collaterals++;
            else
                p->n_leg_collaterals++;
        }
    } else if (is(sc, "low-flow")) {
        choose_runs(p, rng, 0.5, 0.25);
    } else if (is(sc, "calibre-mismatch")) {
        choose_runs(p, rng, 0.4, 0.6);
    } else if (is(sc, "conduit-stenosis")) {
        p->conduit_stenosis = true;
        p->conduit_stenosis_retinaculum = phantom_rng_chance(rng, 0.6);
        if (p->conduit_stenosis_retinaculum)
            choose_runs(p, rng, 0.4, 0.0);
        else
            choose_runs(p, rng, 0.3, 0.4);
        p->conduit_severity = phantom_rng_uniform(rng, 0.35, 0.80);
    } else if (is(sc, "occlusion")) {
        p->occlusion = true;
        p->occlusion_in_foot = phantom_rng_chance(rng, 0.6);
        p->occlusion_via_collaterals = phantom_rng_chance(rng, 0.5);
        if (p->occlusion_in_foot)
            choose_runs(p, rng, 0.4, 0.0);
        else
            p->leg = true, p->foot = false;
    } else if (is(sc, "combined")) {
        p->leg = p->foot = true;
        p->donor_stenosis = true;
        p->donor_stenosis_at_connection = phantom_rng_chance(rng, 0.25);
        p->donor_severity = phantom_rng_uniform(rng, 0.5, 0.8);
        p->n_valves = phantom_rng_int(rng, 1, 2);
        if (phantom_rng_chance(rng, 0.5))
            p->n_foot_collaterals = 1;
        else
            p->n_leg_collaterals = 1;
    } else if (is(sc, "followup-pair")) {
        p->leg = p->foot = true;
        p->n_valves = 2;
        p->flow = phantom_rng_uniform(rng, 390.0, 500.0);
        p->n_foot_collaterals = 1;
        if (role == 1) {
            p->donor_stenosis = true;
            p->donor_severity = phantom_rng_uniform(role_rng, 0.5, 0.75);
            p->flow *= phantom_rng_uniform(role_rng, 0.55, 0.7);
        }
    } else {
        return -1;
    }
    /* collateral targets in the foot: systemic, or a venosome the wound may or may not be in */
    static const int targets[] = {PH_DRAIN_SYSTEMIC, PDVA_VENOSOME_LATERAL_CALCANEAL,
                                  PDVA_VENOSOME_ANTERIOR_PERFORATING};
    int order[3] = {0, 1, 2};
    for (int i = 2; i > 0; i--) {
        int j = phantom_rng_int(rng, 0, i);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < 3; i++)
        p->foot_collateral_target[i] = targets[order[i]];
    return 0;
}

/* Detector and projection of a run. */
static void set_geometry(ph_run *run, phantom_rng *rng, uint32_t size, double field_mm,
                         int spacing_variant)
{
    run->rows = run->columns = size;
    run->spacing_mm = field_mm / size;
    run->dsd_mm = phantom_rng_uniform(rng, 1000.0, 1200.0);
    double magnification = phantom_rng_uniform(rng, 1.15, 1.5);
    run->dsp_mm = run->dsd_mm / magnification;
    run->imager_spacing_mm = run->spacing_mm * magnification;
    run->spacing_variant = spacing_variant;
}

static void set_physics(ph_run *run, phantom_rng *rng)
{
    run->photons_per_pixel = phantom_rng_uniform(rng, 16000.0, 40000.0);
    run->blur_sigma_px = phantom_rng_uniform(rng, 0.5, 0.8);
    run->glare_fraction = phantom_rng_uniform(rng, 0.02, 0.06);
    run->glare_sigma_mm = phantom_rng_uniform(rng, 25.0, 50.0);
    run->iodine_mu_per_mg_ml_mm = phantom_rng_uniform(rng, 0.0014, 0.0018);
    run->peak_iodine_mg_ml = run->kind == PH_RUN_LEG ? phantom_rng_uniform(rng, 45.0, 75.0)
                                                      : phantom_rng_uniform(rng, 30.0, 50.0);
    run->bolus_alpha = phantom_rng_uniform(rng, 2.2, 3.8);
    run->bolus_tpeak_s = phantom_rng_uniform(rng, 1.2, 2.4);
    run->log_storage = phantom_rng_chance(rng, 0.4);
    run->dispersion_k = phantom_rng_uniform(rng, 1.5, 3.0);
    if (run->kind == PH_RUN_LEG) {
        run->inflow_pre_delay_s = phantom_rng_uniform(rng, 0.3, 0.7);
        run->inflow_var_s2 = pow(phantom_rng_uniform(rng, 0.05, 0.12), 2.0);
    } else {
        run->inflow_pre_delay_s = phantom_rng_uniform(rng, 2.0, 3.5);
        run->inflow_var_s2 = pow(phantom_rng_uniform(rng, 0.25, 0.45), 2.0);
    }
}

/* Place a stenosis of `severity` with half-reduction length `len` centred at s on vessel v. */
static void add_stenosis(ph_run *run, int v, double s, double len, double severity, bool donor,
                         ph_conduit_site site)
{
    ph_lesion *l = &run->lesions[run->n_lesions++];
    memset(l, 0, sizeof *l);
    l->type = PH_LESION_STENOSIS;
    l->vessel = v;
    l->s_mm = s;
    l->length_mm = len;
    l->severity = severity;
    l->donor = donor;
    l->site = site;
}

static void place_valves(ph_run *run, phantom_rng *rng, int n)
{
    int ft = ph_run_find_vessel(run, PH_NAME_FTDV);
    int mp = ph_run_find_vessel(run, PH_NAME_MPV);
    double placed_s[4];
    int placed_v[4];
    int count = 0;
    for (int k = 0; k < n && run->n_lesions < PH_MAX_LESIONS; k++) {
        /* mostly in the first toe's dorsal vein, now and then in the medial plantar vein */
        int v = (k == n - 1 && n >= 2 && phantom_rng_chance(rng, 0.2)) ? mp : ft;
        double len = (double)run->vessels[v].n * PH_DS_MM;
        double lo = v == ft ? 14.0 : 0.35 * len, hi = v == ft ? len - 8.0 : 0.85 * len;
        double s = 0.0;
        int ok = 0;
        for (int attempt = 0; attempt < 200 && !ok; attempt++) {
            s = phantom_rng_uniform(rng, lo, hi);
            ok = 1;
            for (int j = 0; j < count; j++)
                if (placed_v[j] == v && fabs(placed_s[j] - s) < 10.0)
                    ok = 0;
            /* not on top of a branch point */
            for (size_t c = 0; c < run->n_vessels; c++)
                if (run->vessels[c].parent == v &&
                    fabs((double)run->vessels[c].parent_sample * PH_DS_MM - s) < 7.0)
                    ok = 0;
        }
        if (!ok)
            continue; /* no room left for another valve on this vein */
        ph_lesion *l = &run->lesions[run->n_lesions++];
        memset(l, 0, sizeof *l);
        l->type = PH_LESION_VALVE;
        l->vessel = v;
        l->s_mm = s;
        l->length_mm = PH_VALVE_WINDOW_MM * 0.5;
        l->severity = phantom_rng_uniform(rng, 0.30, 0.70);
        l->delay_s = phantom_rng_uniform(rng, 0.3, 1.5);
        placed_s[count] = s;
        placed_v[count] = v;
        count++;
    }
}

static void place_occlusion(ph_run *run, phantom_rng *rng, bool via_collaterals)
{
    const ph_vessel *cv = &run->vessels[run->conduit];
    double len = (double)cv->n * PH_DS_MM;
    double s;
    if (run->kind == PH_RUN_FOOT) {
        double a, b;
        ph_foot_retinaculum_span(run, &a, &b);
        s = phantom_rng_uniform(rng, a + 0.2 * (b - a), a + 0.55 * (b - a));
    } else {
        s = phantom_rng_uniform(rng, 0.35 * len, 0.7 * len);
    }
    ph_lesion *l = &run->lesions[run->n_lesions++];
    memset(l, 0, sizeof *l);
    l->type = PH_LESION_OCCLUSION;
    l->vessel = run->conduit;
    l->s_mm = s;
    l->length_mm = phantom_rng_uniform(rng, 12.0, 30.0);
    l->distal_via_collaterals = via_collaterals;
    l->late_delay_s = phantom_rng_uniform(rng, 2.0, 4.0);
    l->late_gain = phantom_rng_uniform(rng, 0.3, 0.5);
}

/* Scale the root flow so that the arterialized flow entering the field is `target`. */
static void scale_flows(ph_run *run, double target)
{
    run->flow_in_ml_min = 1000.0;
    ph_compute_flows(run);
    double at = run->kind == PH_RUN_LEG ? run->vessels[run->conduit].q_ml_min[0]
                                        : run->vessels[run->conduit].q_ml_min[0];
    run->flow_in_ml_min = 1000.0 * target / at;
    ph_compute_flows(run);
}

/* Latest time anything in the run still changes: the end of the slowest visible curves. */
static double transit_horizon(const ph_run *run)
{
    double latest = 0.0;
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        const ph_vessel *v = &run->vessels[vi];
        size_t i = v->n - 1;
        if (v->gain[i] <= 0.0)
            continue;
        double t = v->tau_s[i] + 2.0 * sqrt(v->var_s2[i]);
        if (t > latest)
            latest = t;
    }
    double blush = run->has_foot ? 4.0 : 0.0;
    return latest + run->bolus_tpeak_s * 2.2 + blush;
}

/* Frame times covering the transit, 1-3 mask frames, the bolus arriving just after them. */
static int set_timing(ph_run *run, phantom_rng *rng, uint32_t frames_opt)
{
    static const double rates[] = {2.0, 3.0, 4.0, 6.0, 7.5};
    run->n_mask_frames = (uint32_t)phantom_rng_int(rng, 1, 3);
    double horizon = transit_horizon(run); /* after the bolus enters the field */
    bool variable = phantom_rng_chance(rng, 0.35);
    double fps = 2.0, fps_slow = 2.0;
    uint32_t n_fast = 0, frames = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        fps = rates[phantom_rng_int(rng, 0, 4)];
        fps_slow = variable ? fmin(fps, rates[phantom_rng_int(rng, 0, 1)]) : fps;
        double lead = (run->n_mask_frames + 0.5) / fps;
        double need = lead + horizon;
        if (variable && fps_slow < fps) {
            double fast_span = fmin(need * 0.45, 4.0);
            n_fast = (uint32_t)(fast_span * fps);
            frames = n_fast + (uint32_t)ceil((need - fast_span) * fps_slow) + 1;
        } else {
            variable = false;
            n_fast = 0;
            frames = (uint32_t)ceil(need * fps) + 1;
        }
        if (frames < 30)
            frames = 30;
        if (frames <= 60)
            break;
    }
    if (frames > 60)
        frames = 60;
    if (frames_opt)
        frames = frames_opt;
    /* a very short run (robustness tests ask for 2 frames) still starts with a mask frame */
    if (run->n_mask_frames >= frames)
        run->n_mask_frames = frames > 1 ? frames - 1 : 1;
    run->frames = frames;
    run->variable_frame_times = variable;
    run->frame_times_s = pdva_alloc_array(frames, sizeof(double));
    run->shift_x_mm = pdva_calloc_array(frames, sizeof(double));
    run->shift_y_mm = pdva_calloc_array(frames, sizeof(double));
    if (!run->frame_times_s || !run->shift_x_mm || !run->shift_y_mm)
        return -1;
    double t = 0.0;
    for (uint32_t f = 0; f < frames; f++) {
        run->frame_times_s[f] = round(t * 1000.0) / 1000.0;
        t += 1.0 / (variable && f + 1 >= n_fast ? fps_slow : fps);
    }
    /* the bolus enters the field a little after the last mask frame */
    uint32_t m = run->n_mask_frames;
    double gap = run->frame_times_s[m] - run->frame_times_s[m - 1];
    double enter = run->frame_times_s[m - 1] + phantom_rng_uniform(rng, 0.15, 0.7) * gap;
    /* the injection curve starts when the root's kernel lets the first contrast through */
    ph_bolus probe;
    if (ph_bolus_init(&probe, 0.0, run->bolus_alpha, run->bolus_tpeak_s, 30.0) != 0)
        return -1;
    ph_kernel k;
    const ph_vessel *root = &run->vessels[0];
    if (ph_kernel_init(&k, &probe, root->tau_s[0], root->var_s2[0]) != 0) {
        ph_bolus_free(&probe);
        return -1;
    }
    double first = 0.0;
    for (double tt = 0.0; tt < 30.0; tt += 0.01)
        if (ph_bolus_concentration(&probe, &k, tt) > 0.004) {
            first = tt;
            break;
        }
    ph_kernel_free(&k);
    ph_bolus_free(&probe);
    run->inflow_t0_s = enter - first;
    return 0;
}

static void set_motion(ph_run *run, phantom_rng *rng)
{
    if (!phantom_rng_chance(rng, 0.4))
        return;
    double px = run->spacing_mm;
    double end_x = phantom_rng_uniform(rng, -1.5, 1.5) * px;
    double end_y = phantom_rng_uniform(rng, -1.5, 1.5) * px;
    uint32_t m = run->n_mask_frames;
    for (uint32_t f = m; f < run->frames; f++) {
        double t = (double)(f - m + 1) / (double)(run->frames - m);
        run->shift_x_mm[f] = end_x * t + 0.15 * px * phantom_rng_normal(rng);
        run->shift_y_mm[f] = end_y * t + 0.15 * px * phantom_rng_normal(rng);
    }
}

static int build_leg_run(ph_study *st, ph_run *run, const pathology_plan *p, uint32_t size,
                         int spacing_variant, phantom_rng *anat, pathology_rng *path)
{
    set_geometry(run, anat, size, phantom_rng_uniform(anat, 330.0, 430.0), spacing_variant);
    ph_leg_params lp = {
        .field_mm = run->spacing_mm * size,
        .laterality = st->laterality,
        .donor_site = (ph_donor_site)phantom_rng_int(anat, 0, 2),
        .donor_d_mm = p->donor_d,
        .conduit_d_mm = p->conduit_d,
        .popliteal_d_mm = phantom_rng_uniform(anat, 5.0, 6.0),
    };
    if (ph_build_leg(run, anat, &lp) != 0)
        return -1;
    for (int i = 0; i < p->n_leg_collaterals; i++)
        if (ph_add_leg_collateral(run, &path->collaterals,
                                  phantom_rng_uniform(&path->collaterals, 2.0, 3.4),
                                  p->collateral_fraction[i]) < 0)
            return -1;
    if (p->donor_stenosis) {
        if (p->donor_stenosis_at_connection) {
            double len = phantom_rng_uniform(&path->stenosis, 5.0, 7.0);
            add_stenosis(run, run->conduit,
                         phantom_rng_uniform(&path->stenosis, 4.0, 6.0) + 0.5 * len, len,
                         p->donor_severity, true, PH_SITE_NONE);
        } else {
            const ph_vessel *d = &run->vessels[run->donor];
            double dl = (double)d->n * PH_DS_MM;
            double len = phantom_rng_uniform(&path->stenosis, 5.0, fmin(20.0, 0.3 * dl));
            double c = phantom_rng_uniform(&path->stenosis, 0.2 * dl + len, 0.8 * dl - len);
            if (0.2 * dl + len > 0.8 * dl - len)
                c = 0.5 * dl;
            add_stenosis(run, run->donor, c, len, p->donor_severity, true, PH_SITE_NONE);
        }
    }
    if (p->conduit_stenosis && !p->conduit_stenosis_retinaculum) {
        const ph_vessel *cv = &run->vessels[run->conduit];
        double cl = fmin((double)cv->n * PH_DS_MM, run->rows * run->spacing_mm);
        double len = phantom_rng_uniform(&path->stenosis, 5.0, 20.0);
        double c = phantom_rng_uniform(&path->stenosis, 70.0, cl - 60.0);
        add_stenosis(run, run->conduit, c, len, p->conduit_severity, false, PH_SITE_STENT);
    }
    if (p->occlusion && !p->occlusion_in_foot)
        place_occlusion(run, &path->occlusion, p->occlusion_via_collaterals);
    return 0;
}

static int build_foot_run(ph_study *st, ph_run *run, const pathology_plan *p, uint32_t size,
                          int spacing_variant, phantom_rng *anat, pathology_rng *path)
{
    set_geometry(run, anat, size, phantom_rng_uniform(anat, 220.0, 300.0), spacing_variant);
    ph_foot_params fp = {
        .field_mm = run->spacing_mm * size,
        .laterality = st->laterality,
        .toes_right = phantom_rng_chance(anat, 0.5),
        .conduit_d_mm = p->conduit_d,
        .mpv_d_mm = phantom_rng_uniform(anat, 3.2, 4.5),
        .lpv_d_mm = phantom_rng_uniform(anat, 3.0, 4.2),
        .ftdv_d_mm = phantom_rng_uniform(anat, 2.1, 3.0),
    };
    if (ph_build_foot(run, anat, &fp) != 0)
        return -1;
    for (int i = 0; i < p->n_foot_collaterals && i < 3; i++)
        if (ph_add_foot_collateral(run, &path->collaterals, p->foot_collateral_target[i],
                                   phantom_rng_uniform(&path->collaterals, 2.0, 3.2),
                                   p->collateral_fraction[i + p->n_leg_collaterals]) < 0)
            return -1;
    if (p->n_valves > 0)
        place_valves(run, &path->valves, p->n_valves);
    if (p->conduit_stenosis) {
        double a, b;
        ph_foot_retinaculum_span(run, &a, &b);
        double len = phantom_rng_uniform(&path->stenosis, 5.0, 14.0);
        if (p->conduit_stenosis_retinaculum && b > a) {
            double c = 0.5 * (a + b) + phantom_rng_uniform(&path->stenosis, -0.2, 0.2) * (b - a);
            add_stenosis(run, run->conduit, c, len, p->conduit_severity, false,
                         PH_SITE_FLEXOR_RETINACULUM);
        } else if (p->conduit_stenosis_in_foot_stent && a > 0.0) {
            /* in the stent above the retinaculum: well clear of its zone, inside the field */
            double top = 0.0;
            const ph_vessel *cv = &run->vessels[run->conduit];
            while (top < a && cv->p[ph_vessel_sample_at(cv, top)].y < 25.0)
                top += 1.0;
            double lo = top + len + 5.0, hi = a - 2.0 * len - 15.0;
            double c = hi > lo ? phantom_rng_uniform(&path->stenosis, lo, hi) : 0.5 * (top + a);
            add_stenosis(run, run->conduit, c, len, p->conduit_severity, false, PH_SITE_STENT);
        }
    }
    if (p->occlusion && p->occlusion_in_foot)
        place_occlusion(run, &path->occlusion, p->occlusion_via_collaterals);
    return 0;
}

/* Since the baseline, one residual valve was broken by venoplasty: it no longer exists. */
static void treat_one_valve(ph_study *st, ph_run *run, phantom_rng *rng)
{
    int valves[PH_MAX_LESIONS], n = 0;
    for (size_t i = 0; i < run->n_lesions; i++)
        if (run->lesions[i].type == PH_LESION_VALVE)
            valves[n++] = (int)i;
    if (n == 0)
        return;
    int k = phantom_rng_int(rng, 0, n - 1);
    st->followup.treated_valve = k;
    for (size_t i = (size_t)valves[k]; i + 1 < run->n_lesions; i++)
        run->lesions[i] = run->lesions[i + 1];
    run->n_lesions--;
}

static void make_series_identity(ph_run *run, phantom_rng *rng, int number)
{
    make_uid(run->series_uid, rng);
    run->series_number = number;
    snprintf(run->description, sizeof run->description, "%s",
             run->kind == PH_RUN_LEG ? "DSA leg p-DVA control" : "DSA foot lateral p-DVA control");
    if (run->kind == PH_RUN_LEG) {
        run->primary_angle_deg = phantom_rng_uniform(rng, -5.0, 5.0);
        run->secondary_angle_deg = phantom_rng_uniform(rng, -5.0, 5.0);
    } else {
        run->primary_angle_deg = (phantom_rng_chance(rng, 0.5) ? 90.0 : -90.0) +
                                 phantom_rng_uniform(rng, -5.0, 5.0);
        run->secondary_angle_deg = phantom_rng_uniform(rng, -5.0, 5.0);
    }
}

int ph_study_build(ph_study *st, const char *scenario, uint64_t seed, int role,
                   const ph_options *opts, char *err, size_t err_len)
{
    memset(st, 0, sizeof *st);
    if (!ph_scenario_known(scenario))
        return fail(err, err_len, "unknown scenario '%s'", scenario);
    snprintf(st->scenario, sizeof st->scenario, "%s", scenario);
    st->seed = seed;
    phantom_rng srng, anat_leg, anat_foot, plan_rng, role_rng, timing, physics;
    pathology_rng path;
    /* the patient (and the anatomy) is the seed's; a follow-up control differs in its study */
    phantom_rng_seed(&srng, seed, STREAM_STUDY);
    phantom_rng_seed(&anat_leg, seed, STREAM_ANATOMY_LEG);
    phantom_rng_seed(&anat_foot, seed, STREAM_ANATOMY_FOOT);
    phantom_rng_seed(&plan_rng, seed, STREAM_PLAN);
    phantom_rng_seed(&role_rng, seed, STREAM_ROLE);
    phantom_rng_seed(&path.collaterals, seed, STREAM_COLLATERALS);
    phantom_rng_seed(&path.stenosis, seed, STREAM_STENOSIS);
    phantom_rng_seed(&path.valves, seed, STREAM_VALVES);
    phantom_rng_seed(&path.occlusion, seed, STREAM_OCCLUSION);
    phantom_rng_seed(&timing, seed + 7919u * (uint64_t)role, STREAM_TIMING);
    phantom_rng_seed(&physics, seed + 7919u * (uint64_t)role, STREAM_PHYSICS);

    uint32_t size = opts && opts->size ? opts->size : 1024;
    static const char *const names[] = {"Phantom^Ada", "Phantom^Bo", "Müller^Jürgen",
                                        "O'Brien^Siobhán", "Phantom^Chen", "Ñúñez^José"};
    snprintf(st->patient_id, sizeof st->patient_id, "PDVA-%llu", (unsigned long long)seed);
    snprintf(st->patient_name, sizeof st->patient_name, "%s",
             names[phantom_rng_int(&srng, 0, 5)]);
    snprintf(st->birth_date, sizeof st->birth_date, "19%02d%02d%02d",
             phantom_rng_int(&srng, 30, 65), phantom_rng_int(&srng, 1, 12),
             phantom_rng_int(&srng, 1, 28));
    snprintf(st->sex, sizeof st->sex, "%s", phantom_rng_chance(&srng, 0.7) ? "M" : "F");
    st->laterality = phantom_rng_chance(&srng, 0.5) ? 'L' : 'R';
    char base_date[9], base_uid[65];
    snprintf(base_date, sizeof base_date, "2026%02d%02d", phantom_rng_int(&srng, 1, 9),
             phantom_rng_int(&srng, 1, 28));
    make_uid(base_uid, &srng);
    int interval = phantom_rng_int(&srng, 28, 42);
    /* the wound: one venosome, sometimes two neighbours */
    static const int pairs[][2] = {
        {PDVA_VENOSOME_DORSALIS_PEDIS, PDVA_VENOSOME_ANTERIOR_PERFORATING},
        {PDVA_VENOSOME_MEDIAL_PLANTAR, PDVA_VENOSOME_LATERAL_PLANTAR},
        {PDVA_VENOSOME_MEDIAL_CALCANEAL, PDVA_VENOSOME_LATERAL_CALCANEAL},
        {PDVA_VENOSOME_LATERAL_PLANTAR, PDVA_VENOSOME_DORSALIS_PEDIS}};
    st->wound[0] = phantom_rng_int(&srng, 0, PDVA_VENOSOME_COUNT - 1);
    st->n_wound = 1;
    if (phantom_rng_chance(&srng, 0.25)) {
        int pi = phantom_rng_int(&srng, 0, 3);
        st->wound[0] = pairs[pi][0];
        st->wound[1] = pairs[pi][1];
        st->n_wound = 2;
    }
    static const pdva_encoding encodings[] = {
        PDVA_ENCODING_XA_EXPLICIT_LE, PDVA_ENCODING_XA_JPEG_LOSSLESS, PDVA_ENCODING_XA_RLE,
        PDVA_ENCODING_XA_JPEG_LS,     PDVA_ENCODING_ENHANCED_XA,      PDVA_ENCODING_XRF,
        PDVA_ENCODING_XA_FRAME_PER_FILE, PDVA_ENCODING_XA_IMPLICIT_LE};
    st->encoding = opts && opts->encoding ? opts->encoding : encodings[phantom_rng_int(&srng, 0, 7)];

    if (is(scenario, "followup-pair")) {
        if (role == 0) {
            snprintf(st->study_uid, sizeof st->study_uid, "%s", base_uid);
            snprintf(st->study_date, sizeof st->study_date, "%s", base_date);
        } else {
            make_uid(st->study_uid, &srng);
            add_days(base_date, interval, st->study_date);
            st->followup.is_control = true;
            snprintf(st->followup.baseline_study_uid, sizeof st->followup.baseline_study_uid,
                     "%s", base_uid);
            st->followup.interval_days = interval;
        }
    } else {
        make_uid(st->study_uid, &srng);
        snprintf(st->study_date, sizeof st->study_date, "%s", base_date);
    }
    snprintf(st->study_time, sizeof st->study_time, "%02d%02d%02d", phantom_rng_int(&srng, 8, 17),
             phantom_rng_int(&srng, 0, 59), phantom_rng_int(&srng, 0, 59));
    snprintf(st->accession, sizeof st->accession, "A%08u", phantom_rng_u32(&srng) % 100000000u);
    snprintf(st->study_id, sizeof st->study_id, "%u", phantom_rng_u32(&srng) % 100000u);

    pathology_plan plan;
    if (plan_pathology(&plan, scenario, role, &plan_rng, &role_rng) != 0)
        return fail(err, err_len, "scenario '%s' has no plan", scenario);
    if (opts && opts->runs) {
        plan.leg = (opts->runs & 1) != 0;
        plan.foot = (opts->runs & 2) != 0;
    }
    if (plan.occlusion && !plan.occlusion_in_foot && plan.foot && !plan.leg)
        plan.occlusion_in_foot = true;
    if (plan.conduit_stenosis && plan.conduit_stenosis_retinaculum && !plan.foot)
        plan.conduit_stenosis_retinaculum = false;
    /* an in-stent narrowing without a leg run goes in the foot run's stented conduit, above the
     * retinaculum (build_foot_run places it when there is no leg) */
    plan.conduit_stenosis_in_foot_stent = plan.conduit_stenosis &&
                                          !plan.conduit_stenosis_retinaculum && !plan.leg;
    if (plan.n_valves && !plan.foot)
        plan.foot = true;
    if ((plan.donor_stenosis || is(scenario, "calibre-mismatch")) && !plan.leg)
        plan.leg = true;
    st->arterialization_flow_ml_min = plan.flow;

    /* spacing: usually known; unknown only where no measurement is the point of the scenario */
    int variant = opts && opts->spacing_variant >= 0 ? opts->spacing_variant : -1;
    if (variant < 0) {
        double x = phantom_rng_unit(&srng);
        bool may_be_unknown = is(scenario, "clean") || is(scenario, "residual-valves");
        variant = x < 0.35 ? 0 : (x < 0.65 ? 1 : (x < 0.95 || !may_be_unknown ? 2 : 3));
    }

    int number = 1;
    double flow_left = plan.flow;
    if (plan.leg) {
        ph_run *run = &st->runs[st->n_runs++];
        if (build_leg_run(st, run, &plan, size, variant, &anat_leg, &path) != 0)
            return fail(err, err_len, "building the leg run failed (memory)");
        set_physics(run, &physics);
        ph_apply_lesion_geometry(run);
        scale_flows(run, plan.flow);
        run->arterialization_flow_ml_min = plan.flow;
        ph_compute_transit(run);
        if (set_timing(run, &timing, opts ? opts->frames : 0) != 0)
            return fail(err, err_len, "timing the leg run failed (memory)");
        set_motion(run, &physics);
        make_series_identity(run, &srng, number++);
        /* what the leg's collaterals take does not reach the foot */
        const ph_vessel *cv = &run->vessels[run->conduit];
        flow_left = cv->q_ml_min[cv->n - 1];
    }
    if (plan.foot) {
        ph_run *run = &st->runs[st->n_runs++];
        if (build_foot_run(st, run, &plan, size, variant, &anat_foot, &path) != 0)
            return fail(err, err_len, "building the foot run failed (memory)");
        if (st->followup.is_control)
            treat_one_valve(st, run, &role_rng);
        set_physics(run, &physics);
        ph_apply_lesion_geometry(run);
        scale_flows(run, flow_left);
        run->arterialization_flow_ml_min = plan.flow;
        ph_compute_transit(run);
        if (set_timing(run, &timing, opts ? opts->frames : 0) != 0)
            return fail(err, err_len, "timing the foot run failed (memory)");
        set_motion(run, &physics);
        make_series_identity(run, &srng, number++);
    }
    return 0;
}
