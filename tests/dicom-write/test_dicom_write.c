/* test_dicom_write.c — the DICOM writer: every encoding written, checked by dciodvfy (no
 * "Error" line, only the known warnings), read back with DCMTK's command-line tools (dcmdump,
 * dcmdjpeg, dcmdrle, dcmdjpls) and pydicom, pixel by pixel; and every invalid argument refused
 * with nothing left in the output folder.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dicom/pdva_dicom.h"
#include "dicom/pdva_dicom_writer.h"
#include "tests/dicom-write/test_support.h"

/* ---- a synthetic run ------------------------------------------------------------------------ */

typedef struct series {
    pdva_xa_series_desc desc;
    uint16_t *pixels;
    double *times;
    uint32_t masks[2];
} series;

#define STUDY_UID "1.2.826.0.1.3680043.10.543.7"
#define SERIES_UID "1.2.826.0.1.3680043.10.543.7.2"
#define SOP_ROOT "1.2.826.0.1.3680043.10.543.7.2.99"
#define PATIENT_NAME "M\xc3\xbcller^J\xc3\xbcrgen=\xe3\x83\xa4\xe3\x83\x9e\xe3\x83\x80"

/* Variant 0: 96 x 128 x 5, 12-bit, constant 7.5 fps, one mask frame, calibrated Pixel
 * Spacing, LIN, right foot, starting 0.5 s before midnight (frame times cross into the next day).
 * Variant 1: 64 x 80 x 6, 16-bit (Enhanced XA: 14-bit), variable frame times, two mask frames,
 * ERMF instead of Pixel Spacing, LOG, left leg, an explicit SOP Instance UID root.
 * The JPEG baseline encoding is always 8-bit, with smooth content that survives lossy coding. */
static void series_make(series *s, pdva_encoding encoding, int variant)
{
    memset(s, 0, sizeof *s);
    pdva_xa_series_desc *d = &s->desc;
    pdva_xa_series_desc_init(d);
    d->encoding = encoding;
    const bool baseline = encoding == PDVA_ENCODING_XA_JPEG_BASELINE;
    if (variant == 0) {
        d->rows = 96;
        d->columns = 128;
        d->frames = 5;
        d->bits_stored = 12;
    } else {
        d->rows = 64;
        d->columns = 80;
        d->frames = 6;
        d->bits_stored = encoding == PDVA_ENCODING_ENHANCED_XA ? 14 : 16;
    }
    if (baseline)
        d->bits_stored = 8;
    size_t n = (size_t)d->rows * d->columns * d->frames;
    s->pixels = malloc(n * sizeof *s->pixels);
    s->times = malloc(d->frames * sizeof *s->times);
    assert_non_null(s->pixels);
    assert_non_null(s->times);
    const uint32_t max = (1u << d->bits_stored) - 1u;
    uint32_t lcg = 12345u + (uint32_t)variant;
    for (size_t i = 0; i < n; i++) {
        size_t f = i / ((size_t)d->rows * d->columns);
        size_t r = i / d->columns % d->rows, c = i % d->columns;
        if (baseline) {
            size_t t = (r + c + 4 * f) % 300; /* a triangle wave: no edge for JPEG to smear */
            s->pixels[i] = (uint16_t)(40 + (t < 150 ? t : 300 - t));
        } else {
            lcg = lcg * 1664525u + 1013904223u;
            s->pixels[i] = (uint16_t)((lcg >> 8) & max);
        }
    }
    if (!baseline) { /* the extremes of the range survive the round trip */
        s->pixels[0] = 0;
        s->pixels[n - 1] = (uint16_t)max;
    }
    static const double variable[6] = {0.0, 0.1, 0.25, 0.3, 0.5, 0.9};
    for (uint32_t i = 0; i < d->frames; i++)
        s->times[i] = variant == 0 ? i / 7.5 : variable[i];
    d->pixels = s->pixels;
    d->frame_times_s = s->times;
    d->variable_frame_times = variant == 1;
    d->pixel_intensity_relationship = variant == 0 ? "LIN" : "LOG";
    d->imager_pixel_spacing_mm[0] = 0.308;
    d->imager_pixel_spacing_mm[1] = 0.308;
    d->distance_source_to_detector_mm = 1200.0;
    d->distance_source_to_patient_mm = 900.0;
    d->write_pixel_spacing = variant == 0;
    d->pixel_spacing_mm[0] = 0.231;
    d->pixel_spacing_mm[1] = 0.2325;
    d->write_estimated_magnification = variant == 1;
    d->estimated_magnification = 1.3333;
    d->positioner_primary_angle_deg = -12.5;
    d->positioner_secondary_angle_deg = 4.0;
    d->patient_id = "PDVA-0007";
    d->patient_name = PATIENT_NAME;
    d->patient_birth_date = "19560312";
    d->patient_sex = "M";
    d->study_instance_uid = STUDY_UID;
    d->series_instance_uid = SERIES_UID;
    d->sop_instance_uid_root = variant == 1 ? SOP_ROOT : NULL;
    d->study_date = "20240115";
    d->study_time = variant == 0 ? "235959.5" : "101500";
    d->series_description = "DSA pied droit \xc3\xa9tude";
    d->body_part_examined = variant == 0 ? "FOOT" : "LEG";
    d->accession_number = "ACC42";
    d->study_id = "S1";
    d->referring_physician = "Dupont^Marie";
    d->series_number = 3 + variant;
    d->laterality = variant == 0 ? 'R' : 'L';
    d->kvp = variant == 0 ? 72.0 : 0.0;
    d->tube_current_ma = variant == 0 ? 12.5 : 0.0;
    d->exposure_time_ms = variant == 0 ? 8.0 : 0.0;
    s->masks[0] = 0;
    s->masks[1] = 1;
    d->mask_frames = s->masks;
    d->n_mask_frames = variant == 0 ? 1 : 2;
}

static void series_free(series *s)
{
    free(s->pixels);
    free(s->times);
}

/* ---- expected values --------------------------------------------------------------------------
 */

static const char *transfer_syntax(pdva_encoding e)
{
    switch (e) {
    case PDVA_ENCODING_XA_IMPLICIT_LE:
        return "1.2.840.10008.1.2";
    case PDVA_ENCODING_XA_BIG_ENDIAN:
        return "1.2.840.10008.1.2.2";
    case PDVA_ENCODING_XA_JPEG_LOSSLESS:
        return "1.2.840.10008.1.2.4.70";
    case PDVA_ENCODING_XA_RLE:
        return "1.2.840.10008.1.2.5";
    case PDVA_ENCODING_XA_JPEG_LS:
        return "1.2.840.10008.1.2.4.80";
    case PDVA_ENCODING_XA_JPEG_BASELINE:
        return "1.2.840.10008.1.2.4.50";
    default:
        return "1.2.840.10008.1.2.1";
    }
}

