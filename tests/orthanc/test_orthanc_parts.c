/* test_orthanc_parts.c — the parts of the Orthanc plugin that need no Orthanc: the "Pdva"
 * configuration section (defaults, paths, every refusal), the request body of an analysis
 * (valid forms, hostile ones), Orthanc IDs, the report store, and the file helpers (atomic
 * writes, also of one path from two threads at once, bounded reads, tree removal that never
 * follows a link out).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/common/fs_util.h"
#include "plugin/orthanc/plugin_config.h"
#include "plugin/orthanc/report_store.h"
#include "plugin/orthanc/request_body.h"

static const char *tmp_root = PDVA_TEST_TMP_DIR "/orthanc-parts";

static void make_dir(const char *path)
{
    assert_int_equal(fs_make_dirs(path, 0755), 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- configuration ------------------------------------------------------------------------ */

static int parse(const char *json, plugin_config *c, char *error, char *warnings)
{
    return plugin_config_parse(json, "/etc/orthanc/orthanc.json", c, error, 1024, warnings, 1024);
}

static void test_config_defaults(void **state)
{
    (void)state;
    plugin_config c;
    char error[1024], warnings[1024];
    assert_int_equal(parse("{\"StorageDirectory\": \"/var/lib/orthanc/db\"}", &c, error, warnings),
                     0);
    assert_true(c.enabled);
    assert_int_equal(c.worker_threads, 1);
    assert_int_equal(c.threads_per_analysis, 0);
    assert_false(c.auto_analyze);
    assert_int_equal(c.n_wounds, 0);
    assert_int_equal(c.max_queued_jobs, 100);
    assert_int_equal(c.max_instances, 5000);
    assert_int_equal(c.log_level, 1);
    assert_int_equal(c.orthanc_concurrent_jobs, 2);
    assert_string_equal(c.work_dir, "/var/lib/orthanc/db/pdva-work");
    assert_string_equal(c.report_dir, "/var/lib/orthanc/db/pdva-reports");
    assert_string_equal(warnings, "");

    /* relative folders are taken from the folder of the configuration file, as Orthanc does */
    assert_int_equal(parse("{\"StorageDirectory\": \"db\", \"ConcurrentJobs\": 4, "
                           "\"Pdva\": {\"ReportDirectory\": \"reports/\"}}",
                           &c, error, warnings),
                     0);
    assert_string_equal(c.work_dir, "/etc/orthanc/db/pdva-work");
    assert_string_equal(c.report_dir, "/etc/orthanc/reports");
    assert_int_equal(c.orthanc_concurrent_jobs, 4);
    /* no StorageDirectory: Orthanc's default "OrthancStorage" */
    assert_int_equal(parse("{}", &c, error, warnings), 0);
    assert_string_equal(c.work_dir, "/etc/orthanc/OrthancStorage/pdva-work");
}

static void test_config_all_options(void **state)
{
    (void)state;
    plugin_config c;
    char error[1024], warnings[1024];
    assert_int_equal(
        parse("{\"StorageDirectory\": \"/s\", \"Pdva\": {\"Enable\": true, \"WorkerThreads\": 3, "
              "\"ThreadsPerAnalysis\": 2, \"AutoAnalyze\": true, \"WoundVenosomesDefault\": "
              "[\"medial_plantar\", \"lateral_calcaneal\", \"medial_plantar\"], \"WorkDirectory\": "
              "\"/w\", \"ReportDirectory\": \"/r\", \"MaxQueuedJobs\": 7, "
              "\"MaxInstancesPerSeries\": 9, \"JobPriority\": -3, \"LogLevel\": \"debug\", "
              "\"Bogus\": 1, \"WorkerThread\": 2}}",
              &c, error, warnings),
        0);
    assert_int_equal(c.worker_threads, 3);
    assert_int_equal(c.threads_per_analysis, 2);
    assert_true(c.auto_analyze);
    assert_int_equal(c.n_wounds, 2);
    assert_string_equal(c.wounds[0], "medial_plantar");
    assert_string_equal(c.wounds[1], "lateral_calcaneal");
    assert_string_equal(c.work_dir, "/w");
    assert_string_equal(c.report_dir, "/r");
    assert_int_equal(c.max_queued_jobs, 7);
    assert_int_equal(c.max_instances, 9);
    assert_int_equal(c.job_priority, -3);
    assert_int_equal(c.log_level, 0);
    /* unknown keys are warnings, one per line, not errors */
    assert_non_null(strstr(warnings, "Pdva.Bogus"));
    assert_non_null(strstr(warnings, "Pdva.WorkerThread "));
}

