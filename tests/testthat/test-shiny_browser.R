# Covers R/task_handle.R (handles as promises) and R/controller_submit.R
# through the Shiny apps in inst/shiny.
#
# The two Shiny apps shipped in inst/shiny, each in its own R process on a
# loopback port, clicked by headless Chromium: the totals must reach 1,000
# and the clock must keep ticking while the tasks run.

shiny_browser_check <- function(app_name) {
  crew_test_skip()
  missing <- browser_tools_missing()
  if (length(missing)) {
    testthat::skip(paste("needs", paste(missing, collapse = ", ")))
  }
  app <- shiny_app_start(system.file("shiny", app_name, package = "crew", mustWork = TRUE))
  on.exit(app$stop(), add = TRUE)
  browser <- browser_start()
  on.exit(browser$close(), add = TRUE, after = FALSE)
  browser$open(app$page)
  browser_wait_for(function() nzchar(browser$text("#totals")), what = "the app's page")
  count <- function(text, what) {
    as.integer(sub(sprintf(".*%s ([0-9]+).*", what), "\\1", text))
  }
  testthat::expect_equal(count(browser$text("#totals"), "done"), 0L)
  browser$click("#flip")
  clocks <- character(0)
  totals <- ""
  deadline <- Sys.time() + 120
  repeat {
    totals <- browser$text("#totals")
    if (identical(count(totals, "done"), 1000L) || Sys.time() > deadline) {
      break
    }
    clocks <- c(clocks, browser$text("#clock"))
    Sys.sleep(0.25)
  }
  directory <- testthat::test_path("_screenshots")
  dir.create(directory, showWarnings = FALSE)
  browser$screenshot(file.path(directory, sprintf("shiny-%s.png", app_name)))
  testthat::expect_equal(count(totals, "done"), 1000L, info = totals)
  testthat::expect_equal(count(totals, "heads") + count(totals, "tails"), 1000L)
  # 1,000 flips of 50 ms on 4 workers take at least 12.5 s, sampled every
  # quarter second: a clock that stalled would show few distinct times.
  testthat::expect_gt(length(clocks), 20L)
  testthat::expect_gt(length(unique(clocks)), 0.8 * length(clocks))
}

crew_test("a Shiny app that collects on a timer stays responsive in a browser", {
  shiny_browser_check("timer")
})

crew_test("a Shiny app that counts results through promises stays responsive", {
  shiny_browser_check("promises")
})
