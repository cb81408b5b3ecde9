/* codestream.c — what we check in encapsulated pixel data before a codec sees it: which
 * fragments make each frame (fragment count, Basic Offset Table, JPEG start-of-image markers),
 * the precision and size in a JPEG / JPEG-LS frame header, and the RLE header of each frame.
 *
 * DCMTK 3.6.7's RLE decoder trusts the segment offsets of the RLE header (it reads outside the
 * fragment when they lie) and its JPEG decoder sizes its output from the code stream's
 * precision; these checks keep both on the bytes that exist.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "dicom/read/read_internal.h"

pdva_status pdva_read_file_bytes(FILE *file, uint64_t offset, void *dst, size_t len,
                                 const char *name, pdva_error **err)
{
    if (len == 0)
        return PDVA_OK;
    if (offset > (uint64_t)INT64_MAX || fseeko(file, (off_t)offset, SEEK_SET) != 0)
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot seek to byte %llu: %s", name,
                              (unsigned long long)offset, strerror(errno));
    size_t got = fread(dst, 1, len, file);
    if (got != len) {
        if (ferror(file))
            return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot read: %s", name, strerror(errno));
        return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                              "%s: file ends at byte %llu (was it truncated while open?)", name,
                              (unsigned long long)(offset + got));
    }
    return PDVA_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Frame starts from a Basic Offset Table of `frames` entries; false when it is not usable. */
static bool starts_from_bot(const uint8_t *bot, const pdva_read_prescan *scan, uint32_t frames,
                            uint32_t *starts)
{
    uint64_t first_item = scan->fragments[0].offset - 8;
    uint32_t k = 0;
    for (uint32_t i = 0; i < frames; i++) {
        uint64_t rel = le32(bot + 4 * (size_t)i);
        if (i == 0 && rel != 0)
            return false;
        /* the entry must name the item tag of a fragment after the previous frame's start */
        while (k < scan->n_fragments && scan->fragments[k].offset - 8 - first_item < rel)
            k++;
        if (k >= scan->n_fragments || scan->fragments[k].offset - 8 - first_item != rel)
            return false;
        if (i > 0 && k <= starts[i - 1])
            return false;
        starts[i] = k;
    }
    return true;
}

static bool is_soi(const pdva_read_fragment *f)
{
    return f->length >= 4 && f->head[0] == 0xFF && f->head[1] == 0xD8 && f->head[2] == 0xFF;
}

pdva_status pdva_read_map_fragments(FILE *file, const pdva_read_prescan *scan, uint32_t frames,
                                    const pdva_read_xfer *xfer, const char *name,
                                    uint32_t **out_starts, char *warnings, size_t warnings_cap,
                                    pdva_error **err)
{
    *out_starts = NULL;
    uint32_t n = scan->n_fragments;
    if (n == 0)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: encapsulated pixel data without any "
                              "fragment",
                              name);
    if (n < frames)
        return pdva_error_set(
            err, scan->pixel_sequence_unterminated ? PDVA_ERR_TRUNCATED : PDVA_ERR_MALFORMED,
            "%s: Number of Frames is %u but the pixel data holds only %u "
            "fragments%s",
            name, frames, n, scan->pixel_sequence_unterminated ? " (file truncated)" : "");
    uint32_t *starts = pdva_alloc_array((size_t)frames + 1, sizeof *starts);
    if (!starts)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", name);
    starts[frames] = n;
    pdva_status st = PDVA_OK;

    if (frames == 1) {
        starts[0] = 0;
        goto check;
    }
    if (n == frames) {
        for (uint32_t i = 0; i < frames; i++)
            starts[i] = i;
        goto check;
    }
    if (xfer->kind == PDVA_XFER_RLE) {
        st = pdva_error_set(err, PDVA_ERR_MALFORMED,
                            "%s: RLE pixel data must hold one fragment per frame (%u fragments, "
                            "%u frames)",
                            name, n, frames);
        goto fail;
    }
    if (scan->bot_length > 0) {
        if (scan->bot_length == 4 * (uint64_t)frames) {
            uint8_t *bot = pdva_malloc(scan->bot_length);
            if (!bot) {
                st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", name);
                goto fail;
            }
            st = pdva_read_file_bytes(file, scan->bot_offset, bot, scan->bot_length, name, err);
            bool usable = st == PDVA_OK && starts_from_bot(bot, scan, frames, starts);
            pdva_free(bot);
            if (st != PDVA_OK)
                goto fail;
            if (usable)
                goto check;
        }
        pdva_read_note(warnings, warnings_cap,
                       "the Basic Offset Table does not match the fragments: frames located "
                       "by their JPEG markers");
    }
    /* Several fragments per frame and no usable table: a frame starts where a fragment starts
     * with a JPEG start-of-image marker. */
    {
        uint32_t k = 0;
        for (uint32_t i = 0; i < n && k <= frames; i++)
            if (is_soi(&scan->fragments[i])) {
                if (k < frames)
                    starts[k] = i;
                k++;
            }
        if (k != frames || starts[0] != 0) {
            st = pdva_error_set(err, PDVA_ERR_MALFORMED,
                                "%s: cannot tell which of the %u fragments belong to which of the "
                                "%u frames (no usable offset table, %u start-of-image markers)",
                                name, n, frames, k);
            goto fail;
        }
    }
