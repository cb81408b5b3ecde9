/* vessel_graph.c — skeleton and graph of the vessel mask (see vessel_graph.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "core/vessel_graph.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/error.h"
#include "base/parallel.h"

/* Neighbour offsets P2..P9 clockwise from north: N, NE, E, SE, S, SW, W, NW. */
static const int DY[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
static const int DX[8] = {0, 1, 1, 1, 0, -1, -1, -1};

static inline int pix(const uint8_t *m, uint32_t rows, uint32_t cols, long y, long x)
{
    if (y < 0 || x < 0 || y >= (long)rows || x >= (long)cols)
        return 0;
    return m[(size_t)y * cols + (size_t)x] != 0;
}

/* What the rows of one thinning sub-iteration share. */
typedef struct thin_job {
    uint8_t *mask, *work;
    uint32_t rows, cols;
    int step;
    atomic_bool changed; /* a pixel was let go */
} thin_job;

/* Rows [y0, y1) of a sub-iteration: mark in work what the mask as it stands lets go (each
 * decision reads the mask only, so rows can be decided in any order). */
static void thin_rows(void *ctx, size_t y0, size_t y1)
{
    const thin_job *job = ctx;
    const uint8_t *mask = job->mask;
    const uint32_t rows = job->rows, cols = job->cols;
    for (size_t y = y0; y < y1; y++) {
        memset(job->work + y * cols, 0, cols);
        for (uint32_t x = 0; x < cols; x++) {
            if (!mask[y * cols + x])
                continue;
            int p[8];
            int b = 0;
            for (int k = 0; k < 8; k++) {
                p[k] = pix(mask, rows, cols, (long)y + DY[k], (long)x + DX[k]);
                b += p[k];
            }
            if (b < 2 || b > 6)
                continue;
            int a = 0;
            for (int k = 0; k < 8; k++)
                a += !p[k] && p[(k + 1) % 8];
            if (a != 1)
                continue;
            /* P2=p[0] P4=p[2] P6=p[4] P8=p[6] */
            if (job->step == 0 && ((p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])))
                continue;
            if (job->step == 1 && ((p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6])))
                continue;
            job->work[y * cols + x] = 1;
        }
    }
}

/* Rows [y0, y1): let go what the sub-iteration marked (once every row is decided). */
static void unmark_rows(void *ctx, size_t y0, size_t y1)
{
    thin_job *job = ctx;
    bool changed = false;
    for (size_t i = y0 * job->cols; i < y1 * job->cols; i++)
        if (job->work[i]) {
            job->mask[i] = 0;
            changed = true;
        }
    if (changed)
        atomic_store(&job->changed, true);
}

void pdva_skeletonize(uint8_t *mask, uint32_t rows, uint32_t cols, uint8_t *work, unsigned threads)
{
    size_t npix = (size_t)rows * cols;
    for (size_t i = 0; i < npix; i++)
        mask[i] = mask[i] ? 1 : 0;
    bool changed = true;
    while (changed) {
        changed = false;
        for (int step = 0; step < 2; step++) {
            thin_job job = {mask, work, rows, cols, step, false};
            pdva_parallel_for(threads, rows, 32, thin_rows, &job);
            pdva_parallel_for(threads, rows, 32, unmark_rows, &job);
            changed = changed || atomic_load(&job.changed);
        }
    }
    /* staircase corners: a pixel whose only two neighbours are orthogonal 4-neighbours, which
     * touch each other diagonally anyway */
    for (uint32_t y = 0; y < rows; y++)
        for (uint32_t x = 0; x < cols; x++) {
            if (!mask[(size_t)y * cols + x])
                continue;
            int p[8], b = 0;
            for (int k = 0; k < 8; k++) {
                p[k] = pix(mask, rows, cols, (long)y + DY[k], (long)x + DX[k]);
                b += p[k];
            }
            if (b != 2)
                continue;
            if ((p[0] && p[2]) || (p[2] && p[4]) || (p[4] && p[6]) || (p[6] && p[0]))
                mask[(size_t)y * cols + x] = 0;
        }
}

