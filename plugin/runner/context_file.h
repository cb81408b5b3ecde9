/* context_file.h — reading a study's context.json (the clinician's context, as pdva-phantom
 * writes it beside a generated study): wound venosomes and the baseline report.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_RUNNER_CONTEXT_FILE_H
#define PDVA_RUNNER_CONTEXT_FILE_H

#include <stddef.h>
#include <stdio.h>

#define CONTEXT_MAX_WOUNDS 6

typedef struct study_context {
    char wounds[CONTEXT_MAX_WOUNDS][32]; /* venosome ids, validated */
    size_t n_wounds;
    char baseline_path[4096]; /* resolved against the folder of the file; "" when none */
} study_context;

/* Read `path` into *ctx. Returns 0, or -1 after printing why to `errors` (file unreadable, not
 * JSON, wrong types, unknown venosome). */
int context_file_read(const char *path, study_context *ctx, FILE *errors);

#endif /* PDVA_RUNNER_CONTEXT_FILE_H */
