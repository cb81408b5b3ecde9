/* study.c — scanning files, folders and DICOMDIRs, and grouping the DICOM files by series.
 *
 * Folders are walked recursively without following symbolic links; each file's header is read
 * (pre-scan and DCMTK up to the pixel data only). A DICOMDIR's Referenced File IDs are
 * followed inside its own folder only: each component must be a plain name (no "..", no
 * separator, no control character) and no component may be a symbolic link, so no reference
 * leaves the folder. Files reached twice (folder and DICOMDIR) are taken once. Files that are
 * not DICOM, or cannot be parsed, go to the rejected list with their reason. Single-frame files
 * are grouped by Series Instance UID; a multi-frame file is a series of its own, since some
 * systems keep several runs under one Series Instance UID.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "dicom/read/dcmtk_read_shim.h"
#include "dicom/read/read_internal.h"

#define DICOMDIR_SOP_CLASS "1.2.840.10008.1.3.10"
#define MAX_FOLDER_DEPTH 64
#define MAX_FILE_ID_COMPONENTS 16

typedef struct study_series {
    char uid[PDVA_UID_MAX];
    bool multi_frame; /* one multi-frame file */
    char **files;
    size_t n_files, cap;
} study_series;

typedef struct rejected_file {
    char *path;
    char *reason;
    pdva_status status;
} rejected_file;

typedef struct seen_file {
    uint64_t device, inode;
} seen_file;

struct pdva_study {
    pdva_limits limits;
    study_series *series;
    size_t n_series, cap_series;
    rejected_file *rejected;
    size_t n_rejected, cap_rejected;
    seen_file *seen;
    size_t n_seen, cap_seen;
};

/* Grow *array (of *cap elements of size) to hold n + 1. */
static bool grow(void **array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *grown = pdva_realloc_array(*array, new_cap, size);
    if (!grown)
        return false;
    *array = grown;
    *cap = new_cap;
    return true;
}

static pdva_status reject(pdva_study *st, const char *path, pdva_status status, const char *reason,
                          pdva_error **err)
{
    if (!grow((void **)&st->rejected, &st->cap_rejected, st->n_rejected, sizeof *st->rejected))
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    rejected_file *r = &st->rejected[st->n_rejected];
    r->path = pdva_strdup(path);
    r->reason = pdva_strdup(reason);
    r->status = status;
    if (!r->path || !r->reason) {
        pdva_free(r->path);
        pdva_free(r->reason);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    }
    st->n_rejected++;
    return PDVA_OK;
}

/* Record the file; false when it was already taken. */
static pdva_status mark_seen(pdva_study *st, const struct stat *sb, bool *is_new, pdva_error **err)
{
    for (size_t i = 0; i < st->n_seen; i++)
        if (st->seen[i].device == (uint64_t)sb->st_dev &&
            st->seen[i].inode == (uint64_t)sb->st_ino) {
            *is_new = false;
            return PDVA_OK;
        }
    if (st->n_seen >= st->limits.max_files)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "more than %u files in the inputs",
                              st->limits.max_files);
    if (!grow((void **)&st->seen, &st->cap_seen, st->n_seen, sizeof *st->seen))
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    st->seen[st->n_seen++] = (seen_file){(uint64_t)sb->st_dev, (uint64_t)sb->st_ino};
    *is_new = true;
    return PDVA_OK;
}

/* Single-frame files join the other single-frame files of their Series Instance UID; a
 * multi-frame file is a series of its own (some systems store several runs under one UID). */
static pdva_status add_to_series(pdva_study *st, const char *uid, bool multi_frame,
                                 const char *path, pdva_error **err)
{
    study_series *s = NULL;
    for (size_t i = 0; i < st->n_series && !multi_frame; i++)
        if (!st->series[i].multi_frame && strcmp(st->series[i].uid, uid) == 0) {
            s = &st->series[i];
            break;
        }
    if (!s) {
        if (!grow((void **)&st->series, &st->cap_series, st->n_series, sizeof *st->series))
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
        s = &st->series[st->n_series++];
        memset(s, 0, sizeof *s);
        PDVA_READ_COPY(s->uid, uid);
        s->multi_frame = multi_frame;
    }
    if (!grow((void **)&s->files, &s->cap, s->n_files, sizeof *s->files))
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    s->files[s->n_files] = pdva_strdup(path);
    if (!s->files[s->n_files])
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    s->n_files++;
    return PDVA_OK;
}

