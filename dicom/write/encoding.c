/* encoding.c — the names of the writer's encodings (recipes name them) and the defaults of a
 * series description (zeros: the caller sets encoding, sizes and pixels).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "dicom/pdva_dicom_writer.h"

static const struct {
    pdva_encoding encoding;
    const char *name;
} encoding_names[] = {
    {PDVA_ENCODING_XA_EXPLICIT_LE, "xa-explicit-le"},
    {PDVA_ENCODING_XA_IMPLICIT_LE, "xa-implicit-le"},
    {PDVA_ENCODING_XA_BIG_ENDIAN, "xa-big-endian"},
    {PDVA_ENCODING_XA_JPEG_LOSSLESS, "xa-jpeg-lossless"},
    {PDVA_ENCODING_XA_RLE, "xa-rle"},
    {PDVA_ENCODING_XA_JPEG_LS, "xa-jpeg-ls"},
    {PDVA_ENCODING_ENHANCED_XA, "enhanced-xa"},
    {PDVA_ENCODING_XRF, "xrf"},
    {PDVA_ENCODING_XA_FRAME_PER_FILE, "xa-frame-per-file"},
    {PDVA_ENCODING_XA_JPEG_BASELINE, "xa-jpeg-baseline"},
};

const char *pdva_encoding_name(pdva_encoding encoding)
{
    for (size_t i = 0; i < sizeof encoding_names / sizeof encoding_names[0]; i++)
        if (encoding_names[i].encoding == encoding)
            return encoding_names[i].name;
    return NULL;
}

pdva_encoding pdva_encoding_from_name(const char *name)
{
    if (!name)
        return (pdva_encoding)0;
    for (size_t i = 0; i < sizeof encoding_names / sizeof encoding_names[0]; i++)
        if (strcmp(encoding_names[i].name, name) == 0)
            return encoding_names[i].encoding;
    return (pdva_encoding)0;
}

void pdva_xa_series_desc_init(pdva_xa_series_desc *desc)
{
    if (!desc)
        return;
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->pixel_intensity_relationship = "LIN";
}
