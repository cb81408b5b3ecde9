/* builder.h — a tiny DICOM byte writer for the reader's tests: every byte under the test's
 * control, so that hostile files (lying lengths, deep nesting, odd values) are easy to make.
 * Writes Explicit VR Little Endian, Implicit VR Little Endian or Explicit VR Big Endian.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_TESTS_DICOM_READ_BUILDER_H
#define PDVA_TESTS_DICOM_READ_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_RLE "1.2.840.10008.1.2.5"
#define TS_JPEG_BASELINE "1.2.840.10008.1.2.4.50"
#define TS_J2K_LOSSLESS "1.2.840.10008.1.2.4.90"
#define SOP_XA "1.2.840.10008.5.1.4.1.1.12.1"
#define SOP_XRF "1.2.840.10008.5.1.4.1.1.12.2"
#define SOP_ENHANCED_XA "1.2.840.10008.5.1.4.1.1.12.1.1"
#define SOP_SC "1.2.840.10008.5.1.4.1.1.7"
#define SOP_CT "1.2.840.10008.5.1.4.1.1.2"

typedef struct tb_buf {
    uint8_t *data;
    size_t len, cap;
    bool explicit_vr, big_endian;
} tb_buf;

void tb_init(tb_buf *b, const char *ts_uid);
void tb_free(tb_buf *b);
void tb_raw(tb_buf *b, const void *data, size_t n);
void tb_u16(tb_buf *b, uint16_t v);
void tb_u32(tb_buf *b, uint32_t v);
/* An element header in the buffer's encoding; len may be 0xFFFFFFFF. */
void tb_header(tb_buf *b, uint16_t g, uint16_t e, const char *vr, uint32_t len);
/* An element with raw value bytes (written as given). */
void tb_elem(tb_buf *b, uint16_t g, uint16_t e, const char *vr, const void *value, uint32_t len);
/* A text element padded to even length (NUL for UI, space otherwise). */
void tb_str(tb_buf *b, uint16_t g, uint16_t e, const char *vr, const char *s);
void tb_us(tb_buf *b, uint16_t g, uint16_t e, uint16_t v);
void tb_ss(tb_buf *b, uint16_t g, uint16_t e, int16_t v);
void tb_at(tb_buf *b, uint16_t g, uint16_t e, uint16_t tg, uint16_t te);
void tb_fd(tb_buf *b, uint16_t g, uint16_t e, double v);
/* Undefined-length sequences and items. */
void tb_seq_begin(tb_buf *b, uint16_t g, uint16_t e);
void tb_item_begin(tb_buf *b);
void tb_item_end(tb_buf *b);
void tb_seq_end(tb_buf *b);
/* Native pixel data: n samples of 8 or 16 bits (OB / OW), in the buffer's byte order. */
void tb_pixels(tb_buf *b, const uint16_t *samples, size_t n, unsigned bits_allocated);
/* Encapsulated pixel data: (7FE0,0010) OB undefined, then the offset table item. */
void tb_pixseq_begin(tb_buf *b, const uint32_t *offsets, size_t n_offsets);
void tb_fragment(tb_buf *b, const void *data, uint32_t len);

/* Preamble, DICM and a file meta group (with group length) for the transfer syntax. */
void tb_meta(tb_buf *out, const char *ts_uid, const char *sop_class, const char *sop_instance);
/* meta + dataset to path; 0 on success. */
int tb_write(const char *path, const tb_buf *meta, const tb_buf *dataset);
int tb_write_bytes(const char *path, const void *data, size_t len);
/* Whole file into a malloc'd buffer (NULL on failure). */
uint8_t *tb_read_file(const char *path, size_t *len);

/* The test pattern of frame f: a value of bits_stored bits at (row, column). */
uint16_t tb_pattern(uint32_t f, uint32_t r, uint32_t c, unsigned bits_stored);

/* A multi-frame XA-like file with everything optional. NULL strings are not written. */
typedef struct tb_xa {
    const char *ts_uid, *sop_class, *modality;
    const char *sop_instance_uid, *study_uid, *series_uid;
    uint16_t rows, columns;
    uint32_t frames;              /* frames of pixel data written */
    const char *number_of_frames; /* (0028,0008) text; NULL: not written */
    uint16_t bits_allocated, bits_stored, high_bit, pixel_representation, samples_per_pixel;
    const char *photometric;
    bool omit_bits_stored, omit_pixel_data;
    long pixel_bytes;       /* >= 0: write exactly this many pixel bytes instead */
    const uint16_t *pixels; /* frames * rows * columns, or NULL: tb_pattern */
    const char *frame_time, *frame_time_vector, *cine_rate, *display_rate;
    uint16_t fip_group, fip_element; /* 0: no Frame Increment Pointer */
    const char *pixel_spacing, *imager_pixel_spacing, *ermf, *dsd, *dsp;
    const char *primary_angle, *secondary_angle;
    const char *image_laterality, *laterality;
    const char *charset, *patient_name, *patient_id, *series_description, *body_part;
    const char *study_date, *study_time, *series_number, *instance_number;
    const char *acquisition_datetime, *acquisition_date, *acquisition_time, *content_time;
    const char *rescale_slope, *rescale_intercept;
    const char *intensity_relationship;
    int16_t intensity_sign;      /* 0: not written */
    const char *lossy;           /* (0028,2110) */
    const char *mask_operation;  /* non-NULL: Mask Subtraction Sequence */
    const uint16_t *mask_frames; /* 1-based */
    size_t n_mask_frames;
    const char *viewing_mode;
    bool enhanced;                      /* Enhanced XA functional groups (see below) */
    const char *const *frame_datetimes; /* per-frame Frame Acquisition DateTime */
    const double *frame_durations_ms;   /* per-frame Frame Acquisition Duration */
    const char *frame_laterality;       /* shared Frame Anatomy Sequence */
    bool spacing_in_groups;             /* Pixel Spacing in the shared Pixel Measures */
    bool geometry_in_groups;            /* Imager Pixel Spacing, distances in shared macros */
    float distance_source_to_isocenter; /* X-Ray Geometry Sequence, when > 0 */
} tb_xa;

void tb_xa_defaults(tb_xa *x);
/* Build the dataset of x into *dataset (initialised by the call). */
void tb_xa_dataset(const tb_xa *x, tb_buf *dataset);
/* Write x to path; 0 on success. */
int tb_xa_write(const tb_xa *x, const char *path);

#endif /* PDVA_TESTS_DICOM_READ_BUILDER_H */
