/* test_analyze.c — the analyzer through its public interface (pdva.h) on what goes wrong in
 * real acquisitions: a study without contrast, pure noise, a saturated or a blank frame, two
 * frames, a single image, unknown pixel spacing, two studies in one folder. Each must give
 * not_applicable with a reason or a clean partial report, never a made-up finding, and the
 * analysis writes nothing outside the output folder it is given.
 *
 * The studies come from make_studies.sh (pdva-phantom); argv[1] is their folder, argv[2] a
 * scratch folder where every report is also kept for the schema check (check_reports.py).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pdva/pdva.h"

static const char *g_studies;
static const char *g_scratch;

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct analysis {
    pdva_status status;
    pdva_report *report;
    json_t *doc;
} analysis;

static void analyze_into(const char *study, const char *out_dir, analysis *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_studies, study);
    const char *paths[] = {path};
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    o.output_dir = out_dir;
    o.threads = 2;
    pdva_error *err = NULL;
    memset(a, 0, sizeof *a);
    a->status = pdva_analyze(paths, 1, &o, &a->report, &err);
    if (a->status != PDVA_OK) {
        print_message("pdva_analyze(%s): %s\n", study, pdva_error_message(err));
        pdva_error_destroy(err);
        return;
    }
    json_error_t je;
    a->doc = json_loads(pdva_report_json(a->report), JSON_REJECT_DUPLICATES, &je);
    assert_non_null(a->doc);
    /* keep it for the schema check */
    char keep[4096];
    snprintf(keep, sizeof keep, "%s/reports", g_scratch);
    mkdir(keep, 0755);
    snprintf(keep, sizeof keep, "%s/reports/%s.json", g_scratch, study);
    assert_int_equal(pdva_report_write(a->report, keep, NULL), PDVA_OK);
}

static void analyze(const char *study, analysis *a)
{
    analyze_into(study, NULL, a);
}

static void release(analysis *a)
{
    json_decref(a->doc);
    pdva_report_destroy(a->report);
}

static json_t *series_at(const analysis *a, size_t i)
{
    return json_array_get(json_object_get(a->doc, "series"), i);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static size_t count_findings(const analysis *a)
{
    size_t n = 0, i;
    json_t *s;
    json_array_foreach(json_object_get(a->doc, "series"), i, s)
        n += json_array_size(json_object_get(s, "findings"));
    return n;
}

static bool alert_contains(const analysis *a, const char *text)
{
    size_t i;
    json_t *al;
    json_array_foreach(json_object_get(a->doc, "alerts"), i, al)
        if (strstr(str(al, "text"), text))
            return true;
    return false;
}

static bool note_contains(const json_t *series, const char *text)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(series, "notes"), i, n)
        if (strstr(json_string_value(n), text))
            return true;
    return false;
}

/* Every series not analyzed, for a reason containing `why`, and no finding anywhere. */
static void expect_nothing_analyzable(const char *study, const char *why)
{
    analysis a;
    analyze(study, &a);
    assert_int_equal(a.status, PDVA_OK);
    assert_true(pdva_report_series_count(a.report) >= 1);
    assert_int_equal(pdva_report_analyzed_count(a.report), 0);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(a.doc, "series"), i, s) {
        assert_string_equal(str(s, "status"), "not_applicable");
        if (!strstr(str(s, "reason"), why))
            fail_msg("series %zu of %s: reason '%s', expected '%s'", i + 1, study,
                     str(s, "reason"), why);
        assert_true(json_is_null(json_object_get(s, "arterialization_flow_ml_min")));
        assert_int_equal(json_array_size(json_object_get(s, "vessels")), 0);
    }
    assert_int_equal(count_findings(&a), 0);
    /* nothing alarming comes out of nothing */
    assert_int_equal(pdva_report_alert_count(a.report, PDVA_ALERT_CRITICAL), 0);
    release(&a);
}

/* The finding types of a series, sorted, as one string ("donor_restenosis,low_flow"). */
static void finding_types(const json_t *series, char *out, size_t len)
{
    const char *types[64];
    size_t n = 0, i;
    json_t *f;
    json_array_foreach(json_object_get(series, "findings"), i, f)
        if (n < 64)
            types[n++] = str(f, "type");
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && strcmp(types[b - 1], types[b]) > 0; b--) {
            const char *t = types[b];
            types[b] = types[b - 1];
            types[b - 1] = t;
        }
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        strncat(out, types[k], len - strlen(out) - 1);
        if (k + 1 < n)
            strncat(out, ",", len - strlen(out) - 1);
    }
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void test_no_contrast(void **state)
{
    (void)state;
    expect_nothing_analyzable("no-contrast", "no contrast");
}

static void test_pure_noise(void **state)
{
    (void)state;
    expect_nothing_analyzable("noise", "no contrast");
}

static void test_two_frames(void **state)
{
    (void)state;
    expect_nothing_analyzable("two-frames", "too few frames");
}

static void test_one_frame(void **state)
{
    (void)state;
    expect_nothing_analyzable("one-frame", "single frame");
}

