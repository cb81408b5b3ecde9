/* timing.c — the time of each frame of a multi-frame image, from the first frame, in seconds.
 *
 * Sources in order: per-frame functional groups (Enhanced XA/XRF), then the attribute the Frame
 * Increment Pointer (0028,0009) names (Frame Time or Frame Time Vector), then the other one,
 * then Cine Rate / Recommended Display Frame Rate as a flagged last resort. A source that is
 * present but unusable is skipped with a note, and whatever is used after it is flagged. Absurd
 * increments (zero, below 1 ms, above 10 s) are kept but flagged; times that go backwards or are
 * not finite are never returned. Nothing is invented: without a source, frame_times_s is NULL.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dicom/read/read_internal.h"

#define TAG_FRAME_TIME 0x00181063u
#define TAG_FRAME_TIME_VECTOR 0x00181065u
#define MIN_INCREMENT_S 0.001
#define MAX_INCREMENT_S 10.0

typedef enum source_result { SOURCE_ABSENT, SOURCE_UNUSABLE, SOURCE_OK } source_result;

typedef struct timing_ctx {
    const pdva_read_header *hdr;
    uint32_t frames;
    double *times; /* frames values, filled by a source */
    bool suspect;  /* the source's own values are odd */
    char *note;
    size_t note_cap;
} timing_ctx;

static bool check_increments(timing_ctx *t, const char *what);

bool pdva_read_check_times(double *times, uint32_t n, const char *what, char *note, size_t note_cap,
                           bool *suspect)
{
    timing_ctx t = {NULL, n, times, false, note, note_cap};
    bool ok = check_increments(&t, what);
    *suspect = t.suspect;
    return ok;
}

/* Flag zero or absurd increments; false when times go backwards or are not finite. */
static bool check_increments(timing_ctx *t, const char *what)
{
    bool zero = false, tiny = false, huge = false;
    for (uint32_t i = 1; i < t->frames; i++) {
        double d = t->times[i] - t->times[i - 1];
        if (!isfinite(t->times[i]) || !isfinite(d)) {
            pdva_read_note(t->note, t->note_cap, "%s: frame %u has no finite time", what, i);
            return false;
        }
        if (d < 0) {
            pdva_read_note(t->note, t->note_cap,
                           "%s: frame %u is earlier than frame %u (times "
                           "not monotonic)",
                           what, i, i - 1);
            return false;
        }
        if (d == 0)
            zero = true;
        else if (d < MIN_INCREMENT_S)
            tiny = true;
        else if (d > MAX_INCREMENT_S)
            huge = true;
    }
    if (zero)
        pdva_read_note(t->note, t->note_cap, "%s: some frames share the same time", what);
    if (tiny)
        pdva_read_note(t->note, t->note_cap, "%s: some frames are less than 1 ms apart", what);
    if (huge)
        pdva_read_note(t->note, t->note_cap, "%s: some frames are more than 10 s apart", what);
    if (zero || tiny || huge)
        t->suspect = true;
    return true;
}

static source_result from_frame_time(timing_ctx *t)
{
    const char *raw = t->hdr->frame_time;
    if (!raw[0])
        return SOURCE_ABSENT;
    double ms = 0;
    if (pdva_read_parse_ds_list(raw, &ms, 1) != 1) {
        pdva_read_note(t->note, t->note_cap, "Frame Time '%s' is not one number", raw);
        return SOURCE_UNUSABLE;
    }
    if (!(ms > 0)) {
        pdva_read_note(t->note, t->note_cap, "Frame Time %g ms is not positive", ms);
        return SOURCE_UNUSABLE;
    }
    for (uint32_t i = 0; i < t->frames; i++)
        t->times[i] = (double)i * ms / 1000.0;
    return check_increments(t, "Frame Time") ? SOURCE_OK : SOURCE_UNUSABLE;
}

