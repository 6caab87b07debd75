crew_test("crew_launcher_local() options_local field", {
  launcher <- crew_launcher_local(
    options_local = crew_options_local(log_directory = "x_dir", log_join = FALSE)
  )
  expect_s3_class(launcher, "crew_class_launcher_local")
  expect_s3_class(launcher, "crew_class_launcher")
  expect_s3_class(launcher$options_local, "crew_options_local")
  expect_equal(launcher$options_local$log_directory, "x_dir")
  expect_false(launcher$options_local$log_join)
  expect_equal(launcher$seconds_idle, Inf)
  default <- crew_launcher_local()
  expect_null(default$options_local$log_directory)
  expect_true(default$options_local$log_join)
  expect_crew_error(crew_launcher_local(options_local = list(log_directory = 1)))
})

crew_test("crew_launcher_local() deprecated local_log_* arguments merge", {
  directory <- file.path(tempfile(), "logs")
  expect_warning(
    launcher <- crew_launcher_local(local_log_directory = directory),
    class = "crew_deprecate"
  )
  expect_equal(launcher$options_local$log_directory, directory)
  expect_warning(
    launcher <- crew_launcher_local(local_log_join = FALSE),
    class = "crew_deprecate"
  )
  expect_false(launcher$options_local$log_join)
  expect_warning(crew_launcher_local(seconds_exit = 1), class = "crew_deprecate")
})

crew_test("crew_launcher_local() private .log_prepare() creates the directory", {
  root <- tempfile()
  directory <- file.path(root, "a", "b")
  on.exit(unlink(root, recursive = TRUE))
  launcher <- crew_launcher_local(
    options_local = crew_options_local(log_directory = directory)
  )
  expect_false(dir.exists(directory))
  crew_private(launcher)$.log_prepare()
  expect_true(dir.exists(directory))
  # Idempotent.
  crew_private(launcher)$.log_prepare()
  expect_true(dir.exists(directory))
  # No directory: nothing to prepare.
  plain <- crew_launcher_local()
  expect_null(crew_private(plain)$.log_prepare())
})

crew_test("crew_launcher_local() log paths", {
  directory <- tempfile()
  joined <- crew_launcher_local(
    options_local = crew_options_local(log_directory = directory, log_join = TRUE)
  )
  expect_equal(
    crew_private(joined)$.log_stdout(name = "x"),
    path.expand(file.path(directory, "x.log"))
  )
  expect_equal(crew_private(joined)$.log_stderr(name = "x"), "2>&1")
  separate <- crew_launcher_local(
    options_local = crew_options_local(log_directory = directory, log_join = FALSE)
  )
  expect_equal(
    crew_private(separate)$.log_stdout(name = "x"),
    path.expand(file.path(directory, "x-stdout.log"))
  )
  expect_equal(
    crew_private(separate)$.log_stderr(name = "x"),
    path.expand(file.path(directory, "x-stderr.log"))
  )
  none <- crew_launcher_local()
  expect_null(crew_private(none)$.log_stdout(name = "x"))
  expect_null(crew_private(none)$.log_stderr(name = "x"))
})

crew_test("crew_launcher_local() runs a task on a processx worker that exits on terminate", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1
  )
  on.exit(controller$terminate())
  controller$start()
  controller$push(Sys.getpid(), throttle = FALSE, name = "pid")
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  handles <- crew_test_handles(controller)
  expect_length(handles, 1L)
  handle <- handles[[1L]]
  expect_s3_class(handle, "process")
  expect_equal(out$result[[1L]], handle$get_pid())
  expect_true(handle$is_alive())
  # The launches table recorded the launch.
  expect_gte(controller$launcher$launches$total[nrow(controller$launcher$launches)], 1L)
  # The worker command line is Rscript -e crew::crew_worker(...).
  cmdline <- paste(handle$get_cmdline(), collapse = " ")
  expect_match(cmdline, "crew::crew_worker(", fixed = TRUE)
  controller$terminate()
  expect_true(crew_test_all_dead(list(handle), seconds_timeout = 5))
})

crew_test("crew_launcher_local() workers exit when the client terminates without the launcher", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  handles <- crew_test_handles(controller)
  expect_length(handles, 1L)
  # Only the client closes: the worker must notice the lost connection.
  controller$client$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
})

