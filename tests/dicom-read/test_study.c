/* test_study.c — scanning folders and DICOMDIRs: grouping by series, rejected files with
 * reasons, symbolic links not followed, DICOMDIR references kept inside their folder.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[1024];

static const char *in_root(const char *rel)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%.900s", root, rel);
    return path;
}

static void write_xa(const char *rel, const char *series_uid, const char *sop_uid,
                     const char *number, uint32_t frames)
{
    tb_xa x;
    tb_xa_defaults(&x);
    x.series_uid = series_uid;
    x.sop_instance_uid = sop_uid;
    x.instance_number = number;
    x.frames = frames;
    char nf[12];
    snprintf(nf, sizeof nf, "%u", frames);
    x.number_of_frames = frames > 1 ? nf : NULL;
    assert_int_equal(tb_xa_write(&x, in_root(rel)), 0);
}

static void write_dicomdir_typed(const char *rel, const char *const *ids, size_t n,
                                 const char *record_type)
{
    tb_buf meta, ds;
    tb_meta(&meta, TS_EXPLICIT_LE, "1.2.840.10008.1.3.10", "1.2.3.4.5.6.7");
    tb_init(&ds, TS_EXPLICIT_LE);
    tb_str(&ds, 0x0004, 0x1130, "CS", "TESTSET");
    tb_seq_begin(&ds, 0x0004, 0x1220);
    for (size_t i = 0; i < n; i++) {
        tb_item_begin(&ds);
        tb_header(&ds, 0x0004, 0x1400, "UL", 4);
        tb_u32(&ds, 0);
        tb_us(&ds, 0x0004, 0x1410, 0xFFFF);
        tb_str(&ds, 0x0004, 0x1430, "CS", record_type);
        tb_str(&ds, 0x0004, 0x1500, "CS", ids[i]);
        tb_item_end(&ds);
    }
    tb_seq_end(&ds);
    assert_int_equal(tb_write(in_root(rel), &meta, &ds), 0);
    tb_free(&meta);
    tb_free(&ds);
}

static void write_dicomdir(const char *rel, const char *const *ids, size_t n)
{
    write_dicomdir_typed(rel, ids, n, "IMAGE");
}

static size_t find_rejected(const pdva_study *study, const char *path_end, const char *reason)
{
    for (size_t i = 0; i < pdva_study_rejected_count(study); i++) {
        const char *p = pdva_study_rejected_path(study, i);
        const char *r = pdva_study_rejected_reason(study, i);
        size_t lp = strlen(p), le = strlen(path_end);
        if (lp >= le && strcmp(p + lp - le, path_end) == 0 && strstr(r, reason))
            return i;
    }
    for (size_t i = 0; i < pdva_study_rejected_count(study); i++)
        printf("# rejected: %s: %s\n", pdva_study_rejected_path(study, i),
               pdva_study_rejected_reason(study, i));
    fail_msg("no rejected file ending in %s with '%s'", path_end, reason);
    return SIZE_MAX;
}

static void test_folder_scan(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%.1000s", tmp_path("study"));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(in_root("sub"), 0755), 0);
    assert_int_equal(mkdir(in_root("sub/deeper"), 0755), 0);

    write_xa("run1.dcm", "1.2.9.1", "1.2.9.1.1", "1", 4);
    write_xa("run2.dcm", "1.2.9.2", "1.2.9.2.1", "1", 4);
    write_xa("sub/run3_same_uid.dcm", "1.2.9.2", "1.2.9.2.2", "2", 4); /* own series */
    write_xa("sub/single_b.dcm", "1.2.9.3", "1.2.9.3.2", "2", 1);
    write_xa("sub/deeper/single_a.dcm", "1.2.9.3", "1.2.9.3.1", "1", 1);
    write_xa("single_c.dcm", "1.2.9.3", "1.2.9.3.3", "3", 1);
    assert_int_equal(tb_write_bytes(in_root("notes.txt"), "not dicom at all\n", 17), 0);
    assert_int_equal(tb_write_bytes(in_root("empty"), "", 0), 0);
    size_t len = 0;
    uint8_t *data = tb_read_file(in_root("run1.dcm"), &len);
    assert_non_null(data);
    assert_int_equal(tb_write_bytes(in_root("sub/cut.dcm"), data, len - 100), 0);
    free(data);
    char target[2048];
    snprintf(target, sizeof target, "%s", in_root("run1.dcm"));
    assert_int_equal(symlink(target, in_root("link.dcm")), 0);

    pdva_study *study = NULL;
    pdva_error *err = NULL;
    const char *top = root;
    assert_int_equal(pdva_study_scan(&top, 1, NULL, &study, &err), PDVA_OK);
    pdva_error_destroy(err);
    assert_int_equal(pdva_study_series_count(study), 4);
    size_t singles = SIZE_MAX, uid2 = 0;
    for (size_t i = 0; i < pdva_study_series_count(study); i++) {
        if (strcmp(pdva_study_series_uid(study, i), "1.2.9.3") == 0)
            singles = i;
        if (strcmp(pdva_study_series_uid(study, i), "1.2.9.2") == 0) {
            uid2++;
            assert_int_equal(pdva_study_series_file_count(study, i), 1);
        }
    }
    assert_int_equal(uid2, 2); /* two multi-frame files under one Series Instance UID */
    assert_true(singles != SIZE_MAX);
    assert_int_equal(pdva_study_series_file_count(study, singles), 3);
    const char *const *files = pdva_study_series_files(study, singles);
    for (size_t i = 1; i < 3; i++)
        assert_true(strcmp(files[i - 1], files[i]) < 0); /* sorted */
    pdva_series *s = NULL;
    assert_int_equal(pdva_study_open_series(study, singles, &s, NULL), PDVA_OK);
    assert_int_equal(pdva_series_get_info(s)->frames, 3);
    assert_int_equal(pdva_series_get_info(s)->n_files, 3);
    pdva_series_destroy(s);

    assert_int_equal(pdva_study_rejected_count(study), 4);
    size_t i = find_rejected(study, "/notes.txt", "not a DICOM file");
    assert_int_equal(pdva_study_rejected_status(study, i), PDVA_ERR_NOT_DICOM);
    find_rejected(study, "/empty", "not a DICOM file");
    i = find_rejected(study, "/sub/cut.dcm", "truncated");
    assert_int_equal(pdva_study_rejected_status(study, i), PDVA_ERR_TRUNCATED);
    find_rejected(study, "/link.dcm", "symbolic link: not followed");
    /* out of range queries */
    assert_null(pdva_study_series_uid(study, 99));
    assert_null(pdva_study_rejected_path(study, 99));
    assert_int_equal(pdva_study_rejected_status(study, 99), PDVA_ERR_INVALID_ARGUMENT);
    assert_int_equal(pdva_study_open_series(study, 99, &s, NULL), PDVA_ERR_INVALID_ARGUMENT);
    pdva_study_destroy(study);

    /* limits: more files than allowed fails the scan */
    pdva_limits limits;
    pdva_limits_init(&limits);
    limits.max_files = 3;
    assert_int_equal(pdva_study_scan(&top, 1, &limits, &study, &err), PDVA_ERR_LIMIT_EXCEEDED);
    assert_null(study);
    pdva_error_destroy(err);
    err = NULL;
    /* an unreadable top-level path fails the scan */
    const char *missing = in_root("missing");
    assert_int_equal(pdva_study_scan(&missing, 1, NULL, &study, &err), PDVA_ERR_IO);
    pdva_error_destroy(err);
    err = NULL;
    assert_int_equal(pdva_study_scan(NULL, 0, NULL, &study, &err), PDVA_ERR_INVALID_ARGUMENT);
    pdva_error_destroy(err);
    pdva_study_destroy(NULL);
    pdva_series_destroy(NULL);
    assert_null(pdva_series_get_info(NULL));
    assert_int_equal(pdva_study_series_count(NULL), 0);
}

