crew_test("crew_terminate_process() terminates a process", {
  skip_on_cran()
  skip_on_os("windows")
  process <- processx::process$new("sleep", "600")
  on.exit(process$kill())
  expect_true(process$is_alive())
  out <- crew_terminate_process(pid = process$get_pid())
  expect_true(out)
  process$wait(timeout = 5000)
  expect_false(process$is_alive())
})

crew_test("crew_terminate_process() returns invisibly", {
  skip_on_cran()
  skip_on_os("windows")
  process <- processx::process$new("sleep", "600")
  on.exit(process$kill())
  expect_invisible(crew_terminate_process(pid = process$get_pid()))
})

crew_test("crew_terminate_process() validates pid", {
  expect_crew_error(crew_terminate_process(pid = -1))
  expect_crew_error(crew_terminate_process(pid = NA_real_))
  expect_crew_error(crew_terminate_process(pid = Inf))
  expect_crew_error(crew_terminate_process(pid = "123"))
  expect_crew_error(crew_terminate_process(pid = c(1, 2)))
  expect_crew_error(crew_terminate_process(pid = NULL))
})

crew_test("crew_terminate_process() and the monitor refuse the session's own process", {
  expect_crew_error(crew_terminate_process(pid = Sys.getpid()))
  expect_crew_error(crew_terminate_process(pid = 0))
  monitor <- crew_monitor_local()
  expect_crew_error(monitor$terminate(pids = Sys.getpid()))
  expect_crew_error(monitor$terminate(pids = c(Sys.getpid() + 1e6, Sys.getpid())))
})
