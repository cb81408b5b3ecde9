/* test_series.c — frame timing, pixel spacing and study context of a series, and series made
 * of one frame per file (ordering, consistency, duplicates).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pdva_series *open_xa(const tb_xa *x, const char *name)
{
    const char *path = tmp_path(name);
    assert_int_equal(tb_xa_write(x, path), 0);
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(path, NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    return s;
}

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

/* ---- timing ------------------------------------------------------------------------------ */

typedef struct timing_case {
    const char *name;
    const char *frame_time, *vector, *cine, *display;
    uint16_t fip_element; /* 0x1063, 0x1065, other, or 0 for none */
    pdva_timing_source source;
    bool suspect;
    double t3;        /* time of frame 3 when known */
    const char *note; /* substring of timing_note, or NULL */
} timing_case;

static void test_timing(void **state)
{
    (void)state;
    const timing_case cases[] = {
        {"ft", "66.67", NULL, NULL, NULL, 0x1063, PDVA_TIMING_FRAME_TIME, false, 0.20001, NULL},
        {"ft_no_fip", "40", NULL, NULL, NULL, 0, PDVA_TIMING_FRAME_TIME, false, 0.12, NULL},
        {"ftv", NULL, "0\\100\\150\\100", NULL, NULL, 0x1065, PDVA_TIMING_FRAME_TIME_VECTOR, false,
         0.35, NULL},
        {"ftv_and_ft_fip_ft", "33", "0\\100\\150\\100", NULL, NULL, 0x1063, PDVA_TIMING_FRAME_TIME,
         false, 0.099, NULL},
        {"fip_ft_but_vector", NULL, "0\\50\\50\\50", NULL, NULL, 0x1063,
         PDVA_TIMING_FRAME_TIME_VECTOR, true, 0.15, "names Frame Time, Frame Time Vector used"},
        {"fip_elsewhere", "50", NULL, NULL, NULL, 0x2002, PDVA_TIMING_FRAME_TIME, false, 0.15,
         "(0018,2002), which is not a frame time"},
        {"ftv_short", NULL, "0\\100\\100", "15", NULL, 0x1065, PDVA_TIMING_CINE_RATE, true, 0.2,
         "has 3 values for 4 frames"},
        {"ftv_first", NULL, "40\\100\\100\\100", NULL, NULL, 0x1065, PDVA_TIMING_FRAME_TIME_VECTOR,
         true, 0.3, "starts with 40, not 0"},
        {"ftv_negative", "25", "0\\100\\-50\\100", NULL, NULL, 0x1065, PDVA_TIMING_FRAME_TIME, true,
         0.075, "negative increments"},
        {"ftv_zero", NULL, "0\\100\\0\\100", NULL, NULL, 0x1065, PDVA_TIMING_FRAME_TIME_VECTOR,
         true, 0.2, "share the same time"},
        {"ftv_text", NULL, "0\\a\\b\\c", NULL, NULL, 0x1065, PDVA_TIMING_NONE, false, -1,
         "not a list of numbers"},
        {"ft_tiny", "0.5", NULL, NULL, NULL, 0x1063, PDVA_TIMING_FRAME_TIME, true, 0.0015,
         "less than 1 ms"},
        {"ft_huge", "20000", NULL, NULL, NULL, 0x1063, PDVA_TIMING_FRAME_TIME, true, 60,
         "more than 10 s"},
        {"ft_zero", "0", NULL, NULL, NULL, 0x1063, PDVA_TIMING_NONE, false, -1, "is not positive"},
        {"ft_negative", "-33", NULL, NULL, NULL, 0x1063, PDVA_TIMING_NONE, false, -1,
         "is not positive"},
        {"ft_nan", "nan", NULL, NULL, NULL, 0x1063, PDVA_TIMING_NONE, false, -1,
         "is not one number"},
        {"ft_inf", "1e999", NULL, NULL, NULL, 0x1063, PDVA_TIMING_NONE, false, -1,
         "is not one number"},
        {"cine_only", NULL, NULL, "10", NULL, 0, PDVA_TIMING_CINE_RATE, true, 0.3,
         "a display rate rather than the acquisition timing"},
        {"display_only", NULL, NULL, NULL, "25", 0, PDVA_TIMING_DISPLAY_RATE, true, 0.12,
         "Recommended Display Frame Rate"},
        {"cine_zero", NULL, NULL, "0", NULL, 0, PDVA_TIMING_NONE, false, -1,
         "is not a usable rate"},
        {"nothing", NULL, NULL, NULL, NULL, 0, PDVA_TIMING_NONE, false, -1,
         "no usable frame timing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const timing_case *c = &cases[i];
        tb_xa x;
        tb_xa_defaults(&x);
        x.frame_time = c->frame_time;
        x.frame_time_vector = c->vector;
        x.cine_rate = c->cine;
        x.display_rate = c->display;
        x.fip_group = c->fip_element ? 0x0018 : 0;
        x.fip_element = c->fip_element;
        pdva_series *s = open_xa(&x, "timing.dcm");
        const pdva_series_info *info = pdva_series_get_info(s);
        if (info->timing_source != c->source || info->timing_suspect != c->suspect)
            fail_msg("%s: source %s suspect %d, expected %s %d (note: %s)", c->name,
                     pdva_timing_source_name(info->timing_source), info->timing_suspect,
                     pdva_timing_source_name(c->source), c->suspect, info->timing_note);
        if (c->source == PDVA_TIMING_NONE) {
            assert_null(info->frame_times_s);
        } else {
            assert_non_null(info->frame_times_s);
            assert_true(info->frame_times_s[0] == 0);
            for (int k = 1; k < 4; k++)
                assert_true(info->frame_times_s[k] >= info->frame_times_s[k - 1]);
            if (fabs(info->frame_times_s[3] - c->t3) > 1e-6)
                fail_msg("%s: t3 = %.9f, expected %.9f", c->name, info->frame_times_s[3], c->t3);
        }
        if (c->note && !strstr(info->timing_note, c->note))
            fail_msg("%s: note '%s' lacks '%s'", c->name, info->timing_note, c->note);
        assert_clean_utf8(info->timing_note);
        pdva_series_destroy(s);
    }

    /* a single frame: [0] whatever the header says */
    tb_xa x;
    tb_xa_defaults(&x);
    x.frames = 1;
    x.number_of_frames = "1";
    x.frame_time = "-5";
    pdva_series *s = open_xa(&x, "timing_single.dcm");
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->timing_source, PDVA_TIMING_SINGLE_FRAME);
    assert_true(info->frame_times_s[0] == 0);
    pdva_series_destroy(s);
}

