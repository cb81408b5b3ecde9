/* interpret.h — reading a measured vessel network as a p-DVA run: where the contrast comes in,
 * the donor artery and the AV connection (a leg run), the conduit and where it ends, the plantar
 * veins (a foot run), what each vessel is, and the findings measured along them: restenosis of
 * the donor artery and the AV connection, conduit stenosis and its site, occlusion, residual
 * valves, collaterals and where they drain, the arterialization flow and calibre mismatch.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_INTERPRET_H
#define PDVA_CORE_INTERPRET_H

#include "core/body.h"
#include "core/dsa.h"
#include "core/network.h"
#include "core/result.h"

typedef struct pdva_interpret_input {
    pdva_network *net;
    const pdva_dsa_result *dsa;
    const pdva_image *auc;
    const pdva_body *body;
    pdva_run_kind run;
    bool have_foot_frame;
    pdva_foot_frame foot_frame;
    double mm_per_px;          /* the spacing, or a nominal 0.3 when unknown */
    bool spacing_known;
    const double *frame_times_s;
    uint32_t frames;
    const int *wound_venosomes;
    size_t n_wound;
} pdva_interpret_input;

/* Label the network and fill res->vessels, findings, av_connection, flow, inflow. */
pdva_status pdva_interpret(const pdva_interpret_input *in, pdva_series_result *res,
                           pdva_error **err);

/* Calibre ratio under which the donor artery is "much narrower" than the conduit. */
#define PDVA_CALIBRE_MISMATCH_RATIO 0.55
/* Narrowings smaller than this (% diameter) are not reported. */
#define PDVA_MIN_STENOSIS_PCT 24.0

#endif /* PDVA_CORE_INTERPRET_H */
