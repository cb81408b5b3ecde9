/* rest_api.h — the plugin's routes under /pdva (docs/orthanc.md):
 *   POST   /pdva/series/{id}/analyze   {"wound_venosomes": [...], "baseline": series-id}
 *                                      -> {"job": id, ...} (an Orthanc job)
 *   GET    /pdva/series/{id}/report    the report JSON; 202 while an analysis runs; 404
 *   DELETE /pdva/series/{id}/report    forget it
 *   GET    /pdva/series/{id}/summary   the summary for a clinician (text/plain)
 *   GET    /pdva/studies/{id}/reports  the reports of a study's series, and running analyses
 *   GET    /pdva/status                version, settings, queue
 * and, when the plugin is disabled, one route that says why.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_REST_API_H
#define PDVA_ORTHANC_REST_API_H

#include "plugin/orthanc/plugin_state.h"

/* Register the routes of a working plugin. */
void rest_api_register(plugin_state *p);

/* Register /pdva/.* answering 503 with `reason` (copied) for a disabled plugin. */
void rest_api_register_disabled(OrthancPluginContext *context, const char *reason);

/* Release what rest_api_register_disabled kept. */
void rest_api_unregister_disabled(void);

#endif /* PDVA_ORTHANC_REST_API_H */