static const char *sop_class(pdva_encoding e)
{
    if (e == PDVA_ENCODING_ENHANCED_XA)
        return "1.2.840.10008.5.1.4.1.1.12.1.1";
    if (e == PDVA_ENCODING_XRF)
        return "1.2.840.10008.5.1.4.1.1.12.2";
    return "1.2.840.10008.5.1.4.1.1.12.1";
}

/* The acquisition DT of frame i, computed independently of the library: the runs start on
 * 2024-01-15 and never last a whole day. */
static void expected_dt(const series *s, uint32_t i, char out[64])
{
    int hh = 0, mm = 0;
    double ss = 0;
    assert_int_equal(sscanf(s->desc.study_time, "%2d%2d%lf", &hh, &mm, &ss), 3);
    long long us = llround((hh * 3600.0 + mm * 60.0 + ss + s->times[i]) * 1e6);
    int day = 15;
    if (us >= 86400LL * 1000000LL) {
        us -= 86400LL * 1000000LL;
        day = 16;
    }
    long long sec = us / 1000000LL;
    snprintf(out, 64, "202401%02d%02lld%02lld%02lld.%06lld", day, sec / 3600, sec / 60 % 60,
             sec % 60, us % 1000000LL);
}

/* Cine Rate as the writer rounds it: frames per second of the mean interval, halves up. */
static double expected_cine_rate(const series *s)
{
    double interval_ms = s->times[s->desc.frames - 1] / (s->desc.frames - 1) * 1000.0;
    return floor(1000.0 / interval_ms + 0.5 + 1e-9);
}

/* ---- the checks -------------------------------------------------------------------------------
 */

/* dciodvfy warnings the writer accepts, each explained in docs/dicom-conformance.md (Writer). */
static const char *const known_warnings[] = {
    /* dicom3tools checks Planes in Acquisition against the Plane Identification terms */
    "Warning - Unrecognized defined term <SINGLE PLANE> for value 1 of attribute <Planes in "
    "Acquisition>",
    /* Enhanced XA with a calibrated spacing: Pixel Measures is not in the Enhanced XA IOD */
    "Warning - Attribute is not present in standard DICOM IOD - (0x0028,0x0030) DS Pixel Spacing",
    "Warning - Attribute is not present in standard DICOM IOD - (0x0028,0x9110) SQ Pixel Measures "
    "Sequence",
    "Warning - Dicom dataset contains attributes not present in standard DICOM IOD - this is a "
    "Standard Extended SOP Class",
};

/* Only with an empty Patient ID / Study ID and an unknown side (test_minimal_description). */
static const char *const minimal_warnings[] = {
    "Warning - Missing attribute or value that would be needed to build DICOMDIR",
    "Warning - is only permitted to be empty when actually unknown; should be absent (not empty) "
    "if an unpaired body part, and have a value if a paired body part - attribute <Laterality>",
};
static bool g_allow_minimal_warnings;

static void check_dciodvfy(const char *path, bool allow_pixel_measures)
{
    int errors = 0, unknown = 0;
    char *report = dciodvfy_report(path, &errors);
    for (char *line = report; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strncmp(line, "Warning", 7) == 0) {
            bool known = false;
            for (size_t k = 0; k < sizeof known_warnings / sizeof known_warnings[0]; k++) {
                if (!allow_pixel_measures && k > 0)
                    break;
                if (strncmp(line, known_warnings[k], strlen(known_warnings[k])) == 0)
                    known = true;
            }
            for (size_t k = 0; g_allow_minimal_warnings && k < 2; k++)
                if (strncmp(line, minimal_warnings[k], strlen(minimal_warnings[k])) == 0)
                    known = true;
            if (!known) {
                print_message("unexpected dciodvfy warning: %s\n", line);
                unknown++;
            }
        }
        line = end ? end + 1 : NULL;
    }
    free(report);
    if (errors) {
        char *again = dciodvfy_report(path, &errors);
        print_message("dciodvfy %s:\n%s\n", path, again ? again : "");
        free(again);
    }
    assert_int_equal(errors, 0);
    assert_int_equal(unknown, 0);
}

static void assert_value(const char *path, const char *tag, const char *expected)
{
    char value[TEST_VALUE_MAX];
    int n = dump_value(path, tag, 0, value);
    if (!expected) {
        if (n != 0)
            print_message("%s: %s present: \"%s\"\n", path, tag, value);
        assert_int_equal(n, 0);
        return;
    }
    if (n < 1 || strcmp(value, expected) != 0)
        print_message("%s: %s is \"%s\" (%d found), expected \"%s\"\n", path, tag,
                      n > 0 ? value : "", n, expected);
    assert_true(n >= 1);
    assert_string_equal(value, expected);
}

static void assert_number(const char *path, const char *tag, int index, double expected)
{
    double values[64];
    int n = dump_numbers(path, tag, values, 64);
    if (n <= index)
        print_message("%s: %s has %d values, expected index %d\n", path, tag, n, index);
    assert_true(n > index);
    if (fabs(values[index] - expected) > 1e-6 * fmax(1.0, fabs(expected)))
        print_message("%s: %s[%d] = %.9g, expected %.9g\n", path, tag, index, values[index],
                      expected);
    assert_true(fabs(values[index] - expected) <= 1e-6 * fmax(1.0, fabs(expected)));
}

/* Decode (when compressed) and compare every pixel with what was written. */
static void check_pixels(const series *s, const char *path, uint32_t first_frame, uint32_t n_frames)
{
    const pdva_xa_series_desc *d = &s->desc;
    size_t bytes = 0;
    unsigned char *raw = native_pixel_bytes(path, d->encoding, &bytes);
    assert_non_null(raw);
    const size_t count = (size_t)d->rows * d->columns * n_frames;
    const uint16_t *expected = s->pixels + (size_t)d->rows * d->columns * first_frame;
    const size_t width = d->bits_stored == 8 ? 1 : 2;
    assert_true(bytes == count * width || bytes == count * width + 1); /* odd OB: one pad byte */
    if (d->encoding == PDVA_ENCODING_XA_JPEG_BASELINE) {
        double sum = 0;
        int worst = 0;
        for (size_t i = 0; i < count; i++) {
            int diff = abs((int)raw[i] - (int)expected[i]);
            sum += diff;
            worst = diff > worst ? diff : worst;
        }
        print_message("JPEG baseline: mean |error| %.3f, max %d\n", sum / (double)count, worst);
        assert_true(sum / (double)count < 1.5);
        assert_true(worst <= 12);
    } else {
        for (size_t i = 0; i < count; i++) {
            unsigned v = width == 1 ? raw[i] : (unsigned)(raw[2 * i] | raw[2 * i + 1] << 8);
            if (v != expected[i]) {
                print_message("%s: pixel %zu is %u, written %u\n", path, i, v, expected[i]);
                fail();
            }
        }
    }
    free(raw);
}

