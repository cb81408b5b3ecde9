/* series_analysis.h — the whole analysis of one angiographic run, from streamed frames to a
 * pdva_series_result: subtraction, the body and which run it is, vessel segmentation (ITK
 * vesselness through itk/pdva_itk.h), the measured network, its interpretation, the venosomes.
 * Plain C on plain data: the caller supplies frames through a callback.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_SERIES_ANALYSIS_H
#define PDVA_CORE_SERIES_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/result.h"
#include "pdva/pdva.h"

/* Decode frame `index` into dst (dst_len values), with the reader `user`. Called possibly from
 * another thread than pdva_analyze_series' caller, never with one reader from two threads at
 * once; frames come in any order. */
typedef pdva_status (*pdva_frame_reader_fn)(void *user, uint32_t index, uint16_t *dst,
                                            size_t dst_len, pdva_error **err);

/* Progress in [0, 1] with the stage's name; return true to cancel. */
typedef bool (*pdva_progress_cancel_fn)(void *user, double fraction, const char *stage);

/* Optional views of intermediate images, for debugging tools and the preview maps. */
typedef struct pdva_series_debug {
    void (*image)(void *user, const char *name, const float *data, uint32_t width,
                  uint32_t height);
    void *user;
} pdva_series_debug;

typedef struct pdva_series_input {
    uint32_t rows, columns, frames;
    const double *frame_times_s;   /* borrowed; NULL when the timing is unknown */
    double spacing_mm;             /* at the vessel plane */
    bool spacing_known;
    bool log_stored;               /* Pixel Intensity Relationship LOG */
    uint32_t max_value;
    const char *body_part;         /* Body Part Examined, or NULL */
    pdva_frame_reader_fn read_frame;
    void *read_user;
    void *read_user_2;             /* optional: a second reader of the same frames, independent
                                      of the first, so that two threads decode at once */
    pdva_progress_cancel_fn progress; /* optional */
    void *progress_user;
    const int *wound_venosomes;    /* pdva_venosome values */
    size_t n_wound;
    unsigned threads;              /* 0: all cores */
    const pdva_series_debug *debug;/* optional */
} pdva_series_input;

/* How many threads decode the frames of a run of `frames` frames when the analysis is given
 * `threads` (0: all cores): 0 (decoded in line on the caller's thread), 1 (one decoder beside
 * it) or 2 (two, which needs read_user_2). The host opens a second reader only when this says 2,
 * and pdva_analyze_series starts as many decoders as it says (one when read_user_2 is NULL). */
unsigned pdva_series_decoders(unsigned threads, uint32_t frames);

/* The vesselness scales (Gaussian sigmas in pixels) the analysis uses at a pixel spacing: lumen
 * radii of 0.6 to 4.2 mm, PDVA_VESSEL_SCALES of them, log-spaced. */
#define PDVA_VESSEL_SCALES 7
void pdva_vessel_scales(double mm_per_px, double sigmas[PDVA_VESSEL_SCALES]);

/* Analyze one run. A run that cannot be analyzed (too few frames, no contrast, unknown timing)
 * returns PDVA_OK with res->status = PDVA_SERIES_NOT_APPLICABLE and a reason; errors reading
 * frames return their status (res->status = PDVA_SERIES_ERROR with the reason). PDVA_ERR_CANCELLED
 * when the progress callback asked to stop. res is filled in any case; free it with
 * pdva_series_result_free(). */
pdva_status pdva_analyze_series(const pdva_series_input *in, pdva_series_result *res,
                                pdva_error **err);

#endif /* PDVA_CORE_SERIES_ANALYSIS_H */
