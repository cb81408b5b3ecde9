/* prescan.c — a bounded walk over a DICOM file before DCMTK parses it.
 *
 * DCMTK 3.6.7 parses nested sequences recursively and trusts lengths until it meets the end of
 * the stream; a file of undefined-length sequences nested a hundred thousand deep overflows its
 * stack. So every file is first walked here, iteratively, with an explicit stack bounded by
 * limits.max_sequence_depth: preamble, file meta (which must carry a Transfer Syntax UID, or
 * DCMTK would guess one), then each element, sequence and item, checking that each length fits
 * its container and the file. The walk follows DCMTK's own rules (length field sizes of
 * non-standard VRs, undefined-length UN as implicit-VR sequence, pixel sequences) and treats
 * any defined-length implicit value that begins with an item tag as a possible sequence, so
 * that no nesting DCMTK could recurse into escapes the depth count. It also records where the
 * pixel data lies and, for encapsulated data, every fragment. The work is linear in the file
 * size and every step advances by at least 8 bytes.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dicom/read/read_internal.h"

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define TAG_ITEM TAG(0xFFFE, 0xE000)
#define TAG_ITEM_DELIM TAG(0xFFFE, 0xE00D)
#define TAG_SEQ_DELIM TAG(0xFFFE, 0xE0DD)
#define TAG_PIXEL_DATA TAG(0x7FE0, 0x0010)
#define TAG_DIRECTORY_RECORDS TAG(0x0004, 0x1220)
#define TAG_RECORD_TYPE TAG(0x0004, 0x1430)
#define UNDEFINED_LENGTH 0xFFFFFFFFu
#define BUFFER_SIZE 16384u /* one read; the walk reads headers only, values are skipped */

/* ---- a small buffered reader over pread() ------------------------------------------------ */

typedef struct reader {
    int fd;
    uint64_t size;
    uint64_t buf_start; /* file offset of buf[0] */
    size_t buf_len;
    uint8_t *buf;
    const char *name;
} reader;

/* Make [pos, pos + n) available in the buffer (n <= BUFFER_SIZE). */
static pdva_status reader_fill(reader *r, uint64_t pos, size_t n, pdva_error **err)
{
    if (pos >= r->buf_start && pos + n <= r->buf_start + r->buf_len)
        return PDVA_OK;
    if (pos + n > r->size)
        return pdva_error_set(err, PDVA_ERR_TRUNCATED, "%s: file ends at byte %llu (truncated)",
                              r->name, (unsigned long long)r->size);
    uint64_t want = r->size - pos;
    size_t len = want < BUFFER_SIZE ? (size_t)want : BUFFER_SIZE;
    size_t got = 0;
    while (got < len) {
        ssize_t k = pread(r->fd, r->buf + got, len - got, (off_t)(pos + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot read: %s", r->name,
                                  strerror(errno));
        if (k == 0)
            return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                  "%s: file shrank while being read (ends at byte %llu)", r->name,
                                  (unsigned long long)(pos + got));
        got += (size_t)k;
    }
    r->buf_start = pos;
    r->buf_len = len;
    return PDVA_OK;
}

static const uint8_t *reader_at(const reader *r, uint64_t pos)
{
    return r->buf + (size_t)(pos - r->buf_start);
}

static uint16_t u16(const uint8_t *p, bool big_endian)
{
    unsigned hi = big_endian ? p[0] : p[1], lo = big_endian ? p[1] : p[0];
    return (uint16_t)((hi << 8 | lo) & 0xFFFFu);
}