static void test_config_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *word;
    } cases[] = {
        {"", "not a JSON object"},
        {"[]", "not a JSON object"},
        {"{\"Pdva\": 3}", "\"Pdva\" section"},
        {"{\"Pdva\": {\"Enable\": \"yes\"}}", "Pdva.Enable"},
        {"{\"Pdva\": {\"WorkerThreads\": 0}}", "Pdva.WorkerThreads"},
        {"{\"Pdva\": {\"WorkerThreads\": 65}}", "Pdva.WorkerThreads"},
        {"{\"Pdva\": {\"WorkerThreads\": 1.5}}", "Pdva.WorkerThreads"},
        {"{\"Pdva\": {\"WorkerThreads\": \"2\"}}", "Pdva.WorkerThreads"},
        {"{\"Pdva\": {\"ThreadsPerAnalysis\": -1}}", "Pdva.ThreadsPerAnalysis"},
        {"{\"Pdva\": {\"AutoAnalyze\": 1}}", "Pdva.AutoAnalyze"},
        {"{\"Pdva\": {\"WoundVenosomesDefault\": \"medial_plantar\"}}", "WoundVenosomesDefault"},
        {"{\"Pdva\": {\"WoundVenosomesDefault\": [\"knee\"]}}", "WoundVenosomesDefault[0]"},
        {"{\"Pdva\": {\"WoundVenosomesDefault\": [null]}}", "WoundVenosomesDefault[0]"},
        {"{\"Pdva\": {\"WorkDirectory\": \"\"}}", "Pdva.WorkDirectory"},
        {"{\"Pdva\": {\"WorkDirectory\": \"/\"}}", "root folder"},
        {"{\"Pdva\": {\"ReportDirectory\": 5}}", "Pdva.ReportDirectory"},
        {"{\"Pdva\": {\"MaxQueuedJobs\": 0}}", "Pdva.MaxQueuedJobs"},
        {"{\"Pdva\": {\"MaxInstancesPerSeries\": 100001}}", "Pdva.MaxInstancesPerSeries"},
        {"{\"Pdva\": {\"JobPriority\": 5000}}", "Pdva.JobPriority"},
        {"{\"Pdva\": {\"LogLevel\": \"trace\"}}", "Pdva.LogLevel"},
        {"{\"StorageDirectory\": 1}", "StorageDirectory"},
        {"{\"Pdva\": {\"WorkDirectory\": \"/x\", \"ReportDirectory\": \"/x/\"}}", "separate"},
        {"{\"Pdva\": {\"WorkDirectory\": \"/x\", \"ReportDirectory\": \"/x/r\"}}", "separate"},
        {"{\"Pdva\": {\"WorkDirectory\": \"/x/w\", \"ReportDirectory\": \"/x\"}}", "separate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plugin_config c;
        char error[1024], warnings[1024];
        assert_int_equal(parse(cases[i].json, &c, error, warnings), -1);
        if (!strstr(error, cases[i].word))
            fail_msg("case %zu: '%s' does not mention '%s'", i, error, cases[i].word);
    }
    /* separate folders that merely share a prefix are fine */
    plugin_config c;
    char error[1024], warnings[1024];
    assert_int_equal(parse("{\"Pdva\": {\"WorkDirectory\": \"/x/w\", \"ReportDirectory\": "
                           "\"/x/w2\"}}",
                           &c, error, warnings),
                     0);
    assert_int_equal(
        plugin_config_parse(NULL, "", &c, error, sizeof error, warnings, sizeof warnings), -1);
}

/* ---- request bodies ---------------------------------------------------------------------- */

static request_status parse_body(const char *body, analysis_request *r, char *error)
{
    return analysis_request_parse(body, body ? strlen(body) : 0, r, error, 256);
}

