/* host.c — a tiny host of libpdva, built against the INSTALLED package only (pdva.pc or
 * find_package(pdva)) and run on a small generated study: the ABI promises of pdva.h as a host
 * meets them. Version query, struct_size handshake (older and bogus sizes), error objects,
 * analyses on several threads at once giving the same reports as one after the other,
 * cancellation from the progress callback, the logging callback, the output folder, and a
 * library that writes nothing on stdout or stderr.
 *
 *   host SERIES_DIR NOT_DICOM_FILE WORK_DIR [quick]
 * "quick" runs the checks that need few analyses (the second build of the same host).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pdva/pdva.h>

static const char *series_dir;
static const char *not_dicom_file;
static const char *work_dir;

/* The report of the study analyzed once, on the main thread, as the reference. */
static char *reference_json;

static char *analyze_json(const pdva_analysis_options *o, pdva_status *st_out)
{
    const char *paths[] = {series_dir};
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    pdva_status st = pdva_analyze(paths, 1, o, &report, &err);
    if (st_out)
        *st_out = st;
    char *json = NULL;
    if (st == PDVA_OK) {
        json = strdup(pdva_report_json(report));
    } else {
        fprintf(stderr, "host: analysis failed: %s (%s)\n", pdva_error_message(err),
                pdva_status_str(st));
    }
    pdva_report_destroy(report);
    pdva_error_destroy(err);
    return json;
}

static void options_for_study(pdva_analysis_options *o, unsigned threads)
{
    static const char *const wounds[] = {"medial_plantar"};
    pdva_analysis_options_init(o);
    o->wound_venosomes = wounds;
    o->n_wound_venosomes = 1;
    o->threads = threads;
}

/* ---- versions ------------------------------------------------------------------------------ */

static void test_version_matches_header(void **state)
{
    (void)state;
    assert_int_equal(pdva_version_number(), PDVA_VERSION_NUMBER);
    assert_string_equal(pdva_version_string(), PDVA_VERSION_STRING);
    assert_int_equal(PDVA_VERSION_NUMBER,
                     PDVA_VERSION_MAJOR * 10000 + PDVA_VERSION_MINOR * 100 + PDVA_VERSION_PATCH);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_error_objects(void **state)
{
    (void)state;
    assert_string_equal(pdva_status_str(PDVA_OK), "PDVA_OK");
    assert_string_equal(pdva_status_str(PDVA_ERR_CANCELLED), "PDVA_ERR_CANCELLED");
    assert_string_equal(pdva_status_str((pdva_status)9999), "PDVA_UNKNOWN_STATUS");
    assert_int_equal(pdva_error_status(NULL), PDVA_OK);
    assert_string_equal(pdva_error_message(NULL), "");
    pdva_error_destroy(NULL);
    pdva_report_destroy(NULL);
    assert_string_equal(pdva_report_json(NULL), "");
    assert_int_equal(pdva_report_series_count(NULL), 0);

    pdva_report *report = (pdva_report *)(uintptr_t)1; /* must be reset to NULL */
    pdva_error *err = NULL;
    assert_int_equal(pdva_analyze(NULL, 0, NULL, &report, &err), PDVA_ERR_INVALID_ARGUMENT);
    assert_null(report);
    assert_non_null(err);
    assert_int_equal(pdva_error_status(err), PDVA_ERR_INVALID_ARGUMENT);
    assert_true(strlen(pdva_error_message(err)) > 0);
    pdva_error_destroy(err);

    const char *missing[] = {"/nonexistent/pdva-abi-host/study"};
    err = NULL;
    pdva_status st = pdva_analyze(missing, 1, NULL, &report, &err);
    assert_true(st == PDVA_ERR_IO || st == PDVA_ERR_NOT_DICOM);
    assert_null(report);
    assert_int_equal(pdva_error_status(err), st);
    pdva_error_destroy(err);

    const char *not_dicom[] = {not_dicom_file};
    err = NULL;
    assert_int_equal(pdva_analyze(not_dicom, 1, NULL, &report, &err), PDVA_ERR_NOT_DICOM);
    pdva_error_destroy(err);

    /* an unknown venosome is refused before any work */
    static const char *const bad[] = {"big_toe"};
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    o.wound_venosomes = bad;
    o.n_wound_venosomes = 1;
    const char *paths[] = {series_dir};
    err = NULL;
    assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(pdva_error_message(err), "big_toe"));
    pdva_error_destroy(err);
}

