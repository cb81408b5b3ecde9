/* alloc.c — overflow-checked allocation funnel with optional fault injection for tests.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Large buffers (whole images, half-scale images, the frame cube) are placed on 2 MiB boundaries
 * and the kernel is asked to back them with huge pages where it allows that on request: a
 * 1024 x 1024 float image is then two page faults instead of a thousand. In a virtual machine a
 * 4 KiB fault costs ~14 us (measured on the 2-core CI machine: 3.5 ms per MiB first touched), so
 * this is a measurable part of an analysis: from 1 MiB up, 14.5k faults of a 60-frame run became
 * 8k, 0.1 s of CPU time less. */
enum { HUGE_FROM = 1u << 20, HUGE_ALIGN = 2u << 20 };

/* Advise the whole 2 MiB blocks inside [p, p + size) (advice only: a refusal changes nothing). */
static void advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    uintptr_t lo = ((uintptr_t)p + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
    uintptr_t hi = ((uintptr_t)p + size) & ~(uintptr_t)(HUGE_ALIGN - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

static void *alloc_large(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, HUGE_ALIGN, size) != 0)
        return NULL;
    advise_huge(p, size);
    return p;
}

#ifdef PDVA_ALLOC_FAULT_INJECTION
/* Thread-local so that concurrent tests never see each other's countdown; test builds only. */
static _Thread_local long fail_countdown = -1;
static _Thread_local long alloc_counter = 0;

void pdva_alloc_fail_after(long successes)
{
    fail_countdown = successes;
    alloc_counter = 0;
}

long pdva_alloc_count(void)
{
    return alloc_counter;
}

static int injected_failure(void)
{
    alloc_counter++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}
#else
static int injected_failure(void)
{
    return 0;
}
#endif

size_t pdva_mul_size(size_t n, size_t size, int *overflow)
{
    if (size != 0 && n > SIZE_MAX / size) {
        if (overflow)
            *overflow = 1;
        return 0;
    }
    if (overflow)
        *overflow = 0;
    return n * size;
}

void *pdva_malloc(size_t size)
{
    if (size == 0 || injected_failure())
        return NULL;
    return size >= HUGE_FROM ? alloc_large(size) : malloc(size);
}

void *pdva_alloc_array(size_t n, size_t size)
{
    int overflow = 0;
    size_t total = pdva_mul_size(n, size, &overflow);
    if (overflow)
        return NULL;
    return pdva_malloc(total);
}

void *pdva_calloc_array(size_t n, size_t size)
{
    int overflow = 0;
    (void)pdva_mul_size(n, size, &overflow);
    if (overflow || n == 0 || size == 0 || injected_failure())
        return NULL;
    if (n * size < HUGE_FROM)
        return calloc(n, size);
    /* aligned and zeroed here rather than calloc's lazily zeroed fresh pages, most of which the
     * kernel would fault in 4 KiB at a time (only the 2 MiB blocks wholly inside can be huge) */
    void *p = alloc_large(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *pdva_realloc_array(void *ptr, size_t n, size_t size)
{
    int overflow = 0;
    size_t total = pdva_mul_size(n, size, &overflow);
    if (overflow || total == 0 || injected_failure())
        return NULL;
    return realloc(ptr, total);
}

char *pdva_strdup(const char *s)
{
    if (!s)
        return NULL;
    return pdva_strndup(s, strlen(s));
}

char *pdva_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    if (len == SIZE_MAX)
        return NULL;
    char *copy = pdva_malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void pdva_free(void *ptr)
{
    free(ptr);
}
