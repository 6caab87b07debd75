# Covers R/argument_checks.R and R/crew_assert.R, through every caller.
# Every exported function and every public method of the exported R6
# classes, fed hostile values one argument at a time: each call must work or
# raise a crew_error (no other error, no "internal error", no hang, no crash
# of R or of a worker). The lists of functions and methods come from the
# namespace and the class generators, so new ones are covered as they come.

# What is not called, and why.
hostile_skipped_functions <- c(
  # Re-exported from tidyselect: not crew's code, and they only work inside
  # a selection.
  all_of = "tidyselect", any_of = "tidyselect", contains = "tidyselect",
  ends_with = "tidyselect", everything = "tidyselect", last_col = "tidyselect",
  matches = "tidyselect", num_range = "tidyselect", one_of = "tidyselect",
  starts_with = "tidyselect"
)
hostile_skipped_methods <- c(
  # Constructors run through the exported functions that call them.
  initialize = "run through the exported constructor",
  # R6's own method, not crew's.
  clone = "R6's own method"
)

# Calls whose crew_error may leave the argument unnamed, and why.
hostile_unnamed_allowed <- c(
  "crew_assert(value = " = "the message quotes the value the conditions test",
  "crew_controller_group(" = "no controllers are given, and the message says so first",
  "crew_tls_mutual(authority = " = "the message names the file that is missing",
  "crew_metrics_read(path = " = "the message names the file that is missing",
  "crew_worker(" = "the test's credential is refused once the arguments pass",
  "crew_terminate_process(pid = 0)" = "the message says why process 0 is refused",
  "crew_retry(fun = " = "a function that is never TRUE times out, as documented",
  "$map(" = "tasks that fail make map() raise, as documented",
  "crew_dashboard(port = 0)" = "the port is valid; the message names the baseline controller, a string",
  "crew_dashboard(host = string)" = "the host is valid; the message names the baseline controller, a string"
)

hostile_foreign_pointer <- function() {
  info <- tryCatch(
    getNativeSymbolInfo("Cdqrls", "stats")$address,
    error = function(condition) NULL
  )
  if (typeof(info) != "externalptr") {
    info <- unclass(getLoadedDLLs()[["stats"]])[["info"]]
  }
  info
}

# The hostile values, by label.
hostile_values <- function(restored) {
  c(
    list(
      "NA" = NA,
      "NaN" = NaN,
      "Inf" = Inf,
      "-Inf" = -Inf,
      "-1" = -1,
      "0" = 0,
      "1e300" = 1e300,
      "integer.max + 1" = .Machine$integer.max + 1,
      "numeric(0)" = numeric(0),
      "character(0)" = character(0),
      "length 2 numeric" = c(2147483647, 2147483647),
      "length 2 character" = c("crew_hostile_a", "crew_hostile_b"),
      "length 2 logical" = c(TRUE, FALSE),
      "string" = "crew_hostile",
      "list" = list(1, "a"),
      "environment" = new.env(),
      "function" = function(...) NULL,
      "null external pointer" = new("externalptr"),
      "foreign external pointer" = hostile_foreign_pointer()
    ),
    restored
  )
}

# Valid values for arguments without a default, by name.
hostile_baseline <- function(pki) {
  list(
    command = 1,
    iterate = list(x = 1:2),
    name = "crew_hostile_name",
    fun = function() TRUE,
    class = "crew_hostile_class",
    sfunc = function(x) serialize(x, NULL),
    ufunc = function(x) unserialize(x),
    pid = 2147483647,
    pids = 2147483647,
    tls = crew::crew_tls(mode = "automatic"),
    authority = pki$workers_ca,
    certificates = pki$worker_chain,
    key = pki$worker_key,
    settings = list(url = "tcp://127.0.0.1:9", credential = "crew_hostile"),
    controller = "crew_hostile_controller",
    worker = "crew_hostile_worker",
    call = "invisible()",
    from = NULL,
    to = NULL,
    activity = TRUE,
    index = 1L,
    metrics = data.frame(),
    path = tempfile(),
    value = TRUE,
    x = "a",
    controllers = NULL,
    client = crew::crew_client(host = "127.0.0.1"),
    launcher = crew::crew_launcher_local(),
    date = "2020-01-01",
    version = "0.0.1",
    alternative = "none",
    host = "127.0.0.1",
    port = 57000L,
    n = 1L,
    status = c(connections = 0, cumulative = 0, awaiting = 0, executing = 0, completed = 0)
  )
}

# Optional arguments set for every call of a function, so that a hostile
# value elsewhere does not make the call wait for a whole default timeout.
hostile_overrides <- list(
  crew_retry = list(seconds_interval = 0.01, seconds_timeout = 2)
)

