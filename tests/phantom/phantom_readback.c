/* phantom_readback.c — reads a generated study back through pdva's own reader (pdva_dicom.h)
 * for test_phantom_dicom.py: scans the folder, groups the files into series, opens each, decodes
 * every frame, and prints one JSON object per series on its own line:
 *
 *   {"series_instance_uid": "...", "n_files": 1, "kind": "XA", "rows": 128, "columns": 128,
 *    "frames": 8, "frame_times_s": [0, 0.25, ...] | null, "pixel_spacing_mm": [r, c] | null,
 *    "spacing_source": "pixel_spacing" | "magnification_corrected" | "unknown",
 *    "pixel_fnv1a64": "hex of every decoded value, frame by frame", "decode_errors": 0}
 *
 * then the files the scan refused as {"rejected": "path", "reason": "..."}. Exit status 0 when
 * the scan ran and every series opened, 1 otherwise, 2 on usage errors.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/pdva_dicom.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* Print a string as a JSON string (the reader's strings are UTF-8 without control characters,
 * but paths and messages may hold quotes or backslashes). */
static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int print_series(const pdva_study *study, size_t i)
{
    pdva_series *series = NULL;
    pdva_error *err = NULL;
    if (pdva_study_open_series(study, i, &series, &err) != PDVA_OK) {
        printf("{\"series_instance_uid\": ");
        print_json_string(pdva_study_series_uid(study, i));
        printf(", \"open_error\": ");
        print_json_string(pdva_error_message(err));
        printf("}\n");
        pdva_error_destroy(err);
        return -1;
    }
    const pdva_series_info *info = pdva_series_get_info(series);
    printf("{\"series_instance_uid\": ");
    print_json_string(info->series_instance_uid);
    printf(", \"n_files\": %u, \"kind\": ", info->n_files);
    print_json_string(pdva_image_kind_name(info->kind));
    printf(", \"rows\": %u, \"columns\": %u, \"frames\": %u, \"frame_times_s\": ", info->rows,
           info->columns, info->frames);
    if (info->frame_times_s) {
        putchar('[');
        for (uint32_t f = 0; f < info->frames; f++)
            printf("%s%.6f", f ? ", " : "", info->frame_times_s[f]);
        putchar(']');
    } else {
        printf("null");
    }
    printf(", \"pixel_spacing_mm\": ");
    if (info->spacing_source != PDVA_SPACING_UNKNOWN)
        printf("[%.9g, %.9g]", info->pixel_spacing_mm[0], info->pixel_spacing_mm[1]);
    else
        printf("null");
    printf(", \"spacing_source\": ");
    print_json_string(pdva_spacing_source_report_name(info->spacing_source));

    /* decode every frame; hash the values so encodings can be compared with each other */
    uint64_t hash = FNV_OFFSET;
    uint32_t decode_errors = 0;
    size_t n = (size_t)info->rows * info->columns;
    uint16_t *frame = n ? malloc(n * sizeof *frame) : NULL;
    if (!frame)
        decode_errors = info->frames;
    for (uint32_t f = 0; frame && f < info->frames; f++) {
        pdva_error *ferr = NULL;
        if (pdva_series_read_frame(series, f, frame, n, &ferr) != PDVA_OK) {
            decode_errors++;
            pdva_error_destroy(ferr);
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            hash = (hash ^ (frame[k] & 0xffu)) * FNV_PRIME;
            hash = (hash ^ (uint64_t)(frame[k] >> 8)) * FNV_PRIME;
        }
    }
    free(frame);
    printf(", \"pixel_fnv1a64\": \"%016llx\", \"decode_errors\": %u}\n", (unsigned long long)hash,
           decode_errors);
    pdva_series_destroy(series);
    return decode_errors ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: phantom_readback PATH...\n");
        return 2;
    }
    pdva_study *study = NULL;
    pdva_error *err = NULL;
    if (pdva_study_scan((const char *const *)(argv + 1), (size_t)(argc - 1), NULL, &study,
                        &err) != PDVA_OK) {
        fprintf(stderr, "phantom_readback: scan failed: %s\n", pdva_error_message(err));
        pdva_error_destroy(err);
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < pdva_study_series_count(study); i++)
        if (print_series(study, i) != 0)
            status = 1;
    for (size_t i = 0; i < pdva_study_rejected_count(study); i++) {
        printf("{\"rejected\": ");
        print_json_string(pdva_study_rejected_path(study, i));
        printf(", \"reason\": ");
        print_json_string(pdva_study_rejected_reason(study, i));
        printf("}\n");
    }
    pdva_study_destroy(study);
    return status;
}
