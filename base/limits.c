/* limits.c — default bounds on untrusted input.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "base/limits.h"

#include <string.h>

#include "base/error.h"

void pdva_limits_init(pdva_limits *limits)
{
    if (!limits)
        return;
    memset(limits, 0, sizeof *limits);
    limits->struct_size = sizeof *limits;
    limits->max_rows = 4096;
    limits->max_columns = 4096;
    limits->max_frames = 2000;
    limits->max_frame_bytes = (uint64_t)64 << 20;
    limits->max_series_bytes = (uint64_t)8 << 30;
    limits->max_file_bytes = (uint64_t)4 << 30;
    limits->max_files = 20000;
    limits->max_sequence_depth = 32;
}

pdva_status pdva_limits_resolve(const pdva_limits *given, pdva_limits *out, pdva_error **err)
{
    pdva_limits_init(out);
    if (!given)
        return PDVA_OK;
    /* Version 1 of the struct is the smallest that exists; a newer host may pass a larger one,
     * of which we read the fields we know. */
    if (given->struct_size == 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pdva_limits.struct_size is 0: call pdva_limits_init() first");
    if (given->struct_size < sizeof(pdva_limits))
        return pdva_error_set(err, PDVA_ERR_VERSION_MISMATCH,
                              "pdva_limits.struct_size %zu is smaller than any known version",
                              given->struct_size);
    out->max_rows = given->max_rows;
    out->max_columns = given->max_columns;
    out->max_frames = given->max_frames;
    out->max_frame_bytes = given->max_frame_bytes;
    out->max_series_bytes = given->max_series_bytes;
    out->max_file_bytes = given->max_file_bytes;
    out->max_files = given->max_files;
    out->max_sequence_depth = given->max_sequence_depth;
    if (out->max_sequence_depth > PDVA_MAX_SEQUENCE_DEPTH_CEILING)
        out->max_sequence_depth = PDVA_MAX_SEQUENCE_DEPTH_CEILING;
    if (!out->max_rows || !out->max_columns || !out->max_frames || !out->max_frame_bytes ||
        !out->max_series_bytes || !out->max_file_bytes || !out->max_files)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "a pdva_limits bound is 0");
    return PDVA_OK;
}
