/* pdva_dicom.h — reading angiographic series: files in, frames, times and geometry out.
 *
 * The C face of the reader. Everything DICOM-specific stops here: the analysis (core/) sees only
 * pdva_series_info and 16-bit frames. DCMTK does the byte-level work behind dicom/dcmtk_shim.h;
 * no C++ type or exception crosses this header.
 *
 * Thread safety: a pdva_study or pdva_series handle belongs to one thread at a time; distinct
 * handles may be used from different threads at once. pdva_dicom_global_init() is idempotent
 * and thread-safe (it is also called by every open function).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_DICOM_H
#define PDVA_DICOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an image is, from its SOP Class and Modality. */
typedef enum pdva_image_kind {
    PDVA_IMAGE_NOT_ANGIOGRAPHIC = 0, /* anything else: CT, MR, RT Dose, ... (see `reason`) */
    PDVA_IMAGE_XA = 1,               /* X-Ray Angiographic Image Storage */
    PDVA_IMAGE_XRF = 2,              /* X-Ray Radiofluoroscopic Image Storage */
    PDVA_IMAGE_ENHANCED_XA = 3,      /* Enhanced XA Image Storage */
    PDVA_IMAGE_ENHANCED_XRF = 4,     /* Enhanced XRF Image Storage */
    PDVA_IMAGE_OTHER_XA_RF = 5       /* another SOP Class (Secondary Capture, ...) with Modality XA/RF */
} pdva_image_kind;

/* Where the frame times came from. */
typedef enum pdva_timing_source {
    PDVA_TIMING_NONE = 0,             /* unknown: frame_times_s is NULL */
    PDVA_TIMING_SINGLE_FRAME = 1,     /* one frame: [0.0] */
    PDVA_TIMING_FRAME_TIME = 2,       /* Frame Time (0018,1063) */
    PDVA_TIMING_FRAME_TIME_VECTOR = 3,/* Frame Time Vector (0018,1065) */
    PDVA_TIMING_FUNCTIONAL_GROUPS = 4,/* Frame Content / Frame Acquisition DateTime per frame */
    PDVA_TIMING_INSTANCE_TIMES = 5,   /* one frame per file: Acquisition/Content DateTime */
    PDVA_TIMING_CINE_RATE = 6,        /* Cine Rate (0018,0040): last resort, flagged */
    PDVA_TIMING_DISPLAY_RATE = 7      /* Recommended Display Frame Rate (0008,2144): flagged */
} pdva_timing_source;

/* Where the pixel spacing at the vessel plane came from. Imager Pixel Spacing (at the detector)
 * is never reported as the spacing at the patient. */
typedef enum pdva_spacing_source {
    PDVA_SPACING_UNKNOWN = 0,
    PDVA_SPACING_PIXEL_SPACING = 1,       /* Pixel Spacing (0028,0030) */
    PDVA_SPACING_MAGNIFICATION_ERMF = 2,  /* Imager Pixel Spacing / Estimated Radiographic Magnification Factor */
    PDVA_SPACING_MAGNIFICATION_DISTANCES = 3 /* Imager Pixel Spacing x Distance Source to Patient / Distance Source to Detector */
} pdva_spacing_source;

/* The report's name of a spacing source: "pixel_spacing", "magnification_corrected", "unknown". */
const char *pdva_spacing_source_report_name(pdva_spacing_source source);
/* A longer description for people ("Imager Pixel Spacing / ERMF 1.25"). Static. */
const char *pdva_spacing_source_description(pdva_spacing_source source);
const char *pdva_timing_source_name(pdva_timing_source source);
const char *pdva_image_kind_name(pdva_image_kind kind);

#define PDVA_UID_MAX 65     /* 64 characters + NUL */
#define PDVA_SHORT_MAX 65   /* LO/SH/CS values, cut and sanitized */
#define PDVA_NOTE_MAX 512
#define PDVA_MAX_MASK_FRAMES 16

/* Everything the analysis needs to know about a series. Strings are NUL-terminated, valid UTF-8
 * without control characters (hostile bytes are replaced), cut to their buffer. */
