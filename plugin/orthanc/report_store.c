/* report_store.c — the reports folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/common/fs_util.h"
#include "plugin/orthanc/report_store.h"

/* A report is at most a few MB; anything larger in the folder is not ours. */
#define REPORT_MAX_BYTES (64u << 20)

static const char *const suffixes[] = {".report.json", ".summary.txt", ".meta.json"};

bool orthanc_id_is_valid(const char *id)
{
    if (!id)
        return false;
    for (size_t i = 0; i < ORTHANC_ID_LEN; i++) {
        char c = id[i];
        if (i % 9 == 8) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return id[ORTHANC_ID_LEN] == '\0';
}

static int file_path(const report_store *store, const char *series_id, report_file which, char *out,
                     size_t cap)
{
    if (!orthanc_id_is_valid(series_id) || (unsigned)which > REPORT_FILE_META) {
        errno = EINVAL;
        return -1;
    }
    if (snprintf(out, cap, "%s/%s%s", store->dir, series_id, suffixes[which]) >= (int)cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int report_store_open(report_store *store, const char *dir)
{
    if (snprintf(store->dir, sizeof store->dir, "%s", dir) >= (int)sizeof store->dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (fs_make_dirs(store->dir, 0750) != 0)
        return -1;
    if (access(store->dir, W_OK | X_OK) != 0)
        return -1;
    /* "<name>.tmp-<pid>-<random>" files are writes a crash interrupted */
    DIR *d = opendir(store->dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strstr(de->d_name, ".tmp-") || strlen(de->d_name) <= ORTHANC_ID_LEN)
            continue;
        char id[ORTHANC_ID_LEN + 1];
        memcpy(id, de->d_name, ORTHANC_ID_LEN);
        id[ORTHANC_ID_LEN] = '\0';
        if (orthanc_id_is_valid(id))
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    return 0;
}

static int files_dir_path(const report_store *store, const char *series_id, char *out, size_t cap)
{
    if (!orthanc_id_is_valid(series_id)) {
        errno = EINVAL;
        return -1;
    }
    if (snprintf(out, cap, "%s/%s.files", store->dir, series_id) >= (int)cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static bool has_outputs(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                strcmp(de->d_name, "report.json") != 0;
    closedir(d);
    return found;
}

int report_store_put(const report_store *store, const char *series_id, const pdva_report *report,
                     const char *meta_json, const char *outputs_dir, char *error, size_t cap)
{
    char path[PATH_MAX];
    const char *summary = pdva_report_summary(report);
    if (files_dir_path(store, series_id, path, sizeof path) != 0 || fs_remove_tree(path) != 0) {
        snprintf(error, cap, "cannot replace %s: %s", path, strerror(errno));
        return -1;
    }
    if (has_outputs(outputs_dir) &&
        (mkdir(path, 0750) != 0 || fs_move_entries(outputs_dir, path, "report.json") != 0)) {
        snprintf(error, cap, "cannot keep the outputs of the analysis in %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (file_path(store, series_id, REPORT_FILE_META, path, sizeof path) != 0 ||
        fs_write_atomic(path, meta_json, strlen(meta_json)) != 0) {
        snprintf(error, cap, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    if (file_path(store, series_id, REPORT_FILE_SUMMARY, path, sizeof path) != 0 ||
        fs_write_atomic(path, summary, strlen(summary)) != 0) {
        snprintf(error, cap, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    pdva_error *err = NULL;
    if (file_path(store, series_id, REPORT_FILE_JSON, path, sizeof path) != 0 ||
        pdva_report_write(report, path, &err) != PDVA_OK) {
        snprintf(error, cap, "cannot write the report: %s",
                 err ? pdva_error_message(err) : strerror(errno));
        pdva_error_destroy(err);
        return -1;
    }
    return 0;
}

char *report_store_read(const report_store *store, const char *series_id, report_file which,
                        size_t *len)
{
    char path[PATH_MAX];
    if (file_path(store, series_id, which, path, sizeof path) != 0)
        return NULL;
    /* the three files go together: no report, no summary */
    if (which != REPORT_FILE_JSON && !report_store_has(store, series_id)) {
        errno = ENOENT;
        return NULL;
    }
    return fs_read_file(path, REPORT_MAX_BYTES, len);
}

bool report_store_has(const report_store *store, const char *series_id)
{
    char path[PATH_MAX];
    return file_path(store, series_id, REPORT_FILE_JSON, path, sizeof path) == 0 &&
           access(path, R_OK) == 0;
}

int report_store_remove(const report_store *store, const char *series_id)
{
    int rc = 0;
    /* the report first: once it is gone the set counts as absent */
    for (int i = 0; i <= (int)REPORT_FILE_META; i++) {
        char path[PATH_MAX];
        if (file_path(store, series_id, (report_file)i, path, sizeof path) != 0 ||
            (unlink(path) != 0 && errno != ENOENT))
            rc = -1;
    }
    char dir[PATH_MAX];
    if (files_dir_path(store, series_id, dir, sizeof dir) != 0 || fs_remove_tree(dir) != 0)
        rc = -1;
    return rc;
}

bool report_store_relative_path_ok(const char *relative)
{
    if (!relative || !relative[0] || strlen(relative) > 255)
        return false;
    unsigned segments = 0;
    const char *p = relative;
    while (*p) {
        if (*p == '.' || *p == '/')
            return false; /* a segment may not start with '.', nor be empty */
        segments++;
        while (*p && *p != '/') {
            char c = *p++;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-'))
                return false;
        }
        if (*p == '/' && !*++p)
            return false; /* no trailing slash */
    }
    return segments <= 8;
}

char *report_store_read_output(const report_store *store, const char *series_id,
                               const char *relative, size_t *len)
{
    char dir[PATH_MAX], path[2 * PATH_MAX];
    if (!report_store_relative_path_ok(relative) ||
        files_dir_path(store, series_id, dir, sizeof dir) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!report_store_has(store, series_id)) {
        errno = ENOENT;
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, relative);
    /* no link may lead out of the folder */
    char real_dir[PATH_MAX], real_path[PATH_MAX];
    if (!realpath(dir, real_dir) || !realpath(path, real_path))
        return NULL;
    size_t n = strlen(real_dir);
    if (strncmp(real_path, real_dir, n) != 0 || real_path[n] != '/') {
        errno = EINVAL;
        return NULL;
    }
    return fs_read_file(real_path, REPORT_MAX_BYTES, len);
}

int report_store_foreach(const report_store *store, void (*fn)(void *user, const char *series_id),
                         void *user)
{
    DIR *d = opendir(store->dir);
    if (!d)
        return -1;
    struct dirent *de;
    size_t suffix_len = strlen(suffixes[REPORT_FILE_JSON]);
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len != ORTHANC_ID_LEN + suffix_len ||
            strcmp(de->d_name + ORTHANC_ID_LEN, suffixes[REPORT_FILE_JSON]) != 0)
            continue;
        char id[ORTHANC_ID_LEN + 1];
        memcpy(id, de->d_name, ORTHANC_ID_LEN);
        id[ORTHANC_ID_LEN] = '\0';
        if (orthanc_id_is_valid(id))
            fn(user, id);
    }
    closedir(d);
    return 0;
}