/* ---- struct_size handshake ------------------------------------------------------------------ */

static void test_struct_size_handshake(void **state)
{
    (void)state;
    pdva_analysis_options current;
    options_for_study(&current, 1);
    assert_int_equal(current.struct_size, sizeof(pdva_analysis_options));

    /* a host built against an older header knew a shorter struct: the first version ends with
     * log_level (without the tail padding of this compiler). The struct lives in a buffer of
     * exactly that size, so that a library reading beyond it is caught by ASan. */
    size_t v1_size = offsetof(pdva_analysis_options, log_level) + sizeof(pdva_log_level);
    assert_true(v1_size <= sizeof(pdva_analysis_options));
    pdva_analysis_options *older = malloc(v1_size);
    assert_non_null(older);
    memcpy(older, &current, v1_size);
    older->struct_size = v1_size;
    pdva_status st;
    char *json = analyze_json(older, &st);
    free(older);
    assert_int_equal(st, PDVA_OK);
    assert_non_null(json);
    assert_string_equal(json, reference_json);
    free(json);

    /* bogus sizes: refused, nothing read beyond them */
    size_t bogus[] = {0, 1, sizeof(size_t), offsetof(pdva_analysis_options, log)};
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        pdva_analysis_options o;
        options_for_study(&o, 1);
        o.struct_size = bogus[i];
        const char *paths[] = {series_dir};
        pdva_report *report = NULL;
        pdva_error *err = NULL;
        assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_ERR_VERSION_MISMATCH);
        assert_null(report);
        assert_int_equal(pdva_error_status(err), PDVA_ERR_VERSION_MISMATCH);
        pdva_error_destroy(err);
    }

    pdva_limits limits;
    pdva_limits_init(&limits);
    assert_int_equal(limits.struct_size, sizeof(pdva_limits));
    limits.struct_size = 2;
    pdva_analysis_options o;
    options_for_study(&o, 1);
    o.limits = &limits;
    const char *paths[] = {series_dir};
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_ERR_VERSION_MISMATCH);
    pdva_error_destroy(err);
}

/* ---- threads -----------------------------------------------------------------------------------
 */

typedef struct thread_run {
    pthread_t thread;
    unsigned threads_per_analysis;
    pdva_status status;
    char *json;
} thread_run;

static void *run_analysis(void *user)
{
    thread_run *r = user;
    pdva_analysis_options o;
    options_for_study(&o, r->threads_per_analysis);
    r->json = analyze_json(&o, &r->status);
    return NULL;
}

static void test_concurrent_analyses_match_sequential(void **state)
{
    (void)state;
    /* 2 and 3 analyses at once, each with 1 or 2 threads of its own */
    for (unsigned n = 2; n <= 3; n++) {
        thread_run runs[3];
        memset(runs, 0, sizeof runs);
        for (unsigned i = 0; i < n; i++) {
            runs[i].threads_per_analysis = 1 + i % 2;
            assert_int_equal(pthread_create(&runs[i].thread, NULL, run_analysis, &runs[i]), 0);
        }
        for (unsigned i = 0; i < n; i++) {
            pthread_join(runs[i].thread, NULL);
            assert_int_equal(runs[i].status, PDVA_OK);
            assert_non_null(runs[i].json);
            assert_string_equal(runs[i].json, reference_json);
            free(runs[i].json);
        }
    }
}

/* ---- cancellation -------------------------------------------------------------------------- */

typedef struct cancel_state {
    int calls;
    int cancel_after;
    double last_fraction;
    int went_backwards;
} cancel_state;

static int cancel_progress(void *user, double fraction, const char *stage)
{
    cancel_state *c = user;
    assert_non_null(stage);
    if (fraction < c->last_fraction - 1e-9)
        c->went_backwards = 1;
    c->last_fraction = fraction;
    return ++c->calls > c->cancel_after;
}

