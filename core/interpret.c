/* interpret.c — labelling the network of a leg or foot run and measuring the findings
 * (see interpret.h and docs/methods.md).
 *
 * Leg run: the contrast enters at the top with the popliteal artery; the trunk is followed
 * downstream by calibre; the AV connection is the branch point on the trunk after which the
 * calibre jumps the most (narrow donor artery before, wide stented vein after), the donor artery
 * is the trunk segment that ends there, what branches off before it is arterial, what branches
 * off the conduit after it is a collateral.
 * Foot run: the conduit enters at the top edge; it is followed down to where it divides into
 * two veins that both run on toward the forefoot (the plantar veins), or to where it stops
 * (occlusion); branches off the conduit are collaterals, the veins beyond the division are the
 * arterialized plantar and dorsal veins, scanned for residual valves.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/interpret.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "base/alloc.h"
#include "base/error.h"
#include "core/av_connection.h"
#include "core/path.h"
#include "core/qca.h"

#define MAX_AT PDVA_NETWORK_MAX_AT

typedef struct interp {
    const pdva_interpret_input *in;
    pdva_network *net;
    pdva_series_result *res;
    double mmpp;               /* mm per pixel */
    bool *on_main;             /* segments of the main path */
    pdva_finding_result *findings;
    size_t n_findings, cap_findings;
} interp;

/* ---- small helpers ------------------------------------------------------------------------ */

static int other_end(const pdva_segment *s, int node)
{
    return s->a == node ? s->b : s->a;
}

static double seg_radius(const interp *I, int seg)
{
    return pdva_segment_radius(I->net, seg);
}

static const pdva_graph_node *node_at(const interp *I, int v)
{
    return &I->net->graph.nodes[v];
}

static bool at_top_border(const interp *I, int v)
{
    const pdva_graph_node *n = node_at(I, v);
    return n->at_border && n->p.y < 0.1 * I->in->auc->height;
}

static pdva_finding_result *new_finding(interp *I, pdva_finding_type type, pdva_vec2 point,
                                        double confidence)
{
    if (I->n_findings == I->cap_findings) {
        size_t cap = I->cap_findings ? 2 * I->cap_findings : 16;
        pdva_finding_result *f = pdva_realloc_array(I->findings, cap, sizeof *f);
        if (!f)
            return NULL;
        I->findings = f;
        I->cap_findings = cap;
    }
    pdva_finding_result *f = &I->findings[I->n_findings++];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->point = point;
    f->confidence = confidence < 0.0 ? 0.0 : (confidence > 1.0 ? 1.0 : confidence);
    f->vessel = -1;
    f->stenosis_pct = f->minimal_lumen_mm = f->reference_mm = f->lesion_length_mm = NAN;
    f->transit_delay_s = f->flow_ml_min = f->artery_mm = f->vein_mm = f->ratio = NAN;
    f->flow_fraction = NAN;
    f->drains_to = PDVA_DRAINS_UNKNOWN;
    return f;
}

static double mm_or_nan(const interp *I, double v)
{
    return I->in->spacing_known ? v : NAN;
}

/* Length (mm) under which a segment between two branch points is a junction's connector: the
 * skeleton of two lumens merging splits their branch point in two, and the short piece between
 * measures the merged blob, not a vessel. */
#define CONNECTOR_MM 8.0

static bool is_connector(const interp *I, int seg)
{
    const pdva_segment *sg = &I->net->seg[seg];
    return sg->length_px * I->mmpp < CONNECTOR_MM && node_at(I, sg->a)->degree >= 3 &&
           node_at(I, sg->b)->degree >= 3;
}

/* The calibre of the way on through segment `seg` entered at node v: its own radius, or for a
 * junction's connector the widest way on beyond it. */
static double way_radius(const interp *I, int seg, int v, const bool *used, int depth)
{
    if (depth <= 0 || !is_connector(I, seg))
        return seg_radius(I, seg);
    int far = other_end(&I->net->seg[seg], v);
    int at[MAX_AT];
    size_t k = pdva_network_segments_at(I->net, far, at, MAX_AT);
    double best = -1.0;
    for (size_t i = 0; i < k; i++)
        if (at[i] != seg && !(used && used[at[i]]))
            best = fmax(best, way_radius(I, at[i], far, used, depth - 1));
    return best > 0.0 ? best : seg_radius(I, seg);
}

/* The largest child of a walk at node v coming from segment `from_seg`. */
static int largest_child(const interp *I, int v, int from_seg, const bool *used, double min_len_px)
{
    int at[MAX_AT];
    size_t k = pdva_network_segments_at(I->net, v, at, MAX_AT);
    int best = -1;
    double br = -1.0;
    for (size_t i = 0; i < k; i++) {
        int s = at[i];
        if (s == from_seg || (used && used[s]))
            continue;
        const pdva_segment *sg = &I->net->seg[s];
        int far = other_end(sg, v);
        /* short dead ends are spurs or specks, not the way on */
        if (sg->length_px < min_len_px && node_at(I, far)->degree == 1 && !node_at(I, far)->at_border)
            continue;
        double r = way_radius(I, s, v, used, 2);
        if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
            PDVA_TRACEF("    at node %d: seg %d to (%.0f,%.0f) len %.0f way r %.2f\n", v, s,
                        node_at(I, far)->p.x, node_at(I, far)->p.y, sg->length_px, r);
        if (r > br) {
            br = r;
            best = s;
        }
    }
    return best;
}

/* What a visit of a subtree does after each segment. */
typedef enum visit_step { VISIT_ON, VISIT_NOT_BEYOND, VISIT_DONE } visit_step;
typedef visit_step (*visit_fn)(const interp *I, int seg, int from, void *ctx);

/* Depth first over the segments reachable from segment `seg` entered at node v, each once, never
 * through a `blocked` one: fn(seg, node it was entered from) says whether to go on beyond it,
 * not beyond it, or stop. False when there was no memory for the visit. */
static bool visit_subtree(const interp *I, int seg, int v, const bool *blocked, visit_fn fn,
                          void *ctx)
{
    size_t nseg = I->net->n_seg;
    int *stack_s = pdva_alloc_array(nseg + 1, sizeof(int));
    int *stack_v = pdva_alloc_array(nseg + 1, sizeof(int));
    bool *seen = pdva_calloc_array(nseg + 1, sizeof(bool));
    bool ok = stack_s && stack_v && seen;
    size_t top = 0;
    if (ok) {
        stack_s[top] = seg;
        stack_v[top++] = v;
        seen[seg] = true;
    }
    while (top) {
        top--;
        int s = stack_s[top], from = stack_v[top];
        visit_step step = fn(I, s, from, ctx);
        if (step == VISIT_DONE)
            break;
        if (step == VISIT_NOT_BEYOND)
            continue;
        int far = other_end(&I->net->seg[s], from);
        int at[MAX_AT];
        size_t k = pdva_network_segments_at(I->net, far, at, MAX_AT);
        for (size_t j = 0; j < k && top < nseg; j++) {
            if (seen[at[j]] || (blocked && blocked[at[j]]))
                continue;
            seen[at[j]] = true;
            stack_s[top] = at[j];
            stack_v[top++] = far;
        }
    }
    pdva_free(stack_s);
    pdva_free(stack_v);
    pdva_free(seen);
    return ok;
}

static visit_step max_u_of_segment(const interp *I, int seg, int from, void *ctx)
{
    (void)from;
    double *best = ctx;
    const pdva_segment *sg = &I->net->seg[seg];
    for (size_t i = 0; i < sg->n; i += 4) {
        double u, v;
        pdva_foot_from_image(&I->in->foot_frame, sg->pt[i].p, &u, &v);
        if (u > *best)
            *best = u;
    }
    return VISIT_ON;
}

/* Largest u (foot frame) reached from segment `seg` entered at node v, not crossing `blocked`. */
static double subtree_max_u(const interp *I, int seg, int v, const bool *blocked)
{
    double best = -INFINITY;
    visit_subtree(I, seg, v, blocked, max_u_of_segment, &best);
    return best;
}

/* Unit direction of segment `seg` at its end node v, pointing away from v (into the segment). */
static pdva_vec2 direction_from_node(const interp *I, int seg, int v)
{
    const pdva_segment *sg = &I->net->seg[seg];
    size_t k = sg->n > 6 ? 6 : sg->n - 1;
    if (sg->a == v)
        return pdva_v2_unit(pdva_v2_sub(sg->pt[k].p, sg->pt[0].p));
    return pdva_v2_unit(pdva_v2_sub(sg->pt[sg->n - 1 - k].p, sg->pt[sg->n - 1].p));
}

/* Whether the way from segment `from` through node v into segment `to` is a plausible
 * continuation of one vessel tree, not a jump into a vessel that crosses it in projection:
 * branches leave within ~60 degrees of the way in, crossing vessels mostly do not. */
static bool continues(const interp *I, int from, int v, int to)
{
    if (node_at(I, v)->degree < 3)
        return true;
    pdva_vec2 in_dir = pdva_v2_scale(direction_from_node(I, from, v), -1.0);
    pdva_vec2 out_dir = direction_from_node(I, to, v);
    return pdva_v2_dot(in_dir, out_dir) > cos(65.0 * M_PI / 180.0);
}

/* Label every segment reachable from `seg` (entered at node v) without crossing labelled ones. */
static void label_subtree(interp *I, int seg, int v, int parent, pdva_vessel_kind kind,
                          const char *role)
{
    size_t nseg = I->net->n_seg;
    int *stack_s = pdva_alloc_array(nseg + 1, sizeof(int));
    int *stack_v = pdva_alloc_array(nseg + 1, sizeof(int));
    int *stack_p = pdva_alloc_array(nseg + 1, sizeof(int));
    if (!stack_s || !stack_v || !stack_p)
        goto out;
    size_t top = 0;
    stack_s[top] = seg;
    stack_v[top] = v;
    stack_p[top++] = parent;
    while (top) {
        top--;
        int s = stack_s[top], from = stack_v[top];
        pdva_segment *sg = &I->net->seg[s];
        if (sg->kind != PDVA_VESSEL_UNKNOWN)
            continue;
        sg->kind = kind;
        snprintf(sg->role, sizeof sg->role, "%s", role);
        sg->parent = stack_p[top];
        /* the segment keeps the orientation its arrival times gave it (pdva_network_orient):
         * the way we reached it through the graph says nothing about the flow */
        int far = other_end(sg, from);
        int at[MAX_AT];
        size_t k = pdva_network_segments_at(I->net, far, at, MAX_AT);
        for (size_t j = 0; j < k && top < nseg; j++) {
            if (I->net->seg[at[j]].kind != PDVA_VESSEL_UNKNOWN || !continues(I, s, far, at[j]))
                continue;
            stack_s[top] = at[j];
            stack_v[top] = far;
            stack_p[top++] = s;
        }
    }
out:
    pdva_free(stack_s);
    pdva_free(stack_v);
    pdva_free(stack_p);
}

