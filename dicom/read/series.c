/* series.c — opening a series (one multi-frame file, or one frame per file) and reading its
 * frames one at a time.
 *
 * Every file is pre-scanned (prescan.c), parsed by DCMTK with large values left on disk, and
 * its header checked against the limits before anything sized by it is allocated. A native
 * little-endian frame is read straight from the offset the pre-scan found, with one pread
 * (through a descriptor kept open for a multi-frame file; DCMTK's parse is dropped after open);
 * a big-endian one with DCMTK's partial value access (it swaps the bytes); a compressed one is
 * decoded by DCMTK's codecs from the file kept parsed. A series of single-frame files keeps
 * only small per-file facts; a file other than native little endian is parsed again when its
 * frame is read. Every file is checked not to have changed since the pre-scan. Frames are decoded straight into the caller's buffer when the samples are 16-bit,
 * then mapped to output values in place (pixel_map.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/limits.h"
#include "dicom/read/dcmtk_read_shim.h"
#include "dicom/read/read_internal.h"

#define JPEG_HEAD_SMALL 4096u
#define JPEG_HEAD_LARGE 65536u
#define N_TIME_SOURCES 4

static const char *const time_source_names[N_TIME_SOURCES] = {
    "Frame Acquisition DateTime", "Acquisition DateTime", "Acquisition Date/Time",
    "Content Date/Time"};

typedef struct series_file {
    char *path;
    const char *name; /* basename of path */
    pdva_read_prescan scan;
    uint32_t *starts; /* encapsulated: first fragment of each frame, frames + 1 */
    uint32_t frames;
    char sop_instance_uid[PDVA_UID_MAX];
    bool has_instance_number;
    int32_t instance_number;
    bool has_time[N_TIME_SOURCES];
    int64_t time_us[N_TIME_SOURCES];
    int64_t order_time_us;
} series_file;

struct pdva_series {
    pdva_series_info info;
    pdva_limits limits;
    series_file *files;
    size_t n_files;
    bool readable; /* angiographic, validated: frames can be read */
    pdva_read_pixel_map map;
    size_t open_index; /* file parsed in `dcm`, or SIZE_MAX */
    pdva_dcm_file *dcm;
    FILE *fp;         /* the open file, for code stream checks */
    int native_fd;    /* one native little-endian file: its descriptor, read directly; or -1 */
    uint8_t *scratch; /* 8-bit containers: one frame of bytes */
    size_t scratch_size;
    uint8_t *head; /* JPEG header bytes */
};

/* ---- small helpers ------------------------------------------------------------------------ */

static void close_current(pdva_series *s)
{
    pdva_dcm_file_destroy(s->dcm);
    s->dcm = NULL;
    if (s->fp)
        fclose(s->fp);
    s->fp = NULL;
    s->open_index = SIZE_MAX;
}

void pdva_series_destroy(pdva_series *series)
{
    if (!series)
        return;
    close_current(series);
    for (size_t i = 0; i < series->n_files; i++) {
        pdva_free(series->files[i].path);
        pdva_read_prescan_clear(&series->files[i].scan);
        pdva_free(series->files[i].starts);
    }
    pdva_free(series->files);
    pdva_free(series->info.frame_times_s);
    pdva_read_pixel_map_clear(&series->map);
    pdva_free(series->scratch);
    pdva_free(series->head);
    pdva_free(series);
}

const pdva_series_info *pdva_series_get_info(const pdva_series *series)
{
    return series ? &series->info : NULL;
}

/* Rows, columns and Number of Frames against the limits, before anything sized by them. */
static pdva_status check_header_limits(const pdva_read_header *h, const series_file *f,
                                       const pdva_limits *limits, pdva_error **err)
{
    if (h->has_rows && h->rows > limits->max_rows)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: %u rows exceed the limit of %u",
                              f->name, h->rows, limits->max_rows);
    if (h->has_columns && h->columns > limits->max_columns)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: %u columns exceed the limit of %u",
                              f->name, h->columns, limits->max_columns);
    int32_t frames = 0;
    if (h->number_of_frames[0] && pdva_read_parse_is(h->number_of_frames, &frames) && frames > 0 &&
        (uint32_t)frames > limits->max_frames)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: %d frames exceed the limit of %u",
                              f->name, frames, limits->max_frames);
    return PDVA_OK;
}

/* Number of Frames: 1 when absent; a positive integer otherwise. */
static pdva_status parse_frames(const pdva_read_header *h, const series_file *f, uint32_t *frames,
                                pdva_error **err)
{
    if (!h->has_number_of_frames) {
        *frames = 1;
        return PDVA_OK;
    }
    int32_t n = 0;
    if (!pdva_read_parse_is(h->number_of_frames, &n))
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: Number of Frames '%s' is not an integer", f->name,
                              h->number_of_frames);
    if (n <= 0)
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: Number of Frames is %d", f->name, n);
    *frames = (uint32_t)n;
    return PDVA_OK;
}

