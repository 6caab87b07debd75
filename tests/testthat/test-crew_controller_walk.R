# Covers R/controller_submit.R (walk()).
#
# walk() queues its tasks as one batch: the task template is sent once to
# each worker and every task carries only its own elements of `iterate`.
# These tests check that each task still sees exactly the data that
# `data[[field]] <- iterate[[field]][[index]]` would give it.

crew_test_walk_controller <- function(...) {
  crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, ...)
}

crew_test_walk_results <- function(controller, n) {
  expect_true(controller$wait(seconds_timeout = 60))
  out <- controller$collect()
  expect_equal(nrow(out), n)
  out
}

crew_test("walk() gives each task the elements of every kind of column", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 2L)
  on.exit(controller$terminate())
  iterate <- list(
    int = c(a = 1L, b = NA, c = 3L),
    dbl = c(0.5, NaN, -Inf),
    lgl = c(TRUE, NA, FALSE),
    chr = c("x", NA, "\u00e9"),
    bytes = c("a", "b", `Encoding<-`("\xff\xfe", "bytes")),
    fct = factor(c("u", "v", "u")),
    date = as.Date("2024-01-31") + 0:2,
    lst = list(NULL, list(k = 1), quote(a + b)),
    mat = matrix(1:3, nrow = 1)
  )
  data <- list(lst = "kept unless NULL", other = 7)
  controller$walk(
    command = list(int, dbl, lgl, chr, fct, date, if (exists("lst")) lst else "absent", mat, other, bytes),
    iterate = iterate,
    data = data,
    names = NULL,
    throttle = FALSE
  )
  out <- crew_test_walk_results(controller, 3L)
  out <- out[order(as.integer(sub("^.*_", "", out$name))), ]
  expect_equal(out$error, rep(NA_character_, 3L))
  for (index in 1:3) {
    expected <- data
    for (field in names(iterate)) {
      expected[[field]] <- iterate[[field]][[index]]
    }
    got <- out$result[[index]]
    expect_identical(got[[1L]], expected$int)
    expect_identical(got[[2L]], expected$dbl)
    expect_identical(got[[3L]], expected$lgl)
    expect_identical(got[[4L]], expected$chr)
    expect_identical(got[[5L]], expected$fct)
    expect_identical(got[[6L]], expected$date)
    expect_identical(got[[7L]], if (is.null(expected$lst)) "absent" else expected$lst)
    expect_identical(got[[8L]], expected$mat)
    expect_identical(got[[9L]], 7)
    expect_identical(got[[10L]], expected$bytes)
  }
})

crew_test("walk() reuses the template across many tasks and workers", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 2L)
  on.exit(controller$terminate())
  # A template larger than the frames written in place, so its part is
  # written in the background and the tasks after it may overtake it.
  big <- as.numeric(seq_len(5e5)) + 0.5
  n <- 300L
  handles <- controller$walk(
    command = list(value = x + length(big) + sum(y), pid = Sys.getpid(), sleep = Sys.sleep(0.005)),
    iterate = list(x = seq_len(n), y = lapply(seq_len(n), function(i) rep(i, 3L))),
    globals = list(big = big),
    throttle = FALSE
  )
  expect_equal(length(handles), n)
  out <- crew_test_walk_results(controller, n)
  index <- as.integer(sub("^.*_", "", out$name))
  values <- vapply(out$result, function(result) result$value, numeric(1L))
  expect_equal(values, index + length(big) + 3L * index)
  expect_equal(handles[[n]]$data$result[[1L]]$value, n + length(big) + 3L * n)
  pids <- vapply(out$result, function(result) result$pid, integer(1L))
  expect_equal(length(unique(pids)), 2L)
})

crew_test("tasks of a walk are found by name like pushed tasks", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  handles <- controller$walk(
    command = Sys.sleep(x),
    iterate = list(x = c(0, 60, 60)),
    scale = FALSE
  )
  task_names <- names(handles)
  expect_equal(names(controller$tasks), task_names)
  expect_crew_error(controller$push(1, name = task_names[[2L]], scale = FALSE))
  # A walk that reuses a held name is refused whole.
  expect_crew_error(
    controller$walk(
      x,
      iterate = list(x = 1:2, id = c("fresh", task_names[[1L]])),
      names = "id",
      scale = FALSE
    )
  )
  expect_equal(names(controller$tasks), task_names)
  controller$cancel(names = task_names[[3L]])
  cancelled <- controller$pop(scale = FALSE)
  expect_equal(cancelled$name, task_names[[3L]])
  expect_equal(cancelled$code, 20L)
  controller$launch(1L)
  first <- NULL
  expect_true(crew_test_until(function() {
    first <<- controller$pop(scale = FALSE)
    !is.null(first)
  }, seconds_timeout = 30))
  expect_equal(first$name, task_names[[1L]])
  expect_equal(first$code, 0L)
  controller$cancel(names = task_names[[2L]])
  out <- crew_test_walk_results(controller, 1L)
  expect_equal(out$name, task_names[[2L]])
  expect_equal(out$code, 20L)
  expect_equal(controller$size(), 0L)
  # Once a walk's tasks are gone, its names are free again.
  again <- controller$walk(command = x, iterate = list(x = 1:2, id = task_names[1:2]), names = "id")
  expect_equal(names(again), task_names[1:2])
})

crew_test("a task handle read back from a file is refused", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 1L)
  on.exit(controller$terminate())
  handle <- controller$push(1 + 1, throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(handle$data$result[[1L]], 2)
  path <- tempfile()
  on.exit(unlink(path), add = TRUE)
  saveRDS(handle, path)
  restored <- readRDS(path)
  expect_crew_error(restored$data)
  expect_crew_error(restored$name)
  foreign <- structure(getNativeSymbolInfo("wrap__native_walk", "crew")$address, class = "crew_task")
  expect_crew_error(foreign$data)
  expect_null(handle$other)
})

crew_test("task names longer than R allows for a name are refused", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  long <- strrep("n", 10001L)
  expect_crew_error(controller$push(1, name = long, scale = FALSE))
  expect_crew_error(controller$walk(x, iterate = list(x = 1, id = long), names = "id", scale = FALSE))
  handle <- controller$push(1, name = strrep("n", 10000L), scale = FALSE)
  expect_equal(nchar(handle$name), 10000L)
  expect_equal(controller$size(), 1L)
})

crew_test("a walk's timeout ends every task of the walk still unresolved", {
  crew_test_skip()
  controller <- crew_test_walk_controller(workers = 1L)
  on.exit(controller$terminate())
  # The worker connects first, so that the quick task's 5 s do not include
  # a worker's start, which a slow client (valgrind, a busy machine) can
  # stretch past them.
  controller$launch(n = 1L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 60)
  )
  controller$walk(
    command = if (x > 1L) Sys.sleep(30) else x,
    iterate = list(x = 1:4),
    seconds_timeout = 5,
    throttle = FALSE
  )
  out <- crew_test_walk_results(controller, 4L)
  out <- out[order(as.integer(sub("^.*_", "", out$name))), ]
  expect_equal(out$code, c(0L, 5L, 5L, 5L))
  expect_equal(out$result[[1L]], 1L)
})