static void test_cancel_from_progress(void **state)
{
    (void)state;
    /* never cancelling: fractions only go forward, up to 1; count the calls */
    cancel_state full = {0, 1 << 30, 0.0, 0};
    pdva_analysis_options o;
    options_for_study(&o, 2);
    o.progress = cancel_progress;
    o.progress_user_data = &full;
    pdva_status st;
    char *json = analyze_json(&o, &st);
    assert_int_equal(st, PDVA_OK);
    assert_string_equal(json, reference_json);
    free(json);
    assert_true(full.calls > 2);
    assert_false(full.went_backwards);
    assert_true(full.last_fraction > 0.999 && full.last_fraction <= 1.0);

    /* cancelling at the first call, early, and at the very last one (the report) */
    int points[] = {0, 2, full.calls - 1};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        cancel_state c = {0, points[i], 0.0, 0};
        options_for_study(&o, 2);
        o.progress = cancel_progress;
        o.progress_user_data = &c;
        char out[4096];
        snprintf(out, sizeof out, "%s/cancelled-%zu", work_dir, i);
        mkdir(out, 0777);
        o.output_dir = out;
        const char *paths[] = {series_dir};
        pdva_report *report = NULL;
        pdva_error *err = NULL;
        assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_ERR_CANCELLED);
        assert_null(report);
        assert_int_equal(pdva_error_status(err), PDVA_ERR_CANCELLED);
        pdva_error_destroy(err);
        /* it stopped soon after being asked (a stage may report once more), wrote nothing */
        assert_true(c.calls <= c.cancel_after + 2);
        char path[4200];
        snprintf(path, sizeof path, "%s/report.json", out);
        assert_int_equal(access(path, F_OK), -1);
    }
}

/* ---- logging -------------------------------------------------------------------------------- */

typedef struct log_sink {
    pthread_mutex_t lock;
    int count[4];
    int multiline;
    int below_minimum;
    pdva_log_level minimum;
} log_sink;

static void on_log(void *user, pdva_log_level level, const char *message)
{
    log_sink *s = user;
    pthread_mutex_lock(&s->lock);
    if ((int)level >= 0 && (int)level < 4)
        s->count[level]++;
    if (strchr(message, '\n') || strchr(message, '\r'))
        s->multiline = 1;
    if (level < s->minimum)
        s->below_minimum = 1;
    pthread_mutex_unlock(&s->lock);
}

static void test_log_callback(void **state)
{
    (void)state;
    for (int minimum = PDVA_LOG_DEBUG; minimum <= PDVA_LOG_WARNING; minimum += 2) {
        log_sink sink;
        memset(&sink, 0, sizeof sink);
        pthread_mutex_init(&sink.lock, NULL);
        sink.minimum = (pdva_log_level)minimum;
        pdva_analysis_options o;
        options_for_study(&o, 2);
        o.log = on_log;
        o.log_user_data = &sink;
        o.log_level = (pdva_log_level)minimum;
        pdva_status st;
        char *json = analyze_json(&o, &st);
        assert_int_equal(st, PDVA_OK);
        free(json);
        int total = sink.count[0] + sink.count[1] + sink.count[2] + sink.count[3];
        if (minimum <= PDVA_LOG_INFO)
            assert_true(total > 0);
        assert_false(sink.multiline);
        assert_false(sink.below_minimum);
        pthread_mutex_destroy(&sink.lock);
    }
}

