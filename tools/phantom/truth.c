/* truth.c — building truth.json and context.json for a generated study.
 *
 * Definitions (the analyzer is scored against them, docs/sample-studies.md repeats them):
 *  - vessels: what opacifies in the run, clipped to the image, every 1 mm, with the diameter of
 *    the lumen (lesions included) and the arrival time at the first point of the centerline; a
 *    vessel interrupted by an occlusion is listed as its opacified pieces;
 *  - a residual valve points at its narrowest point, a stenosis at its minimal lumen, a collateral
 *    at its branch point on the conduit, an occlusion at its last opacified point, low flow and
 *    calibre mismatch at the AV connection (or, without one in view, the conduit's entry);
 *  - lesion length: where the diameter reduction is at least half its maximum;
 *  - arterialization flow of a series: the flow of the arterialized conduit where it enters the
 *    series (at the AV connection in a leg run);
 *  - when the spacing cannot be known from the file, every mm and ml/min value is null, as an
 *    honest report would write.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/truth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "core/curve.h"
#include "tools/phantom/anatomy.h"
#include "tools/phantom/transit.h"

#define LOW_FLOW_ML_MIN 300.0
#define CALIBRE_MISMATCH_RATIO 0.55
#define CONTRAST_FREE_LEVEL 0.003 /* iodine attenuation below which a frame holds no contrast */

int ph_run_truth_init(ph_run_truth *t, uint32_t frames)
{
    memset(t, 0, sizeof *t);
    t->max_iodine = pdva_calloc_array(frames, sizeof(double));
    if (!t->max_iodine)
        return -1;
    for (int i = 0; i < PDVA_VENOSOME_COUNT; i++) {
        t->venosome_curve[i] = pdva_calloc_array(frames, sizeof(double));
        if (!t->venosome_curve[i]) {
            ph_run_truth_free(t);
            return -1;
        }
    }
    return 0;
}

void ph_run_truth_free(ph_run_truth *t)
{
    pdva_free(t->max_iodine);
    for (int i = 0; i < PDVA_VENOSOME_COUNT; i++)
        pdva_free(t->venosome_curve[i]);
    memset(t, 0, sizeof *t);
}

void ph_run_truth_add_frame(ph_run_truth *t, const ph_run *run, const uint8_t *label,
                            const float *iodine, uint32_t f)
{
    size_t npix = (size_t)run->rows * run->columns;
    double sum[PDVA_VENOSOME_COUNT] = {0};
    size_t count[PDVA_VENOSOME_COUNT] = {0};
    float mx = 0.0f;
    for (size_t i = 0; i < npix; i++) {
        if (iodine[i] > mx)
            mx = iodine[i];
        if (label[i] < PDVA_VENOSOME_COUNT) {
            sum[label[i]] += iodine[i];
            count[label[i]]++;
        }
    }
    t->max_iodine[f] = mx;
    for (int v = 0; v < PDVA_VENOSOME_COUNT; v++)
        t->venosome_curve[v][f] = count[v] ? sum[v] / (double)count[v] : 0.0;
    if (f == run->frames - 1) {
        uint32_t m = 0;
        while (m + 1 < run->frames && t->max_iodine[m + 1] < CONTRAST_FREE_LEVEL)
            m++;
        t->mask_frame = m;
    }
}

/* ---- small JSON helpers ------------------------------------------------------------------- */

static json_t *num(double x)
{
    return json_real(round(x * 10000.0) / 10000.0);
}

static json_t *num_or_null(double x, bool known)
{
    return known && isfinite(x) ? num(x) : json_null();
}

static json_t *point_px(const ph_run *run, pdva_vec2 mm)
{
    pdva_vec2 p = ph_mm_to_px(run, mm);
    double w = run->columns, h = run->rows;
    p.x = fmin(fmax(p.x, 0.0), w);
    p.y = fmin(fmax(p.y, 0.0), h);
    json_t *a = json_array();
    json_array_append_new(a, json_real(round(p.x * 1000.0) / 1000.0));
    json_array_append_new(a, json_real(round(p.y * 1000.0) / 1000.0));
    return a;
}

static bool inside_image(const ph_run *run, pdva_vec2 mm)
{
    double w = run->columns * run->spacing_mm, h = run->rows * run->spacing_mm;
    return mm.x >= 0.0 && mm.y >= 0.0 && mm.x < w && mm.y < h;
}

