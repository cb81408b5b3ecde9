/* output_dir.c — creating the folder of the report.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin/runner/output_dir.h"

int output_dir_make(const char *dir, FILE *errors)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        fprintf(errors, "pdva: output folder name too long\n");
        return -1;
    }
    /* mkdir -p: each prefix ending before a '/', then the whole */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(errors, "pdva: cannot create %s: %s\n", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(errors, "pdva: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(errors, "pdva: %s exists and is not a folder\n", path);
        return -1;
    }
    if (access(path, W_OK | X_OK) != 0) {
        fprintf(errors, "pdva: cannot write into %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int output_dir_cwd_inside_inputs(const char *const *paths, size_t n_paths)
{
    char cwd[PATH_MAX];
    if (!realpath(".", cwd))
        return 0;
    size_t cwd_len = strlen(cwd);
    for (size_t i = 0; i < n_paths; i++) {
        char in[PATH_MAX];
        struct stat st;
        if (!realpath(paths[i], in) || stat(in, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        size_t len = strlen(in);
        if (len == 1 && in[0] == '/')
            return 1;
        if (cwd_len >= len && memcmp(cwd, in, len) == 0 && (cwd[len] == '\0' || cwd[len] == '/'))
            return 1;
    }
    return 0;
}

/* A UID is digits and dots; anything else (or nothing) gives a timestamp. */
static int usable_uid(const char *uid)
{
    if (!uid || !uid[0] || strlen(uid) > 64)
        return 0;
    for (const char *p = uid; *p; p++)
        if (!(*p == '.' || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

int output_dir_make_default(const char *study_uid, char *out, size_t cap, FILE *errors)
{
    char base[96];
    if (usable_uid(study_uid)) {
        snprintf(base, sizeof base, "pdva-report-%s", study_uid);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(base, sizeof base, "pdva-report-%Y%m%d-%H%M%S", &tm);
    }
    for (int k = 1; k <= 999; k++) {
        int n = k == 1 ? snprintf(out, cap, "%s", base) : snprintf(out, cap, "%s-%d", base, k);
        if (n < 0 || (size_t)n >= cap) {
            fprintf(errors, "pdva: output folder name too long\n");
            return -1;
        }
        if (mkdir(out, 0777) == 0)
            return 0;
        if (errno != EEXIST) {
            fprintf(errors, "pdva: cannot create %s: %s\n", out, strerror(errno));
            return -1;
        }
    }
    fprintf(errors, "pdva: too many %s-N folders here; give --out\n", base);
    return -1;
}
