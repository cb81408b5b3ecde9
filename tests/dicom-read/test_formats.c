/* test_formats.c — every supported encoding decodes to the exact pattern (or close, when
 * lossy), and the pixel value rules: signed pixels, MONOCHROME1, rescale, Modality LUT, high
 * bit, 8-bit containers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare a series of 64x64x8 fixture frames with the pattern; returns the max |difference|. */
static int compare_fixture(const char *name, unsigned bits, bool lossy_expected)
{
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(fixture_path(name), NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_XA);
    assert_int_equal(info->frames, 8);
    assert_int_equal(info->rows, 64);
    assert_int_equal(info->columns, 64);
    assert_int_equal(info->bits_stored, bits);
    assert_int_equal(info->max_value, (1u << bits) - 1);
    assert_int_equal(info->lossy_compression, lossy_expected);
    assert_int_equal(info->timing_source, PDVA_TIMING_FRAME_TIME);
    assert_true(fabs(info->frame_times_s[7] - 7 * 0.06667) < 1e-9);
    assert_int_equal(info->laterality, 'L');
    assert_string_equal(info->patient_name, "Fixture^Reader");
    /* frames in a scrambled order: each frame is located on its own */
    const uint32_t order[8] = {5, 0, 7, 3, 3, 1, 6, 2};
    uint16_t frame[64 * 64];
    int max_diff = 0;
    for (int k = 0; k < 8; k++) {
        uint32_t f = order[k];
        pdva_error *err = NULL;
        if (pdva_series_read_frame(s, f, frame, 64 * 64, &err) != PDVA_OK)
            fail_msg("%s frame %u: %s", name, f, pdva_error_message(err));
        for (uint32_t r = 0; r < 64; r++)
            for (uint32_t c = 0; c < 64; c++) {
                int d = abs((int)frame[r * 64 + c] - (int)tb_pattern(f, r, c, bits));
                max_diff = d > max_diff ? d : max_diff;
            }
    }
    pdva_series_destroy(s);
    return max_diff;
}

static void test_compressed_fixtures(void **state)
{
    (void)state;
    assert_int_equal(compare_fixture("xa_rle.dcm", 12, false), 0);
    assert_int_equal(compare_fixture("xa_jpll_sv1.dcm", 12, false), 0);
    assert_int_equal(compare_fixture("xa_jpll_fragments_bot.dcm", 12, false), 0);
    assert_int_equal(compare_fixture("xa_jpll_p14_fragments_no_bot.dcm", 12, false), 0);
    assert_int_equal(compare_fixture("xa_jls.dcm", 12, false), 0);
    assert_int_equal(compare_fixture("xa_jls_fragments_no_bot.dcm", 12, false), 0);
    int near = compare_fixture("xa_jls_near.dcm", 12, true);
    assert_true(near <= 2); /* NEAR = 2 */
    int extended = compare_fixture("xa_jpeg_extended12.dcm", 12, true);
    int baseline = compare_fixture("xa_jpeg_baseline8.dcm", 8, true);
    printf("# lossy fixtures: JPEG-LS near %d, JPEG extended 12-bit %d, baseline 8-bit %d\n", near,
           extended, baseline);
    assert_true(extended > 0 && extended < 64);
    assert_true(baseline > 0 && baseline < 32);
}

/* Write x, open it, read all frames, compare each value with expect(f, r, c). */
typedef uint16_t (*expect_fn)(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x);

static uint16_t expect_pattern(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x)
{
    return tb_pattern(f, r, c, x->bits_stored);
}

static const pdva_series_info *check_file(const tb_xa *x, const char *name, expect_fn expect,
                                          pdva_series **keep)
{
    const char *path = tmp_path(name);
    assert_int_equal(tb_xa_write(x, path), 0);
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(path, NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->frames, x->frames);
    uint16_t *all = read_all(s);
    size_t n = (size_t)x->rows * x->columns;
    for (uint32_t f = 0; f < x->frames; f++)
        for (uint32_t r = 0; r < x->rows; r++)
            for (uint32_t c = 0; c < x->columns; c++) {
                uint16_t got = all[f * n + r * x->columns + c];
                uint16_t want = expect(f, r, c, x);
                if (got != want)
                    fail_msg("%s: frame %u (%u,%u): %u, expected %u", name, f, r, c, got, want);
            }
    free(all);
    *keep = s;
    return info;
}

