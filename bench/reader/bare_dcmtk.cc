// bare_dcmtk.cc — DCMTK alone decoding the benchmark's files (see bare_dcmtk.h).
// SPDX-License-Identifier: GPL-3.0-or-later

#include "dcmtk/config/osconfig.h" // must come first

#include "bare_dcmtk.h"

#include <cstdio>
#include <vector>

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcpixel.h"

extern "C" long bare_dcmtk_decode_all(const char *const *paths, size_t n_paths, uint64_t *checksum,
                                      char *err_text, size_t err_cap)
{
    try {
        long frames_done = 0;
        std::vector<unsigned char> buffer;
        for (size_t p = 0; p < n_paths; p++) {
            DcmFileFormat file;
            OFCondition c = file.loadFile(paths[p], EXS_Unknown, EGL_noChange, 4096, ERM_fileOnly);
            if (c.bad()) {
                std::snprintf(err_text, err_cap, "%s: %s", paths[p], c.text());
                return -1;
            }
            DcmDataset *ds = file.getDataset();
            DcmElement *el = nullptr;
            if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) {
                std::snprintf(err_text, err_cap, "%s: no pixel data", paths[p]);
                return -1;
            }
            DcmPixelData *pixels = static_cast<DcmPixelData *>(el);
            Sint32 frames = 1;
            if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1)
                frames = 1; // DCMTK zeroes the value when the element is absent
            Uint32 frame_size = 0;
            if (pixels->getUncompressedFrameSize(ds, frame_size).bad()) {
                std::snprintf(err_text, err_cap, "%s: no frame size", paths[p]);
                return -1;
            }
            buffer.resize(frame_size + 1);
            DcmFileCache cache;
            Uint32 start_fragment = 0;
            for (Sint32 f = 0; f < frames; f++) {
                OFString color;
                c = pixels->getUncompressedFrame(ds, static_cast<Uint32>(f), start_fragment,
                                                 buffer.data(), static_cast<Uint32>(buffer.size()),
                                                 color, &cache);
                if (c.bad()) {
                    std::snprintf(err_text, err_cap, "%s frame %d: %s", paths[p], f, c.text());
                    return -1;
                }
                uint64_t sum = 0;
                for (Uint32 i = 0; i < frame_size; i += 64)
                    sum += buffer[i];
                *checksum += sum;
                frames_done++;
            }
        }
        return frames_done;
    } catch (...) {
        std::snprintf(err_text, err_cap, "exception in DCMTK");
        return -1;
    }
}