static uint32_t u32(const uint8_t *p, bool big_endian)
{
    if (big_endian)
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- VR rules, as DCMTK 3.6.7 applies them (DcmVR::setVR, usesExtendedLengthEncoding) --- */

typedef enum vr_class {
    VR_SHORT = 0, /* 2-byte length */
    VR_LONG,      /* 2 reserved bytes + 4-byte length */
    VR_SQ,
    VR_UN,   /* UN and unknown upper-case VRs: long; undefined length = implicit sequence */
    VR_OBOW, /* OB, OW, ox, px: long; undefined length = pixel sequence for Pixel Data */
} vr_class;

static vr_class classify_vr(const uint8_t vr[2], bool *is_px)
{
    static const char *const long_vrs[] = {"OD", "OF", "OL", "OV", "SV",
                                           "UC", "UR", "UT", "UV", "lt"};
    static const char *const short_vrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD",
                                            "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM",
                                            "UI", "UL", "US", "xs", "na", "up", "pi"};
    char v[3] = {(char)vr[0], (char)vr[1], '\0'};
    *is_px = strcmp(v, "px") == 0;
    if (strcmp(v, "SQ") == 0)
        return VR_SQ;
    if (strcmp(v, "UN") == 0)
        return VR_UN;
    if (strcmp(v, "OB") == 0 || strcmp(v, "OW") == 0 || strcmp(v, "ox") == 0 || *is_px)
        return VR_OBOW;
    for (size_t i = 0; i < sizeof long_vrs / sizeof long_vrs[0]; i++)
        if (strcmp(v, long_vrs[i]) == 0)
            return VR_LONG;
    for (size_t i = 0; i < sizeof short_vrs / sizeof short_vrs[0]; i++)
        if (strcmp(v, short_vrs[i]) == 0)
            return VR_SHORT;
    /* DCMTK takes unknown upper-case pairs for future VRs (extended length), anything else as
     * an illegal VR with a 2-byte length. */
    if (vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z' && !(vr[0] == '?'))
        return VR_UN;
    return VR_SHORT;
}

/* ---- the walk ---------------------------------------------------------------------------- */

typedef enum ctx_kind { CTX_DATASET, CTX_SEQ, CTX_ITEM, CTX_PIXSEQ } ctx_kind;

typedef struct ctx {
    ctx_kind kind;
    bool explicit_vr, big_endian;
    bool top_pixel; /* the top-level pixel data sequence */
    uint32_t tag;   /* of the sequence, for messages */
    uint32_t items; /* items met so far (pixel sequences) */
    uint64_t end;   /* UINT64_MAX for undefined length */
} ctx;

typedef struct walker {
    reader r;
    const pdva_limits *limits;
    pdva_read_prescan *scan;
    ctx *stack;
    size_t cap, sp; /* stack[0..sp] valid; stack[0] is the dataset */
    uint32_t depth; /* sequences on the stack (pixel sequences not counted) */
    long tentative; /* index of the outermost guessed sequence, or -1 */
    uint32_t max_fragments, fragments_cap;
} walker;

static const char *tag_str(uint32_t tag, char buf[12])
{
    snprintf(buf, 12, "(%04X,%04X)", (unsigned)(tag >> 16), (unsigned)(tag & 0xFFFF));
    return buf;
}

static pdva_status push(walker *w, ctx c, pdva_error **err)
{
    if (c.kind == CTX_SEQ) {
        if (w->depth + 1 > w->limits->max_sequence_depth) {
            char t[12];
            return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED,
                                  "%s: sequences nested more than %u deep (at %s)", w->r.name,
                                  w->limits->max_sequence_depth, tag_str(c.tag, t));
        }
        w->depth++;
        if (w->depth > w->scan->max_depth)
            w->scan->max_depth = w->depth;
    }
    if (w->sp + 1 >= w->cap)
        return pdva_error_set(err, PDVA_ERR_INTERNAL, "%s: sequence stack overflow", w->r.name);
    w->stack[++w->sp] = c;
    return PDVA_OK;
}

static void pop(walker *w)
{
    if (w->sp == 0)
        return;
    if (w->stack[w->sp].kind == CTX_SEQ)
        w->depth--;
    if (w->tentative >= 0 && (long)w->sp == w->tentative)
        w->tentative = -1;
    w->sp--;
}

static pdva_status add_fragment(walker *w, uint64_t value_pos, uint32_t len, pdva_error **err)
{
    pdva_read_prescan *s = w->scan;
    if (s->n_fragments >= w->max_fragments)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: more than %u pixel data fragments",
                              w->r.name, w->max_fragments);
    if (s->n_fragments == w->fragments_cap) {
        uint64_t wanted = w->fragments_cap ? (uint64_t)w->fragments_cap * 2 : 16;
        uint32_t new_cap = wanted > w->max_fragments ? w->max_fragments : (uint32_t)wanted;
        pdva_read_fragment *grown = pdva_realloc_array(s->fragments, new_cap, sizeof *s->fragments);
        if (!grown)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", w->r.name);
        s->fragments = grown;
        w->fragments_cap = new_cap;
    }
    pdva_read_fragment *f = &s->fragments[s->n_fragments++];
    f->offset = value_pos;
    f->length = len;
    memset(f->head, 0, sizeof f->head);
    size_t head = len < 4 ? len : 4;
    if (head > 0) {
        pdva_status st = reader_fill(&w->r, value_pos, head, err);
        if (st != PDVA_OK)
            return st;
        memcpy(f->head, reader_at(&w->r, value_pos), head);
    }
    return PDVA_OK;
}

