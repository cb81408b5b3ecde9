/* test_hostile.c — inputs a reader meets in the wild or from an attacker: truncations at every
 * offset, lying and overflowed lengths, absurd headers, deep nesting, empty items, broken
 * encapsulation and code streams, hostile text; and allocation failures on every path.
 * Each must end in a clean status with a message, never a crash, hang or leak.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static bool status_is_clean_error(pdva_status st)
{
    return st == PDVA_ERR_NOT_DICOM || st == PDVA_ERR_MALFORMED || st == PDVA_ERR_TRUNCATED ||
           st == PDVA_ERR_UNSUPPORTED || st == PDVA_ERR_LIMIT_EXCEEDED || st == PDVA_ERR_DECODE ||
           st == PDVA_ERR_INCONSISTENT || st == PDVA_ERR_IO;
}

/* Open path; if it opens, read every frame. Every outcome must be a known status. Returns the
 * open status. */
static pdva_status survive(const char *path, const pdva_limits *limits)
{
    pdva_series *s = NULL;
    const char *msg;
    pdva_status st = open_file(path, limits, &s, &msg);
    if (st != PDVA_OK) {
        if (!status_is_clean_error(st))
            fail_msg("%s: unexpected status %s (%s)", path, pdva_status_str(st), msg);
        assert_true(strlen(msg) > 0);
        assert_clean_utf8(msg);
        return st;
    }
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_clean_utf8(info->warnings);
    assert_clean_utf8(info->timing_note);
    assert_clean_utf8(info->reason);
    if (info->kind != PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
        size_t n = (size_t)info->rows * info->columns;
        uint16_t *frame = malloc(n * sizeof *frame);
        assert_non_null(frame);
        for (uint32_t f = 0; f < info->frames; f++) {
            pdva_error *err = NULL;
            pdva_status rs = pdva_series_read_frame(s, f, frame, n, &err);
            if (rs != PDVA_OK && !status_is_clean_error(rs))
                fail_msg("%s frame %u: unexpected %s (%s)", path, f, pdva_status_str(rs),
                         pdva_error_message(err));
            if (rs == PDVA_OK)
                for (size_t i = 0; i < n; i++)
                    assert_true(frame[i] <= info->max_value);
            pdva_error_destroy(err);
        }
        free(frame);
    }
    pdva_series_destroy(s);
    return st;
}

static void write_dataset(const char *name, const char *ts, const tb_buf *ds)
{
    tb_buf meta;
    tb_meta(&meta, ts, SOP_XA, "1.2.3.4");
    assert_int_equal(tb_write(tmp_path(name), &meta, ds), 0);
    tb_free(&meta);
}

/* The standard small XA dataset without its pixel data, for appending hostile parts. */
static void base_dataset(tb_buf *ds, const char *ts)
{
    tb_xa x;
    tb_xa_defaults(&x);
    x.ts_uid = ts;
    x.omit_pixel_data = true;
    tb_xa_dataset(&x, ds);
}

/* ---- truncation -------------------------------------------------------------------------- */

static void cut_everywhere(const char *source, const char *name, size_t dense_until, size_t step)
{
    size_t len = 0;
    uint8_t *data = tb_read_file(source, &len);
    assert_non_null(data);
    const char *path = tmp_path(name);
    size_t opened = 0, refused = 0;
    for (size_t cut = 0; cut < len; cut += cut < dense_until ? 1 : step) {
        assert_int_equal(tb_write_bytes(path, data, cut), 0);
        if (survive(path, NULL) == PDVA_OK)
            opened++;
        else
            refused++;
    }
    printf("# %s: %zu cuts refused cleanly, %zu opened as shorter valid files\n", name, refused,
           opened);
    assert_true(refused > 0);
    free(data);
}

static void test_truncated_everywhere(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.rows = 4;
    x.columns = 6;
    x.frames = 2;
    x.number_of_frames = "2";
    x.mask_operation = "AVG_SUB";
    const uint16_t mask[1] = {1};
    x.mask_frames = mask;
    x.n_mask_frames = 1;
    const char *src = tmp_path2("cut_source.dcm");
    assert_int_equal(tb_xa_write(&x, src), 0);
    cut_everywhere(src, "cut_native.dcm", SIZE_MAX, 1);
    cut_everywhere(fixture_path("xa_rle.dcm"), "cut_rle.dcm", 1200, 97);
    cut_everywhere(fixture_path("xa_jls_fragments_no_bot.dcm"), "cut_jls.dcm", 1000, 101);
}

/* A multi-frame native file cut short after the series was opened: its frames are read from
 * the open descriptor, so the frames still there read, the missing one is a clear error. */