static void test_native_encodings(void **state)
{
    (void)state;
    const char *ts[] = {TS_EXPLICIT_LE, TS_IMPLICIT_LE, TS_EXPLICIT_BE};
    const char *names[] = {"native_el.dcm", "native_il.dcm", "native_eb.dcm"};
    for (int k = 0; k < 3; k++) {
        tb_xa x;
        tb_xa_defaults(&x);
        x.ts_uid = ts[k];
        x.rows = 7; /* odd sizes */
        x.columns = 9;
        x.frames = 3;
        x.number_of_frames = "3";
        pdva_series *s;
        const pdva_series_info *info = check_file(&x, names[k], expect_pattern, &s);
        assert_string_equal(info->transfer_syntax_uid, ts[k]);
        assert_int_equal(info->max_value, 4095);
        assert_false(info->modality_lut_applied);
        pdva_series_destroy(s);
        /* 8-bit in every encoding, odd pixel count */
        x.bits_allocated = 8;
        x.bits_stored = 8;
        x.high_bit = 7;
        info = check_file(&x, names[k], expect_pattern, &s);
        assert_int_equal(info->max_value, 255);
        assert_int_equal(info->bits_allocated, 8);
        pdva_series_destroy(s);
    }
}

static uint16_t expect_signed(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x)
{
    /* stored 12-bit two's complement, shifted up by 2048 */
    uint16_t raw = tb_pattern(f, r, c, x->bits_stored);
    int v = raw & 0x800 ? (int)raw - 4096 : raw;
    return (uint16_t)(v + 2048);
}

static uint16_t expect_mono1(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x)
{
    return (uint16_t)(4095 - tb_pattern(f, r, c, x->bits_stored));
}

static uint16_t expect_rescaled(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x)
{
    /* slope 2, intercept -100: range -100..8090 shifted by 100 */
    (void)x;
    return (uint16_t)(2 * tb_pattern(f, r, c, 12));
}

static uint16_t expect_high_bit(uint32_t f, uint32_t r, uint32_t c, const tb_xa *x)
{
    (void)x;
    return tb_pattern(f, r, c, 10);
}

static uint16_t pixels_with_junk[4 * 16 * 12];