/* A saturated or blank frame is left out, said so, and changes nothing else that matters. */
static void expect_same_as_reference(const char *study)
{
    analysis ref, a;
    analyze("reference", &ref);
    analyze(study, &a);
    assert_int_equal(ref.status, PDVA_OK);
    assert_int_equal(a.status, PDVA_OK);
    size_t n = json_array_size(json_object_get(ref.doc, "series"));
    assert_int_equal(json_array_size(json_object_get(a.doc, "series")), n);
    assert_int_equal(pdva_report_analyzed_count(ref.report), n);
    assert_int_equal(pdva_report_analyzed_count(a.report), n);
    for (size_t i = 0; i < n; i++) {
        json_t *rs = series_at(&ref, i), *s = series_at(&a, i);
        assert_true(note_contains(s, "1 saturated or blank frame(s) left out"));
        assert_false(note_contains(rs, "saturated"));
        char t_ref[1024], t[1024];
        finding_types(rs, t_ref, sizeof t_ref);
        finding_types(s, t, sizeof t);
        if (strcmp(t_ref, t) != 0)
            fail_msg("series %zu of %s: findings [%s], reference [%s]", i + 1, study, t, t_ref);
        double q_ref = json_number_value(json_object_get(rs, "arterialization_flow_ml_min"));
        double q = json_number_value(json_object_get(s, "arterialization_flow_ml_min"));
        assert_true(q_ref > 0.0);
        if (fabs(q - q_ref) > 0.1 * q_ref)
            fail_msg("series %zu of %s: flow %.0f ml/min, reference %.0f", i + 1, study, q, q_ref);
        assert_int_equal(json_integer_value(json_object_get(s, "mask_frame")),
                         json_integer_value(json_object_get(rs, "mask_frame")));
    }
    release(&ref);
    release(&a);
}

static void test_saturated_frame(void **state)
{
    (void)state;
    expect_same_as_reference("saturated-frame");
}

static void test_blank_frame(void **state)
{
    (void)state;
    expect_same_as_reference("blank-frame");
}

/* Unknown spacing: analyzed, but not one millimetre or ml/min invented, and the report says why. */
static void test_unknown_spacing(void **state)
{
    (void)state;
    analysis a;
    analyze("no-spacing", &a);
    assert_int_equal(a.status, PDVA_OK);
    assert_int_equal(pdva_report_analyzed_count(a.report), 1);
    json_t *s = series_at(&a, 0);
    assert_string_equal(str(s, "status"), "analyzed");
    assert_true(json_is_null(json_object_get(s, "pixel_spacing_mm")));
    assert_string_equal(str(s, "spacing_source"), "unknown");
    assert_true(json_is_null(json_object_get(s, "arterialization_flow_ml_min")));
    assert_true(json_is_null(json_object_get(s, "conduit_velocity_mm_s")));
    size_t vessels = json_array_size(json_object_get(s, "vessels"));
    assert_true(vessels > 0);
    size_t i, k;
    json_t *v, *d;
    json_array_foreach(json_object_get(s, "vessels"), i, v) {
        json_array_foreach(json_object_get(v, "diameter_mm"), k, d)
            assert_true(json_is_null(d));
        /* times need no spacing */
        assert_true(json_is_number(json_object_get(v, "arrival_time_s")) ||
                    json_is_null(json_object_get(v, "arrival_time_s")));
    }
    json_t *f;
    static const char *const mm_fields[] = {"minimal_lumen_diameter_mm", "reference_diameter_mm",
                                            "lesion_length_mm", "flow_ml_min",
                                            "artery_diameter_mm", "vein_diameter_mm"};
    json_array_foreach(json_object_get(s, "findings"), i, f) {
        for (size_t m = 0; m < sizeof mm_fields / sizeof mm_fields[0]; m++) {
            json_t *x = json_object_get(f, mm_fields[m]);
            if (x && !json_is_null(x))
                fail_msg("finding %s has %s = %g without a known spacing", str(f, "id"),
                         mm_fields[m], json_number_value(x));
        }
        assert_string_not_equal(str(f, "type"), "low_flow"); /* no flow, so no low flow */
    }
    assert_true(alert_contains(&a, "pixel spacing unknown"));
    release(&a);
}

/* Two studies in one folder: one is analyzed, the other listed and left out, and said so. */
static void test_two_studies(void **state)
{
    (void)state;
    analysis a;
    analyze("two-studies", &a);
    assert_int_equal(a.status, PDVA_OK);
    assert_int_equal(pdva_report_series_count(a.report), 2);
    assert_int_equal(pdva_report_analyzed_count(a.report), 1);
    json_t *s0 = series_at(&a, 0), *s1 = series_at(&a, 1);
    json_t *analyzed = strcmp(str(s0, "status"), "analyzed") == 0 ? s0 : s1;
    json_t *other = analyzed == s0 ? s1 : s0;
    assert_string_equal(str(analyzed, "status"), "analyzed");
    assert_string_equal(str(other, "status"), "not_applicable");
    assert_non_null(strstr(str(other, "reason"), "another study"));
    assert_int_equal(json_array_size(json_object_get(other, "findings")), 0);
    assert_true(alert_contains(&a, "belong to another study"));
    /* the report's study is the analyzed one's: its UID is not the one the reason names */
    const char *uid = str(json_object_get(a.doc, "study"), "study_instance_uid");
    assert_true(strlen(uid) > 10);
    assert_null(strstr(str(other, "reason"), uid));
    release(&a);
}