static bool spacing_known(const ph_run *run)
{
    return run->spacing_variant != 3;
}

/* ---- per-series state while building ------------------------------------------------------ */

typedef struct piece {
    int vessel;
    size_t first, last; /* sample range */
    char id[16];
} piece;

typedef struct build_state {
    const ph_study *st;
    int next_vessel_id;
    int next_finding_id;
    json_t *alerts;
    json_t *low_flow_finding_ids; /* to avoid one per series */
    bool low_flow_done;
} build_state;

static json_t *finding_base(build_state *bs, const char *type, const ph_run *run, pdva_vec2 mm,
                            char id_out[16])
{
    snprintf(id_out, 16, "F%d", bs->next_finding_id++);
    json_t *f = json_object();
    json_object_set_new(f, "id", json_string(id_out));
    json_object_set_new(f, "type", json_string(type));
    json_object_set_new(f, "point", point_px(run, mm));
    json_object_set_new(f, "confidence", json_real(1.0));
    return f;
}

static void alert(build_state *bs, const char *severity, const char *ref, const char *text)
{
    json_t *a = json_object();
    json_object_set_new(a, "severity", json_string(severity));
    json_object_set_new(a, "finding_ref", ref ? json_string(ref) : json_null());
    json_object_set_new(a, "text", json_string(text));
    json_array_append_new(bs->alerts, a);
}

/* Frame-sampled curve of vessel v at sample i and its parameters. */
static void vessel_curve(const ph_run *run, const ph_conc *conc, int v, size_t i,
                         pdva_curve_params *out)
{
    double c[512];
    uint32_t n = run->frames < 512 ? run->frames : 512;
    for (uint32_t f = 0; f < n; f++)
        c[f] = ph_conc_vessel(conc, v, (double)i, f);
    pdva_curve_compute(run->frame_times_s, c, n, 1e-3, out);
}

/* Split the visible vessels into opacified pieces inside the image. */
static size_t collect_pieces(build_state *bs, const ph_run *run, piece *pieces, size_t cap)
{
    size_t n = 0;
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        const ph_vessel *v = &run->vessels[vi];
        if (!v->visible)
            continue;
        size_t i = 0;
        int part = 0;
        char base[16] = "";
        while (i < v->n && n < cap) {
            while (i < v->n && (v->gain[i] <= 0.0 || !inside_image(run, v->p[i])))
                i++;
            if (i >= v->n)
                break;
            size_t first = i;
            while (i < v->n && v->gain[i] > 0.0 && inside_image(run, v->p[i]))
                i++;
            size_t last = i - 1;
            if ((double)(last - first) * PH_DS_MM < 2.0)
                continue;
            piece *p = &pieces[n++];
            p->vessel = (int)vi;
            p->first = first;
            p->last = last;
            if (part == 0) {
                snprintf(base, sizeof base, "V%d", bs->next_vessel_id++);
                snprintf(p->id, sizeof p->id, "%s", base);
            } else {
                snprintf(p->id, sizeof p->id, "%.8s.%d", base, (part + 1) % 100);
            }
            part++;
        }
    }
    return n;
}

/* The piece of vessel v that holds sample i (or the last piece before it). */
static const piece *piece_at(const piece *pieces, size_t n, int v, size_t i)
{
    const piece *best = NULL;
    for (size_t k = 0; k < n; k++) {
        if (pieces[k].vessel != v)
            continue;
        if (i >= pieces[k].first && i <= pieces[k].last)
            return &pieces[k];
        if (pieces[k].first <= i)
            best = &pieces[k];
    }
    return best;
}

