/* av_connection.h — the AV connection of a leg run: the branch point of the trunk where the
 * donor artery enters the stented vein (the calibre steps up from the donor's to the conduit's),
 * and the point of the image where their lumens meet.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_AV_CONNECTION_H
#define PDVA_CORE_AV_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/network.h"
#include "core/path.h"

typedef struct pdva_av_choice {
    size_t av_k;    /* the path's segment that starts at the connection (node P->nodes[av_k]);
                       0 when no branch point qualifies */
    size_t donor_k; /* the donor artery is segments [donor_k - 1, av_k) of the path */
    double ratio;   /* calibre after / before at the connection (>= 1.12 when found) */
} pdva_av_choice;

/* Choose the connection among the branch points of the trunk path P (flattened, walked from the
 * inflow downstream through net). */
pdva_av_choice pdva_av_choose(const pdva_network *net, const pdva_path *P);

/* Where the connection chosen at segment av_k lies on the image (pixels). on_main marks the
 * segments of P (net->n_seg entries); mm_per_px converts the network's lengths. */
pdva_vec2 pdva_av_point(const pdva_network *net, const pdva_path *P, size_t av_k,
                        const bool *on_main, double mm_per_px);

#endif /* PDVA_CORE_AV_CONNECTION_H */
