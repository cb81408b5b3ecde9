/* venosome_atlas.c — the venosome atlas in foot coordinates (see venosome_atlas.h).
 *
 * The partition follows the angiosome model as it projects on a lateral view of the foot: the
 * heel pad (medial calcaneal) below a line rising from the back of the heel, the posterior heel
 * and Achilles region (lateral calcaneal) behind the ankle axis, the anterior ankle and proximal
 * dorsum (anterior perforating) in front of it, the dorsum of the mid- and forefoot (dorsalis
 * pedis), and the plantar strip split into the arch (medial plantar) and the plantar forefoot
 * (lateral plantar). Medial and lateral territories overlap in a true lateral projection; this
 * 2D split is a convention that docs/methods.md states as a limit.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/venosome_atlas.h"

#include <string.h>

static const char *const venosome_ids[PDVA_VENOSOME_COUNT] = {
    "dorsalis_pedis",    "medial_plantar",    "lateral_plantar",
    "medial_calcaneal",  "lateral_calcaneal", "anterior_perforating",
};

/* Boundaries of the atlas, in foot lengths. */
#define HEEL_LINE_BACK_V 0.16  /* heel line at u = U_MIN */
#define HEEL_LINE_FRONT_U 0.30 /* heel line meets the plantar line here */
#define PLANTAR_V 0.11         /* top of the plantar strip */
#define ANKLE_U 0.22           /* ankle axis: lateral calcaneal behind, anterior perforating before */
#define DORSAL_SPLIT_U 0.45    /* anterior perforating / dorsalis pedis */
#define PLANTAR_SPLIT_U 0.62   /* medial plantar (arch) / lateral plantar (forefoot) */
#define U_MIN (-0.30)
#define U_MAX 1.30
#define V_MIN (-0.30)

const char *pdva_venosome_id(pdva_venosome v)
{
    if ((int)v < 0 || v >= PDVA_VENOSOME_COUNT)
        return NULL;
    return venosome_ids[v];
}

int pdva_venosome_from_id(const char *id, pdva_venosome *out)
{
    if (!id)
        return -1;
    for (int i = 0; i < PDVA_VENOSOME_COUNT; i++)
        if (strcmp(id, venosome_ids[i]) == 0) {
            if (out)
                *out = (pdva_venosome)i;
            return 0;
        }
    return -1;
}

pdva_vec2 pdva_foot_to_image(const pdva_foot_frame *f, double u, double v)
{
    return pdva_v2_add(f->heel, pdva_v2_add(pdva_v2_scale(f->axis_u, u * f->length),
                                            pdva_v2_scale(f->axis_v, v * f->length)));
}

void pdva_foot_from_image(const pdva_foot_frame *f, pdva_vec2 p, double *u, double *v)
{
    pdva_vec2 d = pdva_v2_sub(p, f->heel);
    double len = f->length > 0.0 ? f->length : 1.0;
    if (u)
        *u = pdva_v2_dot(d, f->axis_u) / len;
    if (v)
        *v = pdva_v2_dot(d, f->axis_v) / len;
}

/* v of the heel line at u (it falls from HEEL_LINE_BACK_V at U_MIN to PLANTAR_V at the front) */
static double heel_line_v(double u)
{
    double t = (u - U_MIN) / (HEEL_LINE_FRONT_U - U_MIN);
    return HEEL_LINE_BACK_V + (PLANTAR_V - HEEL_LINE_BACK_V) * t;
}

