# Covers R/controller_wait.R, R/controller_results.R and
# R/task_handle.R with results of many megabytes.
#
# Results of a few megabytes or more arrive in pieces, and wait() reads
# them into R while the rest arrives, so pop() finds them ready.

crew_test_rss_mb <- function() {
  status <- readLines("/proc/self/status")
  line <- grep("^VmRSS:", status, value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}

crew_test("large results read during wait() come back unchanged", {
  controller <- crew_controller_local(workers = 2L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  sizes <- c(5e6, 12e6, 1e3, 9e6)
  for (index in seq_along(sizes)) {
    controller$push(
      list(bytes = as.raw(seq_len(size) %% 251L), index = index),
      data = list(size = sizes[[index]], index = index),
      name = paste0("t", index)
    )
  }
  controller$wait(mode = "all", seconds_timeout = 60)
  results <- controller$collect()
  results <- results[order(results$name), ]
  expect_equal(results$status, rep("success", 4L))
  for (index in seq_along(sizes)) {
    value <- results$result[[index]]
    expect_equal(value$index, index)
    expect_identical(value$bytes, as.raw(seq_len(sizes[[index]]) %% 251L))
  }
})

crew_test("a handle still reads a large result that pop() took", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  handle <- controller$push(seq_len(2e6) + 0.5, name = "big")
  controller$wait(mode = "all", seconds_timeout = 60)
  popped <- controller$pop()
  expect_equal(popped$result[[1L]], seq_len(2e6) + 0.5)
  expect_equal(handle$data$result[[1L]], seq_len(2e6) + 0.5)
})

crew_test("the client lets go of large results whose handles are gone", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate())
  controller$start()
  round <- function() {
    controller$push(as.raw(seq_len(8e6) %% 7L), scale = TRUE)
    controller$wait(mode = "all", seconds_timeout = 60)
    out <- controller$pop()
    expect_equal(length(out$result[[1L]]), 8e6)
    invisible(gc())
  }
  for (index in seq_len(5L)) round()
  before <- crew_test_rss_mb()
  for (index in seq_len(25L)) round()
  # Keeping each 8 MB result would add 200 MB.
  expect_lt(crew_test_rss_mb() - before, 80)
})
