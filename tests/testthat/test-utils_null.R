crew_test("%||% uses the right side for length-zero values", {
  expect_equal("x" %||% "y", "x")
  expect_equal(character(0) %||% "y", "y")
  expect_equal(NULL %||% "y", "y")
  expect_equal(list() %||% "y", "y")
  expect_equal(NA %||% "y", NA)
})

crew_test("%|||% uses the right side only for NULL", {
  expect_equal("x" %|||% "y", "x")
  expect_equal(NULL %|||% "y", "y")
  expect_equal(character(0) %|||% "y", character(0))
  expect_equal(NA %|||% "y", NA)
})

crew_test("%||NA% uses the right side when any value is missing", {
  expect_equal("x" %||NA% "y", "x")
  expect_equal(NA %||NA% "y", "y")
  expect_equal(c(1, NA) %||NA% "y", "y")
  expect_equal(character(0) %||NA% "y", character(0))
})

crew_test("if_any() picks a branch and evaluates only that one", {
  expect_equal(if_any(TRUE, "a", "b"), "a")
  expect_equal(if_any(FALSE, "a", "b"), "b")
  expect_equal(if_any(c(FALSE, TRUE), "a", "b"), "a")
  expect_equal(if_any(logical(0), "a", "b"), "b")
  expect_equal(if_any(TRUE, "a", stop("not evaluated")), "a")
})

crew_test("crew_null is a sentinel distinct from other values", {
  expect_true(is_crew_null(crew_null))
  expect_false(is_crew_null(NULL))
  expect_false(is_crew_null(list()))
  expect_false(is_crew_null(NA))
  expect_false(is_crew_null("crew_null"))
})