static pdva_status scan_file(pdva_study *st, const char *path, pdva_error **err);

/* ---- DICOMDIR ---------------------------------------------------------------------------- */

typedef struct dicomdir_ctx {
    pdva_study *study;
    const char *dicomdir_path;
    char *folder; /* the DICOMDIR's folder */
} dicomdir_ctx;

static bool plain_component(const char *c, size_t len)
{
    if (len == 0 || len > 255)
        return false;
    if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)c[i];
        if (ch < 0x20 || ch == 0x7F || ch == '/' || ch == '\\')
            return false;
    }
    return true;
}

/* Append component `c` to path (capacity cap) as it exists on disk: exactly, else matched
 * case-insensitively (media copied from a CD may have lower-case names). Refuses symbolic
 * links. Returns false when the component does not exist (or is a link). */
static bool append_component(char *path, size_t cap, const char *c, size_t len, bool *is_link)
{
    size_t base = strlen(path);
    if (base + 1 + len + 1 > cap)
        return false;
    path[base] = '/';
    memcpy(path + base + 1, c, len);
    path[base + 1 + len] = '\0';
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        *is_link = S_ISLNK(sb.st_mode);
        return !*is_link;
    }
    path[base] = '\0';
    DIR *dir = opendir(base ? path : "/");
    if (!dir)
        return false;
    bool found = false;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strlen(e->d_name) == len && strncasecmp(e->d_name, c, len) == 0) {
            path[base] = '/';
            memcpy(path + base + 1, e->d_name, len);
            path[base + 1 + len] = '\0';
            found = lstat(path, &sb) == 0;
            *is_link = found && S_ISLNK(sb.st_mode);
            found = found && !*is_link;
            break;
        }
    }
    closedir(dir);
    if (!found)
        path[base] = '\0';
    return found;
}

static pdva_status dicomdir_entry(void *ctx_, const char *file_id, pdva_error **err)
{
    dicomdir_ctx *ctx = ctx_;
    char path[4096];
    char shown[300];
    pdva_read_copy_trimmed(shown, sizeof shown, file_id, strlen(file_id));
    size_t folder_len = strlen(ctx->folder);
    if (folder_len + 2 > sizeof path)
        return reject(ctx->study, ctx->dicomdir_path, PDVA_ERR_LIMIT_EXCEEDED,
                      "DICOMDIR folder path too long", err);
    memcpy(path, ctx->folder, folder_len + 1);
    const char *p = file_id;
    size_t components = 0;
    for (;;) {
        const char *sep = strchr(p, '\\');
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        /* CS values are padded with spaces */
        while (len > 0 && p[len - 1] == ' ')
            len--;
        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
        char why[600];
        if (!plain_component(p, len) || ++components > MAX_FILE_ID_COMPONENTS) {
            snprintf(why, sizeof why,
                     "%s: Referenced File ID '%s' is not a plain relative path inside the "
                     "DICOMDIR's folder: ignored",
                     pdva_read_basename(ctx->dicomdir_path), shown);
            return reject(ctx->study, ctx->dicomdir_path, PDVA_ERR_MALFORMED, why, err);
        }
        bool is_link = false;
        if (!append_component(path, sizeof path, p, len, &is_link)) {
            snprintf(why, sizeof why, "%s: Referenced File ID '%s' %s",
                     pdva_read_basename(ctx->dicomdir_path), shown,
                     is_link ? "goes through a symbolic link: not followed" : "does not exist");
            return reject(ctx->study, ctx->dicomdir_path,
                          is_link ? PDVA_ERR_IO : PDVA_ERR_NOT_FOUND, why, err);
        }
        if (!sep)
            break;
        p = sep + 1;
    }
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return reject(ctx->study, path, PDVA_ERR_IO,
                      "referenced by a DICOMDIR but not a regular file", err);
    return scan_file(ctx->study, path, err);
}

