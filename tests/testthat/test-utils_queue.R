crew_test("crew_queue() is an empty environment-based queue", {
  queue <- crew_queue()
  expect_true(is.environment(queue))
  expect_true(inherits(queue, "crew_queue"))
  expect_equal(queue$size(), 0L)
  expect_true(queue$empty())
  expect_false(queue$nonempty())
  expect_equal(queue$as_list(), list())
  expect_equal(queue$pop(), character(0))
})

crew_test("crew_queue() is first in, first out", {
  queue <- crew_queue()
  queue$push("a")
  queue$push(c("b", "c", "d"))
  queue$push(character(0))
  expect_equal(queue$size(), 4L)
  expect_true(queue$nonempty())
  expect_equal(queue$as_list(), list("a", "b", "c", "d"))
  expect_equal(queue$pop(), "a")
  expect_equal(queue$pop(n = 2L), c("b", "c"))
  expect_equal(queue$pop(n = 10L), "d")
  expect_equal(queue$pop(n = 2L), character(0))
  expect_true(queue$empty())
  queue$push("e")
  expect_equal(queue$pop(0L), character(0))
  expect_equal(queue$as_list(), list("e"))
  queue$clear()
  expect_equal(queue$size(), 0L)
  expect_equal(queue$as_list(), list())
})

crew_test("crew_queue() keeps order through growth and compaction", {
  queue <- crew_queue()
  expected <- character(0)
  for (round in seq_len(50L)) {
    names <- paste0("x", round, "_", seq_len(round))
    queue$push(names)
    expected <- c(expected, names)
    out <- queue$pop(n = round %/% 2L + 1L)
    expect_equal(out, expected[seq_along(out)])
    expected <- expected[-seq_along(out)]
    expect_equal(queue$size(), length(expected))
  }
  expect_equal(unlist(queue$as_list()), expected)
  expect_equal(queue$pop(n = length(expected)), expected)
  expect_true(queue$empty())
})

crew_test("crew_queue() instances are independent", {
  a <- crew_queue()
  b <- crew_queue()
  a$push("x")
  expect_equal(a$size(), 1L)
  expect_equal(b$size(), 0L)
})

crew_test("crew_queue() is fast", {
  queue <- crew_queue()
  n <- 1e5
  seconds <- system.time({
    for (index in seq_len(n)) {
      queue$push("name")
    }
    expect_equal(queue$size(), n)
    for (index in seq_len(n)) {
      queue$pop()
    }
  })[["elapsed"]]
  expect_true(queue$empty())
  expect_lt(seconds, 2)
  queue$push(as.character(seq_len(n)))
  seconds <- system.time(
    for (index in seq_len(n)) {
      queue$push("x")
      queue$pop()
    }
  )[["elapsed"]]
  expect_equal(queue$size(), n)
  expect_lt(seconds, 2)
})