static void time_keys(series_file *f, const pdva_read_header *h)
{
    int64_t us = 0, days = 0;
    f->has_time[0] = pdva_read_parse_dt(h->frame_acquisition_datetime, &us);
    f->time_us[0] = us;
    f->has_time[1] = pdva_read_parse_dt(h->acquisition_datetime, &us);
    f->time_us[1] = us;
    f->has_time[2] = pdva_read_parse_tm(h->acquisition_time, true, &us);
    f->time_us[2] = us + (pdva_read_parse_da(h->acquisition_date, &days) ? days * 86400000000 : 0);
    f->has_time[3] = pdva_read_parse_tm(h->content_time, true, &us);
    f->time_us[3] = us + (pdva_read_parse_da(h->content_date, &days) ? days * 86400000000 : 0);
    int32_t n = 0;
    f->has_instance_number = pdva_read_parse_is(h->instance_number, &n);
    f->instance_number = n;
    PDVA_READ_COPY(f->sop_instance_uid, h->sop_instance_uid);
}

/* Pre-scan and parse file i; fill *hdr. With keep, the DCMTK parse stays open in s. */
static pdva_status load_file(pdva_series *s, size_t i, bool keep, pdva_read_header *hdr,
                             pdva_error **err)
{
    series_file *f = &s->files[i];
    memset(hdr, 0, sizeof *hdr);
    pdva_status st = pdva_read_prescan_file(f->path, &s->limits, &f->scan, err);
    if (st != PDVA_OK)
        return st;
    pdva_dcm_file *dcm = NULL;
    /* a file parsed only for its header stops before its pixel data */
    st = pdva_dcm_file_open(f->path, &f->scan, !keep, &dcm, err);
    if (st != PDVA_OK)
        return st;
    st = pdva_dcm_file_header(dcm, &s->limits, hdr, err);
    if (st == PDVA_OK)
        st = check_header_limits(hdr, f, &s->limits, err);
    if (st != PDVA_OK || !keep) {
        pdva_dcm_file_destroy(dcm);
        return st;
    }
    s->dcm = dcm;
    s->open_index = i;
    return PDVA_OK;
}

/* ---- the pixel description ----------------------------------------------------------------- */

/* Check the image pixel module of hdr and fill the grid fields of info. */
static pdva_status validate_pixels(const pdva_read_header *h, const series_file *f,
                                   const pdva_limits *limits, pdva_series_info *info,
                                   pdva_error **err)
{
    if (!h->has_rows || !h->has_columns || h->rows == 0 || h->columns == 0)
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: Rows or Columns missing or 0", f->name);
    if (!h->has_bits_allocated || (h->bits_allocated != 8 && h->bits_allocated != 16))
        return pdva_error_set(err,
                              h->has_bits_allocated ? PDVA_ERR_UNSUPPORTED : PDVA_ERR_MALFORMED,
                              "%s: Bits Allocated %u is not supported (8 or 16 only)", f->name,
                              h->has_bits_allocated ? h->bits_allocated : 0);
    if (!h->has_bits_stored || h->bits_stored == 0 || h->bits_stored > h->bits_allocated)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: Bits Stored %u does not fit Bits Allocated %u", f->name,
                              h->bits_stored, h->bits_allocated);
    if (h->has_high_bit && (h->high_bit + 1 < h->bits_stored || h->high_bit >= h->bits_allocated))
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: High Bit %u does not fit Bits Stored %u / Allocated %u", f->name,
                              h->high_bit, h->bits_stored, h->bits_allocated);
    if (!h->has_high_bit)
        pdva_read_note(info->warnings, sizeof info->warnings, "High Bit missing: %u assumed",
                       h->bits_stored - 1);
    if (h->has_pixel_representation && h->pixel_representation > 1)
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: Pixel Representation %u", f->name,
                              h->pixel_representation);
    if (!h->has_pixel_representation)
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "Pixel Representation missing: unsigned assumed");
    if (h->has_samples_per_pixel && h->samples_per_pixel != 1)
        return pdva_error_set(err, PDVA_ERR_UNSUPPORTED,
                              "%s: colour images (Samples per Pixel %u, %s) are not supported: "
                              "monochrome only",
                              f->name, h->samples_per_pixel,
                              h->photometric[0] ? h->photometric : "no photometric");
    if (!h->has_samples_per_pixel)
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "Samples per Pixel missing: 1 assumed");
    if (h->photometric[0] && strcmp(h->photometric, "MONOCHROME1") != 0 &&
        strcmp(h->photometric, "MONOCHROME2") != 0)
        return pdva_error_set(err, PDVA_ERR_UNSUPPORTED,
                              "%s: Photometric Interpretation %s is not supported: monochrome "
                              "only",
                              f->name, h->photometric);
    if (!h->photometric[0])
        pdva_read_note(info->warnings, sizeof info->warnings,
                       "Photometric Interpretation missing: MONOCHROME2 assumed");
    uint64_t pixels = (uint64_t)h->rows * h->columns;
    uint64_t frame_bytes = pixels * (h->bits_allocated / 8u);
    if (frame_bytes > limits->max_frame_bytes || pixels * 2 > limits->max_frame_bytes)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED,
                              "%s: a %ux%u frame exceeds the limit of %llu bytes", f->name,
                              h->columns, h->rows, (unsigned long long)limits->max_frame_bytes);
    info->rows = h->rows;
    info->columns = h->columns;
    info->bits_allocated = h->bits_allocated;
    info->bits_stored = h->bits_stored;
    info->pixel_signed = h->has_pixel_representation && h->pixel_representation == 1;
    info->monochrome1 = strcmp(h->photometric, "MONOCHROME1") == 0;
    return PDVA_OK;
}

