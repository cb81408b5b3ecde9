/* test_samples.c — the real files of shared/dicom-samples get the outcome INVENTORY.md states.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void test_xa_cine_jpeg_baseline(void **state)
{
    (void)state;
    pdva_series *s = NULL;
    const char *msg;
    assert_int_equal(open_file(sample_path("fodicom_HasFragmentSequence.dcm"), NULL, &s, &msg),
                     PDVA_OK);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_XA);
    assert_string_equal(info->reason, "");
    assert_string_equal(info->sop_class_uid, "1.2.840.10008.5.1.4.1.1.12.1");
    assert_string_equal(info->modality, "XA");
    assert_string_equal(info->transfer_syntax_uid, "1.2.840.10008.1.2.4.50");
    assert_string_equal(info->transfer_syntax_name, "JPEG Baseline (Process 1)");
    assert_true(info->lossy_compression);
    assert_int_equal(info->frames, 96);
    assert_int_equal(info->rows, 512);
    assert_int_equal(info->columns, 512);
    assert_int_equal(info->bits_allocated, 8);
    assert_int_equal(info->bits_stored, 8);
    assert_false(info->pixel_signed);
    assert_false(info->monochrome1);
    assert_int_equal(info->max_value, 255);
    assert_int_equal(info->timing_source, PDVA_TIMING_FRAME_TIME);
    assert_false(info->timing_suspect);
    assert_non_null(info->frame_times_s);
    assert_true(fabs(info->frame_times_s[0]) < 1e-12);
    assert_true(fabs(info->frame_times_s[1] - 0.033) < 1e-9);
    assert_true(fabs(info->frame_times_s[95] - 95 * 0.033) < 1e-9);
    assert_int_equal(info->spacing_source, PDVA_SPACING_UNKNOWN);
    assert_true(info->pixel_spacing_mm[0] == 0 && info->pixel_spacing_mm[1] == 0);
    assert_true(info->has_positioner_angles);
    assert_true(fabs(info->positioner_primary_angle_deg + 32) < 1e-9);
    assert_true(fabs(info->positioner_secondary_angle_deg - 2) < 1e-9);
    /* Mask Subtraction Sequence with Mask Operation NONE: no subtraction */
    assert_false(info->has_mask_subtraction);
    assert_string_equal(info->mask_operation, "NONE");
    assert_int_equal(info->n_mask_frame_numbers, 0);
    assert_string_equal(info->pixel_intensity_relationship, "LIN");
    assert_int_equal(info->n_files, 1);
    uint16_t *all = read_all(s);
    /* a real angiogram: frames differ and use the range */
    size_t n = 512 * 512;
    uint16_t lo = 65535, hi = 0;
    for (size_t i = 0; i < n * 96; i++) {
        lo = all[i] < lo ? all[i] : lo;
        hi = all[i] > hi ? all[i] : hi;
    }
    assert_true(hi > 200);
    assert_true(lo < 50);
    assert_memory_not_equal(all, all + 50 * n, n * sizeof *all);
    /* reading again gives the same pixels (fragments released and reloaded) */
    uint16_t *again = malloc(n * sizeof *again);
    assert_non_null(again);
    assert_int_equal(pdva_series_read_frame(s, 50, again, n, NULL), PDVA_OK);
    assert_memory_equal(again, all + 50 * n, n * sizeof *again);
    /* bad arguments */
    uint16_t one;
    pdva_error *err = NULL;
    assert_int_equal(pdva_series_read_frame(s, 96, again, n, &err), PDVA_ERR_INVALID_ARGUMENT);
    pdva_error_destroy(err);
    free(again);
    free(all);
    assert_int_equal(pdva_series_read_frame(s, 0, &one, 1, NULL), PDVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(pdva_series_read_frame(NULL, 0, &one, 1, NULL), PDVA_ERR_INVALID_ARGUMENT);
    pdva_series_destroy(s);
}