/* Everything a reader needs, read back from one file. */
static void check_file(const series *s, const char *path, uint32_t file_index)
{
    const pdva_xa_series_desc *d = &s->desc;
    const pdva_encoding e = d->encoding;
    const bool enhanced = e == PDVA_ENCODING_ENHANCED_XA;
    const bool xrf = e == PDVA_ENCODING_XRF;
    const bool per_file = e == PDVA_ENCODING_XA_FRAME_PER_FILE;
    char buf[256];

    check_dciodvfy(path, enhanced && d->write_pixel_spacing);

    assert_value(path, "0002,0010", transfer_syntax(e));
    assert_value(path, "0008,0016", sop_class(e));
    snprintf(buf, sizeof buf, "%s.%u",
             d->sop_instance_uid_root ? d->sop_instance_uid_root : SERIES_UID, file_index + 1);
    assert_value(path, "0008,0018", buf);
    assert_value(path, "0002,0003", buf);
    assert_value(path, "0020,000d", STUDY_UID);
    assert_value(path, "0020,000e", SERIES_UID);
    assert_value(path, "0008,0005", "ISO_IR 192");
    assert_value(path, "0010,0010", PATIENT_NAME);
    assert_value(path, "0008,103e", d->series_description);
    assert_value(path, "0018,0015", d->body_part_examined);
    assert_value(path, "0008,0060", xrf ? "RF" : "XA");
    assert_number(path, "0020,0011", 0, d->series_number);
    assert_number(path, "0028,0010", 0, d->rows);
    assert_number(path, "0028,0011", 0, d->columns);
    assert_number(path, "0028,0100", 0, d->bits_stored == 8 ? 8 : 16);
    assert_number(path, "0028,0101", 0, d->bits_stored);
    assert_number(path, "0028,0102", 0, d->bits_stored - 1);
    assert_number(path, "0028,0103", 0, 0);
    assert_value(path, "0028,0004", "MONOCHROME2");
    assert_value(path, "0028,1040", d->pixel_intensity_relationship);

    /* time */
    if (per_file) {
        char dt[64];
        expected_dt(s, file_index, dt);
        assert_value(path, "0008,002a", dt);
        assert_value(path, "0008,0033", dt + 8);
        char da[9];
        memcpy(da, dt, 8);
        da[8] = '\0';
        assert_value(path, "0008,0023", da);
        assert_number(path, "0020,0013", 0, file_index + 1);
        assert_value(path, "0028,0008", NULL);
        assert_value(path, "0018,1063", NULL);
        assert_value(path, "0028,6100", NULL);
    } else if (enhanced) {
        assert_number(path, "0028,0008", 0, d->frames);
        char values[8][TEST_VALUE_MAX];
        assert_int_equal(dump_values(path, "0018,9074", values, 8), (int)d->frames);
        char references[8][TEST_VALUE_MAX];
        assert_int_equal(dump_values(path, "0018,9151", references, 8), (int)d->frames);
        for (uint32_t i = 0; i < d->frames; i++) {
            char dt[64];
            expected_dt(s, i, dt);
            assert_string_equal(values[i], dt);
            assert_string_equal(references[i], dt);
        }
        assert_number(path, "0018,9220", 0, (s->times[1] - s->times[0]) * 1000.0);
        assert_value(path, "0018,1063", NULL);
        assert_value(path, "0018,1065", NULL);
    } else {
        assert_number(path, "0028,0008", 0, d->frames);
        if (d->variable_frame_times) {
            assert_value(path, "0028,0009", "(0018,1065)");
            assert_value(path, "0018,1063", NULL);
            for (uint32_t i = 0; i < d->frames; i++)
                assert_number(path, "0018,1065", (int)i,
                              i == 0 ? 0.0 : (s->times[i] - s->times[i - 1]) * 1000.0);
        } else {
            assert_value(path, "0028,0009", "(0018,1063)");
            assert_value(path, "0018,1065", NULL);
            assert_number(path, "0018,1063", 0, 1000.0 / 7.5);
        }
        assert_number(path, "0018,0040", 0, expected_cine_rate(s));
    }

    /* geometry */
    assert_number(path, "0018,1164", 0, d->imager_pixel_spacing_mm[0]);
    assert_number(path, "0018,1164", 1, d->imager_pixel_spacing_mm[1]);
    assert_number(path, "0018,1110", 0, d->distance_source_to_detector_mm);
    if (enhanced) {
        assert_number(path, "0018,9402", 0, d->distance_source_to_patient_mm);
        assert_value(path, "0018,1114", NULL);
    } else {
        assert_number(path, "0018,1111", 0, d->distance_source_to_patient_mm);
        if (d->write_estimated_magnification)
            assert_number(path, "0018,1114", 0, d->estimated_magnification);
        else
            assert_value(path, "0018,1114", NULL);
    }
    if (d->write_pixel_spacing) {
        assert_number(path, "0028,0030", 0, d->pixel_spacing_mm[0]);
        assert_number(path, "0028,0030", 1, d->pixel_spacing_mm[1]);
        if (!enhanced)
            assert_value(path, "0028,0a02", "GEOMETRY");
    } else {
        assert_value(path, "0028,0030", NULL);
        assert_value(path, "0028,0a02", NULL);
    }
    if (xrf) {
        assert_value(path, "0018,1510", NULL);
    } else {
        assert_number(path, "0018,1510", 0, d->positioner_primary_angle_deg);
        assert_number(path, "0018,1511", 0, d->positioner_secondary_angle_deg);
    }

    /* laterality and mask */
    const char lat[2] = {d->laterality, 0};
    assert_value(path, enhanced ? "0020,9072" : "0020,0060", lat);
    if (!per_file) {
        for (uint32_t i = 0; i < d->n_mask_frames; i++)
            assert_number(path, "0028,6110", (int)i, d->mask_frames[i] + 1.0);
        assert_value(path, "0028,6101", "AVG_SUB");
        assert_value(path, "0028,1090", "SUB");
    }

    /* compression */
    if (e == PDVA_ENCODING_XA_JPEG_BASELINE) {
        assert_value(path, "0028,2110", "01");
        assert_value(path, "0028,2114", "ISO_10918_1");
    } else {
        assert_value(path, "0028,2110", "00");
    }
    check_pixels(s, path, per_file ? file_index : 0, per_file ? 1 : d->frames);
}

