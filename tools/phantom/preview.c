/* preview.c — drawing the preview picture of a generated study (see preview.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/preview.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

int ph_preview_init(ph_preview *p, size_t n_runs, uint32_t panel)
{
    p->panel = panel;
    p->width = 3 * panel;
    p->height = (uint32_t)n_runs * panel;
    p->rgb = pdva_calloc_array((size_t)p->width * p->height, 3);
    return p->rgb ? 0 : -1;
}

void ph_preview_free(ph_preview *p)
{
    pdva_free(p->rgb);
    p->rgb = NULL;
}

static void put(ph_preview *p, long x, long y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || x >= (long)p->width || y >= (long)p->height)
        return;
    uint8_t *px = p->rgb + 3 * ((size_t)y * p->width + (size_t)x);
    px[0] = c[0];
    px[1] = c[1];
    px[2] = c[2];
}

/* A thick line from a to b clipped to a panel rectangle [x0, x0 + size). */
static void line(ph_preview *p, double ax, double ay, double bx, double by, const uint8_t c[3],
                 long x0, long y0, long size, int thick)
{
    double len = hypot(bx - ax, by - ay);
    int steps = (int)(len * 2.0) + 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        long x = (long)lround(ax + (bx - ax) * t), y = (long)lround(ay + (by - ay) * t);
        for (int dy = -thick / 2; dy <= thick / 2; dy++)
            for (int dx = -thick / 2; dx <= thick / 2; dx++) {
                long xx = x + dx, yy = y + dy;
                if (xx >= x0 && yy >= y0 && xx < x0 + size && yy < y0 + size)
                    put(p, xx, yy, c);
            }
    }
}

static void circle(ph_preview *p, double cx, double cy, double r, const uint8_t c[3], long x0,
                   long y0, long size)
{
    int n = (int)(2.0 * M_PI * r) + 8;
    for (int i = 0; i < n; i++) {
        double a0 = 2.0 * M_PI * i / n, a1 = 2.0 * M_PI * (i + 1) / n;
        line(p, cx + r * cos(a0), cy + r * sin(a0), cx + r * cos(a1), cy + r * sin(a1), c, x0, y0,
             size, 2);
    }
}

static const uint8_t color_donor[3] = {230, 40, 40};
static const uint8_t color_artery[3] = {250, 140, 40};
static const uint8_t color_vein[3] = {40, 150, 250};
static const uint8_t color_collateral[3] = {220, 60, 220};
static const uint8_t color_venosome[3] = {60, 200, 90};
static const uint8_t color_finding[3] = {255, 230, 0};

static const uint8_t *kind_color(const char *kind)
{
    if (strcmp(kind, "donor_artery") == 0)
        return color_donor;
    if (strcmp(kind, "artery") == 0)
        return color_artery;
    if (strcmp(kind, "collateral") == 0)
        return color_collateral;
    return color_vein;
}

