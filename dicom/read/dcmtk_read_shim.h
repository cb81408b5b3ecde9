/* dcmtk_read_shim.h — the reader's C view of DCMTK: parse a pre-scanned file, extract the
 * header values pdva needs, decode one frame, list a DICOMDIR's files. Private to dicom/read.
 *
 * Every function is a try/catch barrier: no C++ exception or type crosses this header.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_DICOM_READ_DCMTK_READ_SHIM_H
#define PDVA_DICOM_READ_DCMTK_READ_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dicom/read/read_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A file parsed by DCMTK. Pixel data and values larger than 4 KiB stay on disk until read. */
typedef struct pdva_dcm_file pdva_dcm_file;

/* DCMTK keeps element values larger than this on disk. */
#define PDVA_DCM_MAX_READ_LENGTH 4096u

/* Parse `path` (already walked by pdva_read_prescan_file into *scan, which is borrowed for the
 * call) with DCMTK. `header_only` stops before the top-level Pixel Data, as the scan did.
 * On success *out is caller-owned (pdva_dcm_file_destroy). Errors: IO, MALFORMED, TRUNCATED,
 * NO_MEMORY, INTERNAL; messages name the file's basename. */
pdva_status pdva_dcm_file_open(const char *path, const pdva_read_prescan *scan, bool header_only,
                               pdva_dcm_file **out, pdva_error **err);

/* Extract the header values pdva interprets into *hdr (zeroed first; pdva_read_header_clear
 * frees its arrays even on failure). Array sizes are bounded by limits->max_frames.
 * Errors: NO_MEMORY, INTERNAL. */
pdva_status pdva_dcm_file_header(pdva_dcm_file *file, const pdva_limits *limits,
                                 pdva_read_header *hdr, pdva_error **err);

/* Series Instance UID and the Number of Frames text ("" when absent), for grouping a scan. */
pdva_status pdva_dcm_file_ids(pdva_dcm_file *file, char series_uid[PDVA_UID_MAX],
                              char number_of_frames[PDVA_READ_STR], pdva_error **err);

/* Decode frame `frame` (0-based) into buf (buf_size bytes, at least the frame's size with Bits
 * Allocated, rounded up to even). `first_item` is the 1-based index of the frame's first pixel
 * item for encapsulated data (0 for native). Native samples come in host byte order. Fragments
 * DCMTK loaded are released again, so memory does not grow with the frames read.
 * Errors: DECODE, TRUNCATED, IO, UNSUPPORTED (decoded colour model is not monochrome). */
pdva_status pdva_dcm_file_decode(pdva_dcm_file *file, uint32_t frame, uint32_t first_item,
                                 uint32_t last_item, void *buf, size_t buf_size, pdva_error **err);

/* Read `len` bytes of the native (uncompressed) Pixel Data value from byte `offset`, samples in
 * host byte order, through the file's DcmFileCache: what getUncompressedFrame does for native
 * data, but for a part of a frame, so that the caller converts each part while it is still in
 * cache. Errors: TRUNCATED, IO, DECODE. */
pdva_status pdva_dcm_file_read_native(pdva_dcm_file *file, uint64_t offset, void *buf, size_t len,
                                      pdva_error **err);

/* NULL is a no-op. */
void pdva_dcm_file_destroy(pdva_dcm_file *file);

/* Call fn for the Referenced File ID (0004,1500) of every record of a DICOMDIR, as the raw
 * value ("DIR\\SUB\\FILE", components separated by backslashes). fn returns PDVA_OK to go on.
 * Errors: what fn returns, NO_MEMORY, MALFORMED (no Directory Record Sequence). */
typedef pdva_status (*pdva_dcm_file_id_fn)(void *ctx, const char *file_id, pdva_error **err);
pdva_status pdva_dcm_dicomdir_files(pdva_dcm_file *file, pdva_dcm_file_id_fn fn, void *ctx,
                                    pdva_error **err);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_DICOM_READ_DCMTK_READ_SHIM_H */
