/* parallel.h — running independent pieces of work on several threads.
 *
 * pdva_parallel_for() splits [0, n) into small chunks that threads take in turn (so that uneven
 * pieces balance), runs fn on each, and returns when all are done. The calling thread works too;
 * when a thread cannot be started, the threads that did start (at least the caller) do all the
 * work: the result never depends on how many threads ran, as long as fn writes only what
 * belongs to its own indices.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_BASE_PARALLEL_H
#define PDVA_BASE_PARALLEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Work on indices [begin, end); ctx is borrowed, shared by every thread. */
typedef void (*pdva_parallel_fn)(void *ctx, size_t begin, size_t end);

/* Threads to use for `threads` as a caller asked: 0 means one per online core (at most 16). */
unsigned pdva_parallel_threads(unsigned threads);

/* Run fn over [0, n) in chunks of `grain` indices (at least 1) on up to `threads` threads
 * (0: one per core). */
void pdva_parallel_for(unsigned threads, size_t n, size_t grain, pdva_parallel_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