crew_test("crew_launcher_local() tasks_max = 1: one task per worker", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    tasks_max = 1L
  )
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), throttle = FALSE, name = "first")
  expect_true(controller$wait(seconds_timeout = 30))
  first <- crew_test_pop(controller)
  expect_equal(first$status, "success")
  first_pid <- first$result[[1L]]
  handles <- crew_test_all_handles(controller)
  pids <- vapply(handles, function(x) x$get_pid(), integer(1L))
  expect_true(first_pid %in% pids)
  first_handle <- handles[[which(pids == first_pid)]]
  # The worker exits by itself after its only task.
  expect_true(crew_test_all_dead(list(first_handle), seconds_timeout = 10))
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 0L, seconds_timeout = 10)
  )
  # The next task gets a new worker.
  controller$push(Sys.getpid(), throttle = FALSE, name = "second")
  expect_true(controller$wait(seconds_timeout = 30))
  second <- crew_test_pop(controller)
  expect_equal(second$status, "success")
  expect_false(identical(second$result[[1L]], first_pid))
  expect_equal(controller$client$status()[["cumulative"]], 2L)
})

crew_test("crew_launcher_local() seconds_idle makes an idle worker exit", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    seconds_idle = 1
  )
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  handles <- crew_test_handles(controller)
  expect_length(handles, 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["cumulative"]] == 1L, seconds_timeout = 30)
  )
  start <- Sys.time()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
  elapsed <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  expect_gte(elapsed, 0.5)
  expect_equal(controller$client$status()[["connections"]], 0L)
})

crew_test("crew_launcher_local() seconds_idle counts from the last task", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    seconds_idle = 2
  )
  on.exit(controller$terminate())
  controller$push(Sys.sleep(3), throttle = FALSE, name = "long")
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  # A task longer than the idle time is not cut off by it.
  expect_equal(out$status, "success")
  handles <- crew_test_handles(controller)
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
})

crew_test("crew_launcher_local() seconds_wall makes a worker exit", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    seconds_wall = 1
  )
  on.exit(controller$terminate())
  controller$push(Sys.sleep(1.5), throttle = FALSE, name = "sleep")
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  # Soft wall time: the running task finishes.
  expect_equal(out$status, "success")
  handles <- crew_test_handles(controller)
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 0L, seconds_timeout = 5)
  )
})

crew_test("crew_launcher_local() seconds_wall ends an idle worker", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    seconds_wall = 1
  )
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  handles <- crew_test_handles(controller)
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
})

crew_test("crew_launcher_local() joined log file has the task's output", {
  crew_test_skip()
  directory <- tempfile()
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    options_local = crew_options_local(log_directory = directory, log_join = TRUE)
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$push(
    {
      print("this-print")
      message("this-message")
      warning("this-warning")
      stop("this-stop")
    },
    throttle = FALSE,
    name = "logged"
  )
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "error")
  handles <- crew_test_handles(controller)
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
  files <- list.files(directory, full.names = TRUE)
  expect_length(files, 1L)
  expect_match(basename(files), "^[0-9a-f]+\\.log$")
  lines <- readLines(files[[1L]], warn = FALSE)
  expect_true(any(grepl("this-print", lines, fixed = TRUE)))
  expect_true(any(grepl("this-message", lines, fixed = TRUE)))
  expect_true(any(grepl("Warning: this-warning", lines, fixed = TRUE)))
  expect_true(any(grepl("Error: this-stop", lines, fixed = TRUE)))
  expect_true(any(grepl("crew worker finished", lines, fixed = TRUE)))
})

crew_test("crew_launcher_local() separate log files split stdout and stderr", {
  crew_test_skip()
  directory <- tempfile()
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    options_local = crew_options_local(log_directory = directory, log_join = FALSE)
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$push(
    {
      print("this-print")
      warning("this-warning")
      stop("this-stop")
    },
    throttle = FALSE,
    name = "logged"
  )
  expect_true(controller$wait(seconds_timeout = 30))
  crew_test_pop(controller)
  handles <- crew_test_handles(controller)
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
  files <- sort(list.files(directory, full.names = TRUE))
  expect_length(files, 2L)
  stderr <- files[grepl("-stderr\\.log$", files)]
  stdout <- files[grepl("-stdout\\.log$", files)]
  expect_length(stderr, 1L)
  expect_length(stdout, 1L)
  out <- readLines(stdout, warn = FALSE)
  err <- readLines(stderr, warn = FALSE)
  expect_true(any(grepl("this-print", out, fixed = TRUE)))
  expect_false(any(grepl("this-print", err, fixed = TRUE)))
  expect_true(any(grepl("Warning: this-warning", err, fixed = TRUE)))
  expect_true(any(grepl("Error: this-stop", err, fixed = TRUE)))
})

