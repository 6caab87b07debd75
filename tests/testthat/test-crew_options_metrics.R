# Also covers R/crew_metrics_read.R.

crew_test("crew_options_metrics() stores its fields", {
  options <- crew_options_metrics()
  expect_true(inherits(options, "crew_options_metrics"))
  expect_true(inherits(options, "crew_options"))
  expect_equal(names(options), c("path", "seconds_interval"))
  expect_null(options$path)
  expect_equal(options$seconds_interval, 5)
  options <- crew_options_metrics(path = "dir", seconds_interval = 0.5)
  expect_equal(options$path, "dir")
  expect_equal(options$seconds_interval, 0.5)
  expect_silent(crew_options_metrics_validate(options))
})

crew_test("crew_options_metrics() accepts the standard streams", {
  skip_on_os("windows")
  expect_silent(crew_options_metrics(path = "/dev/stdout"))
  expect_silent(crew_options_metrics(path = "/dev/stderr"))
})

crew_test("crew_options_metrics() validation", {
  expect_crew_error(crew_options_metrics(path = 123))
  expect_crew_error(crew_options_metrics(path = ""))
  expect_crew_error(crew_options_metrics(path = NA_character_))
  expect_crew_error(crew_options_metrics(seconds_interval = 0))
  expect_crew_error(crew_options_metrics(seconds_interval = -1))
  expect_crew_error(crew_options_metrics(seconds_interval = Inf))
  expect_crew_error(crew_options_metrics(seconds_interval = NA_real_))
  expect_crew_error(crew_options_metrics(seconds_interval = c(1, 2)))
  expect_crew_error(crew_options_metrics(seconds_interval = "5"))
  expect_crew_error(crew_options_metrics_validate(list(path = NULL)))
  expect_crew_error(crew_options_metrics_validate(crew_options_local()))
})

crew_test_metrics_columns <- c(
  "version", "pid", "name", "status", "time", "core", "cpu", "resident", "virtual", "phase", "file"
)

crew_test("workers log their resource use to one file each", {
  crew_test_skip()
  directory <- tempfile()
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  controller <- crew_controller_local(
    host = "127.0.0.1",
    workers = 2L,
    seconds_interval = 0.1,
    options_metrics = crew_options_metrics(path = directory, seconds_interval = 0.25)
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  controller$launch(n = 2L)
  # A busy task with an awkward name, on whichever worker takes it.
  controller$push(
    {
      start <- Sys.time()
      while (difftime(Sys.time(), start, units = "secs") < 2) NULL
      Sys.getpid()
    },
    name = "busy, \"task\"",
    scale = FALSE
  )
  expect_true(controller$wait(seconds_timeout = 60, scale = FALSE))
  busy_pid <- controller$pop(scale = FALSE)$result[[1L]]
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 2L, seconds_timeout = 60)
  )
  handles <- crew_test_all_handles(controller)
  pids <- vapply(handles, function(h) h$get_pid(), integer(1L))
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
  files <- list.files(directory, full.names = TRUE)
  expect_length(files, 2L)
  expect_true(all(grepl("^crew_log_[0-9a-f]{16}\\.log$", basename(files))))
  logs <- lapply(files, crew_metrics_read)
  for (log in logs) {
    expect_equal(colnames(log), crew_test_metrics_columns)
    expect_gte(nrow(log), 1L)
    expect_length(unique(log$pid), 1L)
    expect_true(all(log$name == "worker" & log$status == 0L))
    expect_true(all(log$version == as.character(utils::packageVersion("crew"))))
    expect_true(all(log$resident > 0))
    expect_true(all(log$virtual >= log$resident))
    expect_true(all(log$cpu <= log$core + 1e-9))
    expect_false(is.unsorted(log$time))
    # Times are Unix time, taken during this test.
    expect_true(all(abs(log$time - as.numeric(Sys.time())) < 600))
  }
  log_pids <- vapply(logs, function(log) log$pid[[1L]], integer(1L))
  expect_equal(sort(log_pids), sort(pids))
  busy <- logs[[which(log_pids == busy_pid)]]
  during <- busy[busy$phase != "__DEFAULT__", , drop = FALSE]
  expect_true(all(during$phase == "busy, \"task\""))
  # About 2 seconds of task at one sample every 0.25 seconds.
  expect_gte(nrow(during), 4L)
  expect_true(any(during$core > 50))
  expect_true(any(busy$phase == "__DEFAULT__"))
  idle <- logs[[which(log_pids != busy_pid)]]
  expect_true(all(idle$phase == "__DEFAULT__"))
  # Reading the directory gives both workers, and the plot draws them.
  both <- crew_metrics_read(directory)
  expect_equal(sort(unique(both$pid)), sort(pids))
  png <- tempfile(fileext = ".png")
  grDevices::png(png)
  crew_metrics_plot(both)
  grDevices::dev.off()
  expect_gt(file.size(png), 1000)
})

