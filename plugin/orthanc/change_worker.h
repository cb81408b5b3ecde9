/* change_worker.h — what the plugin does about changes in Orthanc, off Orthanc's change thread
 * (OrthancCPlugin.h: calling the REST API from an OnChange callback can deadlock): a thread
 * with a bounded queue that submits automatic analyses of stable XA/RF series (Pdva.AutoAnalyze)
 * and, once Orthanc has started, removes reports whose series no longer exist.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_ORTHANC_CHANGE_WORKER_H
#define PDVA_ORTHANC_CHANGE_WORKER_H

#include "plugin/orthanc/plugin_state.h"

/* Start the thread. Returns 0 or an errno value. */
int change_worker_start(plugin_state *p);

/* Stop and join the thread; pending work is dropped. */
void change_worker_stop(void);

/* The OnChange callback: queue what needs Orthanc's REST API, handle the rest at once (a
 * deleted series loses its report; Orthanc stopping cancels the analyses). */
OrthancPluginErrorCode change_worker_on_change(OrthancPluginChangeType change,
                                               OrthancPluginResourceType resource,
                                               const char *resource_id);

#endif /* PDVA_ORTHANC_CHANGE_WORKER_H */
