# Also covers R/crew_class_controller.R, R/controller_submit.R,
# R/controller_wait.R, R/controller_results.R, R/controller_state.R and
# R/task_handle.R: the controller class and its methods as free functions.

crew_test_controller <- function(...) {
  crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, ...)
}

crew_test_column_types <- c(
  name = "character",
  command = "character",
  result = "list",
  status = "character",
  error = "character",
  code = "integer",
  trace = "character",
  warnings = "character",
  seconds = "double",
  seed = "integer",
  algorithm = "character",
  controller = "character"
)

crew_test_check_columns <- function(out) {
  testthat::expect_s3_class(out, "tbl_df")
  testthat::expect_equal(colnames(out), monad_names)
  testthat::expect_equal(
    vapply(out, typeof, character(1L)),
    crew_test_column_types
  )
}

crew_test("controller active bindings", {
  client <- crew_client(host = "127.0.0.1")
  launcher <- crew_launcher_local(name = "bindings")
  controller <- crew_controller(
    client = client,
    launcher = launcher,
    reset_globals = FALSE,
    reset_options = TRUE,
    crashes_max = 3L
  )
  expect_s3_class(controller, "crew_class_controller")
  expect_identical(controller$client, client)
  expect_identical(controller$launcher, launcher)
  expect_equal(controller$profile, client$profile)
  expect_false(controller$reset_globals)
  expect_false(controller$reset_packages)
  expect_true(controller$reset_options)
  expect_false(controller$garbage_collection)
  expect_equal(controller$crashes_max, 3L)
  expect_null(controller$backup)
  expect_null(controller$error)
  expect_null(controller$loop)
  expect_equal(controller$tasks, setNames(list(), character(0L)), ignore_attr = TRUE)
  expect_length(controller$tasks, 0L)
  expect_true(is.environment(controller$queue_backlog))
  expect_silent(controller$validate())
  expect_error(controller$error <- NULL)
  expect_error(controller$crashes_max <- 1L)
  expect_equal(controller$crashes_max, 3L)
})

crew_test("controller before start", {
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  expect_false(controller$started())
  expect_null(controller$pop())
  expect_equal(controller$resolved(), 0L)
  expect_equal(controller$unresolved(), 0L)
  expect_equal(controller$size(), 0L)
  expect_true(controller$empty())
  expect_false(controller$nonempty())
  expect_false(controller$saturated())
  expect_null(controller$summary())
  expect_null(controller$cancel(all = TRUE))
  expect_true(controller$wait())
  expect_false(controller$wait(mode = "one"))
  expect_equal(controller$crashes(name = "x"), 0L)
  expect_null(controller$terminate())
  expect_false(controller$started())
})

