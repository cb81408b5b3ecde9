/* trace.h — development traces of the analysis, compiled in only with -DPDVA_TRACE=ON (used with
 * tools/devloop while tuning) and then switched on per topic by environment variables
 * (PDVA_DEBUG_MASK, PDVA_DEBUG_VALVE, ...). In every other build they compile to nothing: the
 * library prints nothing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_CORE_TRACE_H
#define PDVA_CORE_TRACE_H

#include <stdio.h>
#ifdef PDVA_TRACE
#include <stdlib.h>
#define PDVA_TRACE_GETENV(name) getenv(name)
#define PDVA_TRACEF(...) fprintf(stderr, __VA_ARGS__)
#else
#define PDVA_TRACE_GETENV(name) ((const char *)0)
/* never executed, but the compiler still sees the arguments used and checks the format: the
 * trace blocks stay compiling in every build and leave no unused-variable warnings behind */
#define PDVA_TRACEF(...)                                                                           \
    do {                                                                                           \
        if (0) fprintf(stderr, __VA_ARGS__);                                                       \
    } while (0)
#endif
#define PDVA_TRACE_ON(name) (PDVA_TRACE_GETENV(name) != 0)

#endif /* PDVA_CORE_TRACE_H */
