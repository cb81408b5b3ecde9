/* av_connection.c — the AV connection on a leg run's trunk (see av_connection.h and
 * docs/methods.md): which branch point of the walked path it is, from the calibre step between
 * the donor artery and the stented vein, and where on the image the two lumens meet.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/av_connection.h"

#include <math.h>

#include "core/trace.h"

/* A branch point whose calibre ratio (after / before) could be the AV connection: a rise of at
 * least 12 %, and near the largest rise of the walk. */
static bool av_qualifies(double ratio, double best)
{
    return ratio >= 1.12 && ratio >= 0.8 * best;
}

pdva_av_choice pdva_av_choose(const pdva_network *net, const pdva_path *P)
{
    /* The AV connection: a branch point where the calibre rises from the donor's to the
     * conduit's. Before it, the lower quartile of the diameters (arteries branching off above
     * inflate the trunk's profile where their lumens merge with it; a restenosis only lowers it
     * further); after it, the conduit once past the crossing (the stented vein widens over the
     * first 2-3 cm). Of the branch points whose rise comes near the largest, the first: the
     * conduit may widen on downstream, the connection stays first. */
    size_t av_k = 0;
    double best = 1.0;
    double ratio_at[PDVA_PATH_MAX_SEGMENTS] = {0.0};
    for (size_t k = 1; k < P->n_segs; k++) {
        int v = P->nodes[k];
        if (net->graph.nodes[v].degree < 3)
            continue;
        double s = pdva_path_s_at_segment(P, k);
        double before = pdva_path_quantile_d(P, s - 30.0, s - 4.0, 0.25);
        double after = pdva_path_median_d(P, s + 24.0, s + 64.0);
        /* all of that window may lie in branch points' zones (a collateral crossing the
         * conduit there): then the conduit as it is further on */
        if (!isfinite(after))
            after = pdva_path_median_d(P, s + 24.0, s + 104.0);
        if (!isfinite(before) || !isfinite(after))
            continue;
        ratio_at[k] = after / before;
        if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
            PDVA_TRACEF("  av candidate k %zu node %d s %.1f before %.2f after %.2f ratio %.2f\n",
                        k, v, s, before, after, ratio_at[k]);
        best = fmax(best, ratio_at[k]);
    }
    /* The branch point where the donor leaves a wider trunk qualifies too when the donor is
     * short (its "after" window reaches the conduit): but there the calibre drops just past
     * the node, while at the connection the stented vein starts at least at the donor's. */
    size_t first_k = 0, deferred_k = 0;
    for (size_t k = 1; k < P->n_segs; k++) {
        if (!av_qualifies(ratio_at[k], best))
            continue;
        if (first_k == 0)
            first_k = k;
        double s = pdva_path_s_at_segment(P, k);
        double up = pdva_path_median_d(P, s - 16.0, s - 3.0);
        double down = pdva_path_median_d(P, s + 3.0, s + 16.0);
        /* a jump already large at this node is the conduit starting here, whatever a small
         * dip just past it says (a narrow start of the stented vein, a measurement's noise) */
        bool drops = isfinite(up) && isfinite(down) && down < 0.97 * up && ratio_at[k] < 1.6;
        /* a donor leaving a trunk stays narrow down to the connection, the next qualifying
         * node; a stenosis at the start of the conduit is focal, and the calibre is the
         * conduit's again well before any further node */
        for (size_t kn = k + 1; drops && kn < P->n_segs; kn++) {
            if (!av_qualifies(ratio_at[kn], best))
                continue;
            double sn = pdva_path_s_at_segment(P, kn);
            double before_next = pdva_path_median_d(P, sn - 12.0, sn - 3.0);
            if (sn - s > 20.0 && isfinite(before_next) && before_next > 1.15 * up)
                drops = false;
            break;
        }
        if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
            PDVA_TRACEF("  av qualifies k %zu: calibre %.2f -> %.2f%s\n", k, up, down,
                        drops ? " (drops: the donor's origin)" : "");
        if (drops && s - pdva_path_s_at_segment(P, first_k) < 45.0)
            continue;
        /* a rise with no step at the node itself, borrowed from a branch point further down
         * (up to the middle of this node's "after" window, which is then mostly conduit below
         * that point) that rises clearly more (a quarter more; equal rises are one jump seen
         * from two nodes): the connection is there, the segment between is the donor's end */
        bool flat = isfinite(up) && isfinite(down) && down < 1.05 * up;
        const double DEFER_MM = 40.0;
        size_t next = k + 1;
        while (flat && next < P->n_segs && ratio_at[next] == 0.0 &&
               pdva_path_s_at_segment(P, next) - s < DEFER_MM)
            next++;
        if (flat && next < P->n_segs && pdva_path_s_at_segment(P, next) - s < DEFER_MM &&
            ratio_at[next] - 1.0 >= 1.25 * (ratio_at[k] - 1.0)) {
            if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
                PDVA_TRACEF("  av k %zu: no step at the node, k %zu rises more\n", k, next);
            if (deferred_k == 0)
                deferred_k = k;
            continue;
        }
        av_k = k;
        break;
    }
    if (av_k == 0)
        av_k = first_k;
    pdva_av_choice choice = {0, 0, 0.0};
    if (av_k == 0)
        return choice; /* (a qualifying node rises at least 12 %) */
    choice.av_k = av_k;
    choice.ratio = ratio_at[av_k];
    /* the donor artery: from the first node passed over for lack of a step (the segment
     * between is the donor's end, not an artery above it: a restenosis there is the donor's) */
    choice.donor_k = deferred_k > 0 && deferred_k < av_k ? deferred_k : av_k;
    return choice;
}

