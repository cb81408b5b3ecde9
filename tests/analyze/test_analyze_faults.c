/* test_analyze_faults.c — the whole analysis with allocations failing: the n-th allocation of
 * the analyzing thread made to fail (base/alloc.h fault injection), for the first allocations
 * one by one and then spread over the whole analysis. Every run must end in PDVA_OK (a series
 * that could not finish is reported as such) or PDVA_ERR_NO_MEMORY with a message, never a
 * crash; the sanitizer build checks that nothing leaks on any of these paths.
 *
 *   test_analyze_faults STUDY_DIR
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "pdva/pdva.h"

static const char *g_study;

static pdva_status run_once(long fail_after, pdva_report **report, pdva_error **err)
{
    const char *paths[] = {g_study};
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    o.threads = 1; /* every allocation on this thread, where the fault injection counts */
    pdva_alloc_fail_after(fail_after);
    pdva_status st = pdva_analyze(paths, 1, &o, report, err);
    pdva_alloc_fail_after(-1);
    return st;
}

static void test_every_failure_is_clean(void **state)
{
    (void)state;
    pdva_report *report = NULL;
    pdva_error *err = NULL;
    assert_int_equal(run_once(-1, &report, &err), PDVA_OK);
    /* pdva_alloc_count() counts since the last pdva_alloc_fail_after(): read it before */
    pdva_report_destroy(report);
    pdva_alloc_fail_after(-1);
    report = NULL;
    const char *paths[] = {g_study};
    pdva_analysis_options o;
    pdva_analysis_options_init(&o);
    o.threads = 1;
    assert_int_equal(pdva_analyze(paths, 1, &o, &report, &err), PDVA_OK);
    long total = pdva_alloc_count();
    pdva_report_destroy(report);
    print_message("the analysis makes %ld allocations on its thread\n", total);
    assert_true(total > 50);

    size_t ok = 0, no_memory = 0;
    long step = total / 150 > 1 ? total / 150 : 1;
    for (long k = 0; k < total; k += k < 60 ? 1 : step) {
        report = NULL;
        err = NULL;
        pdva_status st = run_once(k, &report, &err);
        if (st == PDVA_OK) {
            /* a complete report, whatever could not be done in it */
            json_error_t je;
            json_t *doc = json_loads(pdva_report_json(report), 0, &je);
            if (!doc)
                fail_msg("allocation %ld failing: the report is not JSON (%s)", k, je.text);
            json_decref(doc);
            pdva_report_destroy(report);
            ok++;
        } else {
            if (st != PDVA_ERR_NO_MEMORY)
                fail_msg("allocation %ld failing: %s (%s), expected no memory", k,
                         pdva_status_str(st), pdva_error_message(err));
            assert_null(report);
            assert_true(strlen(pdva_error_message(err)) > 0);
            pdva_error_destroy(err);
            no_memory++;
        }
    }
    print_message("%zu runs ended with a report, %zu with PDVA_ERR_NO_MEMORY\n", ok, no_memory);
    assert_true(no_memory > 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_analyze_faults STUDY_DIR\n");
        return 2;
    }
    g_study = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failure_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
