/* builder.c — the tests' DICOM byte writer (see builder.h). Aborts the test on out-of-memory:
 * fixtures are tiny.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(tb_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "builder: out of memory\n");
        exit(2);
    }
    b->data = p;
    b->cap = cap;
}

void tb_init(tb_buf *b, const char *ts_uid)
{
    memset(b, 0, sizeof *b);
    b->explicit_vr = strcmp(ts_uid, TS_IMPLICIT_LE) != 0;
    b->big_endian = strcmp(ts_uid, TS_EXPLICIT_BE) == 0;
}

void tb_free(tb_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void tb_raw(tb_buf *b, const void *data, size_t n)
{
    reserve(b, n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
}

void tb_u16(tb_buf *b, uint16_t v)
{
    uint8_t x[2];
    if (b->big_endian) {
        x[0] = (uint8_t)(v >> 8);
        x[1] = (uint8_t)v;
    } else {
        x[0] = (uint8_t)v;
        x[1] = (uint8_t)(v >> 8);
    }
    tb_raw(b, x, 2);
}

void tb_u32(tb_buf *b, uint32_t v)
{
    if (b->big_endian) {
        tb_u16(b, (uint16_t)(v >> 16));
        tb_u16(b, (uint16_t)v);
    } else {
        tb_u16(b, (uint16_t)v);
        tb_u16(b, (uint16_t)(v >> 16));
    }
}

static bool long_vr(const char *vr)
{
    static const char *const vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                      "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof vrs / sizeof vrs[0]; i++)
        if (strncmp(vr, vrs[i], 2) == 0)
            return true;
    return false;
}

void tb_header(tb_buf *b, uint16_t g, uint16_t e, const char *vr, uint32_t len)
{
    tb_u16(b, g);
    tb_u16(b, e);
    if (!b->explicit_vr || g == 0xFFFE) {
        tb_u32(b, len);
        return;
    }
    tb_raw(b, vr, 2);
    if (long_vr(vr)) {
        tb_u16(b, 0);
        tb_u32(b, len);
    } else {
        tb_u16(b, (uint16_t)len);
    }
}

void tb_elem(tb_buf *b, uint16_t g, uint16_t e, const char *vr, const void *value, uint32_t len)
{
    tb_header(b, g, e, vr, len);
    tb_raw(b, value, len);
}

void tb_str(tb_buf *b, uint16_t g, uint16_t e, const char *vr, const char *s)
{
    size_t n = strlen(s);
    tb_header(b, g, e, vr, (uint32_t)(n + (n & 1)));
    tb_raw(b, s, n);
    if (n & 1) {
        uint8_t pad = strcmp(vr, "UI") == 0 ? 0 : ' ';
        tb_raw(b, &pad, 1);
    }
}

void tb_us(tb_buf *b, uint16_t g, uint16_t e, uint16_t v)
{
    tb_header(b, g, e, "US", 2);
    tb_u16(b, v);
}

void tb_ss(tb_buf *b, uint16_t g, uint16_t e, int16_t v)
{
    tb_header(b, g, e, "SS", 2);
    tb_u16(b, (uint16_t)v);
}

void tb_at(tb_buf *b, uint16_t g, uint16_t e, uint16_t tg, uint16_t te)
{
    tb_header(b, g, e, "AT", 4);
    tb_u16(b, tg);
    tb_u16(b, te);
}

void tb_fd(tb_buf *b, uint16_t g, uint16_t e, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    tb_header(b, g, e, "FD", 8);
    if (b->big_endian) {
        tb_u32(b, (uint32_t)(bits >> 32));
        tb_u32(b, (uint32_t)bits);
    } else {
        tb_u32(b, (uint32_t)bits);
        tb_u32(b, (uint32_t)(bits >> 32));
    }
}

void tb_seq_begin(tb_buf *b, uint16_t g, uint16_t e)
{
    tb_header(b, g, e, "SQ", 0xFFFFFFFFu);
}

void tb_item_begin(tb_buf *b)
{
    tb_header(b, 0xFFFE, 0xE000, NULL, 0xFFFFFFFFu);
}

void tb_item_end(tb_buf *b)
{
    tb_header(b, 0xFFFE, 0xE00D, NULL, 0);
}

void tb_seq_end(tb_buf *b)
{
    tb_header(b, 0xFFFE, 0xE0DD, NULL, 0);
}

void tb_pixels(tb_buf *b, const uint16_t *samples, size_t n, unsigned bits_allocated)
{
    if (bits_allocated == 8) {
        tb_header(b, 0x7FE0, 0x0010, "OB", (uint32_t)(n + (n & 1)));
        for (size_t i = 0; i < n; i++) {
            uint8_t v = (uint8_t)samples[i];
            tb_raw(b, &v, 1);
        }
        if (n & 1) {
            uint8_t pad = 0;
            tb_raw(b, &pad, 1);
        }
        return;
    }
    tb_header(b, 0x7FE0, 0x0010, "OW", (uint32_t)(2 * n));
    for (size_t i = 0; i < n; i++)
        tb_u16(b, samples[i]);
}

void tb_pixseq_begin(tb_buf *b, const uint32_t *offsets, size_t n_offsets)
{
    tb_header(b, 0x7FE0, 0x0010, "OB", 0xFFFFFFFFu);
    tb_header(b, 0xFFFE, 0xE000, NULL, (uint32_t)(4 * n_offsets));
    for (size_t i = 0; i < n_offsets; i++)
        tb_u32(b, offsets[i]);
}

void tb_fragment(tb_buf *b, const void *data, uint32_t len)
{
    tb_header(b, 0xFFFE, 0xE000, NULL, len);
    tb_raw(b, data, len);
}

void tb_meta(tb_buf *out, const char *ts_uid, const char *sop_class, const char *sop_instance)
{
    tb_init(out, TS_EXPLICIT_LE);
    uint8_t preamble[128] = {0};
    tb_raw(out, preamble, sizeof preamble);
    tb_raw(out, "DICM", 4);
    tb_buf group;
    tb_init(&group, TS_EXPLICIT_LE);
    uint8_t version[2] = {0, 1};
    tb_elem(&group, 0x0002, 0x0001, "OB", version, 2);
    tb_str(&group, 0x0002, 0x0002, "UI", sop_class);
    tb_str(&group, 0x0002, 0x0003, "UI", sop_instance);
    tb_str(&group, 0x0002, 0x0010, "UI", ts_uid);
    tb_str(&group, 0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.9.7433.1");
    tb_header(out, 0x0002, 0x0000, "UL", 4);
    tb_u32(out, (uint32_t)group.len);
    tb_raw(out, group.data, group.len);
    tb_free(&group);
}

int tb_write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return (w == len && rc == 0) ? 0 : -1;
}

int tb_write(const char *path, const tb_buf *meta, const tb_buf *dataset)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w1 = meta && meta->len ? fwrite(meta->data, 1, meta->len, f) : 0;
    size_t w2 = dataset && dataset->len ? fwrite(dataset->data, 1, dataset->len, f) : 0;
    int rc = fclose(f);
    bool ok = (!meta || w1 == meta->len) && (!dataset || w2 == dataset->len) && rc == 0;
    return ok ? 0 : -1;
}

uint8_t *tb_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    if (data && n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data)
        *len = (size_t)(n > 0 ? n : 0);
    return data;
}

uint16_t tb_pattern(uint32_t f, uint32_t r, uint32_t c, unsigned bits_stored)
{
    uint32_t v = r * 31u + c * 7u + f * 97u + (r * c) % 13u;
    return (uint16_t)(v & ((1u << bits_stored) - 1));
}

void tb_xa_defaults(tb_xa *x)
{
    memset(x, 0, sizeof *x);
    x->ts_uid = TS_EXPLICIT_LE;
    x->sop_class = SOP_XA;
    x->modality = "XA";
    x->sop_instance_uid = "1.2.826.0.1.3680043.9.7433.3.1";
    x->study_uid = "1.2.826.0.1.3680043.9.7433.2";
    x->series_uid = "1.2.826.0.1.3680043.9.7433.2.1";
    x->rows = 16;
    x->columns = 12;
    x->frames = 4;
    x->number_of_frames = "4";
    x->bits_allocated = 16;
    x->bits_stored = 12;
    x->high_bit = 11;
    x->samples_per_pixel = 1;
    x->photometric = "MONOCHROME2";
    x->pixel_bytes = -1;
    x->frame_time = "66.67";
    x->fip_group = 0x0018;
    x->fip_element = 0x1063;
    x->patient_name = "Doe^Jane";
    x->patient_id = "P001";
}

static void frame_content(tb_buf *b, const tb_xa *x, uint32_t f)
{
    tb_seq_begin(b, 0x0020, 0x9111); /* Frame Content Sequence */
    tb_item_begin(b);
    if (x->frame_datetimes && x->frame_datetimes[f])
        tb_str(b, 0x0018, 0x9074, "DT", x->frame_datetimes[f]);
    if (x->frame_durations_ms)
        tb_fd(b, 0x0018, 0x9220, x->frame_durations_ms[f]);
    tb_item_end(b);
    tb_seq_end(b);
}