/* Orient and label the segments of a path in its direction. */
static void label_path(interp *I, const pdva_path *P, size_t from_k, size_t to_k,
                       pdva_vessel_kind kind, const char *role)
{
    for (size_t k = from_k; k < to_k && k < P->n_segs; k++) {
        pdva_segment *sg = &I->net->seg[P->segs[k]];
        sg->kind = kind;
        snprintf(sg->role, sizeof sg->role, "%s", role);
        sg->parent = k > 0 ? P->segs[k - 1] : -1;
        if (sg->a != P->nodes[k])
            pdva_segment_reverse(sg);
    }
}

/* ---- the inflow --------------------------------------------------------------------------- */

/* The segment and node where the contrast enters: an end on the top edge, wide and early. */
static bool find_inflow(interp *I, int *seg_out, int *node_out)
{
    const pdva_network *net = I->net;
    double earliest = INFINITY;
    for (size_t s = 0; s < net->n_seg; s++) {
        const pdva_segment *sg = &net->seg[s];
        if (sg->removed)
            continue;
        for (int e = 0; e < 2; e++) {
            int v = e ? sg->b : sg->a;
            double arr = e ? sg->arrival_b : sg->arrival_a;
            if (at_top_border(I, v) && isfinite(arr) && arr < earliest)
                earliest = arr;
        }
    }
    double best = -1.0;
    *seg_out = -1;
    for (size_t s = 0; s < net->n_seg; s++) {
        const pdva_segment *sg = &net->seg[s];
        if (sg->removed)
            continue;
        for (int e = 0; e < 2; e++) {
            int v = e ? sg->b : sg->a;
            double arr = e ? sg->arrival_b : sg->arrival_a;
            if (!at_top_border(I, v) || node_at(I, v)->degree != 1)
                continue;
            if (PDVA_TRACE_ON("PDVA_DEBUG_INFLOW"))
                PDVA_TRACEF("inflow candidate seg %zu end (%.0f,%.0f) arrival %.2f (earliest %.2f) "
                            "r %.2f len %.0f\n",
                            s, node_at(I, v)->p.x, node_at(I, v)->p.y, arr, earliest,
                            seg_radius(I, (int)s), sg->length_px);
            /* among the early ones, the widest */
            if (isfinite(earliest) && !(isfinite(arr) && arr <= earliest + 0.6))
                continue;
            double score = seg_radius(I, (int)s) * (sg->length_px > 40 ? 1.0 : 0.5);
            if (score > best) {
                best = score;
                *seg_out = (int)s;
                *node_out = v;
            }
        }
    }
    if (*seg_out >= 0)
        return true;
    /* nothing enters from the top: the earliest end anywhere */
    best = INFINITY;
    for (size_t s = 0; s < net->n_seg; s++) {
        const pdva_segment *sg = &net->seg[s];
        if (sg->removed)
            continue;
        for (int e = 0; e < 2; e++) {
            int v = e ? sg->b : sg->a;
            double arr = e ? sg->arrival_b : sg->arrival_a;
            if (node_at(I, v)->degree == 1 && isfinite(arr) && arr < best &&
                seg_radius(I, (int)s) > 1.0) {
                best = arr;
                *seg_out = (int)s;
                *node_out = v;
            }
        }
    }
    return *seg_out >= 0;
}

static void inflow_curve(interp *I, int seg, int node)
{
    const pdva_segment *sg = &I->net->seg[seg];
    const pdva_interpret_input *in = I->in;
    size_t first = sg->a == node ? 0 : sg->n - 1;
    pdva_vec2 p = sg->pt[first].p;
    double curve[1024];
    uint32_t nf = in->frames < 1024 ? in->frames : 1024;
    for (uint32_t f = 0; f < nf; f++)
        curve[f] = f < in->dsa->first_contrast_frame
                       ? 0.0
                       : pdva_dsa_cube_sample(in->dsa, p.x, p.y, f);
    pdva_curve_compute(in->frame_times_s, curve, nf, 5.0 * I->net->point_noise * sqrt(3.0),
                       &I->res->inflow);
    I->res->has_inflow = I->res->inflow.valid;
}

/* ---- flow direction ----------------------------------------------------------------------- */

/* Median arrival over the first (or last) third of a segment, away from branch points. */
static double end_arrival(const pdva_segment *sg, bool at_end, size_t *count)
{
    double v[64];
    size_t m = 0, third = sg->n / 3 + 1;
    for (size_t j = 0; j < third && m < 64; j++) {
        size_t i = at_end ? sg->n - 1 - j : j;
        if (!sg->pt[i].near_junction && isfinite(sg->pt[i].arrival_s))
            v[m++] = sg->pt[i].arrival_s;
    }
    *count = m;
    if (!m)
        return NAN;
    for (size_t a = 1; a < m; a++)
        for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
            double t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    return v[m / 2];
}

/* Orient every segment with the flow: by its own arrival times when they clearly rise one way,
 * else away from the inflow along the network (geodesic distance), since short segments next to
 * branch points have curves mixed with their neighbours'. */
static void orient_with_flow(interp *I, int inflow_node)
{
    pdva_network *net = I->net;
    size_t nn = net->graph.n_nodes;
    double *dist = pdva_alloc_array(nn ? nn : 1, sizeof(double));
    bool *done = pdva_calloc_array(nn ? nn : 1, sizeof(bool));
    if (!dist || !done) {
        pdva_free(dist);
        pdva_free(done);
        return;
    }
    for (size_t i = 0; i < nn; i++)
        dist[i] = INFINITY;
    dist[inflow_node] = 0.0;
    for (;;) { /* Dijkstra, quadratic: networks have at most a few hundred nodes */
        int u = -1;
        for (size_t i = 0; i < nn; i++)
            if (!done[i] && isfinite(dist[i]) && (u < 0 || dist[i] < dist[u]))
                u = (int)i;
        if (u < 0)
            break;
        done[u] = true;
        for (size_t si = 0; si < net->n_seg; si++) {
            const pdva_segment *sg = &net->seg[si];
            if (sg->removed || (sg->a != u && sg->b != u))
                continue;
            int w = other_end(sg, u);
            if (dist[u] + sg->length_px < dist[w])
                dist[w] = dist[u] + sg->length_px;
        }
    }
    for (size_t si = 0; si < net->n_seg; si++) {
        pdva_segment *sg = &net->seg[si];
        if (sg->removed)
            continue;
        size_t na, nb;
        double ta = end_arrival(sg, false, &na), tb = end_arrival(sg, true, &nb);
        bool by_time = na >= 3 && nb >= 3 && isfinite(ta) && isfinite(tb) && fabs(tb - ta) > 0.3;
        bool reverse;
        if (by_time)
            reverse = tb < ta;
        else if (isfinite(dist[sg->a]) && isfinite(dist[sg->b]))
            reverse = dist[sg->b] < dist[sg->a];
        else
            reverse = false; /* not connected to the inflow: keep what pdva_network_orient gave */
        if (reverse)
            pdva_segment_reverse(sg);
    }
    pdva_free(dist);
    pdva_free(done);
}

/* ---- walking the trunk -------------------------------------------------------------------- */

typedef enum stop_kind { STOP_NONE = 0, STOP_BORDER, STOP_LEAF, STOP_SPLIT, STOP_THIN } stop_kind;

/* Follow the widest way on from (seg, node); for a foot, stop where the conduit divides into two
 * veins that both reach the forefoot. Returns how the walk ended; *split_node gets the node. */
/* The trunk's radius once the walk goes on into segment `next` of radius r_next: 0.9 x the
 * largest non-connector segment's so far (a connector measures a junction's merged blob). */
static double trunk_radius_on(const interp *I, double trunk_r, int next, double r_next)
{
    return is_connector(I, next) ? trunk_r : fmax(trunk_r, r_next * 0.9);
}

static stop_kind walk_on(interp *I, int seg, int from, double trunk_r, pdva_path *P, bool foot,
                         int *split_node)
{
    for (;;) {
        if (!pdva_path_push(P, I->net, seg, from))
            return STOP_NONE;
        I->on_main[seg] = true;
        int v = other_end(&I->net->seg[seg], from);
        const pdva_graph_node *nd = node_at(I, v);
        if (nd->degree <= 1)
            return nd->at_border ? STOP_BORDER : STOP_LEAF;
        if (foot && I->in->have_foot_frame) {
            int at[MAX_AT];
            size_t k = pdva_network_segments_at(I->net, v, at, MAX_AT);
            /* the two veins of the split are of a calibre: a collateral leaving the conduit
             * may reach the forefoot too, through a venosome branch that joins a plantar
             * vein, but it is much thinner than the conduit going on */
            int forward = 0;
            double r_first = 0.0, r_second = 0.0;
            for (size_t i = 0; i < k; i++) {
                double r = way_radius(I, at[i], v, I->on_main, 2);
                if (I->on_main[at[i]] || r < 0.22 * trunk_r)
                    continue;
                if (subtree_max_u(I, at[i], v, I->on_main) > 0.5) {
                    forward++;
                    if (r > r_first) {
                        r_second = r_first;
                        r_first = r;
                    } else if (r > r_second) {
                        r_second = r;
                    }
                }
            }
            if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
                PDVA_TRACEF("  node %d: %d forward, radii %.2f %.2f trunk %.2f\n", v, forward,
                            r_first, r_second, trunk_r);
            /* (a piece of the split's merged blob measures wider than the conduit itself).
             * Where the conduit goes on at its full calibre, the second way is a side branch
             * unless it is of a calibre with it: at the division both veins are narrower. */
            bool trunk_goes_on = r_first >= 0.85 * trunk_r && r_first <= 1.2 * trunk_r;
            double need = trunk_goes_on ? 0.55 : 0.4;
            if (forward >= 2 && r_second >= need * fmin(r_first, trunk_r)) {
                *split_node = v;
                return STOP_SPLIT;
            }
        }
        int next = largest_child(I, v, seg, I->on_main, 6.0 / I->mmpp);
        if (next < 0)
            return nd->at_border ? STOP_BORDER : STOP_LEAF;
        double r_next = way_radius(I, next, v, I->on_main, 2);
        if (r_next < 0.45 * trunk_r && I->net->seg[next].length_px * I->mmpp > 5.0) {
            *split_node = v;
            return STOP_THIN;
        }
        trunk_r = trunk_radius_on(I, trunk_r, next, r_next);
        from = v;
        seg = next;
    }
}