static pdva_status scan_dicomdir(pdva_study *st, const char *path, pdva_dcm_file *dcm,
                                 pdva_error **err)
{
    dicomdir_ctx ctx = {st, path, pdva_strdup(path)};
    if (!ctx.folder)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    char *slash = strrchr(ctx.folder, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(ctx.folder, strlen(ctx.folder) + 1, ".");
    pdva_error *local = NULL;
    pdva_status s = pdva_dcm_dicomdir_files(dcm, dicomdir_entry, &ctx, &local);
    pdva_free(ctx.folder);
    if (s == PDVA_OK)
        return PDVA_OK;
    if (s == PDVA_ERR_NO_MEMORY || s == PDVA_ERR_LIMIT_EXCEEDED) {
        pdva_error_move(err, &local);
        return s;
    }
    pdva_status r = reject(st, path, s, pdva_error_message(local), err);
    pdva_error_destroy(local);
    return r;
}

/* ---- files and folders ------------------------------------------------------------------- */

static pdva_status scan_file(pdva_study *st, const char *path, pdva_error **err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return reject(st, path, PDVA_ERR_IO, strerror(errno), err);
    bool is_new = false;
    pdva_status s = mark_seen(st, &sb, &is_new, err);
    if (s != PDVA_OK || !is_new)
        return s;
    pdva_read_prescan scan;
    pdva_error *local = NULL;
    s = pdva_read_prescan_file(path, &st->limits, &scan, &local);
    pdva_dcm_file *dcm = NULL;
    if (s == PDVA_OK) {
        s = pdva_dcm_file_open(path, &scan, true, &dcm, &local);
        pdva_read_prescan_clear(&scan);
    }
    if (s == PDVA_ERR_NO_MEMORY) {
        pdva_error_move(err, &local);
        return s;
    }
    if (s != PDVA_OK) {
        pdva_status r = reject(st, path, s, pdva_error_message(local), err);
        pdva_error_destroy(local);
        return r;
    }
    const char *name = pdva_read_basename(path);
    if (strcmp(scan.media_sop_class_uid, DICOMDIR_SOP_CLASS) == 0 ||
        strcmp(name, "DICOMDIR") == 0) {
        s = scan_dicomdir(st, path, dcm, err);
        pdva_dcm_file_destroy(dcm);
        return s;
    }
    char series_uid[PDVA_UID_MAX], frames_text[PDVA_READ_STR];
    s = pdva_dcm_file_ids(dcm, series_uid, frames_text, err);
    pdva_dcm_file_destroy(dcm);
    if (s != PDVA_OK)
        return s;
    int32_t frames = 1;
    bool multi_frame = pdva_read_parse_is(frames_text, &frames) && frames > 1;
    return add_to_series(st, series_uid, multi_frame, path, err);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static pdva_status scan_folder(pdva_study *st, const char *path, int depth, pdva_error **err)
{
    if (depth > MAX_FOLDER_DEPTH)
        return reject(st, path, PDVA_ERR_LIMIT_EXCEEDED, "folders nested too deep: not scanned",
                      err);
    DIR *dir = opendir(path);
    if (!dir)
        return depth == 0 ? pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open folder: %s",
                                           pdva_read_basename(path), strerror(errno))
                          : reject(st, path, PDVA_ERR_IO, strerror(errno), err);
    char **names = NULL;
    size_t n = 0, cap = 0;
    pdva_status s = PDVA_OK;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n >= st->limits.max_files) {
            s = pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "more than %u entries in a folder",
                               st->limits.max_files);
            break;
        }
        if (!grow((void **)&names, &cap, n, sizeof *names) ||
            !(names[n] = pdva_strdup(e->d_name))) {
            s = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
            break;
        }
        n++;
    }
    closedir(dir);
    if (s == PDVA_OK && n > 1)
        qsort(names, n, sizeof *names, compare_names);
    size_t path_len = strlen(path);
    for (size_t i = 0; i < n && s == PDVA_OK; i++) {
        size_t len = path_len + 1 + strlen(names[i]) + 1;
        char *child = pdva_malloc(len);
        if (!child) {
            s = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
            break;
        }
        snprintf(child, len, "%s%s%s", path, path_len > 0 && path[path_len - 1] == '/' ? "" : "/",
                 names[i]);
        struct stat sb;
        if (lstat(child, &sb) != 0)
            s = reject(st, child, PDVA_ERR_IO, strerror(errno), err);
        else if (S_ISLNK(sb.st_mode))
            s = reject(st, child, PDVA_ERR_IO, "symbolic link: not followed", err);
        else if (S_ISDIR(sb.st_mode))
            s = scan_folder(st, child, depth + 1, err);
        else if (S_ISREG(sb.st_mode))
            s = scan_file(st, child, err);
        pdva_free(child);
    }
    for (size_t i = 0; i < n; i++)
        pdva_free(names[i]);
    pdva_free(names);
    return s;
}

