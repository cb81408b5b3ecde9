/* common.h — helpers shared by the reader's test files.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_TESTS_DICOM_READ_COMMON_H
#define PDVA_TESTS_DICOM_READ_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dicom/pdva_dicom.h"
#include "builder.h"

/* A path under the test's temporary folder (created on first use). Static storage: copy it if
 * you need two at once (use tmp_path2). */
const char *tmp_path(const char *name);
const char *tmp_path2(const char *name);
/* A real sample file (shared/dicom-samples). */
const char *sample_path(const char *name);
/* A committed fixture (tests/data/reader). */
const char *fixture_path(const char *name);

/* Open one file; returns the status, *out the series (or NULL), *message the error text
 * (static copy, "" when none). */
pdva_status open_file(const char *path, const pdva_limits *limits, pdva_series **out,
                      const char **message);
pdva_status open_files(const char *const *paths, size_t n, const pdva_limits *limits,
                       pdva_series **out, const char **message);

/* Read every frame; fail the test when one fails. Returns a malloc'd buffer of all frames
 * (frames * rows * columns values) for comparisons; free() it. */
uint16_t *read_all(pdva_series *series);

/* The status of opening `path`, which must fail with `expected`; its message must contain
 * `needle` (when not NULL). */
void expect_open_error(const char *path, const pdva_limits *limits, pdva_status expected,
                       const char *needle);

/* Assert that s is valid UTF-8 without control characters. */
void assert_clean_utf8(const char *s);

int run_sample_tests(void);
int run_format_tests(void);
int run_hostile_tests(void);
int run_series_tests(void);
int run_study_tests(void);

#endif /* PDVA_TESTS_DICOM_READ_COMMON_H */
