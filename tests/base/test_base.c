/* test_base.c — errors, statuses, limits and the allocation funnel.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/limits.h"
#include "base/log.h"

static void test_first_error_wins(void **state)
{
    (void)state;
    pdva_error *err = NULL;
    assert_int_equal(pdva_error_set(&err, PDVA_ERR_TRUNCATED, "file ends at byte %d", 12),
                     PDVA_ERR_TRUNCATED);
    assert_int_equal(pdva_error_set(&err, PDVA_ERR_IO, "second"), PDVA_ERR_IO);
    assert_int_equal(pdva_error_status(err), PDVA_ERR_TRUNCATED);
    assert_string_equal(pdva_error_message(err), "file ends at byte 12");
    pdva_error_prefix(&err, "reading %s", "a.dcm");
    assert_string_equal(pdva_error_message(err), "reading a.dcm: file ends at byte 12");
    pdva_error_destroy(err);
    pdva_error_destroy(NULL);
    assert_int_equal(pdva_error_status(NULL), PDVA_OK);
    assert_string_equal(pdva_error_message(NULL), "");
    /* a NULL err pointer just returns the status */
    assert_int_equal(pdva_error_set(NULL, PDVA_ERR_IO, "x"), PDVA_ERR_IO);
}

static void test_messages_are_sanitized(void **state)
{
    (void)state;
    pdva_error *err = NULL;
    pdva_error_set(&err, PDVA_ERR_MALFORMED, "name %s", "A\x01\x1b[31mB\xff\xfe\xc3\xa9");
    const char *m = pdva_error_message(err);
    assert_string_equal(m, "name A??[31mB??\xc3\xa9");
    pdva_error_destroy(err);

    char out[6];
    /* cut at a character boundary: "ab" + 3-byte euro sign fits 5 bytes + NUL */
    pdva_sanitize_utf8(out, sizeof out, "ab\xe2\x82\xac" "cd", 7);
    assert_string_equal(out, "ab\xe2\x82\xac");
    pdva_sanitize_utf8(out, sizeof out, "abcd\xe2\x82\xac", 7);
    assert_string_equal(out, "abcd");
    /* overlong encodings and surrogates are refused */
    pdva_sanitize_utf8(out, sizeof out, "\xc0\xaf\xed\xa0\x80", 5);
    assert_string_equal(out, "?????");
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(pdva_status_str(PDVA_OK), "PDVA_OK");
    assert_string_equal(pdva_status_str(PDVA_ERR_NOT_FOUND), "PDVA_ERR_NOT_FOUND");
    assert_string_equal(pdva_status_str((pdva_status)999), "PDVA_UNKNOWN_STATUS");
    /* numbers are ABI */
    assert_int_equal(PDVA_ERR_TRUNCATED, 6);
    assert_int_equal(PDVA_ERR_CANCELLED, 11);
}

static void test_limits(void **state)
{
    (void)state;
    pdva_limits given, out;
    pdva_error *err = NULL;
    assert_int_equal(pdva_limits_resolve(NULL, &out, &err), PDVA_OK);
    assert_int_equal(out.max_rows, 4096);
    pdva_limits_init(&given);
    given.max_sequence_depth = 100000;
    assert_int_equal(pdva_limits_resolve(&given, &out, &err), PDVA_OK);
    assert_int_equal(out.max_sequence_depth, PDVA_MAX_SEQUENCE_DEPTH_CEILING);
    given.max_frames = 0;
    assert_int_equal(pdva_limits_resolve(&given, &out, &err), PDVA_ERR_INVALID_ARGUMENT);
    pdva_error_destroy(err);
    err = NULL;
    given.struct_size = 8;
    assert_int_equal(pdva_limits_resolve(&given, &out, &err), PDVA_ERR_VERSION_MISMATCH);
    pdva_error_destroy(err);
}

static void test_alloc_overflow_and_injection(void **state)
{
    (void)state;
    assert_null(pdva_alloc_array(SIZE_MAX / 2, 3));
    assert_null(pdva_calloc_array(SIZE_MAX / 8, 16));
    assert_null(pdva_alloc_array(0, 8));
    void *p = pdva_alloc_array(10, 8);
    assert_non_null(p);
    void *q = pdva_realloc_array(p, SIZE_MAX, 2);
    assert_null(q); /* p is still valid */
    pdva_free(p);

    pdva_alloc_fail_after(1);
    void *a = pdva_malloc(4);
    void *b = pdva_malloc(4);
    assert_non_null(a);
    assert_null(b);
    pdva_alloc_fail_after(-1);
    pdva_free(a);

    /* an error object that cannot be allocated is replaced by the static out-of-memory one */
    pdva_error *err = NULL;
    pdva_alloc_fail_after(0);
    pdva_error_set(&err, PDVA_ERR_IO, "lost");
    pdva_alloc_fail_after(-1);
    assert_int_equal(pdva_error_status(err), PDVA_ERR_NO_MEMORY);
    pdva_error_destroy(err); /* no-op on the static object */
}

struct captured_log {
    int calls;
    pdva_log_level level;
    char text[256];
};

static void capture(void *user, pdva_log_level level, const char *message)
{
    struct captured_log *c = user;
    c->calls++;
    c->level = level;
    strncpy(c->text, message, sizeof c->text - 1);
}

static void test_log(void **state)
{
    (void)state;
    struct captured_log c = {0};
    pdva_logger lg = {capture, &c, PDVA_LOG_INFO};
    pdva_log(&lg, PDVA_LOG_DEBUG, "dropped");
    assert_int_equal(c.calls, 0);
    pdva_log(&lg, PDVA_LOG_WARNING, "two\nlines %d", 2);
    assert_int_equal(c.calls, 1);
    assert_string_equal(c.text, "two lines 2");
    pdva_log(NULL, PDVA_LOG_ERROR, "silent");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_messages_are_sanitized),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alloc_overflow_and_injection),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