static void test_xrf_single_frame(void **state)
{
    (void)state;
    pdva_series *s = NULL;
    assert_int_equal(open_file(sample_path("dbdicom_0015_XA.dcm"), NULL, &s, NULL), PDVA_OK);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_XRF);
    assert_string_equal(info->modality, "RF");
    assert_int_equal(info->frames, 1);
    assert_int_equal(info->rows, 1024);
    assert_int_equal(info->columns, 1024);
    assert_int_equal(info->bits_allocated, 8);
    assert_int_equal(info->timing_source, PDVA_TIMING_SINGLE_FRAME);
    assert_non_null(info->frame_times_s);
    assert_true(info->frame_times_s[0] == 0);
    assert_false(info->lossy_compression);
    uint16_t *all = read_all(s);
    free(all);
    pdva_series_destroy(s);
}

static uint16_t *read_single(const char *name, pdva_series_info *copy)
{
    pdva_series *s = NULL;
    const char *msg;
    pdva_status st = open_file(sample_path(name), NULL, &s, &msg);
    if (st != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_OTHER_XA_RF);
    assert_int_equal(info->frames, 1);
    assert_int_equal(info->rows, 1024);
    assert_int_equal(info->columns, 1024);
    assert_int_equal(info->bits_stored, 10);
    assert_int_equal(info->max_value, 1023);
    *copy = *info;
    uint16_t *all = read_all(s);
    pdva_series_destroy(s);
    return all;
}

static void test_xa1_codecs_identical(void **state)
{
    (void)state;
    pdva_series_info info;
    uint16_t *ref = read_single("XA1_UNC.dcm", &info);
    assert_false(info.lossy_compression);
    uint32_t nonzero = 0;
    for (size_t i = 0; i < 1024 * 1024; i++)
        nonzero += ref[i] != 0;
    assert_true(nonzero > 100000);
    const char *lossless[] = {"XA1_RLE.dcm", "XA1_JPLL.dcm", "XA1_JLSL.dcm"};
    for (size_t k = 0; k < 3; k++) {
        uint16_t *other = read_single(lossless[k], &info);
        assert_false(info.lossy_compression);
        if (memcmp(ref, other, 1024 * 1024 * sizeof *ref) != 0)
            fail_msg("%s differs from XA1_UNC.dcm", lossless[k]);
        free(other);
    }
    uint16_t *lossy = read_single("XA1_JPLY.dcm", &info);
    assert_true(info.lossy_compression);
    assert_string_equal(info.transfer_syntax_uid, "1.2.840.10008.1.2.4.51");
    int max_diff = 0;
    double sum = 0;
    for (size_t i = 0; i < 1024 * 1024; i++) {
        int d = abs((int)lossy[i] - (int)ref[i]);
        max_diff = d > max_diff ? d : max_diff;
        sum += d;
    }
    printf("# XA1_JPLY vs XA1_UNC: max |difference| %d, mean %.3f (10-bit values)\n", max_diff,
           sum / (1024.0 * 1024.0));
    assert_true(max_diff > 0);   /* it is lossy */
    assert_true(max_diff < 256); /* but close */
    assert_true(sum / (1024.0 * 1024.0) < 8.0);
    free(lossy);
    free(ref);
}

static void test_jpeg2000_refused(void **state)
{
    (void)state;
    expect_open_error(sample_path("XA1_J2KR.dcm"), NULL, PDVA_ERR_UNSUPPORTED,
                      "JPEG 2000 Image Compression (Lossless Only) 1.2.840.10008.1.2.4.90 is not "
                      "supported by this build");
}

static void expect_not_angiographic(const char *name, const char *reason, uint32_t frames)
{
    pdva_series *s = NULL;
    const char *msg;
    pdva_status st = open_file(sample_path(name), NULL, &s, &msg);
    if (st != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_NOT_ANGIOGRAPHIC);
    assert_string_equal(info->reason, reason);
    assert_int_equal(info->frames, frames);
    assert_null(info->frame_times_s);
    uint16_t buf[4];
    pdva_error *err = NULL;
    assert_int_equal(pdva_series_read_frame(s, 0, buf, 4, &err), PDVA_ERR_NOT_ANGIOGRAPHIC);
    assert_string_equal(pdva_error_message(err), reason);
    pdva_error_destroy(err);
    pdva_series_destroy(s);
}