static stop_kind walk_trunk(interp *I, int seg, int node, pdva_path *P, bool foot, int *split_node)
{
    memset(I->on_main, 0, I->net->n_seg * sizeof(bool));
    *split_node = -1;
    return walk_on(I, seg, node, seg_radius(I, seg), P, foot, split_node);
}

/* What reaches_bottom asks of each segment. */
typedef struct bottom_visit {
    double min_r;
    bool found;
} bottom_visit;

static visit_step wide_to_bottom(const interp *I, int seg, int from, void *ctx)
{
    bottom_visit *b = ctx;
    if (seg_radius(I, seg) < b->min_r && !is_connector(I, seg))
        return VISIT_NOT_BEYOND;
    const pdva_graph_node *nd = node_at(I, other_end(&I->net->seg[seg], from));
    b->found = nd->at_border && nd->p.y > 0.9 * I->in->auc->height;
    return b->found ? VISIT_DONE : VISIT_ON;
}

/* Does a way of at least radius min_r (junction connectors aside) lead from segment `seg`,
 * entered at node v, to the bottom edge of the field, off the walk? */
static bool reaches_bottom(const interp *I, int seg, int v, double min_r)
{
    bottom_visit b = {min_r, false};
    visit_subtree(I, seg, v, I->on_main, wide_to_bottom, &b);
    return b.found;
}

/* A leg run's trunk leaves the field at the bottom (an occluded one ends where it stops
 * filling). A walk that ended on a branch too thin to follow went the wrong way at some
 * junction: a wide blob where an artery crosses the conduit's start, say, led it onto the
 * artery. Back up along the walk to the last node with a branch off it that reaches the bottom
 * edge at no less than 0.6 of the inflow's calibre, and walk on from there. Occlusions end in a
 * leaf, and what fills beyond them comes through collaterals, far thinner: neither is taken. */
static stop_kind detour_to_bottom(interp *I, pdva_path *P, stop_kind stop, int *split_node)
{
    if (stop != STOP_THIN || P->n_segs < 2)
        return stop;
    double min_r = 0.6 * seg_radius(I, P->segs[0]);
    for (size_t k = P->n_segs - 1; k >= 1; k--) {
        int v = P->nodes[k];
        int at[MAX_AT];
        size_t n = pdva_network_segments_at(I->net, v, at, MAX_AT);
        int best = -1;
        double best_r = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (I->on_main[at[i]])
                continue;
            double r = way_radius(I, at[i], v, I->on_main, 2);
            if (r > best_r && reaches_bottom(I, at[i], v, min_r)) {
                best = at[i];
                best_r = r;
            }
        }
        if (best < 0)
            continue;
        if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
            PDVA_TRACEF("detour at node %d (segment %zu of the walk): seg %d, r %.2f\n", v, k, best,
                        best_r);
        /* the walk up to node v, and its calibre there, as walk_on keeps it */
        for (size_t j = k; j < P->n_segs; j++)
            I->on_main[P->segs[j]] = false;
        P->n_segs = k;
        double trunk_r = seg_radius(I, P->segs[0]);
        for (size_t j = 1; j < k; j++) /* (a non-connector's way radius is its own) */
            trunk_r = trunk_radius_on(I, trunk_r, P->segs[j], seg_radius(I, P->segs[j]));
        trunk_r = trunk_radius_on(I, trunk_r, best, best_r);
        *split_node = -1;
        return walk_on(I, best, v, trunk_r, P, false, split_node);
    }
    return stop;
}

/* ---- findings on profiles ----------------------------------------------------------------- */

/* Stenosis between arclengths [s0, s1] of a path; the reference is fitted on points away from
 * branch points. */
static bool path_stenosis(const pdva_path *P, double s0, double s1, double min_pct,
                          pdva_stenosis *out, size_t *path_index)
{
    size_t n = 0;
    for (size_t i = 0; i < P->n; i++)
        if (P->pt[i].s_mm >= s0 && P->pt[i].s_mm <= s1)
            n++;
    memset(out, 0, sizeof *out);
    if (n < 6)
        return false;
    double *s = pdva_alloc_array(n, sizeof(double));
    double *d = pdva_alloc_array(n, sizeof(double));
    double *dr = pdva_alloc_array(n, sizeof(double));
    double *ref = pdva_alloc_array(n, sizeof(double));
    size_t *map = pdva_alloc_array(n, sizeof(size_t));
    bool ok = false;
    if (s && d && dr && ref && map) {
        size_t k = 0;
        for (size_t i = 0; i < P->n; i++) {
            if (P->pt[i].s_mm < s0 || P->pt[i].s_mm > s1)
                continue;
            s[k] = P->pt[i].s_mm;
            d[k] = P->pt[i].d;
            dr[k] = P->pt[i].near_junction ? NAN : P->pt[i].d;
            map[k] = i;
            k++;
        }
        pdva_reference_diameter(s, dr, n, ref);
        /* points at branch points are measured against overlapping vessels: not a lesion */
        for (size_t i = 0; i < n; i++)
            if (P->pt[map[i]].near_junction)
                d[i] = NAN;
        pdva_find_stenosis(s, d, ref, n, 0, n, min_pct, out);
        if (out->found) {
            *path_index = map[out->index];
            ok = true;
        }
    }
    pdva_free(s);
    pdva_free(d);
    pdva_free(dr);
    pdva_free(ref);
    pdva_free(map);
    return ok;
}

/* Vessel result index of a path point. */
static int vessel_of(const interp *I, const pdva_path *P, size_t i)
{
    (void)I;
    return P->pt[i].seg; /* segment index; mapped to the result's vessel index later */
}

static void stenosis_finding(interp *I, pdva_finding_type type, const pdva_path *P,
                             const pdva_stenosis *st, size_t pi, bool at_av)
{
    pdva_finding_result *f = new_finding(I, type, P->pt[pi].p,
                                         fmin(1.0, 0.5 + st->diameter_stenosis_pct / 100.0));
    if (!f)
        return;
    f->vessel = vessel_of(I, P, pi);
    f->stenosis_pct = st->diameter_stenosis_pct;
    f->minimal_lumen_mm = mm_or_nan(I, st->minimal_lumen_diameter);
    f->reference_mm = mm_or_nan(I, st->reference_diameter);
    f->lesion_length_mm = mm_or_nan(I, st->lesion_length);
    f->at_av_connection = at_av;
}

/* Flow through the conduit between [s0, s1]: velocity from the mean transit times, lumen from
 * the diameters. Returns ml/min or NAN; *d_mm gets the diameter used. */
static double conduit_flow(interp *I, const pdva_path *P, double s0, double s1, double *d_mm,
                           double *v_mm_s)
{
    size_t used = 0;
    double v = pdva_path_velocity(P, s0, s1, 12, &used);
    if (PDVA_TRACE_ON("PDVA_DEBUG_FLOW")) {
        PDVA_TRACEF( "flow window %.1f..%.1f mm, used %zu, v %.1f\n", s0, s1, used, v);
        for (size_t i = 0; i < P->n; i += 10)
            PDVA_TRACEF( "  s %.1f (%.1f,%.1f) d %.2f arr %.3f mean %.3f nj %d\n", P->pt[i].s_mm,
                    P->pt[i].p.x, P->pt[i].p.y, P->pt[i].d, P->pt[i].arrival_s, P->pt[i].mean_s,
                    P->pt[i].near_junction);
    }
    double d = pdva_path_median_d(P, s0, s1);
    *d_mm = d;
    *v_mm_s = v;
    if (!isfinite(v) || !isfinite(d) || !I->in->spacing_known)
        return NAN;
    /* mm^3/s -> ml/min */
    return v * M_PI * 0.25 * d * d * 0.06;
}

/* The arterialization's flow is what enters the conduit: a collateral leaving the conduit
 * further down takes its share, and a velocity timed across its take-off mixes the two flows.
 * The window [s0, s1] ends 3 mm before the first wide side branch (a median diameter at least
 * 0.35 x the conduit's just above it) when 40 mm of conduit or more are left above it to time
 * the bolus; else it stays whole. */
static double flow_window_end(const interp *I, const pdva_path *P, double s0, double s1)
{
    for (size_t k = 1; k < P->n_segs; k++) {
        double s = pdva_path_s_at_segment(P, k);
        if (s < s0 + 10.0 || s > s1)
            continue;
        double d_here = pdva_path_median_d(P, s - 15.0, s - 3.0);
        if (!isfinite(d_here))
            continue;
        int at[MAX_AT];
        size_t n = pdva_network_segments_at(I->net, P->nodes[k], at, MAX_AT);
        for (size_t j = 0; j < n; j++) {
            if (I->on_main[at[j]])
                continue;
            double d_side = 2.0 * seg_radius(I, at[j]) * I->mmpp;
            if (d_side >= 0.35 * d_here) {
                if (PDVA_TRACE_ON("PDVA_DEBUG_FLOW"))
                    PDVA_TRACEF("flow window: side branch seg %d (d %.2f mm) at s %.1f\n", at[j],
                                d_side, s);
                return s - 3.0 - s0 >= 40.0 ? s - 3.0 : s1;
            }
        }
    }
    return s1;
}

/* Last opacified point at a vessel end: walk on along its direction until the vessel's signal
 * on the AUC image falls to half of what it is just before the end. */
