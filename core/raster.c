/* raster.c — scanline polygon fill and the exact Euclidean distance transform.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/raster.h"

#include <math.h>
#include <stdlib.h>

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void pdva_raster_polygon(const pdva_vec2 *poly, size_t n, uint32_t rows, uint32_t cols,
                         uint8_t *mask, uint8_t value)
{
    if (!poly || n < 3 || !mask)
        return;
    double ymin = poly[0].y, ymax = poly[0].y;
    for (size_t i = 1; i < n; i++) {
        ymin = fmin(ymin, poly[i].y);
        ymax = fmax(ymax, poly[i].y);
    }
    long r0 = (long)floor(ymin - 0.5), r1 = (long)ceil(ymax - 0.5);
    if (r0 < 0)
        r0 = 0;
    if (r1 > (long)rows - 1)
        r1 = (long)rows - 1;
    enum { MAX_X = 1024 };
    double xs[MAX_X];
    for (long r = r0; r <= r1; r++) {
        double y = (double)r + 0.5;
        size_t nx = 0;
        for (size_t i = 0, j = n - 1; i < n; j = i++) {
            double yi = poly[i].y, yj = poly[j].y;
            if ((yi > y) != (yj > y) && nx < MAX_X)
                xs[nx++] = poly[i].x + (y - yi) * (poly[j].x - poly[i].x) / (yj - yi);
        }
        qsort(xs, nx, sizeof xs[0], compare_double);
        for (size_t k = 0; k + 1 < nx; k += 2) {
            long c0 = (long)ceil(xs[k] - 0.5), c1 = (long)floor(xs[k + 1] - 0.5);
            if (c0 < 0)
                c0 = 0;
            if (c1 > (long)cols - 1)
                c1 = (long)cols - 1;
            for (long c = c0; c <= c1; c++)
                mask[(size_t)r * cols + (size_t)c] = value;
        }
    }
}

size_t pdva_edt_work_bytes(uint32_t rows, uint32_t cols)
{
    size_t m = rows > cols ? rows : cols;
    return (3 * m + 1) * sizeof(double) + (2 * m + 1) * sizeof(int);
}

/* 1D squared distance transform of f (length n) into d: the lower envelope of the parabolas
 * rooted at each sample (v: their indices, z: the boundaries between them). */
static void edt_1d(const double *f, size_t n, double *d, int *v, double *z)
{
    int k = 0;
    v[0] = 0;
    z[0] = -INFINITY;
    z[1] = INFINITY;
    for (int q = 1; q < (int)n; q++) {
        double s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) /
                   (2.0 * (q - v[k]));
        while (s <= z[k]) { /* z[0] is -inf, so k never goes below 0 */
            k--;
            s = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INFINITY;
    }
    k = 0;
    for (int q = 0; q < (int)n; q++) {
        while (z[k + 1] < q)
            k++;
        double dq = q - v[k];
        d[q] = dq * dq + f[v[k]];
    }
}

int pdva_distance_transform(const uint8_t *mask, uint32_t rows, uint32_t cols, float *dist,
                            void *work)
{
    if (!mask || !dist || !work || rows == 0 || cols == 0)
        return -1;
    size_t m = rows > cols ? rows : cols;
    double *f = work;
    double *d = f + m;
    double *z = d + m; /* m + 1 */
    int *v = (int *)(z + m + 1);
    /* finite, larger than any squared distance in the image, small enough to keep precision */
    const double big = 1e12;
    /* columns */
    for (size_t c = 0; c < cols; c++) {
        for (size_t r = 0; r < rows; r++)
            f[r] = mask[r * cols + c] ? big : 0.0;
        edt_1d(f, rows, d, v, z);
        for (size_t r = 0; r < rows; r++)
            dist[r * cols + c] = (float)d[r];
    }
    /* rows */
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++)
            f[c] = dist[r * cols + c];
        edt_1d(f, cols, d, v, z);
        for (size_t c = 0; c < cols; c++)
            dist[r * cols + c] = (float)sqrt(d[c]);
    }
    return 0;
}