static void test_other_modalities(void **state)
{
    (void)state;
    expect_not_angiographic("pydicom_CT_small.dcm",
                            "Modality CT, SOP Class CT Image Storage: not an angiographic image",
                            1);
    expect_not_angiographic("pydicom_MR_small.dcm",
                            "Modality MR, SOP Class MR Image Storage: not an angiographic image",
                            1);
    expect_not_angiographic(
        "dcmjs_cine-test.dcm",
        "Modality MR, SOP Class Enhanced MR Image Storage: not an angiographic image", 8);
    /* GH1339: its pixel sequence lacks the final delimiter; an MR image in any case */
    expect_not_angiographic("fodicom_GH1339.dcm",
                            "Modality MR, SOP Class MR Image Storage: not an angiographic image",
                            1);
}

static void test_broken_files(void **state)
{
    (void)state;
    expect_open_error(sample_path("pydicom_MR_truncated.dcm"), NULL, PDVA_ERR_TRUNCATED,
                      "pydicom_MR_truncated.dcm: pixel data ends after 8130 of 8192 bytes (file "
                      "truncated)");
    expect_open_error(sample_path("pydicom_no_meta.dcm"), NULL, PDVA_ERR_NOT_DICOM,
                      "without file meta information");
    expect_open_error(sample_path("pydicom_meta_missing_tsyntax.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "no Transfer Syntax UID (0002,0010)");
    expect_open_error(sample_path("fodicom_GH179B.dcm"), NULL, PDVA_ERR_TRUNCATED,
                      "(2031,0028) claims 20300 bytes");
}

static void test_bad_number_of_frames_not_trusted(void **state)
{
    (void)state;
    pdva_series *s = NULL;
    assert_int_equal(open_file(sample_path("pydicom_badVR.dcm"), NULL, &s, NULL), PDVA_OK);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_int_equal(info->kind, PDVA_IMAGE_NOT_ANGIOGRAPHIC);
    assert_int_equal(info->frames, 0); /* "1A" is not 1 */
    assert_non_null(strstr(info->warnings, "Number of Frames '1A' is not an integer"));
    pdva_series_destroy(s);
}

static void test_huge_header_refused(void **state)
{
    (void)state;
    expect_open_error(sample_path("orthanc_2026-05-26-oob-monochrome-65535.dcm"), NULL,
                      PDVA_ERR_LIMIT_EXCEEDED, "65535 rows exceed the limit of 4096");
#ifndef UNDER_ASAN
    /* With limits that let the header through, nothing of the claimed 8 GiB is allocated: a
     * child with 1 GiB of address space opens it (as the non-angiographic image it is). */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30};
        setrlimit(RLIMIT_AS, &rl);
        pdva_limits limits;
        pdva_limits_init(&limits);
        limits.max_rows = limits.max_columns = 65535;
        limits.max_frame_bytes = (uint64_t)16 << 30;
        limits.max_series_bytes = (uint64_t)16 << 30;
        const char *path = sample_path("orthanc_2026-05-26-oob-monochrome-65535.dcm");
        pdva_series *s = NULL;
        pdva_status st = pdva_series_open(&path, 1, &limits, &s, NULL);
        int ok = st == PDVA_OK && pdva_series_get_info(s)->kind == PDVA_IMAGE_NOT_ANGIOGRAPHIC &&
                 pdva_series_get_info(s)->rows == 65535;
        pdva_series_destroy(s);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int run_sample_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xa_cine_jpeg_baseline),
        cmocka_unit_test(test_xrf_single_frame),
        cmocka_unit_test(test_xa1_codecs_identical),
        cmocka_unit_test(test_jpeg2000_refused),
        cmocka_unit_test(test_other_modalities),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_bad_number_of_frames_not_trusted),
        cmocka_unit_test(test_huge_header_refused),
    };
    return cmocka_run_group_tests_name("samples", tests, NULL, NULL);
}
