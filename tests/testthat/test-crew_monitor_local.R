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

crew_test("crew_monitor_local() has no dispatcher processes to list", {
  skip_on_cran()
  skip_on_os("windows")
  # Dispatch runs inside the client's R session, so even a process that
  # looks like a mirai dispatcher is none of crew's.
  monitor <- crew_monitor_local()
  process <- processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("-e", "x <- 'mirai::dispatcher'; Sys.sleep(60)")
  )
  on.exit(process$kill())
  expect_true(
    crew_test_until(
      ~ process$get_pid() %in% monitor_local_pids(NULL, "mirai::dispatcher"),
      seconds_timeout = 10
    )
  )
  expect_identical(monitor$dispatchers(), integer(0L))
  expect_identical(monitor$dispatchers(user = NULL), integer(0L))
  expect_crew_error(monitor$dispatchers(user = ""))
})

crew_test("crew_monitor_local() lists by user", {
  skip_on_cran()
  skip_on_os("windows")
  monitor <- crew_monitor_local()
  expect_identical(monitor$workers(user = "no-such-user-of-crew"), integer(0L))
  me <- ps::ps_username()
  skip_if_not(identical(me, "root"), "starting another user's process needs root")
  skip_if(!nzchar(Sys.which("runuser")), "needs runuser")
  marker <- paste0("crew::crew_worker-", crew_random_name())
  other <- processx::process$new(
    command = Sys.which("runuser"),
    args = c("-u", "nobody", "--", "sh", "-c", sprintf("while :; do sleep 1; done # %s", marker)),
    cleanup_tree = TRUE
  )
  on.exit(other$kill_tree(), add = TRUE)
  # runuser forks a copy of itself that changes to nobody and then runs
  # sh; only once sh runs does the process keep one owner and one command.
  started <- function(pid) {
    handle <- tryCatch(ps::ps_handle(pid), error = function(condition) NULL)
    !is.null(handle) &&
      identical(tryCatch(ps::ps_cmdline(handle)[1L], error = function(e) ""), "sh") &&
      identical(tryCatch(ps::ps_username(handle), error = function(e) ""), "nobody")
  }
  pid <- NULL
  expect_true(
    crew_test_until(
      function() {
        pid <<- monitor_local_pids(user = "nobody", pattern = marker)
        length(pid) == 1L && started(pid)
      },
      seconds_timeout = 10
    )
  )
  expect_true(pid %in% monitor$workers(user = "nobody"))
  expect_true(pid %in% monitor$workers(user = NULL))
  expect_false(pid %in% monitor$workers(user = me))
  expect_false(pid %in% monitor$workers())
})

crew_test("crew_monitor_local() terminate() reports what it ended", {
  skip_on_cran()
  skip_on_os("windows")
  monitor <- crew_monitor_local()
  polite <- processx::process$new("sleep", "60")
  # This one ignores SIGTERM, so only SIGKILL after the grace period ends it.
  stubborn <- processx::process$new(
    "sh",
    c("-c", "trap '' TERM; while :; do sleep 0.1; done")
  )
  on.exit(polite$kill(), add = TRUE)
  on.exit(stubborn$kill(), add = TRUE)
  # Let the shell install its trap first.
  Sys.sleep(0.3)
  # Above Linux's largest process ID, so no such process.
  missing <- 999999999
  start <- Sys.time()
  out <- monitor$terminate(pids = c(polite$get_pid(), stubborn$get_pid(), missing))
  seconds <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  expect_equal(out, list(TRUE, TRUE, FALSE))
  expect_false(polite$is_alive())
  expect_false(stubborn$is_alive())
  expect_equal(polite$get_exit_status(), -tools::SIGTERM)
  expect_equal(stubborn$get_exit_status(), -tools::SIGKILL)
  # The stubborn process got its grace period, and not much more.
  expect_gte(seconds, 1.5)
  expect_lt(seconds, 5)
  expect_equal(monitor$terminate(pids = integer(0L)), list())
  expect_crew_error(monitor$terminate(pids = NA_integer_))
  expect_crew_error(monitor$terminate(pids = -1))
  expect_crew_error(monitor$terminate(pids = 0))
  expect_crew_error(monitor$terminate(pids = 1.5))
  expect_crew_error(monitor$terminate(pids = "1"))
})