/* The bytes left in the innermost container with a defined end (the file at least). */
static uint64_t room(const walker *w, uint64_t pos)
{
    uint64_t end = w->r.size;
    for (size_t i = w->sp + 1; i-- > 0;)
        if (w->stack[i].end != UINT64_MAX) {
            if (w->stack[i].end < end)
                end = w->stack[i].end;
            break;
        }
    return end > pos ? end - pos : 0;
}

/* A value of `len` bytes at pos must fit the file (else TRUNCATED) and its container. */
static pdva_status check_fits(walker *w, uint64_t pos, uint64_t len, uint32_t tag, pdva_error **err)
{
    char t[12];
    if (pos + len > w->r.size && tag == TAG_PIXEL_DATA)
        return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                              "%s: pixel data ends after %llu of %llu bytes (file truncated)",
                              w->r.name, (unsigned long long)(w->r.size - pos),
                              (unsigned long long)len);
    if (pos + len > w->r.size)
        return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                              "%s: element %s claims %llu bytes but the file ends %llu bytes "
                              "later (truncated, or a wrong length)",
                              w->r.name, tag_str(tag, t), (unsigned long long)len,
                              (unsigned long long)(w->r.size - pos));
    if (len > room(w, pos))
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: element %s claims %llu bytes, more than its enclosing item or "
                              "sequence holds (%llu)",
                              w->r.name, tag_str(tag, t), (unsigned long long)len,
                              (unsigned long long)room(w, pos));
    return PDVA_OK;
}

/* One step inside a sequence: an item, or the end of the sequence. */
static pdva_status step_sequence(walker *w, uint64_t *pos, pdva_error **err)
{
    ctx *c = &w->stack[w->sp];
    char t[12], t2[12];
    if (w->r.size - *pos < 8) {
        if (c->kind == CTX_PIXSEQ)
            return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                  "%s: file ends inside the pixel data (truncated)", w->r.name);
        return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                              "%s: file ends inside sequence %s (truncated)", w->r.name,
                              tag_str(c->tag, t));
    }
    if (room(w, *pos) < 8)
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: sequence %s ends inside an item header",
                              w->r.name, tag_str(c->tag, t));
    pdva_status st = reader_fill(&w->r, *pos, 8, err);
    if (st != PDVA_OK)
        return st;
    const uint8_t *p = reader_at(&w->r, *pos);
    uint32_t tag = TAG(u16(p, c->big_endian), u16(p + 2, c->big_endian));
    uint32_t len = u32(p + 4, c->big_endian);
    *pos += 8;
    if (tag == TAG_SEQ_DELIM) {
        if (c->end != UINT64_MAX && *pos != c->end)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: sequence %s of defined length holds a sequence delimiter",
                                  w->r.name, tag_str(c->tag, t));
        pop(w);
        return PDVA_OK;
    }
    if (tag != TAG_ITEM)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: %s found where sequence %s expects "
                              "an item (byte %llu)",
                              w->r.name, tag_str(tag, t2), tag_str(c->tag, t),
                              (unsigned long long)(*pos - 8));
    if (c->kind == CTX_PIXSEQ) {
        if (len == UNDEFINED_LENGTH)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: pixel data fragment of undefined length", w->r.name);
        st = check_fits(w, *pos, len, TAG_PIXEL_DATA, err);
        if (st != PDVA_OK)
            return st;
        if (c->top_pixel) {
            if (c->items == 0) {
                w->scan->bot_offset = *pos;
                w->scan->bot_length = len;
            } else {
                st = add_fragment(w, *pos, len, err);
                if (st != PDVA_OK)
                    return st;
            }
        }
        c->items++;
        *pos += len;
        return PDVA_OK;
    }
    ctx item = {CTX_ITEM, c->explicit_vr, c->big_endian, false, c->tag, 0, UINT64_MAX};
    if (len != UNDEFINED_LENGTH) {
        st = check_fits(w, *pos, len, TAG_ITEM, err);
        if (st != PDVA_OK)
            return st;
        item.end = *pos + len;
    }
    c->items++;
    return push(w, item, err);
}

