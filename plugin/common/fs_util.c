/* fs_util.c — folders, tree removal, atomic writes, bounded reads, moving outputs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* mkostemp: the temporary file close-on-exec from its creation */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/common/fs_util.h"

int fs_make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (!path || !path[0] || snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Empty the folder open as `dfd` (taken: closed here), recursing into sub-folders by file
 * descriptor so that a symbolic link is removed, never followed. Depth is bounded: the plugin's
 * work folders are two levels deep; anything deeper than 64 is not ours. */
static int empty_dir_fd(int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        errno = e;
        return -1;
    }
    int rc = 0, first_errno = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            if (errno != ENOENT && !first_errno)
                first_errno = errno;
            continue;
        }
        /* a folder: open it without following links, empty it, remove it */
        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || depth >= 64) {
            if (sub >= 0)
                close(sub);
            if (!first_errno)
                first_errno = sub < 0 ? errno : ELOOP;
            continue;
        }
        if (empty_dir_fd(sub, depth + 1) != 0 && !first_errno)
            first_errno = errno;
        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first_errno)
            first_errno = errno;
    }
    closedir(d);
    if (first_errno) {
        errno = first_errno;
        rc = -1;
    }
    return rc;
}

int fs_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = empty_dir_fd(fd, 0);
    int e = errno;
    if (rmdir(path) != 0 && errno != ENOENT) {
        if (rc == 0)
            e = errno;
        rc = -1;
    }
    errno = e;
    return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len)
{
    /* a temporary name of its own for each write: two analyses of one series at once (two
     * worker threads of one process) write the same files, and a name shared by the process
     * let one rename the other's half-written file away */
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-XXXXXX", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fchmod(fd, 0640) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

char *fs_read_file(const char *path, size_t max_bytes, size_t *len_out)
{
    if (len_out)
        *len_out = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t len = 0;
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

int fs_move_entries(const char *from, const char *to, const char *skip)
{
    DIR *d = opendir(from);
    if (!d)
        return -1;
    int first_errno = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            (skip && strcmp(de->d_name, skip) == 0))
            continue;
        char src[PATH_MAX], dst[PATH_MAX];
        if (snprintf(src, sizeof src, "%s/%s", from, de->d_name) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", to, de->d_name) >= (int)sizeof dst) {
            if (!first_errno)
                first_errno = ENAMETOOLONG;
            continue;
        }
        if ((fs_remove_tree(dst) != 0 || rename(src, dst) != 0) && !first_errno)
            first_errno = errno;
    }
    closedir(d);
    if (first_errno) {
        errno = first_errno;
        return -1;
    }
    return 0;
}
