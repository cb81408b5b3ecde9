/* result.c — names and cleanup of analysis results.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

const char *pdva_vessel_kind_name(pdva_vessel_kind kind)
{
    switch (kind) {
    case PDVA_VESSEL_DONOR_ARTERY: return "donor_artery";
    case PDVA_VESSEL_ARTERY: return "artery";
    case PDVA_VESSEL_ARTERIALIZED_VEIN: return "arterialized_vein";
    case PDVA_VESSEL_COLLATERAL: return "collateral";
    case PDVA_VESSEL_UNKNOWN: break;
    }
    return "unknown";
}

const char *pdva_finding_type_name(pdva_finding_type type)
{
    switch (type) {
    case PDVA_FINDING_RESIDUAL_VALVE: return "residual_valve";
    case PDVA_FINDING_DONOR_RESTENOSIS: return "donor_restenosis";
    case PDVA_FINDING_COLLATERAL: return "collateral";
    case PDVA_FINDING_LOW_FLOW: return "low_flow";
    case PDVA_FINDING_CALIBRE_MISMATCH: return "calibre_mismatch";
    case PDVA_FINDING_CONDUIT_STENOSIS: return "conduit_stenosis";
    case PDVA_FINDING_OCCLUSION: return "occlusion";
    }
    return "unknown";
}

void pdva_series_result_free(pdva_series_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_vessels; i++) {
        pdva_free(r->vessels[i].points);
        pdva_free(r->vessels[i].diameter_mm);
    }
    pdva_free(r->vessels);
    for (size_t i = 0; i < r->n_venosomes; i++)
        pdva_free(r->venosomes[i].polygon);
    pdva_free(r->venosomes);
    pdva_free(r->findings);
    if (r->has_maps)
        pdva_maps_free(&r->maps);
    memset(r, 0, sizeof *r);
}

void pdva_series_result_note(pdva_series_result *r, const char *fmt, ...)
{
    if (r->n_notes >= PDVA_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes], sizeof r->notes[0], fmt, ap);
    va_end(ap);
    r->n_notes++;
}