static json_t *vessels_json(const ph_run *run, const ph_conc *conc, const piece *pieces,
                            size_t n)
{
    bool known = spacing_known(run);
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++) {
        const piece *p = &pieces[k];
        const ph_vessel *v = &run->vessels[p->vessel];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(p->id));
        json_object_set_new(o, "kind", json_string(ph_vessel_kind_name(v->kind)));
        json_object_set_new(o, "name", json_string(v->name));
        json_t *cl = json_array(), *dm = json_array(), *tau = json_array();
        size_t step = (size_t)(1.0 / PH_DS_MM);
        size_t i = p->first;
        for (;;) {
            json_array_append_new(cl, point_px(run, v->p[i]));
            json_array_append_new(dm, num_or_null(2.0 * v->r[i], known));
            json_array_append_new(tau, num(v->tau_s[i]));
            if (i == p->last)
                break;
            /* every millimetre, and the last sample always closes the centerline (children may
             * branch there) */
            i = i + step <= p->last ? i + step : p->last;
        }
        json_object_set_new(o, "centerline", cl);
        json_object_set_new(o, "diameter_mm", dm);
        /* mean transit delay from the injection at each point (the first moment of its curve) */
        json_object_set_new(o, "transit_delay_s", tau);
        const piece *parent = NULL;
        if (v->parent >= 0 && p->first == 0)
            parent = piece_at(pieces, n, v->parent, v->parent_sample);
        json_object_set_new(o, "parent_id", parent ? json_string(parent->id) : json_null());
        pdva_curve_params cp;
        vessel_curve(run, conc, p->vessel, p->first, &cp);
        json_object_set_new(o, "arrival_time_s", num_or_null(cp.arrival_time_s, cp.valid));
        json_object_set_new(o, "flow_ml_min", num_or_null(v->q_ml_min[p->first], known));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *polygon_json(const ph_run *run, const pdva_vec2 *poly, size_t n)
{
    /* keep the polygon inside the image */
    double w = run->columns * run->spacing_mm, h = run->rows * run->spacing_mm;
    pdva_vec2 rect[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    pdva_vec2 clipped[PH_MAX_POLY];
    size_t m = pdva_polygon_clip_convex(poly, n, rect, 4, clipped, PH_MAX_POLY);
    json_t *a = json_array();
    for (size_t i = 0; i < m; i++)
        json_array_append_new(a, point_px(run, clipped[i]));
    return a;
}

static json_t *venosomes_json(const ph_run *run, const ph_run_truth *rt)
{
    json_t *arr = json_array();
    if (!run->has_foot)
        return arr;
    for (int vs = 0; vs < PDVA_VENOSOME_COUNT; vs++) {
        const ph_venosome_region *reg = &run->venosomes[vs];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(pdva_venosome_id((pdva_venosome)vs)));
        json_object_set_new(o, "polygon", polygon_json(run, reg->polygon, reg->n));
        pdva_curve_params cp;
        pdva_curve_compute(run->frame_times_s, rt->venosome_curve[vs], run->frames, 2e-3, &cp);
        json_object_set_new(o, "arrival_time_s", num_or_null(cp.arrival_time_s, cp.valid));
        json_object_set_new(o, "time_to_peak_s", num_or_null(cp.peak_time_s, cp.valid));
        json_object_set_new(o, "peak_height", num_or_null(cp.peak_height, cp.valid));
        json_object_set_new(o, "auc", num_or_null(cp.auc, cp.valid));
        json_object_set_new(o, "mean_transit_time_s", num_or_null(cp.mean_transit_time_s, cp.valid));
        json_array_append_new(arr, o);
    }
    return arr;
}

static bool wound_has(const ph_study *st, int venosome)
{
    for (int i = 0; i < st->n_wound; i++)
        if (st->wound[i] == venosome)
            return true;
    return false;
}

static void stenosis_fields(json_t *f, const ph_run *run, const ph_lesion *l)
{
    bool known = spacing_known(run);
    const ph_vessel *v = &run->vessels[l->vessel];
    size_t i = ph_vessel_sample_at(v, l->s_mm);
    double ref = 2.0 * v->r_ref[i];
    json_object_set_new(f, "diameter_stenosis_pct", num(100.0 * l->severity));
    json_object_set_new(f, "minimal_lumen_diameter_mm", num_or_null(ref * (1.0 - l->severity), known));
    json_object_set_new(f, "reference_diameter_mm", num_or_null(ref, known));
    json_object_set_new(f, "lesion_length_mm", num_or_null(l->length_mm, known));
}

static const char *site_name(ph_conduit_site site)
{
    switch (site) {
    case PH_SITE_FLEXOR_RETINACULUM: return "flexor_retinaculum";
    case PH_SITE_STENT: return "stent";
    default: return "other";
    }
}

