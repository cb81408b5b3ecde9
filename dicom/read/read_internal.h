/* read_internal.h — what the reader's C modules share: the bounded byte pre-scan of a file, the
 * header values the DCMTK shim extracts, and the pure interpretation steps (transfer syntaxes,
 * dates, numbers, timing, spacing, pixel value mapping, code stream checks).
 *
 * Not a public header: nothing here crosses the library boundary.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_DICOM_READ_INTERNAL_H
#define PDVA_DICOM_READ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "base/error.h"
#include "dicom/pdva_dicom.h"
#include "pdva/pdva.h"

/* ---- small helpers (values.c) ------------------------------------------------------------ */

/* The last path component, for messages (never the folders: they may name the patient). */
const char *pdva_read_basename(const char *path);

/* Append "; "-separated, printf-formatted note to buf (capacity cap), cutting when full. */
void pdva_read_note(char *buf, size_t cap, const char *fmt, ...) PDVA_PRINTF(3, 4);

/* Copy a DICOM value into dst as trimmed (spaces, NULs at both ends), sanitized UTF-8. */
void pdva_read_copy_trimmed(char *dst, size_t cap, const char *src, size_t src_len);

/* Copy a NUL-terminated string into an array, cut at a UTF-8 character boundary. */
#define PDVA_READ_COPY(dst, src) pdva_sanitize_utf8((dst), sizeof(dst), (src), strlen(src))

/* True when the first len bytes (up to a NUL) are valid UTF-8. */
bool pdva_read_is_valid_utf8(const char *s, size_t len);

/* Strict IS: optional spaces, sign, digits, spaces; fits int32. */
bool pdva_read_parse_is(const char *s, int32_t *out);

/* Strict DS list: values separated by '\\', each a finite decimal number (spaces allowed at the
 * ends). Writes at most max_values; returns the number of values in the string, or -1 when any
 * value is not a number. */
int pdva_read_parse_ds_list(const char *s, double *values, int max_values);

/* Parse a DS list of unknown length into a caller-owned array (pdva_free). Returns the count, or
 * -1 when malformed, or -2 when allocation failed. `max_count` bounds the allocation. */
long pdva_read_parse_ds_array(const char *s, size_t len, size_t max_count, double **out);

/* ---- dates and times (dicom_time.c) -------------------------------------------------------- */

/* DA "YYYYMMDD" -> days since 1970-01-01. */
bool pdva_read_parse_da(const char *s, int64_t *days);
/* TM "HH[MM[SS[.F{1,6}]]]" -> microseconds of the day. Requires at least HHMMSS when
 * `need_seconds`. Microseconds keep differences exact (doubles of seconds since 1970 do not). */
bool pdva_read_parse_tm(const char *s, bool need_seconds, int64_t *us);
/* DT "YYYYMMDDHHMMSS[.F{1,6}][&ZZXX]" -> microseconds since 1970 (UTC when an offset is given).
 * Precision coarser than seconds is refused: such a value cannot time a frame. */
bool pdva_read_parse_dt(const char *s, int64_t *us);
#define PDVA_READ_NO_TIME INT64_MIN

/* ---- transfer syntaxes (xfer.c) ----------------------------------------------------------- */

typedef enum pdva_read_xfer_kind {
    PDVA_XFER_UNKNOWN = 0, /* not a transfer syntax this build knows */
    PDVA_XFER_NATIVE = 1,  /* uncompressed */
    PDVA_XFER_RLE = 2,
    PDVA_XFER_JPEG = 3, /* baseline, extended, lossless (process 14, SV1) */
    PDVA_XFER_JPEG_LS = 4,
    PDVA_XFER_REFUSED = 5,   /* known, its dataset can be parsed, its pixels cannot be decoded */
    PDVA_XFER_UNPARSABLE = 6 /* known, but its dataset cannot be parsed here (deflate, ...) */
} pdva_read_xfer_kind;