/* Where the frames of file f lie: native size check, or the fragments of each frame. */
static pdva_status locate_frames(pdva_series *s, series_file *f, pdva_error **err)
{
    const pdva_read_xfer *x = f->scan.xfer;
    if (x->kind == PDVA_XFER_REFUSED || x->kind == PDVA_XFER_UNKNOWN ||
        x->kind == PDVA_XFER_UNPARSABLE)
        return pdva_error_set(err, PDVA_ERR_UNSUPPORTED, "%s: %s %s is not supported by this build",
                              f->name, x->long_name, x->uid);
    if (!f->scan.has_pixel_data)
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: no Pixel Data (7FE0,0010)", f->name);
    if (x->encapsulated != f->scan.pixel_encapsulated)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: the transfer syntax %s says the pixel data is %s but it is not",
                              f->name, x->short_name, x->encapsulated ? "encapsulated" : "native");
    if (!x->encapsulated) {
        uint64_t need =
            (uint64_t)s->info.rows * s->info.columns * (s->info.bits_allocated / 8u) * f->frames;
        if (f->scan.pixel_length < need)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: %u frame(s) of %ux%u need %llu bytes of pixel data, the "
                                  "file holds %u",
                                  f->name, f->frames, s->info.columns, s->info.rows,
                                  (unsigned long long)need, f->scan.pixel_length);
        return PDVA_OK;
    }
    FILE *fp = fopen(f->path, "rb");
    if (!fp)
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open", f->name);
    pdva_status st = pdva_read_map_fragments(fp, &f->scan, f->frames, x, f->name, &f->starts,
                                             s->info.warnings, sizeof s->info.warnings, err);
    fclose(fp);
    if (st == PDVA_OK && f->scan.pixel_sequence_unterminated)
        pdva_read_note(s->info.warnings, sizeof s->info.warnings,
                       "%s: the pixel data lacks its final delimiter (file cut after the last "
                       "fragment?)",
                       f->name);
    return st;
}

/* Fill what is known of a file we will not read frames from. */
static void describe_unreadable(pdva_series *s, const pdva_read_header *h, uint32_t frames)
{
    pdva_series_info *info = &s->info;
    info->rows = h->has_rows ? h->rows : 0;
    info->columns = h->has_columns ? h->columns : 0;
    info->bits_allocated = h->has_bits_allocated ? h->bits_allocated : 0;
    info->bits_stored = h->has_bits_stored ? h->bits_stored : 0;
    info->pixel_signed = h->has_pixel_representation && h->pixel_representation == 1;
    info->monochrome1 = strcmp(h->photometric, "MONOCHROME1") == 0;
    info->frames = frames;
    info->rescale_slope = 1.0;
    info->rescale_intercept = 0.0;
    pdva_read_compute_spacing(h, info);
    pdva_read_fill_context(h, s->files[0].scan.xfer, info);
}

static pdva_status finish_readable(pdva_series *s, const pdva_read_header *h, pdva_error **err)
{
    pdva_series_info *info = &s->info;
    pdva_status st = pdva_read_pixel_map_build(h, info, &s->map, err);
    if (st != PDVA_OK)
        return st;
    pdva_read_compute_spacing(h, info);
    pdva_read_fill_context(h, s->files[0].scan.xfer, info);
    size_t pixels = (size_t)info->rows * info->columns;
    if (info->bits_allocated == 8) {
        s->scratch_size = pixels + 2;
        s->scratch = pdva_malloc(s->scratch_size);
        if (!s->scratch)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    }
    s->readable = true;
    return PDVA_OK;
}

/* Whether sb (stat of the path, or fstat of a descriptor) is still the file the pre-scan saw:
 * same size, modification time, inode and device. */