static void test_truncated_after_open(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.rows = 4;
    x.columns = 6;
    x.frames = 3;
    x.number_of_frames = "3";
    const char *path = tmp_path2("cut_after_open.dcm");
    assert_int_equal(tb_xa_write(&x, path), 0);
    size_t len = 0;
    uint8_t *data = tb_read_file(path, &len);
    assert_non_null(data);
    pdva_series *s = NULL;
    pdva_error *err = NULL;
    const char *paths[1] = {path};
    assert_int_equal(pdva_series_open(paths, 1, NULL, &s, &err), PDVA_OK);
    /* rewrite in place (same inode), without the last frame's bytes */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(ftruncate(fileno(fp), (off_t)(len - 4 * 6 * 2)), 0);
    fclose(fp);
    uint16_t frame[4 * 6];
    assert_int_equal(pdva_series_read_frame(s, 0, frame, 4 * 6, NULL), PDVA_OK);
    for (uint32_t i = 0; i < 4 * 6; i++)
        assert_int_equal(frame[i], tb_pattern(0, i / 6, i % 6, 12));
    assert_int_equal(pdva_series_read_frame(s, 2, frame, 4 * 6, &err), PDVA_ERR_TRUNCATED);
    assert_non_null(strstr(pdva_error_message(err), "cut_after_open.dcm: cannot read its pixel data"));
    pdva_error_destroy(err);
    pdva_series_destroy(s);
    free(data);
}

/* ---- lengths ----------------------------------------------------------------------------- */

