#!/usr/bin/env bash
# Installs what building and testing the package needs on a Debian machine:
# R and the r-cran-* packages it depends on. The Rust toolchain must already
# be on the machine (configure checks it). Does nothing when all is present.
set -euo pipefail

packages=(
  openssl
  r-base-dev
  r-cran-cli
  r-cran-codetools
  r-cran-knitr
  r-cran-later
  r-cran-processx
  r-cran-promises
  r-cran-ps
  r-cran-r6
  r-cran-rlang
  r-cran-rmarkdown
  r-cran-roxygen2
  r-cran-testthat
  r-cran-tibble
  r-cran-tidyselect
  r-cran-withr
)

for option in "$@"; do
  case "$option" in
    # qpdf for PDF sizes and checkbashisms (in devscripts) for the configure
    # scripts, which R CMD check --as-cran runs besides R.
    --check) packages+=(qpdf devscripts) ;;
    # A SLURM workload manager and munge, for the launcher plugin tests on a
    # one-node cluster (dev/slurm-cluster.sh) and a four-node one in network
    # namespaces (dev/slurm-nodes.sh, which also needs --netns).
    --slurm) packages+=(slurm-wlm munge) ;;
    # Shiny, headless Chromium with its WebDriver, and curl, for the tests
    # that click through the Shiny apps in inst/shiny.
    --browser) packages+=(r-cran-shiny r-cran-httpuv r-cran-jsonlite chromium chromium-driver curl) ;;
    # Valgrind, for the native boundary's tests under memcheck
    # (dev/valgrind-tests.sh).
    --valgrind) packages+=(valgrind) ;;
    # ip, for the network namespaces of the multi-host tests and the soak
    # (dev/netns.sh).
    --netns) packages+=(iproute2) ;;
    # Debian's Rust toolchain with the standard library's sources, to build
    # it for Windows and macOS (dev/cross-toolchain.sh).
    --cross) packages+=(rustc-web cargo-web rust-web-src) ;;
    # The mingw-w64 linker and Wine, for the core's tests built for Windows
    # (dev/test-windows.sh).
    --windows) packages+=(gcc-mingw-w64-x86-64 wine64 wine) ;;
    # A virtual environment for zig (dev/check-macos.sh) and pip.
    --macos) packages+=(python3-venv python3-pip) ;;
    # What other builds of crew import beyond this package's dependencies,
    # for `make bench COMPARE=...`.
    --compare) packages+=(r-cran-data.table) ;;
    *) echo "unknown option $option" >&2; exit 1 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "Installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export PATH="$PATH:$HOME/.cargo/bin"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo and rustc are required: install the Rust toolchain first." >&2
  exit 1
fi