static pdva_vec2 refine_end(const interp *I, const pdva_path *P)
{
    size_t n = P->n;
    if (n < 4)
        return n ? P->pt[n - 1].p : pdva_v2(0, 0);
    pdva_vec2 end = P->pt[n - 1].p;
    pdva_vec2 dir = pdva_v2_unit(pdva_v2_sub(end, P->pt[n > 6 ? n - 6 : 0].p));
    const pdva_image *auc = I->in->auc;
    double ref = 0.0;
    for (int k = 3; k <= 8; k++)
        ref += pdva_image_sample(auc, end.x - dir.x * k, end.y - dir.y * k);
    ref /= 6.0;
    double bg = 0.0;
    for (int k = 18; k <= 22; k++)
        bg += pdva_image_sample(auc, end.x + dir.x * k, end.y + dir.y * k);
    bg /= 5.0;
    double half = 0.5 * (ref + bg);
    for (double t = -6.0; t <= 16.0; t += 0.25) {
        double v = pdva_image_sample(auc, end.x + dir.x * t, end.y + dir.y * t);
        if (v < half)
            return pdva_v2_add(end, pdva_v2_scale(dir, t - 0.25));
    }
    return end;
}

/* Whether anything opacifies late beyond an occlusion at `end` (heading `dir`). */
static bool fills_late_beyond(const interp *I, pdva_vec2 end, pdva_vec2 dir, double end_arrival,
                              double reach_mm)
{
    const pdva_network *net = I->net;
    for (size_t s = 0; s < net->n_seg; s++) {
        const pdva_segment *sg = &net->seg[s];
        if (sg->removed || I->on_main[s] || sg->length_px * I->mmpp < 6.0)
            continue;
        for (size_t i = 0; i < sg->n; i += 2) {
            pdva_vec2 d = pdva_v2_sub(sg->pt[i].p, end);
            double dist = pdva_v2_norm(d) * I->mmpp;
            if (dist > reach_mm || pdva_v2_dot(d, dir) < 0.0)
                continue;
            double a = sg->pt[i].arrival_s;
            if (isfinite(a) && (!isfinite(end_arrival) || a > end_arrival + 1.0))
                return true;
        }
    }
    return false;
}

/* ---- residual valves ---------------------------------------------------------------------- */

static double window_slope_arrival(const pdva_path *P, double s0, double s1)
{
    /* the median of local slopes over ~4 mm steps: a hold-up at another valve inside the window
     * is one jump, a few outlying local slopes, and must not pass for the transit */
    double slopes[256];
    size_t n = 0;
    for (size_t i = 0; i < P->n && n < 256; i++) {
        const pdva_path_point *p = &P->pt[i];
        if (p->s_mm < s0 || p->s_mm > s1 || !isfinite(p->arrival_s) || p->near_junction)
            continue;
        for (size_t k = i + 1; k < P->n; k++) {
            const pdva_path_point *q = &P->pt[k];
            if (q->s_mm > s1)
                break;
            if (q->s_mm - p->s_mm < 4.0)
                continue;
            if (isfinite(q->arrival_s) && !q->near_junction)
                slopes[n++] = (q->arrival_s - p->arrival_s) / (q->s_mm - p->s_mm);
            break;
        }
    }
    if (n < 4)
        return NAN;
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && slopes[b - 1] > slopes[b]; b--) {
            double t = slopes[b];
            slopes[b] = slopes[b - 1];
            slopes[b - 1] = t;
        }
    double slope = slopes[n / 2];
    return slope > 0.0 ? slope : 0.0;
}

/* The arrival over [s0, s1] of the vessel's own contrast: the curves at the centreline minus
 * those just outside the lumen on both sides, summed over the window's points. Where a vein
 * fills late and faintly (beyond a valve that holds the bolus up), its centreline curve is mostly
 * the tissue blush it lies in, which arrives earlier and sets the plain arrival time. */
static double vessel_own_arrival(const interp *I, const pdva_path *P, double s0, double s1)
{
    const pdva_interpret_input *in = I->in;
    uint32_t nf = in->frames;
    if (!in->dsa || nf < 3)
        return NAN;
    double *curve = pdva_calloc_array(nf, sizeof(double));
    if (!curve)
        return NAN;
    size_t used = 0;
    for (size_t i = 1; i + 1 < P->n; i++) {
        const pdva_path_point *p = &P->pt[i];
        if (p->s_mm < s0 || p->s_mm > s1 || p->near_junction || !isfinite(p->d))
            continue;
        pdva_vec2 t = pdva_v2_unit(pdva_v2_sub(P->pt[i + 1].p, P->pt[i - 1].p));
        double off = 0.5 * p->d / I->mmpp + 4.0;
        pdva_vec2 a = pdva_v2(p->p.x - t.y * off, p->p.y + t.x * off);
        pdva_vec2 b = pdva_v2(p->p.x + t.y * off, p->p.y - t.x * off);
        for (uint32_t f = in->dsa->first_contrast_frame; f < nf; f++)
            curve[f] += pdva_dsa_cube_sample(in->dsa, p->p.x, p->p.y, f) -
                        0.5 * (pdva_dsa_cube_sample(in->dsa, a.x, a.y, f) +
                               pdva_dsa_cube_sample(in->dsa, b.x, b.y, f));
        used++;
    }
    double arrival = NAN;
    if (used >= 4) {
        /* the difference of three points' noise, summed over `used` points */
        double noise = in->dsa->noise_sigma * sqrt(1.5 * (double)used);
        pdva_curve_params cp;
        pdva_curve_compute(in->frame_times_s, curve, nf, 5.0 * noise, &cp);
        if (cp.valid)
            arrival = cp.arrival_time_s;
    }
    pdva_free(curve);
    return arrival;
}

/* Add (or strengthen) a valve finding at path point i. */
static void add_valve(interp *I, const pdva_path *P, size_t i, double red, double delay,
                      double conf)
{
    const pdva_path_point *p = &P->pt[i];
    for (size_t k = 0; k < I->n_findings; k++) {
        pdva_finding_result *f = &I->findings[k];
        if (f->type != PDVA_FINDING_RESIDUAL_VALVE || pdva_v2_dist(f->point, p->p) * I->mmpp > 6.0)
            continue;
        if (conf > f->confidence) {
            f->point = p->p;
            f->stenosis_pct = 100.0 * red;
            f->transit_delay_s = delay;
            f->confidence = conf;
            f->vessel = vessel_of(I, P, i);
        }
        return;
    }
    pdva_finding_result *f = new_finding(I, PDVA_FINDING_RESIDUAL_VALVE, p->p, conf);
    if (!f)
        return;
    f->vessel = vessel_of(I, P, i);
    f->stenosis_pct = 100.0 * red;
    f->transit_delay_s = delay;
}

/* Residual competent valves along a path of arterialized veins: a focal narrowing of the lumen
 * with the contrast held up beyond it (its arrival jumps by more than transit over a few
 * millimetres can explain) and/or the valve sinus bulging upstream. The hold-up is the most
 * specific sign: transit over 5 mm of vein takes a few hundredths of a second. */