static void test_pixel_value_rules(void **state)
{
    (void)state;
    tb_xa x;
    pdva_series *s;
    const pdva_series_info *info;

    tb_xa_defaults(&x);
    x.pixel_representation = 1;
    info = check_file(&x, "signed.dcm", expect_signed, &s);
    assert_true(info->pixel_signed);
    assert_int_equal(info->max_value, 4095);
    assert_non_null(strstr(info->warnings, "shifted up by 2048"));
    pdva_series_destroy(s);

    tb_xa_defaults(&x);
    x.photometric = "MONOCHROME1";
    info = check_file(&x, "mono1.dcm", expect_mono1, &s);
    assert_true(info->monochrome1);
    pdva_series_destroy(s);

    tb_xa_defaults(&x);
    x.rescale_slope = "2";
    x.rescale_intercept = "-100";
    info = check_file(&x, "rescale.dcm", expect_rescaled, &s);
    assert_true(info->modality_lut_applied);
    assert_true(info->rescale_slope == 2.0 && info->rescale_intercept == -100.0);
    assert_int_equal(info->max_value, 8190);
    pdva_series_destroy(s);

    /* identity rescale is not "applied" */
    tb_xa_defaults(&x);
    x.rescale_slope = "1.0";
    x.rescale_intercept = "0";
    info = check_file(&x, "rescale_identity.dcm", expect_pattern, &s);
    assert_false(info->modality_lut_applied);
    pdva_series_destroy(s);

    /* unusable rescale: ignored with a warning */
    tb_xa_defaults(&x);
    x.rescale_slope = "0";
    info = check_file(&x, "rescale_zero.dcm", expect_pattern, &s);
    assert_false(info->modality_lut_applied);
    assert_non_null(strstr(info->warnings, "Rescale Slope '0'"));
    pdva_series_destroy(s);

    /* 10 bits stored at bits 2..11, junk in the other bits */
    tb_xa_defaults(&x);
    x.bits_stored = 10;
    x.high_bit = 11;
    for (uint32_t f = 0; f < 4; f++)
        for (uint32_t r = 0; r < 16; r++)
            for (uint32_t c = 0; c < 12; c++)
                pixels_with_junk[(f * 16 + r) * 12 + c] =
                    (uint16_t)((tb_pattern(f, r, c, 10) << 2) | 0xF003);
    x.pixels = pixels_with_junk;
    info = check_file(&x, "high_bit.dcm", expect_high_bit, &s);
    assert_int_equal(info->max_value, 1023);
    pdva_series_destroy(s);

    /* junk above Bits Stored is masked in the plain case too */
    tb_xa_defaults(&x);
    for (uint32_t f = 0; f < 4; f++)
        for (uint32_t r = 0; r < 16; r++)
            for (uint32_t c = 0; c < 12; c++)
                pixels_with_junk[(f * 16 + r) * 12 + c] =
                    (uint16_t)(tb_pattern(f, r, c, 12) | 0xA000);
    x.pixels = pixels_with_junk;
    info = check_file(&x, "overlay_bits.dcm", expect_pattern, &s);
    pdva_series_destroy(s);
}

