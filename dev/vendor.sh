#!/usr/bin/env bash
# Vendors every crate the package needs into src/rust/vendor.tar.xz and
# writes src/rust/vendor-config.toml, so that the package builds without
# network access (src/Makevars.in uses them when present).
#
# The package builds on Linux, macOS and Windows (x86_64-pc-windows-gnu,
# the target of Rtools). Crates that no build for those targets compiles
# are kept only as their manifests with an empty library, so that cargo can
# still resolve the lock file offline. The Windows API crates windows and
# windows-sys keep only the modules of the features some build enables:
# rustc never reads the file of a module whose cfg is off, and the rest is
# over a hundred megabytes of bindings nothing here calls. (winapi's build
# script turns on more modules than its features name, so it stays whole.)
# Nor do they carry winapi's copies of the system's import libraries.
set -euo pipefail

cd "$(dirname "$0")/.."
manifest=src/rust/Cargo.toml
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo vendor --quiet --locked --versioned-dirs --manifest-path "$manifest" "$work/vendor" > /dev/null

for target in "${targets[@]}"; do
  cargo tree --locked --manifest-path "$manifest" --target "$target" \
    -e normal,build --prefix none --format '{p}' |
    awk '{ sub(/^v/, "", $2); print $1 "-" $2 }'
done | sort -u > "$work/needed.txt"

# Each crate's enabled features on any target, one "crate-version feature"
# a line.
for target in "${targets[@]}"; do
  cargo tree --locked --manifest-path "$manifest" --target "$target" \
    -e normal,build --prefix none --format '{p}|{f}'
done | awk -F'|' '{
    split($1, p, " "); sub(/^v/, "", p[2]);
    n = split($2, f, ",");
    for (i = 1; i <= n; i++) if (f[i] != "") print p[1] "-" p[2], f[i]
  }' | sort -u > "$work/features.txt"

enabled() {
  awk -v crate="$1" '$1 == crate { print $2 }' "$work/features.txt"
}

# windows and windows-sys: the module at src/Windows/A/B is feature A_B.
trim_windows_modules() {
  local directory=$1 crate=$2 module name
  local features
  features=$(enabled "$crate")
  [[ -d "$directory/src/Windows" ]] || return 0
  while read -r module; do
    [[ -d "$module" ]] || continue
    name=${module#"$directory/src/Windows/"}
    name=${name//\//_}
    if ! grep -qE "^${name}(_|\$)" <<< "$features"; then
      rm -rf "$module"
    fi
  done < <(find "$directory/src/Windows" -mindepth 1 -type d | sort)
}


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
    case "$crate" in
      windows-0.* | windows-sys-0.*) trim_windows_modules "${directory%/}" "$crate" ;;
      # Import libraries that the build does without: src/Makevars.win.in
      # sets WINAPI_NO_BUNDLED_LIBRARIES, so the system's are linked.
      winapi-*-pc-windows-gnu-*) find "$directory/lib" -mindepth 1 -delete ;;
    esac
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
echo "vendored $(ls "$work/vendor" | wc -l) crates ($(wc -l < "$work/needed.txt") built on Linux, macOS or Windows) into src/rust/vendor.tar.xz: $(du -h src/rust/vendor.tar.xz | cut -f1)"
