crew_test("fltr() keeps the elements that pass", {
  x <- list(a = 1, b = 5, c = 3)
  expect_equal(fltr(x, function(x) x > 2), list(b = 5, c = 3))
  expect_equal(fltr(1:6, function(x) x %% 2 == 0), c(2L, 4L, 6L))
  expect_equal(fltr(list(), function(x) TRUE), list())
  expect_equal(fltr(list(1, NA), function(x) x > 0), list(1))
})

crew_test("map_chr() returns a character vector", {
  expect_equal(map_chr(letters[1:3], toupper), c("A", "B", "C"))
  expect_equal(
    map_chr(list(x = "a", y = "b"), paste0, "!"),
    c(x = "a!", y = "b!")
  )
  expect_equal(map_chr(list(), toupper), character(0))
  expect_error(map_chr(1:2, function(x) x))
})

crew_test("map_dbl() returns a double vector", {
  out <- map_dbl(1:3, function(x, y) x * y, y = 1.5)
  expect_equal(out, c(1.5, 3, 4.5))
  expect_type(out, "double")
  expect_error(map_dbl(1:2, function(x) "a"))
})

crew_test("map_int() returns an integer vector", {
  out <- map_int(list(a = 1:2, b = 1:5), length)
  expect_equal(out, c(a = 2L, b = 5L))
  expect_type(out, "integer")
  expect_error(map_int(1:2, function(x) 1.5))
})

crew_test("map_lgl() returns a logical vector", {
  out <- map_lgl(c(1, NA, 3), is.na)
  expect_equal(out, c(FALSE, TRUE, FALSE))
  expect_error(map_lgl(1:2, function(x) c(TRUE, FALSE)))
})

crew_test("map_rows() passes one-row data frames", {
  data <- data.frame(x = c(1, 2), y = c("a", "b"))
  out <- map_rows(data, function(row, suffix) paste0(row$y, row$x, suffix), "!")
  expect_equal(out, list("a1!", "b2!"))
  rows <- map_rows(data, identity)
  expect_equal(length(rows), 2L)
  expect_equal(nrow(rows[[2]]), 1L)
  expect_equal(rows[[2]]$y, "b")
  expect_equal(map_rows(data[0, ], identity), list())
})

crew_test("setdiff_chr() always returns character", {
  expect_equal(setdiff_chr(c("a", "b", "c"), "b"), c("a", "c"))
  expect_equal(setdiff_chr(NULL, "b"), character(0))
  expect_equal(setdiff_chr(character(0), character(0)), character(0))
  expect_equal(setdiff_chr("a", "a"), character(0))
  expect_equal(setdiff_chr(c("a", "b"), NULL), c("a", "b"))
})