/* pydicom, a reader independent of DCMTK, for what it decodes without plug-ins (one Python
 * process for all the files of a run). */
static void check_with_pydicom(const series *s, const char *dir, char names[][TEST_NAME_MAX],
                               uint32_t n_files)
{
    const pdva_xa_series_desc *d = &s->desc;
    if (d->encoding == PDVA_ENCODING_XA_JPEG_LOSSLESS || d->encoding == PDVA_ENCODING_XA_JPEG_LS ||
        d->encoding == PDVA_ENCODING_XA_JPEG_BASELINE)
        return;
    const uint32_t frames_per_file = n_files == 1 ? d->frames : 1;
    const size_t per_file = (size_t)d->rows * d->columns * frames_per_file;
    char *expected = calloc(n_files, 512);
    assert_non_null(expected);
    size_t used = 0;
    for (uint32_t f = 0; f < n_files; f++) {
        unsigned long long sum = 0;
        for (size_t i = 0; i < per_file; i++)
            sum += s->pixels[per_file * f + i];
        used +=
            (size_t)snprintf(expected + used, (size_t)n_files * 512 - used, "%s %u %u %u %llu %s\n",
                             names[f], frames_per_file, d->rows, d->columns, sum, PATIENT_NAME);
    }
    char *got = pydicom_summary(dir);
    assert_non_null(got);
    if (strcmp(got, expected) != 0)
        print_message("pydicom:\n%s\nexpected:\n%s\n", got, expected);
    assert_string_equal(got, expected);
    free(got);
    free(expected);
}

/* What our own reader makes of the files: the frames, times, spacing (and where it came from),
 * geometry and context written. Two values of Enhanced XA live where the reader may not look yet
 * (Pixel Intensity Relationship in the Frame Pixel Data Properties Sequence, the source-object
 * distance as Distance Source to Isocenter in the X-Ray Geometry Sequence): when the reader
 * returns nothing for them the gap is printed, any value it does return must be right. */
static void check_with_reader(const series *s, const char *dir, char names[][TEST_NAME_MAX],
                              uint32_t n_files)
{
    const pdva_xa_series_desc *d = &s->desc;
    const bool enhanced = d->encoding == PDVA_ENCODING_ENHANCED_XA;
    char *paths[16];
    for (uint32_t i = 0; i < n_files; i++) {
        paths[i] = malloc(8192);
        assert_non_null(paths[i]);
        snprintf(paths[i], 8192, "%s/%s", dir, names[i]);
    }
    pdva_series *rs = NULL;
    pdva_error *err = NULL;
    pdva_status st = pdva_series_open((const char *const *)paths, n_files, NULL, &rs, &err);
    if (st != PDVA_OK)
        print_message("reader: %s\n", pdva_error_message(err));
    assert_int_equal(st, PDVA_OK);
    const pdva_series_info *info = pdva_series_get_info(rs);
    assert_int_equal(info->kind, enhanced                           ? PDVA_IMAGE_ENHANCED_XA
                                 : d->encoding == PDVA_ENCODING_XRF ? PDVA_IMAGE_XRF
                                                                    : PDVA_IMAGE_XA);
    assert_int_equal(info->frames, d->frames);
    assert_int_equal(info->rows, d->rows);
    assert_int_equal(info->columns, d->columns);
    assert_int_equal(info->bits_stored, d->bits_stored);
    assert_int_equal(info->n_files, n_files);
    assert_int_equal(info->lossy_compression, d->encoding == PDVA_ENCODING_XA_JPEG_BASELINE);
    assert_string_equal(info->patient_name, PATIENT_NAME);
    assert_string_equal(info->study_instance_uid, STUDY_UID);
    assert_string_equal(info->series_instance_uid, SERIES_UID);
    assert_string_equal(info->body_part_examined, d->body_part_examined);
    assert_int_equal(info->laterality, d->laterality);
    assert_int_equal(info->series_number, d->series_number);
    if (info->pixel_intensity_relationship[0] || !enhanced)
        assert_string_equal(info->pixel_intensity_relationship, d->pixel_intensity_relationship);
    else
        print_message("reader gap: Enhanced XA Pixel Intensity Relationship not read\n");

    /* time */
    assert_non_null(info->frame_times_s);
    assert_false(info->timing_suspect);
    const pdva_timing_source timing = enhanced ? PDVA_TIMING_FUNCTIONAL_GROUPS
                                      : d->encoding == PDVA_ENCODING_XA_FRAME_PER_FILE
                                          ? PDVA_TIMING_INSTANCE_TIMES
                                      : d->variable_frame_times ? PDVA_TIMING_FRAME_TIME_VECTOR
                                                                : PDVA_TIMING_FRAME_TIME;
    assert_int_equal(info->timing_source, timing);
    for (uint32_t i = 0; i < d->frames; i++)
        assert_true(fabs(info->frame_times_s[i] - s->times[i]) < 1e-6);

    /* geometry */
    assert_true(fabs(info->imager_pixel_spacing_mm[0] - d->imager_pixel_spacing_mm[0]) < 1e-9);
    assert_true(fabs(info->imager_pixel_spacing_mm[1] - d->imager_pixel_spacing_mm[1]) < 1e-9);
    assert_true(fabs(info->distance_source_to_detector_mm - d->distance_source_to_detector_mm) <
                1e-6);
    const bool sod_read = info->distance_source_to_patient_mm != 0.0;
    if (sod_read || !enhanced)
        assert_true(fabs(info->distance_source_to_patient_mm - d->distance_source_to_patient_mm) <
                    1e-3);
    else
        print_message("reader gap: Enhanced XA Distance Source to Isocenter not read\n");
    double expected[2];
    pdva_spacing_source source;
    if (d->write_pixel_spacing) {
        source = PDVA_SPACING_PIXEL_SPACING;
        expected[0] = d->pixel_spacing_mm[0];
        expected[1] = d->pixel_spacing_mm[1];
    } else if (d->write_estimated_magnification && !enhanced) {
        source = PDVA_SPACING_MAGNIFICATION_ERMF;
        expected[0] = d->imager_pixel_spacing_mm[0] / d->estimated_magnification;
        expected[1] = d->imager_pixel_spacing_mm[1] / d->estimated_magnification;
    } else {
        source = PDVA_SPACING_MAGNIFICATION_DISTANCES;
        const double m = d->distance_source_to_patient_mm / d->distance_source_to_detector_mm;
        expected[0] = d->imager_pixel_spacing_mm[0] * m;
        expected[1] = d->imager_pixel_spacing_mm[1] * m;
    }
    if (enhanced && !sod_read && source == PDVA_SPACING_MAGNIFICATION_DISTANCES) {
        assert_int_equal(info->spacing_source, PDVA_SPACING_UNKNOWN);
    } else {
        assert_int_equal(info->spacing_source, source);
        assert_true(fabs(info->pixel_spacing_mm[0] - expected[0]) < 1e-6);
        assert_true(fabs(info->pixel_spacing_mm[1] - expected[1]) < 1e-6);
    }
    if (d->encoding != PDVA_ENCODING_XRF) {
        assert_true(info->has_positioner_angles);
        assert_true(fabs(info->positioner_primary_angle_deg - d->positioner_primary_angle_deg) <
                    1e-9);
        assert_true(fabs(info->positioner_secondary_angle_deg - d->positioner_secondary_angle_deg) <
                    1e-9);
    }

    /* mask */
    if (d->encoding != PDVA_ENCODING_XA_FRAME_PER_FILE) {
        assert_true(info->has_mask_subtraction);
        assert_string_equal(info->mask_operation, "AVG_SUB");
        assert_int_equal(info->n_mask_frame_numbers, d->n_mask_frames);
        for (uint32_t i = 0; i < d->n_mask_frames; i++)
            assert_int_equal(info->mask_frame_numbers[i], d->mask_frames[i]);
        assert_true(info->recommended_subtraction);
    }

    /* pixels */
    const size_t per_frame = (size_t)d->rows * d->columns;
    uint16_t *frame = malloc(per_frame * sizeof *frame);
    assert_non_null(frame);
    for (uint32_t f = 0; f < d->frames; f++) {
        st = pdva_series_read_frame(rs, f, frame, per_frame, &err);
        if (st != PDVA_OK)
            print_message("reader frame %u: %s\n", f, pdva_error_message(err));
        assert_int_equal(st, PDVA_OK);
        const uint16_t *written = s->pixels + per_frame * f;
        for (size_t i = 0; i < per_frame; i++) {
            int diff = abs((int)frame[i] - (int)written[i]);
            if (diff > (d->encoding == PDVA_ENCODING_XA_JPEG_BASELINE ? 12 : 0)) {
                print_message("reader frame %u pixel %zu: %u, written %u\n", f, i, frame[i],
                              written[i]);
                fail();
            }
        }
    }
    free(frame);
    pdva_series_destroy(rs);
    for (uint32_t i = 0; i < n_files; i++)
        free(paths[i]);
}

