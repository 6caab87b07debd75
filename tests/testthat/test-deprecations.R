# Covers R/crew_deprecate.R and the deprecated arguments of
# R/launcher_methods.R.
#
# The deprecations of crew 1.3.0 that other test files do not cover yet:
# each deprecated argument or method is still accepted and signals a
# crew_deprecate condition of the stated kind. One block per row of the
# table of deprecations in the API contract.

# Runs `expr`, muffling and collecting its crew_deprecate conditions.
catch_deprecations <- function(expr) {
  caught <- list()
  value <- withCallingHandlers(
    expr,
    crew_deprecate = function(condition) {
      caught[[length(caught) + 1L]] <<- condition
      if (inherits(condition, "warning")) {
        invokeRestart("muffleWarning")
      }
      invokeRestart("muffleMessage")
    }
  )
  list(value = value, conditions = caught)
}

# `caught` holds a deprecation of `name` that is a warning (class
# crew_warning) or a message (class crew_message) as `kind` says. One
# argument may signal both kinds (crashes_error of crew_launcher_local()).
expect_deprecation <- function(caught, name, kind) {
  named <- Filter(
    function(condition) startsWith(conditionMessage(condition), name),
    caught$conditions
  )
  classes <- c("crew_deprecate", paste0("crew_", kind), "crew", kind)
  of_kind <- Filter(function(condition) all(classes %in% class(condition)), named)
  testthat::expect(
    length(of_kind) > 0L,
    sprintf(
      "no deprecation of %s with classes %s; signalled: %s",
      name,
      paste(classes, collapse = ", "),
      paste(vapply(named, function(x) class(x)[2L], character(1L)), collapse = ", ")
    )
  )
}

expect_no_deprecation <- function(caught) {
  testthat::expect(
    length(caught$conditions) == 0L,
    sprintf(
      "unexpected deprecation: %s",
      paste(vapply(caught$conditions, conditionMessage, character(1L)), collapse = "; ")
    )
  )
}

# Deprecations signalled "once" per session would stay silent if an
# earlier test had already triggered them.
local_every_deprecation <- function(envir = parent.frame()) {
  withr::local_options(
    rlib_warning_verbosity = "verbose",
    rlib_message_verbosity = "verbose",
    .local_envir = envir
  )
}

crew_test("deprecations: crew_client() name, workers and retry_tasks", {
  for (argument in c("name", "workers", "retry_tasks")) {
    arguments <- list(host = "127.0.0.1")
    arguments[[argument]] <- "x"
    caught <- catch_deprecations(do.call(crew_client, arguments))
    expect_deprecation(caught, argument, "message")
    expect_s3_class(caught$value, "crew_class_client")
  }
})

crew_test("deprecations: crew_controller_local() warnings", {
  directory <- tempfile()
  deprecated <- list(
    seconds_exit = 1,
    local_log_directory = directory,
    local_log_join = FALSE,
    launch_max = 5L
  )
  for (argument in names(deprecated)) {
    caught <- catch_deprecations(
      do.call(crew_controller_local, deprecated[argument])
    )
    expect_deprecation(caught, argument, "warning")
    expect_s3_class(caught$value, "crew_class_controller")
  }
  caught <- catch_deprecations(
    crew_controller_local(local_log_directory = directory, local_log_join = FALSE)
  )
  expect_equal(caught$value$launcher$options_local$log_directory, directory)
  expect_false(caught$value$launcher$options_local$log_join)
  expect_false(dir.exists(directory))
})

crew_test("deprecations: crew_controller_local() messages", {
  for (argument in c("crashes_error", "retry_tasks")) {
    arguments <- list()
    arguments[[argument]] <- 5L
    caught <- catch_deprecations(do.call(crew_controller_local, arguments))
    expect_deprecation(caught, argument, "message")
    expect_s3_class(caught$value, "crew_class_controller")
    expect_equal(caught$value$crashes_max, 5L)
  }
})

