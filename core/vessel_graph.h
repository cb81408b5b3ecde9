/* vessel_graph.h — from a binary vessel mask to a graph of vessel segments: thinning to a
 * one-pixel skeleton, nodes at branch points and ends, edges as pixel chains, spurs pruned,
 * chains through two-way nodes merged.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_VESSEL_GRAPH_H
#define PDVA_CORE_VESSEL_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"
#include "pdva/pdva.h"

typedef struct pdva_graph_node {
    pdva_vec2 p;        /* image point (pixel centres at +0.5) */
    int degree;
    bool at_border;     /* within a few pixels of the image edge */
    bool removed;
} pdva_graph_node;

typedef struct pdva_graph_edge {
    int a, b;           /* node indices (a == b for a closed loop) */
    size_t n;           /* points of the chain, from node a to node b */
    pdva_vec2 *pts;     /* owned */
    bool removed;
} pdva_graph_edge;

typedef struct pdva_vessel_graph {
    pdva_graph_node *nodes;
    size_t n_nodes, cap_nodes;
    pdva_graph_edge *edges;
    size_t n_edges, cap_edges;
} pdva_vessel_graph;

/* Thin `mask` (1 = vessel, rows x cols) in place to an 8-connected one-pixel skeleton
 * (Zhang-Suen, then removal of staircase corners). `work` holds rows * cols bytes; rows are
 * shared out between up to `threads` threads (0: one per core), with the same result. */
void pdva_skeletonize(uint8_t *mask, uint32_t rows, uint32_t cols, uint8_t *work, unsigned threads);

/* Fill the holes of a binary mask smaller than max_area pixels (background components that do
 * not touch the image border): a hole in a vessel's mask would thin into a loop. Returns 0, or -1
 * when out of memory. */
int pdva_fill_small_holes(uint8_t *mask, uint32_t rows, uint32_t cols, size_t max_area);

/* Build the graph of a skeleton. Points are pixel centres. */
pdva_status pdva_vessel_graph_build(const uint8_t *skeleton, uint32_t rows, uint32_t cols,
                                    pdva_vessel_graph *g, pdva_error **err);

/* Remove end branches shorter than `min_len_px(x, y)` (given by the callback, e.g. from the local
 * vessel radius), repeatedly, then merge chains through nodes of degree 2. */
typedef double (*pdva_spur_length_fn)(void *user, pdva_vec2 p);
pdva_status pdva_vessel_graph_prune(pdva_vessel_graph *g, pdva_spur_length_fn min_len,
                                    void *user, pdva_error **err);

/* Join vessel ends across short gaps: a tight narrowing (a valve, a severe stenosis) can
 * break the segmentation of one vessel into two pieces that end facing each other. Each end
 * (degree 1, away from the border) is joined to the nearest other end within max_gap_px that
 * lies ahead of it (within max_angle_deg of its direction) and faces back toward it. Returns the
 * number of bridges added. */
size_t pdva_vessel_graph_bridge(pdva_vessel_graph *g, double max_gap_px, double max_angle_deg,
                                pdva_error **err);

/* Length of an edge's chain in pixels. */
/* Join vessel ends to the side of another vessel: a branch whose first millimetres did not
 * segment (faint where it leaves a wide, bright vessel, or hidden by its blur) ends a few
 * millimetres short of the vessel it comes from. Each end (degree 1, away from the border) of an
 * edge at least min_edge_px long is joined to the nearest point of another edge within
 * max_gap_px that lies ahead of it (within max_angle_deg of its direction); that edge is split
 * there by a new node. Run after pruning, so spurs are gone. Returns the number of bridges
 * added; on memory exhaustion sets *err and returns what was added. */
size_t pdva_vessel_graph_bridge_to_side(pdva_vessel_graph *g, double max_gap_px,
                                        double max_angle_deg, double min_edge_px,
                                        pdva_error **err);

double pdva_graph_edge_length(const pdva_graph_edge *e);

void pdva_vessel_graph_free(pdva_vessel_graph *g);

#endif /* PDVA_CORE_VESSEL_GRAPH_H */