static void write_and_check(pdva_encoding encoding, int variant)
{
    series s;
    series_make(&s, encoding, variant);
    char dir[1024], stem[64];
    snprintf(dir, sizeof dir, "%s/%s-%d", PDVA_TEST_TMP_DIR, pdva_encoding_name(encoding), variant);
    fresh_dir(dir);
    snprintf(stem, sizeof stem, "run-%d", variant);
    pdva_error *err = NULL;
    pdva_status st = pdva_dicom_write_xa_series(&s.desc, dir, stem, &err);
    if (st != PDVA_OK)
        print_message("%s\n", pdva_error_message(err));
    assert_int_equal(st, PDVA_OK);
    assert_null(err);

    const bool per_file = encoding == PDVA_ENCODING_XA_FRAME_PER_FILE;
    const uint32_t n_files = per_file ? s.desc.frames : 1;
    char names[16][TEST_NAME_MAX];
    assert_int_equal(list_dir(dir, names, 16), (int)n_files);
    for (uint32_t i = 0; i < n_files; i++) {
        char expected[TEST_NAME_MAX];
        if (per_file)
            snprintf(expected, sizeof expected, "%s-%04u.dcm", stem, i + 1);
        else
            snprintf(expected, sizeof expected, "%s.dcm", stem);
        assert_string_equal(names[i], expected);
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        check_file(&s, path, i);
    }
    check_with_pydicom(&s, dir, names, n_files);
    check_with_reader(&s, dir, names, n_files);
    series_free(&s);
}

#define ENCODING_TEST(fn, encoding)                                                                \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        write_and_check(encoding, 0);                                                              \
        write_and_check(encoding, 1);                                                              \
    }

ENCODING_TEST(test_xa_explicit_le, PDVA_ENCODING_XA_EXPLICIT_LE)
ENCODING_TEST(test_xa_implicit_le, PDVA_ENCODING_XA_IMPLICIT_LE)
ENCODING_TEST(test_xa_big_endian, PDVA_ENCODING_XA_BIG_ENDIAN)
ENCODING_TEST(test_xa_jpeg_lossless, PDVA_ENCODING_XA_JPEG_LOSSLESS)
ENCODING_TEST(test_xa_rle, PDVA_ENCODING_XA_RLE)
ENCODING_TEST(test_xa_jpeg_ls, PDVA_ENCODING_XA_JPEG_LS)
ENCODING_TEST(test_enhanced_xa, PDVA_ENCODING_ENHANCED_XA)
ENCODING_TEST(test_xrf, PDVA_ENCODING_XRF)
ENCODING_TEST(test_xa_frame_per_file, PDVA_ENCODING_XA_FRAME_PER_FILE)
ENCODING_TEST(test_xa_jpeg_baseline, PDVA_ENCODING_XA_JPEG_BASELINE)

/* ---- the checker can fail ---------------------------------------------------------------------
 */

static void test_dciodvfy_sees_broken_files(void **state)
{
    (void)state;
    series s;
    series_make(&s, PDVA_ENCODING_XA_EXPLICIT_LE, 0);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/broken", PDVA_TEST_TMP_DIR);
    fresh_dir(dir);
    assert_int_equal(pdva_dicom_write_xa_series(&s.desc, dir, "run", NULL), PDVA_OK);
    char path[2048];
    snprintf(path, sizeof path, "%s/run.dcm", dir);
    int errors = -1;
    free(dciodvfy_report(path, &errors));
    assert_int_equal(errors, 0);
    /* without SOP Class UID, and without Radiation Setting (Type 1 of X-Ray Acquisition) */
    static const char *const removed[] = {"(0008,0016)", "(0018,1155)"};
    for (size_t i = 0; i < 2; i++) {
        char copy[2100];
        snprintf(copy, sizeof copy, "%s/broken-%zu.dcm", dir, i);
        assert_int_equal(copy_file(path, copy), 0);
        assert_int_equal(dcmodify_erase(copy, removed[i]), 0);
        free(dciodvfy_report(copy, &errors));
        assert_true(errors > 0);
    }
    series_free(&s);
}