static int add_node(pdva_vessel_graph *g, pdva_vec2 p)
{
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? 2 * g->cap_nodes : 256;
        pdva_graph_node *n = pdva_realloc_array(g->nodes, cap, sizeof *n);
        if (!n)
            return -1;
        g->nodes = n;
        g->cap_nodes = cap;
    }
    pdva_graph_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->p = p;
    return (int)g->n_nodes++;
}

static int add_edge(pdva_vessel_graph *g, int a, int b, pdva_vec2 *pts, size_t n)
{
    if (g->n_edges == g->cap_edges) {
        size_t cap = g->cap_edges ? 2 * g->cap_edges : 256;
        pdva_graph_edge *e = pdva_realloc_array(g->edges, cap, sizeof *e);
        if (!e)
            return -1;
        g->edges = e;
        g->cap_edges = cap;
    }
    pdva_graph_edge *e = &g->edges[g->n_edges];
    e->a = a;
    e->b = b;
    e->n = n;
    e->pts = pts;
    e->removed = false;
    return (int)g->n_edges++;
}

void pdva_vessel_graph_free(pdva_vessel_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_edges; i++)
        pdva_free(g->edges[i].pts);
    pdva_free(g->edges);
    pdva_free(g->nodes);
    memset(g, 0, sizeof *g);
}

double pdva_graph_edge_length(const pdva_graph_edge *e)
{
    return pdva_polyline_length(e->pts, e->n);
}

/* Chain buffer that grows. */
typedef struct chain {
    pdva_vec2 *pts;
    size_t n, cap;
} chain;

static int chain_push(chain *c, pdva_vec2 p)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        pdva_vec2 *np = pdva_realloc_array(c->pts, cap, sizeof *np);
        if (!np)
            return -1;
        c->pts = np;
        c->cap = cap;
    }
    c->pts[c->n++] = p;
    return 0;
}

static pdva_vec2 centre(uint32_t y, uint32_t x)
{
    return pdva_v2((double)x + 0.5, (double)y + 0.5);
}

