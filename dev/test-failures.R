# Sourced by dev/run-tests.R and dev/valgrind-test-file.R: lists each
# failed or erroring expectation of testthat results with its file, test
# name and message, so that a run's last lines say which test failed and
# why rather than only how many.
print_test_failures <- function(results) {
  for (test in results) {
    for (expectation in test$results) {
      if (inherits(expectation, c("expectation_failure", "expectation_error"))) {
        cat(sprintf(
          "FAILED %s: %s\n%s\n\n",
          test$file, test$test, paste(conditionMessage(expectation), collapse = "\n")
        ))
      }
    }
  }
}
