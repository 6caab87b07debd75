crew_test <- function(label, code) {
  testthat::test_that(label, {
    suppressMessages(code)
  })
}

crew_test_sleep <- function() {
  Sys.sleep(0.1)
}

expect_crew_error <- function(object) {
  testthat::expect_error(object, class = "crew_error")
}

crew_private <- function(object) {
  object$.__enclos_env__$private
}
