crew_test("worker_exits_describe() reports a signal and an exit status", {
  crew_test_skip()
  killed <- processx::process$new("sleep", "60")
  exited <- processx::process$new("sh", c("-c", "exit 3"))
  worker_exits_watch(killed)
  worker_exits_watch(exited)
  on.exit(worker_exits_release(list(killed, exited)), add = TRUE)
  on.exit(killed$kill(), add = TRUE)
  tools::pskill(killed$get_pid(), tools::SIGKILL)
  exited$wait(timeout = 10000)
  expect_equal(
    worker_exits_describe(c(killed$get_pid(), exited$get_pid())),
    c(
      sprintf("worker %d was killed by signal 9", killed$get_pid()),
      sprintf("worker %d exited with status 3", exited$get_pid())
    )
  )
})

crew_test("worker_exits_describe() remembers workers the launcher let go", {
  crew_test_skip()
  process <- processx::process$new("sleep", "60")
  pid <- process$get_pid()
  worker_exits_watch(process)
  process$kill()
  process$wait(timeout = 10000)
  worker_exits_release(list(process))
  expect_null(worker_exits$handles[[as.character(pid)]])
  expect_equal(worker_exits_describe(pid), sprintf("worker %d was killed by signal 9", pid))
})

crew_test("worker_exits_describe() knows nothing of live or unknown processes", {
  crew_test_skip()
  process <- processx::process$new("sleep", "60")
  worker_exits_watch(process)
  on.exit(worker_exits_release(list(process)), add = TRUE)
  on.exit(process$kill(), add = TRUE)
  start <- Sys.time()
  expect_identical(worker_exits_describe(process$get_pid()), NA_character_)
  # A live worker gets a short wait in case it is exiting, and no more.
  expect_lt(as.numeric(difftime(Sys.time(), start, units = "secs")), 3)
  expect_identical(worker_exits_describe(c(NA_integer_, 999999999L)), c(NA_character_, NA_character_))
  # Releasing a live handle forgets it without recording a status.
  worker_exits_release(list(process))
  expect_null(worker_exits$handles[[as.character(process$get_pid())]])
  expect_identical(worker_exits_describe(process$get_pid()), NA_character_)
})

crew_test("a crash row says how a local worker was killed", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, name = "oom")
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  pid <- controller$pop()$result[[1L]]
  # What the out-of-memory killer does: SIGKILL in the middle of a task.
  handle <- controller$push(
    {
      tools::pskill(Sys.getpid(), tools::SIGKILL)
      Sys.sleep(30)
    },
    name = "killed",
    scale = FALSE
  )
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  expected <- sprintf("19 | Connection reset (worker %d was killed by signal 9)", pid)
  expect_equal(handle$data$error, expected)
  out <- controller$pop(scale = FALSE)
  expect_equal(out$status, "crash")
  expect_identical(out$code, 19L)
  expect_equal(out$error, expected)
  expect_equal(ncol(out), 12L)
  expect_equal(colnames(out), monad_names)
})
