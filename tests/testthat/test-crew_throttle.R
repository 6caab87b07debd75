crew_test("crew_throttle() validates its arguments", {
  expect_silent(crew_throttle())
  expect_crew_error(crew_throttle(seconds_max = -1))
  expect_crew_error(crew_throttle(seconds_min = 0))
  expect_crew_error(crew_throttle(seconds_max = NA_real_))
  expect_crew_error(crew_throttle(seconds_max = "1"))
  expect_crew_error(crew_throttle(base = 1))
  expect_crew_error(crew_throttle(seconds_max = 1, seconds_min = 2))
  expect_crew_error(crew_throttle(seconds_start = 2))
  expect_crew_error(crew_throttle(seconds_min = 0.5, seconds_start = 0.1))
  expect_crew_error(crew_class_throttle$new()$validate())
})

crew_test("crew_class_throttle R6 flags", {
  throttle <- crew_throttle()
  expect_true(inherits(throttle, "crew_class_throttle"))
  expect_false(crew_class_throttle$portable)
  expect_false(crew_class_throttle$cloneable)
  expect_true(all(c("self", "private") %in% names(throttle)))
  expect_null(throttle$clone)
})

crew_test("crew_throttle() active bindings", {
  throttle <- crew_throttle(
    seconds_max = 2,
    seconds_min = 0.5,
    seconds_start = 1,
    base = 3
  )
  expect_equal(throttle$seconds_max, 2)
  expect_equal(throttle$seconds_min, 0.5)
  expect_equal(throttle$seconds_start, 1)
  expect_equal(throttle$base, 3)
  expect_equal(throttle$seconds_interval, 1)
  expect_null(throttle$polled)
  expect_error(throttle$seconds_max <- 5)
  expect_equal(throttle$seconds_max, 2)
  default <- crew_throttle()
  expect_equal(default$seconds_start, 1e-6)
  expect_equal(default$seconds_interval, 1e-6)
})

crew_test("crew_throttle() first poll is FALSE, poll after reset is TRUE", {
  throttle <- crew_throttle(seconds_max = 10, seconds_min = 10)
  expect_false(throttle$poll())
  expect_true(is.numeric(throttle$polled))
  expect_true(is.finite(throttle$polled))
  expect_false(throttle$poll())
  throttle$reset()
  expect_equal(throttle$polled, -Inf)
  expect_true(throttle$poll())
  expect_true(is.finite(throttle$polled))
  expect_false(throttle$poll())
  expect_silent(throttle$validate())
})

crew_test("crew_throttle() poll() respects the interval", {
  throttle <- crew_throttle(
    seconds_max = 0.2,
    seconds_min = 0.2,
    seconds_start = 0.2
  )
  results <- logical(0)
  start <- Sys.time()
  while (difftime(Sys.time(), start, units = "secs") < 0.5) {
    results <- c(results, throttle$poll())
  }
  expect_false(results[1L])
  expect_equal(sum(results), 2L)
})

crew_test("crew_throttle() accelerate() floors at seconds_min", {
  throttle <- crew_throttle(seconds_max = 8, seconds_min = 1, seconds_start = 8)
  expect_null(throttle$accelerate())
  expect_equal(throttle$seconds_interval, 4)
  throttle$accelerate()
  expect_equal(throttle$seconds_interval, 2)
  throttle$accelerate()
  expect_equal(throttle$seconds_interval, 1)
  throttle$accelerate()
  expect_equal(throttle$seconds_interval, 1)
  expect_silent(throttle$validate())
})

crew_test("crew_throttle() decelerate() caps at seconds_max", {
  throttle <- crew_throttle(seconds_max = 3, seconds_min = 1, seconds_start = 1)
  expect_null(throttle$decelerate())
  expect_equal(throttle$seconds_interval, 2)
  throttle$decelerate()
  expect_equal(throttle$seconds_interval, 3)
  throttle$decelerate()
  expect_equal(throttle$seconds_interval, 3)
  expect_silent(throttle$validate())
})

crew_test("crew_throttle() reset() returns to the start", {
  throttle <- crew_throttle(seconds_max = 8, seconds_min = 1, seconds_start = 2)
  throttle$decelerate()
  throttle$decelerate()
  expect_equal(throttle$seconds_interval, 8)
  expect_null(throttle$reset())
  expect_equal(throttle$seconds_interval, 2)
  throttle$accelerate()
  throttle$reset()
  expect_equal(throttle$seconds_interval, 2)
})

crew_test("crew_throttle() update()", {
  throttle <- crew_throttle(seconds_max = 8, seconds_min = 1, seconds_start = 1)
  expect_false(throttle$poll())
  expect_null(throttle$update(activity = FALSE))
  expect_equal(throttle$seconds_interval, 2)
  throttle$update(activity = FALSE)
  expect_equal(throttle$seconds_interval, 4)
  expect_true(is.finite(throttle$polled))
  throttle$update(activity = TRUE)
  expect_equal(throttle$seconds_interval, 1)
  expect_false(is.finite(throttle$polled))
  expect_true(throttle$poll())
})