static bool same_file(const series_file *f, const struct stat *sb)
{
    return (uint64_t)sb->st_size == f->scan.file_size &&
           (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec == f->scan.mtime_ns &&
           (uint64_t)sb->st_ino == f->scan.inode && (uint64_t)sb->st_dev == f->scan.device;
}

/* Open f read-only into *fd and check that it is still the file the pre-scan saw (size, time,
 * inode): frames are read from the offsets that scan found. */
static pdva_status open_unchanged(const series_file *f, int *fd, pdva_error **err)
{
    *fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open: %s", f->name, strerror(errno));
    struct stat sb;
    pdva_status st = PDVA_OK;
    if (fstat(*fd, &sb) != 0)
        st = pdva_error_set(err, PDVA_ERR_IO, "%s: cannot stat", f->name);
    else if (!same_file(f, &sb))
        st = pdva_error_set(err, PDVA_ERR_INCONSISTENT, "%s changed since the series was opened",
                            f->name);
    if (st != PDVA_OK) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

/* ---- one multi-frame (or single-frame) file --------------------------------------------- */

static pdva_status open_single(pdva_series *s, pdva_error **err)
{
    series_file *f = &s->files[0];
    pdva_read_header h;
    pdva_status st = load_file(s, 0, true, &h, err);
    if (st != PDVA_OK)
        goto done;
    pdva_series_info *info = &s->info;
    const pdva_read_xfer *x = f->scan.xfer;
    PDVA_READ_COPY(info->transfer_syntax_uid, x->uid);
    PDVA_READ_COPY(info->transfer_syntax_name, x->short_name);
    info->kind = pdva_read_classify(h.sop_class_uid, h.modality, info->reason, sizeof info->reason);
    info->n_files = 1;
    pdva_read_note(info->warnings, sizeof info->warnings, "%s", h.warnings);
    if (info->kind == PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
        uint32_t frames = 0;
        pdva_error *ignored = NULL;
        if (parse_frames(&h, f, &frames, &ignored) != PDVA_OK) {
            pdva_read_note(info->warnings, sizeof info->warnings, "%s",
                           pdva_error_message(ignored));
            frames = 0;
        }
        pdva_error_destroy(ignored);
        describe_unreadable(s, &h, frames);
        close_current(s);
        goto done;
    }
    st = parse_frames(&h, f, &f->frames, err);
    if (st == PDVA_OK)
        st = validate_pixels(&h, f, &s->limits, info, err);
    if (st != PDVA_OK)
        goto done;
    info->frames = f->frames;
    uint64_t series_bytes = (uint64_t)info->rows * info->columns * 2u * info->frames;
    if (series_bytes > s->limits.max_series_bytes) {
        st = pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED,
                            "%s: %u frames of %ux%u exceed the series limit of %llu bytes", f->name,
                            info->frames, info->columns, info->rows,
                            (unsigned long long)s->limits.max_series_bytes);
        goto done;
    }
    st = locate_frames(s, f, err);
    if (st != PDVA_OK)
        goto done;
    bool enhanced = info->kind == PDVA_IMAGE_ENHANCED_XA || info->kind == PDVA_IMAGE_ENHANCED_XRF;
    st = pdva_read_compute_timing(&h, info->frames, enhanced, info, err);
    if (st != PDVA_OK)
        goto done;
    st = finish_readable(s, &h, err);
    if (st == PDVA_OK && x->encapsulated) {
        s->fp = fopen(f->path, "rb");
        if (!s->fp)
            st = pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open", f->name);
    } else if (st == PDVA_OK && !x->big_endian) {
        /* frames are read from the descriptor; DCMTK's parse is no longer needed */
        st = open_unchanged(f, &s->native_fd, err);
        if (st == PDVA_OK)
            close_current(s);
    }
done:
    pdva_read_header_clear(&h);
    return st;
}

/* ---- one frame per file ------------------------------------------------------------------ */

static int compare_uid(const void *a, const void *b)
{
    const series_file *const *fa = a, *const *fb = b;
    return strcmp((*fa)->sop_instance_uid, (*fb)->sop_instance_uid);
}

static int compare_instance(const void *a, const void *b)
{
    const series_file *fa = a, *fb = b;
    if (fa->instance_number != fb->instance_number)
        return fa->instance_number < fb->instance_number ? -1 : 1;
    return strcmp(fa->path, fb->path);
}

static int compare_time(const void *a, const void *b)
{
    const series_file *fa = a, *fb = b;
    if (fa->order_time_us != fb->order_time_us)
        return fa->order_time_us < fb->order_time_us ? -1 : 1;
    return compare_instance(a, b);
}

static int compare_path(const void *a, const void *b)
{
    const series_file *fa = a, *fb = b;
    return strcmp(fa->path, fb->path);
}

/* File i must agree with the first file on everything that shapes a frame. */
static pdva_status check_same(const series_file *f0, const pdva_read_header *h0,
                              pdva_image_kind kind0, const series_file *f,
                              const pdva_read_header *h, pdva_image_kind kind, pdva_error **err)
{
    if (strcmp(h0->series_instance_uid, h->series_instance_uid) != 0)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT,
                              "%s and %s belong to different series (Series Instance UID %s and "
                              "%s)",
                              f0->name, f->name, h0->series_instance_uid, h->series_instance_uid);
    if (kind0 != kind)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT, "%s is %s but %s is %s", f0->name,
                              pdva_image_kind_name(kind0), f->name, pdva_image_kind_name(kind));
    if (h0->rows != h->rows || h0->columns != h->columns)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT, "%s is %ux%u but %s is %ux%u", f0->name,
                              h0->columns, h0->rows, f->name, h->columns, h->rows);
    if (h0->bits_allocated != h->bits_allocated || h0->bits_stored != h->bits_stored ||
        h0->high_bit != h->high_bit || h0->pixel_representation != h->pixel_representation)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT,
                              "%s stores %u of %u bits (%s) but %s stores %u of %u bits (%s)",
                              f0->name, h0->bits_stored, h0->bits_allocated,
                              h0->pixel_representation ? "signed" : "unsigned", f->name,
                              h->bits_stored, h->bits_allocated,
                              h->pixel_representation ? "signed" : "unsigned");
    if (strcmp(h0->photometric, h->photometric) != 0 ||
        h0->samples_per_pixel != h->samples_per_pixel)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT, "%s is %s but %s is %s", f0->name,
                              h0->photometric, f->name, h->photometric);
    if (strcmp(h0->rescale_slope, h->rescale_slope) != 0 ||
        strcmp(h0->rescale_intercept, h->rescale_intercept) != 0 ||
        h0->has_modality_lut != h->has_modality_lut)
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT,
                              "%s and %s transform their pixel values differently (rescale or "
                              "Modality LUT)",
                              f0->name, f->name);
    return PDVA_OK;
}

