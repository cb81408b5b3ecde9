/* defect.h — what can go wrong in a real acquisition, put into a generated run on purpose so the
 * robustness tests can hand the analyzer a study without contrast, a run of pure noise, a frame
 * the detector saturated or dropped (blank), without editing DICOM bytes by hand.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_DEFECT_H
#define PDVA_PHANTOM_DEFECT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ph_defect {
    PH_DEFECT_NONE = 0,
    PH_DEFECT_NO_CONTRAST,     /* the injection never reached the field: no frame opacifies */
    PH_DEFECT_NOISE,           /* every frame pure detector noise: no anatomy, no contrast */
    PH_DEFECT_SATURATED_FRAME, /* one frame mid-transit at the detector's maximum */
    PH_DEFECT_BLANK_FRAME      /* one frame mid-transit all zero (a dropped frame) */
} ph_defect;

/* The defect named `name` ("no-contrast", "noise", "saturated-frame", "blank-frame"); returns
 * false for an unknown name. */
bool ph_defect_from_name(const char *name, ph_defect *out);

/* Whether the study's truth still describes what the frames show: false when the defect removes
 * the contrast or the anatomy, so no truth.json is written for it. */
bool ph_defect_keeps_truth(ph_defect defect);

/* Apply a pixel-level defect to the frames of a run (frames * rows * columns values of
 * `bits_stored` bits); no-op for PH_DEFECT_NONE and PH_DEFECT_NO_CONTRAST (the renderer handles
 * that one). `seed` makes the noise reproducible. */
void ph_defect_apply(ph_defect defect, uint16_t *pixels, uint32_t rows, uint32_t columns,
                     uint32_t frames, unsigned bits_stored, uint64_t seed);

#endif /* PDVA_PHANTOM_DEFECT_H */