static void scan_valves(interp *I, const pdva_path *P)
{
    double s_end = P->n ? P->pt[P->n - 1].s_mm : 0.0;
    if (PDVA_TRACE_ON("PDVA_DEBUG_VALVE")) {
        PDVA_TRACEF( "valve path: %zu points, %.1f mm\n", P->n, s_end);
        for (size_t i = 0; i < P->n; i++)
            PDVA_TRACEF( "  s %.1f (%.1f,%.1f) d %.2f arr %.3f nj %d\n", P->pt[i].s_mm,
                    P->pt[i].p.x, P->pt[i].p.y, P->pt[i].d, P->pt[i].arrival_s,
                    P->pt[i].near_junction);
    }
    for (size_t i = 1; i + 1 < P->n; i++) {
        const pdva_path_point *p = &P->pt[i];
        double s = p->s_mm;
        if (!isfinite(p->d) || s < 5.0 || s > s_end - 4.0)
            continue;
        /* the narrowest point around here (valve necks are ~2 mm long) */
        bool minimum = true;
        for (size_t k = 0; k < P->n && minimum; k++) {
            const pdva_path_point *q = &P->pt[k];
            if (k != i && fabs(q->s_mm - s) <= 1.5 && isfinite(q->d) && q->d < p->d)
                minimum = false;
        }
        if (!minimum)
            continue;
        /* a branch point at the narrowing mixes the branch into its profile and its curves:
         * there only a marked narrowing with its sinus bulging and a clear hold-up is taken
         * (valves often sit just beyond a tributary's confluence) */
        bool at_junction = false;
        for (size_t k = 0; k < P->n && !at_junction; k++)
            if (P->pt[k].near_junction && fabs(P->pt[k].s_mm - s) < 1.2)
                at_junction = true;
        double up = pdva_path_median_d(P, s - 18.0, s - 9.0);
        double down = pdva_path_median_d(P, s + 4.0, s + 14.0);
        if (!isfinite(up))
            up = down;
        if (!isfinite(down))
            down = up;
        if (PDVA_TRACE_ON("PDVA_DEBUG_VALVE"))
            PDVA_TRACEF("minimum (%.1f,%.1f) s %.1f d %.2f up %.2f down %.2f\n", p->p.x, p->p.y, s,
                        p->d, up, down);
        if (!isfinite(up) || !isfinite(down) || fabs(up - down) > 0.4 * fmax(up, down))
            continue; /* not the same vein on both sides (a crossing, a change of vessel) */
        double ref = 0.5 * (up + down);
        double red = 1.0 - p->d / ref;
        /* veins under 1.5 mm are the smallest venosome branches, too thin to tell a valve from
         * noise */
        if (ref < 1.5 || red < 0.15 || p->d > 0.85 * down)
            continue;
        /* the vein goes on, clearly visible, well beyond: not the end of a vessel fading into
         * the blush of its territory */
        size_t beyond = 0, visible = 0;
        for (size_t k = i + 1; k < P->n && P->pt[k].s_mm <= s + 12.0; k++) {
            if (P->pt[k].s_mm < s + 3.0)
                continue;
            beyond++;
            visible += isfinite(P->pt[k].d) && P->pt[k].cnr >= 4.0;
        }
        if (PDVA_TRACE_ON("PDVA_DEBUG_VALVE"))
            PDVA_TRACEF("narrowing (%.1f,%.1f) s %.1f d %.2f ref %.2f red %.2f visible %zu/%zu\n",
                        p->p.x, p->p.y, s, p->d, ref, red, visible, beyond);
        if (s_end - s < 6.0 || beyond == 0 || visible * 4 < beyond * 3)
            continue;
        /* contrast held up: arrival jumps across the narrowing more than transit explains */
        double a_up = pdva_path_median_arrival(P, s - 9.0, s - 2.0);
        double a_down = pdva_path_median_arrival(P, s + 2.0, s + 9.0);
        /* a window wholly in a branch point's merge zone: its mixed curves, and then the valve
         * is held to the rule at a branch point below */
        bool mixed = false;
        if (!isfinite(a_up)) {
            a_up = pdva_path_median_arrival_all(P, s - 9.0, s - 2.0);
            mixed = true;
        }
        if (!isfinite(a_down)) {
            a_down = pdva_path_median_arrival_all(P, s + 2.0, s + 9.0);
            mixed = true;
        }
        double slope = window_slope_arrival(P, s - 40.0, s - 9.0);
        double delay = NAN;
        if (isfinite(a_up) && isfinite(a_down))
            delay = a_down - a_up - (isfinite(slope) ? fmin(slope, 0.05) * 11.0 : 0.0);
        double bulge = 0.0;
        for (size_t k = 0; k < P->n; k++) {
            const pdva_path_point *q = &P->pt[k];
            if (q->s_mm >= s - 10.0 && q->s_mm <= s - 2.5 && isfinite(q->d) && !q->near_junction)
                bulge = fmax(bulge, q->d / ref - 1.0);
        }
        bool held = isfinite(delay) && delay >= 0.2;
        bool bulged = bulge >= 0.08;
        /* no hold-up in the plain arrival times, but the shape of a valve (a neck of 30 % and
         * its sinus): the vein's own contrast may still be held up under an earlier tissue
         * blush (the last valve of a chain, near the vein's end). Its own arrival then decides:
         * a quarter of a second, about one frame interval, later beyond. */
        bool own_hold_up = false;
        if (!held && red >= 0.3 && bulged) {
            double o_up = vessel_own_arrival(I, P, s - 9.0, s - 2.0);
            double o_down = vessel_own_arrival(I, P, s + 2.0, s + 9.0);
            double own = o_down - o_up - (isfinite(slope) ? fmin(slope, 0.05) * 11.0 : 0.0);
            if (PDVA_TRACE_ON("PDVA_DEBUG_VALVE"))
                PDVA_TRACEF("own arrival (%.1f,%.1f) up %.2f down %.2f delay %.2f\n", p->p.x,
                            p->p.y, o_up, o_down, own);
            if (isfinite(own) && own >= 0.25) {
                own_hold_up = true;
                delay = own;
            }
        }
        if (PDVA_TRACE_ON("PDVA_DEBUG_VALVE"))
            PDVA_TRACEF("candidate (%.1f,%.1f) s %.1f d %.2f up %.2f down %.2f red %.2f bulge %.2f "
                        "delay %.2f junction %d\n", p->p.x, p->p.y, s, p->d, up, down, red, bulge,
                        delay, at_junction);
        /* the hold-up is required: a narrowing or a bulge alone is as often noise, overlap or
         * a normal change of calibre. The full shape of a valve (a neck of half the lumen with
         * its sinus bulging upstream) needs less of it: behind a first valve that holds the
         * bolus up, the next one's own hold-up is smeared by the slow filling (0.1-0.2 s). */
        bool shaped = red >= 0.45 && bulge >= 0.15 && isfinite(delay) && delay >= 0.1;
        bool valve;
        if (at_junction || mixed) /* vessels merging narrow and jump too: the sinus tells */
            valve = isfinite(delay) && delay >= 0.4 && red >= 0.3 && bulged;
        else
            valve = own_hold_up || (held && (red >= 0.2 || (bulged && red >= 0.15))) || shaped;
        if (!valve)
            continue;
        double conf = fmin(1.0, 0.3 + fmin(red, 0.6) + (held ? 0.25 : 0.0) + (bulged ? 0.1 : 0.0));
        add_valve(I, P, i, fmin(red, 0.95), isfinite(delay) ? fmax(0.0, delay) : NAN, conf);
    }
}

/* Every path from `seg` (entered at v) to a leaf of its subtree, scanned for valves. */
static void scan_valves_below(interp *I, int seg, int v)
{
    /* depth-first over leaf paths, bounded */
    enum { MAX_PATHS = 64 };
    typedef struct frame {
        int seg, from;
        size_t depth;
    } frame;
    frame stack[256];
    int chain[PDVA_PATH_MAX_SEGMENTS];
    int chain_from[PDVA_PATH_MAX_SEGMENTS];
    size_t top = 0, paths = 0;
    if (I->net->seg[seg].a != v)
        return; /* it flows into the split, not out of it */
    stack[top++] = (frame){seg, v, 0};
    while (top && paths < MAX_PATHS) {
        frame fr = stack[--top];
        if (fr.depth >= PDVA_PATH_MAX_SEGMENTS)
            continue;
        chain[fr.depth] = fr.seg;
        chain_from[fr.depth] = fr.from;
        int far = other_end(&I->net->seg[fr.seg], fr.from);
        int at[MAX_AT];
        size_t k = pdva_network_segments_at(I->net, far, at, MAX_AT);
        size_t pushed = 0;
        for (size_t j = 0; j < k && top < 256; j++) {
            /* downstream only: segments that start at this node (oriented by arrival) */
            if (at[j] == fr.seg || I->on_main[at[j]] || I->net->seg[at[j]].a != far)
                continue;
            bool in_chain = false;
            for (size_t c = 0; c <= fr.depth; c++)
                if (chain[c] == at[j])
                    in_chain = true;
            if (in_chain)
                continue;
            stack[top++] = (frame){at[j], far, fr.depth + 1};
            pushed++;
        }
        if (pushed)
            continue;
        /* a leaf: scan the chain root -> here */
        pdva_path P;
        memset(&P, 0, sizeof P);
        for (size_t c = 0; c <= fr.depth; c++)
            pdva_path_push(&P, I->net, chain[c], chain_from[c]);
        pdva_error *ignored = NULL;
        if (pdva_path_flatten(&P, I->net, I->mmpp, &ignored) == PDVA_OK)
            scan_valves(I, &P);
        pdva_error_destroy(ignored);
        pdva_path_free(&P);
        paths++;
    }
}

/* ---- collaterals -------------------------------------------------------------------------- */

static bool wound_has(const interp *I, int venosome)
{
    for (size_t i = 0; i < I->in->n_wound; i++)
        if (I->in->wound_venosomes[i] == venosome)
            return true;
    return false;
}

/* Cut a path where it fades: the first run of points over `run_mm` with no lumen or a CNR under
 * 3, from `from_mm` on. True when cut. A collateral's widest way on, followed past its visible
 * end, runs on through faint links between the foot's veins (behind the calcaneus, say) back
 * to the plantar veins: where it drains is where it fades, and what lies beyond says nothing of
 * it (its clarity, where it ends). */
static bool trim_where_faded(pdva_path *P, double from_mm, double run_mm)
{
    size_t run_start = 0;
    bool in_run = false;
    for (size_t i = 0; i < P->n; i++) {
        const pdva_path_point *p = &P->pt[i];
        bool seen = isfinite(p->d) && p->cnr >= 3.0;
        if (seen || p->s_mm < from_mm) {
            in_run = false;
            continue;
        }
        if (!in_run) {
            in_run = true;
            run_start = i;
        }
        if (p->s_mm - P->pt[run_start].s_mm >= run_mm && run_start >= 3) {
            P->n = run_start;
            return true;
        }
    }
    return false;
}

/* A collateral leaving the conduit at node v through segment seg: the finding, and true; false
 * when the branch is not one (no measurable lumen, or in the leg not heading back up) or is the
 * far end of a collateral already found (its way marked in `claimed`, which this one's joins). */
