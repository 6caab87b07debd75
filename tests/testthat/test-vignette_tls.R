# Covers R/crew_tls.R and R/crew_tls_mutual.R as vignettes/tls.Rmd
# uses them.
#
# The TLS vignette's recipes and R code, run exactly as printed, in a fresh
# directory: the chunks are read from the vignette source by their labels.

vignette_chunk <- function(lines, label) {
  start <- grep(sprintf("^```\\{[a-z]+ %s[,}]", label), lines)
  testthat::expect_length(start, 1L)
  ends <- grep("^```$", lines)
  end <- min(ends[ends > start])
  lines[seq(start + 1L, end - 1L)]
}

vignette_tls_source <- function() {
  installed <- system.file("doc", "tls.Rmd", package = "crew")
  candidates <- c(installed, file.path(testthat::test_path(), "..", "..", "vignettes", "tls.Rmd"))
  found <- candidates[nzchar(candidates) & file.exists(candidates)]
  if (!length(found)) {
    testthat::skip("the TLS vignette's source is not installed")
  }
  readLines(found[[1L]])
}

vignette_run <- function(directory, label, lines, kind) {
  code <- vignette_chunk(lines, label)
  if (identical(kind, "bash")) {
    script <- file.path(directory, paste0(label, ".sh"))
    writeLines(c("set -e", code), script)
    out <- processx::run("bash", script, wd = directory, error_on_status = FALSE)
  } else {
    script <- file.path(directory, paste0(label, ".R"))
    # A wide console, so that the printed results show whole statuses.
    writeLines(c("options(width = 250)", code, "cat('\\nvignette chunk done\\n')"), script)
    out <- processx::run(
      file.path(R.home("bin"), "Rscript"),
      script,
      wd = directory,
      error_on_status = FALSE
    )
  }
  testthat::expect_equal(out$status, 0L, info = paste(out$stdout, out$stderr))
  out
}

# A fresh directory for the chunks, removed when the calling test ends.
vignette_directory <- function(envir = parent.frame()) {
  crew_test_skip()
  if (!nzchar(Sys.which("openssl"))) {
    testthat::skip("needs openssl")
  }
  directory <- tempfile()
  dir.create(directory)
  withr::defer(unlink(directory, recursive = TRUE), envir = envir)
  directory
}

crew_test("the TLS vignette's custom certificates work as printed", {
  directory <- vignette_directory()
  lines <- vignette_tls_source()
  withr::local_envvar(CREW_KEY_PASSWORD = "a password for the test")
  vignette_run(directory, "custom-recipe", lines, "bash")
  expect_true(all(file.exists(
    file.path(directory, c("controller.key", "controller.pem", "intermediate.pem", "root.pem"))
  )))
  out <- vignette_run(directory, "custom-controller", lines, "r")
  expect_match(out$stdout, "vignette chunk done")
  expect_match(out$stdout, "success")
})

crew_test("the TLS vignette's mutual TLS recipe works as printed", {
  directory <- vignette_directory()
  lines <- vignette_tls_source()
  vignette_run(directory, "mutual-recipe", lines, "bash")
  out <- vignette_run(directory, "mutual-controller", lines, "r")
  expect_match(out$stdout, "vignette chunk done")
  expect_match(out$stdout, "success")
})
