/* alloc.h — the one allocation funnel of pdva.
 *
 * Every allocation sized by input goes through pdva_alloc_array() / pdva_calloc_array(), which
 * refuse n * size overflow and never abort. In builds with PDVA_ALLOC_FAULT_INJECTION the n-th
 * allocation of the calling thread can be made to fail, so tests can walk every error path.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_BASE_ALLOC_H
#define PDVA_BASE_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* malloc(size); NULL on failure or size 0. Caller-owned, free with pdva_free(). */
void *pdva_malloc(size_t size);

/* malloc(n * size) with overflow check; NULL on overflow, failure or a zero product. */
void *pdva_alloc_array(size_t n, size_t size);

/* calloc(n, size) with overflow check; NULL on overflow, failure or a zero product. */
void *pdva_calloc_array(size_t n, size_t size);

/* realloc(ptr, n * size) with overflow check. On failure returns NULL and leaves ptr valid. */
void *pdva_realloc_array(void *ptr, size_t n, size_t size);

/* strdup(); NULL for a NULL argument or on failure. Caller-owned, free with pdva_free(). */
char *pdva_strdup(const char *s);

/* strndup() bounded to n bytes. */
char *pdva_strndup(const char *s, size_t n);

/* free(); NULL is a no-op. */
void pdva_free(void *ptr);

/* n * size, or 0 with *overflow = 1 when it does not fit in size_t. */
size_t pdva_mul_size(size_t n, size_t size, int *overflow);

#ifdef PDVA_ALLOC_FAULT_INJECTION
/* Make the allocation after `successes` more successful ones fail (per thread); -1 disables. */
void pdva_alloc_fail_after(long successes);
/* Number of allocations the calling thread made since the last pdva_alloc_fail_after(). */
long pdva_alloc_count(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* PDVA_BASE_ALLOC_H */