crew_test("controller push, wait, pop round trip with values, warnings and errors", {
  crew_test_skip()
  controller <- crew_test_controller(name = "roundtrip")
  on.exit(controller$terminate())
  controller$start()
  expect_true(controller$started())
  summary <- controller$summary()
  expect_equal(
    colnames(summary),
    c("controller", "seconds", "tasks", "success", "error", "crash", "cancel", "warning")
  )
  expect_equal(summary$tasks, 0L)
  handle <- controller$push(
    list(value = x + 1L, pid = Sys.getpid()),
    data = list(x = 41L),
    name = "good",
    throttle = FALSE
  )
  expect_s3_class(handle, "mirai")
  controller$push(
    {
      warning("this-warning")
      stop("this-error")
    },
    name = "bad",
    throttle = FALSE
  )
  expect_equal(controller$size(), 2L)
  expect_true(controller$saturated())
  expect_setequal(names(controller$tasks), c("good", "bad"))
  expect_true(controller$wait(mode = "all", seconds_timeout = 30))
  expect_equal(controller$unresolved(), 0L)
  expect_gte(controller$resolved(), 2L)
  # The handle's data is the result once resolved.
  expect_false(inherits(handle$data, "unresolvedValue"))
  rows <- list()
  expect_true(
    crew_test_until(
      function() {
        row <- controller$pop()
        if (!is.null(row)) rows[[row$name]] <<- row
        length(rows) == 2L
      },
      seconds_timeout = 60
    )
  )
  expect_null(controller$pop())
  expect_equal(controller$size(), 0L)
  good <- rows$good
  bad <- rows$bad
  crew_test_check_columns(good)
  crew_test_check_columns(bad)
  expect_equal(nrow(good), 1L)
  expect_equal(good$name, "good")
  expect_equal(good$command, "list(value = x + 1L, pid = Sys.getpid())")
  expect_equal(good$result[[1L]]$value, 42L)
  expect_false(identical(good$result[[1L]]$pid, Sys.getpid()))
  expect_equal(good$status, "success")
  expect_true(is.na(good$error))
  expect_identical(good$code, 0L)
  expect_true(is.na(good$trace))
  expect_true(is.na(good$warnings))
  expect_gte(good$seconds, 0)
  expect_true(is.na(good$seed))
  expect_true(is.na(good$algorithm))
  expect_equal(good$controller, "roundtrip")
  expect_equal(bad$status, "error")
  expect_identical(bad$code, -1L)
  expect_match(bad$error, "this-error", fixed = TRUE)
  expect_false(is.na(bad$trace))
  expect_true(nzchar(bad$trace))
  expect_match(bad$warnings, "this-warning", fixed = TRUE)
  expect_true(is.na(bad$result[[1L]]))
  expect_gte(bad$seconds, 0)
  expect_equal(bad$controller, "roundtrip")
  summary <- controller$summary()
  expect_equal(summary$controller, "roundtrip")
  expect_equal(summary$tasks, 2L)
  expect_equal(summary$success, 1L)
  expect_equal(summary$error, 1L)
  expect_equal(summary$crash, 0L)
  expect_equal(summary$cancel, 0L)
  expect_equal(summary$warning, 1L)
  expect_gte(summary$seconds, 0)
  # pop(error = "stop") and pop(error = "warn").
  controller$push(stop("stop-me"), name = "stop", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_true(
    crew_test_until(
      function() {
        out <- tryCatch(controller$pop(error = "stop"), crew_error = function(e) e)
        inherits(out, "crew_error")
      },
      seconds_timeout = 60
    )
  )
  expect_equal(controller$size(), 0L)
  controller$push(stop("warn-again"), name = "warn2", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_warning(
    row <- crew_test_pop(controller, error = "warn"),
    class = "crew_warning"
  )
  expect_equal(row$name, "warn2")
  expect_crew_error(controller$pop(error = "bogus"))
  # Summary survives terminate.
  controller$terminate()
  expect_equal(controller$summary()$error, 3L)
})

crew_test("controller collect() returns only finished tasks; cancel()", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$push("a", name = "a", throttle = FALSE)
  controller$push("b", name = "b", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  controller$push(Sys.sleep(60), name = "running", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 60)
  )
  controller$push(Sys.sleep(60), name = "queued", scale = FALSE)
  out <- controller$collect()
  crew_test_check_columns(out)
  expect_equal(sort(out$name), c("a", "b"))
  expect_equal(sort(unlist(out$result)), c("a", "b"))
  expect_equal(controller$size(), 2L)
  expect_length(controller$queue_resolved$as_list(), 0L)
  expect_null(controller$collect())
  expect_crew_error(controller$collect(error = "bogus"))
  expect_equal(controller$client$status()[["awaiting"]], 1L)
  controller$cancel(names = c("running", "queued", "not_a_task"))
  expect_true(controller$wait(seconds_timeout = 60))
  rows <- list()
  expect_true(
    crew_test_until(
      function() {
        row <- controller$pop()
        if (!is.null(row)) rows[[row$name]] <<- row
        length(rows) == 2L
      },
      seconds_timeout = 60
    )
  )
  for (row in rows) {
    crew_test_check_columns(row)
    expect_equal(row$status, "cancel")
    expect_identical(row$code, 20L)
    expect_match(row$error, "cancel", ignore.case = TRUE)
    expect_true(is.na(row$result[[1L]]))
  }
  summary <- controller$summary()
  expect_equal(summary$cancel, 2L)
  expect_equal(summary$success, 2L)
})

crew_test("controller cancel(all = TRUE) and collect(error = ...)", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  for (name in c("w", "x", "y")) {
    controller$push(Sys.sleep(60), name = name, scale = FALSE)
  }
  controller$cancel(all = TRUE)
  expect_true(controller$wait(seconds_timeout = 60))
  expect_warning(
    out <- controller$collect(error = "warn"),
    class = "crew_warning"
  )
  expect_equal(sort(out$name), c("w", "x", "y"))
  expect_true(all(out$status == "cancel"))
  expect_true(all(out$code == 20L))
  controller$push(stop("oops"), name = "e", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_crew_error(controller$collect(error = "stop"))
  controller$push(stop("oops"), name = "f", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- NULL
  expect_true(crew_test_until(function() {
    out <<- controller$collect(error = "silent")
    !is.null(out)
  }))
  expect_equal(out$name, "f")
  expect_equal(out$error, "oops")
})

crew_test("controller map() over 200 tasks keeps iterate order", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 2L, name = "mapper")
  on.exit(controller$terminate())
  n <- 200L
  out <- controller$map(
    command = x + y + z,
    iterate = list(x = seq_len(n), y = rev(seq_len(n))),
    data = list(z = 1000L),
    verbose = FALSE
  )
  crew_test_check_columns(out)
  expect_equal(nrow(out), n)
  expect_match(out$name, "^unnamed_task_")
  prefixes <- sub("_[0-9]+$", "", out$name)
  expect_length(unique(prefixes), 1L)
  expect_equal(as.integer(sub("^.*_", "", out$name)), seq_len(n))
  expect_equal(out$command, rep("x + y + z", n))
  expect_equal(unlist(out$result), rep(n + 1L + 1000L, n))
  expect_true(all(out$status == "success"))
  expect_true(all(out$code == 0L))
  expect_true(all(is.na(out$error)))
  expect_true(all(is.na(out$trace)))
  expect_true(all(is.na(out$warnings)))
  expect_true(all(is.na(out$seed)))
  expect_true(all(out$controller == "mapper"))
  expect_null(controller$error)
  expect_equal(controller$size(), 0L)
  expect_equal(controller$summary()$success, n)
  # Order: results follow iterate even when values differ per task.
  named <- controller$map(
    command = paste0(id, "-", x),
    iterate = list(id = paste0("task", seq_len(n)), x = seq_len(n)),
    names = "id",
    verbose = FALSE
  )
  expect_equal(named$name, paste0("task", seq_len(n)))
  expect_equal(unlist(named$result), paste0("task", seq_len(n), "-", seq_len(n)))
  expect_equal(controller$summary()$success, 2L * n)
})

