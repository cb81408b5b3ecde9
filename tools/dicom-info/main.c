/* pdva-dicom-info — what pdva's reader makes of DICOM files and folders.
 *
 *   pdva-dicom-info [--json] PATH...
 *
 * Scans the paths (files, folders, DICOMDIRs), groups the files by series and prints, for each
 * series: kind, frames, grid, transfer syntax, frame times (first few, their source, any
 * flag), pixel spacing and its source, laterality, mask hints, a decode of every frame (min and
 * max over the series) and the warnings; then the files refused, with their reason. Patient
 * name and ID are never printed. Exit status: 0 when every series decoded, 1 when something
 * was refused or failed, 2 on usage errors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicom/pdva_dicom.h"

#define FIRST_TIMES 5

typedef struct decode_result {
    uint32_t ok, failed;
    uint16_t min, max;
    char first_error[1024];
} decode_result;

static void decode_all(pdva_series *series, const pdva_series_info *info, decode_result *r)
{
    memset(r, 0, sizeof *r);
    r->min = UINT16_MAX;
    size_t n = (size_t)info->rows * info->columns;
    uint16_t *frame = n ? malloc(n * sizeof *frame) : NULL;
    if (!frame) {
        snprintf(r->first_error, sizeof r->first_error, "out of memory");
        r->failed = info->frames;
        return;
    }
    for (uint32_t i = 0; i < info->frames; i++) {
        pdva_error *err = NULL;
        if (pdva_series_read_frame(series, i, frame, n, &err) != PDVA_OK) {
            if (!r->failed)
                snprintf(r->first_error, sizeof r->first_error, "%s", pdva_error_message(err));
            r->failed++;
            pdva_error_destroy(err);
            continue;
        }
        r->ok++;
        for (size_t k = 0; k < n; k++) {
            if (frame[k] < r->min)
                r->min = frame[k];
            if (frame[k] > r->max)
                r->max = frame[k];
        }
    }
    free(frame);
}

/* ---- JSON output -------------------------------------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else if (*p == '<' || *p == '>' || *p == '&')
            printf("\\u%04x", *p); /* safe to embed in HTML */
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_json_series(size_t index, const char *uid, size_t n_files, pdva_status st,
                              const char *error, const pdva_series_info *info,
                              const decode_result *d, bool first)
{
    printf("%s\n    {\"index\": %zu, \"series_instance_uid\": ", first ? "" : ",", index);
    json_string(uid);
    printf(", \"files\": %zu, \"status\": ", n_files);
    json_string(pdva_status_str(st));
    if (st != PDVA_OK) {
        printf(", \"error\": ");
        json_string(error);
        printf("}");
        return;
    }
    printf(", \"kind\": ");
    json_string(pdva_image_kind_name(info->kind));
    printf(", \"reason\": ");
    json_string(info->reason);
    printf(", \"modality\": ");
    json_string(info->modality);
    printf(", \"sop_class_uid\": ");
    json_string(info->sop_class_uid);
    printf(", \"transfer_syntax_uid\": ");
    json_string(info->transfer_syntax_uid);
    printf(", \"transfer_syntax\": ");
    json_string(info->transfer_syntax_name);
    printf(", \"lossy\": %s, \"frames\": %u, \"rows\": %u, \"columns\": %u, \"bits_allocated\": %u,"
           " \"bits_stored\": %u, \"signed\": %s, \"monochrome1\": %s, \"max_value\": %u",
           info->lossy_compression ? "true" : "false", info->frames, info->rows, info->columns,
           info->bits_allocated, info->bits_stored, info->pixel_signed ? "true" : "false",
           info->monochrome1 ? "true" : "false", info->max_value);
    printf(", \"timing_source\": ");
    json_string(pdva_timing_source_name(info->timing_source));
    printf(", \"timing_suspect\": %s, \"timing_note\": ", info->timing_suspect ? "true" : "false");
    json_string(info->timing_note);
    printf(", \"frame_times_s\": ");
    if (!info->frame_times_s) {
        printf("null");
    } else {
        printf("[");
        for (uint32_t i = 0; i < info->frames; i++)
            printf("%s%.6f", i ? ", " : "", info->frame_times_s[i]);
        printf("]");
    }
    if (info->spacing_source == PDVA_SPACING_UNKNOWN)
        printf(", \"pixel_spacing_mm\": null");
    else
        printf(", \"pixel_spacing_mm\": [%.6f, %.6f]", info->pixel_spacing_mm[0],
               info->pixel_spacing_mm[1]);
    printf(", \"spacing_source\": ");
    json_string(pdva_spacing_source_report_name(info->spacing_source));
    printf(", \"laterality\": ");
    char lat[2] = {info->laterality, '\0'};
    if (info->laterality)
        json_string(lat);
    else
        printf("null");
    printf(", \"mask_subtraction\": %s, \"recommended_subtraction\": %s",
           info->has_mask_subtraction ? "true" : "false",
           info->recommended_subtraction ? "true" : "false");
    if (d) {
        printf(", \"decoded_frames\": %u, \"failed_frames\": %u", d->ok, d->failed);
        if (d->ok)
            printf(", \"min\": %u, \"max\": %u", d->min, d->max);
        if (d->failed) {
            printf(", \"decode_error\": ");
            json_string(d->first_error);
        }
    }
    printf(", \"warnings\": ");
    json_string(info->warnings);
    printf("}");
}

