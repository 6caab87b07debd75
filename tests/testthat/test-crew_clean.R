crew_test("crew_clean() is deprecated and validates its arguments", {
  expect_warning(
    try(crew_clean(dispatchers = NA), silent = TRUE),
    class = "crew_deprecate"
  )
  suppressWarnings({
    expect_crew_error(crew_clean(dispatchers = NA))
    expect_crew_error(crew_clean(workers = "yes"))
    expect_crew_error(crew_clean(verbose = NULL))
    expect_crew_error(crew_clean(user = ""))
    expect_crew_error(crew_clean(user = 1))
  })
})

crew_test("crew_clean() with nothing to clean", {
  skip_on_cran()
  suppressWarnings(
    expect_message(
      crew_clean(dispatchers = FALSE, workers = FALSE),
      class = "crew_message"
    )
  )
  expect_message(
    suppressWarnings(
      crew_clean(dispatchers = FALSE, workers = FALSE, verbose = FALSE)
    ),
    regexp = NA
  )
})

crew_test("crew_clean() terminates a local worker", {
  skip_on_cran()
  skip_on_os("windows")
  # crew_clean() ends every matching process of the user, so only run this
  # when no other worker-like process exists.
  pattern <- paste0("crew::crew_worker", "(")
  skip_if(length(monitor_local_pids(user = ps::ps_username(), pattern = pattern)) > 0L)
  process <- processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("-e", "x <- 'crew::crew_worker('; Sys.sleep(60)")
  )
  on.exit(process$kill())
  pid <- process$get_pid()
  crew_retry(
    fun = ~ pid %in% crew_monitor_local()$workers(),
    seconds_interval = 0.05,
    seconds_timeout = 10
  )
  suppressWarnings(
    expect_message(
      crew_clean(
        dispatchers = FALSE,
        workers = TRUE,
        seconds_interval = 0.05,
        seconds_timeout = 10
      ),
      regexp = as.character(pid)
    )
  )
  process$wait(timeout = 10000)
  expect_false(process$is_alive())
})