crew_test("controller map() with errors and warnings", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  command <- quote({
    warning(paste("warn", x))
    if (x > 1L) stop(paste("fail", x))
    x
  })
  expect_crew_error(
    suppressWarnings(
      controller$map(command, iterate = list(x = 1:3), substitute = FALSE, verbose = FALSE)
    )
  )
  error <- controller$error
  expect_false(is.null(error))
  crew_test_check_columns(error)
  expect_equal(nrow(error), 3L)
  expect_equal(error$status, c("success", "error", "error"))
  expect_equal(error$code, c(0L, -1L, -1L))
  expect_equal(error$error[2:3], c("fail 2", "fail 3"))
  expect_true(all(is.na(unlist(error$result[2:3]))))
  expect_true(all(!is.na(error$trace[2:3])))
  expect_true(all(!is.na(error$warnings)))
  expect_equal(controller$size(), 0L)
  # warn and silent.
  expect_warning(
    expect_warning(
      out <- controller$map(command, iterate = list(x = 1:3), substitute = FALSE,
        error = "warn", verbose = FALSE),
      class = "crew_warning"
    ),
    class = "crew_warning"
  )
  expect_equal(out$status, c("success", "error", "error"))
  out <- controller$map(
    command,
    iterate = list(x = 1:3),
    substitute = FALSE,
    error = "silent",
    warnings = FALSE,
    verbose = FALSE
  )
  expect_equal(out$status, c("success", "error", "error"))
  summary <- controller$summary()
  expect_equal(summary$error, 6L)
  expect_equal(summary$warning, 9L)
  expect_crew_error(controller$map(x, iterate = list(x = 1), error = "bogus"))
})

crew_test("controller map() needs an empty controller; map works unstarted", {
  crew_test_skip()
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  expect_false(controller$started())
  out <- controller$map(x, iterate = list(x = 1:2), verbose = FALSE)
  expect_true(controller$started())
  expect_equal(unlist(out$result), 1:2)
  controller$push(1L, name = "held", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(controller$resolved(), 3L)
  expect_equal(controller$unresolved(), 0L)
  expect_crew_error(controller$map(x, iterate = list(x = 1:2), verbose = FALSE))
  expect_equal(controller$size(), 1L)
})

crew_test("controller map() seeds are distinct integers and reproducible", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 2L)
  on.exit(controller$terminate())
  first <- controller$map(runif(1), iterate = list(x = 1:6), seed = 123, verbose = FALSE)
  second <- controller$map(runif(1), iterate = list(x = 1:6), seed = 456, verbose = FALSE)
  crew_test_check_columns(first)
  expect_true(is.integer(first$seed))
  expect_equal(anyDuplicated(first$seed), 0L)
  expect_false(anyNA(first$seed))
  expect_equal(first$seed, second$seed)
  expect_equal(unlist(first$result), unlist(second$result))
  expect_equal(anyDuplicated(unlist(first$result)), 0L)
  negative <- controller$map(runif(1), iterate = list(x = 1:6), seed = 0L, verbose = FALSE)
  expect_true(is.integer(negative$seed))
  expect_equal(anyDuplicated(negative$seed), 0L)
  expect_false(isTRUE(all.equal(unlist(negative$result), unlist(first$result))))
  # No seed: results not reproducible across calls.
  a <- controller$map(runif(1), iterate = list(x = 1:4), verbose = FALSE)
  b <- controller$map(runif(1), iterate = list(x = 1:4), verbose = FALSE)
  expect_false(isTRUE(all.equal(unlist(a$result), unlist(b$result))))
})

