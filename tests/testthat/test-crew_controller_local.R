crew_test("crew_controller_local() lifecycle", {
  crew_test_skip()
  controller <- crew_controller_local(
    name = "local_life",
    host = "127.0.0.1",
    seconds_interval = 0.1
  )
  on.exit(controller$terminate())
  expect_s3_class(controller, "crew_class_controller")
  expect_s3_class(controller$launcher, "crew_class_launcher_local")
  expect_equal(controller$launcher$name, "local_life")
  expect_equal(controller$launcher$seconds_idle, 300)
  expect_silent(controller$validate())
  expect_null(controller$summary())
  expect_false(controller$started())
  controller$start()
  expect_true(controller$started())
  expect_match(controller$client$url, "^tcp://127\\.0\\.0\\.1:[0-9]+$")
  expect_equal(controller$launcher$url, controller$client$url)
  expect_equal(controller$launcher$profile, controller$client$profile)
  summary <- controller$summary()
  expect_equal(
    colnames(summary),
    c("controller", "seconds", "tasks", "success", "error", "crash", "cancel", "warning")
  )
  expect_equal(summary$controller, "local_life")
  expect_equal(summary$tasks, 0L)
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  expect_equal(controller$summary()$success, 1L)
  handles <- crew_test_handles(controller)
  expect_length(handles, 1L)
  expect_equal(handles[[1L]]$get_pid(), out$result[[1L]])
  controller$terminate()
  expect_false(controller$started())
  expect_null(controller$client$url)
  expect_null(controller$launcher$url)
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
  expect_equal(controller$summary()$success, 1L)
})

crew_test("crew_controller_local() CREW_CONTROLLER on the worker", {
  crew_test_skip()
  previous <- Sys.getenv("CREW_CONTROLLER", unset = NA_character_)
  controller <- crew_controller_local(
    name = "env_controller",
    host = "127.0.0.1",
    seconds_interval = 0.1
  )
  on.exit(controller$terminate())
  controller$push(Sys.getenv("CREW_CONTROLLER"), name = "env", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$result[[1L]], "env_controller")
  expect_equal(out$controller, "env_controller")
  expect_equal(out$result[[1L]], controller$launcher$name)
  expect_false(identical(Sys.getenv("CREW_CONTROLLER"), out$result[[1L]]))
  expect_identical(Sys.getenv("CREW_CONTROLLER", unset = NA_character_), previous)
})

crew_test("crew_controller_local() data, globals, seed, algorithm", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  expect_false(exists("crew_test_global_value", envir = globalenv(), inherits = FALSE))
  controller$push(
    list(
      sum = x + crew_test_global_value + crew_test_global_fun(),
      draws = c(runif(2), sample.int(1000L, 3L)),
      kind = RNGkind()[1L]
    ),
    data = list(x = 1L),
    globals = list(
      crew_test_global_value = 10L,
      crew_test_global_fun = function() 100L
    ),
    seed = 0L,
    algorithm = "L'Ecuyer-CMRG",
    name = "rng",
    throttle = FALSE
  )
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  value <- out$result[[1L]]
  expect_equal(value$sum, 111L)
  expect_equal(value$kind, "L'Ecuyer-CMRG")
  expect_equal(out$seed, 0L)
  expect_equal(out$algorithm, "L'Ecuyer-CMRG")
  old_kind <- RNGkind()
  old_seed <- if (exists(".Random.seed", envir = globalenv())) {
    get(".Random.seed", envir = globalenv())
  }
  set.seed(0L, kind = "L'Ecuyer-CMRG")
  expected <- c(runif(2), sample.int(1000L, 3L))
  RNGkind(kind = old_kind[1L], normal.kind = old_kind[2L], sample.kind = old_kind[3L])
  if (!is.null(old_seed)) {
    assign(".Random.seed", old_seed, envir = globalenv())
  }
  expect_equal(value$draws, expected)
  # Globals do not leak into this session.
  expect_false(exists("crew_test_global_value", envir = globalenv(), inherits = FALSE))
  expect_false(exists("crew_test_global_fun", envir = globalenv(), inherits = FALSE))
  # reset_globals (default TRUE) removes them from the worker after the task.
  controller$push(
    exists("crew_test_global_value", envir = globalenv()),
    name = "leak",
    throttle = FALSE
  )
  expect_true(controller$wait(seconds_timeout = 30))
  expect_false(crew_test_pop(controller)$result[[1L]])
  # A different seed gives different draws; the same seed the same draws.
  controller$push(runif(1), seed = 1L, name = "s1", throttle = FALSE)
  controller$push(runif(1), seed = 1L, name = "s1b", throttle = FALSE)
  controller$push(runif(1), seed = 2L, name = "s2", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  rows <- NULL
  expect_true(crew_test_until(function() {
    rows <<- results_bind(list(rows, controller$collect()))
    NROW(rows) == 3L
  }))
  draws <- setNames(unlist(rows$result), rows$name)
  expect_equal(draws[["s1"]], draws[["s1b"]])
  expect_false(identical(draws[["s1"]], draws[["s2"]]))
})

