/* report_json.c — the report document (docs/report.md, schema "pdva-report/1") from the analyzed
 * series of a study: ids, every field of the contract (null where nothing was measured), the
 * study-level low-flow finding, and the alerts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "core/venosome_atlas.h"
#include "plugin/lib/internal.h"

bool pdva_uid_is_valid(const char *uid)
{
    size_t n = strlen(uid);
    if (n == 0 || n > 64 || uid[0] == '.' || uid[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = uid[i];
        if (c == '.') {
            if (uid[i + 1] == '.')
                return false;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

/* A number rounded to `decimals`, or null when not finite. */
static json_t *num(double v, int decimals)
{
    if (!isfinite(v))
        return json_null();
    double f = pow(10.0, decimals);
    return json_real(round(v * f) / f);
}

static json_t *nonneg(double v, int decimals)
{
    return isfinite(v) ? num(v < 0.0 ? 0.0 : v, decimals) : json_null();
}

static json_t *pct(double v)
{
    return isfinite(v) ? num(fmin(100.0, fmax(0.0, v)), 1) : json_null();
}

static json_t *point(pdva_vec2 p, const series_entry *s)
{
    double w = s->info.columns, h = s->info.rows;
    json_t *a = json_array();
    json_array_append_new(a, num(fmin(fmax(p.x, 0.0), w), 2));
    json_array_append_new(a, num(fmin(fmax(p.y, 0.0), h), 2));
    return a;
}

static const char *run_name(pdva_run_kind run)
{
    return run == PDVA_RUN_LEG ? "leg" : run == PDVA_RUN_FOOT ? "foot" : "unknown";
}

static const char *status_name(pdva_series_status s)
{
    return s == PDVA_SERIES_ANALYZED ? "analyzed"
           : s == PDVA_SERIES_NOT_APPLICABLE ? "not_applicable"
                                             : "error";
}

typedef struct id_counters {
    int next_vessel;
    int next_finding;
} id_counters;

static json_t *curve_fields(json_t *o, const pdva_curve_params *c)
{
    json_object_set_new(o, "arrival_time_s", c->valid ? nonneg(c->arrival_time_s, 3) : json_null());
    json_object_set_new(o, "time_to_peak_s", c->valid ? nonneg(c->peak_time_s, 3) : json_null());
    json_object_set_new(o, "peak_height", c->valid ? num(c->peak_height, 5) : json_null());
    json_object_set_new(o, "auc", c->valid ? num(c->auc, 5) : json_null());
    json_object_set_new(o, "mean_transit_time_s",
                        c->valid ? nonneg(c->mean_transit_time_s, 3) : json_null());
    return o;
}

