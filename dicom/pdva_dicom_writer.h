/* pdva_dicom_writer.h — writing angiographic cine series (used by the sample-study generator,
 * the benchmarks and the tests). DCMTK writes every byte; every file written passes dciodvfy.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_DICOM_WRITER_H
#define PDVA_DICOM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdva/pdva.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a series is stored. Values are stable (recipes name them). */
typedef enum pdva_encoding {
    PDVA_ENCODING_XA_EXPLICIT_LE = 1,  /* "xa-explicit-le": multi-frame XA, Explicit VR Little Endian */
    PDVA_ENCODING_XA_IMPLICIT_LE = 2,  /* "xa-implicit-le" */
    PDVA_ENCODING_XA_BIG_ENDIAN = 3,   /* "xa-big-endian": Explicit VR Big Endian (retired, still met) */
    PDVA_ENCODING_XA_JPEG_LOSSLESS = 4,/* "xa-jpeg-lossless": JPEG Lossless SV1 (1.2.840.10008.1.2.4.70) */
    PDVA_ENCODING_XA_RLE = 5,          /* "xa-rle": RLE Lossless */
    PDVA_ENCODING_XA_JPEG_LS = 6,      /* "xa-jpeg-ls": JPEG-LS Lossless */
    PDVA_ENCODING_ENHANCED_XA = 7,     /* "enhanced-xa": Enhanced XA, per-frame functional groups */
    PDVA_ENCODING_XRF = 8,             /* "xrf": X-Ray Radiofluoroscopic, Explicit VR LE */
    PDVA_ENCODING_XA_FRAME_PER_FILE = 9,/* "xa-frame-per-file": one single-frame XA file per frame */
    PDVA_ENCODING_XA_JPEG_BASELINE = 10 /* "xa-jpeg-baseline": 8-bit lossy JPEG (as some archives hold) */
} pdva_encoding;

/* "xa-jpeg-lossless" etc.; NULL for an unknown value. Static. */
const char *pdva_encoding_name(pdva_encoding encoding);
/* Parse a name; returns 0 when unknown. */
pdva_encoding pdva_encoding_from_name(const char *name);

/* One angiographic run to write. All pointers are borrowed for the duration of the call. */
typedef struct pdva_xa_series_desc {
    size_t struct_size;                /* sizeof(pdva_xa_series_desc) */
    pdva_encoding encoding;

    uint32_t rows, columns, frames;
    uint16_t bits_stored;              /* 8..16; bits allocated is 8 for 8, else 16 */
    const uint16_t *pixels;            /* frames * rows * columns values, frame after frame */
    const char *pixel_intensity_relationship; /* "LIN" (default when NULL) or "LOG" */

    const double *frame_times_s;       /* `frames` values from 0.0 */
    bool variable_frame_times;         /* write Frame Time Vector instead of Frame Time */

    /* Geometry. Imager Pixel Spacing and the distances are always written (the detector is the
     * source of truth); Pixel Spacing and ERMF only when asked, as some systems do. */
    double imager_pixel_spacing_mm[2];
    double distance_source_to_detector_mm;
    double distance_source_to_patient_mm;
    bool write_pixel_spacing;          /* Pixel Spacing calibrated to the vessel plane */
    double pixel_spacing_mm[2];
    bool write_estimated_magnification;
    double estimated_magnification;
    double positioner_primary_angle_deg, positioner_secondary_angle_deg;

    /* identity and context */
    const char *patient_id, *patient_name, *patient_birth_date, *patient_sex;
    const char *study_instance_uid, *series_instance_uid;
    const char *sop_instance_uid_root; /* instance UIDs are root + "." + n; NULL: derived from the series UID */
    const char *study_date, *study_time, *series_description, *body_part_examined;
    const char *accession_number, *study_id, *referring_physician;
    int32_t series_number;
    char laterality;                   /* 'L', 'R' or 0 */
    double kvp, tube_current_ma, exposure_time_ms; /* 0: not written */

    /* mask: the mask frames (0-based), written as a Mask Subtraction Sequence AVG_SUB */
    const uint32_t *mask_frames;
    uint32_t n_mask_frames;
} pdva_xa_series_desc;

/* Fill defaults (struct_size, "LIN", zeros). */
void pdva_xa_series_desc_init(pdva_xa_series_desc *desc);

/* Write the run into `out_dir` (must exist) as `<file_stem>.dcm`, or `<file_stem>-NNNN.dcm` for
 * one frame per file. Writes nothing outside out_dir; on failure removes what it wrote.
 * Errors: INVALID_ARGUMENT, IO, NO_MEMORY, INTERNAL (DCMTK refused). */
pdva_status pdva_dicom_write_xa_series(const pdva_xa_series_desc *desc, const char *out_dir,
                                       const char *file_stem, pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_DICOM_WRITER_H */
