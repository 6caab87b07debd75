# Objects whose state lives behind an external pointer: the package's own
# signals, whose count lives in native memory. A plain serialize() writes
# a null pointer, which the package then refuses as a signal. A second
# class marks counters that travel as text, so two classes are registered
# at once.
serial_test_handle <- function(count, class = "crew_signal") {
  signal <- crew:::native_signal_new()
  for (index in seq_len(count)) {
    crew:::native_signal_notify(signal)
  }
  if (class != "crew_signal") {
    class(signal) <- c(class, class(signal))
  }
  signal
}

serial_test_value <- function(x) {
  crew:::native_signal_value(x)
}

serial_test_config <- function() {
  helpers <- list2env(
    list(serial_test_handle = serial_test_handle, serial_test_value = serial_test_value)
  )
  functions <- list(
    function(x) charToRaw(as.character(serial_test_value(x))),
    function(x) serialize(serial_test_value(x), NULL),
    function(bytes) serial_test_handle(as.integer(rawToChar(bytes)), class = "demo_text"),
    function(bytes) serial_test_handle(unserialize(bytes))
  )
  for (index in seq_along(functions)) {
    environment(functions[[index]]) <- helpers
  }
  crew_serial_config(
    class = c("demo_text", "crew_signal"),
    sfunc = functions[1:2],
    ufunc = functions[3:4]
  )
}

# Waits for the one task pushed and checks that it failed with `pattern`.
serial_test_expect_error <- function(controller, pattern) {
  controller$wait(seconds_timeout = 60)
  row <- controller$pop()
  testthat::expect_equal(row$status, "error")
  testthat::expect_match(row$error, pattern)
}

crew_test("crew_serial_config() builds the configuration mirai's workers take", {
  sfunc <- function(x) raw(1L)
  ufunc <- function(bytes) NULL
  config <- crew_serial_config("a", sfunc, ufunc)
  expect_identical(config, list("a", list(sfunc), list(ufunc)))
  config <- crew_serial_config(c("a", "b"), list(sfunc, sfunc), list(ufunc, ufunc))
  expect_length(config[[2L]], 2L)
  expect_crew_error(crew_serial_config(character(0), sfunc, ufunc))
  expect_crew_error(crew_serial_config(NA_character_, sfunc, ufunc))
  expect_crew_error(crew_serial_config(c("a", "a"), list(sfunc, sfunc), list(ufunc, ufunc)))
  expect_crew_error(crew_serial_config(c("a", "b"), sfunc, list(ufunc, ufunc)))
  expect_crew_error(crew_serial_config("a", "not a function", ufunc))
  expect_crew_error(crew_serial_config("a", sfunc, list(ufunc, ufunc)))
})

crew_test("a malformed serialization setting is a crew_error", {
  ufunc <- function(bytes) NULL
  expect_crew_error(crew_client(host = "127.0.0.1", serialization = list("a")))
  expect_crew_error(crew_client(host = "127.0.0.1", serialization = list(1, list(), list())))
  expect_crew_error(
    crew_client(host = "127.0.0.1", serialization = list("a", list(1), list(ufunc)))
  )
  expect_crew_error(crew_controller_local(serialization = list("a", list(ufunc))))
  config <- list("a", list(function(x) raw(0L)), list(ufunc))
  client <- crew_client(host = "127.0.0.1", serialization = config)
  expect_identical(client$serialization, config)
})