/* ---- nothing written outside the output folder -------------------------------------------- */

typedef struct listing {
    char **paths;
    long long *sizes;
    size_t n, cap;
} listing;

static void list_tree(const char *dir, const char *rel, listing *l)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096], r[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            list_tree(path, r, l);
            continue;
        }
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
            l->sizes = realloc(l->sizes, l->cap * sizeof *l->sizes);
            assert_non_null(l->paths);
            assert_non_null(l->sizes);
        }
        l->paths[l->n] = strdup(r);
        l->sizes[l->n] = (long long)st.st_size;
        l->n++;
    }
    closedir(d);
}

static void free_listing(listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->sizes);
}

static bool listed(const listing *l, const char *path, long long size)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->paths[i], path) == 0)
            return size < 0 || l->sizes[i] == size;
    return false;
}

/* Remove a folder and everything under it (a test's own output from an earlier run). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[4400];
            int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (len < 0 || (size_t)len >= sizeof path)
                continue;
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(path);
            else
                remove(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void test_writes_only_into_output_folder(void **state)
{
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s/out-reference", g_scratch);
    /* from scratch: files left by an earlier run would pass for files this one did not write */
    remove_tree(out);
    mkdir(out, 0755);
    listing before_study = {0}, before_scratch = {0};
    char study[4096];
    snprintf(study, sizeof study, "%s/reference", g_studies);
    list_tree(study, "", &before_study);
    list_tree(g_scratch, "", &before_scratch);

    analysis a;
    analyze_into("reference", out, &a);
    assert_int_equal(a.status, PDVA_OK);

    /* the study is untouched */
    listing after_study = {0};
    list_tree(study, "", &after_study);
    assert_int_equal(after_study.n, before_study.n);
    for (size_t i = 0; i < before_study.n; i++)
        assert_true(listed(&after_study, before_study.paths[i], before_study.sizes[i]));
    /* the scratch folder gained the output folder's files, and the kept report, nothing else */
    listing after = {0};
    list_tree(g_scratch, "", &after);
    size_t report = 0, maps = 0;
    for (size_t i = 0; i < after.n; i++) {
        const char *p = after.paths[i];
        if (listed(&before_scratch, p, -1) || strcmp(p, "reports/reference.json") == 0)
            continue;
        if (strcmp(p, "out-reference/report.json") == 0)
            report++;
        else if (strncmp(p, "out-reference/maps/", 19) == 0 &&
                 strcmp(p + strlen(p) - 4, ".png") == 0)
            maps++;
        else
            fail_msg("the analysis wrote %s", p);
    }
    assert_int_equal(report, 1);
    /* five maps for each of the two analyzed series */
    assert_int_equal(maps, 10);
    /* the report on disk is the one returned, and names its maps by relative paths */
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", out);
    json_error_t je;
    json_t *disk = json_load_file(path, 0, &je);
    assert_non_null(disk);
    assert_true(json_equal(disk, a.doc));
    json_t *pm = json_object_get(series_at(&a, 0), "parametric_maps");
    assert_true(json_is_object(pm));
    const char *file = str(json_object_get(pm, "arrival_time_s"), "file");
    assert_int_equal(strncmp(file, "maps/", 5), 0);
    assert_null(strstr(file, ".."));
    json_decref(disk);
    release(&a);
    free_listing(&before_study);
    free_listing(&before_scratch);
    free_listing(&after_study);
    free_listing(&after);
}

/* An output folder that does not exist is an error, not a folder created somewhere. */
static void test_missing_output_folder(void **state)
{
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s/does-not-exist/deeper", g_scratch);
    analysis a;
    analyze_into("two-frames", out, &a);
    assert_int_equal(a.status, PDVA_ERR_IO);
    assert_null(a.report);
    struct stat st;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s/does-not-exist", g_scratch);
    assert_int_not_equal(stat(parent, &st), 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_analyze STUDIES_DIR SCRATCH_DIR\n");
        return 2;
    }
    g_studies = argv[1];
    g_scratch = argv[2];
    if (mkdir(g_scratch, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s\n", g_scratch);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_contrast),
        cmocka_unit_test(test_pure_noise),
        cmocka_unit_test(test_two_frames),
        cmocka_unit_test(test_one_frame),
        cmocka_unit_test(test_saturated_frame),
        cmocka_unit_test(test_blank_frame),
        cmocka_unit_test(test_unknown_spacing),
        cmocka_unit_test(test_two_studies),
        cmocka_unit_test(test_writes_only_into_output_folder),
        cmocka_unit_test(test_missing_output_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