crew_test("controller walk() returns handles, with data, globals and seed", {
  crew_test_skip()
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  handles <- controller$walk(
    command = crew_test_walk_fun(x) + y,
    iterate = list(x = c(1L, 2L), id = c("p", "q")),
    data = list(y = 10L),
    globals = list(crew_test_walk_fun = function(x) x * 2L + 3L),
    seed = 1,
    names = "id",
    verbose = FALSE,
    throttle = FALSE
  )
  expect_equal(names(handles), c("p", "q"))
  expect_true(all(vapply(handles, inherits, logical(1L), what = "mirai")))
  expect_true(controller$wait(seconds_timeout = 30))
  out <- NULL
  expect_true(crew_test_until(function() {
    out <<- results_bind(list(out, controller$collect()))
    NROW(out) == 2L
  }))
  out <- out[order(out$name), ]
  expect_equal(unlist(out$result), c(15L, 17L))
  expect_equal(out$seed, c(0L, -1L))
  expect_false(exists("crew_test_walk_fun", envir = globalenv(), inherits = FALSE))
})

crew_test("controller duplicated and invalid names", {
  crew_test_skip()
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  controller$push(1L, name = "dup", scale = FALSE)
  expect_crew_error(controller$push(2L, name = "dup", scale = FALSE))
  expect_equal(controller$size(), 1L)
  expect_crew_error(
    controller$walk(x, iterate = list(x = 1:2, id = c("a", "a")), names = "id", scale = FALSE)
  )
  expect_crew_error(
    controller$walk(x, iterate = list(x = 1:2, id = c("dup", "b")), names = "id", scale = FALSE)
  )
  expect_crew_error(
    controller$walk(x, iterate = list(x = 1:2, id = c(NA, "b")), names = "id", scale = FALSE)
  )
  expect_equal(controller$size(), 1L)
})

crew_test("controller invalid arguments raise crew_error", {
  crew_test_skip()
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  expect_crew_error(controller$push(1, name = 1))
  expect_crew_error(controller$push(1, seconds_timeout = -1))
  expect_crew_error(controller$push(1, scale = NA))
  expect_crew_error(controller$push(1, throttle = "x"))
  expect_crew_error(controller$push(1, data = list(1)))
  expect_equal(controller$size(), 0L)
  expect_equal(controller$unresolved(), 0L)
  expect_crew_error(controller$walk(x, iterate = list(1:2)))
  expect_crew_error(controller$walk(x, iterate = list()))
  expect_crew_error(controller$walk(x, iterate = list(x = 1:2, y = 1:3)))
  expect_crew_error(controller$walk(x, iterate = list(x = 1:2), names = "nope"))
  expect_crew_error(controller$walk(x, iterate = list(x = 1:2), seed = NA_real_))
  expect_crew_error(controller$walk(x, iterate = list(x = 1:2), substitute = NA))
  expect_equal(controller$size(), 0L)
  expect_crew_error(controller$wait(mode = "x"))
  expect_crew_error(controller$cancel(all = NA))
  expect_crew_error(controller$cancel(names = NA_character_))
  expect_crew_error(controller$autoscale(loop = "not a loop"))
  expect_crew_error(crew_controller_local(workers = -1))
  expect_crew_error(
    crew_controller(
      client = crew_client(host = "127.0.0.1"),
      launcher = crew_launcher_local(),
      crashes_max = -1
    )
  )
  expect_crew_error(
    crew_controller(
      client = crew_client(host = "127.0.0.1"),
      launcher = crew_launcher_local(),
      reset_globals = NA
    )
  )
  expect_crew_error(crew_controller(client = "x", launcher = crew_launcher_local()))
  expect_crew_error(
    crew_controller(
      client = crew_client(host = "127.0.0.1"),
      launcher = crew_launcher_local(),
      crashes_max = 0L,
      backup = crew_test_controller()
    )
  )
  expect_warning(
    crew_controller(
      client = crew_client(host = "127.0.0.1"),
      launcher = crew_launcher_local(),
      auto_scale = "demand"
    ),
    class = "crew_deprecate"
  )
})

crew_test("controller wait(mode = 'one') and wait timeout", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$push(Sys.sleep(60), name = "slow", throttle = FALSE)
  start <- Sys.time()
  expect_false(controller$wait(mode = "all", seconds_timeout = 0.5))
  expect_lt(as.numeric(difftime(Sys.time(), start, units = "secs")), 30)
  controller$push("fast", name = "fast", scale = FALSE)
  controller$cancel(names = "slow")
  expect_true(controller$wait(mode = "one", seconds_timeout = 30))
})

crew_test("controller per-task timeout resolves as an error", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  controller$push(Sys.sleep(60), seconds_timeout = 0.5, name = "timeout", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  crew_test_check_columns(out)
  expect_equal(out$status, "error")
  expect_false(out$code %in% c(0L, -1L))
  expect_match(out$error, "timed out", ignore.case = TRUE)
  expect_true(is.na(out$result[[1L]]))
  expect_equal(controller$summary()$error, 1L)
  # The controller keeps working afterwards.
  controller$push("after", name = "after", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$result[[1L]], "after")
})