/* Order the files by instance time when every file has distinct times of one kind, else by
 * Instance Number; set the timing of the series. */
static pdva_status order_files(pdva_series *s, const pdva_read_header *h0, pdva_error **err)
{
    pdva_series_info *info = &s->info;
    size_t n = s->n_files;
    int source = -1;
    for (int k = 0; k < N_TIME_SOURCES && source < 0; k++) {
        bool all = true;
        for (size_t i = 0; i < n && all; i++)
            all = s->files[i].has_time[k];
        if (all)
            source = k;
    }
    bool by_time = false;
    if (source >= 0) {
        for (size_t i = 0; i < n; i++)
            s->files[i].order_time_us = s->files[i].time_us[source];
        qsort(s->files, n, sizeof *s->files, compare_time);
        by_time = true;
        for (size_t i = 1; i < n && by_time; i++)
            by_time = s->files[i].order_time_us != s->files[i - 1].order_time_us;
        if (!by_time)
            pdva_read_note(info->timing_note, sizeof info->timing_note,
                           "%s is the same for several files: ordered by Instance Number",
                           time_source_names[source]);
    }
    bool all_numbers = true;
    for (size_t i = 0; i < n; i++)
        all_numbers = all_numbers && s->files[i].has_instance_number;
    if (all_numbers) {
        /* duplicates are refused whatever orders the files */
        series_file *copy = pdva_alloc_array(n, sizeof *copy);
        if (!copy)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
        memcpy(copy, s->files, n * sizeof *copy);
        qsort(copy, n, sizeof *copy, compare_instance);
        for (size_t i = 1; i < n; i++)
            if (copy[i].instance_number == copy[i - 1].instance_number) {
                pdva_status st = pdva_error_set(
                    err, PDVA_ERR_INCONSISTENT, "%s and %s have the same Instance Number %d",
                    copy[i - 1].name, copy[i].name, copy[i].instance_number);
                pdva_free(copy);
                return st;
            }
        pdva_free(copy);
    }
    if (!by_time) {
        if (all_numbers) {
            qsort(s->files, n, sizeof *s->files, compare_instance);
        } else {
            qsort(s->files, n, sizeof *s->files, compare_path);
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "neither distinct acquisition times nor Instance Numbers: files "
                           "ordered by name");
        }
    }

    double *times = pdva_alloc_array(n, sizeof *times);
    if (!times)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for frame times");
    if (by_time) {
        for (size_t i = 0; i < n; i++)
            times[i] = (double)(s->files[i].order_time_us - s->files[0].order_time_us) / 1e6;
        bool suspect = false;
        if (pdva_read_check_times(times, (uint32_t)n, time_source_names[source], info->timing_note,
                                  sizeof info->timing_note, &suspect)) {
            info->frame_times_s = times;
            info->timing_source = PDVA_TIMING_INSTANCE_TIMES;
            info->timing_suspect = suspect;
            if (source >= 2 && (!h0->acquisition_date[0] && !h0->content_date[0]))
                pdva_read_note(info->timing_note, sizeof info->timing_note,
                               "times of day without a date");
            return PDVA_OK;
        }
    }
    pdva_free(times);
    /* Only the rates remain: time the files with a header that has no per-frame sources. */
    pdva_read_header rates;
    memset(&rates, 0, sizeof rates);
    PDVA_READ_COPY(rates.cine_rate, h0->cine_rate);
    PDVA_READ_COPY(rates.display_frame_rate, h0->display_frame_rate);
    char note[PDVA_NOTE_MAX];
    PDVA_READ_COPY(note, info->timing_note);
    pdva_status st = pdva_read_compute_timing(&rates, (uint32_t)n, false, info, err);
    char combined[PDVA_NOTE_MAX];
    PDVA_READ_COPY(combined, note);
    pdva_read_note(combined, sizeof combined, "%s", info->timing_note);
    PDVA_READ_COPY(info->timing_note, combined);
    return st;
}

