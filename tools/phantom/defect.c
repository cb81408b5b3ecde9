/* defect.c — acquisition defects put into a generated run (see defect.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tools/phantom/defect.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "tools/phantom/rng.h"

#define STREAM_DEFECT 77

bool ph_defect_from_name(const char *name, ph_defect *out)
{
    static const struct {
        const char *name;
        ph_defect defect;
    } names[] = {{"no-contrast", PH_DEFECT_NO_CONTRAST},
                 {"noise", PH_DEFECT_NOISE},
                 {"saturated-frame", PH_DEFECT_SATURATED_FRAME},
                 {"blank-frame", PH_DEFECT_BLANK_FRAME}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].defect;
            return true;
        }
    return false;
}

bool ph_defect_keeps_truth(ph_defect defect)
{
    return defect != PH_DEFECT_NO_CONTRAST && defect != PH_DEFECT_NOISE;
}

void ph_defect_apply(ph_defect defect, uint16_t *pixels, uint32_t rows, uint32_t columns,
                     uint32_t frames, unsigned bits_stored, uint64_t seed)
{
    size_t npix = (size_t)rows * columns;
    uint32_t max_value = (1u << bits_stored) - 1u;
    /* the frame in the middle of the run: contrast is in the vessels by then */
    uint16_t *mid = pixels + (size_t)(frames / 2) * npix;
    switch (defect) {
    case PH_DEFECT_NONE:
    case PH_DEFECT_NO_CONTRAST:
        break;
    case PH_DEFECT_NOISE: {
        phantom_rng rng;
        phantom_rng_seed(&rng, seed, STREAM_DEFECT);
        double centre = 0.5 * max_value, sigma = 0.08 * max_value;
        for (size_t i = 0; i < npix * frames; i++) {
            double v = round(centre + sigma * phantom_rng_normal(&rng));
            pixels[i] = (uint16_t)fmin(fmax(v, 0.0), (double)max_value);
        }
        break;
    }
    case PH_DEFECT_SATURATED_FRAME:
        for (size_t i = 0; i < npix; i++)
            mid[i] = (uint16_t)max_value;
        break;
    case PH_DEFECT_BLANK_FRAME:
        memset(mid, 0, npix * sizeof *mid);
        break;
    }
}