/* ---- spacing ----------------------------------------------------------------------------- */

typedef struct spacing_case {
    const char *name;
    const char *ps, *ips, *ermf, *dsd, *dsp;
    pdva_spacing_source source;
    double row, col;
    const char *warning;
} spacing_case;

static void test_spacing(void **state)
{
    (void)state;
    const spacing_case cases[] = {
        {"ps", "0.3\\0.25", "0.4\\0.4", "1.5", NULL, NULL, PDVA_SPACING_PIXEL_SPACING, 0.3, 0.25,
         NULL},
        {"ermf", NULL, "0.4\\0.3", "1.6", "1000", "800", PDVA_SPACING_MAGNIFICATION_ERMF, 0.25,
         0.1875, NULL},
        {"distances", NULL, "0.4\\0.4", NULL, "1000", "750", PDVA_SPACING_MAGNIFICATION_DISTANCES,
         0.3, 0.3, NULL},
        {"ips_only", NULL, "0.4\\0.4", NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "only Imager Pixel Spacing"},
        {"nothing", NULL, NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0, NULL},
        {"ps_zero", "0\\0", "0.4\\0.4", "2", NULL, NULL, PDVA_SPACING_MAGNIFICATION_ERMF, 0.2, 0.2,
         "Pixel Spacing 0\\0 mm is absurd"},
        {"ps_negative", "-0.3\\0.3", NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "is absurd"},
        {"ps_huge", "20\\20", NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0, "is absurd"},
        {"ps_text", "abc", NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "Pixel Spacing 'abc' is not two numbers"},
        {"ps_one", "0.3", NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0, "not two numbers"},
        {"ps_nan", "nan\\nan", NULL, NULL, NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "not two numbers"},
        {"ermf_low", NULL, "0.4\\0.4", "0.5", "1000", "800", PDVA_SPACING_MAGNIFICATION_DISTANCES,
         0.32, 0.32, "outside [1, 5]"},
        {"ermf_high", NULL, "0.4\\0.4", "7", NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "outside [1, 5]"},
        {"dsp_beyond", NULL, "0.4\\0.4", NULL, "1000", "1200", PDVA_SPACING_UNKNOWN, 0, 0,
         "is not shorter than Distance Source to Detector"},
        {"magnification_absurd", NULL, "0.4\\0.4", NULL, "1000", "100", PDVA_SPACING_UNKNOWN, 0, 0,
         "magnification of 10"},
        {"ips_absurd", NULL, "0\\0.4", "1.5", NULL, NULL, PDVA_SPACING_UNKNOWN, 0, 0,
         "Imager Pixel Spacing 0\\0.4 mm is absurd"},
        {"dsd_text", NULL, "0.4\\0.4", NULL, "far", "800", PDVA_SPACING_UNKNOWN, 0, 0,
         "Distance Source to Detector 'far'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const spacing_case *c = &cases[i];
        tb_xa x;
        tb_xa_defaults(&x);
        x.pixel_spacing = c->ps;
        x.imager_pixel_spacing = c->ips;
        x.ermf = c->ermf;
        x.dsd = c->dsd;
        x.dsp = c->dsp;
        pdva_series *s = open_xa(&x, "spacing.dcm");
        const pdva_series_info *info = pdva_series_get_info(s);
        if (info->spacing_source != c->source || !near(info->pixel_spacing_mm[0], c->row) ||
            !near(info->pixel_spacing_mm[1], c->col))
            fail_msg("%s: %s %g x %g, expected %s %g x %g (warnings: %s)", c->name,
                     pdva_spacing_source_report_name(info->spacing_source),
                     info->pixel_spacing_mm[0], info->pixel_spacing_mm[1],
                     pdva_spacing_source_report_name(c->source), c->row, c->col, info->warnings);
        if (c->warning && !strstr(info->warnings, c->warning))
            fail_msg("%s: warnings '%s' lack '%s'", c->name, info->warnings, c->warning);
        /* Imager Pixel Spacing is never the spacing at the patient */
        if (info->spacing_source != PDVA_SPACING_PIXEL_SPACING &&
            info->spacing_source != PDVA_SPACING_UNKNOWN)
            assert_true(info->pixel_spacing_mm[0] < info->imager_pixel_spacing_mm[0]);
        if (c->ips && strcmp(c->name, "ips_absurd") != 0)
            assert_true(near(info->imager_pixel_spacing_mm[0], 0.4));
        pdva_series_destroy(s);
    }
}

/* ---- context ----------------------------------------------------------------------------- */

static void test_context(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.image_laterality = "L";
    x.laterality = "R";
    x.study_date = "20240131";
    x.study_time = "101112.5";
    x.series_number = "7";
    x.series_description = "Foot AP";
    x.body_part = "FOOT";
    x.primary_angle = "-12.5";
    x.secondary_angle = "30";
    const uint16_t mask[] = {1, 2};
    x.mask_operation = "AVG_SUB";
    x.mask_frames = mask;
    x.n_mask_frames = 2;
    x.viewing_mode = "SUB";
    x.intensity_relationship = "LOG";
    x.intensity_sign = -1;
    x.lossy = "01";
    pdva_series *s = open_xa(&x, "context.dcm");
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->laterality, 'L');
    assert_string_equal(info->study_date, "20240131");
    assert_string_equal(info->study_time, "101112.5");
    assert_int_equal(info->series_number, 7);
    assert_string_equal(info->series_description, "Foot AP");
    assert_string_equal(info->body_part_examined, "FOOT");
    assert_string_equal(info->patient_name, "Doe^Jane");
    assert_string_equal(info->patient_id, "P001");
    assert_string_equal(info->study_instance_uid, "1.2.826.0.1.3680043.9.7433.2");
    assert_string_equal(info->series_instance_uid, "1.2.826.0.1.3680043.9.7433.2.1");
    assert_true(info->has_positioner_angles);
    assert_true(near(info->positioner_primary_angle_deg, -12.5));
    assert_true(near(info->positioner_secondary_angle_deg, 30));
    assert_true(info->has_mask_subtraction);
    assert_string_equal(info->mask_operation, "AVG_SUB");
    assert_int_equal(info->n_mask_frame_numbers, 2);
    assert_int_equal(info->mask_frame_numbers[0], 0);
    assert_int_equal(info->mask_frame_numbers[1], 1);
    assert_true(info->recommended_subtraction);
    assert_string_equal(info->pixel_intensity_relationship, "LOG");
    assert_int_equal(info->pixel_intensity_sign, -1);
    assert_true(info->lossy_compression); /* Lossy Image Compression 01 on native data */
    pdva_series_destroy(s);

    const struct {
        const char *image, *plain;
        char expected;
    } lat[] = {{NULL, "R", 'R'}, {"B", "L", 0}, {"U", NULL, 0}, {NULL, NULL, 0}, {"X", NULL, 0}};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        tb_xa_defaults(&x);
        x.image_laterality = lat[i].image;
        x.laterality = lat[i].plain;
        s = open_xa(&x, "laterality.dcm");
        assert_int_equal(pdva_series_get_info(s)->laterality, lat[i].expected);
        pdva_series_destroy(s);
    }

    /* mask frames outside the series are dropped with a warning; more than 16 are cut */
    uint16_t many[20];
    for (int i = 0; i < 20; i++)
        many[i] = (uint16_t)(i % 5); /* 0 and 1..4, of 4 frames */
    tb_xa_defaults(&x);
    x.mask_operation = "TID";
    x.mask_frames = many;
    x.n_mask_frames = 20;
    x.study_date = "2024-01-31";
    s = open_xa(&x, "mask_many.dcm");
    info = pdva_series_get_info(s);
    assert_non_null(strstr(info->warnings, "Mask Frame Number 0 is outside 1..4"));
    assert_non_null(strstr(info->warnings, "20 mask frames listed: only the first 16 kept"));
    assert_non_null(strstr(info->warnings, "Study Date '2024-01-31' is not a date"));
    assert_string_equal(info->study_date, "");
    assert_int_equal(info->n_mask_frame_numbers, 12);
    pdva_series_destroy(s);
}