void ph_preview_draw_run(ph_preview *p, size_t row, const ph_run *run, const uint16_t *frames,
                         const json_t *truth_series)
{
    uint32_t rows = run->rows, cols = run->columns, n = p->panel;
    size_t npix = (size_t)rows * cols;
    double scale = (double)rows / n;
    long y0 = (long)(row * n);
    double y0d = (double)y0;
    uint32_t mask = (uint32_t)json_integer_value(json_object_get(truth_series, "mask_frame"));
    /* the subtracted maximum over time, in the log domain */
    float *dsa = pdva_calloc_array(npix, sizeof(float));
    if (!dsa)
        return;
    const uint16_t *m = frames + (size_t)mask * npix;
    uint32_t peak_frame = mask;
    double best = -1.0;
    for (uint32_t f = mask + 1; f < run->frames; f++) {
        const uint16_t *fr = frames + (size_t)f * npix;
        double total = 0.0;
        for (size_t i = 0; i < npix; i++) {
            double d = run->log_storage ? ((double)m[i] - (double)fr[i]) / 520.0
                                        : log(fmax(m[i], 1.0) / fmax(fr[i], 1.0));
            if (d > dsa[i])
                dsa[i] = (float)d;
            total += d;
        }
        if (total > best) {
            best = total;
            peak_frame = f;
        }
    }
    const uint16_t *pk = frames + (size_t)peak_frame * npix;
    for (uint32_t y = 0; y < n; y++)
        for (uint32_t x = 0; x < n; x++) {
            /* box-average the source pixels under this preview pixel */
            uint32_t sy0 = (uint32_t)(y * scale), sy1 = (uint32_t)((y + 1) * scale);
            uint32_t sx0 = (uint32_t)(x * scale), sx1 = (uint32_t)((x + 1) * scale);
            double raw = 0.0, sub = 0.0;
            int k = 0;
            for (uint32_t sy = sy0; sy < sy1 && sy < rows; sy++)
                for (uint32_t sx = sx0; sx < sx1 && sx < cols; sx++) {
                    raw += pk[(size_t)sy * cols + sx];
                    sub += dsa[(size_t)sy * cols + sx];
                    k++;
                }
            if (k == 0)
                continue;
            raw /= k;
            sub /= k;
            uint8_t g = (uint8_t)fmin(255.0, fmax(0.0, raw / 4095.0 * 255.0));
            uint8_t d = (uint8_t)fmin(255.0, fmax(0.0, 255.0 - sub * 900.0));
            uint8_t c1[3] = {g, g, g}, c2[3] = {d, d, d};
            put(p, x, y0 + (long)y, c1);
            put(p, n + x, y0 + (long)y, c2);
            put(p, 2 * n + x, y0 + (long)y, c2);
        }
    pdva_free(dsa);
    double x0 = 2.0 * n;
    long x0_px = 2 * (long)n;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(truth_series, "venosomes"), i, v) {
        json_t *poly = json_object_get(v, "polygon");
        size_t k = json_array_size(poly);
        for (size_t j = 0; j < k; j++) {
            json_t *a = json_array_get(poly, j), *b = json_array_get(poly, (j + 1) % k);
            line(p, x0 + json_number_value(json_array_get(a, 0)) / scale,
                 y0d + json_number_value(json_array_get(a, 1)) / scale,
                 x0 + json_number_value(json_array_get(b, 0)) / scale,
                 y0d + json_number_value(json_array_get(b, 1)) / scale, color_venosome, x0_px, y0,
                 (long)n, 1);
        }
    }
    json_array_foreach(json_object_get(truth_series, "vessels"), i, v) {
        json_t *cl = json_object_get(v, "centerline");
        const uint8_t *c = kind_color(json_string_value(json_object_get(v, "kind")));
        for (size_t j = 1; j < json_array_size(cl); j++) {
            json_t *a = json_array_get(cl, j - 1), *b = json_array_get(cl, j);
            line(p, x0 + json_number_value(json_array_get(a, 0)) / scale,
                 y0d + json_number_value(json_array_get(a, 1)) / scale,
                 x0 + json_number_value(json_array_get(b, 0)) / scale,
                 y0d + json_number_value(json_array_get(b, 1)) / scale, c, x0_px, y0, (long)n, 1);
        }
    }
    json_t *av = json_object_get(truth_series, "av_connection");
    if (json_is_object(av)) {
        json_t *pt = json_object_get(av, "point");
        circle(p, x0 + json_number_value(json_array_get(pt, 0)) / scale,
               y0d + json_number_value(json_array_get(pt, 1)) / scale, 9.0, color_donor, x0_px, y0,
               (long)n);
    }
    json_array_foreach(json_object_get(truth_series, "findings"), i, v) {
        json_t *pt = json_object_get(v, "point");
        circle(p, x0 + json_number_value(json_array_get(pt, 0)) / scale,
               y0d + json_number_value(json_array_get(pt, 1)) / scale, 6.0, color_finding, x0_px, y0,
               (long)n);
    }
}

int ph_preview_write_png(const ph_preview *p, const char *path)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, p->width, p->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < p->height; y++)
        png_write_row(png, p->rgb + (size_t)y * p->width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(fp) == 0 ? 0 : -1;
}
