#!/usr/bin/env bash
# Packs the already-built tree with CPack (no second build) and checks the Debian package as a
# user's apt and lintian see it: contents, control fields, lintian without errors or warnings,
# the packaged programs run, the man pages render, the completion loads.
# usage: test_package.sh BUILD_DIR        (exit 77 = skipped: a tool is missing outside CI)
set -uo pipefail
build=${1:?usage: test_package.sh BUILD_DIR}
for tool in cpack dpkg-deb dpkg-shlibdeps lintian man file desktop-file-validate appstreamcli; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing (packaging/debian-deps.txt lists its package)"
        [ "${CI:-}" = true ] && exit 1 || exit 77
    fi
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
version=$(awk -F'"' '/^set\(CPACK_PACKAGE_VERSION /{ print $2 }' "$build/CPackConfig.cmake")
deb=$work/intermap_${version}_$(dpkg --print-architecture).deb
[ -s "$deb" ] || { ls "$work"; fail "no $deb"; exit 1; }
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KB"

# Contents: where Debian (and the desktop) look for each file.
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' >"$work/contents"
for path in /usr/bin/intermap /usr/bin/intermap-cli /usr/libexec/intermap/intermap-dicom-decoder \
    /usr/share/man/man1/intermap.1.gz /usr/share/man/man1/intermap-cli.1.gz \
    /usr/share/bash-completion/completions/intermap-cli \
    /usr/share/doc/intermap/copyright /usr/share/doc/intermap/changelog.gz /usr/share/doc/intermap/README.md \
    /usr/share/applications/org.intermap.Intermap.desktop /usr/share/metainfo/org.intermap.Intermap.metainfo.xml \
    /usr/share/mime/packages/org.intermap.Intermap.xml /usr/share/icons/hicolor/scalable/apps/org.intermap.Intermap.svg \
    /usr/share/icons/hicolor/16x16/apps/org.intermap.Intermap.png /usr/share/icons/hicolor/256x256/apps/org.intermap.Intermap.png; do
    grep -qx "$path" "$work/contents" || fail "the package lacks $path"
done

# Control: the shared libraries' packages from dpkg-shlibdeps, plus what it cannot see.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for needed in libopenblas0-pthread qt6-qpa-plugins libtorch libqt6widgets6 libopencv-core libgdcm libqcustomplot; do
    case "$depends" in *"$needed"*) ;; *) fail "Depends lacks $needed" ;; esac
done
[ "$(dpkg-deb -f "$deb" Package)" = intermap ] || fail "Package is not intermap"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"

# lintian: no error and no warning (informational tags are printed, not failed).
lintian --fail-on error,warning --info "$deb" >"$work/lintian.log" 2>&1 || fail "lintian (its report follows)"
grep -v 'root privileges' "$work/lintian.log"

# The packaged files work: the binaries (stripped) run, the man pages render, the completion loads.
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/intermap-cli" --version | grep -qx "intermap-cli $version" || fail "the packaged intermap-cli --version"
QT_QPA_PLATFORM=offscreen "$work/root/usr/bin/intermap" --version 2>/dev/null | grep -q "$version" || fail "the packaged intermap --version"
for page in intermap intermap-cli; do
    MANWIDTH=80 man -l "$work/root/usr/share/man/man1/$page.1.gz" >"$work/$page.txt" 2>"$work/$page.err" || fail "man $page: $(cat "$work/$page.err")"
done
grep -q '^COMMANDS' "$work/intermap-cli.txt" || fail "intermap-cli(1) has no COMMANDS section"
grep -q -- '--checkpoint' "$work/intermap-cli.txt" || fail "intermap-cli(1) does not document explain's --checkpoint"
desktop-file-validate "$work/root/usr/share/applications/org.intermap.Intermap.desktop" || fail "the packaged desktop entry"
appstreamcli validate --no-net --pedantic "$work/root/usr/share/metainfo/org.intermap.Intermap.metainfo.xml" >"$work/appstream.log" 2>&1 ||
    { cat "$work/appstream.log"; fail "the packaged AppStream metadata"; }
bash -c "source '$work/root/usr/share/bash-completion/completions/intermap-cli' && complete -p intermap-cli" >/dev/null ||
    fail "the packaged bash completion does not register intermap-cli"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "package checks passed"