/* ---- names and defaults -----------------------------------------------------------------------
 */

static void test_encoding_names(void **state)
{
    (void)state;
    for (int e = 1; e <= 10; e++) {
        const char *name = pdva_encoding_name((pdva_encoding)e);
        assert_non_null(name);
        assert_int_equal(pdva_encoding_from_name(name), e);
    }
    assert_string_equal(pdva_encoding_name(PDVA_ENCODING_XA_JPEG_LOSSLESS), "xa-jpeg-lossless");
    assert_string_equal(pdva_encoding_name(PDVA_ENCODING_ENHANCED_XA), "enhanced-xa");
    assert_null(pdva_encoding_name((pdva_encoding)0));
    assert_null(pdva_encoding_name((pdva_encoding)11));
    assert_int_equal(pdva_encoding_from_name("xa-jpeg-2000"), 0);
    assert_int_equal(pdva_encoding_from_name(NULL), 0);
    assert_int_equal(pdva_encoding_from_name("XA-RLE"), 0);

    pdva_xa_series_desc d;
    memset(&d, 0x5a, sizeof d);
    pdva_xa_series_desc_init(&d);
    assert_int_equal(d.struct_size, sizeof d);
    assert_string_equal(d.pixel_intensity_relationship, "LIN");
    assert_null(d.pixels);
    assert_int_equal(d.frames, 0);
    assert_false(d.write_pixel_spacing);
    pdva_xa_series_desc_init(NULL);
}

/* ---- refusals ---------------------------------------------------------------------------------
 */

typedef void (*breaker)(series *s);

static void expect_refusal(const char *name, breaker brk, const char *dir_override,
                           const char *stem, pdva_status expected, const char *message_part)
{
    series s;
    series_make(&s, PDVA_ENCODING_XA_EXPLICIT_LE, 0);
    if (brk)
        brk(&s);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/refuse-%s", PDVA_TEST_TMP_DIR, name);
    fresh_dir(dir);
    pdva_error *err = NULL;
    pdva_status st =
        pdva_dicom_write_xa_series(&s.desc, dir_override ? dir_override : dir, stem, &err);
    if (st != expected || (message_part && !strstr(pdva_error_message(err), message_part)))
        print_message("%s: %s \"%s\"\n", name, pdva_status_str(st), pdva_error_message(err));
    assert_int_equal(st, expected);
    assert_non_null(err);
    if (message_part)
        assert_non_null(strstr(pdva_error_message(err), message_part));
    pdva_error_destroy(err);
    char names[4][TEST_NAME_MAX];
    assert_int_equal(list_dir(dir, names, 4), 0);
    series_free(&s);
}

static void no_pixels(series *s)
{
    s->desc.pixels = NULL;
}
static void no_frames(series *s)
{
    s->desc.frames = 0;
}
static void value_too_big(series *s)
{
    /* frame 3, row 7, column 11 */
    s->pixels[(size_t)3 * 96 * 128 + 7 * 128 + 11] = 4096;
}
static void bits_14_classic(series *s)
{
    s->desc.bits_stored = 14;
}
static void bits_17(series *s)
{
    s->desc.bits_stored = 17;
}
static void baseline_12_bits(series *s)
{
    s->desc.encoding = PDVA_ENCODING_XA_JPEG_BASELINE;
}
static void unknown_encoding(series *s)
{
    s->desc.encoding = (pdva_encoding)42;
}
static void old_struct(series *s)
{
    s->desc.struct_size = offsetof(pdva_xa_series_desc, mask_frames);
}
static void times_vary(series *s)
{
    s->times[3] += 0.05;
}
static void times_backwards(series *s)
{
    s->desc.variable_frame_times = true;
    s->times[2] = s->times[1];
}
static void times_not_from_zero(series *s)
{
    s->times[0] = 0.01;
}
static void no_times(series *s)
{
    s->desc.frame_times_s = NULL;
}
static void bad_study_uid(series *s)
{
    s->desc.study_instance_uid = "1.2.03.4";
}
static void no_series_uid(series *s)
{
    s->desc.series_instance_uid = NULL;
}
static void long_sop_root(series *s)
{
    s->desc.sop_instance_uid_root =
        "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.245";
}
static void bad_date(series *s)
{
    s->desc.study_date = "20230229";
}
static void bad_time(series *s)
{
    s->desc.study_time = "24:00";
}
static void bad_sex(series *s)
{
    s->desc.patient_sex = "X";
}
static void bad_utf8(series *s)
{
    s->desc.patient_name = "M\xfcller";
}
static void backslash_id(series *s)
{
    s->desc.patient_id = "A\\B";
}
static void long_accession(series *s)
{
    s->desc.accession_number = "12345678901234567";
}
static void bad_body_part(series *s)
{
    s->desc.body_part_examined = "foot";
}
static void bad_laterality(series *s)
{
    s->desc.laterality = 'B';
}
static void bad_relationship(series *s)
{
    s->desc.pixel_intensity_relationship = "DISP";
}
static void mask_out_of_range(series *s)
{
    s->masks[0] = 5;
}
static void no_spacing(series *s)
{
    s->desc.imager_pixel_spacing_mm[1] = 0.0;
}
static void patient_behind_detector(series *s)
{
    s->desc.distance_source_to_patient_mm = 1300;
}
static void one_distance(series *s)
{
    s->desc.distance_source_to_patient_mm = 0.0;
}
static void nan_angle(series *s)
{
    s->desc.positioner_primary_angle_deg = NAN;
}
static void bad_pixel_spacing(series *s)
{
    s->desc.pixel_spacing_mm[0] = -1;
}

