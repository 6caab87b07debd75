# Sourced by dev/test-windows.sh and dev/check-macos.sh: Debian's Rust
# toolchain (rustc-web, with the standard library's sources) in place of
# the one on the PATH, so the standard library can be built for any target
# with -Zbuild-std. Nothing is downloaded from outside Debian and crates.io.
bash "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" --cross "$@"

# rustup's cargo, if any, comes first on the PATH and would run its own
# rustc: name Debian's by full path.
export CARGO=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
# -Zbuild-std is unstable; this lets the stable toolchain take it.
export RUSTC_BOOTSTRAP=1
CROSS_MANIFEST="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/rust/Cargo.toml"
CROSS_TARGET_ROOT="$(dirname "$CROSS_MANIFEST")/target"
CROSS_BUILD_STD=(-Zbuild-std=std,panic_abort)