typedef struct pdva_read_xfer {
    const char *uid;
    const char *short_name; /* fits PDVA_SHORT_MAX */
    const char *long_name;  /* PS3.6 name, for messages */
    pdva_read_xfer_kind kind;
    bool explicit_vr;
    bool big_endian;
    bool encapsulated;
    bool lossy;
} pdva_read_xfer;

/* The entry for a UID (trailing spaces/NULs ignored), or NULL. Static. */
const pdva_read_xfer *pdva_read_xfer_find(const char *uid);

/* ---- the bounded pre-scan (prescan.c) ----------------------------------------------------- */

typedef struct pdva_read_fragment {
    uint64_t offset; /* file offset of the fragment's first value byte */
    uint32_t length;
    uint8_t head[4]; /* its first bytes (0 when shorter) */
} pdva_read_fragment;

/* What a walk over the whole file found, before DCMTK sees it. */
typedef struct pdva_read_prescan {
    uint64_t file_size;
    int64_t mtime_ns;
    uint64_t inode, device;
    char transfer_syntax_uid[PDVA_UID_MAX];
    char media_sop_class_uid[PDVA_UID_MAX];
    const pdva_read_xfer *xfer; /* never NULL after success */
    uint32_t max_depth;         /* deepest sequence nesting met */
    uint64_t n_elements;

    bool has_pixel_data; /* (7FE0,0010) at the top level */
    bool pixel_encapsulated;
    uint64_t pixel_value_offset;      /* native: first value byte */
    uint32_t pixel_length;            /* native: value length */
    bool pixel_sequence_unterminated; /* encapsulated, the file ends after a whole fragment */
    uint64_t bot_offset;              /* Basic Offset Table value */
    uint32_t bot_length;
    pdva_read_fragment *fragments; /* n_fragments (BOT excluded); pdva_free via prescan_clear */
    uint32_t n_fragments;
} pdva_read_prescan;

/* The most data elements a file may hold (DCMTK builds an object for each). */
#define PDVA_READ_MAX_ELEMENTS 1000000u
/* Fragments per allowed frame (limits.max_frames * this + 16 in all). */
#define PDVA_READ_FRAGMENTS_PER_FRAME 64u

/* Walk `path` (messages name its basename): preamble, file meta (needs a Transfer Syntax UID),
 * then every element, sequence and item to the end of the file, bounded by limits (file size,
 * sequence depth, element count, fragments) and checking that every length fits in its
 * container and in the file. On success *scan is filled (pdva_read_prescan_clear frees it).
 * Errors: IO, NOT_DICOM, MALFORMED, TRUNCATED, UNSUPPORTED, LIMIT_EXCEEDED, NO_MEMORY. */
pdva_status pdva_read_prescan_file(const char *path, const pdva_limits *limits,
                                   pdva_read_prescan *scan, pdva_error **err);
void pdva_read_prescan_clear(pdva_read_prescan *scan);

/* ---- header values extracted by the shim (dcmtk_read_shim.cc fills, C interprets) -------- */

#define PDVA_READ_STR 68 /* one or two short values: raw DS/IS/CS/UI text, trimmed */
#define PDVA_READ_MAX_FIP 8

