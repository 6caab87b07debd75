# Two commands for a fresh machine: `make demo` and `make test`. Both
# install what is missing, build the Rust library (incremental, no LTO) and
# install the package into the project library .lib/.

R_LIB := $(CURDIR)/.lib
RSCRIPT := R_LIBS=$(R_LIB) Rscript
CARGO_MANIFEST := src/rust/Cargo.toml
export NOT_CRAN := true
export PATH := $(PATH):$(HOME)/.cargo/bin

# A quick development build; the tarball install keeps the release profile.
DEV_PROFILE := CARGO_PROFILE_RELEASE_LTO=false \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	CARGO_PROFILE_RELEASE_INCREMENTAL=true

.PHONY: deps install demo test check-code lint-rust test-rust test-r test-windows check-macos valgrind sanitize soak bench bench-scale bench-cluster document check vendor fuzz clean

deps:
	@bash dev/install-deps.sh

# Without --with-keep.source, as a user's install is: source references
# make a new controller's first calls some 20 ms slower.
install: deps
	@mkdir -p $(R_LIB)
	$(DEV_PROFILE) R CMD INSTALL --no-test-load --library=$(R_LIB) .

demo: install
	$(RSCRIPT) demo/map.R

# First R CMD check's analysis of the R code, the minimum Rust version
# stated in prose against Cargo's, and the tests that cover each R file
# (dev/check-code.R, also `make check-code`), then rustfmt and clippy
# with warnings as errors (`make lint-rust`). The SLURM tests start a
# one-node cluster of their own (dev/slurm-cluster.sh) and a four-node one
# in network namespaces (dev/slurm-nodes.sh); the browser tests
# drive headless Chromium through the Shiny apps; a minute of the soak
# runs before them; the native boundary's test files then run
# again under valgrind. The core's tests also run built for Windows under
# Wine, and the library is built for both kinds of Mac.
test: install
	@bash dev/install-deps.sh --slurm --browser --valgrind --netns
	$(RSCRIPT) dev/check-code.R
	$(LINT_RUST)
	cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core
	$(SANITIZE) cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core $(SANITIZE_ARGS)
	bash dev/test-windows.sh
	bash dev/check-macos.sh
	$(SOAK) --seconds=60
	$(RSCRIPT) dev/run-tests.R
	R_LIBS=$(R_LIB) bash dev/valgrind-tests.sh

# The core's tests again, built with the address sanitizer (which also
# checks for leaks at exit). RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take the unstable -Zsanitizer flag, for this build alone, in a target
# directory of its own.
SANITIZE := RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" \
	CARGO_TARGET_DIR=$(CURDIR)/src/rust/target/asan
SANITIZE_ARGS := --target x86_64-unknown-linux-gnu

sanitize: deps
	$(SANITIZE) cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core $(SANITIZE_ARGS)

# The soak (dev/soak.R): 100,000 tasks per 10 minutes through 8 workers in
# network namespaces (dev/netns.sh, so as root), reached through the fault
# proxy, while workers are killed and frozen, connections stalled and reset,
# strangers connect and tasks are cancelled; then its invariants.
SOAK_SECONDS ?= 600
SOAK = cargo build --quiet --manifest-path $(CARGO_MANIFEST) -p crew-core --bin fault_proxy && \
	$(RSCRIPT) dev/soak.R --proxy=src/rust/target/debug/fault_proxy

soak: install
	@bash dev/install-deps.sh --netns
	$(SOAK) --seconds=$(SOAK_SECONDS)

valgrind: install
	@bash dev/install-deps.sh --valgrind
	R_LIBS=$(R_LIB) bash dev/valgrind-tests.sh

# The core and its tests built for x86_64-pc-windows-gnu and run under
# Wine, and the binding built for it (dev/test-windows.sh).
test-windows:
	bash dev/test-windows.sh

# The package's static library built for aarch64- and x86_64-apple-darwin,
# and the workspace type-checked for both with its tests
# (dev/check-macos.sh).
check-macos:
	bash dev/check-macos.sh

check-code: install
	$(RSCRIPT) dev/check-code.R

# The Rust crates as rustfmt writes them, and clippy's lints (the binding's
# missing SAFETY notes among them) as errors, tests and tools included.
LINT_RUST = cargo fmt --manifest-path $(CARGO_MANIFEST) --all -- --check && \
	cargo clippy --manifest-path $(CARGO_MANIFEST) --workspace --all-targets -- -D warnings

lint-rust: deps
	$(LINT_RUST)

test-rust: deps
	cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core

test-r: install
	$(RSCRIPT) dev/run-tests.R

# `make bench COMPARE="<lib> <lib>"` runs the same workloads against other
# builds of crew, one R library each, interleaved over ROUNDS rounds. Their
# dependencies that the libraries do not carry come from Debian
# (data.table, which crew 1.3.0 imports). MIRAI=<lib>, a library holding
# mirai and nanonext, adds the same workloads done with mirai alone.
COMPARE ?=
MIRAI ?=
ROUNDS ?= 3
bench: install
	@if [ -n "$(COMPARE)" ]; then bash dev/install-deps.sh --compare; fi
	$(RSCRIPT) bench/bench.R --rounds=$(ROUNDS) $(if $(MIRAI),--mirai=$(MIRAI)) $(R_LIB) $(COMPARE)