pdva_status pdva_vessel_graph_build(const uint8_t *sk, uint32_t rows, uint32_t cols,
                                    pdva_vessel_graph *g, pdva_error **err)
{
    memset(g, 0, sizeof *g);
    size_t npix = (size_t)rows * cols;
    int32_t *node_of = pdva_alloc_array(npix, sizeof(int32_t));
    uint8_t *visited = pdva_calloc_array(npix, 1);
    uint32_t *stack = pdva_alloc_array(npix, sizeof(uint32_t));
    pdva_status st = PDVA_OK;
    if (!node_of || !visited || !stack) {
        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for the vessel graph");
        goto done;
    }
    for (size_t i = 0; i < npix; i++)
        node_of[i] = -1;
    /* node pixels: ends and branch points, clustered */
    for (uint32_t y = 0; y < rows; y++)
        for (uint32_t x = 0; x < cols; x++) {
            size_t i = (size_t)y * cols + x;
            if (!sk[i] || node_of[i] >= 0)
                continue;
            int deg = 0;
            for (int k = 0; k < 8; k++)
                deg += pix(sk, rows, cols, (long)y + DY[k], (long)x + DX[k]);
            if (deg == 2 || deg == 0)
                continue;
            /* grow the cluster of adjacent branch pixels (ends are single pixels) */
            int id = add_node(g, centre(y, x));
            if (id < 0) {
                st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for graph nodes");
                goto done;
            }
            size_t top = 0;
            stack[top++] = (uint32_t)i;
            node_of[i] = id;
            double sx = 0, sy = 0;
            int count = 0;
            while (top) {
                uint32_t q = stack[--top];
                uint32_t qy = q / cols, qx = q % cols;
                sx += qx + 0.5;
                sy += qy + 0.5;
                count++;
                if (deg == 1)
                    continue;
                for (int k = 0; k < 8; k++) {
                    long ny = (long)qy + DY[k], nx = (long)qx + DX[k];
                    if (!pix(sk, rows, cols, ny, nx))
                        continue;
                    size_t j = (size_t)ny * cols + (size_t)nx;
                    if (node_of[j] >= 0)
                        continue;
                    int d2 = 0;
                    for (int m = 0; m < 8; m++)
                        d2 += pix(sk, rows, cols, ny + DY[m], nx + DX[m]);
                    if (d2 >= 3) {
                        node_of[j] = id;
                        stack[top++] = (uint32_t)j;
                    }
                }
            }
            g->nodes[id].p = pdva_v2(sx / count, sy / count);
            g->nodes[id].at_border = sx / count < 4.0 || sy / count < 4.0 ||
                                     sx / count > cols - 4.0 || sy / count > rows - 4.0;
        }
    /* trace the chains leaving every node */
    for (uint32_t y = 0; y < rows; y++)
        for (uint32_t x = 0; x < cols; x++) {
            size_t i = (size_t)y * cols + x;
            int start = node_of[i];
            if (start < 0)
                continue;
            for (int k = 0; k < 8; k++) {
                long ny = (long)y + DY[k], nx = (long)x + DX[k];
                if (!pix(sk, rows, cols, ny, nx))
                    continue;
                size_t j = (size_t)ny * cols + (size_t)nx;
                if (node_of[j] >= 0 || visited[j])
                    continue;
                chain c = {NULL, 0, 0};
                if (chain_push(&c, g->nodes[start].p) != 0) {
                    st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a chain");
                    goto done;
                }
                int end = -1;
                size_t cur = j, prev = i;
                for (;;) {
                    visited[cur] = 1;
                    uint32_t cy = (uint32_t)(cur / cols), cx = (uint32_t)(cur % cols);
                    if (chain_push(&c, centre(cy, cx)) != 0) {
                        pdva_free(c.pts);
                        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a chain");
                        goto done;
                    }
                    /* a node next to us ends the chain (not the one we left, unless far) */
                    size_t next = SIZE_MAX;
                    for (int m = 0; m < 8 && end < 0; m++) {
                        long yy = (long)cy + DY[m], xx = (long)cx + DX[m];
                        if (!pix(sk, rows, cols, yy, xx))
                            continue;
                        size_t q = (size_t)yy * cols + (size_t)xx;
                        if (q != prev && node_of[q] >= 0 && (node_of[q] != start || c.n > 3))
                            end = node_of[q];
                    }
                    /* else the next unvisited chain pixel, 4-neighbours before diagonals */
                    for (int m = 0; m < 8 && end < 0 && next == SIZE_MAX; m++) {
                        int mm = m < 4 ? 2 * m : 2 * (m - 4) + 1;
                        long yy = (long)cy + DY[mm], xx = (long)cx + DX[mm];
                        if (!pix(sk, rows, cols, yy, xx))
                            continue;
                        size_t q = (size_t)yy * cols + (size_t)xx;
                        if (q != prev && node_of[q] < 0 && !visited[q])
                            next = q;
                    }
                    if (end >= 0 || next == SIZE_MAX)
                        break;
                    prev = cur;
                    cur = next;
                }
                if (end < 0) {
                    /* dead end without a node (should not happen): close on a new node */
                    end = add_node(g, c.pts[c.n - 1]);
                    if (end < 0) {
                        pdva_free(c.pts);
                        st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for nodes");
                        goto done;
                    }
                } else if (chain_push(&c, g->nodes[end].p) != 0) {
                    pdva_free(c.pts);
                    st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for a chain");
                    goto done;
                }
                if (add_edge(g, start, end, c.pts, c.n) < 0) {
                    pdva_free(c.pts);
                    st = pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory for edges");
                    goto done;
                }
            }
        }
    for (size_t e = 0; e < g->n_edges; e++) {
        g->nodes[g->edges[e].a].degree++;
        g->nodes[g->edges[e].b].degree++;
    }
done:
    pdva_free(node_of);
    pdva_free(visited);
    pdva_free(stack);
    if (st != PDVA_OK)
        pdva_vessel_graph_free(g);
    return st;
}