static void lesion_findings(build_state *bs, const ph_run *run, const piece *pieces, size_t np,
                            json_t *findings)
{
    char id[16], text[256];
    for (size_t li = 0; li < run->n_lesions; li++) {
        const ph_lesion *l = &run->lesions[li];
        const ph_vessel *v = &run->vessels[l->vessel];
        size_t i = ph_vessel_sample_at(v, l->s_mm);
        if (!inside_image(run, v->p[i]))
            continue;
        const piece *pc = piece_at(pieces, np, l->vessel, i);
        const char *vid = pc ? pc->id : "";
        if (l->type == PH_LESION_VALVE) {
            json_t *f = finding_base(bs, "residual_valve", run, v->p[i], id);
            json_object_set_new(f, "vessel_id", json_string(vid));
            json_object_set_new(f, "diameter_reduction_pct", num(100.0 * l->severity));
            json_object_set_new(f, "transit_delay_s", num(l->delay_s));
            json_array_append_new(findings, f);
        } else if (l->type == PH_LESION_STENOSIS && l->donor) {
            json_t *f = finding_base(bs, "donor_restenosis", run, v->p[i], id);
            json_object_set_new(f, "vessel_id", json_string(vid));
            json_object_set_new(f, "at_av_connection", json_boolean(v->is_conduit));
            stenosis_fields(f, run, l);
            json_array_append_new(findings, f);
            if (l->severity >= 0.5) {
                snprintf(text, sizeof text, "%s restenosis of %.0f %% diameter stenosis",
                         v->is_conduit ? "AV connection" : "Donor artery", 100.0 * l->severity);
                alert(bs, "critical", id, text);
            }
        } else if (l->type == PH_LESION_STENOSIS) {
            json_t *f = finding_base(bs, "conduit_stenosis", run, v->p[i], id);
            json_object_set_new(f, "vessel_id", json_string(vid));
            stenosis_fields(f, run, l);
            json_object_set_new(f, "site", json_string(site_name(l->site)));
            json_array_append_new(findings, f);
            if (l->severity >= 0.5) {
                snprintf(text, sizeof text, "Conduit stenosis of %.0f %% (%s)",
                         100.0 * l->severity, site_name(l->site));
                alert(bs, "critical", id, text);
            }
        } else if (l->type == PH_LESION_OCCLUSION) {
            size_t last = i > 0 ? i - 1 : 0;
            const piece *before = piece_at(pieces, np, l->vessel, last);
            json_t *f = finding_base(bs, "occlusion", run, v->p[last], id);
            json_object_set_new(f, "vessel_id", json_string(before ? before->id : vid));
            json_object_set_new(f, "distal_filling",
                                json_string(l->distal_via_collaterals ? "via_collaterals" : "none"));
            json_array_append_new(findings, f);
            alert(bs, "critical", id,
                  l->distal_via_collaterals
                      ? "Occlusion of the arterialized conduit; the territory beyond fills late "
                        "through collaterals"
                      : "Occlusion of the arterialized conduit; nothing fills beyond it");
        }
    }
}

static void collateral_findings(build_state *bs, const ph_run *run, const piece *pieces,
                                size_t np, json_t *findings)
{
    const ph_study *st = bs->st;
    char id[16], why[320];
    for (size_t vi = 0; vi < run->n_vessels; vi++) {
        const ph_vessel *v = &run->vessels[vi];
        if (v->kind != PH_COLLATERAL || !inside_image(run, v->p[0]) || v->gain[0] <= 0.0)
            continue;
        const piece *pc = piece_at(pieces, np, (int)vi, 0);
        json_t *f = finding_base(bs, "collateral", run, v->p[0], id);
        json_object_set_new(f, "vessel_id", json_string(pc ? pc->id : ""));
        bool systemic = v->drains_to == PH_DRAIN_SYSTEMIC;
        const char *to = systemic ? "systemic" : pdva_venosome_id((pdva_venosome)v->drains_to);
        json_object_set_new(f, "drains_to", json_string(to));
        double share = v->q_ml_min[0] / st->arterialization_flow_ml_min;
        json_object_set_new(f, "flow_fraction", num_or_null(fmin(1.0, share), spacing_known(run)));
        bool embolize = systemic || !wound_has(st, v->drains_to);
        json_object_set_new(f, "embolize", json_boolean(embolize));
        if (systemic)
            snprintf(why, sizeof why,
                     "drains back toward the heart, taking about %.0f %% of the arterialized flow "
                     "away from the foot",
                     100.0 * share);
        else if (embolize)
            snprintf(why, sizeof why,
                     "drains into the %s venosome, not the wound's, taking about %.0f %% of the "
                     "arterialized flow",
                     to, 100.0 * share);
        else
            snprintf(why, sizeof why, "feeds the wound's %s venosome: keep it", to);
        json_object_set_new(f, "rationale", json_string(why));
        json_array_append_new(findings, f);
    }
}