static void test_refusals(void **state)
{
    (void)state;
    const pdva_status INV = PDVA_ERR_INVALID_ARGUMENT;
    expect_refusal("no-pixels", no_pixels, NULL, "run", INV, "pixels");
    expect_refusal("no-frames", no_frames, NULL, "run", INV, "frames");
    expect_refusal("value", value_too_big, NULL, "run", INV, "frame 3, row 7, column 11");
    expect_refusal("bits14", bits_14_classic, NULL, "run", INV, "bits_stored 14");
    expect_refusal("bits17", bits_17, NULL, "run", INV, "bits_stored 17");
    expect_refusal("baseline12", baseline_12_bits, NULL, "run", INV, "8-bit");
    expect_refusal("encoding", unknown_encoding, NULL, "run", INV, "encoding");
    expect_refusal("struct", old_struct, NULL, "run", PDVA_ERR_VERSION_MISMATCH, "struct_size");
    expect_refusal("times-vary", times_vary, NULL, "run", INV, "variable_frame_times");
    expect_refusal("times-back", times_backwards, NULL, "run", INV, "frame_times_s[2]");
    expect_refusal("times-zero", times_not_from_zero, NULL, "run", INV, "frame_times_s[0]");
    expect_refusal("times-null", no_times, NULL, "run", INV, "frame_times_s");
    expect_refusal("study-uid", bad_study_uid, NULL, "run", INV, "study_instance_uid");
    expect_refusal("series-uid", no_series_uid, NULL, "run", INV, "series_instance_uid");
    expect_refusal("sop-root", long_sop_root, NULL, "run", INV, "sop_instance_uid_root");
    expect_refusal("date", bad_date, NULL, "run", INV, "study_date");
    expect_refusal("time", bad_time, NULL, "run", INV, "study_time");
    expect_refusal("sex", bad_sex, NULL, "run", INV, "patient_sex");
    expect_refusal("utf8", bad_utf8, NULL, "run", INV, "patient_name");
    expect_refusal("backslash", backslash_id, NULL, "run", INV, "patient_id");
    expect_refusal("accession", long_accession, NULL, "run", INV, "accession_number");
    expect_refusal("body-part", bad_body_part, NULL, "run", INV, "body_part_examined");
    expect_refusal("laterality", bad_laterality, NULL, "run", INV, "laterality");
    expect_refusal("relationship", bad_relationship, NULL, "run", INV, "intensity");
    expect_refusal("mask", mask_out_of_range, NULL, "run", INV, "mask_frames[0]");
    expect_refusal("spacing", no_spacing, NULL, "run", INV, "imager_pixel_spacing_mm[1]");
    expect_refusal("distances", patient_behind_detector, NULL, "run", INV, "distances");
    expect_refusal("one-distance", one_distance, NULL, "run", INV, "distances");
    expect_refusal("angle", nan_angle, NULL, "run", INV, "positioner");
    expect_refusal("pixel-spacing", bad_pixel_spacing, NULL, "run", INV, "pixel_spacing_mm[0]");

    /* file stems and folders */
    expect_refusal("stem-dotdot", NULL, NULL, "../x", INV, "file_stem");
    expect_refusal("stem-slash", NULL, NULL, "a/b", INV, "file_stem");
    expect_refusal("stem-empty", NULL, NULL, "", INV, "file_stem");
    expect_refusal("stem-null", NULL, NULL, NULL, INV, "file_stem");
    expect_refusal("stem-dots", NULL, NULL, "..", INV, "file_stem");
    expect_refusal("stem-hidden", NULL, NULL, ".hidden", INV, "file_stem");
    expect_refusal("stem-inner", NULL, NULL, "a..b", INV, "file_stem");
    char long_stem[200];
    memset(long_stem, 'a', sizeof long_stem - 1);
    long_stem[sizeof long_stem - 1] = '\0';
    expect_refusal("stem-long", NULL, NULL, long_stem, INV, "file_stem");
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/does-not-exist", PDVA_TEST_TMP_DIR);
    expect_refusal("missing-dir", NULL, missing, "run", INV, "out_dir");
    char file_as_dir[1024];
    snprintf(file_as_dir, sizeof file_as_dir, "%s/a-file", PDVA_TEST_TMP_DIR);
    FILE *f = fopen(file_as_dir, "w");
    assert_non_null(f);
    fclose(f);
    expect_refusal("file-dir", NULL, file_as_dir, "run", INV, "not a folder");
    assert_int_equal(pdva_dicom_write_xa_series(NULL, PDVA_TEST_TMP_DIR, "run", NULL),
                     PDVA_ERR_INVALID_ARGUMENT);
}

/* A failure after some files were written removes them all: the 3rd of 5 single-frame files
 * cannot take its name (a folder is there), and the out-of-memory path of every allocation. */
static void test_failure_removes_everything(void **state)
{
    (void)state;
    series s;
    series_make(&s, PDVA_ENCODING_XA_FRAME_PER_FILE, 0);
    char dir[1024], blocker[1100];
    snprintf(dir, sizeof dir, "%s/cleanup", PDVA_TEST_TMP_DIR);
    fresh_dir(dir);
    snprintf(blocker, sizeof blocker, "%s/run-0003.dcm", dir);
    assert_int_equal(mkdir(blocker, 0755), 0);
    pdva_error *err = NULL;
    assert_int_equal(pdva_dicom_write_xa_series(&s.desc, dir, "run", &err), PDVA_ERR_IO);
    assert_non_null(strstr(pdva_error_message(err), "run-0003.dcm"));
    pdva_error_destroy(err);
    char names[8][TEST_NAME_MAX];
    assert_int_equal(list_dir(dir, names, 8), 1);
    assert_string_equal(names[0], "run-0003.dcm");
    assert_int_equal(rmdir(blocker), 0);

#ifdef PDVA_ALLOC_FAULT_INJECTION
    /* every allocation through the funnel may fail; the call then leaves nothing behind */
    for (long k = 0;; k++) {
        pdva_alloc_fail_after(k);
        err = NULL;
        pdva_status st = pdva_dicom_write_xa_series(&s.desc, dir, "oom", &err);
        pdva_alloc_fail_after(-1);
        if (st == PDVA_OK) {
            assert_int_equal(list_dir(dir, names, 8), 5);
            break;
        }
        assert_int_equal(st, PDVA_ERR_NO_MEMORY);
        pdva_error_destroy(err);
        assert_int_equal(list_dir(dir, names, 8), 0);
        assert_true(k < 100);
    }
#endif
    series_free(&s);
}