/* One data element of a dataset or item (or an item delimiter). */
static pdva_status step_element(walker *w, uint64_t *pos, pdva_error **err)
{
    ctx *c = &w->stack[w->sp];
    char t[12];
    uint64_t start = *pos;
    if (w->r.size - start < 8)
        return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                              "%s: file ends inside an element header at byte %llu (truncated)",
                              w->r.name, (unsigned long long)start);
    pdva_status st = reader_fill(&w->r, start, 8, err);
    if (st != PDVA_OK)
        return st;
    const uint8_t *p = reader_at(&w->r, start);
    uint32_t tag = TAG(u16(p, c->big_endian), u16(p + 2, c->big_endian));

    if (++w->scan->n_elements > PDVA_READ_MAX_ELEMENTS)
        return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: more than %u data elements",
                              w->r.name, PDVA_READ_MAX_ELEMENTS);

    if (tag == TAG_ITEM_DELIM) {
        *pos = start + 8;
        if (c->kind != CTX_ITEM)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: item delimiter outside an item (byte %llu)", w->r.name,
                                  (unsigned long long)start);
        if (c->end != UINT64_MAX && *pos != c->end)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: item delimiter inside an item of defined length "
                                  "(byte %llu)",
                                  w->r.name, (unsigned long long)start);
        pop(w);
        return PDVA_OK;
    }
    if (tag == TAG_ITEM || tag == TAG_SEQ_DELIM)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: %s where a data element was "
                              "expected (byte %llu)",
                              w->r.name, tag_str(tag, t), (unsigned long long)start);

    uint32_t len;
    uint64_t header;
    vr_class vc = VR_SHORT;
    bool is_px = false;
    if (c->explicit_vr) {
        vc = classify_vr(p + 4, &is_px);
        if (vc == VR_SHORT) {
            len = u16(p + 6, c->big_endian);
            header = 8;
        } else {
            if (w->r.size - start < 12)
                return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                      "%s: file ends inside the header of element %s", w->r.name,
                                      tag_str(tag, t));
            st = reader_fill(&w->r, start, 12, err);
            if (st != PDVA_OK)
                return st;
            p = reader_at(&w->r, start);
            len = u32(p + 8, c->big_endian);
            header = 12;
        }
    } else {
        len = u32(p + 4, c->big_endian);
        header = 8;
    }
    if (header > room(w, start))
        return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: element %s overruns its enclosing item",
                              w->r.name, tag_str(tag, t));
    *pos = start + header;
    bool top = w->sp == 0;

    if (len == UNDEFINED_LENGTH) {
        ctx inner = {CTX_SEQ, c->explicit_vr, c->big_endian, false, tag, 0, UINT64_MAX};
        if (c->explicit_vr) {
            if (vc == VR_SQ) {
                /* same encoding */
            } else if (vc == VR_UN) {
                inner.explicit_vr = false; /* PS3.5 6.2.2: implicit VR little endian inside */
                inner.big_endian = false;
            } else if (vc == VR_OBOW && (tag == TAG_PIXEL_DATA || is_px)) {
                inner.kind = CTX_PIXSEQ;
            } else {
                return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                      "%s: element %s has an undefined length but is not a "
                                      "sequence",
                                      w->r.name, tag_str(tag, t));
            }
        } else if (tag == TAG_PIXEL_DATA) {
            inner.kind = CTX_PIXSEQ;
        }
        if (inner.kind == CTX_PIXSEQ && top) {
            if (w->scan->has_pixel_data)
                return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: Pixel Data appears twice",
                                      w->r.name);
            inner.top_pixel = true;
            w->scan->has_pixel_data = true;
            w->scan->pixel_encapsulated = true;
        }
        return push(w, inner, err);
    }

    st = check_fits(w, *pos, len, tag, err);
    if (st != PDVA_OK)
        return st;
    /* DCMTK 3.6.7 makes each item of a Directory Record Sequence a DcmDirectoryRecord and
     * "verifies" its Directory Record Type with autocorrection, which throws (and leaks the
     * half-read dataset) when the value is longer than 16 characters (fixed upstream in 2024,
     * be8c395). A valid one is a single code string of at most 16. */
    if (c->kind == CTX_ITEM && c->tag == TAG_DIRECTORY_RECORDS && tag == TAG_RECORD_TYPE &&
        len > 16)
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: Directory Record Type (0004,1430) of %u bytes, longer than "
                              "16 characters",
                              w->r.name, len);
    if (c->explicit_vr && vc == VR_SQ) {
        ctx inner = {CTX_SEQ, c->explicit_vr, c->big_endian, false, tag, 0, *pos + len};
        return push(w, inner, err);
    }
    if (top && tag == TAG_PIXEL_DATA) {
        if (w->scan->has_pixel_data)
            return pdva_error_set(err, PDVA_ERR_MALFORMED, "%s: Pixel Data appears twice",
                                  w->r.name);
        w->scan->has_pixel_data = true;
        w->scan->pixel_value_offset = *pos;
        w->scan->pixel_length = len;
        *pos += len;
        return PDVA_OK;
    }
    /* A defined-length value that DCMTK may parse as a sequence (implicit VR: the dictionary
     * decides; explicit UN: when VR conversion is enabled): walk it tentatively when it starts
     * with an item tag, so that its nesting is counted; if it does not parse, it was data. */
    bool maybe_sequence = (!c->explicit_vr || vc == VR_UN) && len >= 8 && tag != TAG_PIXEL_DATA;
    if (maybe_sequence) {
        st = reader_fill(&w->r, *pos, 4, err);
        if (st != PDVA_OK)
            return st;
        const uint8_t *v = reader_at(&w->r, *pos);
        /* implicit VR content: the context's byte order, or little endian inside UN */
        bool be = c->explicit_vr ? false : c->big_endian;
        if (u16(v, be) == 0xFFFE && u16(v + 2, be) == 0xE000) {
            ctx inner = {CTX_SEQ, false, be, false, tag, 0, *pos + len};
            st = push(w, inner, err);
            if (st == PDVA_OK && w->tentative < 0)
                w->tentative = (long)w->sp;
            return st;
        }
    }
    *pos += len;
    return PDVA_OK;
}

