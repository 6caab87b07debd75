# Covers R/native.R and R/task_rules.R: the native entry points and the
# rules R reads from the native side at load.

crew_test("a forked child that uses the dispatcher gets a crew error, not a hang", {
  skip_on_os("windows")
  # The fork happens in a separate R process, so this session never has
  # forked children to account for.
  script <- c(
    "library(crew)",
    "controller <- crew_controller_local(workers = 1L, seconds_idle = 30)",
    "controller$start()",
    "job <- parallel::mcparallel(tryCatch({",
    "  controller$push(1 + 1, scale = FALSE); 'pushed'",
    "}, crew_error = function(condition) 'crew_error'))",
    "cat('child:', unlist(parallel::mccollect(job, wait = TRUE)), '\\n')",
    "controller$push(2 + 2, name = 'parent', throttle = FALSE)",
    "controller$wait(seconds_timeout = 30)",
    "cat('parent:', controller$pop()$result[[1L]], '\\n')",
    "controller$terminate()"
  )
  out <- processx::run(
    file.path(R.home("bin"), "Rscript"),
    c("-e", paste(script, collapse = "\n")),
    timeout = 60,
    error_on_status = FALSE
  )
  expect_match(out$stdout, "child: crew_error", fixed = TRUE)
  expect_match(out$stdout, "parent: 4", fixed = TRUE)
})

crew_test("Ctrl-C interrupts a blocking wait at once", {
  skip_on_os("windows")
  skip_on_cran()
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(
    c(
      "library(crew)",
      "controller <- crew_controller_local(workers = 1L)",
      "controller$push(Sys.sleep(60), throttle = FALSE)",
      "cat('waiting\\n')",
      "result <- tryCatch(controller$wait(), interrupt = function(condition) 'interrupted')",
      "cat(result, '\\n')",
      "controller$terminate()"
    ),
    script
  )
  process <- processx::process$new(
    file.path(R.home("bin"), "Rscript"),
    script,
    stdout = "|",
    stderr = "|",
    env = c("current", R_LIBS = paste(.libPaths(), collapse = ":"))
  )
  on.exit(process$kill(), add = TRUE)
  output <- ""
  crew_retry(
    function() {
      output <<- paste0(output, process$read_output())
      grepl("waiting", output)
    },
    seconds_interval = 0.05,
    seconds_timeout = 30
  )
  Sys.sleep(0.5)
  start <- Sys.time()
  process$interrupt()
  process$wait(timeout = 15000)
  elapsed <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  output <- paste0(output, process$read_output())
  expect_true(grepl("interrupted", output))
  expect_false(process$is_alive())
  expect_lt(elapsed, 10)
})

crew_test("errors from the core are crew errors with readable messages", {
  expect_crew_error(native_take(NULL))
  expect_crew_error(native_size(new.env()))
  expect_crew_error(native_worker_start("tcp://127.0.0.1:1", "bad", 1, Inf, Inf, Inf, 0, 15L, 0L))
  expect_crew_error(native_worker_start("not a url", "bad", 1, Inf, Inf, Inf, 0, 15L, 0L))
})

crew_test("the dispatcher's RNG streams match parallel::nextRNGStream()", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 30)
  on.exit(controller$terminate())
  controller$start()
  first <- native_dispatcher_stream(controller$profile)
  second <- native_dispatcher_stream(controller$profile)
  expect_identical(first[1L], 10407L)
  expect_identical(second, parallel::nextRNGStream(first))
})

