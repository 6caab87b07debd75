# Covers R/controller_state.R (cancellation, crash accounting, backups)
# and R/controller_results.R (crashes_max errors).
#
# How a controller recovers from tasks that hang, run over time or kill
# their workers, with real worker processes.

crew_test_recovery_controller <- function(...) {
  crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, ...)
}

crew_test_connected <- function(controller, n = 1L) {
  crew_test_until(
    ~ controller$client$status()[["connections"]] == n,
    seconds_timeout = 30
  )
}

crew_test("recovery: cancelling a running Sys.sleep(30) returns fast, same worker goes on", {
  crew_test_skip()
  controller <- crew_test_recovery_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- crew_test_pop(controller)$result[[1L]]
  controller$push(Sys.sleep(30), name = "sleep", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 1L, seconds_timeout = 10)
  )
  start <- Sys.time()
  controller$cancel(names = "sleep")
  expect_true(controller$wait(seconds_timeout = 10, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  elapsed <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  expect_lt(elapsed, 2)
  expect_equal(out$name, "sleep")
  expect_equal(out$status, "cancel")
  expect_identical(out$code, 20L)
  expect_match(out$error, "Operation canceled")
  expect_equal(controller$summary()$cancel, 1L)
  controller$push(Sys.getpid(), name = "after", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 10, scale = FALSE))
  after <- crew_test_pop(controller, scale = FALSE)
  expect_equal(after$status, "success")
  expect_equal(after$result[[1L]], pid)
  expect_equal(controller$client$status()[["cumulative"]], 1L)
})

crew_test("recovery: cancel() of a queued task means it never runs", {
  crew_test_skip()
  directory <- tempfile()
  dir.create(directory)
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  controller <- crew_test_recovery_controller(workers = 1L)
  on.exit(controller$terminate(), add = TRUE)
  controller$launch(n = 1L)
  expect_true(crew_test_connected(controller))
  controller$push(Sys.sleep(1), name = "first", scale = FALSE)
  controller$push(
    file.create(file.path(directory, "ran")),
    data = list(directory = directory),
    name = "queued",
    scale = FALSE
  )
  controller$cancel(names = "queued")
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  out <- controller$collect(scale = FALSE)
  expect_setequal(out$name, c("first", "queued"))
  expect_equal(out$status[out$name == "queued"], "cancel")
  expect_equal(out$status[out$name == "first"], "success")
  expect_false(file.exists(file.path(directory, "ran")))
})

crew_test("recovery: a timed-out task reads as such and its worker stays usable", {
  crew_test_skip()
  controller <- crew_test_recovery_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- crew_test_pop(controller)$result[[1L]]
  controller$push(Sys.sleep(30), name = "slow", seconds_timeout = 0.5, scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 10, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  expect_equal(out$status, "error")
  expect_false(out$code %in% c(0L, -1L, 19L, 20L))
  expect_match(out$error, "timed out", ignore.case = TRUE)
  controller$push(Sys.getpid(), name = "after", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 10, scale = FALSE))
  expect_equal(crew_test_pop(controller, scale = FALSE)$result[[1L]], pid)
})

# The loop a pipeline runs: push a task again under its name after each
# crash until the controller gives up.
crew_test_retry_crashes <- function(controller, name) {
  raised <- NULL
  rows <- list()
  repeat {
    controller$push(tools::pskill(Sys.getpid(), 9L), name = name, throttle = FALSE)
    expect_true(controller$wait(seconds_timeout = 60))
    row <- tryCatch(crew_test_pop(controller), crew_error = function(condition) condition)
    if (inherits(row, "crew_error")) {
      raised <- row
      rows[[length(rows) + 1L]] <- crew_test_pop(controller)
      break
    }
    rows[[length(rows) + 1L]] <- row
  }
  list(raised = raised, rows = rows)
}