crew_test("controller crash: a worker killed mid-task gives a crash row", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L, name = "crashy")
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- crew_test_pop(controller)$result[[1L]]
  expect_equal(controller$crashes(name = "x"), 0L)
  controller$push(Sys.sleep(30), name = "x", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 60)
  )
  tools::pskill(pid, tools::SIGKILL)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  crew_test_check_columns(out)
  expect_equal(out$name, "x")
  expect_equal(out$status, "crash")
  expect_identical(out$code, 19L)
  expect_equal(out$error, sprintf("19 | Connection reset (worker %d was killed by signal 9)", pid))
  expect_true(is.na(out$result[[1L]]))
  expect_equal(out$controller, "crashy")
  expect_equal(controller$crashes(name = "x"), 1L)
  expect_equal(controller$summary()$crash, 1L)
  expect_equal(controller$client$status()[["connections"]], 0L)
  # Rerunning the task under the same name on a new worker resets the count.
  controller$push(Sys.getpid(), name = "x", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  again <- crew_test_pop(controller)
  expect_equal(again$status, "success")
  expect_false(identical(again$result[[1L]], pid))
  expect_equal(controller$crashes(name = "x"), 0L)
})

crew_test("controller crash with crashes_max = 0 raises but loses nothing", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L, crashes_max = 0L)
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- crew_test_pop(controller)$result[[1L]]
  controller$push(Sys.sleep(30), name = "x", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 60)
  )
  tools::pskill(pid, tools::SIGKILL)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  raised <- FALSE
  expect_true(
    crew_test_until(
      function() {
        out <- tryCatch(controller$pop(scale = FALSE), crew_error = function(e) e)
        raised <<- inherits(out, "crew_error")
        raised
      },
      seconds_timeout = 60
    )
  )
  expect_true(raised)
  expect_equal(controller$crashes(name = "x"), 1L)
  out <- controller$pop(scale = FALSE)
  expect_false(is.null(out))
  expect_equal(out$name, "x")
  expect_equal(out$status, "crash")
  expect_identical(out$code, 19L)
  expect_null(controller$pop(scale = FALSE))
  expect_equal(controller$size(), 0L)
  expect_equal(controller$summary()$crash, 1L)
})

crew_test("controller strangers on the port do not disturb tasks or counts", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  port <- crew_test_url_port(controller$client$url)
  controller$walk(
    Sys.sleep(0.02),
    iterate = list(x = seq_len(40L)),
    throttle = FALSE,
    verbose = FALSE
  )
  silent <- crew_test_peer(port)
  on.exit(close(silent), add = TRUE)
  garbage <- crew_test_peer(
    port,
    send = as.raw(c(0xff, 0xff, 0xff, 0x7f, sample(0:255, 4096L, replace = TRUE)))
  )
  on.exit(close(garbage), add = TRUE)
  http <- crew_test_peer(port, send = charToRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
  on.exit(close(http), add = TRUE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- NULL
  expect_true(crew_test_until(function() {
    out <<- results_bind(list(out, controller$collect()))
    NROW(out) == 40L
  }))
  expect_true(all(out$status == "success"))
  status <- controller$client$status()
  expect_equal(status[["cumulative"]], 1L)
  expect_lte(status[["connections"]], 1L)
  # Strangers that come and go while idle change nothing either.
  for (index in seq_len(5L)) {
    peer <- crew_test_peer(port, send = as.raw(sample(0:255, 64L, replace = TRUE)))
    close(peer)
  }
  controller$push("still works", name = "after", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$result[[1L]], "still works")
  expect_equal(controller$client$status()[["cumulative"]], 1L)
})

crew_test("controller a raw TCP peer without the credential receives no task", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  port <- crew_test_url_port(controller$client$url)
  peer <- crew_test_peer(port)
  on.exit(close(peer), add = TRUE)
  marker <- "secret_marker_7f3a9c"
  controller$push(
    paste("value", "secret_marker_7f3a9c"),
    name = "marked",
    scale = FALSE
  )
  received <- crew_test_peer_read(peer, seconds = 1)
  expect_false(crew_test_contains(received, marker))
  expect_false(crew_test_contains(received, "paste"))
  status <- controller$client$status()
  expect_equal(status[["connections"]], 0L)
  expect_equal(status[["cumulative"]], 0L)
  expect_equal(status[["awaiting"]], 1L)
  expect_equal(status[["executing"]], 0L)
  # Answering the handshake with garbage gets nothing either.
  writeBin(as.raw(sample(0:255, 256L, replace = TRUE)), peer)
  received <- c(received, crew_test_peer_read(peer, seconds = 0.5))
  expect_false(crew_test_contains(received, marker))
  expect_equal(controller$client$status()[["awaiting"]], 1L)
  # A genuine worker then runs it.
  controller$scale(throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$result[[1L]], paste("value", marker))
  expect_equal(controller$client$status()[["cumulative"]], 1L)
})