crew_test("workers log their resource use to their own output", {
  crew_test_skip()
  directory <- tempfile()
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    options_metrics = crew_options_metrics(path = "/dev/stdout", seconds_interval = 0.2),
    options_local = crew_options_local(log_directory = directory, log_join = FALSE)
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$push({print("task-output"); Sys.sleep(1); 1L}, name = "sleepy")
  expect_true(controller$wait(seconds_timeout = 60))
  expect_equal(controller$pop()$result[[1L]], 1L)
  handles <- crew_test_all_handles(controller)
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
  stdout <- list.files(directory, pattern = "-stdout\\.log$", full.names = TRUE)
  stderr <- list.files(directory, pattern = "-stderr\\.log$", full.names = TRUE)
  expect_length(stdout, 1L)
  out <- readLines(stdout, warn = FALSE)
  expect_true(any(grepl("task-output", out, fixed = TRUE)))
  # The samples share the stream with the task's output and are read back
  # from it.
  log <- crew_metrics_read(stdout)
  expect_gte(nrow(log), 3L)
  expect_true(any(log$phase %in% "sleepy"))
  expect_false(any(grepl("__AUTOMETRIC__", readLines(stderr, warn = FALSE), fixed = TRUE)))
})

crew_test("a worker that cannot write metrics still runs tasks and says why", {
  crew_test_skip()
  directory <- tempfile()
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  blocked <- tempfile()
  writeLines("a file, not a directory", blocked)
  on.exit(unlink(blocked), add = TRUE)
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    options_metrics = crew_options_metrics(path = file.path(blocked, "metrics")),
    options_local = crew_options_local(log_directory = directory, log_join = TRUE)
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$push(1L + 1L, name = "works")
  expect_true(controller$wait(seconds_timeout = 60))
  expect_equal(controller$pop()$result[[1L]], 2L)
  controller$terminate()
  log <- readLines(list.files(directory, full.names = TRUE), warn = FALSE)
  expect_true(any(grepl("cannot log metrics", log, fixed = TRUE)))
})

crew_test("crew_worker() checks options_metrics", {
  expect_crew_error(
    crew_worker(
      settings = list(url = "tcp://127.0.0.1:1", credential = "x"),
      controller = "a",
      options_metrics = list(path = "x")
    )
  )
})

crew_test("crew_metrics_read() skips other lines and checks its argument", {
  path <- tempfile()
  on.exit(unlink(path))
  writeLines(
    c(
      "a message",
      "__AUTOMETRIC__|2.0.0|12|worker|0|1700000001.5|80|40|1000|2000|t1|__AUTOMETRIC__",
      "prefix __AUTOMETRIC__|2.0.0|12|worker|0|1700000000.5|10|5|900|2000|__DEFAULT__|__AUTOMETRIC__",
      "__AUTOMETRIC__|broken|__AUTOMETRIC__"
    ),
    path
  )
  log <- crew_metrics_read(path)
  expect_equal(nrow(log), 2L)
  expect_equal(log$time, c(1700000000.5, 1700000001.5))
  expect_equal(log$phase, c("__DEFAULT__", "t1"))
  expect_equal(log$core, c(10, 80))
  expect_crew_error(crew_metrics_read(tempfile()))
  expect_crew_error(crew_metrics_read(1))
  expect_crew_error(crew_metrics_plot(data.frame(x = 1)))
  empty <- tempfile()
  dir.create(empty)
  on.exit(unlink(empty, recursive = TRUE), add = TRUE)
  expect_equal(nrow(crew_metrics_read(empty)), 0L)
})
