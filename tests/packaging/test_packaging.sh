#!/usr/bin/env bash
# test_packaging.sh — the Debian packages, built and installed for real: configure a build of
# this source tree for /usr (kept in WORK_DIR/build, so later runs are incremental), build the
# host targets, `cpack -G DEB`, check each package's files, dependencies and copyright, install
# all four with dpkg -i on this machine (root only: this changes the system), run the installed
# `pdva --version` and an analysis, start Debian's Orthanc (inside a private network namespace,
# 127.0.0.1 only) with its plugin folder /usr/share/orthanc/plugins and the installed
# /etc/orthanc/pdva.json, check that it answers on /pdva, then purge the packages.
#
#   test_packaging.sh SOURCE_DIR WORK_DIR PHANTOM
# Exit 77 (skipped) when not root or when dpkg is absent.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu  # no pipefail: `producer | grep -q` may close the pipe early on purpose
src=$1 work=$2 phantom=$3
packages=(orthanc-pdva pdva libpdva-dev libpdva1)

fail() { echo "FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: installing packages needs root"; exit 77; fi
command -v dpkg-deb >/dev/null || { echo "SKIP: no dpkg"; exit 77; }

mkdir -p "$work"
build=$work/build
echo "== configure and build for /usr ($build)"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DPDVA_BUILD_TESTS=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >"$work/configure.log" 2>&1 \
    || { tail -30 "$work/configure.log"; fail "configure"; }
cmake --build "$build" --target pdva pdva-cli OrthancPdva >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; fail "build"; }

echo "== cpack -G DEB"
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { tail -40 "$work/cpack.log"; fail "cpack"; }
version=$(sed -n 's/^#define PDVA_VERSION_STRING "\(.*\)"/\1/p' "$build/include/pdva/version.h")
arch=$(dpkg --print-architecture)
declare -A deb
for p in "${packages[@]}"; do
    deb[$p]=$build/packages/${p}_${version}_${arch}.deb
    [ -f "${deb[$p]}" ] || fail "no package ${deb[$p]} ($(ls "$build/packages"))"
done

echo "== package contents and dependencies"
field() { dpkg-deb -f "${deb[$1]}" "$2"; }
contents() { dpkg-deb -c "${deb[$1]}" | awk '{print $6}'; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
contents libpdva1 | grep -qx "./usr/lib/$multiarch/libpdva.so.1.0.0" || fail "libpdva1: no library"
contents libpdva1 | grep -qx "./usr/lib/$multiarch/libpdva.so.1" || fail "libpdva1: no SONAME link"
! contents libpdva1 | grep -q "include\|\.pc$\|cmake" || fail "libpdva1 carries development files"
for f in usr/include/pdva/pdva.h usr/include/pdva/version.h "usr/lib/$multiarch/libpdva.so" \
         "usr/lib/$multiarch/pkgconfig/pdva.pc" "usr/lib/$multiarch/cmake/pdva/pdvaConfig.cmake"; do
    contents libpdva-dev | grep -qx "./$f" || fail "libpdva-dev: no /$f"
done
contents pdva | grep -qx "./usr/bin/pdva" || fail "pdva: no /usr/bin/pdva"
contents orthanc-pdva | grep -qx "./usr/lib/orthanc/libOrthancPdva.so" || fail "orthanc-pdva: no plugin"
dpkg-deb -c "${deb[orthanc-pdva]}" | grep -q "./usr/share/orthanc/plugins/libOrthancPdva.so -> ../../../lib/orthanc/libOrthancPdva.so" \
    || fail "orthanc-pdva: no plugin symlink in /usr/share/orthanc/plugins"
contents orthanc-pdva | grep -qx "./etc/orthanc/pdva.json" || fail "orthanc-pdva: no /etc/orthanc/pdva.json"
dpkg-deb -I "${deb[orthanc-pdva]}" conffiles | grep -qx "/etc/orthanc/pdva.json" \
    || fail "orthanc-pdva: pdva.json is not a conffile"
for p in "${packages[@]}"; do
    contents "$p" | grep -qx "./usr/share/doc/$p/copyright" || fail "$p: no copyright file"
    dpkg-deb --fsys-tarfile "${deb[$p]}" | tar -xO "./usr/share/doc/$p/copyright" \
        | grep -q "^License: GPL-3.0-or-later" || fail "$p: copyright does not state GPL-3.0-or-later"
    echo "   $p: Depends: $(field "$p" Depends)"
done
field libpdva1 Depends | grep -q "libdcmtk17" || fail "libpdva1 does not depend on DCMTK"
field libpdva1 Depends | grep -q "libjansson4" || fail "libpdva1 does not depend on jansson"
field libpdva1 Depends | grep -q "libc6" || fail "libpdva1: shlibdeps did not run"
field libpdva-dev Depends | grep -q "libpdva1 (= $version)" || fail "libpdva-dev does not depend on libpdva1"
field pdva Depends | grep -q "libpdva1 (= $version)" || fail "pdva does not depend on libpdva1"
field orthanc-pdva Depends | grep -q "libpdva1 (= $version)" || fail "orthanc-pdva does not depend on libpdva1"
field orthanc-pdva Depends | grep -q "orthanc (>= 1.10.1)" || fail "orthanc-pdva does not depend on orthanc"
dpkg-deb -I "${deb[libpdva1]}" shlibs | grep -q "libpdva 1 libpdva1" || fail "libpdva1: no shlibs file"

echo "== install with dpkg -i"
purge() { dpkg --purge "${packages[@]}" >/dev/null 2>&1 || true; }
purge
trap 'purge' EXIT
dpkg -i "${deb[libpdva1]}" "${deb[libpdva-dev]}" "${deb[pdva]}" "${deb[orthanc-pdva]}" \
    >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg -s "${packages[@]}" | grep -c "^Status: install ok installed" | grep -qx 4 || fail "not all installed"

echo "== the installed runner"
/usr/bin/pdva --version | grep -q "^pdva $version (library $version)" || fail "pdva --version: $(/usr/bin/pdva --version)"
ldd /usr/bin/pdva | grep -Eq "libpdva.so.1 => (/usr)?/lib/$multiarch/libpdva.so.1" || fail "pdva does not use the installed library"
rm -rf "$work/study" "$work/report"
"$phantom" --scenario combined --seed 7 --out "$work/study" --size 160 --frames 16 --no-preview >/dev/null
/usr/bin/pdva analyze -q --context "$work/study/context.json" --out "$work/report" "$work/study" \
    || fail "the installed pdva could not analyze a study"
grep -q '"schema": "pdva-report/1"' "$work/report/report.json" || fail "no report"
# the -dev package: pkg-config finds it system-wide
pkg-config --modversion pdva | grep -qx "$version" || fail "pkg-config does not find pdva"

echo "== Debian's Orthanc loads the installed plugin"
python3 "$src/tests/packaging/installed_orthanc.py" "$work/orthanc" "$work/study/series-1-leg" \
    || fail "Orthanc with the installed plugin"

echo "== purge"
purge
trap - EXIT
for f in /usr/bin/pdva /usr/lib/orthanc/libOrthancPdva.so /usr/share/orthanc/plugins/libOrthancPdva.so \
         /etc/orthanc/pdva.json "/usr/lib/$multiarch/libpdva.so.1"; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f still there after purge"
done
echo "PASS: 4 packages built, installed, used by the runner and by Debian's Orthanc, purged"