crew_test("controller terminate() stops workers and frees the port", {
  crew_test_skip()
  port <- crew_test_port()
  controller <- crew_test_controller(workers = 2L, port = port)
  on.exit(controller$terminate(), add = TRUE)
  controller$launch(n = 2L)
  controller$push(Sys.sleep(60), name = "busy", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 30)
  )
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 2L, seconds_timeout = 30)
  )
  handles <- crew_test_all_handles(controller)
  expect_length(handles, 2L)
  expect_true(all(vapply(handles, function(x) x$is_alive(), logical(1L))))
  expect_equal(controller$client$url, paste0("tcp://127.0.0.1:", port))
  controller$terminate()
  expect_false(controller$started())
  expect_length(controller$tasks, 0L)
  # Both the busy and the idle worker are gone: they exit as their
  # connection closes, not when a task or a timer ends.
  expect_true(crew_test_all_dead(handles, seconds_timeout = 20))
  client <- crew_client(host = "127.0.0.1", port = port)
  on.exit(client$terminate(), add = TRUE)
  client$start()
  expect_equal(client$url, paste0("tcp://127.0.0.1:", port))
  client$terminate()
  # The controller itself restarts on the same port with fresh state.
  controller$start()
  expect_equal(controller$client$url, paste0("tcp://127.0.0.1:", port))
  expect_equal(controller$summary()$tasks, 0L)
  expect_true(all(controller$client$status() == 0L))
})

crew_test("controller backlog works before start and follows workers - size", {
  controller <- crew_test_controller(workers = 2L)
  on.exit(controller$terminate())
  expect_false(controller$started())
  for (name in c("a", "b", "c", "d", "e")) {
    expect_null(controller$push_backlog(name = name))
  }
  expect_equal(unlist(controller$queue_backlog$as_list()), c("a", "b", "c", "d", "e"))
  expect_equal(controller$pop_backlog(), c("a", "b"))
  expect_equal(controller$pop_backlog(), c("c", "d"))
  expect_equal(controller$pop_backlog(), "e")
  expect_equal(controller$pop_backlog(), character(0L))
  expect_crew_error(controller$push_backlog(name = 1))
})

crew_test("controller backlog respects held tasks", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 2L)
  on.exit(controller$terminate())
  for (name in c("a", "b", "c")) {
    controller$push_backlog(name = name)
  }
  controller$push(Sys.sleep(60), name = "one", scale = FALSE)
  expect_equal(controller$pop_backlog(), "a")
  controller$push(Sys.sleep(60), name = "two", scale = FALSE)
  expect_true(controller$saturated())
  expect_equal(controller$pop_backlog(), character(0L))
  controller$cancel(all = TRUE)
  expect_true(controller$wait(seconds_timeout = 60))
  out <- NULL
  expect_true(crew_test_until(function() {
    out <<- results_bind(list(out, controller$collect()))
    NROW(out) == 2L
  }))
  expect_equal(controller$pop_backlog(), c("b", "c"))
})

crew_test("controller deprecated pids() and descale()", {
  controller <- crew_test_controller()
  on.exit(controller$terminate())
  expect_warning(out <- controller$pids(), class = "crew_deprecate")
  expect_equal(out, Sys.getpid())
  controller$descale()
  expect_null(controller$loop)
})

# A cancelled or timed-out task must not keep occupying its worker: with one
# worker, the next task has to run long before the abandoned one would have
# finished (spec 0.5: cancellation and the per-task timeout cancel the task).
crew_test("controller cancel() of a running task frees its worker", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  controller$push(Sys.sleep(120), name = "abandoned", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 60)
  )
  controller$cancel(names = "abandoned")
  controller$push("next", name = "next", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  out <- controller$collect()
  expect_setequal(out$name, c("abandoned", "next"))
})

crew_test("controller a timed-out task frees its worker", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  controller$push(Sys.sleep(120), name = "slow", seconds_timeout = 0.5, scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 60, scale = FALSE))
  controller$push("next", name = "next", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  out <- controller$collect()
  expect_setequal(out$name, c("slow", "next"))
})

crew_test("a local controller's first push() launches a worker before it returns", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", workers = 2L)
  on.exit(controller$terminate())
  controller$push("x", name = "x")
  expect_equal(nrow(controller$launcher$launches), 1L)
  handles <- crew_test_handles(controller)
  expect_equal(length(handles), 1L)
  expect_true(handles[[1L]]$is_alive())
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$result[[1L]], "x")
  expect_equal(controller$client$status()[["cumulative"]], 1L)
})

# A launcher shaped like a cluster plugin's: it inherits the base launcher
# and submits each launch as one "job array" of n R processes.
crew_test_array_launcher_class <- R6::R6Class(
  classname = "crew_test_array_launcher",
  inherit = crew_class_launcher,
  public = list(
    submissions = integer(0L),
    jobs = list(),
    launch_workers = function(call, n) {
      self$submissions <- c(self$submissions, n)
      jobs <- lapply(seq_len(n), function(index) {
        processx::process$new(
          command = file.path(R.home("bin"), "Rscript"),
          args = c("--no-save", "--no-restore", "-e", call),
          cleanup = TRUE
        )
      })
      self$jobs <- c(self$jobs, jobs)
      jobs
    }
  )
)

