#!/usr/bin/env bash
# install-deps.sh — install every package pdva needs to build, test and run, from Debian 12.
# Idempotent: does nothing when everything is already there. Needs root (or sudo).
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build pkg-config git file dpkg-dev
    clang libclang-rt-14-dev llvm
    # libraries
    libdcmtk-dev libinsighttoolkit5-dev libcmocka-dev libjansson-dev zlib1g-dev libpng-dev
    # tools the tests run: DCMTK's command-line tools, dicom3tools (dciodvfy), python checkers
    dcmtk dicom3tools python3 python3-jsonschema python3-pydicom python3-numpy python3-skimage
    python3-websocket
    # the PACS host and the browser the plugin tests drive (over the DevTools protocol)
    orthanc orthanc-dev chromium
    # network namespace for loopback-only servers, process tools
    iproute2 util-linux procps curl ca-certificates time
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo)" >&2; exit 1; }
    as_root=(sudo)
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
# Debian's orthanc package would start a PACS listening on every interface: forbid service
# starts during the installation (policy-rc.d exit 101 = action forbidden).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