static pdva_status open_multi(pdva_series *s, pdva_error **err)
{
    pdva_series_info *info = &s->info;
    size_t n = s->n_files;
    if (n > s->limits.max_frames)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED,
                              "%zu files (one frame each) exceed the limit of %u frames", n,
                              s->limits.max_frames);
    pdva_read_header h0, h;
    memset(&h0, 0, sizeof h0);
    memset(&h, 0, sizeof h);
    pdva_image_kind kind0 = PDVA_IMAGE_NOT_ANGIOGRAPHIC;
    pdva_status st = PDVA_OK;
    for (size_t i = 0; i < n; i++) {
        series_file *f = &s->files[i];
        pdva_read_header *hi = i == 0 ? &h0 : &h;
        st = load_file(s, i, false, hi, err);
        if (st != PDVA_OK)
            goto done;
        char reason[PDVA_NOTE_MAX];
        pdva_image_kind kind =
            pdva_read_classify(hi->sop_class_uid, hi->modality, reason, sizeof reason);
        if (i == 0) {
            kind0 = kind;
            PDVA_READ_COPY(info->reason, reason);
        }
        pdva_read_note(info->warnings, sizeof info->warnings, "%s", hi->warnings);
        time_keys(f, hi);
        pdva_error *local = NULL;
        pdva_status fst = parse_frames(hi, f, &f->frames, &local);
        if (kind == PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
            /* a frame count we cannot read does not matter for an image we will not read */
            if (fst != PDVA_OK)
                f->frames = 0;
            pdva_error_destroy(local);
        } else if (fst != PDVA_OK) {
            pdva_error_move(err, &local);
            st = fst;
        } else if (f->frames != 1) {
            st = pdva_error_set(err, PDVA_ERR_INCONSISTENT,
                                "%s holds %u frames: several files make a series only when "
                                "each holds one frame",
                                f->name, f->frames);
        }
        if (st == PDVA_OK && i > 0)
            st = check_same(&s->files[0], &h0, kind0, f, hi, kind, err);
        if (i > 0)
            pdva_read_header_clear(&h);
        if (st != PDVA_OK)
            goto done;
    }
    info->kind = kind0;
    info->n_files = (uint32_t)n;
    const pdva_read_xfer *x = s->files[0].scan.xfer;
    PDVA_READ_COPY(info->transfer_syntax_uid, x->uid);
    PDVA_READ_COPY(info->transfer_syntax_name, x->short_name);
    for (size_t i = 1; i < n; i++)
        if (s->files[i].scan.xfer != x) {
            pdva_read_note(info->warnings, sizeof info->warnings,
                           "the files use different transfer syntaxes");
            break;
        }

    /* duplicates */
    series_file **by_uid = pdva_alloc_array(n, sizeof *by_uid);
    if (!by_uid) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        by_uid[i] = &s->files[i];
    qsort(by_uid, n, sizeof *by_uid, compare_uid);
    for (size_t i = 1; i < n && st == PDVA_OK; i++)
        if (by_uid[i]->sop_instance_uid[0] &&
            strcmp(by_uid[i]->sop_instance_uid, by_uid[i - 1]->sop_instance_uid) == 0)
            st = pdva_error_set(err, PDVA_ERR_INCONSISTENT,
                                "%s and %s are the same instance (SOP Instance UID %s)",
                                by_uid[i - 1]->name, by_uid[i]->name, by_uid[i]->sop_instance_uid);
    pdva_free(by_uid);
    if (st != PDVA_OK)
        goto done;

    if (kind0 == PDVA_IMAGE_NOT_ANGIOGRAPHIC) {
        describe_unreadable(s, &h0, (uint32_t)n);
        info->n_files = (uint32_t)n;
        goto done;
    }
    st = validate_pixels(&h0, &s->files[0], &s->limits, info, err);
    if (st != PDVA_OK)
        goto done;
    info->frames = (uint32_t)n;
    uint64_t series_bytes = (uint64_t)info->rows * info->columns * 2u * info->frames;
    if (series_bytes > s->limits.max_series_bytes) {
        st = pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED,
                            "%u frames of %ux%u exceed the series limit of %llu bytes",
                            info->frames, info->columns, info->rows,
                            (unsigned long long)s->limits.max_series_bytes);
        goto done;
    }
    for (size_t i = 0; i < n && st == PDVA_OK; i++)
        st = locate_frames(s, &s->files[i], err);
    if (st != PDVA_OK)
        goto done;
    st = order_files(s, &h0, err);
    if (st == PDVA_OK)
        st = finish_readable(s, &h0, err);
done:
    pdva_read_header_clear(&h0);
    pdva_read_header_clear(&h);
    return st;
}

