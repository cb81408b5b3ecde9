/* fuzz_reader.c — libFuzzer target for the DICOM reader: the input is written to a file in a
 * private temporary folder, then opened as a series (all frames read) and scanned as a study,
 * with tight limits so that the work per input stays bounded (at most 16 frames of 512 x 512).
 * Linked to standalone_main.c when libFuzzer is absent, to replay a corpus under ctest.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dicom/pdva_dicom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[256];
static char path[300];

static int prepare(void)
{
    if (path[0])
        return 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(folder, sizeof folder, "%s/pdva-fuzz-reader-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(folder))
        return -1;
    snprintf(path, sizeof path, "%s/input.dcm", folder);
    return 0;
}

static void cleanup(void)
{
    if (path[0])
        unlink(path);
    if (folder[0])
        rmdir(folder);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    if (prepare() != 0)
        return 0;
    if (!registered) {
        atexit(cleanup);
        registered = 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);

    pdva_limits limits;
    pdva_limits_init(&limits);
    limits.max_rows = 512;
    limits.max_columns = 512;
    limits.max_frames = 16;
    limits.max_frame_bytes = 512u * 512u * 2u;
    limits.max_series_bytes = 16u * 512u * 512u * 2u;
    limits.max_file_bytes = 4u << 20;
    limits.max_files = 16;

    const char *paths[1] = {path};
    pdva_series *series = NULL;
    pdva_error *err = NULL;
    if (pdva_series_open(paths, 1, &limits, &series, &err) == PDVA_OK) {
        const pdva_series_info *info = pdva_series_get_info(series);
        size_t n = (size_t)info->rows * info->columns;
        uint16_t *frame = n ? malloc(n * sizeof *frame) : NULL;
        if (frame) {
            for (uint32_t i = 0; i < info->frames; i++) {
                pdva_error *frame_err = NULL;
                if (pdva_series_read_frame(series, i, frame, n, &frame_err) == PDVA_OK) {
                    for (size_t k = 0; k < n; k++)
                        if (frame[k] > info->max_value)
                            abort(); /* a broken promise of the interface */
                }
                pdva_error_destroy(frame_err);
            }
            free(frame);
        }
        pdva_series_destroy(series);
    }
    pdva_error_destroy(err);
    err = NULL;

    pdva_study *study = NULL;
    if (pdva_study_scan(paths, 1, &limits, &study, &err) == PDVA_OK) {
        for (size_t i = 0; i < pdva_study_series_count(study); i++) {
            pdva_series *s = NULL;
            pdva_error *e = NULL;
            if (pdva_study_open_series(study, i, &s, &e) == PDVA_OK)
                pdva_series_destroy(s);
            pdva_error_destroy(e);
        }
        pdva_study_destroy(study);
    }
    pdva_error_destroy(err);
    return 0;
}