static void test_lying_lengths(void **state)
{
    (void)state;
    tb_buf ds;
    /* a short element claiming more than the file */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_header(&ds, 0x0029, 0x0010, "LO", 0xFFF0);
    tb_raw(&ds, "abc", 3);
    write_dataset("lie_short.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("lie_short.dcm"), NULL, PDVA_ERR_TRUNCATED,
                      "(0029,0010) claims 65520 bytes");

    /* 32-bit lengths at the edge: 0xFFFFFFFE, 0xFFFFFFF0, 0x80000000 */
    const uint32_t lengths[] = {0xFFFFFFFEu, 0xFFFFFFF0u, 0x80000000u, 0x7FFFFFFFu};
    for (size_t i = 0; i < 4; i++) {
        base_dataset(&ds, TS_EXPLICIT_LE);
        tb_header(&ds, 0x7FE0, 0x0010, "OW", lengths[i]);
        tb_raw(&ds, "\0\0\0\0", 4);
        write_dataset("lie_long.dcm", TS_EXPLICIT_LE, &ds);
        tb_free(&ds);
        expect_open_error(tmp_path("lie_long.dcm"), NULL, PDVA_ERR_TRUNCATED, "pixel data ends");

        base_dataset(&ds, TS_IMPLICIT_LE);
        tb_header(&ds, 0x0029, 0x1010, NULL, lengths[i]);
        tb_raw(&ds, "\0\0\0\0", 4);
        write_dataset("lie_implicit.dcm", TS_IMPLICIT_LE, &ds);
        tb_free(&ds);
        expect_open_error(tmp_path("lie_implicit.dcm"), NULL, PDVA_ERR_TRUNCATED, "claims");
    }

    /* an item longer than its sequence */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_header(&ds, 0x0029, 0x1020, "SQ", 16);
    tb_header(&ds, 0xFFFE, 0xE000, NULL, 64);
    tb_str(&ds, 0x0008, 0x0100, "SH", "abcdefgh");
    tb_raw(&ds, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 56);
    write_dataset("item_overrun.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("item_overrun.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "more than its enclosing item");

    /* odd lengths everywhere: accepted */
    tb_xa x;
    tb_xa_defaults(&x);
    x.bits_allocated = 8;
    x.bits_stored = 8;
    x.high_bit = 7;
    x.rows = 3;
    x.columns = 3;
    x.frames = 1;
    x.number_of_frames = "1";
    x.omit_pixel_data = true;
    tb_xa_dataset(&x, &ds);
    tb_header(&ds, 0x0029, 0x0010, "LO", 5);
    tb_raw(&ds, "ODDLY", 5);
    uint8_t pixels[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    tb_elem(&ds, 0x7FE0, 0x0010, "OB", pixels, 9);
    write_dataset("odd.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    pdva_series *s = NULL;
    assert_int_equal(open_file(tmp_path("odd.dcm"), NULL, &s, NULL), PDVA_OK);
    uint16_t out[9];
    assert_int_equal(pdva_series_read_frame(s, 0, out, 9, NULL), PDVA_OK);
    for (int i = 0; i < 9; i++)
        assert_int_equal(out[i], i + 1);
    pdva_series_destroy(s);
}

/* ---- absurd headers ---------------------------------------------------------------------- */

static void expect_xa_error(tb_xa *x, const char *name, pdva_status st, const char *needle)
{
    assert_int_equal(tb_xa_write(x, tmp_path(name)), 0);
    expect_open_error(tmp_path(name), NULL, st, needle);
}

static void test_absurd_headers(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.rows = 65535;
    x.columns = 65535;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "huge.dcm", PDVA_ERR_LIMIT_EXCEEDED, "65535 rows exceed");

    const char *bad_frames[] = {"0", "-3", "1A", "", "99999999999", "2.5"};
    for (size_t i = 0; i < sizeof bad_frames / sizeof bad_frames[0]; i++) {
        tb_xa_defaults(&x);
        x.number_of_frames = bad_frames[i];
        assert_int_equal(tb_xa_write(&x, tmp_path("frames.dcm")), 0);
        pdva_series *s = NULL;
        const char *msg;
        pdva_status st = open_file(tmp_path("frames.dcm"), NULL, &s, &msg);
        if (st != PDVA_ERR_MALFORMED)
            fail_msg("Number of Frames '%s': %s (%s)", bad_frames[i], pdva_status_str(st), msg);
        assert_non_null(strstr(msg, "Number of Frames"));
    }
    tb_xa_defaults(&x);
    x.number_of_frames = "3000";
    expect_xa_error(&x, "frames_limit.dcm", PDVA_ERR_LIMIT_EXCEEDED, "3000 frames exceed");
    tb_xa_defaults(&x);
    x.number_of_frames = "9"; /* 4 frames of data */
    expect_xa_error(&x, "frames_more.dcm", PDVA_ERR_MALFORMED, "need 3456 bytes of pixel data");

    tb_xa_defaults(&x);
    x.rows = 0;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "rows0.dcm", PDVA_ERR_MALFORMED, "Rows or Columns missing or 0");
    tb_xa_defaults(&x);
    x.columns = 0;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "cols0.dcm", PDVA_ERR_MALFORMED, "Rows or Columns missing or 0");
    tb_xa_defaults(&x);
    x.bits_stored = 17;
    expect_xa_error(&x, "bits17.dcm", PDVA_ERR_MALFORMED, "Bits Stored 17 does not fit");
    tb_xa_defaults(&x);
    x.omit_bits_stored = true;
    expect_xa_error(&x, "nobits.dcm", PDVA_ERR_MALFORMED, "Bits Stored 0");
    tb_xa_defaults(&x);
    x.high_bit = 3;
    expect_xa_error(&x, "highbit.dcm", PDVA_ERR_MALFORMED, "High Bit 3");
    tb_xa_defaults(&x);
    x.bits_allocated = 32;
    x.bits_stored = 32;
    x.high_bit = 31;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "bits32.dcm", PDVA_ERR_UNSUPPORTED, "Bits Allocated 32");
    tb_xa_defaults(&x);
    x.bits_allocated = 1;
    x.bits_stored = 1;
    x.high_bit = 0;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "bits1.dcm", PDVA_ERR_UNSUPPORTED, "Bits Allocated 1");
    tb_xa_defaults(&x);
    x.photometric = "RGB";
    x.samples_per_pixel = 3;
    x.omit_pixel_data = true;
    expect_xa_error(&x, "rgb.dcm", PDVA_ERR_UNSUPPORTED, "Samples per Pixel 3, RGB");
    tb_xa_defaults(&x);
    x.photometric = "PALETTE COLOR";
    expect_xa_error(&x, "palette.dcm", PDVA_ERR_UNSUPPORTED, "PALETTE COLOR is not supported");
    tb_xa_defaults(&x);
    x.omit_pixel_data = true;
    expect_xa_error(&x, "nopixels.dcm", PDVA_ERR_MALFORMED, "no Pixel Data");
    tb_xa_defaults(&x);
    x.pixel_bytes = 100;
    expect_xa_error(&x, "fewpixels.dcm", PDVA_ERR_MALFORMED, "the file holds 100");
    tb_xa_defaults(&x);
    x.ts_uid = "1.2.840.10008.1.2.1.99";
    expect_xa_error(&x, "deflate.dcm", PDVA_ERR_UNSUPPORTED,
                    "Deflated Explicit VR Little Endian 1.2.840.10008.1.2.1.99 is not supported");
    tb_xa_defaults(&x);
    x.ts_uid = "1.2.3.4.5.6";
    expect_xa_error(&x, "unknown_ts.dcm", PDVA_ERR_UNSUPPORTED,
                    "transfer syntax 1.2.3.4.5.6 is not known");
    tb_xa_defaults(&x);
    x.ts_uid = TS_J2K_LOSSLESS; /* native pixel data under an encapsulated syntax */
    expect_xa_error(&x, "j2k_native.dcm", PDVA_ERR_MALFORMED,
                    "JPEG 2000 (Lossless Only) needs encapsulated Pixel Data");
    tb_xa_defaults(&x);
    x.ts_uid = TS_RLE; /* native pixel data under RLE */
    expect_xa_error(&x, "rle_native.dcm", PDVA_ERR_MALFORMED,
                    "RLE Lossless needs encapsulated Pixel Data");
    /* and encapsulated pixel data under a native syntax */
    tb_xa_defaults(&x);
    x.omit_pixel_data = true;
    tb_buf ds;
    tb_xa_dataset(&x, &ds);
    tb_pixseq_begin(&ds, NULL, 0);
    tb_fragment(&ds, "abcd", 4);
    tb_seq_end(&ds);
    write_dataset("native_encapsulated.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("native_encapsulated.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "Pixel Data is encapsulated but the transfer syntax Explicit VR Little "
                      "Endian is not");
}

/* ---- not DICOM, file meta ----------------------------------------------------------------- */

