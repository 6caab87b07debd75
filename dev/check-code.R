# Checks of the source tree that `make test` runs first, each failing the
# run with its findings printed:
#   1. the analysis R CMD check runs under "checking R code for possible
#      problems" (and "dependencies in R code"), on the package installed in
#      the first library of R_LIBS, with only base attached as --as-cran
#      does; it needs codetools, which R CMD check otherwise skips quietly;
#   2. the minimum Rust version that DESCRIPTION, README.md and
#      cran-comments.md state equals src/rust/Cargo.toml's rust-version;
#   3. every file in R/ has a test file of the same name
#      (tests/testthat/test-<name>.R) or is named (as R/<name>.R) in the
#      header comment of a test file that covers it, and every test file
#      that matches no R file names the R files it covers there.
# Run from the package root: R_LIBS=.lib Rscript dev/check-code.R

# R CMD check --as-cran scans code usage with only base attached, so that a
# call into utils or stats the namespace does not import is reported.
if ("package:utils" %in% search()) {
  script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]])
  status <- system2(
    file.path(R.home("bin"), "Rscript"),
    shQuote(script),
    env = "R_DEFAULT_PACKAGES=NULL"
  )
  quit(status = status)
}

failures <- character()
fail <- function(title, lines) {
  failures[[length(failures) + 1L]] <<- title
  cat("FAILED ", title, ":\n", paste0("  ", lines, collapse = "\n"), "\n", sep = "")
}

# 1. R CMD check's analysis of the R code.
if (!requireNamespace("codetools", quietly = TRUE)) {
  fail("code analysis", "codetools is not installed (bash dev/install-deps.sh installs it)")
} else {
  package <- "crew"
  lib_loc <- dirname(find.package(package, lib.loc = .libPaths()[[1L]]))
  checks <- list(
    "syntax" = function() tools:::.check_package_code_syntax("R"),
    "dependencies in R code" = function() tools:::.check_packages_used(package, lib.loc = lib_loc),
    "code usage" = function() tools:::.check_code_usage_in_package(package, lib.loc = lib_loc),
    "T and F" = function() tools:::.check_T_and_F(package, lib.loc = lib_loc),
    ".Internal calls" = function() tools:::.check_dotInternal(package, lib.loc = lib_loc),
    "startup functions" = function() tools:::.check_package_code_startup_functions("."),
    "unload functions" = function() tools:::.check_package_code_unload_functions("."),
    "tampering with base" = function() tools:::.check_package_code_tampers("."),
    "assignments to the global environment" = function() tools:::.check_package_code_assign_to_globalenv("."),
    "attach() calls" = function() tools:::.check_package_code_attach("."),
    "data() into the global environment" = function() tools:::.check_package_code_data_into_globalenv("."),
    "deprecated and defunct functions" = function() tools:::.check_depdef(package, lib.loc = lib_loc),
    "return without parentheses" = function() {
      if (exists(".check_bogus_return", asNamespace("tools"))) {
        tools:::.check_bogus_return(package, lib.loc = lib_loc)
      }
    },
    "class() compared with a string" = function() {
      if (exists(".check_package_code_class_is_string", asNamespace("tools"))) {
        tools:::.check_package_code_class_is_string(".")
      }
    }
  )
  for (name in names(checks)) {
    output <- utils::capture.output(result <- checks[[name]](), type = "output")
    findings <- c(output, if (length(result)) format(result))
    findings <- findings[nzchar(trimws(findings))]
    if (length(findings)) fail(paste("R CMD check's", name), findings)
  }
}

# 2. The minimum Rust version, owned by src/rust/Cargo.toml.
cargo <- readLines("src/rust/Cargo.toml", warn = FALSE)
workspace <- which(cargo == "[workspace.package]")
sections <- grep("^\\[", cargo)
end <- min(c(sections[sections > workspace], length(cargo) + 1L)) - 1L
owned <- regmatches(
  cargo[seq(workspace, end)],
  regexpr("(?<=^rust-version = \")[0-9.]+(?=\")", cargo[seq(workspace, end)], perl = TRUE)
)
if (length(workspace) != 1L || length(owned) != 1L) {
  fail("minimum Rust version", "src/rust/Cargo.toml has no [workspace.package] rust-version")
} else {
  for (file in c("DESCRIPTION", "README.md", "cran-comments.md")) {
    text <- readLines(file, warn = FALSE)
    # "rustc (>= 1.88)", "rustc >= 1.88", "`rustc` >= 1.88".
    stated <- unlist(regmatches(text, gregexpr("rustc`? \\(?>= ?[0-9.]+", text)))
    versions <- sub(".*>= ?", "", stated)
    if (!length(versions)) {
      fail("minimum Rust version", sprintf("%s states no rustc >= version", file))
    } else if (any(versions != owned)) {
      fail("minimum Rust version", sprintf(
        "%s says rustc >= %s, src/rust/Cargo.toml says %s",
        file, paste(unique(versions[versions != owned]), collapse = ", "), owned
      ))
    }
  }
}

# 3. Each R file and the tests that cover it.
r_files <- sub("\\.R$", "", list.files("R", pattern = "\\.R$"))
test_paths <- list.files("tests/testthat", pattern = "^test-.*\\.R$", full.names = TRUE)
test_names <- sub("^test-(.*)\\.R$", "\\1", basename(test_paths))
# The R files a test file's opening comment names, as R/<name>.R.
header_names <- lapply(test_paths, function(path) {
  lines <- readLines(path, warn = FALSE)
  code <- which(!grepl("^\\s*(#|$)", lines))
  header <- lines[seq_len(if (length(code)) code[[1L]] - 1L else length(lines))]
  header <- header[grepl("^\\s*#", header)]
  unique(sub("^R/(.*)\\.R$", "\\1", unlist(regmatches(header, gregexpr("R/[A-Za-z0-9_.-]+\\.R", header)))))
})
names(header_names) <- basename(test_paths)
named <- unlist(header_names, use.names = FALSE)
uncovered <- setdiff(r_files, c(test_names, named))
if (length(uncovered)) {
  fail("R files without tests", sprintf(
    "R/%s.R: no tests/testthat/test-%s.R, and no test file's header comment names it",
    uncovered, uncovered
  ))
}
unnamed <- basename(test_paths)[!test_names %in% r_files & lengths(header_names) == 0L]
if (length(unnamed)) {
  fail("test files without their R files", sprintf(
    "%s matches no file in R/ and its header comment names none (as R/<name>.R)", unnamed
  ))
}
stale <- setdiff(named, r_files)
if (length(stale)) {
  fail("test headers naming missing R files", sprintf("R/%s.R does not exist", stale))
}

if (length(failures)) {
  cat(sprintf("check-code: %d check(s) failed: %s\n", length(failures), paste(failures, collapse = "; ")))
  quit(status = 1L)
}
cat("check-code: R code analysis, minimum Rust version and test coverage of R/ all pass\n")