pdva_status pdva_series_open(const char *const *paths, size_t n_paths, const pdva_limits *limits,
                             pdva_series **out, pdva_error **err)
{
    if (out)
        *out = NULL;
    if (!paths || n_paths == 0 || !out)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pdva_series_open: no paths or no output pointer");
    for (size_t i = 0; i < n_paths; i++)
        if (!paths[i] || !paths[i][0])
            return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                                  "pdva_series_open: path %zu is empty", i);
    pdva_status st = pdva_dicom_global_init(err);
    if (st != PDVA_OK)
        return st;
    pdva_limits resolved;
    st = pdva_limits_resolve(limits, &resolved, err);
    if (st != PDVA_OK)
        return st;
    if (n_paths > resolved.max_files)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%zu files exceed the limit of %u",
                              n_paths, resolved.max_files);
    pdva_series *s = pdva_calloc_array(1, sizeof *s);
    if (!s)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    s->limits = resolved;
    s->open_index = SIZE_MAX;
    s->native_fd = -1;
    s->files = pdva_calloc_array(n_paths, sizeof *s->files);
    if (!s->files) {
        pdva_free(s);
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n_paths; i++) {
        s->files[i].path = pdva_strdup(paths[i]);
        s->n_files = i + 1;
        if (!s->files[i].path) {
            pdva_series_destroy(s);
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
        }
        s->files[i].name = pdva_read_basename(s->files[i].path);
    }
    st = n_paths == 1 ? open_single(s, err) : open_multi(s, err);
    if (st != PDVA_OK) {
        pdva_series_destroy(s);
        return st;
    }
    *out = s;
    return PDVA_OK;
}

/* ---- reading a frame --------------------------------------------------------------------- */

/* Parse file i with DCMTK (unless it already is), after checking it did not change. */
static pdva_status ensure_open(pdva_series *s, size_t i, pdva_error **err)
{
    if (s->open_index == i)
        return PDVA_OK;
    close_current(s);
    series_file *f = &s->files[i];
    struct stat sb;
    if (stat(f->path, &sb) != 0)
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot stat", f->name);
    if (!same_file(f, &sb))
        return pdva_error_set(err, PDVA_ERR_INCONSISTENT, "%s changed since the series was opened",
                              f->name);
    pdva_status st = pdva_dcm_file_open(f->path, &f->scan, false, &s->dcm, err);
    if (st != PDVA_OK)
        return st;
    if (f->scan.xfer->encapsulated) {
        s->fp = fopen(f->path, "rb");
        if (!s->fp) {
            close_current(s);
            return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open", f->name);
        }
    }
    s->open_index = i;
    return PDVA_OK;
}

/* A native little-endian frame read straight from the file at `at`, in one pread (DCMTK's
 * partial value access does the same read through more layers; reading in cache-sized chunks
 * was measured slower here: a system call costs more than the cache misses it saves), then
 * mapped to output values. */