static bool collateral_finding(interp *I, int seg, int v, double conduit_flow_ml_min,
                               double conduit_d_mm, int division, bool *claimed)
{
    if (claimed[seg])
        return false;
    pdva_path P;
    memset(&P, 0, sizeof P);
    int s = seg, from = v;
    bool *used = pdva_calloc_array(I->net->n_seg + 1, sizeof(bool));
    if (!used)
        return false;
    for (;;) {
        if (!pdva_path_push(&P, I->net, s, from))
            break;
        used[s] = true;
        int far = other_end(&I->net->seg[s], from);
        int next = largest_child(I, far, s, used, 4.0 / I->mmpp);
        if (next < 0 || I->on_main[next])
            break;
        from = far;
        s = next;
    }
    pdva_free(used);
    pdva_error *ignored = NULL;
    if (pdva_path_flatten(&P, I->net, I->mmpp, &ignored) != PDVA_OK || P.n < 3) {
        pdva_error_destroy(ignored);
        pdva_path_free(&P);
        return false;
    }
    bool faded = I->in->run == PDVA_RUN_FOOT && trim_where_faded(&P, 8.0, 4.0);
    double length = P.pt[P.n - 1].s_mm;
    double d = pdva_path_median_d(&P, 2.0, length);
    /* a vessel: measurable lumen along most of it, clearly above the noise (not the trace of a
     * moving bone edge or a crease of the blush). Above the ankle, 50 mm and more above the
     * conduit's division, no foot vein overlaps the conduit in projection and what leaves it
     * is a collateral or a thin tributary: there a lumen seen along 4/5 of it at CNR 3 will
     * do (the heel's thick bone doubles the noise behind it). */
    size_t clear = 0, seen = 0;
    for (size_t i = 0; i < P.n; i++) {
        clear += isfinite(P.pt[i].d) && P.pt[i].cnr >= 5.0;
        seen += isfinite(P.pt[i].d) && P.pt[i].cnr >= 3.0;
    }
    bool above_ankle = division >= 0 &&
                       pdva_v2_dist(P.pt[0].p, node_at(I, division)->p) * I->mmpp >= 50.0;
    bool visible = clear * 2 >= P.n || (above_ankle && seen * 5 >= P.n * 4);
    if (length < 8.0 || !isfinite(d) || d < 1.0 || !visible) {
        if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
            PDVA_TRACEF("  not a collateral (%.0f,%.0f)->(%.0f,%.0f): %.1f mm d %.2f clear %zu/%zu "
                        "(cnr>=3 %zu)\n", P.pt[0].p.x, P.pt[0].p.y, P.pt[P.n - 1].p.x,
                        P.pt[P.n - 1].p.y, length, d, clear, P.n, seen);
        pdva_path_free(&P);
        return false;
    }
    /* In the leg, what steals the flow runs back up toward the heart. A branch that leaves the
     * conduit downward is an artery from the AV connection that ran over the conduit in
     * projection and comes out from under it (or a paired vein carrying the flow on down). */
    if (I->in->run == PDVA_RUN_LEG) {
        double top = P.pt[0].p.y;
        for (size_t i = 0; i < P.n; i++)
            top = fmin(top, P.pt[i].p.y);
        int end_node = pdva_path_end_node(&P);
        bool up = (P.pt[0].p.y - top) * I->mmpp >= 15.0 ||
                  (end_node >= 0 && at_top_border(I, end_node));
        if (!up) {
            pdva_path_free(&P);
            return false;
        }
    }
    int end = faded ? -1 : pdva_path_end_node(&P);
    /* A vein that leaves the conduit's last centimetres and ends in its division runs beside
     * it (a calcaneal or plantar vein overlapping it in projection) back into the arterialized
     * veins: it takes nothing away. */
    if (division >= 0) {
        pdva_vec2 at_div = node_at(I, division)->p;
        if (pdva_v2_dist(P.pt[0].p, at_div) * I->mmpp < 40.0 &&
            pdva_v2_dist(P.pt[P.n - 1].p, at_div) * I->mmpp < 8.0) {
            if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
                PDVA_TRACEF("  beside the conduit into its division (%.0f,%.0f)->(%.0f,%.0f)\n",
                            P.pt[0].p.x, P.pt[0].p.y, P.pt[P.n - 1].p.x, P.pt[P.n - 1].p.y);
            pdva_path_free(&P);
            return false;
        }
    }
    int drains = PDVA_DRAINS_UNKNOWN;
    const pdva_interpret_input *in = I->in;
    if (in->run == PDVA_RUN_LEG) {
        drains = PDVA_DRAINS_SYSTEMIC;
    } else if (end >= 0 && node_at(I, end)->at_border) {
        drains = PDVA_DRAINS_SYSTEMIC;
    } else if (in->have_foot_frame) {
        double u, vv;
        pdva_foot_from_image(&in->foot_frame, P.pt[P.n - 1].p, &u, &vv);
        int vs = pdva_venosome_at(u, vv);
        drains = vs >= 0 ? vs : PDVA_DRAINS_SYSTEMIC;
    }
    /* its share of the flow: its own velocity and lumen against the conduit's */
    double v_c = pdva_path_velocity(&P, 3.0, length - 2.0, 8, NULL);
    double a_near = pdva_path_median_arrival(&P, 2.0, 10.0);
    double a_far = pdva_path_median_arrival(&P, length - 10.0, length - 2.0);
    if (PDVA_TRACE_ON("PDVA_DEBUG_WALK"))
        PDVA_TRACEF("  collateral candidate (%.0f,%.0f)->(%.0f,%.0f) %.1f mm d %.2f arrival %.3f "
                    "-> %.3f v %.1f\n", P.pt[0].p.x, P.pt[0].p.y, P.pt[P.n - 1].p.x,
                    P.pt[P.n - 1].p.y, length, d, a_near, a_far, v_c);
    /* what the conduit feeds fills from the conduit outward; a foot vein that fills from its far
     * end (through the plantar veins) and only crosses or touches the conduit takes nothing from
     * it. (Not in the leg: a collateral running up is often followed onto an artery it crosses
     * on its way to the top edge, whose contrast comes earlier.) */
    if (I->in->run == PDVA_RUN_FOOT && isfinite(a_near) && isfinite(a_far) &&
        a_near > a_far + 0.3) {
        pdva_path_free(&P);
        return false;
    }
    double share = NAN;
    if (isfinite(v_c) && isfinite(d) && isfinite(conduit_flow_ml_min) && conduit_flow_ml_min > 0)
        share = v_c * M_PI * 0.25 * d * d * 0.06 / conduit_flow_ml_min;
    else if (isfinite(d) && isfinite(conduit_d_mm) && conduit_d_mm > 0.0 &&
             isfinite(conduit_flow_ml_min))
        share = NAN;
    if (isfinite(share))
        share = fmin(1.0, fmax(0.0, share));
    /* the branch point on the conduit: the conduit segment arriving at v is the parent */
    int parent = -1;
    {
        int at[MAX_AT];
        size_t k = pdva_network_segments_at(I->net, v, at, MAX_AT);
        for (size_t j = 0; j < k; j++)
            if (I->on_main[at[j]] && I->net->seg[at[j]].b == v)
                parent = at[j];
        if (parent < 0)
            for (size_t j = 0; j < k; j++)
                if (I->on_main[at[j]])
                    parent = at[j];
    }
    /* on the conduit's axis: the skeleton's branch point leans toward the collateral */
    pdva_vec2 bp = node_at(I, v)->p;
    if (parent >= 0) {
        const pdva_segment *ps = &I->net->seg[parent];
        double best = INFINITY;
        for (size_t i = 0; i < ps->n; i++) {
            double dist = pdva_v2_dist(ps->pt[i].p, node_at(I, v)->p);
            if (dist < best) {
                best = dist;
                bp = ps->pt[i].p;
            }
        }
    }
    pdva_finding_result *f = new_finding(I, PDVA_FINDING_COLLATERAL, bp, 0.8);
    if (!f) {
        pdva_path_free(&P);
        return false;
    }
    for (size_t k = 0; k < P.n_segs; k++)
        claimed[P.segs[k]] = true;
    f->vessel = seg;
    f->drains_to = drains;
    f->flow_fraction = in->spacing_known ? share : NAN;
    bool systemic = drains == PDVA_DRAINS_SYSTEMIC;
    f->embolize = systemic || drains == PDVA_DRAINS_UNKNOWN || !wound_has(I, drains);
    const char *name = systemic ? "systemic"
                       : drains >= 0 ? pdva_venosome_id((pdva_venosome)drains)
                                     : "an unknown territory";
    char share_text[64] = "";
    if (isfinite(f->flow_fraction))
        snprintf(share_text, sizeof share_text, ", about %.0f %% of the arterialized flow",
                 100.0 * f->flow_fraction);
    if (systemic)
        snprintf(f->rationale, sizeof f->rationale,
                 "leaves the arterialized conduit and drains back toward the heart%s: flow "
                 "lost to the foot",
                 share_text);
    else if (f->embolize)
        snprintf(f->rationale, sizeof f->rationale,
                 "leaves the arterialized conduit for the %s venosome, not the wound's%s",
                 name, share_text);
    else
        snprintf(f->rationale, sizeof f->rationale,
                 "feeds the wound's %s venosome%s: keep it", name, share_text);
    f->rank_score = isfinite(f->flow_fraction) ? f->flow_fraction
                                               : (isfinite(d) ? d * d / 100.0 : 0.0);
    pdva_path_free(&P);
    return true;
}

/* The branches that leave the conduit at its k-th node and are still unlabelled; none at the
 * junction the conduit starts or ends in (the AV connection, the split into the plantar veins),
 * which spreads over several skeleton nodes: what leaves there is an artery or a plantar vein. */
static size_t conduit_branches_at(const interp *I, const pdva_path *C, size_t k, int skip_node,
                                  int out[MAX_AT])
{
    int v = C->nodes[k];
    if (v == skip_node ||
        (skip_node >= 0 &&
         pdva_v2_dist(node_at(I, v)->p, node_at(I, skip_node)->p) * I->mmpp < 10.0))
        return 0;
    int at[MAX_AT];
    size_t n = pdva_network_segments_at(I->net, v, at, MAX_AT), m = 0;
    for (size_t j = 0; j < n; j++)
        if (!I->on_main[at[j]] && I->net->seg[at[j]].kind == PDVA_VESSEL_UNKNOWN)
            out[m++] = at[j];
    return m;
}

/* Collaterals found along a conduit, to be labelled once every branch has been asked. */
enum { MAX_COLLATERALS = 64 };
typedef struct collateral_set {
    int seg[MAX_COLLATERALS], node[MAX_COLLATERALS], parent[MAX_COLLATERALS];
    size_t n;
} collateral_set;

/* Ask every branch off the conduit (its nodes first_k..last_k-1) whether it is a collateral;
 * the findings are made, the labels left for label_collaterals. Nothing is labelled here: an
 * artery that crosses the conduit in projection may touch a collateral's first millimetres, and
 * two collaterals that leave a few millimetres apart often meet again in the foot's veins;
 * labelled first, one's subtree would take the other before it is asked. */
static void find_collaterals(interp *I, const pdva_path *C, size_t first_k, size_t last_k,
                             double q, double d_conduit, int skip_node, int division,
                             collateral_set *found)
{
    found->n = 0;
    bool *claimed = pdva_calloc_array(I->net->n_seg + 1, sizeof(bool));
    if (!claimed)
        return;
    for (size_t k = first_k; k < last_k && k < C->n_segs; k++) {
        int br[MAX_AT];
        size_t n = conduit_branches_at(I, C, k, skip_node, br);
        for (size_t j = 0; j < n && found->n < MAX_COLLATERALS; j++)
            if (collateral_finding(I, br[j], C->nodes[k], q, d_conduit, division, claimed)) {
                found->seg[found->n] = br[j];
                found->node[found->n] = C->nodes[k];
                found->parent[found->n++] = C->segs[k > 0 ? k - 1 : 0];
            }
    }
    pdva_free(claimed);
}

static void label_collaterals(interp *I, const collateral_set *found)
{
    for (size_t f = 0; f < found->n; f++)
        label_subtree(I, found->seg[f], found->node[f], found->parent[f], PDVA_VESSEL_COLLATERAL,
                      "collateral");
}

/* The other branches off the conduit: arteries in the leg (crossing it in projection), small
 * venous branches in the foot. */