static pdva_status walk_dataset(walker *w, uint64_t pos, pdva_error **err)
{
    const pdva_read_xfer *x = w->scan->xfer;
    w->stack[0] = (ctx){CTX_DATASET, x->explicit_vr, x->big_endian, false, 0, 0, w->r.size};
    w->sp = 0;
    w->depth = 0;
    w->tentative = -1;
    for (;;) {
        ctx *c = &w->stack[w->sp];
        if (c->end != UINT64_MAX && pos >= c->end) {
            if (w->sp == 0)
                return PDVA_OK;
            pop(w);
            continue;
        }
        if (pos >= w->r.size) {
            /* The file ends inside an undefined-length container. Accept only the top-level
             * pixel sequence that lost its delimiter after a whole fragment. */
            if (c->kind == CTX_PIXSEQ && c->top_pixel && w->sp == 1 && c->items > 0) {
                w->scan->pixel_sequence_unterminated = true;
                return PDVA_OK;
            }
            char t[12];
            return pdva_error_set(
                err, PDVA_ERR_TRUNCATED, "%s: file ends inside %s %s (truncated)", w->r.name,
                c->kind == CTX_ITEM ? "an item of sequence" : "sequence", tag_str(c->tag, t));
        }
        pdva_error *local = NULL;
        pdva_status st = (c->kind == CTX_SEQ || c->kind == CTX_PIXSEQ)
                             ? step_sequence(w, &pos, &local)
                             : step_element(w, &pos, &local);
        if (st == PDVA_OK)
            continue;
        if (w->tentative >= 0 && st != PDVA_ERR_LIMIT_EXCEEDED && st != PDVA_ERR_NO_MEMORY &&
            st != PDVA_ERR_IO && st != PDVA_ERR_INTERNAL) {
            /* The guessed sequence was plain data: skip its value. */
            pdva_error_destroy(local);
            size_t base = (size_t)w->tentative;
            pos = w->stack[base].end;
            while (w->sp >= base)
                pop(w);
            w->tentative = -1;
            continue;
        }
        pdva_error_move(err, &local);
        return st;
    }
}