/* The AV connection on the trunk: the skeleton's branch point at node nodes[av_k] lies where
 * the lumens of the conduit and of the artery going on have separated, downstream of where the
 * donor artery ends. Walking back up the trunk, the merged lumens measure wider than the donor
 * alone; the connection is where the trunk narrows back to the donor's own calibre. */
pdva_vec2 pdva_av_point(const pdva_network *net, const pdva_path *P, size_t av_k,
                        const bool *on_main, double mm_per_px)
{
    int v = P->nodes[av_k];
    double s_node = pdva_path_s_at_segment(P, av_k);
    /* the donor's own calibre: an upper quantile, since a restenosis just above the connection
     * must not pass for it; measured on the donor's own segment when it is long enough, since
     * a short donor may leave a trunk wider than itself (the merged lumens would then never
     * look wider than "the donor") */
    double s_from = s_node - 40.0;
    if (av_k >= 1) {
        double s_donor = pdva_path_s_at_segment(P, av_k - 1) + 3.0;
        if (s_node - 6.0 - s_donor >= 8.0 && s_donor > s_from)
            s_from = s_donor;
    }
    double d_donor = pdva_path_quantile_d(P, s_from, s_node - 6.0, 0.75);
    size_t i_node = pdva_path_index_at(P, s_node);
    if (!isfinite(d_donor))
        return net->graph.nodes[v].p;
    /* from the node back up, past the merged lumens (wider than the donor; they may start a
     * millimetre or two above the node, whose own measurement has narrowed again), the first
     * point at the donor's calibre */
    bool merged = false;
    for (size_t i = i_node; i > 0; i--) {
        const pdva_path_point *q = &P->pt[i];
        if (s_node - q->s_mm > 12.0)
            break;
        if (!isfinite(q->d))
            continue;
        if (q->d > 1.15 * d_donor) {
            merged = true;
            continue;
        }
        if (merged)
            return q->p;
        if (s_node - q->s_mm > 4.0)
            break;
    }
    /* the lumens never looked merged (a thin artery goes on beside the conduit): where the axis
     * of that artery, taken where it runs on its own and extended back, meets the trunk */
    int side = -1;
    int at[PDVA_NETWORK_MAX_AT];
    size_t n = pdva_network_segments_at(net, v, at, PDVA_NETWORK_MAX_AT);
    for (size_t j = 0; j < n; j++)
        if (!on_main[at[j]] &&
            (side < 0 || pdva_segment_radius(net, at[j]) > pdva_segment_radius(net, side)))
            side = at[j];
    if (side < 0)
        return P->pt[i_node].p;
    const pdva_segment *sg = &net->seg[side];
    bool from_a = sg->a == v;
    pdva_vec2 near_pt = pdva_v2(0, 0), far_pt = pdva_v2(0, 0);
    bool have_near = false, have_far = false;
    for (size_t j = 0; j < sg->n; j++) {
        size_t i = from_a ? j : sg->n - 1 - j;
        double s_from_node = (from_a ? sg->pt[i].s_px : sg->length_px - sg->pt[i].s_px) * mm_per_px;
        if (!have_near && s_from_node >= 4.0) {
            near_pt = sg->pt[i].p;
            have_near = true;
        }
        if (!have_far && s_from_node >= 10.0) {
            far_pt = sg->pt[i].p;
            have_far = true;
        }
    }
    if (!have_near || !have_far)
        return P->pt[i_node].p;
    pdva_vec2 dir = pdva_v2_unit(pdva_v2_sub(near_pt, far_pt));
    size_t best = i_node;
    double best_d = INFINITY;
    for (size_t i = 0; i < P->n; i++) {
        if (fabs(P->pt[i].s_mm - s_node) > 15.0)
            continue;
        pdva_vec2 w = pdva_v2_sub(P->pt[i].p, near_pt);
        if (pdva_v2_dot(w, dir) < 0.0)
            continue; /* behind the branch's start: not on the way back */
        double perp = fabs(pdva_v2_cross(dir, w));
        if (perp < best_d) {
            best_d = perp;
            best = i;
        }
    }
    return P->pt[best].p;
}
