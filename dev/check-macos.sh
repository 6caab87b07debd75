#!/usr/bin/env bash
# Builds the package's static library (release) for both Macs,
# aarch64-apple-darwin and x86_64-apple-darwin, and type-checks the whole
# workspace with its tests and examples for them. zig compiles ring's C
# and stands in as the linker (ziglang and cargo-zigbuild from PyPI, in a
# virtual environment of the build). Nothing links a macOS program here:
# there is no macOS SDK, and an R package needs only the static library,
# which R links on the Mac with the frameworks in src/Makevars.in.
set -euo pipefail
cd "$(dirname "$0")/.."
source dev/cross-toolchain.sh --macos

zig_env="$CROSS_TARGET_ROOT/zig-venv"
if [[ ! -x "$zig_env/bin/cargo-zigbuild" ]]; then
  python3 -m venv "$zig_env"
  "$zig_env/bin/pip" install --quiet --disable-pip-version-check ziglang cargo-zigbuild
fi
export PATH="$zig_env/bin:/usr/bin:$PATH"
export CARGO_TARGET_DIR="$CROSS_TARGET_ROOT/macos"
# The release profile as `make install` builds it: without LTO, whose
# only effect on a static library is its size and build time.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

for target in aarch64-apple-darwin x86_64-apple-darwin; do
  echo "== $target"
  cargo-zigbuild build --quiet --manifest-path "$CROSS_MANIFEST" -p crew --lib --release \
    --target "$target" "${CROSS_BUILD_STD[@]}"
  library="$CARGO_TARGET_DIR/$target/release/libcrew.a"
  echo "built $(du -h "$library" | cut -f1) $library"
  cargo-zigbuild check --quiet --manifest-path "$CROSS_MANIFEST" --workspace --all-targets \
    --target "$target" "${CROSS_BUILD_STD[@]}"
  echo "checked the workspace, tests and examples included, for $target"
done
