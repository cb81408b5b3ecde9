/* pdva.h — the public C interface of libpdva.
 *
 * libpdva analyzes X-ray angiography cine series (DICOM XA/XRF) taken at the control
 * of a percutaneous deep venous arterialization (p-DVA) and writes the report of
 * docs/report.md (schema "pdva-report/1").
 *
 * Conventions of this header:
 *  - Every fallible function returns a pdva_status (0 = PDVA_OK) and takes an optional
 *    `pdva_error **err`; on failure *err receives a caller-owned error object (free it with
 *    pdva_error_destroy()) carrying a message for a person. Pass NULL when the message is not
 *    wanted. An error already set in *err is never overwritten: the first cause wins.
 *  - Ownership is stated on each function: "borrowed" pointers stay owned by the callee and live
 *    as long as the object they came from; "caller-owned" results are freed with the named
 *    function. Ownership never moves on failure.
 *  - Structs passed across the ABI begin with `struct_size`; fill it with sizeof() of the struct
 *    as your header knew it (the *_init() functions do that), so that a host built against an
 *    older header keeps working with a newer library.
 *  - Thread safety: functions without a handle may be called from any thread at any time. A
 *    handle belongs to one thread at a time; distinct handles may be used concurrently.
 *  - The library never calls exit() or abort(), never prints to stdout or stderr, and writes
 *    files only below the output folder it is given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef PDVA_PDVA_H
#define PDVA_PDVA_H

#include <stddef.h>
#include <stdint.h>

#include "pdva/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PDVA_STATIC_DEFINE)
#define PDVA_API
#elif defined(PDVA_BUILDING_LIBRARY)
#define PDVA_API __attribute__((visibility("default")))
#else
#define PDVA_API
#endif

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Version of the library actually loaded, as PDVA_VERSION_NUMBER encodes it
 * (major * 10000 + minor * 100 + patch). Compare with PDVA_VERSION_NUMBER to detect a host
 * built against another header. Thread-safe. */
PDVA_API unsigned pdva_version_number(void);

/** Version of the loaded library as "major.minor.patch". Borrowed, static. Thread-safe. */
PDVA_API const char *pdva_version_string(void);

/* ------------------------------------------------------------------------------------------ */
/* Status codes and errors                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Result of every fallible call. Values are part of the ABI and are never renumbered. */
typedef enum pdva_status {
    PDVA_OK = 0,
    PDVA_ERR_INVALID_ARGUMENT = 1,   /* a parameter is NULL, out of range or inconsistent */
    PDVA_ERR_NO_MEMORY = 2,          /* an allocation failed */
    PDVA_ERR_IO = 3,                 /* a file or folder could not be opened, read or written */
    PDVA_ERR_NOT_DICOM = 4,          /* the input is not a DICOM file we can parse */
    PDVA_ERR_MALFORMED = 5,          /* DICOM whose structure or values are broken */
    PDVA_ERR_TRUNCATED = 6,          /* the data stops before what the header announces */
    PDVA_ERR_UNSUPPORTED = 7,        /* valid DICOM this build cannot handle (e.g. JPEG 2000) */
    PDVA_ERR_LIMIT_EXCEEDED = 8,     /* the input is larger than the configured limits */
    PDVA_ERR_NOT_ANGIOGRAPHIC = 9,   /* not an X-ray angiographic / radiofluoroscopic image */
    PDVA_ERR_INCONSISTENT = 10,      /* files of one series disagree (sizes, duplicates, ...) */
    PDVA_ERR_CANCELLED = 11,         /* the host's progress callback asked to stop */
    PDVA_ERR_DECODE = 12,            /* the pixel data could not be decoded */
    PDVA_ERR_INTERNAL = 13,          /* a bug in pdva: please report it */
    PDVA_ERR_VERSION_MISMATCH = 14,  /* a struct_size or version the library does not know */
    PDVA_ERR_NOT_FOUND = 15,         /* a requested item does not exist */
    PDVA_STATUS_FORCE_INT32 = 0x7fffffff
} pdva_status;