static source_result from_frame_time_vector(timing_ctx *t, pdva_status *st)
{
    const pdva_read_header *h = t->hdr;
    if (h->frame_time_vector_too_long) {
        pdva_read_note(t->note, t->note_cap, "Frame Time Vector is longer than %u frames need",
                       t->frames);
        return SOURCE_UNUSABLE;
    }
    if (!h->frame_time_vector || !h->frame_time_vector[0])
        return SOURCE_ABSENT;
    double *inc = NULL;
    long n = pdva_read_parse_ds_array(h->frame_time_vector, h->frame_time_vector_len,
                                      (size_t)t->frames + 1, &inc);
    if (n == -2) {
        *st = PDVA_ERR_NO_MEMORY;
        return SOURCE_UNUSABLE;
    }
    if (n < 0) {
        pdva_read_note(t->note, t->note_cap, "Frame Time Vector is not a list of numbers%s",
                       n == -1 ? " (or has more values than frames)" : "");
        return SOURCE_UNUSABLE;
    }
    if ((uint64_t)n != t->frames) {
        pdva_read_note(t->note, t->note_cap, "Frame Time Vector has %ld values for %u frames", n,
                       t->frames);
        pdva_free(inc);
        return SOURCE_UNUSABLE;
    }
    if (inc[0] != 0) {
        pdva_read_note(t->note, t->note_cap, "Frame Time Vector starts with %g, not 0", inc[0]);
        t->suspect = true;
    }
    t->times[0] = 0;
    bool negative = false;
    for (uint32_t i = 1; i < t->frames; i++) {
        if (inc[i] < 0)
            negative = true;
        t->times[i] = t->times[i - 1] + inc[i] / 1000.0;
    }
    pdva_free(inc);
    if (negative) {
        pdva_read_note(t->note, t->note_cap, "Frame Time Vector has negative increments");
        return SOURCE_UNUSABLE;
    }
    return check_increments(t, "Frame Time Vector") ? SOURCE_OK : SOURCE_UNUSABLE;
}

static bool all_times(const int64_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == PDVA_READ_NO_TIME)
            return false;
    return true;
}

static bool any_time(const int64_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] != PDVA_READ_NO_TIME)
            return true;
    return false;
}

