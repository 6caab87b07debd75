crew_test("crew_random_name() gives one hex string", {
  out <- crew_random_name()
  expect_true(is.character(out))
  expect_equal(length(out), 1L)
  expect_false(anyNA(out))
  expect_true(nzchar(out))
  expect_true(grepl("^[0-9a-f]{16}$", out))
  expect_true(grepl("^[0-9a-f]{8}$", crew_random_name(n = 4L)))
  expect_true(grepl("^[0-9a-f]{6}$", crew_random_name(n = 3)))
})

crew_test("crew_random_name() gives different names", {
  expect_false(identical(crew_random_name(), crew_random_name()))
})

crew_test("crew_random_name() validates n", {
  expect_crew_error(crew_random_name(n = 0L))
  expect_crew_error(crew_random_name(n = -1L))
  expect_crew_error(crew_random_name(n = 1.5))
  expect_crew_error(crew_random_name(n = NA_integer_))
  expect_crew_error(crew_random_name(n = c(1L, 2L)))
  expect_crew_error(crew_random_name(n = "8"))
  expect_crew_error(crew_random_name(n = Inf))
})
