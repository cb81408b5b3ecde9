/* maps_png.c — the parametric maps as pictures in the output folder: times in colour (blue
 * early to red late), heights and areas in grey, nothing (black) where no contrast arrived.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/error.h"
#include "core/image.h"
#include "plugin/lib/maps_png.h"

/* A perceptually ordered rainbow (blue, cyan, green, yellow, red) for t in [0, 1]. */
static void colour(double t, uint8_t rgb[3])
{
    static const double stops[5][3] = {
        {0.19, 0.07, 0.99}, {0.10, 0.75, 0.95}, {0.25, 0.85, 0.30}, {0.98, 0.85, 0.15},
        {0.90, 0.10, 0.08}};
    t = fmin(1.0, fmax(0.0, t)) * 4.0;
    int k = (int)t;
    if (k >= 4)
        k = 3;
    double f = t - k;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)lround(255.0 * (stops[k][c] * (1.0 - f) + stops[k + 1][c] * f));
}

/* An 8-bit PNG of `channels` (1 grey, 3 RGB) samples per pixel. Fast deflate (level 1) and one
 * fixed filter instead of libpng's per-row search: the maps are smooth and the pictures are
 * looked at, not archived; the default settings cost as much as the rest of the maps. */
static int write_png(const char *path, const uint8_t *px, uint32_t w, uint32_t h, int channels)
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
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_IHDR(png, info, w, h, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, px + (size_t)y * w * (size_t)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(fp) == 0 ? 0 : -1;
}

pdva_status pdva_maps_write_png(const pdva_maps *maps, const char *output_dir,
                                unsigned series_number, pdva_map_file files[PDVA_MAP_COUNT],
                                pdva_error **err)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/maps", output_dir) >= (int)sizeof dir)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "output folder path too long");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return pdva_error_set(err, PDVA_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    for (int k = 0; k < PDVA_MAP_COUNT; k++) {
        const pdva_image *m = &maps->map[k];
        size_t n = (size_t)m->width * m->height;
        /* the colour range: 2nd to 98th percentile of the pixels where something arrived */
        float *valid = pdva_alloc_array(n ? n : 1, sizeof(float));
        uint8_t *rgb = pdva_alloc_array(n ? n : 1, 3);
        if (!valid || !rgb) {
            pdva_free(valid);
            pdva_free(rgb);
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the map pictures");
        }
        size_t nv = 0;
        for (size_t i = 0; i < n; i++)
            if (isfinite(m->data[i]))
                valid[nv++] = m->data[i];
        double lo = nv ? pdva_image_quantile(valid, nv, 0.02) : 0.0;
        double hi = nv ? pdva_image_quantile(valid, nv, 0.98) : 1.0;
        if (!(hi > lo))
            hi = lo + 1.0;
        bool timed = k == PDVA_MAP_ARRIVAL || k == PDVA_MAP_TIME_TO_PEAK || k == PDVA_MAP_MTT;
        /* 256 levels of the scale, looked up per pixel */
        uint8_t scale[256][3];
        for (int j = 0; j < 256; j++) {
            if (timed)
                colour(j / 255.0, scale[j]);
            else
                scale[j][0] = (uint8_t)lround(40.0 + 215.0 * j / 255.0);
        }
        int channels = timed ? 3 : 1;
        const double to_level = 255.0 / (hi - lo);
        for (size_t i = 0; i < n; i++) {
            uint8_t *px = rgb + (size_t)channels * i;
            float value = m->data[i];
            if (!isfinite(value)) {
                memset(px, 0, (size_t)channels);
                continue;
            }
            double t = (value - lo) * to_level;
            int level = t <= 0.0 ? 0 : t >= 255.0 ? 255 : (int)(t + 0.5);
            memcpy(px, scale[level], (size_t)channels);
        }
        pdva_free(valid);
        snprintf(files[k].relative_path, sizeof files[k].relative_path, "maps/series-%u-%s.png",
                 series_number, pdva_map_name((pdva_map_kind)k));
        files[k].low = lo;
        files[k].high = hi;
        char path[4096 + 64];
        snprintf(path, sizeof path, "%s/%s", output_dir, files[k].relative_path);
        int rc = write_png(path, rgb, m->width, m->height, channels);
        pdva_free(rgb);
        if (rc != 0)
            return pdva_error_set(err, PDVA_ERR_IO, "cannot write %s", path);
        files[k].written = true;
    }
    return PDVA_OK;
}
