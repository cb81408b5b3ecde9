/* raster.h — filling polygons into pixel masks (pixel centres inside the polygon, even-odd rule),
 * and the Euclidean distance transform.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_RASTER_H
#define PDVA_CORE_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"

/* Set mask[row * cols + col] = value for every pixel whose centre (col + 0.5, row + 0.5) lies in
 * the polygon (pixel coordinates). Pixels outside are left as they are. */
void pdva_raster_polygon(const pdva_vec2 *poly, size_t n, uint32_t rows, uint32_t cols,
                         uint8_t *mask, uint8_t value);

/* Exact Euclidean distance transform (Felzenszwalb & Huttenlocher): dist[p] receives the distance
 * in pixels from p to the nearest pixel where mask is 0 (0 on those pixels). `work` must hold
 * 3 * max(rows, cols) + 1 doubles and 2 * max(rows, cols) + 1 ints, as sized by
 * pdva_edt_work_bytes(). Returns 0, or -1 on a NULL argument. */
size_t pdva_edt_work_bytes(uint32_t rows, uint32_t cols);
int pdva_distance_transform(const uint8_t *mask, uint32_t rows, uint32_t cols, float *dist,
                            void *work);

#endif /* PDVA_CORE_RASTER_H */
