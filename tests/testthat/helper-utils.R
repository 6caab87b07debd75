# test_that() with messages suppressed. Each test's code runs in its own
# environment, so variables and on.exit() handlers belong to that test: in
# the file's shared environment, a later test's `directory` could reach an
# earlier test's cleanup and make it delete the wrong path.
crew_test <- function(label, code) {
  code <- substitute(code)
  parent <- parent.frame()
  testthat::test_that(label, {
    suppressMessages(eval(code, envir = new.env(parent = parent)))
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