crew_test("deprecations: crew_launcher_local() warnings", {
  directory <- tempfile()
  deprecated <- list(
    seconds_exit = 1,
    local_log_directory = directory,
    local_log_join = FALSE,
    launch_max = 5L,
    crashes_error = 5L
  )
  for (argument in names(deprecated)) {
    caught <- catch_deprecations(
      do.call(crew_launcher_local, deprecated[argument])
    )
    expect_deprecation(caught, argument, "warning")
    expect_s3_class(caught$value, "crew_class_launcher_local")
  }
  # crashes_error also reaches the class constructor, which adds a message.
  caught <- catch_deprecations(crew_launcher_local(crashes_error = 5L))
  expect_deprecation(caught, "crashes_error", "message")
  caught <- catch_deprecations(
    crew_launcher_local(local_log_directory = directory, local_log_join = FALSE)
  )
  expect_equal(caught$value$options_local$log_directory, directory)
  expect_false(caught$value$options_local$log_join)
})

crew_test("deprecations: crew_launcher_local() reset arguments", {
  for (argument in c("reset_globals", "reset_packages", "reset_options", "garbage_collection")) {
    arguments <- list()
    arguments[[argument]] <- TRUE
    caught <- catch_deprecations(do.call(crew_launcher_local, arguments))
    expect_deprecation(caught, argument, "message")
    expect_s3_class(caught$value, "crew_class_launcher_local")
    expect_null(caught$value[[argument]])
  }
})

crew_test("deprecations: launcher $new() messages", {
  deprecated <- c(
    "reset_globals",
    "reset_packages",
    "reset_options",
    "garbage_collection",
    "crashes_error",
    "processes"
  )
  for (argument in deprecated) {
    arguments <- list(seconds_interval = 0.25)
    arguments[[argument]] <- TRUE
    caught <- catch_deprecations(do.call(crew_class_launcher$new, arguments))
    expect_deprecation(caught, argument, "message")
    expect_s3_class(caught$value, "crew_class_launcher")
    expect_null(caught$value[[argument]])
  }
})

crew_test("deprecations: launcher $new() warnings", {
  for (argument in c("launch_max", "seconds_exit")) {
    arguments <- list(seconds_interval = 0.25)
    arguments[[argument]] <- 5
    caught <- catch_deprecations(do.call(crew_class_launcher$new, arguments))
    expect_deprecation(caught, argument, "warning")
    expect_s3_class(caught$value, "crew_class_launcher")
  }
})

crew_test("deprecations: launcher call(worker =)", {
  launcher <- crew_launcher()
  local({
    withr::local_envvar(NOT_CRAN = "true")
    local_every_deprecation()
    caught <- catch_deprecations(launcher$call(worker = "worker"))
    expect_deprecation(caught, "worker argument of launcher call()", "message")
    expect_true(startsWith(caught$value, "crew::crew_worker("))
  })
  withr::local_envvar(NOT_CRAN = "true")
  # Once per session: at most the first of two calls signals.
  catch_deprecations(launcher$call(worker = "worker"))
  expect_no_deprecation(catch_deprecations(launcher$call(worker = "worker")))
  # Skipped on CRAN.
  withr::local_envvar(NOT_CRAN = "false")
  local_every_deprecation()
  expect_no_deprecation(catch_deprecations(launcher$call(worker = "worker")))
})

crew_test("deprecations: launcher start(sockets =)", {
  launcher <- crew_launcher()
  url <- "tcp://127.0.0.1:57000"
  local({
    withr::local_envvar(NOT_CRAN = "true")
    caught <- catch_deprecations(launcher$start(sockets = url))
    expect_deprecation(caught, "sockets argument of launcher start()", "message")
  })
  expect_equal(launcher$url, url)
  launcher$terminate()
  withr::local_envvar(NOT_CRAN = "false")
  expect_no_deprecation(catch_deprecations(launcher$start(sockets = url)))
  expect_equal(launcher$url, url)
  expect_equal(
    launcher$start(url = "tcp://127.0.0.1:57001", sockets = url),
    NULL
  )
  expect_equal(launcher$url, "tcp://127.0.0.1:57001")
})