static void test_request_valid(void **state)
{
    (void)state;
    analysis_request r;
    char error[256];
    assert_int_equal(parse_body(NULL, &r, error), REQUEST_OK);
    assert_false(r.wounds_given);
    assert_int_equal(parse_body(" \n\t", &r, error), REQUEST_OK);
    assert_false(r.wounds_given);
    assert_int_equal(parse_body("{}", &r, error), REQUEST_OK);
    assert_false(r.wounds_given);
    assert_int_equal(parse_body("{\"wound_venosomes\": []}", &r, error), REQUEST_OK);
    assert_true(r.wounds_given);
    assert_int_equal(r.n_wounds, 0);
    assert_int_equal(parse_body("{\"wound_venosomes\": [\"anterior_perforating\", "
                                "\"dorsalis_pedis\", \"anterior_perforating\"], \"baseline\": "
                                "\"0123abcd-0123abcd-0123abcd-0123abcd-0123abcd\"}",
                                &r, error),
                     REQUEST_OK);
    assert_int_equal(r.n_wounds, 2);
    assert_string_equal(r.wounds[0], "anterior_perforating");
    assert_string_equal(r.wounds[1], "dorsalis_pedis");
    assert_string_equal(r.baseline, "0123abcd-0123abcd-0123abcd-0123abcd-0123abcd");
    assert_int_equal(parse_body("{\"baseline\": null}", &r, error), REQUEST_OK);
    assert_string_equal(r.baseline, "");
    /* all six ids */
    assert_int_equal(parse_body("{\"wound_venosomes\": [\"dorsalis_pedis\", \"medial_plantar\", "
                                "\"lateral_plantar\", \"medial_calcaneal\", "
                                "\"lateral_calcaneal\", \"anterior_perforating\"]}",
                                &r, error),
                     REQUEST_OK);
    assert_int_equal(r.n_wounds, 6);
}

static void test_request_hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{",
        "[]",
        "null",
        "\"x\"",
        "{\"wound_venosomes\": \"dorsalis_pedis\"}",
        "{\"wound_venosomes\": [\"Dorsalis_Pedis\"]}",
        "{\"wound_venosomes\": [\"dorsalis_pedis\\u0000\"]}",
        "{\"wound_venosomes\": [[\"dorsalis_pedis\"]]}",
        "{\"wound_venosomes\": {\"a\": 1}}",
        "{\"baseline\": \"0123ABCD-0123abcd-0123abcd-0123abcd-0123abcd\"}",
        "{\"baseline\": \"0123abcd-0123abcd-0123abcd-0123abcd-0123abc\"}",
        "{\"baseline\": \"../../../../etc/passwd\"}",
        "{\"baseline\": true}",
        "{\"wound_venosomes\": [], \"wound_venosomes\": []}",
        "{\"extra\": 1}",
        "{\"wound_venosomes\": []} trailing",
        "{\"\\u0001\\u0002\": 1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        analysis_request r;
        char error[256] = "";
        if (parse_body(bad[i], &r, error) != REQUEST_INVALID)
            fail_msg("body %zu accepted: %s", i, bad[i]);
        assert_true(strlen(error) > 0);
        for (const char *p = error; *p; p++)
            assert_true((unsigned char)*p >= 0x20); /* no control characters echoed */
    }
    /* too many items, deep nesting: refused without recursion */
    char *many = malloc(40000);
    assert_non_null(many);
    strcpy(many, "{\"wound_venosomes\": [");
    for (int i = 0; i < 100; i++)
        strcat(many, "\"dorsalis_pedis\",");
    strcat(many, "\"dorsalis_pedis\"]}");
    analysis_request r;
    char error[256];
    assert_int_equal(parse_body(many, &r, error), REQUEST_INVALID);
    size_t n = 0;
    for (int i = 0; i < 15000; i++)
        many[n++] = '[';
    for (int i = 0; i < 15000; i++)
        many[n++] = ']';
    many[n] = '\0';
    assert_int_equal(parse_body(many, &r, error), REQUEST_INVALID);
    assert_non_null(strstr(error, "deeply"));
    /* brackets inside strings do not count as nesting */
    assert_int_equal(parse_body("{\"wound_venosomes\": [], \"baseline\": null} ", &r, error),
                     REQUEST_OK);
    assert_int_equal(parse_body("{\"x[[[[[[[[[[[[[[[[[[[[\": 1}", &r, error), REQUEST_INVALID);
    assert_null(strstr(error, "deeply"));
    free(many);
    /* larger than the bound: refused before looking */
    char *big = malloc(REQUEST_BODY_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', REQUEST_BODY_MAX_BYTES + 1);
    big[REQUEST_BODY_MAX_BYTES + 1] = '\0';
    assert_int_equal(analysis_request_parse(big, REQUEST_BODY_MAX_BYTES + 1, &r, error, 256),
                     REQUEST_TOO_LARGE);
    free(big);
}