# `make bench-scale` prints per-task cost and client memory at 10,000,
# 100,000 and 1,000,000 tasks, dispatch against 8, 100 and 1000 connected
# test peers and 50 real workers, and draws bench/out/scale.png. Builds in
# COMPARE run up to 100,000 tasks.
bench-scale: install
	@if [ -n "$(COMPARE)" ]; then bash dev/install-deps.sh --compare; fi
	$(RSCRIPT) bench/scale.R $(R_LIB) $(COMPARE)

# `make bench-cluster` (as root) prints start-up time until 16 workers are
# connected and tasks per second through them, for SLURM job arrays over
# the four nodes of dev/slurm-nodes.sh and for 16 local workers, the
# median of ROUNDS rounds (bench/cluster.R).
bench-cluster: install
	@bash dev/install-deps.sh --slurm --netns
	$(RSCRIPT) bench/cluster.R --rounds=$(ROUNDS)

# roxygen documents R6 methods from their source references, which a
# user-like install (make install) drops: the package is installed once
# with them for roxygen, then again as users get it.
document: deps
	@mkdir -p $(R_LIB)
	R_KEEP_PKG_SOURCE=yes $(DEV_PROFILE) R CMD INSTALL --no-test-load --library=$(R_LIB) .
	$(RSCRIPT) -e 'roxygen2::roxygenise(load_code = roxygen2::load_installed)'
	$(DEV_PROFILE) R CMD INSTALL --no-test-load --library=$(R_LIB) .

# The crates the package builds from, for offline installs, and their
# authors and licences.
vendor: deps
	bash dev/vendor.sh
	Rscript dev/license-note.R

# What CRAN runs, on the built tarball (as CRAN would: NOT_CRAN unset), then
# an install from that tarball with cargo's network off and an empty
# CARGO_HOME. No clock server, CRAN or Bioconductor mirror is reachable
# here, so the remote checks are off and package indexes come from an empty
# local repository (see cran-comments.md); there is no LaTeX for the PDF
# manual.
CHECK_DIR := $(CURDIR)/.check
check: vendor
	bash dev/install-deps.sh --check
	rm -rf $(CHECK_DIR) && mkdir -p $(CHECK_DIR)/library $(CHECK_DIR)/cargo-home $(CHECK_DIR)/tmp $(CHECK_DIR)/repo/src/contrib
	touch $(CHECK_DIR)/repo/src/contrib/PACKAGES
	sed -E 's#^([A-Za-z.-]+\t("[^"]*"|[^\t]+)\t)[^\t]+#\1file://$(CHECK_DIR)/repo#' \
		"$$(Rscript -e 'cat(R.home("etc"))')/repositories" > $(CHECK_DIR)/repositories
	cd $(CHECK_DIR) && R CMD build $(CURDIR)
	rm -f src/rust/vendor.tar.xz src/rust/vendor-config.toml
	cd $(CHECK_DIR) && env -u NOT_CRAN TMPDIR=$(CHECK_DIR)/tmp R_REPOSITORIES=$(CHECK_DIR)/repositories \
		_R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=false \
		R CMD check --as-cran --no-manual crew_*.tar.gz
	cd $(CHECK_DIR) && CARGO_HOME=$(CHECK_DIR)/cargo-home CARGO_NET_OFFLINE=true \
		R CMD INSTALL --library=$(CHECK_DIR)/library crew_*.tar.gz
	R_LIBS=$(CHECK_DIR)/library Rscript -e 'library(crew); x <- crew_controller_local(); r <- x$$map(i, iterate = list(i = 1:3), verbose = FALSE); x$$terminate(); stopifnot(identical(unlist(r$$result), 1:3)); cat("offline install works\n")'
	@grep -E "^Status" $(CHECK_DIR)/crew.Rcheck/00check.log

# Fuzzes the frame decoder and the dispatcher's handshake, each target for
# FUZZ_SECONDS, one after the other; never part of `make test`. Findings
# land in src/rust/core/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := frame handshake
# cargo-fuzz hands rustc unstable flags (-Zsanitizer=address, sanitizer
# coverage options); RUSTC_BOOTSTRAP=1 lets the stable toolchain, the only
# one these machines have, accept them. It is set for the fuzz build alone.
FUZZ := RUSTC_BOOTSTRAP=1 cargo fuzz
# No single allocation may exceed 64 MiB: inputs are a few KiB and a reader
# allocates at most 64 KiB ahead of the bytes that arrived, so a bigger
# block means memory taken on a peer's word.
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -malloc_limit_mb=64 -timeout=20

fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd src/rust/core && $(FUZZ) build
	@cd src/rust/core && for target in $(FUZZ_TARGETS); do \
		echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
		$(FUZZ) run $$target -- $(FUZZ_FLAGS) || exit 1; \
	done

clean:
	rm -rf $(R_LIB) src/rust/target src/Makevars src/*.o src/*.so