static void test_modality_lut(void **state)
{
    (void)state;
    /* A hand-made file: 8-bit pixels through a 256-entry LUT v -> 1000 + 3 v. */
    tb_xa x;
    tb_xa_defaults(&x);
    x.bits_allocated = 8;
    x.bits_stored = 8;
    x.high_bit = 7;
    x.omit_pixel_data = true;
    tb_buf ds;
    tb_xa_dataset(&x, &ds);
    tb_seq_begin(&ds, 0x0028, 0x3000);
    tb_item_begin(&ds);
    tb_header(&ds, 0x0028, 0x3002, "US", 6);
    tb_u16(&ds, 256);
    tb_u16(&ds, 0);
    tb_u16(&ds, 16);
    tb_header(&ds, 0x0028, 0x3006, "OW", 512);
    for (unsigned v = 0; v < 256; v++)
        tb_u16(&ds, (uint16_t)(1000 + 3 * v));
    tb_item_end(&ds);
    tb_seq_end(&ds);
    uint16_t samples[4 * 16 * 12];
    for (uint32_t f = 0; f < 4; f++)
        for (uint32_t r = 0; r < 16; r++)
            for (uint32_t c = 0; c < 12; c++)
                samples[(f * 16 + r) * 12 + c] = tb_pattern(f, r, c, 8);
    tb_pixels(&ds, samples, 4 * 16 * 12, 8);
    tb_buf meta;
    tb_meta(&meta, x.ts_uid, x.sop_class, x.sop_instance_uid);
    const char *path = tmp_path("modality_lut.dcm");
    assert_int_equal(tb_write(path, &meta, &ds), 0);
    tb_free(&meta);
    tb_free(&ds);
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(path, NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s", msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_true(info->modality_lut_applied);
    assert_int_equal(info->max_value, 1000 + 3 * 255);
    uint16_t *all = read_all(s);
    for (uint32_t f = 0; f < 4; f++)
        for (uint32_t r = 0; r < 16; r++)
            for (uint32_t c = 0; c < 12; c++)
                assert_int_equal(all[(f * 16 + r) * 12 + c], 1000 + 3 * tb_pattern(f, r, c, 8));
    free(all);
    pdva_series_destroy(s);
}

static void test_enhanced_xa(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.sop_class = SOP_ENHANCED_XA;
    x.enhanced = true;
    x.frame_time = NULL;
    x.fip_group = 0;
    const char *dts[4] = {"20240102101112.000000", "20240102101112.125000", "20240102101112.250000",
                          "20240102101112.500000"};
    x.frame_datetimes = dts;
    x.frame_laterality = "R";
    x.pixel_spacing = "0.2\\0.25";
    x.spacing_in_groups = true;
    pdva_series *s;
    const pdva_series_info *info = check_file(&x, "enhanced.dcm", expect_pattern, &s);
    assert_int_equal(info->kind, PDVA_IMAGE_ENHANCED_XA);
    assert_int_equal(info->timing_source, PDVA_TIMING_FUNCTIONAL_GROUPS);
    assert_false(info->timing_suspect);
    assert_true(fabs(info->frame_times_s[1] - 0.125) < 1e-9);
    assert_true(fabs(info->frame_times_s[3] - 0.5) < 1e-9);
    assert_int_equal(info->laterality, 'R');
    assert_int_equal(info->spacing_source, PDVA_SPACING_PIXEL_SPACING);
    assert_true(info->pixel_spacing_mm[0] == 0.2 && info->pixel_spacing_mm[1] == 0.25);
    pdva_series_destroy(s);

    /* geometry in the functional groups: Imager Pixel Spacing in Frame Pixel Data Properties,
     * Distance Source to Detector and to Isocenter in X-Ray Geometry */
    x.pixel_spacing = NULL;
    x.geometry_in_groups = true;
    x.imager_pixel_spacing = "0.3\\0.3";
    x.dsd = "1200";
    x.distance_source_to_isocenter = 800.0f;
    info = check_file(&x, "enhanced_geometry.dcm", expect_pattern, &s);
    assert_int_equal(info->spacing_source, PDVA_SPACING_MAGNIFICATION_DISTANCES);
    assert_true(fabs(info->pixel_spacing_mm[0] - 0.2) < 1e-9);
    assert_true(fabs(info->distance_source_to_patient_mm - 800) < 1e-9);
    assert_non_null(strstr(info->warnings, "Distance Source to Isocenter (0018,9402)"));
    pdva_series_destroy(s);
    x.geometry_in_groups = false;
    x.imager_pixel_spacing = NULL;
    x.dsd = NULL;

    /* durations only: summed, flagged */
    const double durations[4] = {100, 100, 100, 100};
    x.frame_datetimes = NULL;
    x.frame_durations_ms = durations;
    info = check_file(&x, "enhanced_durations.dcm", expect_pattern, &s);
    assert_int_equal(info->timing_source, PDVA_TIMING_FUNCTIONAL_GROUPS);
    assert_true(info->timing_suspect);
    assert_true(fabs(info->frame_times_s[3] - 0.3) < 1e-9);
    assert_non_null(strstr(info->timing_note, "Frame Acquisition Duration"));
    pdva_series_destroy(s);

    /* non-monotonic per-frame times: not used; Frame Time is the fallback, flagged */
    const char *back[4] = {"20240102101112.000000", "20240102101112.500000",
                           "20240102101112.250000", "20240102101112.750000"};
    x.frame_durations_ms = NULL;
    x.frame_datetimes = back;
    x.frame_time = "100";
    info = check_file(&x, "enhanced_backwards.dcm", expect_pattern, &s);
    assert_int_equal(info->timing_source, PDVA_TIMING_FRAME_TIME);
    assert_true(info->timing_suspect);
    assert_non_null(strstr(info->timing_note, "not monotonic"));
    pdva_series_destroy(s);
}

int run_format_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compressed_fixtures), cmocka_unit_test(test_native_encodings),
        cmocka_unit_test(test_pixel_value_rules),   cmocka_unit_test(test_modality_lut),
        cmocka_unit_test(test_enhanced_xa),
    };
    return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
