# Runs the whole testthat suite against the package installed in .lib (as
# `make test` does) and ends with one summary line, failing the run on any
# failed test; the failed tests are listed again above that line.
library(testthat)
source("dev/test-failures.R")
results <- test_dir(
  "tests/testthat",
  package = "crew",
  load_package = "installed",
  reporter = ProgressReporter$new(show_praise = FALSE),
  stop_on_failure = FALSE
)
frame <- as.data.frame(results)
passed <- sum(frame$passed)
failed <- sum(frame$failed) + sum(frame$error)
skipped <- sum(frame$skipped)
cat("\n")
print_test_failures(results)
cat(sprintf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped))
quit(status = if (failed > 0L) 1L else 0L)