static void test_not_dicom(void **state)
{
    (void)state;
    assert_int_equal(tb_write_bytes(tmp_path("empty.dcm"), "", 0), 0);
    expect_open_error(tmp_path("empty.dcm"), NULL, PDVA_ERR_NOT_DICOM, "not a DICOM file");
    const char text[] = "<html><script>alert(1)</script></html>\n";
    char big[400];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = text[i % (sizeof text - 1)];
    assert_int_equal(tb_write_bytes(tmp_path("page.html"), big, sizeof big), 0);
    expect_open_error(tmp_path("page.html"), NULL, PDVA_ERR_NOT_DICOM, "no DICM marker");
    expect_open_error(tmp_path("does-not-exist.dcm"), NULL, PDVA_ERR_IO, "cannot open");
    expect_open_error(PDVA_TEST_TMP_DIR, NULL, PDVA_ERR_IO, "not a regular file");

    /* DICM followed by nothing, by a dataset, by a meta group with a wrong length */
    tb_buf b;
    tb_init(&b, TS_EXPLICIT_LE);
    uint8_t pre[128] = {0};
    tb_raw(&b, pre, 128);
    tb_raw(&b, "DICM", 4);
    assert_int_equal(tb_write_bytes(tmp_path("dicm_only.dcm"), b.data, b.len), 0);
    expect_open_error(tmp_path("dicm_only.dcm"), NULL, PDVA_ERR_TRUNCATED, "file meta");
    tb_str(&b, 0x0008, 0x0016, "UI", SOP_XA);
    assert_int_equal(tb_write_bytes(tmp_path("dicm_dataset.dcm"), b.data, b.len), 0);
    expect_open_error(tmp_path("dicm_dataset.dcm"), NULL, PDVA_ERR_NOT_DICOM,
                      "without file meta information");
    tb_free(&b);

    tb_buf meta, ds;
    tb_meta(&meta, TS_EXPLICIT_LE, SOP_XA, "1.2.3");
    meta.data[132 + 8] = (uint8_t)(meta.data[132 + 8] + 40); /* group length too long */
    base_dataset(&ds, TS_EXPLICIT_LE);
    assert_int_equal(tb_write(tmp_path("meta_length.dcm"), &meta, &ds), 0);
    expect_open_error(tmp_path("meta_length.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "Group Length (0002,0000)");
    tb_free(&meta);
    tb_free(&ds);
}

/* ---- nesting ----------------------------------------------------------------------------- */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nested(tb_buf *ds, unsigned depth, bool defined, const char *ts)
{
    base_dataset(ds, ts);
    if (!defined) {
        for (unsigned i = 0; i < depth; i++) {
            tb_header(ds, 0x0029, 0x1010, "SQ", 0xFFFFFFFFu);
            tb_header(ds, 0xFFFE, 0xE000, NULL, 0xFFFFFFFFu);
        }
        for (unsigned i = 0; i < depth; i++) {
            tb_header(ds, 0xFFFE, 0xE00D, NULL, 0);
            tb_header(ds, 0xFFFE, 0xE0DD, NULL, 0);
        }
        return;
    }
    /* defined lengths, built inside out */
    unsigned header = ds->explicit_vr ? 12 : 8;
    size_t inner = 0;
    size_t total = (size_t)depth * (header + 8);
    uint8_t *buf = malloc(total);
    assert_non_null(buf);
    size_t pos = total;
    for (unsigned i = 0; i < depth; i++) {
        tb_buf level;
        tb_init(&level, ts);
        tb_header(&level, 0x0029, 0x1010, "SQ", (uint32_t)(inner + 8));
        tb_header(&level, 0xFFFE, 0xE000, NULL, (uint32_t)inner);
        pos -= level.len;
        memcpy(buf + pos, level.data, level.len);
        inner += level.len;
        tb_free(&level);
    }
    tb_raw(ds, buf, total);
    free(buf);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    const struct {
        bool defined;
        const char *ts;
        const char *name;
    } kinds[] = {
        {false, TS_EXPLICIT_LE, "deep_undefined.dcm"},
        {true, TS_EXPLICIT_LE, "deep_defined.dcm"},
        {false, TS_IMPLICIT_LE, "deep_implicit_undefined.dcm"},
        {true, TS_IMPLICIT_LE, "deep_implicit_defined.dcm"},
    };
    for (size_t k = 0; k < 4; k++) {
        tb_buf ds;
        nested(&ds, 100000, kinds[k].defined, kinds[k].ts);
        write_dataset(kinds[k].name, kinds[k].ts, &ds);
        tb_free(&ds);
        double t0 = seconds_now();
        expect_open_error(tmp_path(kinds[k].name), NULL, PDVA_ERR_LIMIT_EXCEEDED,
                          "sequences nested more than 32 deep");
        assert_true(seconds_now() - t0 < 5.0);
        /* the scan refuses it too */
        pdva_study *study = NULL;
        const char *p = tmp_path(kinds[k].name);
        assert_int_equal(pdva_study_scan(&p, 1, NULL, &study, NULL), PDVA_OK);
        assert_int_equal(pdva_study_series_count(study), 0);
        assert_int_equal(pdva_study_rejected_count(study), 1);
        assert_int_equal(pdva_study_rejected_status(study, 0), PDVA_ERR_LIMIT_EXCEEDED);
        pdva_study_destroy(study);
    }
    /* within the limit: a normal file with 20 levels of private nesting opens */
    for (size_t k = 0; k < 4; k++) {
        tb_buf ds;
        nested(&ds, 20, kinds[k].defined, kinds[k].ts);
        tb_xa x;
        tb_xa_defaults(&x);
        x.ts_uid = kinds[k].ts;
        tb_buf px;
        tb_xa_dataset(&x, &px);
        /* append only the pixel data element of px: it is the last element */
        size_t pix_len = 16 * 12 * 4 * 2 + (px.explicit_vr ? 12 : 8);
        tb_raw(&ds, px.data + px.len - pix_len, pix_len);
        tb_free(&px);
        write_dataset("nested20.dcm", kinds[k].ts, &ds);
        tb_free(&ds);
        pdva_series *s = NULL;
        const char *msg;
        if (open_file(tmp_path("nested20.dcm"), NULL, &s, &msg) != PDVA_OK)
            fail_msg("%s nested 20: %s", kinds[k].name, msg);
        free(read_all(s));
        pdva_series_destroy(s);
        /* and a lower limit refuses it */
        pdva_limits limits;
        pdva_limits_init(&limits);
        limits.max_sequence_depth = 10;
        expect_open_error(tmp_path("nested20.dcm"), &limits, PDVA_ERR_LIMIT_EXCEEDED,
                          "more than 10 deep");
    }
}

static void test_empty_items_and_delimiters(void **state)
{
    (void)state;
    /* 50000 items of length 0 in one sequence: linear, accepted */
    tb_buf ds;
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_seq_begin(&ds, 0x0029, 0x1010);
    for (int i = 0; i < 50000; i++)
        tb_header(&ds, 0xFFFE, 0xE000, NULL, 0);
    tb_seq_end(&ds);
    uint16_t px[16 * 12 * 4] = {0};
    tb_pixels(&ds, px, 16 * 12 * 4, 16);
    write_dataset("empty_items.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    double t0 = seconds_now();
    assert_int_equal(survive(tmp_path("empty_items.dcm"), NULL), PDVA_OK);
    assert_true(seconds_now() - t0 < 10.0);

    /* an empty sequence of length 0, an empty undefined item */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_header(&ds, 0x0029, 0x1010, "SQ", 0);
    tb_seq_begin(&ds, 0x0029, 0x1011);
    tb_item_begin(&ds);
    tb_item_end(&ds);
    tb_seq_end(&ds);
    tb_pixels(&ds, px, 16 * 12 * 4, 16);
    write_dataset("empty_seq.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    assert_int_equal(survive(tmp_path("empty_seq.dcm"), NULL), PDVA_OK);

    /* misplaced delimiters */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_item_end(&ds);
    write_dataset("stray_item_delim.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("stray_item_delim.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "item delimiter outside an item");
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_seq_begin(&ds, 0x0029, 0x1010);
    tb_str(&ds, 0x0008, 0x0100, "SH", "notanitem");
    write_dataset("seq_no_item.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("seq_no_item.dcm"), NULL, PDVA_ERR_MALFORMED, "expects an item");
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_seq_begin(&ds, 0x0029, 0x1010);
    tb_item_begin(&ds);
    tb_str(&ds, 0x0008, 0x0100, "SH", "open");
    write_dataset("seq_open.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("seq_open.dcm"), NULL, PDVA_ERR_TRUNCATED,
                      "file ends inside an item of sequence (0029,1010)");
    /* a defined-length sequence too short for an item header */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_header(&ds, 0x0029, 0x1010, "SQ", 4);
    tb_raw(&ds, "\xfe\xff\x00\xe0", 4);
    tb_pixels(&ds, px, 16 * 12 * 4, 16);
    write_dataset("seq_short.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("seq_short.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "sequence (0029,1010) ends inside an item header");
    /* OB with undefined length that is not pixel data */
    base_dataset(&ds, TS_EXPLICIT_LE);
    tb_header(&ds, 0x0029, 0x1010, "OB", 0xFFFFFFFFu);
    tb_seq_end(&ds);
    write_dataset("ob_undefined.dcm", TS_EXPLICIT_LE, &ds);
    tb_free(&ds);
    expect_open_error(tmp_path("ob_undefined.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "undefined length but is not a sequence");
}

/* ---- text -------------------------------------------------------------------------------- */

static void test_hostile_text(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.charset = "ISO_IR 100";
    x.patient_name = "M\xfcller^J\xe9r\xf4me";
    x.patient_id = "ID\x01\x1b[31m";
    x.series_description = "<script>alert(\"x\")</script>\nline2\ttab";
    x.body_part = "FOOT";
    const char *path = tmp_path("text_latin1.dcm");
    assert_int_equal(tb_xa_write(&x, path), 0);
    pdva_series *s = NULL;
    assert_int_equal(open_file(path, NULL, &s, NULL), PDVA_OK);
    const pdva_series_info *info = pdva_series_get_info(s);
    assert_string_equal(info->patient_name, "M\xc3\xbcller^J\xc3\xa9r\xc3\xb4me");
    assert_clean_utf8(info->patient_id);
    assert_string_equal(info->patient_id, "ID??[31m");
    assert_string_equal(info->series_description, "<script>alert(\"x\")</script> line2 tab");
    assert_string_equal(info->body_part_examined, "FOOT");
    pdva_series_destroy(s);

    /* no character set declared, invalid UTF-8: replaced, and said */
    tb_xa_defaults(&x);
    x.patient_name = "Bad\xff\xfe^UTF\xc3";
    x.series_description = "caf\xc3\xa9"; /* valid UTF-8 without a declaration: kept */
    path = tmp_path("text_invalid.dcm");
    assert_int_equal(tb_xa_write(&x, path), 0);
    assert_int_equal(open_file(path, NULL, &s, NULL), PDVA_OK);
    info = pdva_series_get_info(s);
    assert_clean_utf8(info->patient_name);
    assert_string_equal(info->patient_name, "Bad??^UTF?");
    assert_string_equal(info->series_description, "caf\xc3\xa9");
    assert_non_null(strstr(info->warnings, "Specific Character Set"));
    pdva_series_destroy(s);

    /* overlong values are cut at a character boundary */
    char long_name[200];
    for (int i = 0; i < 99; i++) {
        long_name[2 * i] = (char)0xc3;
        long_name[2 * i + 1] = (char)0xa9;
    }
    long_name[198] = '\0';
    tb_xa_defaults(&x);
    x.charset = "ISO_IR 192";
    x.series_description = long_name;
    path = tmp_path("text_long.dcm");
    assert_int_equal(tb_xa_write(&x, path), 0);
    assert_int_equal(open_file(path, NULL, &s, NULL), PDVA_OK);
    info = pdva_series_get_info(s);
    assert_clean_utf8(info->series_description);
    assert_int_equal(strlen(info->series_description), 64);
    pdva_series_destroy(s);
}

/* ---- encapsulation ----------------------------------------------------------------------- */

/* RLE-encode one 16-bit frame (two segments of literal runs). */
static size_t rle_frame(const uint16_t *px, size_t n, uint8_t *out)
{
    memset(out, 0, 64);
    uint32_t segments = 2;
    memcpy(out, &segments, 4);
    size_t pos = 64;
    for (int seg = 0; seg < 2; seg++) {
        uint32_t off = (uint32_t)pos;
        memcpy(out + 4 + 4 * seg, &off, 4);
        for (size_t i = 0; i < n; i += 128) {
            size_t run = n - i < 128 ? n - i : 128;
            out[pos++] = (uint8_t)(run - 1);
            for (size_t k = 0; k < run; k++)
                out[pos++] = (uint8_t)(seg == 0 ? px[i + k] >> 8 : px[i + k]);
        }
    }
    if (pos & 1)
        out[pos++] = 0;
    return pos;
}

/* An RLE file of `frames` pattern frames; `mutate` may damage the fragment of frame f. */
typedef void (*mutate_fn)(uint32_t f, uint8_t *frag, size_t *len);

static void write_rle(const char *name, uint32_t frames, uint32_t fragments_written,
                      mutate_fn mutate, bool terminate)
{
    tb_xa x;
    tb_xa_defaults(&x);
    x.ts_uid = TS_RLE;
    x.frames = frames;
    char nf[16];
    snprintf(nf, sizeof nf, "%u", frames);
    x.number_of_frames = nf;
    x.omit_pixel_data = true;
    tb_buf ds;
    tb_xa_dataset(&x, &ds);
    tb_pixseq_begin(&ds, NULL, 0);
    uint16_t px[16 * 12];
    uint8_t frag[2048];
    for (uint32_t f = 0; f < fragments_written; f++) {
        for (uint32_t r = 0; r < 16; r++)
            for (uint32_t c = 0; c < 12; c++)
                px[r * 12 + c] = tb_pattern(f, r, c, 12);
        size_t len = rle_frame(px, 16 * 12, frag);
        if (mutate)
            mutate(f, frag, &len);
        tb_fragment(&ds, frag, (uint32_t)len);
    }
    if (terminate)
        tb_seq_end(&ds);
    write_dataset(name, TS_RLE, &ds);
    tb_free(&ds);
}

static void short_fragment(uint32_t f, uint8_t *frag, size_t *len)
{
    (void)frag;
    if (f == 1)
        *len = 40;
}

static void offsets_outside(uint32_t f, uint8_t *frag, size_t *len)
{
    (void)len;
    if (f == 2) {
        uint32_t off = 0x7FFFFFF0u;
        memcpy(frag + 8, &off, 4);
    }
}

static void segments_wrong(uint32_t f, uint8_t *frag, size_t *len)
{
    (void)len;
    if (f == 0) {
        uint32_t n = 15;
        memcpy(frag, &n, 4);
    }
}

static void only_noops(uint32_t f, uint8_t *frag, size_t *len)
{
    if (f == 3) {
        uint32_t off1 = 64, off2 = 64 + 8;
        memcpy(frag + 4, &off1, 4);
        memcpy(frag + 8, &off2, 4);
        memset(frag + 64, 0x80, 16);
        *len = 64 + 16;
    }
}

static void expect_frame_errors(const char *name, uint32_t bad_frame, const char *needle)
{
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(tmp_path(name), NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s: %s", name, msg);
    uint16_t frame[16 * 12];
    for (uint32_t f = 0; f < 4; f++) {
        pdva_error *err = NULL;
        pdva_status st = pdva_series_read_frame(s, f, frame, 16 * 12, &err);
        if (f == bad_frame) {
            assert_int_equal(st, PDVA_ERR_DECODE);
            if (!strstr(pdva_error_message(err), needle))
                fail_msg("%s: '%s' lacks '%s'", name, pdva_error_message(err), needle);
        } else {
            assert_int_equal(st, PDVA_OK);
            for (uint32_t i = 0; i < 16 * 12; i++)
                assert_int_equal(frame[i], tb_pattern(f, i / 12, i % 12, 12));
        }
        pdva_error_destroy(err);
    }
    pdva_series_destroy(s);
}

static void test_broken_encapsulation(void **state)
{
    (void)state;
    write_rle("rle_ok.dcm", 4, 4, NULL, true);
    expect_frame_errors("rle_ok.dcm", 99, "");
    write_rle("rle_short.dcm", 4, 4, short_fragment, true);
    expect_frame_errors("rle_short.dcm", 1, "shorter than its 64-byte header");
    write_rle("rle_outside.dcm", 4, 4, offsets_outside, true);
    expect_frame_errors("rle_outside.dcm", 2, "outside its fragment");
    write_rle("rle_segments.dcm", 4, 4, segments_wrong, true);
    expect_frame_errors("rle_segments.dcm", 0, "lists 15 segments, 2 expected");
    write_rle("rle_noops.dcm", 4, 4, only_noops, true);
    expect_frame_errors("rle_noops.dcm", 3, "holds no data");
    /* fewer fragments than frames */
    write_rle("rle_missing.dcm", 4, 3, NULL, true);
    expect_open_error(tmp_path("rle_missing.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "holds only 3 fragments");
    /* more fragments than frames in RLE */
    write_rle("rle_extra.dcm", 3, 4, NULL, true);
    expect_open_error(tmp_path("rle_extra.dcm"), NULL, PDVA_ERR_MALFORMED,
                      "one fragment per frame");
    /* the final delimiter lost after the last whole fragment: read, with a warning */
    write_rle("rle_unterminated.dcm", 4, 4, NULL, false);
    pdva_series *s = NULL;
    const char *msg;
    if (open_file(tmp_path("rle_unterminated.dcm"), NULL, &s, &msg) != PDVA_OK)
        fail_msg("%s", msg);
    assert_non_null(strstr(pdva_series_get_info(s)->warnings, "lacks its final delimiter"));
    free(read_all(s));
    pdva_series_destroy(s);
    /* ... but missing frames at the cut are refused */
    write_rle("rle_cut.dcm", 4, 2, NULL, false);
    expect_open_error(tmp_path("rle_cut.dcm"), NULL, PDVA_ERR_TRUNCATED, "file truncated");
}

/* Flip bytes inside the code streams of the compressed fixtures: each frame decodes or fails
 * with DECODE, nothing else. */
static void test_corrupt_code_streams(void **state)
{
    (void)state;
    const char *fixtures[] = {"xa_jpll_sv1.dcm", "xa_jls.dcm", "xa_rle.dcm",
                              "xa_jpeg_baseline8.dcm", "xa_jpll_fragments_bot.dcm"};
    uint32_t seed = 12345;
    for (size_t k = 0; k < sizeof fixtures / sizeof fixtures[0]; k++) {
        size_t len = 0;
        uint8_t *orig = tb_read_file(fixture_path(fixtures[k]), &len);
        assert_non_null(orig);
        uint8_t *data = malloc(len);
        assert_non_null(data);
        unsigned opened = 0, decoded = 0, failed = 0;
        for (int round = 0; round < 60; round++) {
            memcpy(data, orig, len);
            /* damage the last 90 % (pixel data) with 1..8 random bytes */
            int flips = 1 + round % 8;
            for (int i = 0; i < flips; i++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = len / 10 + (seed >> 8) % (len - len / 10);
                seed = seed * 1103515245u + 12345u;
                data[at] = (uint8_t)(seed >> 16);
            }
            assert_int_equal(tb_write_bytes(tmp_path("corrupt.dcm"), data, len), 0);
            pdva_series *s = NULL;
            const char *msg;
            pdva_status st = open_file(tmp_path("corrupt.dcm"), NULL, &s, &msg);
            if (st != PDVA_OK) {
                assert_true(status_is_clean_error(st));
                continue;
            }
            opened++;
            const pdva_series_info *info = pdva_series_get_info(s);
            size_t n = (size_t)info->rows * info->columns;
            uint16_t *frame = malloc(n * sizeof *frame);
            assert_non_null(frame);
            for (uint32_t f = 0; f < info->frames; f++) {
                pdva_status rs = pdva_series_read_frame(s, f, frame, n, NULL);
                if (rs == PDVA_OK)
                    decoded++;
                else if (rs == PDVA_ERR_DECODE || rs == PDVA_ERR_UNSUPPORTED)
                    failed++;
                else
                    fail_msg("%s round %d frame %u: %s", fixtures[k], round, f,
                             pdva_status_str(rs));
            }
            free(frame);
            pdva_series_destroy(s);
        }
        printf("# corrupted %s: %u opened, %u frames decoded, %u refused\n", fixtures[k], opened,
               decoded, failed);
        free(data);
        free(orig);
    }
}

/* ---- allocation failures ------------------------------------------------------------------ */

static void fail_every_allocation(const char *const *paths, size_t n_paths, const char *what)
{
    long n = 0;
    unsigned failures_seen = 0;
    for (;; n++) {
        pdva_alloc_fail_after(n);
        pdva_series *s = NULL;
        pdva_error *err = NULL;
        pdva_status st = pdva_series_open(paths, n_paths, NULL, &s, &err);
        if (st == PDVA_OK) {
            const pdva_series_info *info = pdva_series_get_info(s);
            size_t px = (size_t)info->rows * info->columns;
            uint16_t *frame = malloc(px * sizeof *frame);
            assert_non_null(frame);
            for (uint32_t f = 0; f < info->frames && st == PDVA_OK; f++)
                st = pdva_series_read_frame(s, f, frame, px, &err);
            free(frame);
            pdva_series_destroy(s);
            if (st == PDVA_OK) {
                pdva_alloc_fail_after(-1);
                pdva_error_destroy(err);
                break;
            }
        }
        pdva_alloc_fail_after(-1);
        if (st != PDVA_ERR_NO_MEMORY)
            fail_msg("%s, allocation %ld failing: %s (%s)", what, n, pdva_status_str(st),
                     pdva_error_message(err));
        failures_seen++;
        pdva_error_destroy(err);
        assert_true(n < 10000);
    }
    printf("# %s: %u allocation failures handled\n", what, failures_seen);
    assert_true(failures_seen > 3);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    tb_xa x;
    tb_xa_defaults(&x);
    x.rescale_slope = "2";
    const char *native = tmp_path2("alloc_native.dcm");
    assert_int_equal(tb_xa_write(&x, native), 0);
    fail_every_allocation(&native, 1, "native XA");
    const char *rle = fixture_path("xa_rle.dcm");
    fail_every_allocation(&rle, 1, "RLE XA");
    const char *jls = fixture_path("xa_jls_fragments_no_bot.dcm");
    fail_every_allocation(&jls, 1, "JPEG-LS XA, several fragments per frame");

    tb_xa_defaults(&x);
    x.sop_class = SOP_ENHANCED_XA;
    x.enhanced = true;
    const char *dts[4] = {"20240102101112", "20240102101113", "20240102101114", "20240102101115"};
    x.frame_datetimes = dts;
    x.frame_time_vector = "0\\100\\100\\100";
    x.fip_element = 0x1065;
    const char *enhanced = tmp_path2("alloc_enhanced.dcm");
    assert_int_equal(tb_xa_write(&x, enhanced), 0);
    fail_every_allocation(&enhanced, 1, "Enhanced XA");

    char names[3][64];
    char *owned[3];
    const char *paths[3];
    for (int i = 0; i < 3; i++) {
        tb_xa_defaults(&x);
        x.frames = 1;
        x.number_of_frames = NULL;
        char uid[64], number[8], time[16];
        snprintf(uid, sizeof uid, "1.2.826.0.1.3680043.9.7433.3.%d", 10 + i);
        snprintf(number, sizeof number, "%d", 3 - i);
        snprintf(time, sizeof time, "1010%02d.5", 10 + i);
        x.sop_instance_uid = uid;
        x.instance_number = number;
        x.acquisition_time = time;
        snprintf(names[i], sizeof names[i], "alloc_single_%d.dcm", i);
        owned[i] = strdup(tmp_path(names[i]));
        assert_non_null(owned[i]);
        assert_int_equal(tb_xa_write(&x, owned[i]), 0);
        paths[i] = owned[i];
    }
    fail_every_allocation(paths, 3, "one frame per file");
    for (int i = 0; i < 3; i++)
        free(owned[i]);
}

int run_hostile_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_truncated_after_open),
        cmocka_unit_test(test_lying_lengths),
        cmocka_unit_test(test_absurd_headers),
        cmocka_unit_test(test_not_dicom),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_empty_items_and_delimiters),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_broken_encapsulation),
        cmocka_unit_test(test_corrupt_code_streams),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