void pdva_study_destroy(pdva_study *study)
{
    if (!study)
        return;
    for (size_t i = 0; i < study->n_series; i++) {
        for (size_t k = 0; k < study->series[i].n_files; k++)
            pdva_free(study->series[i].files[k]);
        pdva_free(study->series[i].files);
    }
    pdva_free(study->series);
    for (size_t i = 0; i < study->n_rejected; i++) {
        pdva_free(study->rejected[i].path);
        pdva_free(study->rejected[i].reason);
    }
    pdva_free(study->rejected);
    pdva_free(study->seen);
    pdva_free(study);
}

pdva_status pdva_study_scan(const char *const *paths, size_t n_paths, const pdva_limits *limits,
                            pdva_study **out, pdva_error **err)
{
    if (out)
        *out = NULL;
    if (!paths || n_paths == 0 || !out)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pdva_study_scan: no paths or no output pointer");
    for (size_t i = 0; i < n_paths; i++)
        if (!paths[i] || !paths[i][0])
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "pdva_study_scan: path %zu is empty", i);
    pdva_status s = pdva_dicom_global_init(err);
    if (s != PDVA_OK)
        return s;
    pdva_study *st = pdva_calloc_array(1, sizeof *st);
    if (!st)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    s = pdva_limits_resolve(limits, &st->limits, err);
    for (size_t i = 0; i < n_paths && s == PDVA_OK; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            s = pdva_error_set(err, PDVA_ERR_IO, "%s: %s", pdva_read_basename(paths[i]),
                               strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            s = scan_folder(st, paths[i], 0, err);
        } else if (S_ISREG(sb.st_mode)) {
            s = scan_file(st, paths[i], err);
        } else {
            s = pdva_error_set(err, PDVA_ERR_IO, "%s: not a file or folder",
                               pdva_read_basename(paths[i]));
        }
    }
    if (s != PDVA_OK) {
        pdva_study_destroy(st);
        return s;
    }
    for (size_t i = 0; i < st->n_series; i++)
        qsort(st->series[i].files, st->series[i].n_files, sizeof(char *), compare_names);
    *out = st;
    return PDVA_OK;
}

size_t pdva_study_series_count(const pdva_study *study)
{
    return study ? study->n_series : 0;
}

const char *pdva_study_series_uid(const pdva_study *study, size_t i)
{
    return study && i < study->n_series ? study->series[i].uid : NULL;
}

size_t pdva_study_series_file_count(const pdva_study *study, size_t i)
{
    return study && i < study->n_series ? study->series[i].n_files : 0;
}

const char *const *pdva_study_series_files(const pdva_study *study, size_t i)
{
    return study && i < study->n_series ? (const char *const *)study->series[i].files : NULL;
}

pdva_status pdva_study_open_series(const pdva_study *study, size_t i, pdva_series **out,
                                   pdva_error **err)
{
    if (out)
        *out = NULL;
    if (!study || i >= study->n_series || !out)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pdva_study_open_series: no study, no such series or no output");
    return pdva_series_open((const char *const *)study->series[i].files, study->series[i].n_files,
                            &study->limits, out, err);
}

size_t pdva_study_rejected_count(const pdva_study *study)
{
    return study ? study->n_rejected : 0;
}

const char *pdva_study_rejected_path(const pdva_study *study, size_t i)
{
    return study && i < study->n_rejected ? study->rejected[i].path : NULL;
}

const char *pdva_study_rejected_reason(const pdva_study *study, size_t i)
{
    return study && i < study->n_rejected ? study->rejected[i].reason : NULL;
}

pdva_status pdva_study_rejected_status(const pdva_study *study, size_t i)
{
    return study && i < study->n_rejected ? study->rejected[i].status : PDVA_ERR_INVALID_ARGUMENT;
}
