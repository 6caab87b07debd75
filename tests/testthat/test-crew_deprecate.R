crew_test("crew_deprecate() signals a classed warning", {
  condition <- tryCatch(
    crew_deprecate(
      name = "old_arg",
      date = "2023-01-01",
      version = "1.0.0",
      alternative = "new_arg"
    ),
    warning = function(condition) condition
  )
  expect_true(inherits(condition, "crew_deprecate"))
  expect_true(inherits(condition, "crew_warning"))
  expect_true(inherits(condition, "crew"))
  expect_true(grepl("old_arg", conditionMessage(condition), fixed = TRUE))
  expect_true(grepl("new_arg", conditionMessage(condition), fixed = TRUE))
})

crew_test("crew_deprecate() signals a classed message", {
  condition <- tryCatch(
    crew_deprecate(
      name = "old_arg",
      date = "2023-01-01",
      version = "1.0.0",
      alternative = "new_arg",
      condition = "message"
    ),
    message = function(condition) condition
  )
  expect_true(inherits(condition, "crew_deprecate"))
  expect_true(inherits(condition, "crew_message"))
  expect_true(inherits(condition, "crew"))
  expect_false(inherits(condition, "warning"))
})

crew_test("crew_deprecate() is silent for NULL values", {
  expect_silent(
    out <- crew_deprecate(
      name = "old_arg",
      date = "2023-01-01",
      version = "1.0.0",
      alternative = "new_arg",
      value = NULL
    )
  )
  expect_null(out)
})

crew_test("crew_deprecate() skips on CRAN", {
  args <- list(
    name = "old_arg",
    date = "2023-01-01",
    version = "1.0.0",
    alternative = "new_arg",
    skip_cran = TRUE
  )
  withr::with_envvar(
    c(NOT_CRAN = "false"),
    expect_silent(do.call(crew_deprecate, args))
  )
  withr::with_envvar(
    c(NOT_CRAN = "true"),
    expect_warning(do.call(crew_deprecate, args), class = "crew_deprecate")
  )
})

crew_test("crew_deprecate() honours frequency once", {
  name <- paste0("old_arg_", paste(sample(letters, 12L), collapse = ""))
  deprecate <- function() {
    crew_deprecate(
      name = name,
      date = "2023-01-01",
      version = "1.0.0",
      alternative = "new_arg",
      frequency = "once"
    )
  }
  expect_warning(deprecate(), class = "crew_deprecate")
  expect_silent(deprecate())
})