check:
    for (uint32_t i = 0; i < frames; i++)
        if (starts[i] >= starts[i + 1]) {
            st = pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: frame %u has no fragment", name, i);
            goto fail;
        }
    *out_starts = starts;
    return PDVA_OK;
fail:
    pdva_free(starts);
    return st;
}

pdva_status pdva_read_jpeg_precision(const uint8_t *data, size_t len, bool jpeg_ls, uint32_t rows,
                                     uint32_t columns, unsigned *precision, const char *name,
                                     uint32_t frame, pdva_error **err)
{
    if (len < 4 || data[0] != 0xFF || data[1] != 0xD8)
        return pdva_error_set(err, PDVA_ERR_DECODE,
                              "%s: frame %u does not start with a JPEG start-of-image marker", name,
                              frame);
    size_t i = 2;
    while (i + 4 <= len) {
        if (data[i] != 0xFF) {
            i++; /* tolerate padding between segments */
            continue;
        }
        uint8_t marker = data[i + 1];
        if (marker == 0xFF) {
            i++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA)
            break;
        size_t seg = ((size_t)data[i + 2] << 8) | data[i + 3];
        if (seg < 2)
            break;
        bool sof = jpeg_ls ? marker == 0xF7
                           : (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 &&
                              marker != 0xC8 && marker != 0xCC);
        if (sof) {
            if (i + 10 > len || seg < 8)
                break;
            unsigned p = data[i + 4];
            uint32_t height = ((uint32_t)data[i + 5] << 8) | data[i + 6];
            uint32_t width = ((uint32_t)data[i + 7] << 8) | data[i + 8];
            unsigned components = data[i + 9];
            if (p < 2 || p > 16)
                return pdva_error_set(err, PDVA_ERR_DECODE,
                                      "%s: frame %u: JPEG precision %u is not supported", name,
                                      frame, p);
            if (height != rows || width != columns || components != 1)
                return pdva_error_set(err, PDVA_ERR_DECODE,
                                      "%s: frame %u: the JPEG stream is %ux%u with %u "
                                      "component(s), the header says %ux%u with 1",
                                      name, frame, width, height, components, columns, rows);
            *precision = p;
            return PDVA_OK;
        }
        i += 2 + seg;
    }
    return pdva_error_set(err, PDVA_ERR_DECODE,
                          "%s: frame %u: no JPEG frame header in its first %zu bytes", name, frame,
                          len);
}

pdva_status pdva_read_check_rle(FILE *file, const pdva_read_fragment *fragment,
                                unsigned expected_segments, const char *name, uint32_t frame,
                                pdva_error **err)
{
    if (fragment->length < 64)
        return pdva_error_set(err, PDVA_ERR_DECODE,
                              "%s: frame %u: RLE fragment of %u bytes is shorter than its "
                              "64-byte header",
                              name, frame, fragment->length);
    uint8_t header[64];
    pdva_status st = pdva_read_file_bytes(file, fragment->offset, header, sizeof header, name, err);
    if (st != PDVA_OK)
        return st;
    uint32_t segments = le32(header);
    if (segments != expected_segments)
        return pdva_error_set(err, PDVA_ERR_DECODE,
                              "%s: frame %u: RLE header lists %u segments, %u expected", name,
                              frame, segments, expected_segments);
    uint32_t previous = 64;
    for (uint32_t s = 0; s < segments; s++) {
        uint32_t off = le32(header + 4 + 4 * s);
        uint32_t next = s + 1 < segments ? le32(header + 8 + 4 * s) : fragment->length;
        if ((s == 0 && off != 64) || off < previous || off >= fragment->length || next <= off ||
            next > fragment->length)
            return pdva_error_set(err, PDVA_ERR_DECODE,
                                  "%s: frame %u: RLE segment %u lies outside its fragment", name,
                                  frame, s + 1);
        /* The segment must produce at least one byte: skip no-op bytes (-128) and require a
         * run header followed by its data. */
        uint8_t head[64];
        size_t avail = next - off < sizeof head ? next - off : sizeof head;
        st = pdva_read_file_bytes(file, fragment->offset + off, head, avail, name, err);
        if (st != PDVA_OK)
            return st;
        size_t k = 0;
        while (k < avail && head[k] == 0x80)
            k++;
        if (k >= avail && avail < next - off)
            return pdva_error_set(err, PDVA_ERR_DECODE,
                                  "%s: frame %u: RLE segment %u starts with too many no-op bytes",
                                  name, frame, s + 1);
        if ((uint64_t)k + 1 >= next - off)
            return pdva_error_set(err, PDVA_ERR_DECODE,
                                  "%s: frame %u: RLE segment %u holds no data", name, frame, s + 1);
        previous = next;
    }
    return PDVA_OK;
}