/* Preamble, "DICM", and the group 0002 elements (always Explicit VR Little Endian). */
static pdva_status read_meta(walker *w, uint64_t *dataset_start, pdva_error **err)
{
    reader *r = &w->r;
    pdva_read_prescan *s = w->scan;
    if (r->size < 132)
        return pdva_error_set(err, PDVA_ERR_NOT_DICOM,
                              "%s: not a DICOM file (only %llu bytes, no DICM marker)", r->name,
                              (unsigned long long)r->size);
    pdva_status st = reader_fill(r, 0, 132, err);
    if (st != PDVA_OK)
        return st;
    if (memcmp(reader_at(r, 128), "DICM", 4) != 0)
        return pdva_error_set(err, PDVA_ERR_NOT_DICOM,
                              "%s: not a DICOM file, or one without file meta information (no "
                              "DICM marker at byte 128): its transfer syntax would have to be "
                              "guessed, so it is refused",
                              r->name);
    uint64_t pos = 132;
    uint64_t meta_end = UINT64_MAX; /* from (0002,0000) when present */
    bool first = true;
    for (;;) {
        if (meta_end != UINT64_MAX && pos >= meta_end) {
            if (pos != meta_end)
                return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                      "%s: File Meta Information Group Length (0002,0000) "
                                      "ends inside an element",
                                      r->name);
            break;
        }
        if (r->size - pos < 2) {
            if (first || meta_end != UINT64_MAX)
                return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                      "%s: file ends inside the file meta information", r->name);
            break;
        }
        st = reader_fill(r, pos, 2, err);
        if (st != PDVA_OK)
            return st;
        uint16_t group = u16(reader_at(r, pos), false);
        if (group != 0x0002) {
            if (first)
                return pdva_error_set(err, PDVA_ERR_NOT_DICOM,
                                      "%s: DICM marker without file meta information", r->name);
            if (meta_end != UINT64_MAX)
                return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                      "%s: File Meta Information Group Length (0002,0000) "
                                      "covers elements outside group 0002",
                                      r->name);
            break;
        }
        if (r->size - pos < 8)
            return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                  "%s: file ends inside the file meta information", r->name);
        st = reader_fill(r, pos, 12 <= r->size - pos ? 12 : 8, err);
        if (st != PDVA_OK)
            return st;
        const uint8_t *p = reader_at(r, pos);
        uint16_t element = u16(p + 2, false);
        if (p[4] < 'A' || p[4] > 'Z' || p[5] < 'A' || p[5] > 'Z')
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: file meta information is not encoded as Explicit VR "
                                  "Little Endian",
                                  r->name);
        bool is_px = false;
        vr_class vc = classify_vr(p + 4, &is_px);
        uint32_t len;
        uint64_t header = 8;
        if (vc == VR_SHORT) {
            len = u16(p + 6, false);
        } else {
            if (r->size - pos < 12)
                return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                      "%s: file ends inside the file meta information", r->name);
            len = u32(p + 8, false);
            header = 12;
        }
        if (len == UNDEFINED_LENGTH || vc == VR_SQ)
            return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                  "%s: file meta element (0002,%04X) is a sequence or has an "
                                  "undefined length",
                                  r->name, element);
        uint64_t value = pos + header;
        if (value + len > r->size)
            return pdva_error_set(err, PDVA_ERR_TRUNCATED,
                                  "%s: file meta element (0002,%04X) claims %u bytes, more than "
                                  "the file holds",
                                  r->name, element, len);
        if (element == 0x0000 && first && len == 4 && vc == VR_SHORT) {
            st = reader_fill(r, value, 4, err);
            if (st != PDVA_OK)
                return st;
            meta_end = value + 4 + u32(reader_at(r, value), false);
        }
        if (element == 0x0010 || element == 0x0002) {
            if (len > 64)
                return pdva_error_set(err, PDVA_ERR_MALFORMED,
                                      "%s: file meta element (0002,%04X) is longer than a UID",
                                      r->name, element);
            char uid[65] = {0};
            if (len > 0) {
                st = reader_fill(r, value, len, err);
                if (st != PDVA_OK)
                    return st;
                memcpy(uid, reader_at(r, value), len);
            }
            pdva_read_copy_trimmed(element == 0x0010 ? s->transfer_syntax_uid
                                                     : s->media_sop_class_uid,
                                   PDVA_UID_MAX, uid, len);
        }
        if (++s->n_elements > PDVA_READ_MAX_ELEMENTS)
            return pdva_error_set(err, PDVA_ERR_LIMIT_EXCEEDED, "%s: more than %u data elements",
                                  r->name, PDVA_READ_MAX_ELEMENTS);
        pos = value + len;
        first = false;
    }
    if (s->transfer_syntax_uid[0] == '\0')
        return pdva_error_set(err, PDVA_ERR_MALFORMED,
                              "%s: the file meta information has no Transfer Syntax UID "
                              "(0002,0010); the encoding would have to be guessed, so the file "
                              "is refused",
                              r->name);
    *dataset_start = pos;
    return PDVA_OK;
}

