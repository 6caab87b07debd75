# Writes LICENSE.note: the authors and licences of every Rust crate that
# the package vendors, read from `cargo metadata`. Run from the package
# root: Rscript dev/license-note.R
metadata <- jsonlite::fromJSON(
  system2(
    "cargo",
    c("metadata", "--locked", "--format-version", "1", "--manifest-path", "src/rust/Cargo.toml"),
    stdout = TRUE
  ),
  simplifyVector = FALSE
)
own <- c("crew", "crew-core")
packages <- Filter(function(package) !(package$name %in% own), metadata$packages)
packages <- packages[order(vapply(packages, function(package) package$name, character(1L)))]
entry <- function(package) {
  authors <- unlist(package$authors)
  c(
    sprintf("%s %s", package$name, package$version),
    sprintf("  license: %s", package$license %||% "see the crate"),
    sprintf("  authors: %s", if (length(authors)) paste(authors, collapse = ", ") else "not listed"),
    if (!is.null(package$repository)) sprintf("  source: %s", package$repository),
    ""
  )
}
`%||%` <- function(x, y) if (is.null(x)) y else x
header <- c(
  "The crew package is licensed under the MIT licence (see LICENSE).",
  "",
  "Its compiled library is built from the Rust crates below, which",
  "src/rust/vendor.tar.xz carries for offline builds. Each keeps its own",
  "licence and authors, as listed in its Cargo manifest.",
  ""
)
writeLines(c(header, unlist(lapply(packages, entry))), "LICENSE.note")
cat("LICENSE.note lists", length(packages), "crates\n")