crew_test("crew_launcher_local() terminate() stops workers that are still starting", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$launch(n = 2L)
  handles <- crew_test_handles(controller)
  expect_length(handles, 2L)
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 5))
})

crew_test("crew_launcher_local() a busy worker exits when its client process dies", {
  crew_test_skip()
  script <- paste(
    "library(crew)",
    "x <- crew_controller_local(host = \"127.0.0.1\", seconds_interval = 0.1)",
    "x$push(Sys.getpid(), throttle = FALSE, name = \"pid\")",
    "x$wait()",
    "repeat { r <- x$pop(); if (!is.null(r)) break }",
    "x$push(Sys.sleep(60), name = \"busy\", throttle = FALSE)",
    "while (x$client$status()[[\"executing\"]] < 1L) Sys.sleep(0.05)",
    "cat(\"PID\", r$result[[1]], \"\\n\")",
    "Sys.sleep(600)",
    sep = "; "
  )
  client <- crew_test_rscript(script, stdout = "|", stderr = "|")
  on.exit(client$kill(), add = TRUE)
  pid <- NULL
  expect_true(
    crew_test_until(
      function() {
        lines <- client$read_output_lines()
        hit <- grep("^PID ", lines, value = TRUE)
        if (length(hit)) pid <<- as.integer(strsplit(hit[[1L]], " ")[[1L]][[2L]])
        !is.null(pid)
      },
      seconds_timeout = 30
    )
  )
  worker <- ps::ps_handle(pid)
  on.exit(try(ps::ps_kill(worker), silent = TRUE), add = TRUE)
  expect_true(ps::ps_is_running(worker))
  client$kill()
  expect_true(crew_test_until(~ !ps::ps_is_running(worker), seconds_timeout = 15))
})

crew_test("crew_launcher_local() tasks_timers holds the idle timer until that many tasks ran", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    seconds_idle = 0.5,
    tasks_timers = 2L
  )
  on.exit(controller$terminate())
  controller$launch(n = 1L)
  handles <- crew_test_handles(controller)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  # Idle well past seconds_idle, but no task has run yet.
  Sys.sleep(2)
  expect_equal(controller$client$status()[["connections"]], 1L)
  controller$push(1L, name = "one", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  Sys.sleep(2)
  expect_equal(controller$client$status()[["connections"]], 1L)
  controller$push(2L, name = "two", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  # After the second task the idle timer runs and the worker leaves.
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
  expect_equal(controller$client$status()[["connections"]], 0L)
  expect_equal(nrow(controller$collect(scale = FALSE)), 2L)
})

crew_test("crew_launcher_local() r_arguments reach the worker's command line", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    r_arguments = c("--no-save", "--no-restore", "--no-init-file")
  )
  on.exit(controller$terminate())
  controller$push(commandArgs(), name = "args", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  args <- crew_test_pop(controller)$result[[1L]]
  expect_true("--no-init-file" %in% args)
  expect_true("--no-restore" %in% args)
})

# Each local worker's R session keeps its temporary files inside a
# directory of the client's own, removed once the worker's process is gone,
# so killed workers leave nothing in TMPDIR.
crew_test("killed local workers leave no temporary directory behind", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", workers = 20L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  controller$launch(n = 20L)
  expect_true(crew_test_until(~ controller$client$status()[["connections"]] == 20L, seconds_timeout = 120))
  own <- vapply(crew_private(controller$launcher)$.temporary, identity, character(1L))
  expect_length(own, 20L)
  sessions <- list.files(own, pattern = "^Rtmp", include.dirs = TRUE)
  expect_length(sessions, 20L)
  processes <- crew_private(controller$launcher)$.processes
  pids <- vapply(processes, function(process) process$get_pid(), integer(1L))
  tools::pskill(pids, tools::SIGKILL)
  expect_true(crew_test_until(~ !any(vapply(processes, function(p) p$is_alive(), logical(1L)))))
  controller$launch(n = 1L)
  expect_false(any(dir.exists(own)))
  expect_length(crew_private(controller$launcher)$.temporary, 1L)
  last <- crew_private(controller$launcher)$.temporary[[1L]]
  expect_true(dir.exists(last))
  controller$terminate()
  expect_false(dir.exists(last))
})