typedef struct pdva_series_info {
    /* what it is */
    pdva_image_kind kind;
    char reason[PDVA_NOTE_MAX];          /* why not angiographic / why not analyzable, or "" */
    char sop_class_uid[PDVA_UID_MAX];
    char modality[PDVA_SHORT_MAX];
    char transfer_syntax_uid[PDVA_UID_MAX];
    char transfer_syntax_name[PDVA_SHORT_MAX]; /* "JPEG Lossless, SV1", ... */
    bool lossy_compression;              /* lossy transfer syntax or Lossy Image Compression "01" */

    /* the pixel grid (of every frame) */
    uint32_t rows, columns, frames;
    uint16_t bits_allocated, bits_stored;
    bool pixel_signed;
    bool monochrome1;                    /* inverted by read_frame so that bright = more X-rays */
    double rescale_slope, rescale_intercept; /* 1, 0 when absent */
    bool modality_lut_applied;           /* a Modality LUT Sequence or a non-identity rescale */
    uint32_t max_value;                  /* largest value read_frame can return */
    char pixel_intensity_relationship[PDVA_SHORT_MAX]; /* "LIN", "LOG", "DISP" or "" */
    int pixel_intensity_sign;            /* (0028,1041): +1, -1, or 0 when absent */

    /* time */
    double *frame_times_s;               /* `frames` values from 0.0, non-decreasing; NULL when unknown. Borrowed. */
    pdva_timing_source timing_source;
    bool timing_suspect;                 /* present but absurd or guessed: see timing_note */
    char timing_note[PDVA_NOTE_MAX];

    /* geometry */
    double pixel_spacing_mm[2];          /* row spacing, column spacing at the vessel plane; 0 when unknown */
    pdva_spacing_source spacing_source;
    double imager_pixel_spacing_mm[2];   /* at the detector; 0 when absent */
    double estimated_magnification;      /* ERMF (0018,1114); 0 when absent */
    double distance_source_to_detector_mm; /* 0 when absent */
    double distance_source_to_patient_mm;  /* 0 when absent */
    double positioner_primary_angle_deg, positioner_secondary_angle_deg;
    bool has_positioner_angles;

    /* context */
    char patient_id[PDVA_SHORT_MAX];     /* never logged above debug level */
    char patient_name[PDVA_SHORT_MAX];   /* never logged above debug level */
    char study_instance_uid[PDVA_UID_MAX];
    char series_instance_uid[PDVA_UID_MAX];
    char study_date[9];                  /* YYYYMMDD or "" */
    char study_time[17];
    char series_description[PDVA_SHORT_MAX];
    char body_part_examined[PDVA_SHORT_MAX];
    int32_t series_number;               /* 0 when absent */
    char laterality;                     /* 'L', 'R', or 0 when unknown/bilateral */

    /* mask subtraction hints (Mask Subtraction Sequence, Recommended Viewing Mode) */
    bool has_mask_subtraction;
    char mask_operation[PDVA_SHORT_MAX]; /* "AVG_SUB", "TID", ... */
    uint32_t mask_frame_numbers[PDVA_MAX_MASK_FRAMES]; /* 0-based frame indices */
    uint32_t n_mask_frame_numbers;
    bool recommended_subtraction;        /* Recommended Viewing Mode "SUB" */

    uint32_t n_files;                    /* files the series was read from */
    char warnings[PDVA_NOTE_MAX];        /* "; "-separated notes for a person, or "" */
} pdva_series_info;

/* ---- one series --------------------------------------------------------------------------- */

typedef struct pdva_series pdva_series;

/* Open one series from `n_paths` files: one multi-frame file, or single-frame files of one series
 * (ordered by frame time / acquisition time, else Instance Number). Headers are parsed and checked
 * against `limits` (NULL: defaults) before any pixel data is loaded; pixel data is read later, one
 * frame at a time.
 * A file that parses but is not angiographic opens successfully with kind ==
 * PDVA_IMAGE_NOT_ANGIOGRAPHIC and `reason` set; its frames cannot be read.
 * Errors: PDVA_ERR_IO, NOT_DICOM, MALFORMED, TRUNCATED, UNSUPPORTED (names the transfer syntax),
 * LIMIT_EXCEEDED, INCONSISTENT (mixed series, mismatched sizes, duplicate instances), NO_MEMORY.
 * On success *out is caller-owned (pdva_series_destroy). */
pdva_status pdva_series_open(const char *const *paths, size_t n_paths, const pdva_limits *limits,
                             pdva_series **out, pdva_error **err);

/* Borrowed; valid until pdva_series_destroy(series). */
const pdva_series_info *pdva_series_get_info(const pdva_series *series);

/* Decode frame `index` (0-based) into dst, which holds at least rows * columns values, row-major.
 * Values are the stored values with MONOCHROME1 inverted and the Modality LUT / rescale applied,
 * clamped to [0, max_value]. Memory used does not grow with the number of frames.
 * Errors: INVALID_ARGUMENT (index, dst_len), NOT_ANGIOGRAPHIC, DECODE, TRUNCATED, UNSUPPORTED, IO. */
pdva_status pdva_series_read_frame(pdva_series *series, uint32_t index, uint16_t *dst,
                                   size_t dst_len, pdva_error **err);

/* NULL is a no-op. */
void pdva_series_destroy(pdva_series *series);

/* ---- a study: many files, grouped into series --------------------------------------------- */

typedef struct pdva_study pdva_study;

/* Scan files, folders (recursively, symlinks not followed) and DICOMDIR files, read their
 * headers, and group the DICOM files by Series Instance UID. Files that are not DICOM or cannot
 * be parsed are kept in a "rejected" list with the reason; they do not fail the scan. Fails only
 * for unusable arguments, an unreadable top-level path, limits (max_files) or memory.
 * On success *out is caller-owned (pdva_study_destroy). */
pdva_status pdva_study_scan(const char *const *paths, size_t n_paths, const pdva_limits *limits,
                            pdva_study **out, pdva_error **err);

size_t pdva_study_series_count(const pdva_study *study);
/* Series Instance UID of series i ("" when the files had none). Borrowed. */
const char *pdva_study_series_uid(const pdva_study *study, size_t i);
/* Number of files and their paths (sorted) of series i. Borrowed. */
size_t pdva_study_series_file_count(const pdva_study *study, size_t i);
const char *const *pdva_study_series_files(const pdva_study *study, size_t i);
/* Open series i (pdva_series_open on its files, with the scan's limits). */
pdva_status pdva_study_open_series(const pdva_study *study, size_t i, pdva_series **out,
                                   pdva_error **err);

size_t pdva_study_rejected_count(const pdva_study *study);
const char *pdva_study_rejected_path(const pdva_study *study, size_t i);   /* borrowed */
const char *pdva_study_rejected_reason(const pdva_study *study, size_t i); /* borrowed */
pdva_status pdva_study_rejected_status(const pdva_study *study, size_t i);

void pdva_study_destroy(pdva_study *study);

/* DCMTK's process-wide set-up (dictionary check, decoder registration, silencing its logger),
 * done once. Never undone: a host such as Orthanc may share the same DCMTK. */
pdva_status pdva_dicom_global_init(pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_DICOM_H */