static void flow_findings(build_state *bs, const ph_run *run, json_t *findings)
{
    const ph_study *st = bs->st;
    char id[16], text[200];
    bool known = spacing_known(run);
    pdva_vec2 at = run->has_av_connection ? run->av_connection_mm
                                          : run->vessels[run->conduit].p[0];
    /* low flow belongs to the series that shows the AV connection, else the foot run */
    bool owner = run->kind == PH_RUN_LEG || st->n_runs == 1;
    if (owner && known && !bs->low_flow_done && st->arterialization_flow_ml_min < LOW_FLOW_ML_MIN) {
        json_t *f = finding_base(bs, "low_flow", run, at, id);
        json_object_set_new(f, "flow_ml_min", num(st->arterialization_flow_ml_min));
        json_array_append_new(findings, f);
        snprintf(text, sizeof text, "Arterialization flow %.0f ml/min, below the 300 ml/min needed",
                 st->arterialization_flow_ml_min);
        alert(bs, "critical", id, text);
        bs->low_flow_done = true;
    }
    if (run->kind == PH_RUN_LEG && run->donor >= 0) {
        const ph_vessel *d = &run->vessels[run->donor];
        const ph_vessel *c = &run->vessels[run->conduit];
        double ad = 2.0 * d->r_ref[0];
        double vd = 2.0 * c->r_ref[c->n / 2];
        double ratio = ad / vd;
        if (ratio < CALIBRE_MISMATCH_RATIO) {
            json_t *f = finding_base(bs, "calibre_mismatch", run, at, id);
            json_object_set_new(f, "artery_diameter_mm", num_or_null(ad, known));
            json_object_set_new(f, "vein_diameter_mm", num_or_null(vd, known));
            json_object_set_new(f, "ratio", num(ratio));
            json_array_append_new(findings, f);
            snprintf(text, sizeof text,
                     "Donor artery %.1f mm feeds a %.1f mm conduit (ratio %.2f): risk of "
                     "restenosis and occlusion",
                     ad, vd, ratio);
            alert(bs, "warning", id, text);
        }
    }
}

static json_t *series_json(build_state *bs, const ph_run *run, const ph_conc *conc,
                           const ph_run_truth *rt)
{
    bool known = spacing_known(run);
    json_t *s = json_object();
    json_object_set_new(s, "series_instance_uid", json_string(run->series_uid));
    json_object_set_new(s, "run", json_string(run->kind == PH_RUN_LEG ? "leg" : "foot"));
    json_object_set_new(s, "status", json_string("analyzed"));
    json_object_set_new(s, "reason", json_null());
    json_object_set_new(s, "rows", json_integer(run->rows));
    json_object_set_new(s, "columns", json_integer(run->columns));
    json_object_set_new(s, "frames", json_integer(run->frames));
    json_t *times = json_array();
    for (uint32_t f = 0; f < run->frames; f++)
        json_array_append_new(times, num(run->frame_times_s[f]));
    json_object_set_new(s, "frame_times_s", times);
    if (known) {
        json_t *ps = json_array();
        json_array_append_new(ps, num(run->spacing_mm));
        json_array_append_new(ps, num(run->spacing_mm));
        json_object_set_new(s, "pixel_spacing_mm", ps);
    } else {
        json_object_set_new(s, "pixel_spacing_mm", json_null());
    }
    static const char *const sources[] = {"pixel_spacing", "magnification_corrected",
                                          "magnification_corrected", "unknown"};
    json_object_set_new(s, "spacing_source", json_string(sources[run->spacing_variant]));
    /* what the spacing really is, even where the file does not tell (for scoring distances) */
    json_object_set_new(s, "physical_pixel_spacing_mm", num(run->spacing_mm));
    json_object_set_new(s, "mask_frame", json_integer(rt->mask_frame));

    piece pieces[PH_MAX_VESSELS * 3];
    size_t np = collect_pieces(bs, run, pieces, PH_MAX_VESSELS * 3);
    /* inflow: where the arterialized contrast enters the field */
    pdva_curve_params in;
    memset(&in, 0, sizeof in);
    if (np > 0)
        vessel_curve(run, conc, pieces[0].vessel, pieces[0].first, &in);
    json_t *inflow = json_object();
    json_object_set_new(inflow, "arrival_time_s", num_or_null(in.arrival_time_s, in.valid));
    json_object_set_new(inflow, "peak_time_s", num_or_null(in.peak_time_s, in.valid));
    json_object_set_new(s, "inflow", inflow);
    if (run->has_av_connection) {
        json_t *av = json_object();
        json_object_set_new(av, "point", point_px(run, run->av_connection_mm));
        json_object_set_new(av, "confidence", json_real(1.0));
        json_object_set_new(s, "av_connection", av);
    } else {
        json_object_set_new(s, "av_connection", json_null());
    }
    const ph_vessel *cv = &run->vessels[run->conduit];
    size_t entry = 0;
    while (entry < cv->n && !inside_image(run, cv->p[entry]))
        entry++;
    json_object_set_new(s, "arterialization_flow_ml_min",
                        num_or_null(cv->q_ml_min[entry < cv->n ? entry : 0], known));
    json_object_set_new(s, "vessels", vessels_json(run, conc, pieces, np));
    json_object_set_new(s, "venosomes", venosomes_json(run, rt));
    json_t *findings = json_array();
    lesion_findings(bs, run, pieces, np, findings);
    collateral_findings(bs, run, pieces, np, findings);
    flow_findings(bs, run, findings);
    json_object_set_new(s, "findings", findings);
    if (!known)
        alert(bs, "warning", NULL,
              "Pixel spacing unknown (no Pixel Spacing and no magnification to correct Imager "
              "Pixel Spacing): no measurement in mm or ml/min");
    return s;
}

