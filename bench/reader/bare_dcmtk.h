/* bare_dcmtk.h — the reference for bench_reader: the same files decoded by DCMTK alone, the
 * way a careful DCMTK program does it (maxReadLength, DcmFileCache, getUncompressedFrame with
 * the start fragment carried from frame to frame).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_BENCH_READER_BARE_DCMTK_H
#define PDVA_BENCH_READER_BARE_DCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Load each file and decode every frame; *checksum sums every decoded byte (so that nothing is
 * optimised away). Returns the number of frames decoded, or -1 on the first failure (message
 * in err_text). */
long bare_dcmtk_decode_all(const char *const *paths, size_t n_paths, uint64_t *checksum,
                           char *err_text, size_t err_cap);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_BENCH_READER_BARE_DCMTK_H */
