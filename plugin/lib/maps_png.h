/* maps_png.h — writing the parametric maps of a series into the output folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_LIB_MAPS_PNG_H
#define PDVA_LIB_MAPS_PNG_H

#include <stdbool.h>

#include "core/maps.h"

typedef struct pdva_map_file {
    bool written;
    char relative_path[96]; /* below the output folder */
    double low, high;       /* values at the ends of the colour or grey scale */
} pdva_map_file;

/* Write output_dir/maps/series-N-<map>.png for each map. Writes nothing elsewhere. */
pdva_status pdva_maps_write_png(const pdva_maps *maps, const char *output_dir,
                                unsigned series_number, pdva_map_file files[PDVA_MAP_COUNT],
                                pdva_error **err);

#endif /* PDVA_LIB_MAPS_PNG_H */