hostile_counts <- new.env(parent = emptyenv())
hostile_counts$calls <- 0L
hostile_counts$errors <- 0L
hostile_counts$successes <- 0L
hostile_counts$unnamed <- character(0)
hostile_counts$failures <- character(0)

# Calls `fun` with `args` under a time limit and files the outcome.
hostile_call <- function(label, fun, args, argument, seconds = 20) {
  hostile_counts$calls <- hostile_counts$calls + 1L
  outcome <- tryCatch(
    {
      setTimeLimit(elapsed = seconds, transient = TRUE)
      on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
      suppressWarnings(suppressMessages(do.call(fun, args, quote = TRUE)))
      NULL
    },
    error = function(condition) condition,
    interrupt = function(condition) simpleError("interrupted (time limit)")
  )
  setTimeLimit(elapsed = Inf)
  if (is.null(outcome)) {
    hostile_counts$successes <- hostile_counts$successes + 1L
    return(invisible())
  }
  message <- tryCatch(conditionMessage(outcome), error = function(e) "?")
  internal <- grepl("internal error", message, fixed = TRUE) ||
    inherits(outcome, "crew_error_internal")
  if (inherits(outcome, "crew_error") && !internal) {
    hostile_counts$errors <- hostile_counts$errors + 1L
    if (!is.null(argument) && !grepl(argument, message, fixed = TRUE)) {
      hostile_counts$unnamed <- c(
        hostile_counts$unnamed,
        sprintf("%s: %s", label, substr(message, 1L, 160L))
      )
    }
    return(invisible())
  }
  hostile_counts$failures <- c(
    hostile_counts$failures,
    sprintf("%s: [%s] %s", label, class(outcome)[1L], substr(message, 1L, 200L))
  )
  invisible()
}

# Feeds every hostile value to every argument of `fun`, one at a time.
hostile_feed <- function(label, fun, values, baseline) {
  arguments <- setdiff(names(formals(fun)), c("...", "envir"))
  required <- Filter(
    function(argument) identical(formals(fun)[[argument]], quote(expr = )),
    arguments
  )
  base <- baseline[intersect(required, names(baseline))]
  base[names(hostile_overrides[[label]])] <- hostile_overrides[[label]]
  for (argument in arguments) {
    for (value_label in names(values)) {
      args <- base
      args[argument] <- list(values[[value_label]])
      hostile_call(
        sprintf("%s(%s = %s)", label, argument, value_label),
        fun,
        args,
        argument
      )
    }
  }
}

