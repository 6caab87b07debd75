# One test file of tests/testthat against the installed package, for
# dev/valgrind-tests.sh; names each failed test with its message, and
# exits with status 1 if a test failed.
source("dev/test-failures.R")
file <- commandArgs(trailingOnly = TRUE)[[1L]]
results <- suppressPackageStartupMessages(
  testthat::test_file(
    file.path("tests/testthat", file),
    package = "crew",
    load_package = "installed",
    reporter = "silent"
  )
)
frame <- as.data.frame(results)
failed <- sum(frame$failed) + sum(frame$error)
print_test_failures(results)
cat(sprintf("%s: %d passed, %d failed\n", file, sum(frame$passed), failed))
quit(status = if (failed > 0L) 1L else 0L)