typedef struct pdva_read_header {
    /* identity and context, sanitized UTF-8 */
    char sop_class_uid[PDVA_UID_MAX], sop_instance_uid[PDVA_UID_MAX];
    char study_instance_uid[PDVA_UID_MAX], series_instance_uid[PDVA_UID_MAX];
    char modality[PDVA_SHORT_MAX];
    char patient_id[PDVA_SHORT_MAX], patient_name[PDVA_SHORT_MAX];
    char study_date[PDVA_READ_STR], study_time[PDVA_READ_STR];
    char series_description[PDVA_SHORT_MAX], body_part_examined[PDVA_SHORT_MAX];
    char series_number[PDVA_READ_STR], instance_number[PDVA_READ_STR];
    char image_laterality[PDVA_READ_STR], laterality[PDVA_READ_STR],
        frame_laterality[PDVA_READ_STR];
    bool charset_conversion_failed;

    /* image pixel module; has_* false when absent or unreadable */
    bool has_rows, has_columns, has_bits_allocated, has_bits_stored, has_high_bit;
    bool has_pixel_representation, has_samples_per_pixel;
    uint16_t rows, columns, bits_allocated, bits_stored, high_bit, pixel_representation;
    uint16_t samples_per_pixel;
    char photometric[PDVA_READ_STR];
    bool has_number_of_frames;
    char number_of_frames[PDVA_READ_STR];
    char rescale_slope[PDVA_READ_STR], rescale_intercept[PDVA_READ_STR]; /* "" when absent */
    bool rescale_varies; /* Enhanced: per-frame values differ */
    char pixel_intensity_relationship[PDVA_READ_STR];
    bool has_pixel_intensity_sign;
    int16_t pixel_intensity_sign;
    char lossy_image_compression[PDVA_READ_STR], lossy_image_compression_retired[PDVA_READ_STR];

    /* Modality LUT Sequence (0028,3000), first item */
    bool has_modality_lut;
    bool modality_lut_unusable; /* present but malformed: see warnings */
    uint32_t lut_entries;       /* 1..65536 */
    int32_t lut_first_mapped;
    uint16_t lut_bits;
    uint16_t *lut_data; /* lut_entries values; pdva_free via header_clear */

    /* timing */
    char frame_time[PDVA_READ_STR];
    char *frame_time_vector; /* raw DS text or NULL; pdva_free */
    size_t frame_time_vector_len;
    bool frame_time_vector_too_long;
    uint32_t fip[PDVA_READ_MAX_FIP]; /* Frame Increment Pointer, (group << 16) | element */
    uint32_t n_fip;
    char cine_rate[PDVA_READ_STR], display_frame_rate[PDVA_READ_STR];
    char acquisition_datetime[PDVA_READ_STR], acquisition_date[PDVA_READ_STR];
    char acquisition_time[PDVA_READ_STR], content_date[PDVA_READ_STR], content_time[PDVA_READ_STR];
    char frame_acquisition_datetime[PDVA_READ_STR]; /* top level or the only frame's */

    /* Enhanced: per-frame functional groups */
    bool has_per_frame_groups, has_shared_groups;
    uint32_t n_per_frame_items; /* items of (5200,9230) */
    int64_t *frame_acq_dt_us;   /* n_frame_values: microseconds since 1970, or
                                 * PDVA_READ_NO_TIME; pdva_free */
    int64_t *frame_ref_dt_us;
    double *frame_duration_ms;
    uint32_t n_frame_values; /* == n_per_frame_items, or 0 when not extracted */

    /* geometry (raw DS text, "" when absent) */
    char pixel_spacing[PDVA_READ_STR];
    bool pixel_spacing_from_groups; /* Pixel Measures Sequence */
    bool pixel_spacing_varies;      /* per-frame values differ */
    char imager_pixel_spacing[PDVA_READ_STR];
    char ermf[PDVA_READ_STR], dsd[PDVA_READ_STR], dsp[PDVA_READ_STR];
    char dsi[PDVA_READ_STR]; /* Distance Source to Isocenter (Enhanced X-Ray Geometry) */
    char positioner_primary[PDVA_READ_STR], positioner_secondary[PDVA_READ_STR];

    /* mask subtraction */
    bool has_mask_subtraction;
    char mask_operation[PDVA_READ_STR];
    uint16_t mask_frames_1based[PDVA_MAX_MASK_FRAMES];
    uint32_t n_mask_frames;       /* values stored */
    uint32_t n_mask_frames_total; /* values in the file */
    char recommended_viewing_mode[PDVA_READ_STR];

    char warnings[PDVA_NOTE_MAX]; /* extraction notes */
} pdva_read_header;

void pdva_read_header_clear(pdva_read_header *hdr);

/* ---- interpretation (describe.c, timing.c, spacing.c) ------------------------------------ */

/* Kind of image from SOP Class and Modality; writes the reason when not angiographic. */
pdva_image_kind pdva_read_classify(const char *sop_class_uid, const char *modality, char *reason,
                                   size_t reason_cap);