crew_test("crew_controller_local() packages and a missing package", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$push("package:tools" %in% search(), packages = "tools", name = "ok", throttle = FALSE)
  controller$push(1L, packages = "crewnotapackage123", name = "missing", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  rows <- NULL
  expect_true(crew_test_until(function() {
    rows <<- results_bind(list(rows, controller$collect()))
    NROW(rows) == 2L
  }))
  ok <- rows[rows$name == "ok", ]
  missing <- rows[rows$name == "missing", ]
  expect_true(ok$result[[1L]])
  expect_equal(missing$status, "error")
  expect_identical(missing$code, -1L)
  expect_match(missing$error, "crewnotapackage123", fixed = TRUE)
})

crew_test("crew_controller_local() substitute = FALSE, data readable before pop", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  command <- quote(sqrt(4L) + sqrt(9L))
  controller$push(command = command, substitute = FALSE, name = "five", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_length(controller$tasks, 1L)
  data <- controller$tasks[[1L]]$data
  expect_equal(data$result[[1L]], 5)
  expect_equal(data$status, "success")
  expect_equal(controller$size(), 1L)
  out <- crew_test_pop(controller)
  expect_equal(out$result[[1L]], 5)
  expect_equal(out$command, "sqrt(4L) + sqrt(9L)")
})

crew_test("crew_controller_local() exit status and code", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$push("ok", name = "success", throttle = FALSE)
  controller$push(stop("no"), name = "error", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  controller$push(Sys.sleep(60), name = "cancel", scale = FALSE)
  controller$cancel(names = "cancel")
  expect_true(controller$wait(seconds_timeout = 30))
  rows <- NULL
  expect_true(crew_test_until(function() {
    rows <<- results_bind(list(rows, controller$collect()))
    NROW(rows) == 3L
  }))
  codes <- setNames(rows$code, rows$name)
  statuses <- setNames(rows$status, rows$name)
  expect_identical(codes[["success"]], 0L)
  expect_identical(codes[["error"]], -1L)
  expect_identical(codes[["cancel"]], 20L)
  expect_equal(statuses[["success"]], "success")
  expect_equal(statuses[["error"]], "error")
  expect_equal(statuses[["cancel"]], "cancel")
})

crew_test("crew_controller_local() launch(n = 1) starts a live worker", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  expect_null(controller$launch(n = 1L))
  expect_true(controller$started())
  handles <- crew_test_handles(controller)
  expect_length(handles, 1L)
  expect_true(handles[[1L]]$is_alive())
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  expect_equal(controller$launcher$launches$count[[1L]], 1L)
  expect_crew_error(controller$launch(n = -1L))
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
})

crew_test("crew_controller_local() autoscaling respects workers", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    workers = 2L
  )
  on.exit(controller$terminate())
  controller$walk(
    Sys.sleep(0.5),
    iterate = list(x = seq_len(6L)),
    throttle = FALSE,
    verbose = FALSE
  )
  expect_true(controller$wait(seconds_timeout = 30))
  expect_lte(controller$client$status()[["cumulative"]], 2L)
  expect_lte(length(crew_test_all_handles(controller)), 2L)
})