crew_test("a cluster-like launcher lets the first tasks accumulate for one interval", {
  crew_test_skip()
  controller <- crew_test_plugin_controller(
    crew_test_array_launcher_class,
    name = "array",
    workers = 3L,
    # Long enough that the three pushes below fall within the first
    # interval however slow the client runs (valgrind, a busy machine).
    seconds_interval = 5,
    seconds_timeout = 30,
    host = "127.0.0.1"
  )
  launcher <- controller$launcher
  on.exit({
    controller$terminate()
    for (job in launcher$jobs) job$kill()
  })
  for (index in seq_len(3L)) {
    controller$push(x, data = list(x = index), name = paste0("task_", index))
  }
  expect_equal(launcher$submissions, integer(0L))
  expect_equal(nrow(launcher$launches), 0L)
  expect_true(controller$wait(mode = "all", seconds_timeout = 30))
  # One submission carried all three tasks of the first interval.
  expect_equal(launcher$submissions[[1L]], 3L)
  out <- controller$collect()
  expect_setequal(unlist(out$result), 1:3)
})

crew_test("controller autoscale() runs tasks and terminate() stops it for good", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit({
    controller$descale()
    controller$terminate()
  })
  controller$autoscale()
  expect_true(controller$started())
  expect_s3_class(controller$loop, "event_loop")
  controller$push("auto", name = "auto", scale = FALSE)
  expect_true(
    crew_test_until(
      function() {
        later::run_now(timeoutSecs = 0.1)
        controller$client$status()[["completed"]] >= 1L
      },
      seconds_timeout = 30
    )
  )
  expect_equal(crew_test_pop(controller, scale = FALSE)$result[[1L]], "auto")
  controller$terminate()
  expect_false(isTRUE(inherits(controller$loop, "event_loop")))
  deadline <- Sys.time() + 1
  while (Sys.time() < deadline) {
    later::run_now(timeoutSecs = 0.05)
  }
  expect_false(controller$started())
  expect_null(controller$client$url)
})

crew_test("controller autoscale() sleeps while idle and wakes when a task is queued", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  loop <- later::create_loop(parent = NULL)
  on.exit({
    controller$descale()
    controller$terminate()
    later::destroy_loop(loop)
  })
  controller$autoscale(loop = loop)
  # Nothing is scheduled while there is nothing to scale for.
  later::run_now(timeoutSecs = 0.2, loop = loop)
  expect_true(later::loop_empty(loop))
  controller$push("woken", name = "woken", scale = FALSE)
  # The dispatcher schedules the autoscaler on the loop as the task is
  # queued; until then no worker was launched.
  expect_false(later::loop_empty(loop))
  expect_true(
    crew_test_until(
      function() {
        later::run_now(timeoutSecs = 0.1, loop = loop)
        controller$client$status()[["completed"]] >= 1L
      },
      seconds_timeout = 30
    )
  )
  expect_equal(crew_test_pop(controller, scale = FALSE)$result[[1L]], "woken")
  # With the task done and its worker connected, the loop goes quiet.
  expect_true(
    crew_test_until(
      function() {
        later::run_now(timeoutSecs = 0.1, loop = loop)
        later::loop_empty(loop)
      },
      seconds_timeout = 30
    )
  )
})

# Spec 0.5: a task handle works with promises::as.promise() (the Shiny
# vignette chains `%...>%` on the handle returned by push()).
crew_test("controller task handles convert to promises", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  handle <- controller$push(1L + 1L, name = "promised", throttle = FALSE)
  promise <- promises::as.promise(handle)
  expect_true(promises::is.promise(promise))
  value <- NULL
  promises::then(promise, onFulfilled = function(x) value <<- x)
  expect_true(
    crew_test_until(
      function() {
        controller$scale(throttle = FALSE)
        later::run_now(timeoutSecs = 0.1)
        !is.null(value)
      },
      seconds_timeout = 30
    )
  )
  expect_equal(value$result[[1L]], 2L)
})

crew_test("controller map() reports a crash row; summary seconds stay numeric", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L, name = "mapcrash")
  on.exit(controller$terminate())
  out <- controller$map(
    if (i == 2L) tools::pskill(Sys.getpid(), tools::SIGKILL) else i,
    iterate = list(i = 1:3),
    error = "silent",
    verbose = FALSE
  )
  crew_test_check_columns(out)
  expect_equal(out$status, c("success", "crash", "success"))
  expect_equal(out$code, c(0L, 19L, 0L))
  expect_equal(out$controller, rep("mapcrash", 3L))
  expect_equal(controller$crashes(name = out$name[[2L]]), 1L)
  summary <- controller$summary()
  expect_equal(summary$crash, 1L)
  expect_equal(summary$success, 2L)
  expect_false(is.na(summary$seconds))
})

