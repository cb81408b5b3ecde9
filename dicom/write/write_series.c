/* write_series.c — pdva_dicom_write_xa_series(): validate, write every file of the run under a
 * temporary name in out_dir, and rename them into place only when all were written, so that a
 * failure leaves nothing behind.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/error.h"
#include "dicom/write/write_internal.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

typedef struct written_file {
    char *final_path; /* pdva_malloc'd */
    char *temp_path;  /* pdva_malloc'd */
    bool temp_exists;
    bool final_written;
} written_file;

static void free_paths(written_file *files, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        pdva_free(files[i].final_path);
        pdva_free(files[i].temp_path);
    }
}

static void remove_written(written_file *files, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (files[i].temp_exists)
            (void)unlink(files[i].temp_path);
        if (files[i].final_written)
            (void)unlink(files[i].final_path);
        files[i].temp_exists = files[i].final_written = false;
    }
}

static pdva_status check_out_dir(const char *out_dir, pdva_error **err)
{
    if (!out_dir || !*out_dir)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "out_dir is NULL or empty");
    struct stat st;
    if (stat(out_dir, &st) != 0)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "out_dir %s: %s", out_dir,
                              strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "out_dir %s is not a folder",
                              out_dir);
    return PDVA_OK;
}

/* Create an empty temporary file beside the final one, exclusively, readable by all. */
static pdva_status create_temp(written_file *f, pdva_error **err)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof buf, "%s.tmp-XXXXXX", f->final_path);
    if (n < 0 || (size_t)n >= sizeof buf)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "path too long: %s", f->final_path);
    f->temp_path = pdva_strdup(buf);
    if (!f->temp_path)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a file name");
    int fd = mkstemp(f->temp_path);
    if (fd < 0)
        return pdva_error_set(err, PDVA_ERR_IO, "cannot create %s: %s", f->temp_path,
                              strerror(errno));
    f->temp_exists = true;
    int failed = fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) != 0;
    int saved = errno;
    if (close(fd) != 0 || failed)
        return pdva_error_set(err, PDVA_ERR_IO, "cannot prepare %s: %s", f->temp_path,
                              strerror(failed ? saved : errno));
    return PDVA_OK;
}

static void instance_uids(const pdva_write_plan *plan, pdva_write_instance *inst)
{
    if (plan->sop_uid_root[0]) {
        /* validate.c checked that root + "." + the last number fits 64 characters */
        char buf[PDVA_WRITE_UID_MAX + 16];
        snprintf(buf, sizeof buf, "%s.%d", plan->sop_uid_root, inst->instance_number);
        memcpy(inst->sop_instance_uid, buf, PDVA_WRITE_UID_MAX - 1);
        inst->sop_instance_uid[PDVA_WRITE_UID_MAX - 1] = '\0';
    } else {
        char what[32];
        snprintf(what, sizeof what, "instance-%d", inst->instance_number);
        pdva_write_hash_uid(plan->desc->series_instance_uid, what, inst->sop_instance_uid);
    }
    pdva_write_hash_uid(inst->sop_instance_uid, "irradiation-event", inst->irradiation_event_uid);
}

static pdva_status write_all(const pdva_write_plan *plan, const char *out_dir,
                             const char *file_stem, written_file *files, uint32_t n_files,
                             pdva_error **err)
{
    for (uint32_t i = 0; i < n_files; i++) {
        written_file *f = &files[i];
        char buf[PATH_MAX];
        int n = plan->frame_per_file
                    ? snprintf(buf, sizeof buf, "%s/%s-%04u.dcm", out_dir, file_stem, i + 1)
                    : snprintf(buf, sizeof buf, "%s/%s.dcm", out_dir, file_stem);
        if (n < 0 || (size_t)n + 16 >= sizeof buf)
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "out_dir/file_stem too long");
        f->final_path = pdva_strdup(buf);
        if (!f->final_path)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a file name");
        pdva_status st = create_temp(f, err);
        if (st != PDVA_OK)
            return st;
        pdva_write_instance inst;
        memset(&inst, 0, sizeof inst);
        inst.plan = plan;
        inst.path = f->temp_path;
        inst.first_frame = plan->frame_per_file ? i : 0;
        inst.n_frames = plan->frame_per_file ? 1 : plan->desc->frames;
        inst.instance_number = (int32_t)(i + 1);
        instance_uids(plan, &inst);
        st = pdva_dcmtk_write_instance(&inst, err);
        if (st != PDVA_OK) {
            pdva_error_prefix(err, "writing %s", f->final_path);
            return st;
        }
    }
    for (uint32_t i = 0; i < n_files; i++) {
        written_file *f = &files[i];
        if (rename(f->temp_path, f->final_path) != 0)
            return pdva_error_set(err, PDVA_ERR_IO, "cannot rename %s to %s: %s", f->temp_path,
                                  f->final_path, strerror(errno));
        f->temp_exists = false;
        f->final_written = true;
    }
    return PDVA_OK;
}

pdva_status pdva_dicom_write_xa_series(const pdva_xa_series_desc *desc, const char *out_dir,
                                       const char *file_stem, pdva_error **err)
{
    pdva_status st;
    if (!desc)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT, "desc is NULL");
    if ((st = check_out_dir(out_dir, err)) != PDVA_OK ||
        (st = pdva_write_check_stem(file_stem, err)) != PDVA_OK)
        return st;
    pdva_write_plan plan;
    if ((st = pdva_write_plan_build(desc, &plan, err)) != PDVA_OK)
        return st;

    uint32_t n_files = plan.frame_per_file ? desc->frames : 1;
    written_file *files = pdva_calloc_array(n_files, sizeof *files);
    if (!files)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for %u file names", n_files);
    st = write_all(&plan, out_dir, file_stem, files, n_files, err);
    if (st != PDVA_OK)
        remove_written(files, n_files);
    free_paths(files, n_files);
    pdva_free(files);
    return st;
}
