/* write_internal.h — what the C half of the writer hands to the DCMTK shim: a validated series
 * plan and one instance (file) of it. Private to dicom/write/; included by C and C++.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_DICOM_WRITE_INTERNAL_H
#define PDVA_DICOM_WRITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dicom/pdva_dicom_writer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PDVA_WRITE_UID_MAX 65 /* 64 characters + NUL */
#define PDVA_WRITE_DS_MAX 17  /* a DS value: 16 characters + NUL */

/* The series as the shim writes it; every field checked by pdva_write_plan_build(). */
typedef struct pdva_write_plan {
    const pdva_xa_series_desc *desc;          /* borrowed; validated */
    bool enhanced;                            /* Enhanced XA IOD */
    bool xrf;                                 /* X-Ray Radiofluoroscopic IOD */
    bool frame_per_file;                      /* one single-frame XA file per frame */
    const char *pixel_intensity_relationship; /* "LIN" or "LOG" */
    uint16_t bits_allocated;                  /* 8 or 16 */
    int64_t start_us;                         /* acquisition start: local civil time, microseconds
                                               * since 1970-01-01T00:00:00 (pdva_write_dt_*) */
    double frame_interval_ms;                 /* mean interval between frames; 0 for one frame */
    const char *body_part;                    /* Body Part Examined or NULL */
    char laterality;                          /* 'L', 'R' or 0 */
    char sop_uid_root[PDVA_WRITE_UID_MAX];    /* "" when instance UIDs are hashed (2.25.x) */
} pdva_write_plan;

/* One file of the series. */
typedef struct pdva_write_instance {
    const pdva_write_plan *plan; /* borrowed */
    const char *path;            /* the (temporary) file to create; borrowed */
    uint32_t first_frame;        /* index of its first frame in desc->pixels */
    uint32_t n_frames;           /* frames it holds (1 for frame-per-file) */
    int32_t instance_number;     /* 1-based */
    char sop_instance_uid[PDVA_WRITE_UID_MAX];
    char irradiation_event_uid[PDVA_WRITE_UID_MAX]; /* Enhanced XA */
} pdva_write_instance;

/* Build and save one instance with DCMTK (dcmtk_write_shim.cc). Never throws. Removes nothing:
 * the caller deletes `path` on failure.
 * Errors: PDVA_ERR_NO_MEMORY, PDVA_ERR_IO, PDVA_ERR_INTERNAL (DCMTK refused the data set or the
 * codec failed). */
pdva_status pdva_dcmtk_write_instance(const pdva_write_instance *instance, pdva_error **err);

/* ---- validation (validate.c) -------------------------------------------------------------- */

/* Check every field of `desc` and fill `plan`. Errors: PDVA_ERR_INVALID_ARGUMENT naming the
 * field (and for pixel values the first offending frame, row and column),
 * PDVA_ERR_VERSION_MISMATCH for a struct_size smaller than this library's. */
pdva_status pdva_write_plan_build(const pdva_xa_series_desc *desc, pdva_write_plan *plan,
                                  pdva_error **err);

/* Check a file stem: non-empty, at most PDVA_WRITE_STEM_MAX bytes, no '/', '\\', control
 * characters, not "." or "..", no ".." component, and not starting with '.' or '-'. */
#define PDVA_WRITE_STEM_MAX 128
pdva_status pdva_write_check_stem(const char *file_stem, pdva_error **err);

/* true when `uid` is a syntactically valid UID of at most 64 characters. */
bool pdva_write_uid_is_valid(const char *uid);

/* Write "2.25.<decimal 128-bit hash of a and b>" into out (PDVA_WRITE_UID_MAX bytes): a stable
 * UID derived from names, for UIDs the caller gave no root for. */
void pdva_write_hash_uid(const char *a, const char *b, char out[PDVA_WRITE_UID_MAX]);

/* ---- dates and times (datetime.c) --------------------------------------------------------- */

/* Parse DA "YYYYMMDD" and TM "HH[MM[SS[.F{1,6}]]]" into microseconds since 1970-01-01 (civil
 * time, no zone). `tm` may be NULL (midnight). Returns false for an invalid date or time. */
bool pdva_write_dt_parse(const char *da, const char *tm, int64_t *out_us);
/* true when `da` is a valid DA value (a real calendar date, year 1..9999). */
bool pdva_write_da_is_valid(const char *da);
/* true when `tm` is a valid TM value in the forms above. */
bool pdva_write_tm_is_valid(const char *tm);
/* The current local time, microseconds since 1970-01-01 (civil). */
int64_t pdva_write_dt_now(void);
/* Format: DA "YYYYMMDD" (9 bytes), TM "HHMMSS.ffffff" (14 bytes), DT "YYYYMMDDHHMMSS.ffffff"
 * (22 bytes). */
void pdva_write_dt_format_da(int64_t us, char out[9]);
void pdva_write_dt_format_tm(int64_t us, char out[14]);
void pdva_write_dt_format_dt(int64_t us, char out[22]);
/* Microseconds of frame `index` after the start of the run (rounded). */
int64_t pdva_write_frame_offset_us(const pdva_write_plan *plan, uint32_t index);

/* Format `value` as a DS of at most 16 characters with as many significant digits as fit. */
void pdva_write_format_ds(double value, char out[PDVA_WRITE_DS_MAX]);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_DICOM_WRITE_INTERNAL_H */
