# Also covers R/conditions.R.

crew_test("crew_assert() passes on TRUE and fails on FALSE", {
  expect_null(crew_assert(TRUE))
  expect_silent(crew_assert(TRUE))
  expect_crew_error(crew_assert(FALSE))
  expect_crew_error(crew_assert(NA))
  expect_crew_error(crew_assert(c(TRUE, FALSE)))
  expect_null(crew_assert(c(TRUE, TRUE)))
})

crew_test("crew_assert() evaluates conditions on .", {
  expect_null(crew_assert(1:3, . > 0, is.integer(.)))
  expect_crew_error(crew_assert(1:3, . > 0, . < 3))
  expect_crew_error(crew_assert(c(1, NA), . > 0))
  expect_null(crew_assert("object", !anyNA(.), nzchar(.)))
  expect_crew_error(crew_assert("", !anyNA(.), nzchar(.)))
  expect_null(crew_assert(NULL, is.null(.)))
})

crew_test("crew_assert() evaluates in envir", {
  limit <- 2
  expect_null(crew_assert(1, . < limit))
  expect_crew_error(crew_assert(3, . < limit))
  envir <- new.env()
  envir$limit <- 10
  expect_null(crew_assert(3, . < limit, envir = envir))
})

crew_test("crew_assert() messages", {
  expect_error(
    crew_assert(5, . < 1, message = "custom message"),
    class = "crew_error",
    regexp = "custom message"
  )
  x <- 5
  message <- tryCatch(
    crew_assert(x, . < 1, . > 0),
    crew_error = crew_condition_message
  )
  expect_true(grepl("all(. < 1) && all(. > 0)", message, fixed = TRUE))
  expect_true(grepl("x$", message))
})

crew_test("condition helpers raise the right classes", {
  expect_crew_error(crew_error("x"))
  expect_error(crew_error("x"), class = "crew")
  expect_error(crew_expire("x"), class = "crew_expire")
  expect_crew_error(crew_expire("x"))
  expect_warning(crew_warning("x"), class = "crew_warning")
  expect_message(crew_message("x"), class = "crew_message")
})

crew_test("condition handler helpers", {
  expect_false(tryCatch(crew_error("x"), error = crew_condition_false))
  expect_equal(
    tryCatch(crew_error("abc"), error = crew_condition_message),
    "abc"
  )
})

crew_test("crew_deprecate() warns by default", {
  expect_warning(
    crew_deprecate(
      name = "old",
      date = "2023-01-01",
      version = "0.0.1",
      alternative = "new"
    ),
    class = "crew_deprecate"
  )
})