/** Stable, short name of a status ("PDVA_ERR_TRUNCATED"); "PDVA_UNKNOWN_STATUS" for values this
 * version does not know. Borrowed, static. Thread-safe. */
PDVA_API const char *pdva_status_str(pdva_status status);

/** An error: a status plus a message for a person. Opaque. */
typedef struct pdva_error pdva_error;

/** The status of an error; PDVA_OK for NULL. */
PDVA_API pdva_status pdva_error_status(const pdva_error *error);

/** The message of an error, UTF-8, without control characters; "" for NULL. Borrowed: valid
 * until pdva_error_destroy(error). */
PDVA_API const char *pdva_error_message(const pdva_error *error);

/** Free an error. NULL is a no-op. */
PDVA_API void pdva_error_destroy(pdva_error *error);

/* ------------------------------------------------------------------------------------------ */
/* Limits                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** Bounds on untrusted input, checked against every header before anything sized by it is
 * allocated or decoded. Exceeding one gives PDVA_ERR_LIMIT_EXCEEDED. */
typedef struct pdva_limits {
    size_t struct_size;          /* sizeof(pdva_limits) as the caller knew it */
    uint32_t max_rows;           /* default 4096 */
    uint32_t max_columns;        /* default 4096 */
    uint32_t max_frames;         /* default 2000 frames in one series */
    uint64_t max_frame_bytes;    /* decoded bytes of one frame, default 64 MiB */
    uint64_t max_series_bytes;   /* decoded bytes of a whole series, default 8 GiB */
    uint64_t max_file_bytes;     /* size of one input file, default 4 GiB */
    uint32_t max_files;          /* files taken from the inputs of one call, default 20000 */
    uint32_t max_sequence_depth; /* nesting of DICOM sequences, default 32, at most 256 */
} pdva_limits;

/** Fill *limits with the defaults above (struct_size included). */
PDVA_API void pdva_limits_init(pdva_limits *limits);

/* ------------------------------------------------------------------------------------------ */
/* Logging                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef enum pdva_log_level {
    PDVA_LOG_DEBUG = 0,
    PDVA_LOG_INFO = 1,
    PDVA_LOG_WARNING = 2,
    PDVA_LOG_ERROR = 3,
    PDVA_LOG_LEVEL_FORCE_INT32 = 0x7fffffff
} pdva_log_level;

/** A host's log sink. `message` is borrowed for the duration of the call, UTF-8, one line, and
 * never contains a patient name or ID above PDVA_LOG_DEBUG. May be called from the thread that
 * runs an analysis, so it must be thread-safe when several analyses run at once. */
typedef void (*pdva_log_fn)(void *user_data, pdva_log_level level, const char *message);

/* ------------------------------------------------------------------------------------------ */
/* Analysis                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Progress of an analysis: `fraction` in [0, 1] over the whole study, `stage` a short English
 * name ("reading", "subtraction", "vessels", ...), borrowed for the call. Return non-zero to
 * cancel: the analysis then stops soon and returns PDVA_ERR_CANCELLED. Called on the thread that
 * runs pdva_analyze(). */
typedef int (*pdva_progress_fn)(void *user_data, double fraction, const char *stage);

/** Options of pdva_analyze(). Initialize with pdva_analysis_options_init(), then set what you
 * need; every pointer is borrowed for the duration of the call. */