crew_test("no argument crashes, panics or escapes as a foreign error", {
  crew_test_skip()
  skip_if(Sys.which("openssl") == "", "openssl is needed for the PKI")
  started <- Sys.time()
  # Deprecation warnings given once per session are neither shown nor
  # spent here, so the tests that expect them still see them.
  verbosity <- options(rlib_warning_verbosity = "quiet", rlib_message_verbosity = "quiet")
  on.exit(options(verbosity), add = TRUE)
  # crew_clean() ends every crew worker of the user, other R sessions'
  # included: the test lets it find none.
  namespace <- asNamespace("crew")
  find_pids <- get("monitor_local_pids", envir = namespace)
  unlockBinding("monitor_local_pids", namespace)
  assign("monitor_local_pids", function(user, pattern) integer(0), envir = namespace)
  on.exit(
    {
      assign("monitor_local_pids", find_pids, envir = namespace)
      lockBinding("monitor_local_pids", namespace)
    },
    add = TRUE
  )
  pki <- crew_test_pki()
  baseline <- hostile_baseline(pki)
  controller <- crew_controller_local(
    name = "hostile",
    workers = 1L,
    seconds_idle = 30
  )
  group <- crew_controller_group(
    crew_controller_local(name = "hostile_a", workers = 1L, seconds_idle = 30),
    crew_controller_local(name = "hostile_b", workers = 1L, seconds_idle = 30)
  )
  on.exit(controller$terminate(), add = TRUE)
  on.exit(group$terminate(), add = TRUE)
  controller$start()
  handle <- controller$push(1, name = "crew_hostile_saved")
  controller$wait(seconds_timeout = 60)
  saved <- tempfile()
  on.exit(unlink(saved), add = TRUE)
  saveRDS(controller, saved)
  restored_controller <- readRDS(saved)
  saveRDS(handle, saved)
  restored_handle <- readRDS(saved)
  controller$pop()
  values <- hostile_values(
    list(
      "readRDS controller" = restored_controller,
      "readRDS task handle" = restored_handle
    )
  )

  exports <- sort(getNamespaceExports("crew"))
  generators <- Filter(
    function(name) inherits(getExportedValue("crew", name), "R6ClassGenerator"),
    exports
  )
  functions <- setdiff(
    Filter(function(name) is.function(getExportedValue("crew", name)), exports),
    c(generators, names(hostile_skipped_functions))
  )
  for (name in functions) {
    hostile_feed(name, getExportedValue("crew", name), values, baseline)
  }

  # One object per class, and one restored with readRDS() whose methods
  # must cope with its null external pointers.
  instances <- list(
    crew_class_tls = crew_tls(mode = "automatic"),
    crew_class_throttle = crew_throttle(),
    crew_class_relay = crew_relay(),
    crew_class_monitor_local = crew_monitor_local(),
    crew_class_client = crew_client(host = "127.0.0.1"),
    crew_class_launcher = crew_launcher(),
    crew_class_launcher_local = crew_launcher_local(),
    crew_class_controller_sequential = crew_controller_sequential(),
    crew_class_controller = controller,
    crew_class_controller_group = group
  )
  expect_setequal(names(instances), generators)
  last <- c("terminate", "descale", "terminate_workers")
  for (class in names(instances)) {
    object <- instances[[class]]
    methods <- names(getExportedValue("crew", class)$public_methods)
    methods <- setdiff(methods, names(hostile_skipped_methods))
    methods <- c(setdiff(methods, last), intersect(last, methods))
    for (method in methods) {
      # map() needs every earlier task popped: leave none from the calls
      # before.
      if (is.function(object$collect) && !inherits(object, "crew_class_controller_sequential")) {
        try(object$wait(mode = "all", seconds_timeout = 30), silent = TRUE)
        try(object$collect(), silent = TRUE)
      }
      hostile_feed(
        sprintf("%s$%s", class, method),
        object[[method]],
        values,
        baseline
      )
    }
  }
  for (method in setdiff(names(crew_class_controller$public_methods), names(hostile_skipped_methods))) {
    fun <- restored_controller[[method]]
    required <- Filter(
      function(argument) identical(formals(fun)[[argument]], quote(expr = )),
      names(formals(fun))
    )
    hostile_call(
      sprintf("readRDS controller$%s()", method),
      fun,
      baseline[intersect(required, names(baseline))],
      NULL
    )
  }
  for (field in c("name", "result", "status", "done", "data")) {
    hostile_call(
      sprintf("readRDS task handle$%s", field),
      function() restored_handle[[field]],
      list(),
      NULL
    )
  }
  controller$terminate()
  group$terminate()

  cat(
    sprintf(
      paste(
        "hostile arguments: %d calls, %d crew_errors, %d successes,",
        "%d failures, %d crew_errors not naming the argument, %.0f seconds"
      ),
      hostile_counts$calls,
      hostile_counts$errors,
      hostile_counts$successes,
      length(hostile_counts$failures),
      length(hostile_counts$unnamed),
      as.numeric(difftime(Sys.time(), started, units = "secs"))
    ),
    "\n",
    file = stderr()
  )
  if (nzchar(Sys.getenv("CREW_HOSTILE_VERBOSE"))) {
    writeLines(c("-- failures", hostile_counts$failures, "-- unnamed", hostile_counts$unnamed))
  }
  allowed <- vapply(
    hostile_counts$unnamed,
    function(entry) any(vapply(names(hostile_unnamed_allowed), grepl, logical(1L), x = entry, fixed = TRUE)),
    logical(1L)
  )
  expect_equal(hostile_counts$unnamed[!allowed], character(0))
  expect_equal(hostile_counts$failures, character(0))
  expect_equal(hostile_counts$calls, hostile_counts$errors + hostile_counts$successes)
})

crew_test("hostile worker limits are rejected or leave the worker running", {
  crew_test_skip()
  settings <- c("seconds_idle", "seconds_wall", "tasks_max", "tasks_timers")
  values <- list("1e300" = 1e300, "integer.max + 1" = .Machine$integer.max + 1)
  for (setting in settings) {
    for (label in names(values)) {
      args <- list(
        name = paste0("hostile_worker_", setting),
        workers = 1L,
        seconds_launch = 30
      )
      if (setting != "seconds_idle") {
        args$seconds_idle <- 30
      }
      args[[setting]] <- values[[label]]
      controller <- tryCatch(do.call(crew_controller_local, args), crew_error = identity)
      if (inherits(controller, "crew_error")) {
        expect_match(conditionMessage(controller), setting, fixed = TRUE)
        next
      }
      # Two tasks on one worker connection: the worker neither panicked
      # when it set its limits nor after its first task.
      controller$start()
      for (index in 1:2) {
        controller$push(TRUE, name = paste0("task_", index))
        expect_true(controller$wait(seconds_timeout = 60), label = paste(setting, label))
        result <- controller$pop()
        expect_equal(result$status, "success", label = paste(setting, label))
      }
      expect_equal(
        unname(controller$client$status()[["cumulative"]]),
        1L,
        label = paste(setting, label, "connections")
      )
      controller$terminate()
    }
  }
})