static void label_other_branches(interp *I, const pdva_path *C, size_t first_k, size_t last_k,
                                 int skip_node)
{
    for (size_t k = first_k; k < last_k && k < C->n_segs; k++) {
        int br[MAX_AT];
        size_t n = conduit_branches_at(I, C, k, skip_node, br);
        int parent = C->segs[k > 0 ? k - 1 : 0];
        for (size_t j = 0; j < n; j++) {
            if (I->net->seg[br[j]].kind != PDVA_VESSEL_UNKNOWN)
                continue; /* taken by an earlier branch's subtree */
            if (I->in->run == PDVA_RUN_LEG)
                label_subtree(I, br[j], C->nodes[k], parent, PDVA_VESSEL_ARTERY, "artery");
            else
                label_subtree(I, br[j], C->nodes[k], parent, PDVA_VESSEL_COLLATERAL, "branch");
        }
    }
}

/* ---- the leg ------------------------------------------------------------------------------ */

static pdva_status interpret_leg(interp *I, int in_seg, int in_node, pdva_error **err)
{
    pdva_path P;
    memset(&P, 0, sizeof P);
    int split = -1;
    stop_kind stop = walk_trunk(I, in_seg, in_node, &P, false, &split);
    stop = detour_to_bottom(I, &P, stop, &split);
    if (PDVA_TRACE_ON("PDVA_DEBUG_WALK")) {
        PDVA_TRACEF("leg walk: %zu segments, stop %d\n", P.n_segs, (int)stop);
        for (size_t k = 0; k < P.n_segs; k++) {
            const pdva_segment *sg = &I->net->seg[P.segs[k]];
            PDVA_TRACEF("  seg %d (%.0f,%.0f)->(%.0f,%.0f) r %.2f len %.0f from node %d deg %d\n",
                        P.segs[k], sg->pt[0].p.x, sg->pt[0].p.y, sg->pt[sg->n - 1].p.x,
                        sg->pt[sg->n - 1].p.y, sg->median_r_px, sg->length_px, P.nodes[k],
                        node_at(I, P.nodes[k])->degree);
        }
    }
    pdva_status st = pdva_path_flatten(&P, I->net, I->mmpp, err);
    if (st != PDVA_OK) {
        pdva_path_free(&P);
        return st;
    }
    double total = P.n ? P.pt[P.n - 1].s_mm : 0.0;
    if (PDVA_TRACE_ON("PDVA_DEBUG_LEGPATH"))
        for (size_t i = 0; i < P.n; i++)
            PDVA_TRACEF("  s %.1f (%.1f,%.1f) d %.2f arr %.3f nj %d seg %d\n", P.pt[i].s_mm,
                        P.pt[i].p.x, P.pt[i].p.y, P.pt[i].d, P.pt[i].arrival_s,
                        P.pt[i].near_junction, P.pt[i].seg);
    pdva_av_choice av = pdva_av_choose(I->net, &P);
    size_t av_k = av.av_k, donor_k = av.donor_k;
    pdva_series_result *res = I->res;
    double s_av = NAN;
    if (av_k > 0) {
        s_av = pdva_path_s_at_segment(&P, av_k);
        res->has_av_connection = true;
        res->av_connection = pdva_av_point(I->net, &P, av_k, I->on_main, I->mmpp);
        res->av_confidence = fmin(1.0, 0.4 + (av.ratio - 1.0) * 1.5);
    }
    if (isfinite(s_av)) {
        label_path(I, &P, 0, donor_k - 1, PDVA_VESSEL_ARTERY, "artery");
        label_path(I, &P, donor_k - 1, av_k, PDVA_VESSEL_DONOR_ARTERY, "donor artery");
        label_path(I, &P, av_k, P.n_segs, PDVA_VESSEL_ARTERIALIZED_VEIN, "conduit");
    } else {
        label_path(I, &P, 0, P.n_segs, PDVA_VESSEL_UNKNOWN, "trunk");
        pdva_series_result_note(res, "the AV connection could not be located on this run");
    }
    /* branches off the conduit first: a collateral may run up past the arteries and cross them
     * in projection, and must not be taken for one */
    double q_leg = NAN, d_leg = NAN;
    if (isfinite(s_av)) {
        double d_c0, v_c0;
        double c_from = fmin(s_av + 35.0, total - 20.0);
        q_leg = conduit_flow(I, &P, c_from, total - 6.0, &d_c0, &v_c0);
        d_leg = d_c0;
        collateral_set found;
        find_collaterals(I, &P, av_k + 1, P.n_segs, q_leg, d_leg, P.nodes[av_k], -1, &found);
        label_collaterals(I, &found);
        label_other_branches(I, &P, av_k + 1, P.n_segs, P.nodes[av_k]);
    }
    /* branches before the connection (and at it) are arteries */
    if (isfinite(s_av))
        for (size_t k = 1; k <= av_k && k < P.n_segs; k++) {
            int v = P.nodes[k];
            int at[MAX_AT];
            size_t n = pdva_network_segments_at(I->net, v, at, MAX_AT);
            for (size_t j = 0; j < n; j++)
                if (!I->on_main[at[j]])
                    label_subtree(I, at[j], v, P.segs[k - 1], PDVA_VESSEL_ARTERY, "artery");
        }
    /* donor restenosis: the donor artery and the crossing before the calibre rises */
    if (isfinite(s_av)) {
        double s_donor0 = pdva_path_s_at_segment(&P, donor_k - 1);
        double d_donor = pdva_path_median_d(&P, s_donor0 + 2.0, s_av - 2.0);
        /* where the crossing widens into the stented vein: half way from the donor's calibre
         * to the conduit's (a crossing is rarely longer than ~2 cm) */
        double d_cond = pdva_path_median_d(&P, s_av + 30.0, s_av + 90.0);
        double s_ramp = s_av + 20.0;
        if (isfinite(d_donor) && isfinite(d_cond) && d_cond > 1.08 * d_donor) {
            double mid = 0.5 * (d_donor + d_cond);
            for (size_t i = 0; i < P.n; i++)
                if (P.pt[i].s_mm > s_av + 3.0 && P.pt[i].s_mm < s_av + 35.0 &&
                    pdva_path_median_d(&P, P.pt[i].s_mm, P.pt[i].s_mm + 4.0) > mid) {
                    s_ramp = P.pt[i].s_mm;
                    break;
                }
        }
        pdva_stenosis sten;
        size_t pi = 0;
        if (path_stenosis(&P, s_donor0 + 1.0, s_ramp - 1.0, PDVA_MIN_STENOSIS_PCT, &sten, &pi))
            stenosis_finding(I, PDVA_FINDING_DONOR_RESTENOSIS, &P, &sten, pi,
                             P.pt[pi].s_mm > s_av);
        /* conduit stenosis (in-stent) beyond the crossing, once the conduit has its full
         * calibre (the end of the ramp from the crossing, where overlapping vessels also blur
         * the calibre) */
        double s_full = s_ramp + 12.0;
        if (isfinite(d_cond))
            for (size_t i = 0; i < P.n; i++)
                if (P.pt[i].s_mm > s_ramp &&
                    pdva_path_median_d(&P, P.pt[i].s_mm, P.pt[i].s_mm + 6.0) >= 0.9 * d_cond) {
                    s_full = fmax(P.pt[i].s_mm + 5.0, s_ramp + 5.0);
                    break;
                }
        double c0 = s_full, c1 = total - 4.0;
        if (c1 - c0 > 20.0 && path_stenosis(&P, c0, c1, PDVA_MIN_STENOSIS_PCT, &sten, &pi)) {
            stenosis_finding(I, PDVA_FINDING_CONDUIT_STENOSIS, &P, &sten, pi, false);
            if (I->n_findings)
                I->findings[I->n_findings - 1].site = PDVA_SITE_STENT;
        }
        /* flow through the conduit */
        double d_c, v_c;
        double f0 = s_ramp + 15.0, f1 = flow_window_end(I, &P, f0, total - 6.0);
        double q = conduit_flow(I, &P, f0, f1, &d_c, &v_c);
        res->flow_ml_min = q;
        res->conduit_velocity_mm_s = v_c;
        /* calibre mismatch */
        if (isfinite(d_donor) && isfinite(d_c) && d_c > 0.0 &&
            d_donor / d_c < PDVA_CALIBRE_MISMATCH_RATIO) {
            pdva_finding_result *f = new_finding(I, PDVA_FINDING_CALIBRE_MISMATCH,
                                                 res->av_connection, 0.8);
            if (f) {
                f->artery_mm = mm_or_nan(I, d_donor);
                f->vein_mm = mm_or_nan(I, d_c);
                f->ratio = d_donor / d_c;
            }
        }
        /* occlusion: the conduit should leave the field at the bottom */
        pdva_vec2 last = P.n ? P.pt[P.n - 1].p : pdva_v2(0, 0);
        double margin_px = 10.0 / I->mmpp;
        bool near_edge = last.x < margin_px || last.y < margin_px ||
                         last.x > I->in->auc->width - margin_px ||
                         last.y > I->in->auc->height - margin_px;
        if ((stop == STOP_LEAF || stop == STOP_THIN) && !near_edge) {
            pdva_vec2 end = refine_end(I, &P);
            double end_arrival = pdva_path_median_arrival(&P, total - 12.0, total);
            pdva_vec2 dir = pdva_v2_unit(pdva_v2_sub(P.pt[P.n - 1].p,
                                                     P.pt[P.n > 8 ? P.n - 8 : 0].p));
            pdva_finding_result *f = new_finding(I, PDVA_FINDING_OCCLUSION, end, 0.8);
            if (f) {
                f->vessel = P.pt[P.n - 1].seg;
                f->distal_via_collaterals = fills_late_beyond(I, end, dir, end_arrival, 80.0);
            }
        }
    }
    pdva_path_free(&P);
    return PDVA_OK;
}

/* ---- the foot ----------------------------------------------------------------------------- */

