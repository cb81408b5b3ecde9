/* summary.c — the short text a clinician reads first: per run what was found, the flow, and the
 * alerts, built from the report itself so that the two always agree.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "plugin/lib/internal.h"

typedef struct text {
    char *buf;
    size_t len, cap;
    bool failed;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 1024) + (size_t)n;
        char *nb = pdva_realloc_array(t->buf, cap, 1);
        if (!nb) {
            t->failed = true;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

static const char *s_of(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static double n_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void mm(text *t, const char *label, double v)
{
    if (isfinite(v))
        add(t, "%s %.1f mm", label, v);
    else
        add(t, "%s n/a", label);
}

static void finding_line(text *t, const json_t *f)
{
    const char *type = s_of(f, "type");
    add(t, "    - ");
    if (strcmp(type, "residual_valve") == 0) {
        add(t, "residual valve: %.0f %% narrowing", n_of(f, "diameter_reduction_pct"));
        if (isfinite(n_of(f, "transit_delay_s")))
            add(t, ", contrast held up %.1f s", n_of(f, "transit_delay_s"));
    } else if (strcmp(type, "donor_restenosis") == 0 || strcmp(type, "conduit_stenosis") == 0) {
        bool donor = type[0] == 'd';
        const char *where = donor ? (json_is_true(json_object_get(f, "at_av_connection"))
                                         ? "AV connection restenosis"
                                         : "donor artery restenosis")
                                  : "conduit stenosis";
        add(t, "%s: %.0f %% (", where, n_of(f, "diameter_stenosis_pct"));
        mm(t, "MLD", n_of(f, "minimal_lumen_diameter_mm"));
        add(t, ", ");
        mm(t, "reference", n_of(f, "reference_diameter_mm"));
        add(t, ")");
        if (!donor)
            add(t, " at the %s", strcmp(s_of(f, "site"), "flexor_retinaculum") == 0
                                     ? "flexor retinaculum"
                                     : s_of(f, "site"));
    } else if (strcmp(type, "collateral") == 0) {
        const json_t *to = json_object_get(f, "drains_to");
        add(t, "collateral to %s", json_is_string(to) ? json_string_value(to) : "an unknown territory");
        if (isfinite(n_of(f, "flow_fraction")))
            add(t, ", %.0f %% of the flow", 100.0 * n_of(f, "flow_fraction"));
        add(t, json_is_true(json_object_get(f, "embolize")) ? ": EMBOLIZE" : ": keep");
    } else if (strcmp(type, "low_flow") == 0) {
        add(t, "LOW FLOW: %.0f ml/min (< 300)", n_of(f, "flow_ml_min"));
    } else if (strcmp(type, "calibre_mismatch") == 0) {
        add(t, "calibre mismatch: donor/conduit ratio %.2f", n_of(f, "ratio"));
    } else if (strcmp(type, "occlusion") == 0) {
        add(t, "OCCLUSION of the conduit; %s",
            strcmp(s_of(f, "distal_filling"), "none") == 0 ? "nothing fills beyond"
                                                           : "fills late through collaterals");
    } else {
        add(t, "%s", type);
    }
    add(t, " [%s]\n", s_of(f, "id"));
}

char *pdva_summary_build(const json_t *doc)
{
    text t = {NULL, 0, 0, false};
    const json_t *study = json_object_get(doc, "study");
    const char *lat = s_of(study, "laterality");
    add(&t, "pdva %s - study of %s%s%s\n", s_of(json_object_get(doc, "analyzer"), "version"),
        s_of(study, "study_date")[0] ? s_of(study, "study_date") : "unknown date",
        lat[0] ? ", " : "", lat[0] == 'L' ? "left" : lat[0] == 'R' ? "right" : "");
    size_t i;
    json_t *v;
    const json_t *wound = json_object_get(json_object_get(doc, "context"), "wound_venosomes");
    if (json_array_size(wound)) {
        add(&t, "Wound venosome:");
        json_array_foreach(wound, i, v) add(&t, " %s", json_string_value(v));
        add(&t, "\n");
    }
    json_t *s;
    json_array_foreach(json_object_get(doc, "series"), i, s) {
        add(&t, "Series %zu", i + 1);
        const char *run = s_of(s, "run");
        if (strcmp(run, "unknown") != 0)
            add(&t, " (%s run)", run);
        add(&t, ": %s", s_of(s, "status"));
        if (json_is_integer(json_object_get(s, "frames")))
            add(&t, ", %lld frames", (long long)json_integer_value(json_object_get(s, "frames")));
        const json_t *ps = json_object_get(s, "pixel_spacing_mm");
        if (json_is_array(ps))
            add(&t, ", %.3f mm/pixel (%s)", json_number_value(json_array_get(ps, 0)),
                s_of(s, "spacing_source"));
        else if (strcmp(s_of(s, "status"), "analyzed") == 0)
            add(&t, ", spacing unknown");
        add(&t, "\n");
        if (strcmp(s_of(s, "status"), "analyzed") != 0) {
            add(&t, "    %s\n", s_of(s, "reason"));
            continue;
        }
        if (json_is_object(json_object_get(s, "av_connection")))
            add(&t, "    AV connection found\n");
        double q = n_of(s, "arterialization_flow_ml_min");
        if (isfinite(q))
            add(&t, "    arterialization flow %.0f ml/min\n", q);
        size_t fi;
        json_t *f;
        size_t n = json_array_size(json_object_get(s, "findings"));
        if (!n)
            add(&t, "    no finding\n");
        json_array_foreach(json_object_get(s, "findings"), fi, f) finding_line(&t, f);
    }
    const json_t *cmp = json_object_get(doc, "comparison");
    if (json_is_object(cmp)) {
        add(&t, "Since the baseline");
        if (json_is_integer(json_object_get(cmp, "interval_days")))
            add(&t, " (%lld days)", (long long)json_integer_value(json_object_get(cmp, "interval_days")));
        add(&t, ": %zu new, %zu resolved, %zu persisting finding(s)\n",
            json_array_size(json_object_get(cmp, "findings_new")),
            json_array_size(json_object_get(cmp, "findings_resolved")),
            json_array_size(json_object_get(cmp, "findings_persisting")));
        const json_t *fl = json_object_get(cmp, "arterialization_flow_ml_min");
        if (json_is_object(fl) && json_is_number(json_object_get(fl, "baseline")) &&
            json_is_number(json_object_get(fl, "followup")))
            add(&t, "    flow %.0f -> %.0f ml/min\n", n_of(fl, "baseline"), n_of(fl, "followup"));
    }
    size_t crit = 0, warn = 0;
    json_array_foreach(json_object_get(doc, "alerts"), i, v) {
        const char *sev = s_of(v, "severity");
        crit += strcmp(sev, "critical") == 0;
        warn += strcmp(sev, "warning") == 0;
    }
    add(&t, "Alerts: %zu critical, %zu warning(s)\n", crit, warn);
    json_array_foreach(json_object_get(doc, "alerts"), i, v) {
        const char *sev = s_of(v, "severity");
        if (strcmp(sev, "info") != 0)
            add(&t, "  %s: %s\n", strcmp(sev, "critical") == 0 ? "CRITICAL" : "warning",
                s_of(v, "text"));
    }
    if (t.failed) {
        pdva_free(t.buf);
        return NULL;
    }
    return t.buf;
}