/* ---- follow-up comparison ----------------------------------------------------------------- */

static double point_dist(const json_t *a, const json_t *b)
{
    double dx = json_real_value(json_array_get(a, 0)) - json_real_value(json_array_get(b, 0));
    double dy = json_real_value(json_array_get(a, 1)) - json_real_value(json_array_get(b, 1));
    return hypot(dx, dy);
}

static double worst_donor_pct(const json_t *doc)
{
    double worst = 0.0;
    size_t si, fi;
    json_t *s, *f;
    json_array_foreach(json_object_get(doc, "series"), si, s)
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
        if (strcmp(json_string_value(json_object_get(f, "type")), "donor_restenosis") == 0)
            worst = fmax(worst, json_number_value(json_object_get(f, "diameter_stenosis_pct")));
    }
    return worst;
}

static json_t *comparison_json(const ph_study *st, const json_t *control, const json_t *baseline)
{
    json_t *c = json_object();
    json_object_set_new(c, "baseline_study_instance_uid",
                        json_string(st->followup.baseline_study_uid));
    json_object_set_new(c, "interval_days", json_integer(st->followup.interval_days));
    json_t *ds = json_object();
    json_object_set_new(ds, "baseline", num(worst_donor_pct(baseline)));
    json_object_set_new(ds, "followup", num(worst_donor_pct(control)));
    json_object_set_new(c, "donor_stenosis_pct", ds);
    json_t *fl = json_object();
    json_object_set_new(fl, "baseline", json_deep_copy(json_object_get(
                                            json_object_get(baseline, "truth"),
                                            "arterialization_flow_ml_min")));
    json_object_set_new(fl, "followup", num(st->arterialization_flow_ml_min));
    json_object_set_new(c, "arterialization_flow_ml_min", fl);
    json_t *fresh = json_array(), *gone = json_array(), *kept = json_array();
    /* match findings of the same type and run within 5 pixels (same patient, same anatomy) */
    size_t si, fi;
    json_t *s, *f;
    json_t *matched = json_array();
    json_array_foreach(json_object_get(control, "series"), si, s)
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
        const char *type = json_string_value(json_object_get(f, "type"));
        const char *run = json_string_value(json_object_get(s, "run"));
        json_t *hit = NULL;
        size_t bsi, bfi;
        json_t *bs_, *bf;
        json_array_foreach(json_object_get(baseline, "series"), bsi, bs_)
            json_array_foreach(json_object_get(bs_, "findings"), bfi, bf) {
            if (strcmp(json_string_value(json_object_get(bf, "type")), type) == 0 &&
                strcmp(json_string_value(json_object_get(bs_, "run")), run) == 0 &&
                point_dist(json_object_get(bf, "point"), json_object_get(f, "point")) < 5.0)
                hit = bf;
        }
        json_t *fid = json_object_get(f, "id");
        if (hit) {
            json_array_append(kept, fid);
            json_array_append(matched, json_object_get(hit, "id"));
        } else {
            json_array_append(fresh, fid);
        }
    }
    json_array_foreach(json_object_get(baseline, "series"), si, s)
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
        const char *bid = json_string_value(json_object_get(f, "id"));
        bool was_matched = false;
        size_t k;
        json_t *m;
        json_array_foreach(matched, k, m) if (strcmp(json_string_value(m), bid) == 0) was_matched =
            true;
        if (!was_matched) {
            char ref[40];
            snprintf(ref, sizeof ref, "baseline:%s", bid);
            json_array_append_new(gone, json_string(ref));
        }
    }
    json_decref(matched);
    json_object_set_new(c, "findings_new", fresh);
    json_object_set_new(c, "findings_resolved", gone);
    json_object_set_new(c, "findings_persisting", kept);
    return c;
}