# Every native entry that takes one of the package's external pointers
# checks a tag of its own, not the class: another package's pointer (here
# R's own NativeSymbol address, given the same class as ours), a pointer
# read back with readRDS() (its address is null) and a plain value each
# get a crew_error, and R keeps running.
crew_test("native entries refuse foreign, saved and plain objects in place of their handles", {
  foreign <- getNativeSymbolInfo("wrap__native_signal_new", "crew")$address
  class(foreign) <- c("crew_signal", "conditionVariable")
  path <- tempfile()
  on.exit(unlink(path))
  saveRDS(native_signal_new(), path)
  saved <- readRDS(path)
  good <- native_signal_new()
  for (bad in list(foreign, saved, 1L, NULL, new.env())) {
    expect_crew_error(native_signal_notify(bad))
    expect_crew_error(native_signal_value(bad))
    expect_crew_error(native_signal_wait(bad, 0))
    expect_crew_error(native_signal_forward(bad, good))
    expect_crew_error(native_signal_forward(good, bad))
    expect_crew_error(native_metrics_task_started(bad, "task"))
    expect_crew_error(native_metrics_task_finished(bad))
    expect_crew_error(native_metrics_stop(bad))
    expect_crew_error(native_task_handles(bad))
    expect_crew_error(native_size(bad))
  }
  relay <- crew_relay()
  relay$set_from(foreign)
  expect_crew_error(relay$start())
  native_signal_notify(good)
  expect_equal(native_signal_value(good), 1)
})

# The fields of a task are the native side's (TASK_FIELDS in
# src/rust/src/tasks/arguments.rs): walk()'s template is built from them,
# and the worker reads each of them by name.
crew_test("the task fields are the native side's, and workers read them all", {
  crew_test_skip()
  expect_identical(task_fields, native_task_rules()$task_fields)
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  private <- controller_private(controller)
  spec <- task_spec(
    command = quote(x + y), data = list(y = 1), globals = list(), seed = 2L,
    algorithm = "Mersenne-Twister", packages = character(0), library = NULL,
    seconds_timeout = NULL, scale = FALSE, throttle = FALSE
  )
  task <- controller_task(private, spec)
  expect_identical(names(task), task_fields)
  expect_identical(task$command, quote(x + y))
  expect_identical(task$data, list(y = 1))
  expect_null(task$seed)
  read <- function(expr) {
    if (is.call(expr) && identical(expr[[1L]], quote(.subset2))) {
      return(expr[[3L]])
    }
    if (is.call(expr)) unlist(lapply(as.list(expr)[-1L], read)) else NULL
  }
  expect_setequal(read(body(crew_eval_task)), task_fields)
  task$data <- list(x = 1, y = 2)
  record <- crew_eval_task(task, name = "a")
  expect_equal(record$status, "success")
})

# The longest task name and its message are the native side's
# (TASK_NAME_BYTES_MAX); push()'s fast path and R's checks (walk(), the
# careful path of push()) say the same.
crew_test("the task name limit is the native side's on every path", {
  crew_test_skip()
  rules <- native_task_rules()
  expect_identical(task_name_bytes_max, rules$task_name_bytes_max)
  expect_identical(task_name_too_long, rules$task_name_too_long)
  long <- strrep("n", task_name_bytes_max + 1L)
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  expect_too_long <- function(object) {
    expect_error(object, task_name_too_long, fixed = TRUE, class = "crew_error")
  }
  # Before the start, push() checks in R; after it, natively.
  expect_too_long(controller$push(1, name = long, scale = FALSE))
  controller$start()
  expect_too_long(controller$push(1, name = long, scale = FALSE))
  expect_too_long(
    controller$walk(x, iterate = list(x = 1, id = long), names = "id", scale = FALSE)
  )
  expect_equal(controller$size(), 0L)
})

# The message of a name in use is the core's (Error::DuplicateName): the
# dispatcher's refusal (push() and walk()) and the sequential controller
# say the same.
crew_test("a duplicate task name reads the same on every path", {
  crew_test_skip()
  expected <- native_duplicate_name("twice")
  expect_match(expected, "crew task name \"twice\" already exists in the controller", fixed = TRUE)
  message_of <- function(call) {
    tryCatch(call(), crew_error = function(condition) conditionMessage(condition))
  }
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  controller$push(1, name = "twice", scale = FALSE)
  again <- function() controller$push(1, name = "twice", scale = FALSE)
  expect_identical(message_of(again), expected)
  walk <- function() {
    controller$walk(x, iterate = list(x = 1, id = "twice"), names = "id", scale = FALSE)
  }
  expect_identical(message_of(walk), expected)
  sequential <- crew_controller_sequential()
  sequential$push(1, name = "twice")
  expect_identical(message_of(function() sequential$push(1, name = "twice")), expected)
  controller$cancel(all = TRUE)
})
