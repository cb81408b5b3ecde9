/* preview.h — a PNG picture of a generated run for people: a raw frame at the peak, the
 * subtracted peak opacification (DSA), and the same with the truth drawn over it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_PREVIEW_H
#define PDVA_PHANTOM_PREVIEW_H

#include <jansson.h>
#include <stdint.h>

#include "tools/phantom/scene.h"

typedef struct ph_preview {
    uint32_t panel;     /* panel size in pixels (square) */
    uint32_t width, height;
    uint8_t *rgb;       /* width * height * 3 */
} ph_preview;

/* A preview with one row of three panels per run. Returns 0 or -1 (memory). */
int ph_preview_init(ph_preview *p, size_t n_runs, uint32_t panel);
void ph_preview_free(ph_preview *p);

/* Draw run `row` from its stored frames (frames * rows * cols) and its truth series. */
void ph_preview_draw_run(ph_preview *p, size_t row, const ph_run *run, const uint16_t *frames,
                         const json_t *truth_series);

/* Write the picture as PNG. Returns 0 or -1. */
int ph_preview_write_png(const ph_preview *p, const char *path);

#endif /* PDVA_PHANTOM_PREVIEW_H */
