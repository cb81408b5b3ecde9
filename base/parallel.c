/* parallel.c — see parallel.h. A shared atomic counter hands out chunks; no thread pool is kept
 * between calls (a call runs for tens of milliseconds at least, thread start-up is microseconds,
 * and a library loaded by a host should hold no threads while idle).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "base/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define PARALLEL_MAX_THREADS 16u

typedef struct parallel_job {
    size_t n, grain;
    atomic_size_t next;
    pdva_parallel_fn fn;
    void *ctx;
} parallel_job;

unsigned pdva_parallel_threads(unsigned threads)
{
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1u;
    }
    return threads > PARALLEL_MAX_THREADS ? PARALLEL_MAX_THREADS : threads;
}

static void *parallel_worker(void *arg)
{
    parallel_job *job = arg;
    for (;;) {
        size_t begin = atomic_fetch_add(&job->next, job->grain);
        if (begin >= job->n)
            break;
        size_t end = job->n - begin < job->grain ? job->n : begin + job->grain;
        job->fn(job->ctx, begin, end);
    }
    return NULL;
}

void pdva_parallel_for(unsigned threads, size_t n, size_t grain, pdva_parallel_fn fn, void *ctx)
{
    if (n == 0)
        return;
    parallel_job job = {.n = n, .grain = grain ? grain : 1, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    unsigned want = pdva_parallel_threads(threads);
    size_t chunks = (n + job.grain - 1) / job.grain;
    if (want > chunks)
        want = (unsigned)chunks;
    pthread_t tid[PARALLEL_MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 1; t < want; t++) {
        if (pthread_create(&tid[started], NULL, parallel_worker, &job) != 0)
            break; /* the threads already running and this one share the rest */
        started++;
    }
    parallel_worker(&job);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}
