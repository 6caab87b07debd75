#!/usr/bin/env bash
# Vendors every crate the package needs into src/rust/vendor.tar.xz and
# writes src/rust/vendor-config.toml, so that the package builds without
# network access (src/Makevars.in uses them when present).
#
# The core runs on Unix-like systems (Linux and macOS; it relies on POSIX
# signals and interfaces). Crates that no build for those systems compiles,
# such as the Windows API crates that some dependencies list for Windows,
# are kept only as their manifests with an empty library, so that cargo can
# still resolve the lock file offline without shipping hundreds of
# megabytes of Windows bindings.
set -euo pipefail

cd "$(dirname "$0")/.."
manifest=src/rust/Cargo.toml
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo vendor --quiet --locked --versioned-dirs --manifest-path "$manifest" "$work/vendor" > /dev/null

for target in "${targets[@]}"; do
  cargo tree --locked --manifest-path "$manifest" --target "$target" \
    -e normal,build --prefix none --format '{p}' |
    awk '{ sub(/^v/, "", $2); print $1 "-" $2 }'
done | sort -u > "$work/needed.txt"

# Drops the manifest entries of targets whose files are removed, so cargo
# can still load the manifest.
drop_targets() {
  sed -i.bak -e '/^\[\[\(bench\|example\|test\)\]\]/,/^$/d' "$1/Cargo.toml"
  rm -f "$1/Cargo.toml.bak"
}

for directory in "$work"/vendor/*/; do
  crate=$(basename "$directory")
  if grep -qxF "$crate" "$work/needed.txt"; then
    # A library build never reads a crate's tests, benchmarks or examples.
    rm -rf "$directory/tests" "$directory/benches" "$directory/examples"
    drop_targets "$directory"
  else
    find "$directory" -mindepth 1 -maxdepth 1 ! -name Cargo.toml ! -name .cargo-checksum.json -exec rm -rf {} +
    mkdir -p "$directory/src"
    : > "$directory/src/lib.rs"
    drop_targets "$directory"
    sed -i.bak -e '/^\[\[bin\]\]/,/^$/d' -e '/^build = /d' "$directory/Cargo.toml"
    rm -f "$directory/Cargo.toml.bak"
  fi
  # Trimmed crates and files no longer match their per-file checksums; the
  # package checksum from the lock file still pins each crate's version.
  sed -i.bak -e 's/"files":{[^}]*}/"files":{}/' "$directory/.cargo-checksum.json"
  rm -f "$directory/.cargo-checksum.json.bak"
done

tar -cf - -C "$work" vendor | xz -9 -T2 > src/rust/vendor.tar.xz
cat > src/rust/vendor-config.toml <<'CONFIG'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"
CONFIG
echo "vendored $(ls "$work/vendor" | wc -l) crates ($(wc -l < "$work/needed.txt") built on Linux or macOS) into src/rust/vendor.tar.xz: $(du -h src/rust/vendor.tar.xz | cut -f1)"