static void recount_degrees(pdva_vessel_graph *g)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i].degree = 0;
    for (size_t e = 0; e < g->n_edges; e++) {
        if (g->edges[e].removed)
            continue;
        g->nodes[g->edges[e].a].degree++;
        g->nodes[g->edges[e].b].degree++;
    }
}

/* Join edges e1 and e2 that meet at node v into e1. */
static int join_edges(pdva_vessel_graph *g, size_t e1, size_t e2, int v)
{
    pdva_graph_edge *a = &g->edges[e1], *b = &g->edges[e2];
    size_t n = a->n + b->n - 1;
    pdva_vec2 *pts = pdva_alloc_array(n, sizeof *pts);
    if (!pts)
        return -1;
    size_t k = 0;
    /* a oriented to end at v */
    if (a->b == v)
        for (size_t i = 0; i < a->n; i++)
            pts[k++] = a->pts[i];
    else
        for (size_t i = a->n; i-- > 0;)
            pts[k++] = a->pts[i];
    int far_a = a->b == v ? a->a : a->b;
    /* b oriented to start at v, its first point (v) skipped */
    if (b->a == v)
        for (size_t i = 1; i < b->n; i++)
            pts[k++] = b->pts[i];
    else
        for (size_t i = b->n - 1; i-- > 0;)
            pts[k++] = b->pts[i];
    int far_b = b->a == v ? b->b : b->a;
    pdva_free(a->pts);
    a->pts = pts;
    a->n = k;
    a->a = far_a;
    a->b = far_b;
    pdva_free(b->pts);
    b->pts = NULL;
    b->n = 0;
    b->removed = true;
    g->nodes[v].removed = true;
    return 0;
}

typedef struct spur_candidate {
    size_t edge;
    int junction; /* the end that is not a leaf */
    double length;
} spur_candidate;

static int compare_spur_length(const void *x, const void *y)
{
    const spur_candidate *a = x, *b = y;
    if (a->length != b->length)
        return a->length < b->length ? -1 : 1;
    return a->edge < b->edge ? -1 : (a->edge > b->edge);
}

