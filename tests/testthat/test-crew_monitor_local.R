crew_test("crew_monitor_local() object", {
  monitor <- crew_monitor_local()
  expect_true(inherits(monitor, "crew_class_monitor_local"))
  expect_true(crew_class_monitor_local$portable)
  expect_false(crew_class_monitor_local$cloneable)
  expect_equal(
    sort(setdiff(names(monitor), ".__enclos_env__")),
    c("daemons", "dispatchers", "terminate", "workers")
  )
})

crew_test("crew_monitor_local() validates the user", {
  monitor <- crew_monitor_local()
  expect_crew_error(monitor$workers(user = ""))
  expect_crew_error(monitor$workers(user = NA_character_))
  expect_crew_error(monitor$dispatchers(user = 1))
  expect_crew_error(monitor$daemons(user = c("a", "b")))
})

crew_test("crew_monitor_local() listings are integer vectors", {
  skip_on_cran()
  monitor <- crew_monitor_local()
  for (pids in list(monitor$dispatchers(), monitor$daemons(), monitor$workers())) {
    expect_true(is.integer(pids))
    expect_false(is.unsorted(pids))
  }
  expect_true(is.integer(monitor$workers(user = NULL)))
  expect_equal(monitor$dispatchers(), integer(0))
})

crew_test("crew_monitor_local() detects and terminates workers", {
  skip_on_cran()
  skip_on_os("windows")
  monitor <- crew_monitor_local()
  process <- processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("-e", "x <- 'crew::crew_worker'; Sys.sleep(60)")
  )
  on.exit(process$kill())
  pid <- process$get_pid()
  crew_retry(
    fun = ~ pid %in% monitor$workers(),
    seconds_interval = 0.05,
    seconds_timeout = 10
  )
  expect_true(pid %in% monitor$workers())
  expect_true(pid %in% monitor$workers(user = NULL))
  expect_false(pid %in% monitor$daemons())
  expect_false(pid %in% monitor$dispatchers())
  out <- monitor$terminate(pids = pid)
  expect_true(is.list(out))
  expect_equal(length(out), 1L)
  process$wait(timeout = 10000)
  expect_false(process$is_alive())
  expect_false(pid %in% monitor$workers())
})

crew_test("crew_monitor_local() detects plain daemons", {
  skip_on_cran()
  skip_on_os("windows")
  monitor <- crew_monitor_local()
  process <- processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("-e", "x <- 'mirai::daemon'; Sys.sleep(60)")
  )
  on.exit(process$kill())
  pid <- process$get_pid()
  crew_retry(
    fun = ~ pid %in% monitor$daemons(),
    seconds_interval = 0.05,
    seconds_timeout = 10
  )
  expect_true(pid %in% monitor$daemons())
  expect_false(pid %in% monitor$workers())
  monitor$terminate(pids = pid)
  process$wait(timeout = 10000)
  expect_false(process$is_alive())
})
