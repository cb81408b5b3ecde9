/* common.c — helpers shared by the reader's test files, and main().
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char path_a[4096], path_b[4096], path_s[4096], path_f[4096], message[2048];

static const char *make_tmp(char *buf, size_t cap, const char *name)
{
    mkdir(PDVA_TEST_TMP_DIR, 0755);
    mkdir(PDVA_TEST_TMP_DIR "/dicom-read", 0755);
    snprintf(buf, cap, "%s/dicom-read/%s", PDVA_TEST_TMP_DIR, name);
    return buf;
}

const char *tmp_path(const char *name)
{
    return make_tmp(path_a, sizeof path_a, name);
}

const char *tmp_path2(const char *name)
{
    return make_tmp(path_b, sizeof path_b, name);
}

const char *sample_path(const char *name)
{
    snprintf(path_s, sizeof path_s, "%s/%s", PDVA_SAMPLES_DIR, name);
    return path_s;
}

const char *fixture_path(const char *name)
{
    snprintf(path_f, sizeof path_f, "%s/reader/%s", PDVA_TEST_DATA_DIR, name);
    return path_f;
}

pdva_status open_files(const char *const *paths, size_t n, const pdva_limits *limits,
                       pdva_series **out, const char **msg)
{
    pdva_error *err = NULL;
    pdva_status st = pdva_series_open(paths, n, limits, out, &err);
    snprintf(message, sizeof message, "%s", pdva_error_message(err));
    assert_int_equal(pdva_error_status(err), st);
    pdva_error_destroy(err);
    if (msg)
        *msg = message;
    if (st == PDVA_OK)
        assert_non_null(*out);
    else
        assert_null(*out);
    return st;
}

pdva_status open_file(const char *path, const pdva_limits *limits, pdva_series **out,
                      const char **msg)
{
    return open_files(&path, 1, limits, out, msg);
}

uint16_t *read_all(pdva_series *series)
{
    const pdva_series_info *info = pdva_series_get_info(series);
    size_t n = (size_t)info->rows * info->columns;
    uint16_t *all = malloc(n * info->frames * sizeof *all + 1);
    assert_non_null(all);
    for (uint32_t f = 0; f < info->frames; f++) {
        pdva_error *err = NULL;
        pdva_status st = pdva_series_read_frame(series, f, all + f * n, n, &err);
        if (st != PDVA_OK)
            fail_msg("frame %u: %s: %s", f, pdva_status_str(st), pdva_error_message(err));
        pdva_error_destroy(err);
        for (size_t i = 0; i < n; i++)
            assert_true(all[f * n + i] <= info->max_value);
    }
    return all;
}

void expect_open_error(const char *path, const pdva_limits *limits, pdva_status expected,
                       const char *needle)
{
    pdva_series *s = NULL;
    const char *msg = NULL;
    pdva_status st = open_file(path, limits, &s, &msg);
    if (st != expected)
        fail_msg("%s: expected %s, got %s (%s)", path, pdva_status_str(expected),
                 pdva_status_str(st), msg);
    if (needle && !strstr(msg, needle))
        fail_msg("%s: message '%s' lacks '%s'", path, msg, needle);
    assert_clean_utf8(msg);
    pdva_series_destroy(s);
}

void assert_clean_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7F)
            fail_msg("control character 0x%02x in '%s'", *p, s);
        size_t n = *p < 0x80         ? 1
                   : (*p >> 5) == 6  ? 2
                   : (*p >> 4) == 14 ? 3
                   : (*p >> 3) == 30 ? 4
                                     : 0;
        if (n == 0)
            fail_msg("invalid UTF-8 lead byte in '%s'", s);
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                fail_msg("invalid UTF-8 in '%s'", s);
        p += n;
    }
}

int main(void)
{
    int failures = 0;
    failures += run_format_tests();
    failures += run_sample_tests();
    failures += run_hostile_tests();
    failures += run_series_tests();
    failures += run_study_tests();
    return failures ? 1 : 0;
}