/* ---- one frame per file ------------------------------------------------------------------ */

typedef struct single {
    const char *name, *uid, *number, *time;
    uint16_t rows;
    const char *series_uid;
} single;

static char *owned_paths[8];

static void write_singles(const single *files, size_t n, const char **paths)
{
    for (size_t i = 0; i < n; i++) {
        tb_xa x;
        tb_xa_defaults(&x);
        x.frames = 1;
        x.number_of_frames = NULL;
        x.frame_time = NULL;
        x.fip_group = 0;
        x.sop_instance_uid = files[i].uid;
        x.instance_number = files[i].number;
        x.acquisition_time = files[i].time;
        x.acquisition_date = files[i].time ? "20240102" : NULL;
        if (files[i].rows)
            x.rows = files[i].rows;
        if (files[i].series_uid)
            x.series_uid = files[i].series_uid;
        /* frame content tells which file it is: pattern of frame = instance number */
        int32_t k = files[i].number ? atoi(files[i].number) : (int32_t)i;
        static uint16_t px[64 * 64];
        for (uint32_t r = 0; r < x.rows; r++)
            for (uint32_t c = 0; c < x.columns; c++)
                px[r * x.columns + c] = tb_pattern((uint32_t)k, r, c, 12);
        x.pixels = px;
        owned_paths[i] = strdup(tmp_path(files[i].name));
        assert_non_null(owned_paths[i]);
        assert_int_equal(tb_xa_write(&x, owned_paths[i]), 0);
        paths[i] = owned_paths[i];
    }
}