/* ---- output folder, report object --------------------------------------------------------- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    buf[got] = '\0';
    return buf;
}

static void test_output_dir_and_report(void **state)
{
    (void)state;
    char out[4096];
    snprintf(out, sizeof out, "%s/out", work_dir);
    mkdir(out, 0777);
    pdva_analysis_options o;
    options_for_study(&o, 0);
    o.output_dir = out;
    const char *paths[] = {series_dir};
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_OK);
    assert_null(err);
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", out);
    char *written = read_file(path);
    assert_non_null(written);
    size_t len = strlen(pdva_report_json(report));
    assert_int_equal(strlen(written), len + 1);
    assert_memory_equal(written, pdva_report_json(report), len);
    free(written);
    /* with an output folder the report may name more outputs written there (maps): it is the
     * reference plus those, not byte-identical to it */
    assert_true(strlen(pdva_report_json(report)) >= strlen(reference_json) - 2);
    assert_true(strlen(pdva_report_summary(report)) > 0);
    assert_int_equal(pdva_report_series_count(report), 1);
    assert_int_equal(pdva_report_analyzed_count(report), 1);
    assert_true(pdva_report_alert_count(report, PDVA_ALERT_INFO) >=
                pdva_report_alert_count(report, PDVA_ALERT_CRITICAL));
    snprintf(path, sizeof path, "%s/copy.json", out);
    assert_int_equal(pdva_report_write(report, path, NULL), PDVA_OK);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(pdva_report_write(report, "/nonexistent/pdva/x.json", &err), PDVA_ERR_IO);
    pdva_error_destroy(err);
    pdva_report_destroy(report);

    /* a missing output folder is an error, not created behind the host's back */
    snprintf(out, sizeof out, "%s/missing-folder", work_dir);
    o.output_dir = out;
    err = NULL;
    assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_ERR_IO);
    pdva_error_destroy(err);
    assert_int_equal(access(out, F_OK), -1);
}

/* ---- silence -----------------------------------------------------------------------------------
 */

static void test_library_prints_nothing(void **state)
{
    (void)state;
    char out_path[4200], err_path[4200];
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", work_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", work_dir);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    close(fo);
    close(fe);

    /* a good study, a file that is not DICOM, a missing path, a bad baseline, a cancel */
    pdva_analysis_options o;
    options_for_study(&o, 2);
    o.log_level = PDVA_LOG_DEBUG; /* no sink: must still be silent */
    const char *paths[] = {series_dir, not_dicom_file};
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    pdva_status st1 = pdva_analyze(paths, 2, &o, &report, &err);
    pdva_report_destroy(report);
    pdva_error_destroy(err);
    const char *missing[] = {"/nonexistent/x"};
    err = NULL;
    pdva_status st2 = pdva_analyze(missing, 1, &o, &report, &err);
    pdva_error_destroy(err);
    o.baseline_report_json = "{not json";
    err = NULL;
    pdva_status st3 = pdva_analyze(paths, 1, &o, &report, &err);
    pdva_error_destroy(err);

    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    assert_int_equal(st1, PDVA_OK);
    assert_int_not_equal(st2, PDVA_OK);
    assert_int_equal(st3, PDVA_ERR_MALFORMED);
    struct stat so, se;
    assert_int_equal(stat(out_path, &so), 0);
    assert_int_equal(stat(err_path, &se), 0);
    assert_int_equal(so.st_size, 0);
    assert_int_equal(se.st_size, 0);
}

static int setup_reference(void **state)
{
    (void)state;
    pdva_analysis_options o;
    options_for_study(&o, 1);
    reference_json = analyze_json(&o, NULL);
    return reference_json ? 0 : -1;
}

static int teardown_reference(void **state)
{
    (void)state;
    free(reference_json);
    reference_json = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "quick") == 0)) {
        fprintf(stderr, "usage: host SERIES_DIR NOT_DICOM_FILE WORK_DIR [quick]\n");
        return 2;
    }
    series_dir = argv[1];
    not_dicom_file = argv[2];
    work_dir = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_error_objects),
        cmocka_unit_test(test_struct_size_handshake),
        cmocka_unit_test(test_concurrent_analyses_match_sequential),
        cmocka_unit_test(test_cancel_from_progress),
        cmocka_unit_test(test_log_callback),
        cmocka_unit_test(test_output_dir_and_report),
        cmocka_unit_test(test_library_prints_nothing),
    };
    if (argc == 5) {
        const struct CMUnitTest quick[] = {
            cmocka_unit_test(test_version_matches_header),
            cmocka_unit_test(test_struct_size_handshake),
            cmocka_unit_test(test_output_dir_and_report),
        };
        return cmocka_run_group_tests_name("abi_host_quick", quick, setup_reference,
                                           teardown_reference);
    }
    return cmocka_run_group_tests_name("abi_host", tests, setup_reference, teardown_reference);
}
