crew_test("crew_retry() returns silently when fun is TRUE", {
  expect_silent(out <- crew_retry(fun = function() TRUE))
  expect_null(out)
  expect_silent(crew_retry(fun = ~ TRUE))
})

crew_test("crew_retry() times out", {
  expect_error(
    crew_retry(
      fun = function() FALSE,
      seconds_interval = 0.01,
      seconds_timeout = 0.05
    ),
    class = "crew_expire"
  )
  expect_crew_error(
    crew_retry(
      fun = ~ FALSE,
      seconds_interval = 0.01,
      seconds_timeout = 0.05,
      message = "extra text"
    )
  )
  expect_silent(
    crew_retry(
      fun = function() FALSE,
      seconds_interval = 0.01,
      seconds_timeout = 0.05,
      error = FALSE
    )
  )
})

crew_test("crew_retry() passes args to fun", {
  expect_silent(
    crew_retry(
      fun = function(x, y) x + y == 3,
      args = list(x = 1, y = 2),
      seconds_timeout = 0.05
    )
  )
  expect_error(
    crew_retry(
      fun = function(x) identical(x, "b"),
      args = list(x = "a"),
      seconds_interval = 0.01,
      seconds_timeout = 0.05
    ),
    class = "crew_expire"
  )
})

crew_test("crew_retry() retries until success", {
  count <- 0L
  fun <- function() {
    count <<- count + 1L
    count >= 3L
  }
  crew_retry(fun = fun, seconds_interval = 0.001, seconds_timeout = 5)
  expect_equal(count, 3L)
})

crew_test("crew_retry() gives up after max_tries", {
  count <- 0L
  fun <- function() {
    count <<- count + 1L
    FALSE
  }
  expect_error(
    crew_retry(
      fun = fun,
      seconds_interval = 0.001,
      seconds_timeout = 60,
      max_tries = 5
    ),
    class = "crew_expire"
  )
  expect_equal(count, 5L)
  count <- 0L
  expect_silent(
    crew_retry(
      fun = fun,
      seconds_interval = 0.001,
      seconds_timeout = 60,
      max_tries = 5,
      error = FALSE
    )
  )
  expect_equal(count, 5L)
})

crew_test("crew_retry() validates its arguments", {
  expect_crew_error(crew_retry(fun = function() TRUE, args = list(1)))
  expect_crew_error(crew_retry(fun = function() TRUE, args = "x"))
  expect_crew_error(
    crew_retry(fun = function() TRUE, args = list(a = 1, a = 2))
  )
  expect_crew_error(crew_retry(fun = function() TRUE, seconds_interval = -1))
  expect_crew_error(crew_retry(fun = function() TRUE, seconds_timeout = NA))
  expect_crew_error(crew_retry(fun = function() TRUE, max_tries = "a"))
  expect_crew_error(crew_retry(fun = function() TRUE, error = NA))
  expect_silent(
    crew_retry(fun = function() TRUE, error = NA, assertions = FALSE)
  )
})
