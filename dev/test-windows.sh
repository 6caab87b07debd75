#!/usr/bin/env bash
# Builds the core and its tests for Windows (x86_64-pc-windows-gnu, the
# target of Rtools) with mingw-w64 and runs them under Wine. Tests that
# need Linux are marked ignored with their reason, which the summary
# prints. Then builds the package's static library for Windows and links
# it into a DLL as R would (dev/windows/link-dll.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source dev/cross-toolchain.sh --windows

target=x86_64-pc-windows-gnu
export CARGO_TARGET_DIR="$CROSS_TARGET_ROOT/windows"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
# As src/Makevars.win.in builds: the system's import libraries, not winapi's.
export WINAPI_NO_BUNDLED_LIBRARIES=1
# A throwaway prefix outside the source tree: Wine links its drive z: to
# / and the user's folders to $HOME, which a copy of the tree (R CMD
# build) would follow.
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/crew-wine.XXXXXX")
export WINEPREFIX
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
trap '/usr/lib/wine/wineserver -k 2> /dev/null || true; rm -rf "$WINEPREFIX"' EXIT

# With the ProcessPrng that Debian 12's Wine lacks
# (dev/windows/bcryptprimitives.c).
/usr/lib/wine/wine64 wineboot --init > /dev/null 2>&1
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  dev/windows/bcryptprimitives.c -lbcrypt

# tee opens the log before cargo creates its target directory.
mkdir -p "$CARGO_TARGET_DIR"
log="$CARGO_TARGET_DIR/test.log"
status=0
"$CARGO" test --manifest-path "$CROSS_MANIFEST" -p crew-core --target "$target" \
  "${CROSS_BUILD_STD[@]}" --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?

# The package's library, in the release profile as `make install` builds
# it (no LTO), linked with what src/Makevars.win.in names.
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  "$CARGO" build --quiet --manifest-path "$CROSS_MANIFEST" -p crew --lib --release \
  --target "$target" "${CROSS_BUILD_STD[@]}" || status=1
bash dev/windows/link-dll.sh "$CARGO_TARGET_DIR/$target/release/libcrew.a" \
  "$CARGO_TARGET_DIR/dll" || status=1

# One line for the whole run, then what was skipped and why.
awk '/^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i + 1) ~ /^passed;/) passed += $i
      if ($(i + 1) ~ /^failed;/) failed += $i
      if ($(i + 1) ~ /^ignored;/) ignored += $i
    }
  }
  END { printf "crew-core built for Windows, under Wine: %d passed, %d failed, %d ignored\n", passed, failed, ignored }' "$log"
grep -E "^test .* \.\.\. ignored, " "$log" | sed -E 's/^test (.*) \.\.\. ignored, (.*)$/  ignored: \1 (\2)/' || true
exit "$status"
