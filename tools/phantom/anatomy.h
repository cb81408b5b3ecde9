/* anatomy.h — building the body and the arterialized vessel tree of a leg run (AP view, knee to
 * calf: popliteal artery, crural arteries, donor artery, AV connection, stented conduit) and of a
 * foot run (lateral view: the conduit from the top edge behind the medial malleolus, under the
 * flexor retinaculum, to the plantar veins, the first toe's dorsal vein and the six venosomes).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef PDVA_PHANTOM_ANATOMY_H
#define PDVA_PHANTOM_ANATOMY_H

#include "tools/phantom/scene.h"

/* Names of the vessels the pathology and the truth refer to. */
#define PH_NAME_CONDUIT "conduit"
#define PH_NAME_DONOR "donor artery"
#define PH_NAME_POPLITEAL "popliteal artery"
#define PH_NAME_MPV "medial plantar vein"
#define PH_NAME_LPV "lateral plantar vein"
#define PH_NAME_FTDV "first toe dorsal vein"

typedef enum ph_donor_site {
    PH_DONOR_TPT = 0,            /* tibio-peroneal trunk */
    PH_DONOR_PROX_PERONEAL = 1,
    PH_DONOR_PROX_POSTERIOR_TIBIAL = 2
} ph_donor_site;

typedef struct ph_leg_params {
    double field_mm;             /* field of view at the vessel plane */
    char laterality;             /* 'L' or 'R' */
    ph_donor_site donor_site;
    double donor_d_mm;           /* 3-4.5 mm (less for a calibre mismatch) */
    double conduit_d_mm;         /* 5-7 mm */
    double popliteal_d_mm;
} ph_leg_params;

typedef struct ph_foot_params {
    double field_mm;
    char laterality;
    bool toes_right;             /* orientation on the image */
    double conduit_d_mm;
    double mpv_d_mm, lpv_d_mm;   /* plantar veins 3-4.5 mm */
    double ftdv_d_mm;            /* first toe dorsal vein 2-3 mm */
} ph_foot_params;

/* Fill run->outline, bones, vessels (normal anatomy, flows as fractions) for a leg run. The run's
 * rows/columns/spacing must be set. Returns 0, or -1 when memory or the scene is exhausted. */
int ph_build_leg(ph_run *run, phantom_rng *rng, const ph_leg_params *params);
int ph_build_foot(ph_run *run, phantom_rng *rng, const ph_foot_params *params);

/* A collateral leaving the conduit at arclength s_mm (NAN: chosen), draining to `target` (a
 * venosome index, or PH_DRAIN_SYSTEMIC), with diameter d_mm and `fraction` of the conduit's flow
 * at the branch. Returns the vessel index or -1. */
int ph_add_leg_collateral(ph_run *run, phantom_rng *rng, double d_mm, double fraction);
int ph_add_foot_collateral(ph_run *run, phantom_rng *rng, int target, double d_mm,
                           double fraction);

/* Arclength range (mm) of the foot conduit inside the flexor-retinaculum zone. */
void ph_foot_retinaculum_span(const ph_run *run, double *s_from, double *s_to);

#endif /* PDVA_PHANTOM_ANATOMY_H */