static void alert(json_t *alerts, const char *severity, const char *ref, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void alert(json_t *alerts, const char *severity, const char *ref, const char *fmt, ...)
{
    char text[512], clean[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pdva_sanitize_utf8(clean, sizeof clean, text, sizeof text);
    json_t *a = json_object();
    json_object_set_new(a, "severity", json_string(severity));
    json_object_set_new(a, "finding_ref", ref ? json_string(ref) : json_null());
    json_object_set_new(a, "text", json_string(clean[0] ? clean : "(no text)"));
    json_array_append_new(alerts, a);
}

static const char *site_name(pdva_conduit_site s)
{
    return s == PDVA_SITE_FLEXOR_RETINACULUM ? "flexor_retinaculum"
           : s == PDVA_SITE_STENT            ? "stent"
                                             : "other";
}

static const char *drains_name(int d)
{
    if (d == PDVA_DRAINS_SYSTEMIC)
        return "systemic";
    return d >= 0 ? pdva_venosome_id((pdva_venosome)d) : NULL;
}

/* One finding; its id into id_out. Alerts for what needs action. */
static json_t *finding_json(const pdva_finding_result *f, const series_entry *s,
                            json_t *vessel_ids, id_counters *ids, json_t *alerts, char id_out[16])
{
    snprintf(id_out, 16, "F%d", ids->next_finding++);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id_out));
    json_object_set_new(o, "type", json_string(pdva_finding_type_name(f->type)));
    json_object_set_new(o, "point", point(f->point, s));
    json_object_set_new(o, "confidence", num(fmin(1.0, fmax(0.0, f->confidence)), 2));
    json_t *vid = f->vessel >= 0 ? json_array_get(vessel_ids, (size_t)f->vessel) : NULL;
    const char *run = run_name(s->result.run);
    switch (f->type) {
    case PDVA_FINDING_RESIDUAL_VALVE:
        json_object_set_new(o, "vessel_id", vid ? json_copy(vid) : json_string(""));
        json_object_set_new(o, "diameter_reduction_pct", pct(f->stenosis_pct));
        json_object_set_new(o, "transit_delay_s", num(f->transit_delay_s, 2));
        alert(alerts, "info", id_out,
              "Residual competent valve (%.0f %% narrowing%s) in an arterialized vein of the %s: "
              "venoplasty to consider",
              f->stenosis_pct,
              isfinite(f->transit_delay_s) && f->transit_delay_s >= 0.2 ? " with contrast hold-up"
                                                                          : "",
              run);
        break;
    case PDVA_FINDING_DONOR_RESTENOSIS:
    case PDVA_FINDING_CONDUIT_STENOSIS:
        if (f->type == PDVA_FINDING_CONDUIT_STENOSIS)
            json_object_set_new(o, "vessel_id", vid ? json_copy(vid) : json_string(""));
        else if (vid)
            json_object_set_new(o, "vessel_id", json_copy(vid));
        json_object_set_new(o, "diameter_stenosis_pct", pct(f->stenosis_pct));
        json_object_set_new(o, "minimal_lumen_diameter_mm", nonneg(f->minimal_lumen_mm, 2));
        json_object_set_new(o, "reference_diameter_mm", nonneg(f->reference_mm, 2));
        json_object_set_new(o, "lesion_length_mm", nonneg(f->lesion_length_mm, 1));
        if (f->type == PDVA_FINDING_CONDUIT_STENOSIS) {
            json_object_set_new(o, "site", json_string(site_name(f->site)));
            if (f->stenosis_pct >= 50.0)
                alert(alerts, "critical", id_out, "Conduit stenosis of %.0f %% (%s)",
                      f->stenosis_pct,
                      f->site == PDVA_SITE_FLEXOR_RETINACULUM ? "under the flexor retinaculum"
                                                              : "in the stent");
        } else {
            json_object_set_new(o, "at_av_connection", json_boolean(f->at_av_connection));
            if (f->stenosis_pct >= 50.0)
                alert(alerts, "critical", id_out, "%s restenosis of %.0f %% diameter stenosis",
                      f->at_av_connection ? "AV connection" : "Donor artery", f->stenosis_pct);
        }
        break;
    case PDVA_FINDING_COLLATERAL: {
        const char *to = drains_name(f->drains_to);
        json_object_set_new(o, "vessel_id", vid ? json_copy(vid) : json_string(""));
        json_object_set_new(o, "drains_to", to ? json_string(to) : json_null());
        json_object_set_new(o, "flow_fraction",
                            isfinite(f->flow_fraction) ? num(fmin(1.0, fmax(0.0, f->flow_fraction)), 3)
                                                       : json_null());
        json_object_set_new(o, "embolize", json_boolean(f->embolize));
        json_object_set_new(o, "rationale", json_string(f->rationale));
        if (f->embolize)
            alert(alerts, "info", id_out, "Collateral to embolize: %s", f->rationale);
        break;
    }
    case PDVA_FINDING_LOW_FLOW:
        json_object_set_new(o, "flow_ml_min", nonneg(f->flow_ml_min, 0));
        alert(alerts, "critical", id_out,
              "Arterialization flow %.0f ml/min, below the %.0f ml/min the technique needs",
              f->flow_ml_min, PDVA_LOW_FLOW_ML_MIN);
        break;
    case PDVA_FINDING_CALIBRE_MISMATCH:
        json_object_set_new(o, "artery_diameter_mm", nonneg(f->artery_mm, 2));
        json_object_set_new(o, "vein_diameter_mm", nonneg(f->vein_mm, 2));
        json_object_set_new(o, "ratio", nonneg(f->ratio, 2));
        alert(alerts, "warning", id_out,
              "Donor artery much narrower than the venous conduit (ratio %.2f): turbulent flow, "
              "risk of restenosis and occlusion",
              f->ratio);
        break;
    case PDVA_FINDING_OCCLUSION:
        json_object_set_new(o, "vessel_id", vid ? json_copy(vid) : json_string(""));
        json_object_set_new(o, "distal_filling",
                            json_string(f->distal_via_collaterals ? "via_collaterals" : "none"));
        alert(alerts, "critical", id_out,
              f->distal_via_collaterals
                  ? "Occlusion of the arterialized conduit (%s run); the territory beyond fills "
                    "late through collaterals"
                  : "Occlusion of the arterialized conduit (%s run); nothing fills beyond it",
              run);
        break;
    }
    return o;
}