/* ---- text output -------------------------------------------------------------------------- */

static void print_text_series(size_t index, size_t count, const char *uid, size_t n_files,
                              pdva_status st, const char *error, const pdva_series_info *info,
                              const decode_result *d)
{
    printf("Series %zu/%zu  %s  (%zu file%s)\n", index + 1, count, uid[0] ? uid : "(no UID)",
           n_files, n_files == 1 ? "" : "s");
    if (st != PDVA_OK) {
        printf("  refused: %s: %s\n\n", pdva_status_str(st), error);
        return;
    }
    printf("  kind:            %s (Modality %s, SOP Class %s)\n", pdva_image_kind_name(info->kind),
           info->modality[0] ? info->modality : "-", info->sop_class_uid);
    if (info->reason[0])
        printf("  reason:          %s\n", info->reason);
    printf("  frames:          %u of %u x %u (rows x columns), %u of %u bits, %s, %s\n",
           info->frames, info->rows, info->columns, info->bits_stored, info->bits_allocated,
           info->pixel_signed ? "signed" : "unsigned",
           info->monochrome1 ? "MONOCHROME1 (inverted)" : "MONOCHROME2");
    printf("  transfer syntax: %s %s%s\n", info->transfer_syntax_name, info->transfer_syntax_uid,
           info->lossy_compression ? " (lossy)" : "");
    if (info->kind != PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
        printf("  frame times:     ");
        if (!info->frame_times_s) {
            printf("unknown");
        } else {
            uint32_t shown = info->frames < FIRST_TIMES ? info->frames : FIRST_TIMES;
            for (uint32_t i = 0; i < shown; i++)
                printf("%s%.3f", i ? " " : "", info->frame_times_s[i]);
            if (info->frames > shown)
                printf(" ... %.3f", info->frame_times_s[info->frames - 1]);
            printf(" s");
        }
        printf(" [%s]%s\n", pdva_timing_source_name(info->timing_source),
               info->timing_suspect ? " SUSPECT" : "");
        if (info->timing_note[0])
            printf("  timing note:     %s\n", info->timing_note);
        if (info->spacing_source == PDVA_SPACING_UNKNOWN)
            printf("  pixel spacing:   unknown\n");
        else
            printf("  pixel spacing:   %.4f x %.4f mm (%s)\n", info->pixel_spacing_mm[0],
                   info->pixel_spacing_mm[1],
                   pdva_spacing_source_description(info->spacing_source));
        if (info->imager_pixel_spacing_mm[0] > 0)
            printf("  imager spacing:  %.4f x %.4f mm (detector)\n",
                   info->imager_pixel_spacing_mm[0], info->imager_pixel_spacing_mm[1]);
        printf("  laterality:      %s\n", info->laterality == 'L'   ? "left"
                                          : info->laterality == 'R' ? "right"
                                                                    : "unknown");
        if (info->has_positioner_angles)
            printf("  positioner:      %.1f / %.1f deg\n", info->positioner_primary_angle_deg,
                   info->positioner_secondary_angle_deg);
        if (info->has_mask_subtraction || info->recommended_subtraction) {
            printf("  mask:            %s", info->mask_operation[0] ? info->mask_operation : "-");
            for (uint32_t i = 0; i < info->n_mask_frame_numbers; i++)
                printf("%s%u", i ? "," : " frames ", info->mask_frame_numbers[i]);
            printf("%s\n", info->recommended_subtraction ? " (subtraction recommended)" : "");
        }
        if (info->pixel_intensity_relationship[0])
            printf("  intensity:       %s, sign %d\n", info->pixel_intensity_relationship,
                   info->pixel_intensity_sign);
    }
    if (d) {
        if (d->ok)
            printf("  decoded:         %u/%u frames OK, values %u..%u (max_value %u)\n", d->ok,
                   info->frames, d->min, d->max, info->max_value);
        else
            printf("  decoded:         0/%u frames OK\n", info->frames);
        if (d->failed)
            printf("  decode failures: %u, first: %s\n", d->failed, d->first_error);
    }
    if (info->warnings[0])
        printf("  warnings:        %s\n", info->warnings);
    printf("\n");
}

