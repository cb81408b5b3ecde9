/* report_store.h — where the plugin keeps the reports: one folder (Pdva.ReportDirectory), per
 * analyzed series named by its Orthanc ID: <id>.report.json (the report, written last, so that
 * its presence means the set is complete), <id>.summary.txt, <id>.meta.json (when, for which
 * study, with which wound venosomes) and <id>.files/ (what else the analysis wrote into its
 * output folder, e.g. PNG maps under maps/, which the report names by relative path). Files
 * survive an Orthanc restart; they are removed with their series.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_REPORT_STORE_H
#define PDVA_ORTHANC_REPORT_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "pdva/pdva.h"

/* Length of an Orthanc resource ID ("xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx"). */
#define ORTHANC_ID_LEN 44

/* Is `id` an Orthanc resource ID (5 groups of 8 lower-case hex digits)? Checked before an ID
 * from a URL goes anywhere near a path. */
bool orthanc_id_is_valid(const char *id);

typedef enum report_file {
    REPORT_FILE_JSON = 0,
    REPORT_FILE_SUMMARY = 1,
    REPORT_FILE_META = 2
} report_file;

typedef struct report_store {
    char dir[PATH_MAX];
} report_store;

/* Create the folder if needed and remove temporary files a crash left. Returns 0 or -1 with
 * errno set. */
int report_store_open(report_store *store, const char *dir);

/* Store the report of `series_id` (valid ID) with its summary and `meta_json`, and move the
 * other outputs of the analysis found in `outputs_dir` (may be NULL; its report.json is left) to
 * <id>.files/, replacing those of an earlier analysis. Returns 0 or -1 with a message in
 * error[cap]. */
int report_store_put(const report_store *store, const char *series_id, const pdva_report *report,
                     const char *meta_json, const char *outputs_dir, char *error, size_t cap);

/* Is `relative` a safe relative path of an output file: 1 to 8 segments of [A-Za-z0-9._-], none
 * starting with '.', at most 255 characters? */
bool report_store_relative_path_ok(const char *relative);

/* An output file of the analysis of `series_id` (malloc'ed, caller frees with free()), or NULL
 * with errno: ENOENT when there is none, EINVAL for a path report_store_relative_path_ok
 * refuses or one that leads out of the folder. */
char *report_store_read_output(const report_store *store, const char *series_id,
                               const char *relative, size_t *len);

/* One file of a stored report (malloc'ed, NUL-terminated, caller frees with free()), or NULL:
 * errno ENOENT when there is none. */
char *report_store_read(const report_store *store, const char *series_id, report_file which,
                        size_t *len);

/* Is there a complete report for `series_id`? */
bool report_store_has(const report_store *store, const char *series_id);

/* Remove the report of `series_id`; a missing one is not an error. Returns 0 or -1. */
int report_store_remove(const report_store *store, const char *series_id);

/* Call `fn` with the series ID of every stored report (the order of the folder). */
int report_store_foreach(const report_store *store, void (*fn)(void *user, const char *series_id),
                         void *user);

#endif /* PDVA_ORTHANC_REPORT_STORE_H */
