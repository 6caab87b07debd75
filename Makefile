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

.PHONY: deps install demo test test-rust test-r bench document clean

deps:
	@bash tools/install-deps.sh

install: deps
	@mkdir -p $(R_LIB)
	$(DEV_PROFILE) R CMD INSTALL --no-test-load --with-keep.source --library=$(R_LIB) .

demo: install
	$(RSCRIPT) demo/map.R

test: install
	cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core
	$(RSCRIPT) tools/run-tests.R

test-rust: deps
	cargo test --manifest-path $(CARGO_MANIFEST) -p crew-core

test-r: install
	$(RSCRIPT) tools/run-tests.R

bench: install
	$(RSCRIPT) bench/bench.R

document: install
	$(RSCRIPT) -e 'roxygen2::roxygenise(load_code = roxygen2::load_installed)'

clean:
	rm -rf $(R_LIB) src/rust/target src/Makevars src/*.o src/*.so