int main(int argc, char **argv)
{
    bool json = false;
    int first_path = 1;
    if (argc > 1 && strcmp(argv[1], "--json") == 0) {
        json = true;
        first_path = 2;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: pdva-dicom-info [--json] PATH...\n");
        return 0;
    }
    if (first_path >= argc) {
        fprintf(stderr, "usage: pdva-dicom-info [--json] PATH...\n");
        return 2;
    }
    pdva_study *study = NULL;
    pdva_error *err = NULL;
    if (pdva_study_scan((const char *const *)(argv + first_path), (size_t)(argc - first_path), NULL,
                        &study, &err) != PDVA_OK) {
        fprintf(stderr, "pdva-dicom-info: %s\n", pdva_error_message(err));
        pdva_error_destroy(err);
        return 1;
    }
    int exit_code = 0;
    size_t count = pdva_study_series_count(study);
    if (json)
        printf("{\"series\": [");
    for (size_t i = 0; i < count; i++) {
        pdva_series *series = NULL;
        pdva_status st = pdva_study_open_series(study, i, &series, &err);
        const pdva_series_info *info = series ? pdva_series_get_info(series) : NULL;
        decode_result d;
        bool decoded = false;
        if (st == PDVA_OK && info->kind != PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
            decode_all(series, info, &d);
            decoded = true;
            if (d.failed)
                exit_code = 1;
        }
        if (st != PDVA_OK)
            exit_code = 1;
        const char *uid = pdva_study_series_uid(study, i);
        size_t n_files = pdva_study_series_file_count(study, i);
        if (json)
            print_json_series(i, uid, n_files, st, pdva_error_message(err), info,
                              decoded ? &d : NULL, i == 0);
        else
            print_text_series(i, count, uid, n_files, st, pdva_error_message(err), info,
                              decoded ? &d : NULL);
        pdva_error_destroy(err);
        err = NULL;
        pdva_series_destroy(series);
    }
    size_t rejected = pdva_study_rejected_count(study);
    if (rejected)
        exit_code = 1;
    if (json) {
        printf("\n  ],\n  \"rejected\": [");
        for (size_t i = 0; i < rejected; i++) {
            printf("%s\n    {\"path\": ", i ? "," : "");
            json_string(pdva_study_rejected_path(study, i));
            printf(", \"status\": ");
            json_string(pdva_status_str(pdva_study_rejected_status(study, i)));
            printf(", \"reason\": ");
            json_string(pdva_study_rejected_reason(study, i));
            printf("}");
        }
        printf("\n  ]\n}\n");
    } else {
        if (rejected)
            printf("Refused files (%zu):\n", rejected);
        for (size_t i = 0; i < rejected; i++)
            printf("  %s\n    %s: %s\n", pdva_study_rejected_path(study, i),
                   pdva_status_str(pdva_study_rejected_status(study, i)),
                   pdva_study_rejected_reason(study, i));
    }
    pdva_study_destroy(study);
    return exit_code;
}
