/* xfer.c — the transfer syntaxes the reader knows: how each one's dataset is encoded, whether
 * this build decodes its pixels, and its names for people (PS3.6 for messages, short for the
 * series summary).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "dicom/read/read_internal.h"

#define NATIVE_LE(uid, s, l)                                                                       \
    {                                                                                              \
        uid, s, l, PDVA_XFER_NATIVE, true, false, false, false                                     \
    }
/* An encapsulated syntax; its dataset is always Explicit VR Little Endian. */
#define ENCAP(uid, s, l, kind, lossy)                                                              \
    {                                                                                              \
        uid, s, l, kind, true, false, true, lossy                                                  \
    }
#define UNPARSABLE(uid, s, l)                                                                      \
    {                                                                                              \
        uid, s, l, PDVA_XFER_UNPARSABLE, true, false, false, false                                 \
    }

static const pdva_read_xfer xfers[] = {
    {"1.2.840.10008.1.2", "Implicit VR Little Endian", "Implicit VR Little Endian",
     PDVA_XFER_NATIVE, false, false, false, false},
    NATIVE_LE("1.2.840.10008.1.2.1", "Explicit VR Little Endian", "Explicit VR Little Endian"),
    {"1.2.840.10008.1.2.2", "Explicit VR Big Endian", "Explicit VR Big Endian (retired)",
     PDVA_XFER_NATIVE, true, true, false, false},
    UNPARSABLE("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian",
               "Deflated Explicit VR Little Endian"),
    UNPARSABLE("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR LE",
               "Encapsulated Uncompressed Explicit VR Little Endian"),
    ENCAP("1.2.840.10008.1.2.5", "RLE Lossless", "RLE Lossless", PDVA_XFER_RLE, false),
    ENCAP("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "JPEG Baseline (Process 1)",
          PDVA_XFER_JPEG, true),
    ENCAP("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)",
          "JPEG Extended (Process 2 & 4)", PDVA_XFER_JPEG, true),
    ENCAP("1.2.840.10008.1.2.4.57", "JPEG Lossless, Process 14",
          "JPEG Lossless, Non-Hierarchical (Process 14)", PDVA_XFER_JPEG, false),
    ENCAP("1.2.840.10008.1.2.4.70", "JPEG Lossless, SV1",
          "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection "
          "Value 1])",
          PDVA_XFER_JPEG, false),
    ENCAP("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", "JPEG-LS Lossless Image Compression",
          PDVA_XFER_JPEG_LS, false),
    ENCAP("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless",
          "JPEG-LS Lossy (Near-Lossless) Image Compression", PDVA_XFER_JPEG_LS, true),
    /* Known, parsed, refused: no decoder in this build (or retired processes nobody writes). */
    ENCAP("1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5)",
          "JPEG Extended (Process 3 & 5) (retired)", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.53", "JPEG Spectral Selection (Process 6 & 8)",
          "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.54", "JPEG Spectral Selection (Process 7 & 9)",
          "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.55", "JPEG Full Progression (Process 10 & 12)",
          "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.56", "JPEG Full Progression (Process 11 & 13)",
          "JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.58", "JPEG Lossless (Process 15)",
          "JPEG Lossless, Non-Hierarchical (Process 15) (retired)", PDVA_XFER_REFUSED, false),
    ENCAP("1.2.840.10008.1.2.4.59", "JPEG Extended, Hierarchical (16 & 18)",
          "JPEG Extended, Hierarchical (Process 16 & 18) (retired)", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.60", "JPEG Extended, Hierarchical (17 & 19)",
          "JPEG Extended, Hierarchical (Process 17 & 19) (retired)", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.61", "JPEG Spectral Selection, Hier. (20 & 22)",
          "JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.62", "JPEG Spectral Selection, Hier. (21 & 23)",
          "JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.63", "JPEG Full Progression, Hier. (24 & 26)",
          "JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.64", "JPEG Full Progression, Hier. (25 & 27)",
          "JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.65", "JPEG Lossless, Hierarchical (Process 28)",
          "JPEG Lossless, Hierarchical (Process 28) (retired)", PDVA_XFER_REFUSED, false),
    ENCAP("1.2.840.10008.1.2.4.66", "JPEG Lossless, Hierarchical (Process 29)",
          "JPEG Lossless, Hierarchical (Process 29) (retired)", PDVA_XFER_REFUSED, false),
    ENCAP("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)",
          "JPEG 2000 Image Compression (Lossless Only)", PDVA_XFER_REFUSED, false),
    ENCAP("1.2.840.10008.1.2.4.91", "JPEG 2000", "JPEG 2000 Image Compression", PDVA_XFER_REFUSED,
          true),
    ENCAP("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 (Lossless Only)",
          "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", PDVA_XFER_REFUSED,
          false),
    ENCAP("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2",
          "JPEG 2000 Part 2 Multi-component Image Compression", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.94", "JPIP Referenced", "JPIP Referenced", PDVA_XFER_REFUSED, true),
    UNPARSABLE("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", "JPIP Referenced Deflate"),
    ENCAP("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile @ Main Level",
          "MPEG2 Main Profile / Main Level", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile @ High Level",
          "MPEG2 Main Profile / High Level", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 HP 4.1",
          "MPEG-4 AVC/H.264 High Profile / Level 4.1", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD HP 4.1",
          "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 HP 4.2 2D",
          "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 HP 4.2 3D",
          "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo HP 4.2",
          "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile 5.1",
          "HEVC/H.265 Main Profile / Level 5.1", PDVA_XFER_REFUSED, true),
    ENCAP("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile 5.1",
          "HEVC/H.265 Main 10 Profile / Level 5.1", PDVA_XFER_REFUSED, true),
    /* Newer than DCMTK 3.6.7: not even parsed. */
    UNPARSABLE("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", "JPEG XL Lossless"),
    UNPARSABLE("1.2.840.10008.1.2.4.111", "JPEG XL JPEG Recompression",
               "JPEG XL JPEG Recompression"),
    UNPARSABLE("1.2.840.10008.1.2.4.112", "JPEG XL", "JPEG XL"),
    UNPARSABLE("1.2.840.10008.1.2.4.201", "HTJ2K (Lossless Only)",
               "High-Throughput JPEG 2000 Image Compression (Lossless Only)"),
    UNPARSABLE("1.2.840.10008.1.2.4.202", "HTJ2K with RPCL (Lossless Only)",
               "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)"),
    UNPARSABLE("1.2.840.10008.1.2.4.203", "HTJ2K", "High-Throughput JPEG 2000 Image Compression"),
    UNPARSABLE("1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation",
               "RFC 2557 MIME encapsulation (retired)"),
    UNPARSABLE("1.2.840.10008.1.2.6.2", "XML Encoding", "XML Encoding (retired)"),
};

const pdva_read_xfer *pdva_read_xfer_find(const char *uid)
{
    if (!uid)
        return NULL;
    size_t n = strlen(uid);
    while (n > 0 && (uid[n - 1] == ' ' || uid[n - 1] == '\0'))
        n--;
    for (size_t i = 0; i < sizeof xfers / sizeof xfers[0]; i++)
        if (strlen(xfers[i].uid) == n && memcmp(xfers[i].uid, uid, n) == 0)
            return &xfers[i];
    return NULL;
}