/* ---- Orthanc IDs and the report store ---------------------------------------------------- */

static void test_orthanc_ids(void **state)
{
    (void)state;
    assert_true(orthanc_id_is_valid("0123abcd-4567ef01-89abcdef-00000000-ffffffff"));
    assert_false(orthanc_id_is_valid(NULL));
    assert_false(orthanc_id_is_valid(""));
    assert_false(orthanc_id_is_valid("0123abcd-4567ef01-89abcdef-00000000-fffffff"));
    assert_false(orthanc_id_is_valid("0123abcd-4567ef01-89abcdef-00000000-ffffffff0"));
    assert_false(orthanc_id_is_valid("0123abcd_4567ef01-89abcdef-00000000-ffffffff"));
    assert_false(orthanc_id_is_valid("0123abcd-4567ef01-89abcdef-00000000-fffffffg"));
    assert_false(orthanc_id_is_valid("../../..-4567ef01-89abcdef-00000000-ffffffff"));
}

static void test_report_store(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/store/nested", tmp_root);
    fs_remove_tree(tmp_root);
    report_store store;
    assert_int_equal(report_store_open(&store, dir), 0);
    const char *id = "0123abcd-4567ef01-89abcdef-00000000-ffffffff";
    assert_false(report_store_has(&store, id));
    errno = 0;
    assert_null(report_store_read(&store, id, REPORT_FILE_JSON, NULL));
    assert_int_equal(errno, ENOENT);
    /* a report made by the library from a file that is not DICOM is not possible, so write the
     * three files as the store lays them out and read them back through it */
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.report.json", dir, id);
    write_text(path, "{\"schema\": \"pdva-report/1\"}");
    snprintf(path, sizeof path, "%s/%s.summary.txt", dir, id);
    write_text(path, "summary\n");
    assert_true(report_store_has(&store, id));
    size_t len = 0;
    char *text = report_store_read(&store, id, REPORT_FILE_SUMMARY, &len);
    assert_non_null(text);
    assert_string_equal(text, "summary\n");
    assert_int_equal(len, 8);
    free(text);
    /* invalid IDs never reach the file system */
    errno = 0;
    assert_null(report_store_read(&store, "../x", REPORT_FILE_JSON, NULL));
    assert_int_equal(errno, EINVAL);
    assert_false(report_store_has(&store, "../../etc/passwd"));
    /* a crash left a temporary file: removed when the store opens again */
    snprintf(path, sizeof path, "%s/%s.report.json.tmp-123", dir, id);
    write_text(path, "partial");
    snprintf(path, sizeof path, "%s/unrelated.tmp-1", dir);
    write_text(path, "not ours");
    assert_int_equal(report_store_open(&store, dir), 0);
    snprintf(path, sizeof path, "%s/%s.report.json.tmp-123", dir, id);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/unrelated.tmp-1", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(report_store_remove(&store, id), 0);
    assert_false(report_store_has(&store, id));
    snprintf(path, sizeof path, "%s/%s.summary.txt", dir, id);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(report_store_remove(&store, id), 0); /* already gone: fine */
    /* a folder that cannot be made */
    snprintf(path, sizeof path, "%s/unrelated.tmp-1/sub", dir);
    assert_int_equal(report_store_open(&store, path), -1);
}

static void count_id(void *user, const char *id)
{
    (void)id;
    (*(int *)user)++;
}

static void test_report_store_foreach(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/foreach", tmp_root);
    fs_remove_tree(dir);
    report_store store;
    assert_int_equal(report_store_open(&store, dir), 0);
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/0123abcd-4567ef01-89abcdef-00000000-ffffffff.report.json", dir);
    write_text(path, "{}");
    snprintf(path, sizeof path, "%s/0123abcd-4567ef01-89abcdef-00000000-fffffffe.report.json", dir);
    write_text(path, "{}");
    snprintf(path, sizeof path, "%s/0123abcd-4567ef01-89abcdef-00000000-fffffffe.meta.json", dir);
    write_text(path, "{}");
    snprintf(path, sizeof path, "%s/NOTANID.report.json", dir);
    write_text(path, "{}");
    int n = 0;
    assert_int_equal(report_store_foreach(&store, count_id, &n), 0);
    assert_int_equal(n, 2);
}