crew_test("controller map() past crashes_max raises and keeps the rows", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L, crashes_max = 0L)
  on.exit(controller$terminate())
  expect_crew_error(
    controller$map(
      if (i == 2L) tools::pskill(Sys.getpid(), tools::SIGKILL) else i,
      iterate = list(i = 1:3),
      error = "silent",
      verbose = FALSE
    )
  )
  out <- controller$collect()
  expect_equal(nrow(out), 3L)
  expect_equal(sort(out$status), c("crash", "success", "success"))
  expect_equal(controller$size(), 0L)
})

crew_test("controller a stalled worker (no heartbeats) gives a crash row", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- crew_test_pop(controller)$result[[1L]]
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)
  controller$push(Sys.sleep(60), name = "stalled", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 60)
  )
  tools::pskill(pid, tools::SIGSTOP)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  expect_equal(out$name, "stalled")
  expect_equal(out$status, "crash")
  expect_identical(out$code, 19L)
  expect_equal(controller$client$status()[["connections"]], 0L)
})

crew_test("controller task handles keep their results after pop() and collect()", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  popped <- controller$push(1L + 1L, name = "popped", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$name, "popped")
  expect_equal(popped$data$result[[1L]], 2L)
  expect_equal(popped$data$status, "success")
  handles <- controller$walk(x * 10L, iterate = list(x = 1:3), verbose = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_true(
    crew_test_until(
      function() {
        controller$collect()
        controller$empty()
      },
      seconds_timeout = 60
    )
  )
  expect_equal(
    vapply(handles, function(handle) handle$data$result[[1L]], integer(1L)),
    c(10L, 20L, 30L),
    ignore_attr = TRUE
  )
  expect_equal(nrow(handles[[2L]]$data), 1L)
})

crew_test("push() names unnamed tasks distinctly, starting with unnamed_task_", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 30)
  on.exit(controller$terminate())
  controller$start()
  names <- vapply(
    seq_len(1000L),
    function(index) controller$push(NULL, scale = FALSE)$name,
    character(1L)
  )
  expect_false(anyDuplicated(names) > 0L)
  expect_true(all(grepl("^unnamed_task_[0-9a-f]+$", names)))
})

# Promises on task handles settle from the later loop when the result
# arrives, with no polling: fulfilled for tasks a worker ran (errors in the
# task's own code included, as in crew 1.3.0), rejected with the row for
# cancelled tasks. pop() and collect() still return every result once.
crew_test("task promises fulfil and reject as their tasks end, and leave results to collect()", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  fulfilled <- list()
  rejected <- list()
  watch <- function(handle) {
    promises::then(
      promises::as.promise(handle),
      onFulfilled = function(row) fulfilled[[row$name]] <<- row,
      onRejected = function(condition) rejected[[condition$row$name]] <<- condition
    )
  }
  watch(controller$push(1L + 1L, name = "good", scale = FALSE))
  watch(controller$push(stop("boom"), name = "bad", scale = FALSE))
  watch(controller$push(Sys.sleep(60), name = "long", scale = FALSE))
  controller$launch(1L)
  expect_true(
    crew_test_until(function() {
      later::run_now(timeoutSecs = 0.1)
      length(fulfilled) == 2L
    }, seconds_timeout = 30)
  )
  expect_equal(fulfilled$good$result[[1L]], 2L)
  expect_equal(fulfilled$bad$status, "error")
  expect_length(rejected, 0L)
  controller$cancel(names = "long")
  expect_true(
    crew_test_until(function() {
      later::run_now(timeoutSecs = 0.1)
      length(rejected) == 1L
    }, seconds_timeout = 30)
  )
  expect_true(inherits(rejected$long, "crew_error"))
  expect_true(inherits(rejected$long, "crew"))
  expect_equal(rejected$long$row$code, 20L)
  out <- NULL
  expect_true(crew_test_until(function() {
    out <<- results_bind(list(out, controller$collect(scale = FALSE)))
    NROW(out) == 3L
  }))
  expect_setequal(out$name, c("good", "bad", "long"))
  # A promise made after its task resolved settles at once.
  handle <- controller$push(3L, name = "late", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  late <- NULL
  promises::then(promises::as.promise(handle), function(row) late <<- row)
  expect_true(crew_test_until(function() {
    later::run_now(timeoutSecs = 0.1)
    !is.null(late)
  }, seconds_timeout = 30))
  expect_equal(late$result[[1L]], 3L)
})

crew_test("a task promise still pending when its controller terminates is rejected", {
  crew_test_skip()
  controller <- crew_test_controller(workers = 1L)
  on.exit(controller$terminate())
  handle <- controller$push(Sys.sleep(60), name = "orphan", throttle = FALSE)
  outcome <- "pending"
  promises::then(
    promises::as.promise(handle),
    onFulfilled = function(row) outcome <<- "fulfilled",
    onRejected = function(condition) outcome <<- condition$row$code
  )
  controller$terminate()
  expect_true(crew_test_until(function() {
    later::run_now(timeoutSecs = 0.1)
    !identical(outcome, "pending")
  }, seconds_timeout = 60))
  expect_equal(outcome, 20L)
  expect_equal(handle$data$status, "cancel")
})