static void free_paths(const char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(owned_paths[i]);
        owned_paths[i] = NULL;
        paths[i] = NULL;
    }
}

static void expect_series_error(const single *files, size_t n, pdva_status st, const char *needle)
{
    const char *paths[8];
    write_singles(files, n, paths);
    pdva_series *s = NULL;
    const char *msg;
    pdva_status got = open_files(paths, n, NULL, &s, &msg);
    if (got != st || !strstr(msg, needle))
        fail_msg("expected %s '%s', got %s '%s'", pdva_status_str(st), needle, pdva_status_str(got),
                 msg);
    free_paths(paths, n);
}

static void test_one_frame_per_file(void **state)
{
    (void)state;
    /* given out of order; acquisition times order them; instance numbers agree */
    const single ordered[] = {
        {"s_c.dcm", "1.2.3.1.3", "3", "101010.400", 0, NULL},
        {"s_a.dcm", "1.2.3.1.1", "1", "101010.000", 0, NULL},
        {"s_b.dcm", "1.2.3.1.2", "2", "101010.200", 0, NULL},
    };
    const char *paths[8];
    write_singles(ordered, 3, paths);
    pdva_series *s = NULL;
    const char *msg;
    if (open_files(paths, 3, NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s", msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->frames, 3);
    assert_int_equal(info->n_files, 3);
    assert_int_equal(info->timing_source, PDVA_TIMING_INSTANCE_TIMES);
    assert_false(info->timing_suspect);
    assert_true(near(info->frame_times_s[1], 0.2));
    assert_true(near(info->frame_times_s[2], 0.4));
    uint16_t frame[16 * 12];
    for (uint32_t f = 0; f < 3; f++) {
        assert_int_equal(pdva_series_read_frame(s, f, frame, 16 * 12, NULL), PDVA_OK);
        for (uint32_t i = 0; i < 16 * 12; i++)
            assert_int_equal(frame[i], tb_pattern(f + 1, i / 12, i % 12, 12));
    }
    /* reading backwards re-opens files; a file changed since opening is refused */
    assert_int_equal(pdva_series_read_frame(s, 0, frame, 16 * 12, NULL), PDVA_OK);
    size_t len = 0;
    uint8_t *data = tb_read_file(paths[0], &len); /* s_c.dcm: frame 2 */
    assert_non_null(data);
    data[len - 1] ^= 0xFF; /* and one byte more: the size tells */
    assert_int_equal(unlink(paths[0]), 0);
    assert_int_equal(tb_write_bytes(paths[0], data, len + 1 > len ? len : len), 0);
    FILE *grow = fopen(paths[0], "ab");
    assert_non_null(grow);
    fputc(0, grow);
    fclose(grow);
    free(data);
    pdva_error *err = NULL;
    assert_int_equal(pdva_series_read_frame(s, 2, frame, 16 * 12, &err), PDVA_ERR_INCONSISTENT);
    assert_non_null(strstr(pdva_error_message(err), "s_c.dcm changed since the series was opened"));
    pdva_error_destroy(err);
    pdva_series_destroy(s);
    free_paths(paths, 3);

    /* equal times: Instance Number decides, timing unknown */
    const single same_time[] = {
        {"t_b.dcm", "1.2.3.2.2", "2", "101010", 0, NULL},
        {"t_a.dcm", "1.2.3.2.1", "1", "101010", 0, NULL},
    };
    write_singles(same_time, 2, paths);
    assert_int_equal(open_files(paths, 2, NULL, &s, &msg), PDVA_OK);
    info = pdva_series_get_info(s);
    assert_int_equal(info->timing_source, PDVA_TIMING_NONE);
    assert_null(info->frame_times_s);
    assert_non_null(strstr(info->timing_note, "ordered by Instance Number"));
    assert_int_equal(pdva_series_read_frame(s, 0, frame, 16 * 12, NULL), PDVA_OK);
    assert_int_equal(frame[5], tb_pattern(1, 0, 5, 12));
    pdva_series_destroy(s);
    free_paths(paths, 2);

    /* no times, no numbers: by name, with a warning */
    const single bare[] = {
        {"u_2.dcm", "1.2.3.3.2", NULL, NULL, 0, NULL},
        {"u_1.dcm", "1.2.3.3.1", NULL, NULL, 0, NULL},
    };
    write_singles(bare, 2, paths);
    assert_int_equal(open_files(paths, 2, NULL, &s, &msg), PDVA_OK);
    info = pdva_series_get_info(s);
    assert_non_null(strstr(info->warnings, "ordered by name"));
    assert_int_equal(pdva_series_read_frame(s, 0, frame, 16 * 12, NULL), PDVA_OK);
    assert_int_equal(frame[7], tb_pattern(1, 0, 7, 12)); /* u_1.dcm was written second */
    pdva_series_destroy(s);
    free_paths(paths, 2);

    const single mismatch[] = {
        {"m_a.dcm", "1.2.3.4.1", "1", NULL, 0, NULL},
        {"m_b.dcm", "1.2.3.4.2", "2", NULL, 20, NULL},
    };
    expect_series_error(mismatch, 2, PDVA_ERR_INCONSISTENT,
                        "m_a.dcm is 12x16 but m_b.dcm is 12x20");
    const single mixed[] = {
        {"x_a.dcm", "1.2.3.5.1", "1", NULL, 0, NULL},
        {"x_b.dcm", "1.2.3.5.2", "2", NULL, 0, "1.2.3.999"},
    };
    expect_series_error(mixed, 2, PDVA_ERR_INCONSISTENT,
                        "x_a.dcm and x_b.dcm belong to different series");
    const single dup_uid[] = {
        {"d_a.dcm", "1.2.3.6.1", "1", NULL, 0, NULL},
        {"d_b.dcm", "1.2.3.6.1", "2", NULL, 0, NULL},
    };
    expect_series_error(dup_uid, 2, PDVA_ERR_INCONSISTENT,
                        "d_a.dcm and d_b.dcm are the same instance");
    const single dup_number[] = {
        {"n_a.dcm", "1.2.3.7.1", "4", "101010.1", 0, NULL},
        {"n_b.dcm", "1.2.3.7.2", "4", "101010.2", 0, NULL},
    };
    expect_series_error(dup_number, 2, PDVA_ERR_INCONSISTENT,
                        "n_a.dcm and n_b.dcm have the same Instance Number 4");

    /* a multi-frame file among them */
    write_singles(ordered, 2, paths);
    tb_xa x;
    tb_xa_defaults(&x);
    x.sop_instance_uid = "1.2.3.8.9";
    const char *multi = tmp_path2("multi_among.dcm");
    assert_int_equal(tb_xa_write(&x, multi), 0);
    const char *three[3] = {paths[0], paths[1], multi};
    assert_int_equal(open_files(three, 3, NULL, &s, &msg), PDVA_ERR_INCONSISTENT);
    assert_non_null(strstr(msg, "multi_among.dcm holds 4 frames"));
    free_paths(paths, 2);
}

int run_series_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timing),
        cmocka_unit_test(test_spacing),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_one_frame_per_file),
    };
    return cmocka_run_group_tests_name("series", tests, NULL, NULL);
}
