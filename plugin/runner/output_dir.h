/* output_dir.h — where `pdva analyze` puts report.json: the folder given with --out (created
 * when missing), or a new folder in the current one named after the study, never inside an
 * input folder unless the user named it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_RUNNER_OUTPUT_DIR_H
#define PDVA_RUNNER_OUTPUT_DIR_H

#include <stddef.h>
#include <stdio.h>

/* Create `dir` and its missing parents; check that it is a writable folder. Returns 0, or -1
 * after printing why to `errors`. */
int output_dir_make(const char *dir, FILE *errors);

/* Is the current folder one of the input folders, or below one? (Then the default output
 * folder would land inside the study.) Inputs that do not exist are ignored. */
int output_dir_cwd_inside_inputs(const char *const *paths, size_t n_paths);

/* Create a new folder "pdva-report-<study_uid>" in the current folder ("-2", "-3"... when
 * taken; a timestamp when study_uid is empty or not a UID) and put its name in out[cap].
 * Returns 0, or -1 after printing why to `errors`. */
int output_dir_make_default(const char *study_uid, char *out, size_t cap, FILE *errors);

#endif /* PDVA_RUNNER_OUTPUT_DIR_H */
