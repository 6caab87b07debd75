# The progress bars of walk() and map() with verbose = TRUE, as a script
# shows them. Each case runs in an R process of its own because cli's bars
# keep state for the whole session (a bar whose messages were muffled stops
# later bars from showing). The scripts ask cli to draw at once and to
# redraw lines, as it does in a terminal.

crew_test_progress_script <- function(code) {
  script <- paste(
    "options(cli.progress_show_after = 0, cli.dynamic = TRUE, cli.ansi = FALSE)",
    "library(crew)",
    "Sys.sleep(0.5)",
    code,
    sep = "\n"
  )
  file <- tempfile(fileext = ".R")
  on.exit(unlink(file))
  writeLines(script, file)
  out <- processx::run(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("--no-save", "--no-restore", file),
    error_on_status = FALSE,
    timeout = 120
  )
  testthat::expect_equal(out$status, 0L, info = out$stderr)
  out
}

crew_test("progress: map(verbose = TRUE) shows walk() and map() bars", {
  crew_test_skip()
  out <- crew_test_progress_script(
    "
    controller <- crew_controller_local(host = '127.0.0.1', seconds_interval = 0.1)
    results <- controller$map(
      {
        Sys.sleep(0.5)
        x
      },
      iterate = list(x = 1:3),
      verbose = TRUE
    )
    controller$terminate()
    cat(unlist(results$result), sep = ',')
    "
  )
  expect_equal(out$stdout, "1,2,3")
  expect_match(out$stderr, "walk() 0/3", fixed = TRUE)
  expect_match(out$stderr, "3 tasks pushed in", fixed = TRUE)
  expect_match(out$stderr, "map() 0/3", fixed = TRUE)
  expect_match(out$stderr, "3 tasks resolved in", fixed = TRUE)
})

crew_test("progress: walk(verbose = TRUE) reports the tasks pushed", {
  crew_test_skip()
  out <- crew_test_progress_script(
    "
    controller <- crew_controller_local(host = '127.0.0.1', seconds_interval = 0.1)
    controller$walk(x, iterate = list(x = 1:300), verbose = TRUE)
    stopifnot(controller$wait(seconds_timeout = 60))
    controller$terminate()
    "
  )
  expect_match(out$stderr, "walk() 0/300", fixed = TRUE)
  expect_match(out$stderr, "300 tasks pushed in", fixed = TRUE)
})

crew_test("progress: verbose = FALSE prints nothing", {
  crew_test_skip()
  out <- crew_test_progress_script(
    "
    controller <- crew_controller_local(host = '127.0.0.1', seconds_interval = 0.1)
    results <- controller$map(x, iterate = list(x = 1:3), verbose = FALSE)
    controller$terminate()
    "
  )
  expect_equal(out$stderr, "")
})

crew_test("progress: the sequential controller shows the same bars", {
  crew_test_skip()
  out <- crew_test_progress_script(
    "
    controller <- crew_controller_sequential()
    results <- controller$map(
      {
        Sys.sleep(0.3)
        x
      },
      iterate = list(x = 1:3),
      verbose = TRUE
    )
    Sys.sleep(0.5)
    controller$walk(x, iterate = list(x = 1:3), verbose = TRUE)
    "
  )
  expect_match(out$stderr, "map() 0/3", fixed = TRUE)
  expect_match(out$stderr, "3 tasks resolved in", fixed = TRUE)
  expect_match(out$stderr, "walk() 0/3", fixed = TRUE)
  expect_match(out$stderr, "3 tasks pushed in", fixed = TRUE)
})
