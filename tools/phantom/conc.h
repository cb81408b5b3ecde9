/* conc.h — iodine concentration (mg I / ml) at every vessel sample and in every venosome's tissue
 * blush at each frame time, tabulated once per run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_CONC_H
#define PDVA_PHANTOM_CONC_H

#include "tools/phantom/bolus.h"
#include "tools/phantom/scene.h"

/* Concentrations are tabulated every PH_CONC_STRIDE samples and interpolated between. */
#define PH_CONC_STRIDE 4

typedef struct ph_conc {
    uint32_t frames;
    ph_bolus bolus;
    size_t n_grid[PH_MAX_VESSELS];
    double *vessel[PH_MAX_VESSELS]; /* [grid point * frames + frame] */
    double *blush[PDVA_VENOSOME_COUNT]; /* [frame]: iodine mg per ml of tissue */
    double blush_amplitude[PDVA_VENOSOME_COUNT]; /* share of the venosome's normal inflow that arrives */
} ph_conc;

/* Build the tables for a run whose transit has been computed. Returns 0, or -1 on memory. */
int ph_conc_build(const ph_run *run, ph_conc *conc);
void ph_conc_free(ph_conc *conc);

/* Concentration in vessel v at (fractional) sample index `sample`, frame f. */
double ph_conc_vessel(const ph_conc *conc, int v, double sample, uint32_t f);

/* Concentration at vessel v, sample, at any time t (computed, not tabulated; slower). */
double ph_conc_vessel_at_time(const ph_run *run, const ph_conc *conc, int v, size_t sample,
                              double t_s);

#endif /* PDVA_PHANTOM_CONC_H */