crew_test("crew_controller_local() custom profile and port", {
  crew_test_skip()
  port <- crew_test_port()
  profile <- paste0("custom_profile_", crew_random_name(4L))
  controller <- crew_controller_local(
    host = "127.0.0.1",
    port = port,
    profile = profile,
    seconds_interval = 0.1
  )
  on.exit(controller$terminate())
  expect_equal(controller$profile, profile)
  expect_equal(controller$client$profile, profile)
  controller$start()
  expect_equal(controller$client$url, paste0("tcp://127.0.0.1:", port))
  expect_equal(controller$launcher$profile, profile)
  controller$push(1L + 1L, name = "sum", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$result[[1L]], 2L)
  # A second controller with the same profile cannot start alongside it.
  other <- crew_controller_local(host = "127.0.0.1", profile = profile)
  on.exit(other$terminate(), add = TRUE)
  expect_crew_error(other$start())
})

crew_test("crew_controller_local() port as a string", {
  controller <- crew_controller_local(host = "127.0.0.1", port = "57001")
  expect_identical(controller$client$port, 57001L)
})

crew_test("crew_controller_local() deprecated arguments", {
  expect_warning(
    crew_controller_local(host = "127.0.0.1", seconds_exit = 1),
    class = "crew_deprecate"
  )
  directory <- tempfile()
  caught <- list()
  controller <- withCallingHandlers(
    crew_controller_local(host = "127.0.0.1", local_log_directory = directory),
    warning = function(condition) {
      caught[[length(caught) + 1L]] <<- condition
      invokeRestart("muffleWarning")
    }
  )
  expect_gte(length(caught), 1L)
  expect_true(all(vapply(caught, inherits, logical(1L), what = "crew_deprecate")))
  expect_equal(controller$launcher$options_local$log_directory, directory)
  expect_message(
    crew_controller_local(host = "127.0.0.1", crashes_error = 5L),
    class = "crew_deprecate"
  )
})

crew_test("crew_controller_local() never lets a task wait behind a long one", {
  skip_on_cran()
  controller <- crew_controller_local(workers = 2L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  controller$launch(n = 2L)
  crew_retry(
    ~ controller$client$status()[["connections"]] == 2L,
    seconds_interval = 0.05,
    seconds_timeout = 60
  )
  # With more tasks queued than idle workers, the worker that takes the
  # long task also holds the next one; the other worker must still get it
  # once it runs out of work, well before the long task ends.
  controller$push(Sys.sleep(6), name = "long", scale = FALSE)
  for (index in seq_len(20L)) {
    controller$push(Sys.getpid(), name = paste0("short", index), scale = FALSE)
  }
  start <- Sys.time()
  crew_retry(
    ~ controller$client$status()[["completed"]] >= 20L,
    seconds_interval = 0.05,
    seconds_timeout = 30
  )
  expect_lt(as.numeric(difftime(Sys.time(), start, units = "secs")), 5)
  status <- controller$client$status()
  expect_equal(status[["executing"]], 1L)
  expect_equal(status[["awaiting"]], 0L)
  results <- controller$collect(scale = FALSE)
  expect_equal(sort(results$name), sort(paste0("short", seq_len(20L))))
  expect_true(all(results$status == "success"))
  controller$wait(scale = FALSE, seconds_timeout = 30)
  expect_equal(controller$pop(scale = FALSE)$name, "long")
})

crew_test("crew_controller_local() counts a task held by a worker as awaiting", {
  skip_on_cran()
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  controller$launch(n = 1L)
  crew_retry(
    ~ controller$client$status()[["connections"]] == 1L,
    seconds_interval = 0.05,
    seconds_timeout = 60
  )
  controller$push(Sys.sleep(2), name = "running", scale = FALSE)
  controller$push(TRUE, name = "held", scale = FALSE)
  controller$push(TRUE, name = "queued", scale = FALSE)
  crew_retry(
    ~ controller$client$status()[["executing"]] == 1L,
    seconds_interval = 0.05,
    seconds_timeout = 30
  )
  status <- controller$client$status()
  expect_equal(unname(status[c("awaiting", "executing")]), c(2L, 1L))
  expect_equal(controller$unresolved(), 3L)
  # A cancelled held task is given back by the worker and resolves once.
  controller$cancel(names = "held")
  controller$wait(scale = FALSE, seconds_timeout = 30)
  results <- controller$collect(scale = FALSE)
  expect_equal(sort(results$name), c("held", "queued", "running"))
  expect_equal(results$status[results$name == "held"], "cancel")
  expect_true(all(results$status[results$name != "held"] == "success"))
})