crew_test("deprecations: launcher subclass with terminate_worker()", {
  plugin <- R6::R6Class(
    classname = "plugin_launcher",
    inherit = crew_class_launcher,
    public = list(
      launch_worker = function(call) list(call = call),
      terminate_worker = function(handle) NULL
    )
  )
  launcher <- plugin$new(
    workers = 1L,
    seconds_interval = 0.25,
    seconds_timeout = 60,
    seconds_launch = 30,
    seconds_idle = 300,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew_tls(),
    r_arguments = character(0L),
    options_metrics = crew_options_metrics()
  )
  # Shown on CRAN too.
  withr::local_envvar(NOT_CRAN = "false")
  local({
    local_every_deprecation()
    caught <- catch_deprecations(launcher$validate())
    expect_deprecation(caught, "terminate_worker()", "message")
    expect_null(caught$value)
  })
  catch_deprecations(launcher$validate())
  expect_no_deprecation(catch_deprecations(launcher$validate()))
  expect_no_deprecation(catch_deprecations(crew_launcher()$validate()))
})

crew_test("deprecations: controller walk(), map(), wait() and push()", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  caught <- catch_deprecations(
    controller$map(x, iterate = list(x = 1:2), save_command = TRUE)
  )
  expect_deprecation(caught, "save_command", "warning")
  expect_equal(caught$value$result, list(1L, 2L))
  caught <- catch_deprecations(
    controller$map(x, iterate = list(x = 1:2), seconds_interval = 0.5)
  )
  expect_deprecation(caught, "seconds_interval", "warning")
  expect_equal(caught$value$result, list(1L, 2L))
  caught <- catch_deprecations(
    controller$walk(x, iterate = list(x = 1:2), save_command = TRUE)
  )
  expect_deprecation(caught, "save_command", "warning")
  expect_length(caught$value, 2L)
  caught <- catch_deprecations(
    controller$wait(seconds_interval = 0.5, seconds_timeout = 30)
  )
  expect_deprecation(caught, "seconds_interval", "warning")
  expect_true(caught$value)
  results <- list()
  collected <- crew_test_until(function() {
    results <<- c(results, controller$collect()$result)
    length(results) == 2L
  })
  expect_true(collected)
  expect_equal(sort(unlist(results)), 1:2)
  # push() ignores save_command without a word.
  caught <- catch_deprecations(controller$push(3L, save_command = TRUE))
  expect_no_deprecation(caught)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$result, list(3L))
})

crew_test("deprecations: controller pop(collect =)", {
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  withr::local_envvar(NOT_CRAN = "true")
  local({
    local_every_deprecation()
    caught <- catch_deprecations(controller$pop(collect = TRUE, scale = FALSE))
    expect_deprecation(caught, "collect argument of pop()", "message")
    expect_null(caught$value)
  })
  catch_deprecations(controller$pop(collect = TRUE, scale = FALSE))
  expect_no_deprecation(catch_deprecations(controller$pop(collect = TRUE, scale = FALSE)))
  withr::local_envvar(NOT_CRAN = "false")
  local_every_deprecation()
  expect_no_deprecation(catch_deprecations(controller$pop(collect = TRUE, scale = FALSE)))
})

crew_test("deprecations: group map() and wait()", {
  crew_test_skip()
  group <- crew_controller_group(crew_controller_local(name = "member", workers = 1L))
  on.exit(group$terminate())
  caught <- catch_deprecations(
    group$map(x, iterate = list(x = 1:2), save_command = TRUE)
  )
  expect_deprecation(caught, "save_command", "warning")
  expect_length(caught$conditions, 1L)
  expect_equal(caught$value$result, list(1L, 2L))
  # The group drops map()'s seconds_interval without a word.
  caught <- catch_deprecations(
    group$map(x, iterate = list(x = 1:2), seconds_interval = 0.5)
  )
  expect_no_deprecation(caught)
  expect_equal(caught$value$result, list(1L, 2L))
  caught <- catch_deprecations(group$wait(seconds_interval = 0.5, seconds_timeout = 0))
  expect_deprecation(caught, "seconds_interval", "warning")
  expect_true(caught$value)
})