static pdva_status read_native_at(pdva_series *s, int fd, const char *name, uint64_t at,
                                  uint16_t *dst, size_t pixels, pdva_error **err)
{
    unsigned bytes = s->info.bits_allocated / 8u;
    uint8_t *buf = bytes == 2 ? (uint8_t *)dst : s->scratch;
    size_t want = pixels * bytes, got = 0;
    while (got < want) {
        ssize_t k = pread(fd, buf + got, want - got, (off_t)(at + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return pdva_error_set(err, k == 0 ? PDVA_ERR_TRUNCATED : PDVA_ERR_IO,
                                  "%s: cannot read its pixel data%s%s", name, k == 0 ? "" : ": ",
                                  k == 0 ? "" : strerror(errno));
        got += (size_t)k;
    }
    pdva_read_pixel_map_apply(&s->map, buf, bytes, dst, pixels);
    return PDVA_OK;
}

/* A native little-endian frame of a one-frame-per-file series, read without parsing the file
 * with DCMTK a second time (its header was parsed and checked at open). */
static pdva_status read_native_file(pdva_series *s, const series_file *f, uint16_t *dst,
                                    size_t pixels, pdva_error **err)
{
    int fd = -1;
    pdva_status st = open_unchanged(f, &fd, err);
    if (st != PDVA_OK)
        return st;
    st = read_native_at(s, fd, f->name, f->scan.pixel_value_offset, dst, pixels, err);
    close(fd);
    return st;
}

/* The JPEG / JPEG-LS precision of the frame starting at fragment `frag`. */
static pdva_status frame_precision(pdva_series *s, const series_file *f,
                                   const pdva_read_fragment *frag, bool jpeg_ls, uint32_t index,
                                   unsigned *precision, pdva_error **err)
{
    if (!s->head) {
        s->head = pdva_malloc(JPEG_HEAD_LARGE);
        if (!s->head)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory");
    }
    size_t len = frag->length < JPEG_HEAD_SMALL ? frag->length : JPEG_HEAD_SMALL;
    pdva_status st = pdva_read_file_bytes(s->fp, frag->offset, s->head, len, f->name, err);
    if (st != PDVA_OK)
        return st;
    pdva_error *first = NULL;
    st = pdva_read_jpeg_precision(s->head, len, jpeg_ls, s->info.rows, s->info.columns, precision,
                                  f->name, index, &first);
    if (st != PDVA_OK && frag->length > len) {
        pdva_error_destroy(first);
        first = NULL;
        len = frag->length < JPEG_HEAD_LARGE ? frag->length : JPEG_HEAD_LARGE;
        st = pdva_read_file_bytes(s->fp, frag->offset, s->head, len, f->name, err);
        if (st != PDVA_OK)
            return st;
        st = pdva_read_jpeg_precision(s->head, len, jpeg_ls, s->info.rows, s->info.columns,
                                      precision, f->name, index, &first);
    }
    pdva_error_move(err, &first);
    return st;
}

pdva_status pdva_series_read_frame(pdva_series *series, uint32_t index, uint16_t *dst,
                                   size_t dst_len, pdva_error **err)
{
    if (!series || !dst)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "pdva_series_read_frame: no series or no buffer");
    pdva_series *s = series;
    const pdva_series_info *info = &s->info;
    if (info->kind == PDVA_IMAGE_NOT_ANGIOGRAPHIC || !s->readable)
        return pdva_error_set(err, PDVA_ERR_NOT_ANGIOGRAPHIC, "%s",
                              info->reason[0] ? info->reason : "not an angiographic image");
    if (index >= info->frames)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "frame %u requested, the series has %u", index, info->frames);
    size_t pixels = (size_t)info->rows * info->columns;
    if (dst_len < pixels)
        return pdva_error_set(err, PDVA_ERR_INVALID_ARGUMENT,
                              "buffer of %zu values for a %ux%u frame", dst_len, info->columns,
                              info->rows);
    size_t fi = s->n_files == 1 ? 0 : index;
    uint32_t frame = s->n_files == 1 ? index : 0;
    if (s->n_files > 1 && !s->files[fi].scan.xfer->encapsulated &&
        !s->files[fi].scan.xfer->big_endian)
        return read_native_file(s, &s->files[fi], dst, pixels, err);
    if (s->native_fd >= 0) {
        uint64_t frame_bytes = (uint64_t)pixels * (info->bits_allocated / 8u);
        return read_native_at(s, s->native_fd, s->files[0].name,
                              s->files[0].scan.pixel_value_offset + (uint64_t)frame * frame_bytes,
                              dst, pixels, err);
    }
    pdva_status st = ensure_open(s, fi, err);
    if (st != PDVA_OK)
        return st;
    series_file *f = &s->files[fi];
    const pdva_read_xfer *x = f->scan.xfer;
    unsigned container_bytes = info->bits_allocated / 8u;
    unsigned sample_bytes = container_bytes;
    uint32_t first_item = 0, last_item = 0;
    if (x->encapsulated) {
        uint32_t start = f->starts[frame];
        const pdva_read_fragment *frag = &f->scan.fragments[start];
        first_item = start + 1;
        last_item = f->starts[frame + 1] + 1;
        if (x->kind == PDVA_XFER_RLE) {
            st = pdva_read_check_rle(s->fp, frag, container_bytes, f->name, index, err);
        } else {
            unsigned precision = 0;
            bool jpeg_ls = x->kind == PDVA_XFER_JPEG_LS;
            st = frame_precision(s, f, frag, jpeg_ls, index, &precision, err);
            if (st == PDVA_OK) {
                if (jpeg_ls)
                    sample_bytes = (info->bits_stored > 8 || info->bits_allocated > 8) ? 2 : 1;
                else
                    sample_bytes = precision > 8 ? 2 : 1;
                if (sample_bytes > container_bytes ||
                    (jpeg_ls && (precision > 8) != (sample_bytes == 2)))
                    st = pdva_error_set(err, PDVA_ERR_DECODE,
                                        "%s: frame %u: JPEG precision %u does not fit Bits "
                                        "Allocated %u",
                                        f->name, index, precision, info->bits_allocated);
            }
        }
        if (st != PDVA_OK)
            return st;
    }
    if (!x->encapsulated) {
        /* big endian: DCMTK swaps the bytes; one read per frame, since each call into its partial
         * value access costs more than the cache misses of converting the whole frame after. */
        void *buf = container_bytes == 2 ? (void *)dst : (void *)s->scratch;
        uint64_t frame_bytes = (uint64_t)pixels * container_bytes;
        st = pdva_dcm_file_read_native(s->dcm, (uint64_t)frame * frame_bytes, buf,
                                       (size_t)frame_bytes, err);
        if (st == PDVA_OK)
            pdva_read_pixel_map_apply(&s->map, buf, container_bytes, dst, pixels);
        return st;
    }
    void *buf = container_bytes == 2 ? (void *)dst : (void *)s->scratch;
    size_t buf_size = container_bytes == 2 ? pixels * 2 : s->scratch_size;
    st = pdva_dcm_file_decode(s->dcm, frame, first_item, last_item, buf, buf_size, err);
    if (st != PDVA_OK)
        return st;
    pdva_read_pixel_map_apply(&s->map, buf, sample_bytes, dst, pixels);
    return PDVA_OK;
}