void tb_xa_dataset(const tb_xa *x, tb_buf *b)
{
    tb_init(b, x->ts_uid);
    if (x->charset)
        tb_str(b, 0x0008, 0x0005, "CS", x->charset);
    tb_str(b, 0x0008, 0x0016, "UI", x->sop_class);
    tb_str(b, 0x0008, 0x0018, "UI", x->sop_instance_uid);
    if (x->study_date)
        tb_str(b, 0x0008, 0x0020, "DA", x->study_date);
    if (x->acquisition_date)
        tb_str(b, 0x0008, 0x0022, "DA", x->acquisition_date);
    if (x->acquisition_datetime)
        tb_str(b, 0x0008, 0x002A, "DT", x->acquisition_datetime);
    if (x->study_time)
        tb_str(b, 0x0008, 0x0030, "TM", x->study_time);
    if (x->acquisition_time)
        tb_str(b, 0x0008, 0x0032, "TM", x->acquisition_time);
    if (x->content_time)
        tb_str(b, 0x0008, 0x0033, "TM", x->content_time);
    if (x->modality)
        tb_str(b, 0x0008, 0x0060, "CS", x->modality);
    if (x->series_description)
        tb_str(b, 0x0008, 0x103E, "LO", x->series_description);
    if (x->display_rate)
        tb_str(b, 0x0008, 0x2144, "IS", x->display_rate);
    if (x->patient_name)
        tb_str(b, 0x0010, 0x0010, "PN", x->patient_name);
    if (x->patient_id)
        tb_str(b, 0x0010, 0x0020, "LO", x->patient_id);
    if (x->body_part)
        tb_str(b, 0x0018, 0x0015, "CS", x->body_part);
    if (x->cine_rate)
        tb_str(b, 0x0018, 0x0040, "IS", x->cine_rate);
    if (x->frame_time)
        tb_str(b, 0x0018, 0x1063, "DS", x->frame_time);
    if (x->frame_time_vector)
        tb_str(b, 0x0018, 0x1065, "DS", x->frame_time_vector);
    bool top_geometry = !x->geometry_in_groups;
    if (x->dsd && top_geometry)
        tb_str(b, 0x0018, 0x1110, "DS", x->dsd);
    if (x->dsp && top_geometry)
        tb_str(b, 0x0018, 0x1111, "DS", x->dsp);
    if (x->ermf)
        tb_str(b, 0x0018, 0x1114, "DS", x->ermf);
    if (x->imager_pixel_spacing && top_geometry)
        tb_str(b, 0x0018, 0x1164, "DS", x->imager_pixel_spacing);
    if (x->primary_angle)
        tb_str(b, 0x0018, 0x1510, "DS", x->primary_angle);
    if (x->secondary_angle)
        tb_str(b, 0x0018, 0x1511, "DS", x->secondary_angle);
    tb_str(b, 0x0020, 0x000D, "UI", x->study_uid);
    tb_str(b, 0x0020, 0x000E, "UI", x->series_uid);
    if (x->series_number)
        tb_str(b, 0x0020, 0x0011, "IS", x->series_number);
    if (x->instance_number)
        tb_str(b, 0x0020, 0x0013, "IS", x->instance_number);
    if (x->laterality)
        tb_str(b, 0x0020, 0x0060, "CS", x->laterality);
    if (x->image_laterality)
        tb_str(b, 0x0020, 0x0062, "CS", x->image_laterality);
    tb_us(b, 0x0028, 0x0002, x->samples_per_pixel);
    if (x->photometric)
        tb_str(b, 0x0028, 0x0004, "CS", x->photometric);
    if (x->number_of_frames)
        tb_str(b, 0x0028, 0x0008, "IS", x->number_of_frames);
    if (x->fip_group)
        tb_at(b, 0x0028, 0x0009, x->fip_group, x->fip_element);
    tb_us(b, 0x0028, 0x0010, x->rows);
    tb_us(b, 0x0028, 0x0011, x->columns);
    if (x->pixel_spacing && !x->spacing_in_groups)
        tb_str(b, 0x0028, 0x0030, "DS", x->pixel_spacing);
    tb_us(b, 0x0028, 0x0100, x->bits_allocated);
    if (!x->omit_bits_stored)
        tb_us(b, 0x0028, 0x0101, x->bits_stored);
    tb_us(b, 0x0028, 0x0102, x->high_bit);
    tb_us(b, 0x0028, 0x0103, x->pixel_representation);
    if (x->intensity_relationship)
        tb_str(b, 0x0028, 0x1040, "CS", x->intensity_relationship);
    if (x->intensity_sign)
        tb_ss(b, 0x0028, 0x1041, x->intensity_sign);
    if (x->rescale_intercept)
        tb_str(b, 0x0028, 0x1052, "DS", x->rescale_intercept);
    if (x->rescale_slope)
        tb_str(b, 0x0028, 0x1053, "DS", x->rescale_slope);
    if (x->viewing_mode)
        tb_str(b, 0x0028, 0x1090, "CS", x->viewing_mode);
    if (x->lossy)
        tb_str(b, 0x0028, 0x2110, "CS", x->lossy);
    if (x->mask_operation) {
        tb_seq_begin(b, 0x0028, 0x6100);
        tb_item_begin(b);
        tb_str(b, 0x0028, 0x6101, "CS", x->mask_operation);
        if (x->n_mask_frames) {
            tb_header(b, 0x0028, 0x6110, "US", (uint32_t)(2 * x->n_mask_frames));
            for (size_t i = 0; i < x->n_mask_frames; i++)
                tb_u16(b, x->mask_frames[i]);
        }
        tb_item_end(b);
        tb_seq_end(b);
    }
    if (x->enhanced) {
        tb_seq_begin(b, 0x5200, 0x9229); /* Shared Functional Groups */
        tb_item_begin(b);
        if (x->frame_laterality) {
            tb_seq_begin(b, 0x0020, 0x9071); /* Frame Anatomy */
            tb_item_begin(b);
            tb_str(b, 0x0020, 0x9072, "CS", x->frame_laterality);
            tb_item_end(b);
            tb_seq_end(b);
        }
        if (x->geometry_in_groups && (x->dsd || x->distance_source_to_isocenter > 0)) {
            tb_seq_begin(b, 0x0018, 0x9476); /* X-Ray Geometry */
            tb_item_begin(b);
            if (x->dsd)
                tb_str(b, 0x0018, 0x1110, "DS", x->dsd);
            if (x->distance_source_to_isocenter > 0) {
                float v = x->distance_source_to_isocenter;
                uint32_t bits;
                memcpy(&bits, &v, sizeof bits);
                tb_header(b, 0x0018, 0x9402, "FL", 4);
                tb_u32(b, bits);
            }
            tb_item_end(b);
            tb_seq_end(b);
        }
        if (x->pixel_spacing && x->spacing_in_groups) {
            tb_seq_begin(b, 0x0028, 0x9110); /* Pixel Measures */
            tb_item_begin(b);
            tb_str(b, 0x0028, 0x0030, "DS", x->pixel_spacing);
            tb_item_end(b);
            tb_seq_end(b);
        }
        if (x->geometry_in_groups && x->imager_pixel_spacing) {
            tb_seq_begin(b, 0x0028, 0x9443); /* Frame Pixel Data Properties */
            tb_item_begin(b);
            tb_str(b, 0x0018, 0x1164, "DS", x->imager_pixel_spacing);
            tb_item_end(b);
            tb_seq_end(b);
        }
        tb_item_end(b);
        tb_seq_end(b);
        tb_seq_begin(b, 0x5200, 0x9230); /* Per-frame Functional Groups */
        for (uint32_t f = 0; f < x->frames; f++) {
            tb_item_begin(b);
            frame_content(b, x, f);
            tb_item_end(b);
        }
        tb_seq_end(b);
    }
    if (x->omit_pixel_data)
        return;
    size_t per_frame = (size_t)x->rows * x->columns;
    size_t n = per_frame * x->frames;
    uint16_t *samples = malloc((n ? n : 1) * sizeof *samples);
    if (!samples)
        exit(2);
    for (uint32_t f = 0; f < x->frames; f++)
        for (uint32_t r = 0; r < x->rows; r++)
            for (uint32_t c = 0; c < x->columns; c++) {
                size_t i = f * per_frame + (size_t)r * x->columns + c;
                samples[i] = x->pixels ? x->pixels[i] : tb_pattern(f, r, c, x->bits_stored);
            }
    if (x->pixel_bytes >= 0) {
        tb_buf tmp;
        tb_init(&tmp, x->ts_uid);
        tb_pixels(&tmp, samples, n, x->bits_allocated);
        size_t header = (tmp.explicit_vr ? 12u : 8u);
        size_t keep = (size_t)x->pixel_bytes;
        tb_header(b, 0x7FE0, 0x0010, x->bits_allocated == 8 ? "OB" : "OW", (uint32_t)keep);
        for (size_t i = 0; i < keep; i++) {
            uint8_t v = header + i < tmp.len ? tmp.data[header + i] : 0;
            tb_raw(b, &v, 1);
        }
        tb_free(&tmp);
    } else {
        tb_pixels(b, samples, n, x->bits_allocated);
    }
    free(samples);
}

int tb_xa_write(const tb_xa *x, const char *path)
{
    tb_buf meta, ds;
    tb_meta(&meta, x->ts_uid, x->sop_class, x->sop_instance_uid);
    tb_xa_dataset(x, &ds);
    int rc = tb_write(path, &meta, &ds);
    tb_free(&meta);
    tb_free(&ds);
    return rc;
}