/* Frame times of a multi-frame file (or a single frame), into info (frame_times_s allocated
 * with pdva_alloc_array, caller frees). Only NO_MEMORY fails. */
pdva_status pdva_read_compute_timing(const pdva_read_header *hdr, uint32_t frames, bool enhanced,
                                     pdva_series_info *info, pdva_error **err);

/* Check frame times from 0 (one frame per file): false with a note when they go backwards or
 * are not finite; *suspect when increments are zero, < 1 ms or > 10 s (noted). */
bool pdva_read_check_times(double *times, uint32_t n, const char *what, char *note, size_t note_cap,
                           bool *suspect);

/* Pixel spacing and the geometry fields of info; notes go to info->warnings. */
void pdva_read_compute_spacing(const pdva_read_header *hdr, pdva_series_info *info);

/* Context fields (identity, laterality, mask hints, intensity relationship, lossy flag). */
void pdva_read_fill_context(const pdva_read_header *hdr, const pdva_read_xfer *xfer,
                            pdva_series_info *info);

/* ---- pixel values (pixel_map.c) ---------------------------------------------------------- */

/* How stored values become output values; built once per series. */
typedef struct pdva_read_pixel_map {
    uint16_t container_bits; /* 8 or 16 */
    uint16_t bits_stored, high_bit;
    bool is_signed, invert;
    bool identity; /* output = (stored & mask), no table needed */
    uint16_t mask;
    uint16_t max_value;
    uint16_t *table; /* 1 << container_bits entries, or NULL when identity */
} pdva_read_pixel_map;

/* Build the map from the pixel description and the Modality LUT / rescale in hdr (validated
 * values). Sets info->max_value, modality_lut_applied, rescale fields; warnings to info.
 * Errors: NO_MEMORY, MALFORMED (bad rescale values are warned about and ignored). */
pdva_status pdva_read_pixel_map_build(const pdva_read_header *hdr, pdva_series_info *info,
                                      pdva_read_pixel_map *map, pdva_error **err);
void pdva_read_pixel_map_clear(pdva_read_pixel_map *map);

/* Convert n decoded samples to output values. `src` holds n samples of `sample_bytes` (1 or 2,
 * native byte order); it may alias dst (in-place widening from bytes is handled). */
void pdva_read_pixel_map_apply(const pdva_read_pixel_map *map, const void *src,
                               unsigned sample_bytes, uint16_t *dst, size_t n);

/* ---- encapsulated frames (codestream.c) -------------------------------------------------- */

/* Index of the first fragment (0-based, BOT excluded) of each frame, from the fragment count,
 * the Basic Offset Table or the JPEG start-of-image markers. `starts` has frames + 1 entries
 * (the last is n_fragments). Errors: MALFORMED, TRUNCATED, IO, NO_MEMORY. */
pdva_status pdva_read_map_fragments(FILE *file, const pdva_read_prescan *scan, uint32_t frames,
                                    const pdva_read_xfer *xfer, const char *name, uint32_t **starts,
                                    char *warnings, size_t warnings_cap, pdva_error **err);

/* Precision (bits) of the JPEG or JPEG-LS code stream that begins at `data`; checks its size
 * against rows/columns/one component. Errors: DECODE with a message. */
pdva_status pdva_read_jpeg_precision(const uint8_t *data, size_t len, bool jpeg_ls, uint32_t rows,
                                     uint32_t columns, unsigned *precision, const char *name,
                                     uint32_t frame, pdva_error **err);

/* Check an RLE frame header (first 64 bytes of the fragment, plus the first bytes of each
 * segment read through `file`) so that DCMTK's decoder never reads outside the fragment. */
pdva_status pdva_read_check_rle(FILE *file, const pdva_read_fragment *fragment,
                                unsigned expected_segments, const char *name, uint32_t frame,
                                pdva_error **err);

/* Read len bytes at offset; TRUNCATED/IO with a message naming `name`. */
pdva_status pdva_read_file_bytes(FILE *file, uint64_t offset, void *dst, size_t len,
                                 const char *name, pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_DICOM_READ_INTERNAL_H */
