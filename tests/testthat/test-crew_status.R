# Covers R/crew_status.R and the dispatcher's roster, with real local
# workers: a long task, a worker holding 500 MB, one killed with SIGKILL
# and one frozen with SIGSTOP.

status_wait_for <- function(controller, ready, seconds = 30) {
  deadline <- Sys.time() + seconds
  repeat {
    # A pipeline's own calls scale the controller, which also tells the
    # dispatcher how its lost local workers ended.
    controller$scale()
    status <- crew_status(controller)
    if (isTRUE(ready(status)) || Sys.time() > deadline) {
      return(status)
    }
    Sys.sleep(0.1)
  }
}

crew_test("crew_status() shows what each worker runs, its memory and how it was lost", {
  crew_test_skip()
  controller <- crew_controller_local(name = "watched", workers = 2, seconds_idle = 120)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  empty <- crew_status(controller)
  expect_s3_class(empty, "tbl_df")
  expect_equal(nrow(empty), 0L)
  nap_file <- tempfile()
  big_file <- tempfile()
  crew_test_pid_task(controller, "long_nap", nap_file)
  crew_test_pid_task(
    controller,
    "big",
    big_file,
    quote({
      x <- numeric(500 * 2^20 / 8)
      x[] <- 1
    })
  )
  nap_pid <- crew_test_pid(nap_file)
  big_pid <- crew_test_pid(big_file)
  status <- status_wait_for(controller, function(status) {
    big <- status[status$pid %in% big_pid, ]
    nrow(big) == 1L && isTRUE(big$resident_mb >= 500)
  })
  expect_equal(
    names(status),
    c(
      "controller", "worker", "host", "pid", "state", "seconds_launched",
      "task", "seconds_task", "tasks_done", "cpu_percent", "resident_mb",
      "peak_resident_mb", "seconds_heartbeat", "ended", "exit_status", "signal"
    )
  )
  expect_equal(nrow(status), 2L)
  expect_equal(status$controller, c("watched", "watched"))
  expect_equal(status$host, rep(unname(Sys.info()[["nodename"]]), 2L))
  nap <- status[status$pid == nap_pid, ]
  big <- status[status$pid == big_pid, ]
  expect_equal(nap$state, "running")
  expect_equal(nap$task, "long_nap")
  expect_equal(big$task, "big")
  expect_gte(big$resident_mb, 500)
  expect_gte(big$peak_resident_mb, big$resident_mb)
  expect_lt(nap$resident_mb, 500)
  expect_lt(nap$seconds_heartbeat, 5)
  first <- nap$seconds_task
  Sys.sleep(1.5)
  later <- crew_status(controller)
  expect_gt(later$seconds_task[later$pid == nap_pid], first + 1)
  expect_gte(later$seconds_launched[later$pid == nap_pid], later$seconds_task[later$pid == nap_pid])
  output <- utils::capture.output(print(later))
  expect_match(output[[1L]], "crew status of watched: 2 workers \\(2 running\\)")
  expect_true(any(grepl("long_nap", output)))
  tools::pskill(nap_pid, tools::SIGKILL)
  status <- status_wait_for(controller, function(status) {
    isTRUE(status$signal[status$pid == nap_pid] == 9L)
  })
  nap <- status[status$pid == nap_pid, ]
  expect_equal(nap$state, "lost")
  expect_equal(nap$ended, "connection lost")
  expect_equal(nap$signal, 9L)
  expect_true(is.na(nap$exit_status))
  expect_equal(nap$task, "long_nap")
  expect_true(any(grepl("signal 9", utils::capture.output(print(status)))))
  controller$terminate()
  after <- crew_status(controller)
  expect_equal(after$state[after$pid == big_pid], "exited")
  expect_equal(after$ended[after$pid == big_pid], "the controller terminated")
  expect_equal(after$state[after$pid == nap_pid], "lost")
})

crew_test("crew_status() shows a frozen worker's heartbeat age grow until it is lost", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1, seconds_idle = 120)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  file <- tempfile()
  crew_test_pid_task(controller, "frozen", file)
  pid <- crew_test_pid(file)
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE, after = FALSE)
  status_wait_for(controller, function(status) isTRUE(status$state == "running"))
  tools::pskill(pid, tools::SIGSTOP)
  ages <- numeric(0L)
  status <- status_wait_for(
    controller,
    function(status) {
      ages <<- c(ages, status$seconds_heartbeat[status$pid == pid])
      isTRUE(status$state[status$pid == pid] == "lost")
    },
    seconds = 40
  )
  expect_equal(status$state, "lost")
  expect_match(status$ended, "^missed heartbeats for [0-9]+ s$")
  expect_equal(status$task, "frozen")
  # Ages seen while it was frozen and still connected grew past several
  # heartbeat intervals.
  expect_gt(max(ages), 5)
  expect_true(all(diff(ages[seq_len(which.max(ages))]) >= -0.5))
})

crew_test("crew_status() shows launching workers, idle ones and groups", {
  crew_test_skip()
  a <- crew_controller_local(name = "a", workers = 1, seconds_idle = 120)
  b <- crew_controller_local(name = "b", workers = 1, seconds_idle = 120)
  group <- crew_controller_group(a, b)
  on.exit(group$terminate(), add = TRUE)
  group$start()
  a$launch(n = 1L)
  launching <- crew_status(group)
  expect_equal(launching$controller, "a")
  expect_true(launching$state %in% c("launching", "idle"))
  group$push(TRUE, name = "x", controller = "b")
  group$wait(mode = "all", seconds_timeout = 60)
  status <- status_wait_for(group, function(status) {
    nrow(status) == 2L && all(status$state == "idle") && sum(status$tasks_done) == 1L
  })
  expect_equal(sort(status$controller), c("a", "b"))
  expect_equal(status$state, c("idle", "idle"))
  expect_equal(status$tasks_done[status$controller == "b"], 1L)
  expect_true(all(is.na(status$task)))
  expect_match(utils::capture.output(print(status))[[1L]], "2 workers \\(2 idle\\)")
})

crew_test("crew_status() of a sequential or stopped controller has no rows", {
  crew_test_skip()
  expect_equal(nrow(crew_status(crew_controller_sequential())), 0L)
  expect_equal(nrow(crew_status(crew_controller_local())), 0L)
  path <- tempfile(fileext = ".rds")
  saveRDS(crew_controller_local(), path)
  expect_equal(nrow(crew_status(readRDS(path))), 0L)
  expect_match(utils::capture.output(print(crew_status(crew_controller_local()))), "0 workers")
})

crew_test("crew_status() needs a controller", {
  for (value in list(NULL, 1, "local", list(), new.env())) {
    expect_error(crew_status(value), class = "crew_error_invalid_argument")
  }
  expect_error(crew_status(1), "controller must be a controller or a controller group")
})
