/* compare.c — the follow-up comparison: the control's report against the baseline's, findings
 * matched by type, run and place (the same patient, re-imaged weeks later: positions agree to a
 * centimetre when the runs are taken the same way; docs/methods.md states the limit).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin/lib/internal.h"

#define MATCH_MM 10.0
#define MATCH_PX 30.0

static int days_from_civil(int y, int m, int d)
{
    /* days since 1970-01-01 (Howard Hinnant's algorithm) */
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool parse_date(const char *s, int *days)
{
    int y, m, d;
    if (!s || strlen(s) != 8 || sscanf(s, "%4d%2d%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* Worst donor restenosis of a report: NAN without an analyzed leg run, 0 when the donor is
 * clean. */
static double worst_donor(const json_t *doc)
{
    double worst = NAN;
    size_t si;
    json_t *s;
    json_array_foreach(json_object_get(doc, "series"), si, s) {
        if (strcmp(str(s, "status"), "analyzed") != 0 || strcmp(str(s, "run"), "leg") != 0)
            continue;
        if (!isfinite(worst) && json_is_object(json_object_get(s, "av_connection")))
            worst = 0.0;
        size_t fi;
        json_t *f;
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
            if (strcmp(str(f, "type"), "donor_restenosis") != 0)
                continue;
            double p = json_number_value(json_object_get(f, "diameter_stenosis_pct"));
            worst = isfinite(worst) ? fmax(worst, p) : p;
        }
    }
    return worst;
}

/* The arterialization flow of a report: the leg run's, else a foot run's. */
static double report_flow(const json_t *doc)
{
    double leg = NAN, foot = NAN;
    size_t si;
    json_t *s;
    json_array_foreach(json_object_get(doc, "series"), si, s) {
        json_t *q = json_object_get(s, "arterialization_flow_ml_min");
        if (!json_is_number(q))
            continue;
        if (strcmp(str(s, "run"), "leg") == 0 && !isfinite(leg))
            leg = json_number_value(q);
        else if (!isfinite(foot))
            foot = json_number_value(q);
    }
    return isfinite(leg) ? leg : foot;
}

static json_t *pair(double a, double b)
{
    if (!isfinite(a) && !isfinite(b))
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "baseline", isfinite(a) ? json_real(round(a * 10) / 10) : json_null());
    json_object_set_new(o, "followup", isfinite(b) ? json_real(round(b * 10) / 10) : json_null());
    return o;
}

/* Distance between two findings in mm when both series know their spacing, else pixels. */
static double finding_distance(const json_t *sa, const json_t *fa, const json_t *sb,
                               const json_t *fb, double *limit)
{
    const json_t *pa = json_object_get(fa, "point"), *pb = json_object_get(fb, "point");
    const json_t *ma = json_object_get(sa, "pixel_spacing_mm");
    const json_t *mb = json_object_get(sb, "pixel_spacing_mm");
    double ka = json_is_array(ma) ? json_number_value(json_array_get(ma, 0)) : NAN;
    double kb = json_is_array(mb) ? json_number_value(json_array_get(mb, 0)) : NAN;
    double ax = json_number_value(json_array_get(pa, 0)), ay = json_number_value(json_array_get(pa, 1));
    double bx = json_number_value(json_array_get(pb, 0)), by = json_number_value(json_array_get(pb, 1));
    if (isfinite(ka) && isfinite(kb)) {
        *limit = MATCH_MM;
        return hypot(ax * ka - bx * kb, ay * ka - by * kb);
    }
    *limit = MATCH_PX;
    return hypot(ax - bx, ay - by);
}

json_t *pdva_compare_build(const study_analysis *sa, const json_t *report)
{
    const json_t *base = sa->baseline;
    if (!base)
        return NULL;
    json_t *c = json_object();
    const char *buid = str(json_object_get(base, "study"), "study_instance_uid");
    json_object_set_new(c, "baseline_study_instance_uid",
                        pdva_uid_is_valid(buid) ? json_string(buid) : json_null());
    int d0, d1;
    bool dates = parse_date(str(json_object_get(base, "study"), "study_date"), &d0) &&
                 parse_date(sa->study_date, &d1);
    json_object_set_new(c, "interval_days", dates ? json_integer(d1 - d0) : json_null());
    json_object_set_new(c, "donor_stenosis_pct", pair(worst_donor(base), worst_donor(report)));
    json_object_set_new(c, "arterialization_flow_ml_min", pair(report_flow(base), report_flow(report)));
    json_t *fresh = json_array(), *gone = json_array(), *kept = json_array();
    json_t *used = json_object(); /* baseline ids already matched */
    size_t si, fi;
    json_t *s, *f;
    json_array_foreach(json_object_get(report, "series"), si, s) {
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
            const json_t *best = NULL;
            double best_d = INFINITY;
            size_t bsi, bfi;
            json_t *bs, *bf;
            json_array_foreach(json_object_get(base, "series"), bsi, bs) {
                if (strcmp(str(bs, "run"), str(s, "run")) != 0)
                    continue;
                json_array_foreach(json_object_get(bs, "findings"), bfi, bf) {
                    if (strcmp(str(bf, "type"), str(f, "type")) != 0 ||
                        json_object_get(used, str(bf, "id")))
                        continue;
                    double limit;
                    double d = finding_distance(s, f, bs, bf, &limit);
                    if (d <= limit && d < best_d) {
                        best_d = d;
                        best = bf;
                    }
                }
            }
            if (best) {
                json_object_set_new(used, str(best, "id"), json_true());
                json_array_append_new(kept, json_string(str(f, "id")));
            } else {
                json_array_append_new(fresh, json_string(str(f, "id")));
            }
        }
    }
    json_array_foreach(json_object_get(base, "series"), si, s) {
        json_array_foreach(json_object_get(s, "findings"), fi, f) {
            if (json_object_get(used, str(f, "id")))
                continue;
            char ref[64];
            snprintf(ref, sizeof ref, "baseline:%s", str(f, "id"));
            json_array_append_new(gone, json_string(ref));
        }
    }
    json_decref(used);
    json_object_set_new(c, "findings_new", fresh);
    json_object_set_new(c, "findings_resolved", gone);
    json_object_set_new(c, "findings_persisting", kept);
    return c;
}