serial_test_round_trip <- function(tls) {
  controller <- crew_controller_local(
    workers = 2L,
    seconds_idle = 60,
    serialization = serial_test_config(),
    tls = tls
  )
  on.exit(controller$terminate())
  controller$start()
  helpers <- list(serial_test_handle = serial_test_handle, serial_test_value = serial_test_value)
  # In the data, nested in lists; in the globals; in the command itself.
  controller$push(
    list(
      data = serial_test_value(nested$inner$handle),
      text = serial_test_value(nested$text),
      global = serial_test_value(global_handle),
      back = list(deep = list(serial_test_handle(serial_test_value(nested$inner$handle) + 1))),
      back_text = serial_test_handle(3, class = "demo_text")
    ),
    data = list(
      nested = list(
        inner = list(handle = serial_test_handle(41)),
        text = serial_test_handle(5, class = "demo_text")
      )
    ),
    globals = c(helpers, list(global_handle = serial_test_handle(7))),
    name = "data"
  )
  command <- as.call(list(serial_test_value, serial_test_handle(9)))
  controller$push(command, substitute = FALSE, name = "command", globals = helpers)
  controller$walk(
    command = serial_test_value(handle) * 2,
    iterate = list(
      handle = list(serial_test_handle(1), serial_test_handle(2)),
      name = c("walk_1", "walk_2")
    ),
    names = "name",
    globals = helpers
  )
  controller$wait(mode = "all", seconds_timeout = 60)
  results <- controller$collect()
  results <- results[order(results$name), ]
  expect_equal(results$status, rep("success", 4L))
  rows <- split(results$result, results$name)
  value <- rows$data[[1L]]
  expect_equal(value$data, 41)
  expect_equal(value$text, 5)
  expect_equal(value$global, 7)
  expect_s3_class(value$back$deep[[1L]], "crew_signal")
  expect_equal(serial_test_value(value$back$deep[[1L]]), 42)
  expect_s3_class(value$back_text, "demo_text")
  expect_equal(serial_test_value(value$back_text), 3)
  expect_equal(rows$command[[1L]], 9)
  expect_equal(sort(unlist(results$result[results$name %in% c("walk_1", "walk_2")])), c(2, 4))
}

crew_test("objects behind external pointers travel through the hooks, both ways", {
  serial_test_round_trip(tls = crew_tls())
})

crew_test("the hooks work the same over automatic TLS", {
  serial_test_round_trip(tls = crew_tls(mode = "automatic"))
})

crew_test("without the hooks, such an object arrives without its state", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$push(
    serial_test_value(handle),
    data = list(handle = serial_test_handle(1)),
    globals = list(serial_test_value = serial_test_value)
  )
  serial_test_expect_error(controller, "signal of this package")
})

crew_test("a hook that fails is an error for its task, and R keeps running", {
  failing <- crew_serial_config(
    class = c("demo_text", "crew_signal"),
    sfunc = list(function(x) "not raw", function(x) stop("cannot write this one")),
    ufunc = list(function(bytes) stop("cannot read this one"), function(bytes) NULL)
  )
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60, serialization = failing)
  on.exit(controller$terminate())
  controller$start()
  expect_error(
    controller$push(TRUE, data = list(x = serial_test_handle(1))),
    class = "crew_error",
    regexp = "cannot write this one"
  )
  expect_error(
    controller$push(TRUE, data = list(x = serial_test_handle(1, class = "demo_text"))),
    class = "crew_error",
    regexp = "raw vector"
  )
  # Values a worker cannot send come back as errors.
  helpers <- list(serial_test_handle = serial_test_handle)
  controller$push(serial_test_handle(1), globals = helpers, name = "value")
  serial_test_expect_error(controller, "cannot write this one")
  controller$push(TRUE, name = "fine")
  controller$wait(seconds_timeout = 60)
  expect_true(controller$pop()$result[[1L]])
})

crew_test("an unserialize hook that fails is an error for its task, on either side", {
  config <- crew_serial_config(
    class = "crew_signal",
    sfunc = function(x) as.raw(1L),
    ufunc = function(bytes) stop("cannot read this one")
  )
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60, serialization = config)
  on.exit(controller$terminate())
  controller$push(TRUE, data = list(x = serial_test_handle(1)), name = "in")
  serial_test_expect_error(controller, "cannot read this one")
  helpers <- list(serial_test_handle = serial_test_handle)
  controller$push(serial_test_handle(1), globals = helpers, name = "out")
  serial_test_expect_error(controller, "cannot read this one")
})

crew_test("the native side refuses any other object as serialization settings", {
  junk <- list(
    methods::new("externalptr"),
    list("a", list(1), list(2)),
    list(NA_character_, list(identity), list(identity)),
    list(c("a", "b"), list(identity), list(identity, identity)),
    "a"
  )
  for (value in junk) {
    expect_crew_error(
      crew:::native_dispatcher_handle("no profile", FALSE, FALSE, FALSE, FALSE, "c", value)
    )
  }
  # Valid settings for a profile that is not running: no handle.
  expect_null(
    crew:::native_dispatcher_handle(
      "no profile", FALSE, FALSE, FALSE, FALSE, "c", list("a", list(identity), list(identity))
    )
  )
})