typedef struct pdva_analysis_options {
    size_t struct_size;                  /* sizeof(pdva_analysis_options) as the caller knew it */
    const char *const *wound_venosomes;  /* report ids: "dorsalis_pedis", "medial_plantar",
                                            "lateral_plantar", "medial_calcaneal",
                                            "lateral_calcaneal", "anterior_perforating" */
    size_t n_wound_venosomes;
    const char *baseline_report_path;    /* report.json of the baseline study, or NULL */
    const char *baseline_report_json;    /* or its text (takes precedence), or NULL */
    const char *output_dir;              /* existing folder where report.json is written, or
                                            NULL to write nothing */
    const pdva_limits *limits;           /* NULL: defaults */
    unsigned threads;                    /* threads one analysis may use; 0: all cores */
    pdva_progress_fn progress;           /* optional */
    void *progress_user_data;
    pdva_log_fn log;                     /* optional: silent without it */
    void *log_user_data;
    pdva_log_level log_level;            /* least severe level passed to `log` */
} pdva_analysis_options;

/** Fill *options with the defaults (struct_size included). NULL is a no-op. */
PDVA_API void pdva_analysis_options_init(pdva_analysis_options *options);

/** A finished analysis: the report (schema "pdva-report/1") and its summary. Opaque. */
typedef struct pdva_report pdva_report;

/** Analyze the angiographic series found in `paths` (files, folders searched recursively,
 * DICOMDIR files), each run on its own, and merge them into one report of the study.
 *
 * Series that cannot be analyzed (not angiographic, one frame, no contrast, unsupported
 * encoding, broken file) are listed in the report with their status and reason; they do not make
 * the call fail. The call fails only when no input can be read at all, on bad arguments, on
 * memory exhaustion, when cancelled, or when the report cannot be written to output_dir.
 *
 * @param paths      borrowed, n_paths UTF-8 paths (n_paths >= 1).
 * @param options    borrowed; NULL: the defaults.
 * @param report     receives a caller-owned report (pdva_report_destroy) on PDVA_OK.
 * @param err        optional; receives a caller-owned error on failure.
 * @return PDVA_OK; PDVA_ERR_INVALID_ARGUMENT (paths, unknown venosome, options);
 *         PDVA_ERR_VERSION_MISMATCH (struct_size); PDVA_ERR_IO / PDVA_ERR_NOT_DICOM (nothing
 *         readable); PDVA_ERR_CANCELLED; PDVA_ERR_NO_MEMORY; PDVA_ERR_MALFORMED (baseline
 *         report unreadable).
 * Thread safety: reentrant; several analyses may run at once on different threads. */
PDVA_API pdva_status pdva_analyze(const char *const *paths, size_t n_paths,
                                  const pdva_analysis_options *options, pdva_report **report,
                                  pdva_error **err);

/** The report as JSON text (UTF-8). Borrowed: valid until pdva_report_destroy(report). */
PDVA_API const char *pdva_report_json(const pdva_report *report);

/** A short summary for a clinician: findings, flow, alerts, one item per line. Borrowed. */
PDVA_API const char *pdva_report_summary(const pdva_report *report);

/** Alert severities of the report. */
typedef enum pdva_alert_severity {
    PDVA_ALERT_INFO = 0,
    PDVA_ALERT_WARNING = 1,
    PDVA_ALERT_CRITICAL = 2,
    PDVA_ALERT_SEVERITY_FORCE_INT32 = 0x7fffffff
} pdva_alert_severity;

/** Number of alerts at least as severe as `min_severity`. 0 for NULL. */
PDVA_API size_t pdva_report_alert_count(const pdva_report *report,
                                        pdva_alert_severity min_severity);

/** Number of series in the report, and how many were analyzed. 0 for NULL. */
PDVA_API size_t pdva_report_series_count(const pdva_report *report);
PDVA_API size_t pdva_report_analyzed_count(const pdva_report *report);

/** Write the JSON to `path` (replaced atomically: written beside it, then renamed).
 * Errors: PDVA_ERR_INVALID_ARGUMENT, PDVA_ERR_IO. */
PDVA_API pdva_status pdva_report_write(const pdva_report *report, const char *path,
                                       pdva_error **err);

/** Free a report. NULL is a no-op. */
PDVA_API void pdva_report_destroy(pdva_report *report);

#ifdef __cplusplus
}
#endif

#endif /* PDVA_PDVA_H */