static void test_dicomdir(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%.1000s", tmp_path("media"));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-outside'", root, root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(in_root("dir1"), 0755), 0); /* lower case on disk */
    char outside[1100];
    snprintf(outside, sizeof outside, "%s-outside", root);
    assert_int_equal(mkdir(outside, 0755), 0);
    write_xa("dir1/img1", "1.2.8.1", "1.2.8.1.1", "1", 1);
    write_xa("dir1/img2", "1.2.8.1", "1.2.8.1.2", "2", 1);
    char secret[1200];
    snprintf(secret, sizeof secret, "%s/SECRET", outside);
    {
        tb_xa x;
        tb_xa_defaults(&x);
        x.series_uid = "1.2.8.666";
        assert_int_equal(tb_xa_write(&x, secret), 0);
    }
    assert_int_equal(symlink(outside, in_root("escape")), 0);
    const char *ids[] = {
        "DIR1\\IMG1", /* matched case-insensitively */
        "DIR1\\IMG2",
        "DIR1\\IMG1", /* twice: taken once */
        "..\\media-outside\\SECRET",
        "ESCAPE\\SECRET", /* through a symbolic link */
        "/etc/passwd",
        "DIR1\\.\\IMG1",
        "DIR1\\MISSING",
        "DIR1\\\\IMG1",
    };
    write_dicomdir("DICOMDIR", ids, sizeof ids / sizeof ids[0]);

    pdva_study *study = NULL;
    const char *dd = in_root("DICOMDIR");
    pdva_error *err = NULL;
    assert_int_equal(pdva_study_scan(&dd, 1, NULL, &study, &err), PDVA_OK);
    pdva_error_destroy(err);
    assert_int_equal(pdva_study_series_count(study), 1);
    assert_string_equal(pdva_study_series_uid(study, 0), "1.2.8.1");
    assert_int_equal(pdva_study_series_file_count(study, 0), 2);
    for (size_t i = 0; i < pdva_study_series_count(study); i++)
        for (size_t k = 0; k < pdva_study_series_file_count(study, i); k++)
            assert_null(strstr(pdva_study_series_files(study, i)[k], "outside"));
    find_rejected(study, "DICOMDIR", "'..\\media-outside\\SECRET' is not a plain relative path");
    find_rejected(study, "DICOMDIR", "'ESCAPE\\SECRET' goes through a symbolic link");
    find_rejected(study, "DICOMDIR", "'/etc/passwd' is not a plain relative path");
    find_rejected(study, "DICOMDIR", "'DIR1\\.\\IMG1' is not a plain relative path");
    find_rejected(study, "DICOMDIR", "'DIR1\\MISSING' does not exist");
    find_rejected(study, "DICOMDIR", "'DIR1\\\\IMG1' is not a plain relative path");
    assert_int_equal(pdva_study_rejected_count(study), 6);
    pdva_series *s = NULL;
    assert_int_equal(pdva_study_open_series(study, 0, &s, NULL), PDVA_OK);
    assert_int_equal(pdva_series_get_info(s)->frames, 2);
    pdva_series_destroy(s);
    pdva_study_destroy(study);

    /* a Directory Record Type longer than 16 characters makes DCMTK 3.6.7 throw (and leak): it
     * is refused before DCMTK sees it (regression of a fuzzer finding) */
    const char *one[] = {"DIR1\\IMG1"};
    write_dicomdir_typed("BADDIR", one, 1, "IMAGE\\IMAGEIMAGEIMAGEIMAGE");
    const char *bad = in_root("BADDIR");
    assert_int_equal(pdva_study_scan(&bad, 1, NULL, &study, NULL), PDVA_OK);
    assert_int_equal(pdva_study_series_count(study), 0);
    find_rejected(study, "BADDIR", "Directory Record Type (0004,1430) of 26 bytes");
    pdva_study_destroy(study);
    expect_open_error(bad, NULL, PDVA_ERR_MALFORMED, "longer than 16 characters");

    /* the folder holding the DICOMDIR: files reached twice are taken once; the escape link is
     * rejected, not followed */
    const char *top = root;
    assert_int_equal(pdva_study_scan(&top, 1, NULL, &study, NULL), PDVA_OK);
    assert_int_equal(pdva_study_series_count(study), 1);
    assert_int_equal(pdva_study_series_file_count(study, 0), 2);
    find_rejected(study, "/escape", "symbolic link: not followed");
    pdva_study_destroy(study);
}

int run_study_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_scan),
        cmocka_unit_test(test_dicomdir),
    };
    return cmocka_run_group_tests_name("study", tests, NULL, NULL);
}