crew_test("recovery: a task that kills its worker is retried crashes_max times, then raises", {
  crew_test_skip()
  controller <- crew_test_recovery_controller(
    workers = 1L,
    crashes_max = 2L,
    name = "fragile"
  )
  on.exit(controller$terminate())
  out <- crew_test_retry_crashes(controller, name = "suicide")
  expect_length(out$rows, 3L)
  expect_s3_class(out$raised, "crew_error")
  expect_match(conditionMessage(out$raised), "suicide")
  expect_match(conditionMessage(out$raised), "crashes_max")
  statuses <- vapply(out$rows, function(row) row$status, character(1L))
  expect_equal(statuses, rep("crash", 3L))
  last <- out$rows[[3L]]
  expect_equal(last$name, "suicide")
  expect_identical(last$code, 19L)
  expect_equal(last$controller, "fragile")
  expect_equal(controller$crashes(name = "suicide"), 3L)
  # Two crashes collected by pop() plus one crashes_max violation; the held
  # row returned afterwards is the same crash, not a new one.
  expect_equal(controller$summary()$crash, 3L)
  expect_equal(controller$size(), 0L)
  # A healthy task afterwards runs on a fresh worker.
  controller$push(Sys.getpid(), name = "healthy", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  expect_equal(crew_test_pop(controller)$status, "success")
})

crew_test("recovery: after crashes_max crashes a backup controller takes the task", {
  crew_test_skip()
  backup <- crew_test_recovery_controller(workers = 1L, name = "backup")
  controller <- crew_test_recovery_controller(
    workers = 1L,
    crashes_max = 1L,
    backup = backup,
    name = "primary"
  )
  on.exit({
    controller$terminate()
    backup$terminate()
  })
  # The task crashes only on the primary's workers.
  command <- quote(
    if (identical(Sys.getenv("CREW_CONTROLLER"), "primary")) {
      tools::pskill(Sys.getpid(), 9L)
    } else {
      Sys.getenv("CREW_CONTROLLER")
    }
  )
  controller$push(command, substitute = FALSE, name = "task", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  first <- crew_test_pop(controller)
  expect_equal(first$status, "crash")
  expect_equal(controller$crashes(name = "task"), 1L)
  handle <- controller$push(command, substitute = FALSE, name = "task", throttle = FALSE)
  expect_equal(controller$size(), 0L)
  expect_equal(backup$size(), 1L)
  expect_true(backup$wait(seconds_timeout = 60))
  second <- crew_test_pop(backup)
  expect_equal(second$name, "task")
  expect_equal(second$status, "success")
  expect_equal(second$result[[1L]], "backup")
  expect_equal(second$controller, "backup")
  expect_equal(handle$data$result[[1L]], "backup")
  # The primary keeps its count, so the name keeps going to the backup.
  expect_equal(controller$crashes(name = "task"), 1L)
  expect_equal(backup$crashes(name = "task"), 0L)
})

crew_test("recovery: a map() of 200 tasks where every fifth fails, under each error mode", {
  crew_test_skip()
  controller <- crew_test_recovery_controller(workers = 2L)
  on.exit(controller$terminate())
  command <- quote(if (x %% 5L == 0L) stop(paste("task", x, "failed")) else x)
  iterate <- list(x = seq_len(200L))
  failing <- seq_len(200L) %% 5L == 0L
  expect_error(
    controller$map(command, iterate = iterate, substitute = FALSE, verbose = FALSE),
    class = "crew_error",
    regexp = "40 tasks were not successful"
  )
  stored <- controller$error
  expect_equal(nrow(stored), 200L)
  expect_equal(nrow(stored[stored$status == "error", ]), 40L)
  expect_equal(stored$status[failing], rep("error", 40L))
  expect_equal(stored$status[!failing], rep("success", 160L))
  expect_equal(stored$error[failing][1L], "task 5 failed")
  expect_equal(unlist(stored$result[!failing]), seq_len(200L)[!failing])
  expect_warning(
    warned <- controller$map(
      command,
      iterate = iterate,
      substitute = FALSE,
      error = "warn",
      verbose = FALSE
    ),
    class = "crew_warning"
  )
  expect_equal(sum(warned$status == "error"), 40L)
  expect_silent(
    silent <- controller$map(
      command,
      iterate = iterate,
      substitute = FALSE,
      error = "silent",
      verbose = FALSE
    )
  )
  expect_equal(sum(silent$status == "error"), 40L)
  expect_equal(controller$summary()$error, 120L)
  expect_equal(controller$summary()$success, 480L)
})