/* SOP Instance UIDs: root + "." + n when it fits, else a derived 2.25 UID per instance. */
static void test_instance_uids(void **state)
{
    (void)state;
    series s;
    series_make(&s, PDVA_ENCODING_XA_FRAME_PER_FILE, 0);
    static const char long_series[] =
        "1.2.826.0.1.3680043.10.543.7.2.1234567890.1234567890.12345678901";
    assert_int_equal(strlen(long_series), 64);
    s.desc.series_instance_uid = long_series;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/uids", PDVA_TEST_TMP_DIR);
    fresh_dir(dir);
    assert_int_equal(pdva_dicom_write_xa_series(&s.desc, dir, "run", NULL), PDVA_OK);
    char seen[5][TEST_VALUE_MAX];
    for (uint32_t i = 0; i < 5; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/run-%04u.dcm", dir, i + 1);
        assert_int_equal(dump_value(path, "0008,0018", 0, seen[i]), 1);
        assert_true(strncmp(seen[i], "2.25.", 5) == 0);
        assert_true(strlen(seen[i]) <= 64);
        for (const char *p = seen[i] + 5; *p; p++)
            assert_true(*p >= '0' && *p <= '9');
        for (uint32_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
        check_dciodvfy(path, false);
    }
    /* the same description gives the same files, byte for byte (a generator can be re-run) */
    char dir2[1100];
    snprintf(dir2, sizeof dir2, "%s-again", dir);
    fresh_dir(dir2);
    assert_int_equal(pdva_dicom_write_xa_series(&s.desc, dir2, "run", NULL), PDVA_OK);
    for (uint32_t i = 0; i < 5; i++) {
        char cmd[4600];
        snprintf(cmd, sizeof cmd, "cmp '%s/run-%04u.dcm' '%s/run-%04u.dcm'", dir, i + 1, dir2,
                 i + 1);
        int status = -1;
        free(run_capture(cmd, &status));
        assert_int_equal(status, 0);
    }
    series_free(&s);
}

/* One frame, no optional strings, no study date (dated "now"), 8-bit: still a valid file. */
static void test_minimal_description(void **state)
{
    (void)state;
    static const pdva_encoding encodings[] = {PDVA_ENCODING_XA_EXPLICIT_LE,
                                              PDVA_ENCODING_ENHANCED_XA, PDVA_ENCODING_XRF,
                                              PDVA_ENCODING_XA_RLE};
    for (size_t k = 0; k < sizeof encodings / sizeof encodings[0]; k++) {
        pdva_xa_series_desc d;
        pdva_xa_series_desc_init(&d);
        uint16_t px[3 * 5];
        for (int i = 0; i < 15; i++)
            px[i] = (uint16_t)(i * 17);
        d.encoding = encodings[k];
        d.rows = 3;
        d.columns = 5;
        d.frames = 1;
        d.bits_stored = 8;
        d.pixels = px;
        d.imager_pixel_spacing_mm[0] = d.imager_pixel_spacing_mm[1] = 0.2;
        d.distance_source_to_detector_mm = 1000;
        d.distance_source_to_patient_mm = 750;
        d.study_instance_uid = "1.2.3";
        d.series_instance_uid = "1.2.3.4";
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/minimal-%zu", PDVA_TEST_TMP_DIR, k);
        fresh_dir(dir);
        pdva_error *err = NULL;
        pdva_status st = pdva_dicom_write_xa_series(&d, dir, "one", &err);
        if (st != PDVA_OK)
            print_message("%s\n", pdva_error_message(err));
        assert_int_equal(st, PDVA_OK);
        char path[2048];
        snprintf(path, sizeof path, "%s/one.dcm", dir);
        g_allow_minimal_warnings = true;
        check_dciodvfy(path, false);
        g_allow_minimal_warnings = false;
        assert_value(path, "0008,0018", "1.2.3.4.1");
        char date[TEST_VALUE_MAX];
        assert_int_equal(dump_value(path, "0008,0020", 0, date), 1);
        assert_int_equal(strlen(date), 8);
    }
}

/* Both distances 0: unknown, so not written; the reader then knows only the detector spacing. */
static void test_unknown_distances(void **state)
{
    (void)state;
    static const pdva_encoding encodings[] = {PDVA_ENCODING_XA_EXPLICIT_LE,
                                              PDVA_ENCODING_ENHANCED_XA, PDVA_ENCODING_XRF};
    for (size_t k = 0; k < sizeof encodings / sizeof encodings[0]; k++) {
        series s;
        series_make(&s, encodings[k], 0);
        s.desc.distance_source_to_detector_mm = 0.0;
        s.desc.distance_source_to_patient_mm = 0.0;
        s.desc.write_pixel_spacing = false;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/no-distances-%zu", PDVA_TEST_TMP_DIR, k);
        fresh_dir(dir);
        assert_int_equal(pdva_dicom_write_xa_series(&s.desc, dir, "run", NULL), PDVA_OK);
        char path[2048];
        snprintf(path, sizeof path, "%s/run.dcm", dir);
        check_dciodvfy(path, false);
        assert_value(path, "0018,1110", NULL);
        assert_value(path, "0018,1111", NULL);
        assert_value(path, "0018,9402", NULL);
        assert_value(path, "0028,0030", NULL);
        assert_number(path, "0018,1164", 0, 0.308);

        const char *paths[1] = {path};
        pdva_series *rs = NULL;
        assert_int_equal(pdva_series_open(paths, 1, NULL, &rs, NULL), PDVA_OK);
        const pdva_series_info *info = pdva_series_get_info(rs);
        assert_int_equal(info->spacing_source, PDVA_SPACING_UNKNOWN);
        assert_true(info->pixel_spacing_mm[0] == 0.0);
        assert_true(fabs(info->imager_pixel_spacing_mm[0] - 0.308) < 1e-9);
        pdva_series_destroy(rs);
        series_free(&s);
    }
}

int main(void)
{
    mkdir(PDVA_TEST_TMP_DIR, 0755);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_names),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_failure_removes_everything),
        cmocka_unit_test(test_dciodvfy_sees_broken_files),
        cmocka_unit_test(test_instance_uids),
        cmocka_unit_test(test_minimal_description),
        cmocka_unit_test(test_unknown_distances),
        cmocka_unit_test(test_xa_explicit_le),
        cmocka_unit_test(test_xa_implicit_le),
        cmocka_unit_test(test_xa_big_endian),
        cmocka_unit_test(test_xa_jpeg_lossless),
        cmocka_unit_test(test_xa_rle),
        cmocka_unit_test(test_xa_jpeg_ls),
        cmocka_unit_test(test_enhanced_xa),
        cmocka_unit_test(test_xrf),
        cmocka_unit_test(test_xa_frame_per_file),
        cmocka_unit_test(test_xa_jpeg_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