pdva_status pdva_read_prescan_file(const char *path, const pdva_limits *limits,
                                   pdva_read_prescan *scan, pdva_error **err)
{
    memset(scan, 0, sizeof *scan);
    const char *name = pdva_read_basename(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return pdva_error_set(err, PDVA_ERR_IO, "%s: cannot stat: %s", name, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return pdva_error_set(err, PDVA_ERR_IO, "%s: not a regular file", name);
    }
    scan->file_size = (uint64_t)sb.st_size;
    scan->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    scan->inode = (uint64_t)sb.st_ino;
    scan->device = (uint64_t)sb.st_dev;
    if (scan->file_size > limits->max_file_bytes) {
        close(fd);
        return pdva_error_set(
            err, PDVA_ERR_LIMIT_EXCEEDED, "%s: file of %llu bytes exceeds the limit of %llu bytes",
            name, (unsigned long long)scan->file_size, (unsigned long long)limits->max_file_bytes);
    }

    walker w;
    memset(&w, 0, sizeof w);
    w.r.fd = fd;
    w.r.size = scan->file_size;
    w.r.name = name;
    w.limits = limits;
    w.scan = scan;
    w.max_fragments = limits->max_frames > (UINT32_MAX - 16) / PDVA_READ_FRAGMENTS_PER_FRAME
                          ? UINT32_MAX
                          : limits->max_frames * PDVA_READ_FRAGMENTS_PER_FRAME + 16;
    w.cap = 2 * (size_t)limits->max_sequence_depth + 8;
    w.r.buf = pdva_malloc(BUFFER_SIZE);
    w.stack = pdva_alloc_array(w.cap, sizeof *w.stack);
    pdva_status st = PDVA_OK;
    if (!w.r.buf || !w.stack) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "%s: out of memory", name);
        goto done;
    }
    uint64_t dataset_start = 0;
    st = read_meta(&w, &dataset_start, err);
    if (st != PDVA_OK)
        goto done;
    scan->xfer = pdva_read_xfer_find(scan->transfer_syntax_uid);
    if (!scan->xfer) {
        st = pdva_error_set(err, PDVA_ERR_UNSUPPORTED,
                            "%s: transfer syntax %s is not known to this build", name,
                            scan->transfer_syntax_uid);
        goto done;
    }
    if (scan->xfer->kind == PDVA_XFER_UNPARSABLE) {
        st = pdva_error_set(err, PDVA_ERR_UNSUPPORTED, "%s: %s %s is not supported by this build",
                            name, scan->xfer->long_name, scan->xfer->uid);
        goto done;
    }
    st = walk_dataset(&w, dataset_start, err);
    if (st == PDVA_OK && scan->has_pixel_data &&
        scan->xfer->encapsulated != scan->pixel_encapsulated)
        st = pdva_error_set(err, PDVA_ERR_MALFORMED,
                            scan->pixel_encapsulated
                                ? "%s: Pixel Data is encapsulated but the transfer syntax %s is "
                                  "not"
                                : "%s: the transfer syntax %s needs encapsulated Pixel Data, "
                                  "not a value of defined length",
                            name, scan->xfer->short_name);
done:
    pdva_free(w.r.buf);
    pdva_free(w.stack);
    close(fd);
    if (st != PDVA_OK)
        pdva_read_prescan_clear(scan);
    return st;
}

void pdva_read_prescan_clear(pdva_read_prescan *scan)
{
    if (!scan)
        return;
    pdva_free(scan->fragments);
    scan->fragments = NULL;
    scan->n_fragments = 0;
}