pdva_status pdva_vessel_graph_prune(pdva_vessel_graph *g, pdva_spur_length_fn min_len,
                                    void *user, pdva_error **err)
{
    spur_candidate *cand = pdva_alloc_array(g->n_edges ? g->n_edges : 1, sizeof *cand);
    if (!cand)
        return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory pruning the vessel graph");
    bool changed = true;
    while (changed) {
        changed = false;
        recount_degrees(g);
        size_t n_cand = 0;
        for (size_t e = 0; e < g->n_edges; e++) {
            pdva_graph_edge *ed = &g->edges[e];
            if (ed->removed)
                continue;
            int da = g->nodes[ed->a].degree, db = g->nodes[ed->b].degree;
            double len = pdva_graph_edge_length(ed);
            bool leaf_a = da == 1, leaf_b = db == 1;
            if (!leaf_a && !leaf_b)
                continue;
            /* an end at the image border is a vessel leaving the field, not a spur */
            if ((leaf_a && g->nodes[ed->a].at_border) || (leaf_b && g->nodes[ed->b].at_border)) {
                if (!(leaf_a && leaf_b))
                    continue;
            }
            pdva_vec2 at = leaf_a && !leaf_b ? g->nodes[ed->b].p : g->nodes[ed->a].p;
            double limit = min_len ? min_len(user, at) : 3.0;
            if (leaf_a && leaf_b) {
                /* isolated specks */
                if (len < 1.5 * limit) {
                    ed->removed = true;
                    changed = true;
                    g->nodes[ed->a].degree--;
                    g->nodes[ed->b].degree--;
                }
                continue;
            }
            if (len < limit)
                cand[n_cand++] = (spur_candidate){e, leaf_a ? ed->b : ed->a, len};
        }
        /* A spur sticks out of a vessel that goes on: remove short end branches, shortest
         * first, only while their branch point still joins three or more branches. The last
         * end left at a branch point is the vessel itself ending (a blunt end's skeleton forks,
         * and noise leaves short spurs along its last centimetres): it stays, so that an end is
         * not eaten away a spur's length at a time. */
        qsort(cand, n_cand, sizeof *cand, compare_spur_length);
        for (size_t k = 0; k < n_cand; k++) {
            pdva_graph_edge *ed = &g->edges[cand[k].edge];
            if (g->nodes[cand[k].junction].degree < 3)
                continue;
            ed->removed = true;
            changed = true;
            g->nodes[ed->a].degree--;
            g->nodes[ed->b].degree--;
        }
    }
    pdva_free(cand);
    /* merge chains through two-way nodes */
    recount_degrees(g);
    for (size_t v = 0; v < g->n_nodes; v++) {
        if (g->nodes[v].removed || g->nodes[v].degree != 2)
            continue;
        size_t found[2];
        int nf = 0;
        for (size_t e = 0; e < g->n_edges && nf < 2; e++) {
            if (g->edges[e].removed)
                continue;
            if (g->edges[e].a == (int)v || g->edges[e].b == (int)v)
                found[nf++] = e;
        }
        if (nf != 2 || found[0] == found[1])
            continue; /* a loop through v: leave it */
        if (g->edges[found[0]].a == g->edges[found[0]].b)
            continue;
        if (join_edges(g, found[0], found[1], (int)v) != 0)
            return pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory merging vessel chains");
    }
    for (size_t v = 0; v < g->n_nodes; v++)
        if (g->nodes[v].degree == 0)
            g->nodes[v].removed = true;
    recount_degrees(g);
    return PDVA_OK;
}

/* Direction in which the edge leaves through its end node v (pointing out of the vessel). */
static pdva_vec2 end_direction(const pdva_graph_edge *e, int v)
{
    size_t back = e->n > 8 ? 8 : e->n - 1;
    if (e->b == v && e->n >= 2)
        return pdva_v2_unit(pdva_v2_sub(e->pts[e->n - 1], e->pts[e->n - 1 - back]));
    return pdva_v2_unit(pdva_v2_sub(e->pts[0], e->pts[back]));
}