size_t pdva_venosome_atlas_cell(pdva_venosome v, pdva_vec2 *out)
{
    const double top = PDVA_ATLAS_TOP_V;
    switch (v) {
    case PDVA_VENOSOME_MEDIAL_CALCANEAL:
        out[0] = pdva_v2(U_MIN, V_MIN);
        out[1] = pdva_v2(HEEL_LINE_FRONT_U, V_MIN);
        out[2] = pdva_v2(HEEL_LINE_FRONT_U, PLANTAR_V);
        out[3] = pdva_v2(U_MIN, HEEL_LINE_BACK_V);
        return 4;
    case PDVA_VENOSOME_LATERAL_CALCANEAL:
        out[0] = pdva_v2(U_MIN, HEEL_LINE_BACK_V);
        out[1] = pdva_v2(ANKLE_U, heel_line_v(ANKLE_U));
        out[2] = pdva_v2(ANKLE_U, top);
        out[3] = pdva_v2(U_MIN, top);
        return 4;
    case PDVA_VENOSOME_ANTERIOR_PERFORATING:
        out[0] = pdva_v2(ANKLE_U, heel_line_v(ANKLE_U));
        out[1] = pdva_v2(HEEL_LINE_FRONT_U, PLANTAR_V);
        out[2] = pdva_v2(DORSAL_SPLIT_U, PLANTAR_V);
        out[3] = pdva_v2(DORSAL_SPLIT_U, top);
        out[4] = pdva_v2(ANKLE_U, top);
        return 5;
    case PDVA_VENOSOME_MEDIAL_PLANTAR:
        out[0] = pdva_v2(HEEL_LINE_FRONT_U, V_MIN);
        out[1] = pdva_v2(PLANTAR_SPLIT_U, V_MIN);
        out[2] = pdva_v2(PLANTAR_SPLIT_U, PLANTAR_V);
        out[3] = pdva_v2(HEEL_LINE_FRONT_U, PLANTAR_V);
        return 4;
    case PDVA_VENOSOME_LATERAL_PLANTAR:
        out[0] = pdva_v2(PLANTAR_SPLIT_U, V_MIN);
        out[1] = pdva_v2(U_MAX, V_MIN);
        out[2] = pdva_v2(U_MAX, PLANTAR_V);
        out[3] = pdva_v2(PLANTAR_SPLIT_U, PLANTAR_V);
        return 4;
    case PDVA_VENOSOME_DORSALIS_PEDIS:
        out[0] = pdva_v2(DORSAL_SPLIT_U, PLANTAR_V);
        out[1] = pdva_v2(U_MAX, PLANTAR_V);
        out[2] = pdva_v2(U_MAX, top);
        out[3] = pdva_v2(DORSAL_SPLIT_U, top);
        return 4;
    case PDVA_VENOSOME_COUNT:
        break;
    }
    return 0;
}

int pdva_venosome_at(double u, double v)
{
    pdva_vec2 cell[8] = {{0, 0}};
    for (int i = 0; i < PDVA_VENOSOME_COUNT; i++) {
        size_t n = pdva_venosome_atlas_cell((pdva_venosome)i, cell);
        if (pdva_polygon_contains(cell, n, pdva_v2(u, v)))
            return i;
    }
    return -1;
}

size_t pdva_venosome_polygon(const pdva_foot_frame *frame, pdva_venosome v,
                             const pdva_vec2 *outline, size_t n_outline, pdva_vec2 *out,
                             size_t max_out)
{
    pdva_vec2 cell[8] = {{0, 0}}, img[8];
    size_t n = pdva_venosome_atlas_cell(v, cell);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        img[i] = pdva_foot_to_image(frame, cell[i].x, cell[i].y);
    return pdva_polygon_clip_convex(outline, n_outline, img, n, out, max_out);
}

void pdva_retinaculum_zone(const pdva_foot_frame *frame, pdva_vec2 out[4])
{
    /* Behind and below the medial malleolus down to the calcaneus: the conduit runs here under
     * the flexor retinaculum before it turns into the sole. */
    out[0] = pdva_foot_to_image(frame, 0.04, 0.10);
    out[1] = pdva_foot_to_image(frame, 0.31, 0.10);
    out[2] = pdva_foot_to_image(frame, 0.31, 0.36);
    out[3] = pdva_foot_to_image(frame, 0.08, 0.36);
}

int pdva_in_retinaculum_zone(const pdva_foot_frame *frame, pdva_vec2 p)
{
    pdva_vec2 zone[4];
    pdva_retinaculum_zone(frame, zone);
    return pdva_polygon_contains(zone, 4, p);
}
