# Covers the tasks that push() (R/crew_class_controller.R) and walk()'s
# template (R/controller_submit.R) hand the worker, which the native side
# builds (src/rust/src/tasks/source_references.rs): code parsed with
# keep.source = TRUE (interactive sessions, RStudio, testthat) carries the
# lines of its whole file in its source references; tasks leave them out.

# The objects a script of `filler` comment lines defines when sourced with
# keep.source = TRUE: a command captured as push() captures it, and a
# function, both carrying the script's every line.
crew_test_sourced_script <- function(filler = 5000L) {
  path <- tempfile(fileext = ".R")
  on.exit(unlink(path))
  writeLines(
    c(
      paste("# line", seq_len(filler), "of a long analysis script"),
      "capture <- function(command) substitute(command)",
      "command <- capture({",
      "  inner <- function() 1",
      "  list(",
      "    inner = is.null(attr(inner, \"srcref\")),",
      "    outer = is.null(attr(outer, \"srcref\")),",
      "    body = is.null(attributes(body(outer))),",
      "    value = outer(2)",
      "  )",
      "})",
      "outer <- function(x) {",
      "  x + 40",
      "}"
    ),
    path
  )
  envir <- new.env()
  sys.source(path, envir = envir, keep.source = TRUE)
  # As a script sourced at the top level of a session defines it.
  outer <- envir$outer
  environment(outer) <- globalenv()
  list(command = envir$command, outer = outer)
}

crew_test("tasks leave out the source references of code and functions", {
  crew_test_skip()
  script <- crew_test_sourced_script()
  # What the task would weigh with them: the whole script, twice over.
  expect_gt(length(serialize(script$command, NULL)), 100000L)
  expect_false(is.null(attr(script$outer, "srcref")))
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$start()
  dispatcher <- controller$.__enclos_env__$private$.dispatcher
  task <- crew:::native_task(
    dispatcher, script$command, list(), list(outer = script$outer), NULL, NULL, character(0L), NULL
  )
  expect_lt(length(serialize(task, NULL)), 5000L)
  controller$push(script$command, substitute = FALSE, globals = list(outer = script$outer), name = "sourced")
  expect_true(controller$wait(seconds_timeout = 60))
  result <- controller$pop()
  expect_equal(result$status, "success")
  expect_equal(result$result[[1L]], list(inner = TRUE, outer = TRUE, body = TRUE, value = 42))
  # The user's own objects keep their source references.
  expect_false(is.null(attr(script$outer, "srcref")))
  expect_false(is.null(attr(script$command, "srcref")))
  expect_false(is.null(attributes(body(script$outer))))
  expect_gt(length(serialize(script$command, NULL)), 100000L)
})

crew_test("walk() and map() leave out the source references of their template", {
  crew_test_skip()
  script <- crew_test_sourced_script()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, workers = 2L)
  on.exit(controller$terminate())
  results <- controller$map(
    command = list(index = index, checks = outer(index)),
    iterate = list(index = 1:4),
    globals = list(outer = script$outer),
    verbose = FALSE
  )
  expect_equal(vapply(results$result, function(x) x$checks, 0), 41:44)
  sourced <- controller$map(
    command = script$command,
    iterate = list(index = 1:2),
    globals = list(outer = script$outer),
    substitute = FALSE,
    verbose = FALSE
  )
  expect_true(all(vapply(sourced$result, function(x) x$inner && x$outer && x$body, TRUE)))
})

crew_test("code without source references and other objects pass through unchanged", {
  crew_test_skip()
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$start()
  dispatcher <- controller$.__enclos_env__$private$.dispatcher
  command <- quote(f(x))
  globals <- list(f = function(x) x, x = structure(1, srcref = "kept: not a function"))
  task <- crew:::native_task(dispatcher, command, list(), globals, NULL, NULL, character(0L), NULL)
  expect_identical(task$command, command)
  expect_identical(task$globals, globals)
  # A list of a function with a source reference and other elements keeps
  # its names and every other element.
  sourced <- crew_test_sourced_script(filler = 10L)$outer
  data <- list(a = 1, outer = sourced, b = letters)
  task <- crew:::native_task(dispatcher, command, data, list(), NULL, NULL, character(0L), NULL)
  expect_equal(names(task$data), names(data))
  expect_identical(task$data$a, 1)
  expect_identical(task$data$b, letters)
  expect_null(attr(task$data$outer, "srcref"))
  expect_equal(task$data$outer(2), 42)
  # The copy is the task's own: renaming it leaves the user's list alone.
  copy <- task$data
  names(copy)[[1L]] <- "renamed"
  expect_equal(names(data), c("a", "outer", "b"))
  expect_false(is.null(attr(data$outer, "srcref")))
  # Deeply nested code is passed on whole rather than walked further.
  deep <- quote(x)
  for (i in seq_len(3000L)) deep <- call("(", deep)
  task <- crew:::native_task(dispatcher, deep, list(), list(), NULL, NULL, character(0L), NULL)
  expect_identical(task$command, deep)
})