size_t pdva_vessel_graph_bridge(pdva_vessel_graph *g, double max_gap_px, double max_angle_deg,
                                pdva_error **err)
{
    recount_degrees(g);
    size_t n = g->n_nodes, added = 0;
    int *edge_of = pdva_alloc_array(n ? n : 1, sizeof(int));
    bool *joined = pdva_calloc_array(n ? n : 1, sizeof(bool));
    if (!edge_of || !joined) {
        pdva_free(edge_of);
        pdva_free(joined);
        pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        edge_of[i] = -1;
    for (size_t e = 0; e < g->n_edges; e++) {
        if (g->edges[e].removed)
            continue;
        if (g->nodes[g->edges[e].a].degree == 1)
            edge_of[g->edges[e].a] = (int)e;
        if (g->nodes[g->edges[e].b].degree == 1)
            edge_of[g->edges[e].b] = (int)e;
    }
    double cos_ahead = cos(max_angle_deg * M_PI / 180.0);
    double cos_back = cos(1.5 * max_angle_deg * M_PI / 180.0);
    for (size_t a = 0; a < n; a++) {
        if (edge_of[a] < 0 || joined[a] || g->nodes[a].at_border)
            continue;
        pdva_vec2 da = end_direction(&g->edges[edge_of[a]], (int)a);
        int best = -1;
        double best_d = max_gap_px;
        for (size_t b = 0; b < n; b++) {
            if (b == a || edge_of[b] < 0 || joined[b] || edge_of[b] == edge_of[a] ||
                g->nodes[b].at_border)
                continue;
            pdva_vec2 v = pdva_v2_sub(g->nodes[b].p, g->nodes[a].p);
            double d = pdva_v2_norm(v);
            if (d >= best_d || d < 1e-6)
                continue;
            pdva_vec2 u = pdva_v2_scale(v, 1.0 / d);
            pdva_vec2 db = end_direction(&g->edges[edge_of[b]], (int)b);
            if (pdva_v2_dot(u, da) < cos_ahead || pdva_v2_dot(pdva_v2_scale(u, -1.0), db) < cos_back)
                continue;
            best = (int)b;
            best_d = d;
        }
        if (best < 0)
            continue;
        size_t np = (size_t)ceil(best_d) + 1;
        if (np < 2)
            np = 2;
        pdva_vec2 *pts = pdva_alloc_array(np, sizeof *pts);
        if (!pts) {
            pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
            break;
        }
        for (size_t k = 0; k < np; k++)
            pts[k] = pdva_v2_lerp(g->nodes[a].p, g->nodes[best].p, (double)k / (double)(np - 1));
        if (add_edge(g, (int)a, best, pts, np) < 0) {
            pdva_free(pts);
            pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
            break;
        }
        joined[a] = joined[best] = true;
        added++;
    }
    pdva_free(edge_of);
    pdva_free(joined);
    recount_degrees(g);
    return added;
}

/* Split edge e at its point k (0 < k < n - 1) by a new node; returns the node or -1. The two
 * halves get their own copies of the points; the old edge is marked removed. */
static int split_edge(pdva_vessel_graph *g, size_t e, size_t k)
{
    pdva_graph_edge old = g->edges[e];
    pdva_vec2 *first = pdva_alloc_array(k + 1, sizeof *first);
    pdva_vec2 *second = pdva_alloc_array(old.n - k, sizeof *second);
    if (!first || !second) {
        pdva_free(first);
        pdva_free(second);
        return -1;
    }
    memcpy(first, old.pts, (k + 1) * sizeof *first);
    memcpy(second, old.pts + k, (old.n - k) * sizeof *second);
    int v = add_node(g, old.pts[k]);
    if (v < 0 || add_edge(g, old.a, v, first, k + 1) < 0) {
        pdva_free(first);
        pdva_free(second);
        return -1;
    }
    if (add_edge(g, v, old.b, second, old.n - k) < 0) {
        pdva_free(second);
        g->edges[g->n_edges - 1].removed = true; /* the first half stays owned, unused */
        return -1;
    }
    g->edges[e].removed = true; /* add_edge may have moved the array: index again */
    return v;
}

size_t pdva_vessel_graph_bridge_to_side(pdva_vessel_graph *g, double max_gap_px,
                                        double max_angle_deg, double min_edge_px,
                                        pdva_error **err)
{
    recount_degrees(g);
    size_t added = 0;
    double cos_ahead = cos(max_angle_deg * M_PI / 180.0);
    size_t n_nodes = g->n_nodes;
    for (size_t a = 0; a < n_nodes; a++) {
        if (g->nodes[a].removed || g->nodes[a].degree != 1 || g->nodes[a].at_border)
            continue;
        size_t ea = SIZE_MAX;
        for (size_t e = 0; e < g->n_edges && ea == SIZE_MAX; e++)
            if (!g->edges[e].removed && (g->edges[e].a == (int)a || g->edges[e].b == (int)a))
                ea = e;
        if (ea == SIZE_MAX || pdva_graph_edge_length(&g->edges[ea]) < min_edge_px)
            continue;
        pdva_vec2 pa = g->nodes[a].p;
        pdva_vec2 da = end_direction(&g->edges[ea], (int)a);
        size_t best_e = SIZE_MAX, best_k = 0;
        double best_d = max_gap_px;
        for (size_t e = 0; e < g->n_edges; e++) {
            const pdva_graph_edge *ed = &g->edges[e];
            if (ed->removed || e == ea)
                continue;
            for (size_t k = 0; k < ed->n; k++) {
                pdva_vec2 v = pdva_v2_sub(ed->pts[k], pa);
                double d = pdva_v2_norm(v);
                if (d >= best_d || d < 1e-6 || pdva_v2_dot(v, da) < cos_ahead * d)
                    continue;
                best_d = d;
                best_e = e;
                best_k = k;
            }
        }
        if (best_e == SIZE_MAX)
            continue;
        /* near an end of that edge, join its node rather than split it a pixel away */
        const pdva_graph_edge *target = &g->edges[best_e];
        int v;
        if (best_k <= 2)
            v = target->a;
        else if (best_k + 3 >= target->n)
            v = target->b;
        else
            v = split_edge(g, best_e, best_k);
        if (v < 0 || v == (int)a) {
            if (v < 0) {
                pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
                break;
            }
            continue;
        }
        size_t np = (size_t)ceil(best_d) + 1;
        if (np < 2)
            np = 2;
        pdva_vec2 *pts = pdva_alloc_array(np, sizeof *pts);
        if (!pts) {
            pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
            break;
        }
        for (size_t k = 0; k < np; k++)
            pts[k] = pdva_v2_lerp(pa, g->nodes[v].p, (double)k / (double)(np - 1));
        if (add_edge(g, (int)a, v, pts, np) < 0) {
            pdva_free(pts);
            pdva_error_set(err, PDVA_ERR_NO_MEMORY, "no memory to bridge vessel gaps");
            break;
        }
        added++;
        recount_degrees(g);
    }
    recount_degrees(g);
    return added;
}

int pdva_fill_small_holes(uint8_t *mask, uint32_t rows, uint32_t cols, size_t max_area)
{
    size_t npix = (size_t)rows * cols;
    uint8_t *seen = pdva_calloc_array(npix, 1);
    uint32_t *stack = pdva_alloc_array(npix, sizeof(uint32_t));
    uint32_t *comp = pdva_alloc_array(max_area + 1, sizeof(uint32_t));
    if (!seen || !stack || !comp) {
        pdva_free(seen);
        pdva_free(stack);
        pdva_free(comp);
        return -1;
    }
    for (size_t i = 0; i < npix; i++) {
        if (mask[i] || seen[i])
            continue;
        /* one background component: flood it, remember its pixels while it is small */
        size_t top = 0, size = 0;
        bool border = false;
        stack[top++] = (uint32_t)i;
        seen[i] = 1;
        while (top) {
            uint32_t q = stack[--top];
            if (size < max_area + 1)
                comp[size] = q;
            size++;
            uint32_t y = q / cols, x = q % cols;
            if (x == 0 || y == 0 || x + 1 == cols || y + 1 == rows)
                border = true;
            const long ny[4] = {(long)y - 1, (long)y + 1, (long)y, (long)y};
            const long nx[4] = {(long)x, (long)x, (long)x - 1, (long)x + 1};
            for (int k = 0; k < 4; k++) {
                if (ny[k] < 0 || nx[k] < 0 || ny[k] >= (long)rows || nx[k] >= (long)cols)
                    continue;
                size_t j = (size_t)ny[k] * cols + (size_t)nx[k];
                if (!mask[j] && !seen[j]) {
                    seen[j] = 1;
                    stack[top++] = (uint32_t)j;
                }
            }
        }
        if (!border && size <= max_area)
            for (size_t k = 0; k < size; k++)
                mask[comp[k]] = 1;
    }
    pdva_free(seen);
    pdva_free(stack);
    pdva_free(comp);
    return 0;
}
