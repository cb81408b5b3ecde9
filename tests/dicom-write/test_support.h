/* test_support.h — running DCMTK's, dicom3tools' and pydicom's command-line readers on the files
 * the writer produced, and small file-system helpers, for test_dicom_write.c.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_TEST_DICOM_WRITE_SUPPORT_H
#define PDVA_TEST_DICOM_WRITE_SUPPORT_H

#include <stddef.h>

#include "dicom/pdva_dicom_writer.h"

#define TEST_VALUE_MAX 4096
#define TEST_NAME_MAX 256

/* Run `command` through the shell; returns its stdout+stderr (malloc'd, NUL-terminated) and sets
 * *exit_status. NULL when it could not be started. */
char *run_capture(const char *command, int *exit_status);

/* dciodvfy's report on `path` (malloc'd); *errors = number of lines starting with "Error". */
char *dciodvfy_report(const char *path, int *errors);

/* Every occurrence (data set order, nested ones included) of `tag` ("gggg,eeee") as dcmdump
 * prints it: the text between [] for strings, the numbers for binary VRs, "" when empty. Returns
 * the number of occurrences (at most max kept). */
int dump_values(const char *path, const char *tag, char values[][TEST_VALUE_MAX], int max);
/* Occurrence `index` of `tag` copied into out; returns the number of occurrences. */
int dump_value(const char *path, const char *tag, int index, char out[TEST_VALUE_MAX]);
/* The values ('\\'-separated) of the first occurrence of `tag` as numbers; returns how many. */
int dump_numbers(const char *path, const char *tag, double *out, int max);

/* The pixel data of `path` in native little-endian form (decoded with dcmdjpeg, dcmdrle or
 * dcmdjpls first when `encoding` compresses), malloc'd; *bytes its size. */
unsigned char *native_pixel_bytes(const char *path, pdva_encoding encoding, size_t *bytes);

/* One line "file-name frames rows columns sum-of-pixels patient-name" per .dcm file of `dir`
 * (sorted), as pydicom reads them (malloc'd); NULL when pydicom failed. */
char *pydicom_summary(const char *dir);

/* Remove `dir` with its content and create it empty. */
void fresh_dir(const char *dir);
/* Names in `dir` (without . and ..), sorted; returns how many (at most max kept). */
int list_dir(const char *dir, char names[][TEST_NAME_MAX], int max);
int copy_file(const char *from, const char *to);
/* dcmodify -nb -e <tag> path: erase an element in place. Returns dcmodify's exit status. */
int dcmodify_erase(const char *path, const char *tag);

#endif /* PDVA_TEST_DICOM_WRITE_SUPPORT_H */