static bool all_finite(const double *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

static bool any_finite(const double *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            return true;
    return false;
}

static source_result from_groups(timing_ctx *t)
{
    const pdva_read_header *h = t->hdr;
    if (!h->has_per_frame_groups)
        return SOURCE_ABSENT;
    if (h->n_frame_values != t->frames) {
        pdva_read_note(t->note, t->note_cap,
                       "Per-frame Functional Groups has %u items for %u frames: its times are "
                       "not used",
                       h->n_per_frame_items, t->frames);
        return SOURCE_UNUSABLE;
    }
    const int64_t *dt = NULL;
    const char *what = NULL;
    if (all_times(h->frame_acq_dt_us, t->frames)) {
        dt = h->frame_acq_dt_us;
        what = "Frame Acquisition DateTime";
    } else if (all_times(h->frame_ref_dt_us, t->frames)) {
        dt = h->frame_ref_dt_us;
        what = "Frame Reference DateTime";
    }
    if (dt) {
        for (uint32_t i = 0; i < t->frames; i++)
            t->times[i] = (double)(dt[i] - dt[0]) / 1e6;
        return check_increments(t, what) ? SOURCE_OK : SOURCE_UNUSABLE;
    }
    if (any_time(h->frame_acq_dt_us, t->frames) || any_time(h->frame_ref_dt_us, t->frames))
        pdva_read_note(t->note, t->note_cap,
                       "Frame Acquisition/Reference DateTime missing or unreadable for some "
                       "frames");
    if (all_finite(h->frame_duration_ms, t->frames)) {
        t->times[0] = 0;
        for (uint32_t i = 1; i < t->frames; i++) {
            double d = h->frame_duration_ms[i - 1];
            if (!(d > 0)) {
                pdva_read_note(t->note, t->note_cap,
                               "Frame Acquisition Duration %g ms is not positive", d);
                return SOURCE_UNUSABLE;
            }
            t->times[i] = t->times[i - 1] + d / 1000.0;
        }
        pdva_read_note(t->note, t->note_cap,
                       "times summed from Frame Acquisition Duration: the time between frames "
                       "may be longer than the acquisition of each");
        t->suspect = true;
        return check_increments(t, "Frame Acquisition Duration") ? SOURCE_OK : SOURCE_UNUSABLE;
    }
    return any_finite(h->frame_duration_ms, t->frames) ? SOURCE_UNUSABLE : SOURCE_ABSENT;
}

static source_result from_rate(timing_ctx *t, const char *raw, const char *what)
{
    if (!raw[0])
        return SOURCE_ABSENT;
    double rate = 0;
    if (pdva_read_parse_ds_list(raw, &rate, 1) != 1 || !(rate > 0) || rate > 1000) {
        pdva_read_note(t->note, t->note_cap, "%s '%s' is not a usable rate", what, raw);
        return SOURCE_UNUSABLE;
    }
    for (uint32_t i = 0; i < t->frames; i++)
        t->times[i] = (double)i / rate;
    pdva_read_note(t->note, t->note_cap,
                   "times derived from %s %g/s, a display rate rather than the acquisition timing",
                   what, rate);
    t->suspect = true;
    return check_increments(t, what) ? SOURCE_OK : SOURCE_UNUSABLE;
}

pdva_status pdva_read_compute_timing(const pdva_read_header *hdr, uint32_t frames, bool enhanced,
                                     pdva_series_info *info, pdva_error **err)
{
    info->frame_times_s = NULL;
    info->timing_source = PDVA_TIMING_NONE;
    info->timing_suspect = false;
    info->timing_note[0] = '\0';
    if (frames == 0)
        return PDVA_OK;
    double *times = pdva_alloc_array(frames, sizeof *times);
    if (!times)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "out of memory for frame times");
    if (frames == 1) {
        times[0] = 0;
        info->frame_times_s = times;
        info->timing_source = PDVA_TIMING_SINGLE_FRAME;
        return PDVA_OK;
    }
    timing_ctx t = {hdr, frames, times, false, info->timing_note, sizeof info->timing_note};

    /* The order in which to try the structural sources. */
    enum { FT, FTV, GROUPS } order[3];
    int n_order = 0;
    bool named_ft = false, named_ftv = false;
    for (uint32_t i = 0; i < hdr->n_fip; i++) {
        if (hdr->fip[i] == TAG_FRAME_TIME)
            named_ft = true;
        else if (hdr->fip[i] == TAG_FRAME_TIME_VECTOR)
            named_ftv = true;
        else
            pdva_read_note(info->timing_note, sizeof info->timing_note,
                           "Frame Increment Pointer names (%04X,%04X), which is not a frame time",
                           (unsigned)(hdr->fip[i] >> 16), (unsigned)(hdr->fip[i] & 0xFFFF));
    }
    if (enhanced)
        order[n_order++] = GROUPS;
    if (named_ft && !named_ftv) {
        order[n_order++] = FT;
        order[n_order++] = FTV;
    } else {
        order[n_order++] = FTV;
        order[n_order++] = FT;
    }

    bool earlier_failed = false;
    pdva_status st = PDVA_OK;
    for (int k = 0; k < n_order; k++) {
        t.suspect = false;
        source_result r = SOURCE_ABSENT;
        pdva_timing_source source = PDVA_TIMING_NONE;
        if (order[k] == FT) {
            r = from_frame_time(&t);
            source = PDVA_TIMING_FRAME_TIME;
            if (r == SOURCE_OK && (named_ftv && !named_ft)) {
                pdva_read_note(info->timing_note, sizeof info->timing_note,
                               "Frame Increment Pointer names Frame Time Vector, Frame Time used");
                t.suspect = true;
            }
        } else if (order[k] == FTV) {
            r = from_frame_time_vector(&t, &st);
            if (st != PDVA_OK) {
                pdva_free(times);
                return pdva_error_set(err, st, "out of memory for the Frame Time Vector");
            }
            source = PDVA_TIMING_FRAME_TIME_VECTOR;
            if (r == SOURCE_OK && named_ft && !named_ftv) {
                pdva_read_note(info->timing_note, sizeof info->timing_note,
                               "Frame Increment Pointer names Frame Time, Frame Time Vector "
                               "used");
                t.suspect = true;
            }
        } else {
            r = from_groups(&t);
            source = PDVA_TIMING_FUNCTIONAL_GROUPS;
        }
        if (r == SOURCE_OK) {
            info->frame_times_s = times;
            info->timing_source = source;
            info->timing_suspect = t.suspect || earlier_failed;
            return PDVA_OK;
        }
        if (r == SOURCE_UNUSABLE)
            earlier_failed = true;
    }
    source_result r = from_rate(&t, hdr->cine_rate, "Cine Rate");
    pdva_timing_source source = PDVA_TIMING_CINE_RATE;
    if (r != SOURCE_OK) {
        r = from_rate(&t, hdr->display_frame_rate, "Recommended Display Frame Rate");
        source = PDVA_TIMING_DISPLAY_RATE;
    }
    if (r == SOURCE_OK) {
        info->frame_times_s = times;
        info->timing_source = source;
        info->timing_suspect = true;
        return PDVA_OK;
    }
    pdva_free(times);
    pdva_read_note(info->timing_note, sizeof info->timing_note,
                   "no usable frame timing (Frame Time, Frame Time Vector, per-frame times, "
                   "Cine Rate): frame times unknown");
    return PDVA_OK;
}