/* ---- the document ------------------------------------------------------------------------- */

static json_t *wound_json(const ph_study *st)
{
    json_t *w = json_array();
    for (int i = 0; i < st->n_wound; i++)
        json_array_append_new(w, json_string(pdva_venosome_id((pdva_venosome)st->wound[i])));
    return w;
}

json_t *ph_truth_build(const ph_study *st, const ph_conc *conc, const ph_run_truth *rt,
                       const json_t *baseline, const char *version)
{
    build_state bs = {st, 1, 1, json_array(), NULL, false};
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string("pdva-report/1"));
    json_t *an = json_object();
    json_object_set_new(an, "name", json_string("pdva-phantom (ground truth)"));
    json_object_set_new(an, "version", json_string(version));
    json_object_set_new(doc, "analyzer", an);
    json_t *study = json_object();
    json_object_set_new(study, "study_instance_uid", json_string(st->study_uid));
    json_object_set_new(study, "patient_id", json_string(st->patient_id));
    json_object_set_new(study, "study_date", json_string(st->study_date));
    char lat[2] = {st->laterality, 0};
    json_object_set_new(study, "laterality", json_string(lat));
    json_object_set_new(doc, "study", study);
    json_t *ctx = json_object();
    json_object_set_new(ctx, "wound_venosomes", wound_json(st));
    /* echo the context the study comes with (context.json), as a report would */
    json_object_set_new(ctx, "baseline_report", st->followup.is_control
                                                    ? json_string(PH_BASELINE_REPORT_PATH)
                                                    : json_null());
    json_object_set_new(doc, "context", ctx);
    json_t *series = json_array();
    for (size_t i = 0; i < st->n_runs; i++)
        json_array_append_new(series, series_json(&bs, &st->runs[i], &conc[i], &rt[i]));
    json_object_set_new(doc, "series", series);
    json_object_set_new(doc, "alerts", bs.alerts);
    json_t *meta = json_object();
    json_object_set_new(meta, "scenario", json_string(st->scenario));
    json_object_set_new(meta, "seed", json_integer((json_int_t)st->seed));
    json_object_set_new(meta, "encoding", json_string(pdva_encoding_name(st->encoding)));
    json_object_set_new(meta, "arterialization_flow_ml_min", num(st->arterialization_flow_ml_min));
    json_object_set_new(meta, "low_flow_threshold_ml_min", num(LOW_FLOW_ML_MIN));
    json_object_set_new(meta, "calibre_mismatch_ratio", num(CALIBRE_MISMATCH_RATIO));
    json_object_set_new(doc, "truth", meta);
    if (st->followup.is_control && baseline)
        json_object_set_new(doc, "comparison", comparison_json(st, doc, baseline));
    else
        json_object_set_new(doc, "comparison", json_null());
    return doc;
}

json_t *ph_context_build(const ph_study *st, const char *baseline_report)
{
    json_t *ctx = json_object();
    json_object_set_new(ctx, "wound_venosomes", wound_json(st));
    char lat[2] = {st->laterality, 0};
    json_object_set_new(ctx, "laterality", json_string(lat));
    json_object_set_new(ctx, "baseline_report",
                        baseline_report ? json_string(baseline_report) : json_null());
    json_object_set_new(ctx, "note",
                        json_string("Given by the clinician: the venosome(s) of the wound."));
    return ctx;
}