static json_t *vessels_json(const series_entry *s, id_counters *ids, json_t *vessel_ids)
{
    json_t *arr = json_array();
    const pdva_series_result *r = &s->result;
    for (size_t i = 0; i < r->n_vessels; i++) {
        char id[16];
        snprintf(id, sizeof id, "V%d", ids->next_vessel++);
        json_array_append_new(vessel_ids, json_string(id));
    }
    for (size_t i = 0; i < r->n_vessels; i++) {
        const pdva_vessel_result *v = &r->vessels[i];
        json_t *o = json_object();
        json_object_set(o, "id", json_array_get(vessel_ids, i));
        json_object_set_new(o, "kind", json_string(pdva_vessel_kind_name(v->kind)));
        json_object_set_new(o, "role", json_string(v->role));
        json_t *cl = json_array(), *dm = json_array();
        for (size_t k = 0; k < v->n; k++) {
            json_array_append_new(cl, point(v->points[k], s));
            json_array_append_new(dm, nonneg(v->diameter_mm[k], 2));
        }
        json_object_set_new(o, "centerline", cl);
        json_object_set_new(o, "diameter_mm", dm);
        json_object_set_new(o, "arrival_time_s", nonneg(v->arrival_time_s, 3));
        json_object_set_new(o, "parent_id",
                            v->parent >= 0 ? json_copy(json_array_get(vessel_ids, (size_t)v->parent))
                                           : json_null());
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *venosomes_json(const series_entry *s)
{
    json_t *arr = json_array();
    const pdva_series_result *r = &s->result;
    for (size_t i = 0; i < r->n_venosomes; i++) {
        const pdva_venosome_result *v = &r->venosomes[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(pdva_venosome_id(v->id)));
        json_t *poly = json_array();
        for (size_t k = 0; k < v->n; k++)
            json_array_append_new(poly, point(v->polygon[k], s));
        json_object_set_new(o, "polygon", poly);
        curve_fields(o, &v->curve);
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *string_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* The series that speaks for the arterialization's flow: the leg run (it shows the AV
 * connection), else a foot run. */
static int flow_reference(const study_analysis *sa)
{
    int best = -1;
    for (size_t i = 0; i < sa->n_series; i++) {
        const series_entry *s = &sa->series[i];
        if (!s->analyzed || !isfinite(s->flow_ml_min))
            continue;
        if (best < 0 || (s->result.run == PDVA_RUN_LEG &&
                         sa->series[best].result.run != PDVA_RUN_LEG))
            best = (int)i;
    }
    return best;
}

static json_t *series_json(const study_analysis *sa, size_t index, id_counters *ids, json_t *alerts,
                           int flow_ref)
{
    const series_entry *s = &sa->series[index];
    const pdva_series_info *in = &s->info;
    const pdva_series_result *r = &s->result;
    bool analyzed = s->analyzed && s->status == PDVA_SERIES_ANALYZED;
    json_t *o = json_object();
    json_object_set_new(o, "series_instance_uid",
                        pdva_uid_is_valid(s->uid) ? json_string(s->uid) : json_null());
    json_object_set_new(o, "status", json_string(status_name(s->status)));
    json_object_set_new(o, "reason", string_or_null(s->reason));
    json_object_set_new(o, "rows", s->have_info && in->rows ? json_integer(in->rows) : json_null());
    json_object_set_new(o, "columns",
                        s->have_info && in->columns ? json_integer(in->columns) : json_null());
    json_object_set_new(o, "frames",
                        s->have_info && in->frames ? json_integer(in->frames) : json_null());
    json_t *times = json_array();
    if (s->have_info && s->frame_times)
        for (uint32_t f = 0; f < in->frames; f++)
            json_array_append_new(times, nonneg(s->frame_times[f], 4));
    json_object_set_new(o, "frame_times_s", times);
    bool spacing = s->have_info && in->spacing_source != PDVA_SPACING_UNKNOWN;
    if (spacing) {
        json_t *ps = json_array();
        json_array_append_new(ps, num(in->pixel_spacing_mm[0], 5));
        json_array_append_new(ps, num(in->pixel_spacing_mm[1], 5));
        json_object_set_new(o, "pixel_spacing_mm", ps);
    } else {
        json_object_set_new(o, "pixel_spacing_mm", json_null());
    }
    json_object_set_new(o, "spacing_source",
                        json_string(s->have_info ? pdva_spacing_source_report_name(in->spacing_source)
                                                 : "unknown"));
    json_object_set_new(o, "mask_frame",
                        analyzed && r->mask_known ? json_integer(r->mask_frame) : json_null());
    if (analyzed && r->has_inflow) {
        json_t *inflow = json_object();
        json_object_set_new(inflow, "arrival_time_s", nonneg(r->inflow.arrival_time_s, 3));
        json_object_set_new(inflow, "peak_time_s", nonneg(r->inflow.peak_time_s, 3));
        json_object_set_new(o, "inflow", inflow);
    } else {
        json_object_set_new(o, "inflow", json_null());
    }
    if (analyzed && r->has_av_connection) {
        json_t *av = json_object();
        json_object_set_new(av, "point", point(r->av_connection, s));
        json_object_set_new(av, "confidence", num(fmin(1.0, fmax(0.0, r->av_confidence)), 2));
        json_object_set_new(o, "av_connection", av);
    } else {
        json_object_set_new(o, "av_connection", json_null());
    }
    json_object_set_new(o, "arterialization_flow_ml_min",
                        analyzed ? nonneg(s->flow_ml_min, 0) : json_null());
    json_t *vessel_ids = json_array();
    json_object_set_new(o, "vessels", analyzed ? vessels_json(s, ids, vessel_ids) : json_array());
    json_object_set_new(o, "venosomes", analyzed ? venosomes_json(s) : json_array());
    json_t *findings = json_array();
    if (analyzed) {
        char id[16];
        for (size_t i = 0; i < r->n_findings; i++)
            json_array_append_new(findings, finding_json(&r->findings[i], s, vessel_ids, ids,
                                                         alerts, id));
        if ((int)index == flow_ref && s->flow_ml_min < PDVA_LOW_FLOW_ML_MIN) {
            pdva_finding_result lf;
            memset(&lf, 0, sizeof lf);
            lf.type = PDVA_FINDING_LOW_FLOW;
            lf.point = s->flow_point;
            lf.confidence = 0.8;
            lf.vessel = -1;
            lf.flow_ml_min = s->flow_ml_min;
            json_array_append_new(findings, finding_json(&lf, s, vessel_ids, ids, alerts, id));
        }
    }
    json_object_set_new(o, "findings", findings);
    json_decref(vessel_ids);

    /* what else a reader of the report should know: extra fields */
    json_object_set_new(o, "run", json_string(analyzed ? run_name(r->run) : "unknown"));
    if (s->have_info) {
        json_object_set_new(o, "modality", string_or_null(in->modality));
        json_object_set_new(o, "image_type", json_string(pdva_image_kind_name(in->kind)));
        json_object_set_new(o, "series_description", string_or_null(in->series_description));
        json_object_set_new(o, "transfer_syntax_uid", string_or_null(in->transfer_syntax_uid));
        json_object_set_new(o, "lossy_compression", json_boolean(in->lossy_compression));
        json_object_set_new(o, "timing_source",
                            json_string(pdva_timing_source_name(in->timing_source)));
        json_object_set_new(o, "spacing_detail",
                            json_string(pdva_spacing_source_description(in->spacing_source)));
    }
    if (analyzed) {
        json_object_set_new(o, "conduit_velocity_mm_s",
                            spacing ? nonneg(r->conduit_velocity_mm_s, 1) : json_null());
        json_object_set_new(o, "max_motion_px", num(r->max_motion_px, 2));
    }
    if (analyzed && s->maps[0].written) {
        json_t *maps = json_object();
        for (int k = 0; k < PDVA_MAP_COUNT; k++) {
            json_t *m = json_object();
            json_object_set_new(m, "file", json_string(s->maps[k].relative_path));
            json_object_set_new(m, "low", num(s->maps[k].low, 4));
            json_object_set_new(m, "high", num(s->maps[k].high, 4));
            json_object_set_new(maps, pdva_map_name((pdva_map_kind)k), m);
        }
        json_object_set_new(o, "parametric_maps", maps);
    }
    json_t *notes = json_array();
    for (size_t i = 0; i < r->n_notes; i++)
        json_array_append_new(notes, json_string(r->notes[i]));
    json_object_set_new(o, "notes", notes);

    /* warnings for what limits this series' analysis */
    const char *label = s->have_info && in->series_description[0] ? in->series_description
                                                                   : "series";
    if (s->status == PDVA_SERIES_ERROR)
        alert(alerts, "warning", NULL, "Series %zu (%s) could not be read: %s", index + 1, label,
              s->reason);
    else if (s->status == PDVA_SERIES_NOT_APPLICABLE)
        alert(alerts, "info", NULL, "Series %zu (%s) not analyzed: %s", index + 1, label,
              s->reason);
    if (analyzed) {
        if (!spacing)
            alert(alerts, "warning", NULL,
                  "Series %zu: pixel spacing unknown (%s), so no diameter in mm and no flow in "
                  "ml/min",
                  index + 1, pdva_spacing_source_description(in->spacing_source));
        if (in->lossy_compression)
            alert(alerts, "warning", NULL,
                  "Series %zu is lossy compressed (%s): small vessels and diameters are less "
                  "reliable",
                  index + 1, in->transfer_syntax_name);
        if (r->max_motion_px > 1.0)
            alert(alerts, "warning", NULL,
                  "Series %zu: patient motion of %.1f pixels was corrected; check subtraction "
                  "artefacts",
                  index + 1, r->max_motion_px);
        if (in->frames < 10)
            alert(alerts, "warning", NULL,
                  "Series %zu has only %u frames: transit times are coarse", index + 1,
                  in->frames);
        if (in->timing_suspect)
            alert(alerts, "warning", NULL, "Series %zu: %s", index + 1, in->timing_note);
        if (r->run == PDVA_RUN_LEG && !r->has_av_connection)
            alert(alerts, "warning", NULL,
                  "Series %zu (leg): the AV connection was not found, so the donor artery was "
                  "not measured",
                  index + 1);
    }
    return o;
}

json_t *pdva_report_build(const study_analysis *sa, pdva_error **err)
{
    json_t *doc = json_object();
    if (!doc) {
        pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the report");
        return NULL;
    }
    json_object_set_new(doc, "schema", json_string("pdva-report/1"));
    json_t *an = json_object();
    json_object_set_new(an, "name", json_string("pdva"));
    json_object_set_new(an, "version", json_string(pdva_version_string()));
    json_object_set_new(doc, "analyzer", an);
    json_t *study = json_object();
    json_object_set_new(study, "study_instance_uid",
                        pdva_uid_is_valid(sa->study_uid) ? json_string(sa->study_uid) : json_null());
    json_object_set_new(study, "patient_id", string_or_null(sa->patient_id));
    bool date_ok = strlen(sa->study_date) == 8;
    for (size_t i = 0; i < 8 && date_ok; i++)
        date_ok = sa->study_date[i] >= '0' && sa->study_date[i] <= '9';
    json_object_set_new(study, "study_date", date_ok ? json_string(sa->study_date) : json_null());
    char lat[2] = {sa->laterality, 0};
    json_object_set_new(study, "laterality",
                        sa->laterality == 'L' || sa->laterality == 'R' ? json_string(lat)
                                                                       : json_null());
    json_object_set_new(doc, "study", study);
    json_t *ctx = json_object();
    json_t *wound = json_array();
    for (size_t i = 0; i < sa->n_wound; i++)
        json_array_append_new(wound, json_string(pdva_venosome_id((pdva_venosome)sa->wound[i])));
    json_object_set_new(ctx, "wound_venosomes", wound);
    json_object_set_new(ctx, "baseline_report", string_or_null(sa->baseline_ref));
    json_object_set_new(doc, "context", ctx);
    json_t *alerts = json_array();
    json_t *series = json_array();
    id_counters ids = {1, 1};
    int flow_ref = flow_reference(sa);
    for (size_t i = 0; i < sa->n_series; i++)
        json_array_append_new(series, series_json(sa, i, &ids, alerts, flow_ref));
    json_object_set_new(doc, "series", series);
    if (sa->n_wound == 0)
        alert(alerts, "info", NULL,
              "No wound venosome given: every collateral leaving the conduit is marked to "
              "embolize; give the wound's venosome to keep those that feed it");
    if (sa->other_studies)
        alert(alerts, "warning", NULL,
              "%zu angiographic series belong to another study and were not analyzed with this "
              "one: analyze each study on its own",
              sa->other_studies);
    if (sa->ignored_files)
        alert(alerts, "info", NULL, "%zu input file(s) are not DICOM and were skipped",
              sa->ignored_files);
    json_object_set_new(doc, "alerts", alerts);
    json_t *cmp = pdva_compare_build(sa, doc);
    json_object_set_new(doc, "comparison", cmp ? cmp : json_null());
    /* order alerts: critical first, then warnings, then information */
    json_t *sorted = json_array();
    static const char *const order[] = {"critical", "warning", "info"};
    for (int k = 0; k < 3; k++) {
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a) if (strcmp(json_string_value(json_object_get(a, "severity")),
                                                    order[k]) == 0) json_array_append(sorted, a);
    }
    json_object_set_new(doc, "alerts", sorted);
    return doc;
}
