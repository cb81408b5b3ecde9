/* fs_util.h — the few file-system operations the hosts (runner, Orthanc plugin) need: folders
 * created with their parents, trees removed without following symbolic links, files written
 * atomically and read with a bound, the outputs of an analysis moved into place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_COMMON_FS_UTIL_H
#define PDVA_COMMON_FS_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with `mode` for the folders it creates. Returns 0 or -1 (errno set). */
int fs_make_dirs(const char *path, mode_t mode);

/* rm -rf `path`: never follows a symbolic link out of the tree. A missing path is success.
 * Returns 0 or -1 (errno of the first failure). */
int fs_remove_tree(const char *path);

/* Write `len` bytes to `path` through a temporary file beside it, fsync, rename. Returns 0 or
 * -1 (errno set; the temporary file is removed). */
int fs_write_atomic(const char *path, const void *data, size_t len);

/* Read a whole file of at most `max_bytes` into a NUL-terminated malloc'ed buffer (caller
 * frees with free()). NULL with errno ENOENT when missing, EFBIG when larger than the bound. */
char *fs_read_file(const char *path, size_t max_bytes, size_t *len_out);

/* Move every entry of the folder `from` into the folder `to` (same file system), replacing an
 * entry of the same name there (a previous analysis' output); entries named `skip` (may be NULL)
 * stay. Returns 0 or -1 (errno of the first failure; the entries moved so far stay moved). */
int fs_move_entries(const char *from, const char *to, const char *skip);

#endif /* PDVA_COMMON_FS_UTIL_H */