static pdva_status interpret_foot(interp *I, int in_seg, int in_node, pdva_error **err)
{
    pdva_path C;
    memset(&C, 0, sizeof C);
    int split = -1;
    stop_kind stop = walk_trunk(I, in_seg, in_node, &C, true, &split);
    if (PDVA_TRACE_ON("PDVA_DEBUG_WALK")) {
        PDVA_TRACEF( "foot walk: %zu segments, stop %d, split %d\n", C.n_segs, (int)stop, split);
        for (size_t k = 0; k < C.n_segs; k++) {
            const pdva_segment *sg = &I->net->seg[C.segs[k]];
            PDVA_TRACEF( "  seg %d (%.0f,%.0f)->(%.0f,%.0f) r %.2f from node %d\n", C.segs[k],
                    sg->pt[0].p.x, sg->pt[0].p.y, sg->pt[sg->n - 1].p.x, sg->pt[sg->n - 1].p.y,
                    sg->median_r_px, C.nodes[k]);
        }
        int end = pdva_path_end_node(&C);
        int at[MAX_AT];
        size_t k = pdva_network_segments_at(I->net, end, at, MAX_AT);
        PDVA_TRACEF( "  end node %d degree %d at (%.0f,%.0f):", end, node_at(I, end)->degree,
                node_at(I, end)->p.x, node_at(I, end)->p.y);
        for (size_t j = 0; j < k; j++)
            PDVA_TRACEF( " seg %d r %.2f maxu %.2f;", at[j], seg_radius(I, at[j]),
                    I->in->have_foot_frame ? subtree_max_u(I, at[j], end, I->on_main) : -1.0);
        PDVA_TRACEF( "\n");
    }
    pdva_status st = pdva_path_flatten(&C, I->net, I->mmpp, err);
    if (st != PDVA_OK) {
        pdva_path_free(&C);
        return st;
    }
    pdva_series_result *res = I->res;
    const pdva_interpret_input *in = I->in;
    double total = C.n ? C.pt[C.n - 1].s_mm : 0.0;
    label_path(I, &C, 0, C.n_segs, PDVA_VESSEL_ARTERIALIZED_VEIN, "conduit");
    /* conduit stenosis: at the flexor retinaculum or elsewhere in the stent */
    pdva_stenosis sten;
    size_t pi = 0;
    if (total > 30.0 && path_stenosis(&C, 4.0, total - 4.0, PDVA_MIN_STENOSIS_PCT, &sten, &pi)) {
        stenosis_finding(I, PDVA_FINDING_CONDUIT_STENOSIS, &C, &sten, pi, false);
        pdva_finding_result *f = &I->findings[I->n_findings - 1];
        f->site = in->have_foot_frame && pdva_in_retinaculum_zone(&in->foot_frame, f->point)
                      ? PDVA_SITE_FLEXOR_RETINACULUM
                      : PDVA_SITE_STENT;
    }
    /* flow along the conduit */
    double d_c, v_c;
    double q = conduit_flow(I, &C, 8.0, total - 8.0, &d_c, &v_c);
    res->flow_ml_min = q;
    res->conduit_velocity_mm_s = v_c;
    /* collaterals before the plantar veins' labels: a collateral that leaves the conduit just
     * above its division and joins the foot's veins would be taken for one of them */
    collateral_set found;
    find_collaterals(I, &C, 1, C.n_segs, q, d_c, split, stop == STOP_SPLIT ? split : -1, &found);
    label_collaterals(I, &found);
    /* where it ends: dividing into the plantar veins, or stopping */
    if (stop == STOP_SPLIT && split >= 0) {
        int at[MAX_AT];
        size_t n = pdva_network_segments_at(I->net, split, at, MAX_AT);
        for (size_t j = 0; j < n; j++) {
            if (I->on_main[at[j]])
                continue;
            scan_valves_below(I, at[j], split);
            if (I->net->seg[at[j]].kind == PDVA_VESSEL_UNKNOWN)
                label_subtree(I, at[j], split, C.segs[C.n_segs - 1],
                              PDVA_VESSEL_ARTERIALIZED_VEIN, "plantar vein");
        }
    } else if (stop == STOP_LEAF || stop == STOP_THIN) {
        double u = 0.0, v = 1.0;
        if (in->have_foot_frame)
            pdva_foot_from_image(&in->foot_frame, C.pt[C.n - 1].p, &u, &v);
        /* stopped before the sole: occluded */
        if (!in->have_foot_frame || v > 0.14) {
            pdva_vec2 end = refine_end(I, &C);
            double end_arrival = pdva_path_median_arrival(&C, total - 12.0, total);
            pdva_vec2 dir = pdva_v2_unit(pdva_v2_sub(C.pt[C.n - 1].p,
                                                     C.pt[C.n > 8 ? C.n - 8 : 0].p));
            pdva_finding_result *f = new_finding(I, PDVA_FINDING_OCCLUSION, end, 0.8);
            if (f) {
                f->vessel = C.pt[C.n - 1].seg;
                /* the territory beyond: the sole and forefoot */
                f->distal_via_collaterals = fills_late_beyond(I, end, dir, end_arrival, 120.0);
            }
        }
    }
    label_other_branches(I, &C, 1, C.n_segs, split);
    /* what is left (late pieces, venosome branches not reached) */
    for (size_t s = 0; s < I->net->n_seg; s++)
        if (!I->net->seg[s].removed && I->net->seg[s].kind == PDVA_VESSEL_UNKNOWN)
            label_subtree(I, (int)s, I->net->seg[s].a, -1, PDVA_VESSEL_ARTERIALIZED_VEIN,
                          "vein");
    pdva_path_free(&C);
    return PDVA_OK;
}

/* ---- results ------------------------------------------------------------------------------ */

static pdva_status export_vessels(interp *I, pdva_error **err)
{
    pdva_network *net = I->net;
    pdva_series_result *res = I->res;
    size_t n = 0;
    for (size_t s = 0; s < net->n_seg; s++)
        n += !net->seg[s].removed;
    res->vessels = pdva_calloc_array(n ? n : 1, sizeof(pdva_vessel_result));
    if (!res->vessels)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for vessel results");
    for (size_t s = 0; s < net->n_seg; s++) {
        pdva_segment *sg = &net->seg[s];
        if (sg->removed)
            continue;
        pdva_vessel_result *v = &res->vessels[res->n_vessels];
        v->points = pdva_alloc_array(sg->n, sizeof(pdva_vec2));
        v->diameter_mm = pdva_alloc_array(sg->n, sizeof(double));
        if (!v->points || !v->diameter_mm) {
            pdva_free(v->points);
            pdva_free(v->diameter_mm);
            v->points = NULL;
            v->diameter_mm = NULL;
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for vessel results");
        }
        v->n = sg->n;
        for (size_t i = 0; i < sg->n; i++) {
            v->points[i] = sg->pt[i].p;
            v->diameter_mm[i] = I->in->spacing_known && isfinite(sg->pt[i].r_px)
                                    ? 2.0 * sg->pt[i].r_px * I->mmpp
                                    : NAN;
        }
        v->kind = sg->kind;
        snprintf(v->role, sizeof v->role, "%s", sg->role[0] ? sg->role : "vessel");
        v->arrival_time_s = sg->pt[0].arrival_s;
        if (!isfinite(v->arrival_time_s))
            v->arrival_time_s = sg->arrival_a;
        v->parent = sg->parent;
        sg->result_index = (int)res->n_vessels;
        res->n_vessels++;
    }
    /* parents and findings refer to segments so far: map them to result indices */
    for (size_t i = 0; i < res->n_vessels; i++) {
        int p = res->vessels[i].parent;
        res->vessels[i].parent = p >= 0 ? net->seg[p].result_index : -1;
    }
    for (size_t k = 0; k < I->n_findings; k++) {
        int sgi = I->findings[k].vessel;
        I->findings[k].vessel = sgi >= 0 ? net->seg[sgi].result_index : -1;
    }
    return PDVA_OK;
}

pdva_status pdva_interpret(const pdva_interpret_input *in, pdva_series_result *res,
                           pdva_error **err)
{
    interp I;
    memset(&I, 0, sizeof I);
    I.in = in;
    I.net = in->net;
    I.res = res;
    I.mmpp = in->mm_per_px;
    I.on_main = pdva_calloc_array(in->net->n_seg + 1, sizeof(bool));
    if (!I.on_main)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the interpretation");
    res->flow_ml_min = NAN;
    res->conduit_velocity_mm_s = NAN;
    pdva_status st = PDVA_OK;
    int in_seg = -1, in_node = -1;
    {
        const char *probe = PDVA_TRACE_GETENV("PDVA_PROBE_GRAPH");
        double px, py;
        if (probe && sscanf(probe, "%lf,%lf", &px, &py) == 2)
            for (size_t si = 0; si < in->net->n_seg; si++) {
                const pdva_segment *sg = &in->net->seg[si];
                for (size_t i = 0; i < sg->n; i++)
                    if (hypot(sg->pt[i].p.x - px, sg->pt[i].p.y - py) < 15.0) {
                        PDVA_TRACEF( "graph seg %zu: nodes %d(deg %d) -> %d(deg %d), %zu pts, (%.0f,%.0f)->(%.0f,%.0f) len %.1f r %.2f\n",
                                si, sg->a, in->net->graph.nodes[sg->a].degree, sg->b,
                                in->net->graph.nodes[sg->b].degree, sg->n, sg->pt[0].p.x, sg->pt[0].p.y,
                                sg->pt[sg->n - 1].p.x, sg->pt[sg->n - 1].p.y, sg->length_px, sg->median_r_px);
                        break;
                    }
            }
    }
    if (in->net->n_seg > 0 && find_inflow(&I, &in_seg, &in_node)) {
        orient_with_flow(&I, in_node);
        inflow_curve(&I, in_seg, in_node);
        if (in->run == PDVA_RUN_FOOT)
            st = interpret_foot(&I, in_seg, in_node, err);
        else
            st = interpret_leg(&I, in_seg, in_node, err);
    } else {
        pdva_series_result_note(res, "no vessel carries the contrast into the field");
    }
    if (st == PDVA_OK)
        st = export_vessels(&I, err);
    /* collaterals ranked by their share of the flow */
    for (size_t a = 0; a < I.n_findings; a++)
        for (size_t b = a + 1; b < I.n_findings; b++)
            if (I.findings[a].type == PDVA_FINDING_COLLATERAL &&
                I.findings[b].type == PDVA_FINDING_COLLATERAL &&
                I.findings[b].rank_score > I.findings[a].rank_score) {
                pdva_finding_result t = I.findings[a];
                I.findings[a] = I.findings[b];
                I.findings[b] = t;
            }
    res->findings = I.findings;
    res->n_findings = I.n_findings;
    pdva_free(I.on_main);
    return st;
}
