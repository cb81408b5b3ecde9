/* version.c — run-time version of the loaded library.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "pdva/pdva.h"

unsigned pdva_version_number(void)
{
    return PDVA_VERSION_NUMBER;
}

const char *pdva_version_string(void)
{
    return PDVA_VERSION_STRING;
}