/* ---- files -------------------------------------------------------------------------------- */

static void test_fs_helpers(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[2 * PATH_MAX];
    snprintf(dir, sizeof dir, "%s/fs/a/b/c", tmp_root);
    make_dir(dir);
    make_dir(dir); /* again: fine */
    snprintf(path, sizeof path, "%s/file", dir);
    assert_int_equal(fs_write_atomic(path, "hello", 5), 0);
    size_t len = 0;
    char *text = fs_read_file(path, 100, &len);
    assert_non_null(text);
    assert_string_equal(text, "hello");
    assert_int_equal(len, 5);
    free(text);
    errno = 0;
    assert_null(fs_read_file(path, 4, &len)); /* over the bound */
    assert_int_equal(errno, EFBIG);
    assert_int_equal(fs_write_atomic(path, "", 0), 0);
    text = fs_read_file(path, 4, &len);
    assert_non_null(text);
    assert_int_equal(len, 0);
    free(text);
    /* a file where a folder should be */
    char sub[3 * PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sub", path);
    assert_int_equal(fs_make_dirs(sub, 0755), -1);
    assert_int_equal(fs_write_atomic("/nonexistent/pdva/x", "x", 1), -1);

    /* tree removal does not follow a link out of the tree */
    char outside[PATH_MAX], keep[2 * PATH_MAX], link_path[2 * PATH_MAX];
    snprintf(outside, sizeof outside, "%s/outside", tmp_root);
    make_dir(outside);
    snprintf(keep, sizeof keep, "%s/keep.txt", outside);
    write_text(keep, "keep");
    snprintf(link_path, sizeof link_path, "%s/link", dir);
    assert_int_equal(symlink(outside, link_path), 0);
    char tree[PATH_MAX];
    snprintf(tree, sizeof tree, "%s/fs", tmp_root);
    assert_int_equal(fs_remove_tree(tree), 0);
    assert_int_equal(access(tree, F_OK), -1);
    assert_int_equal(access(keep, F_OK), 0);
    assert_int_equal(fs_remove_tree(tree), 0); /* missing: fine */
    /* a symbolic link given as the tree is removed, not its target */
    snprintf(link_path, sizeof link_path, "%s/link2", tmp_root);
    assert_int_equal(symlink(outside, link_path), 0);
    assert_int_equal(fs_remove_tree(link_path), 0);
    assert_int_equal(access(keep, F_OK), 0);
    assert_int_equal(fs_remove_tree(outside), 0);
    assert_int_equal(access(outside, F_OK), -1);
}

/* Two threads writing one path at once (two analyses of one series in two worker threads). */
typedef struct writer {
    const char *path, *text;
    int failures;
} writer;

static void *write_many(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < 300; i++)
        w->failures += fs_write_atomic(w->path, w->text, strlen(w->text)) != 0;
    return NULL;
}

static void test_fs_write_atomic_concurrent(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[2 * PATH_MAX];
    snprintf(dir, sizeof dir, "%s/concurrent", tmp_root);
    make_dir(dir);
    snprintf(path, sizeof path, "%s/same.summary.txt", dir);
    writer w[2] = {{path, "first writer's text\n", 0}, {path, "second writer's longer text\n", 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
    /* whole: one writer's text, never a mix; no temporary file left */
    char *text = fs_read_file(path, 100, NULL);
    assert_non_null(text);
    assert_true(strcmp(text, w[0].text) == 0 || strcmp(text, w[1].text) == 0);
    free(text);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    size_t entries = 0;
    while ((de = readdir(d)) != NULL)
        entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    assert_int_equal(entries, 1);
    assert_int_equal(fs_remove_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults), cmocka_unit_test(test_config_all_options),
        cmocka_unit_test(test_config_refusals), cmocka_unit_test(test_request_valid),
        cmocka_unit_test(test_request_hostile), cmocka_unit_test(test_orthanc_ids),
        cmocka_unit_test(test_report_store),    cmocka_unit_test(test_report_store_foreach),
        cmocka_unit_test(test_fs_helpers),      cmocka_unit_test(test_fs_write_atomic_concurrent),
    };
    return cmocka_run_group_tests_name("orthanc_parts", tests, NULL, NULL);
}
