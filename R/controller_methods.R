# The longer methods of crew_class_controller, as free functions that read
# like the spec of each method.

controller_reset <- function(private) {
  private$.tasks <- new.env(hash = TRUE, parent = emptyenv())
  private$.tasks_count <- 0L
  private$.crash_log <- new.env(hash = TRUE, parent = emptyenv())
  private$.queue_resolved <- crew_queue()
  private$.held_back <- NULL
}

controller_validate <- function(private) {
  crew_assert(
    inherits(private$.client, "crew_class_client"),
    message = "client must be a crew_class_client object."
  )
  crew_assert(
    inherits(private$.launcher, "crew_class_launcher"),
    message = "launcher must be a crew_class_launcher object."
  )
  private$.client$validate()
  private$.launcher$validate()
  for (field in c("reset_globals", "reset_packages", "reset_options", "garbage_collection")) {
    value <- private[[paste0(".", field)]]
    crew_assert(
      isTRUE(value) || isFALSE(value),
      message = paste(field, "must be a non-missing logical of length 1")
    )
  }
  crew_assert(
    private$.crashes_max,
    is.numeric(.),
    length(.) == 1L,
    !anyNA(.),
    is.finite(.),
    . >= 0,
    message = "crashes_max must be a finite nonnegative number of length 1."
  )
  if (!is.null(private$.backup)) {
    crew_assert(
      private$.crashes_max > 0,
      message = "crashes_max must be positive if backup is not NULL."
    )
    crew_assert(
      inherits(private$.backup, "crew_class_controller") &&
        !inherits(private$.backup, "crew_class_controller_group"),
      message = "backup must be a controller (not a controller group)."
    )
  }
  crew_assert(is.environment(private$.tasks), message = "tasks must be an environment.")
  crew_assert(is.environment(private$.crash_log), message = "crash log must be an environment.")
  invisible()
}

controller_task_handles <- function(private) {
  names <- ls(private$.tasks, sorted = FALSE, all.names = TRUE)
  out <- lapply(names, function(name) {
    handle <- private$.tasks[[name]]
    if (isTRUE(handle)) {
      handle <- task_handle(private$.client$profile, name)
      assign(name, handle, envir = private$.tasks)
    }
    handle
  })
  names(out) <- names
  out
}

controller_summary_zero <- function(name) {
  list(
    controller = name,
    seconds = 0,
    success = 0L,
    error = 0L,
    crash = 0L,
    cancel = 0L,
    warning = 0L
  )
}

controller_summary <- function(private) {
  summary <- private$.summary
  if (is.null(summary)) {
    return(NULL)
  }
  tibble::new_tibble(
    list(
      controller = summary$controller,
      seconds = summary$seconds,
      tasks = summary$success + summary$error + summary$crash + summary$cancel,
      success = summary$success,
      error = summary$error,
      crash = summary$crash,
      cancel = summary$cancel,
      warning = summary$warning
    ),
    nrow = 1L
  )
}

# Result rows are tibbles, whose `$` method is slow; .subset2() reads a
# column directly, which matters on paths taken once per task.
controller_summary_add <- function(private, rows) {
  summary <- private$.summary %||% controller_summary_zero(private$.launcher$name)
  status <- .subset2(rows, "status")
  summary$seconds <- summary$seconds + sum(.subset2(rows, "seconds"), na.rm = TRUE)
  summary$success <- summary$success + sum(status == "success")
  summary$error <- summary$error + sum(status == "error")
  summary$crash <- summary$crash + sum(status == "crash")
  summary$cancel <- summary$cancel + sum(status == "cancel")
  summary$warning <- summary$warning + sum(!is.na(.subset2(rows, "warnings")))
  private$.summary <- summary
}

controller_name_check <- function(name) {
  if (!(is.character(name) && length(name) == 1L && !anyNA(name) && nzchar(name))) {
    crew_error("name must be NULL or a nonempty character string.")
  }
}

# Plain conditionals rather than crew_assert(): push() runs this for every
# task, and it must stay cheap.
controller_task_arguments_check <- function(
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout
) {
  if (!is.list(data) || !is_named(data)) {
    crew_error("data must be a named list.")
  }
  if (!is.list(globals) || !is_named(globals)) {
    crew_error("globals must be a named list.")
  }
  if (!is.null(seed) && !(is.numeric(seed) && length(seed) == 1L && !anyNA(seed))) {
    crew_error("seed must be NULL or a non-missing number.")
  }
  if (!is.null(algorithm) &&
    !(is.character(algorithm) && length(algorithm) == 1L && !anyNA(algorithm) && nzchar(algorithm))) {
    crew_error("algorithm must be NULL or a nonempty character string.")
  }
  if (!is.character(packages) || anyNA(packages)) {
    crew_error("packages must be a character vector with no missing values.")
  }
  if (!is.null(library) && !(is.character(library) && !anyNA(library))) {
    crew_error("library must be NULL or a character vector with no missing values.")
  }
  if (!is.null(seconds_timeout) &&
    !(is.numeric(seconds_timeout) && length(seconds_timeout) == 1L &&
      !anyNA(seconds_timeout) && seconds_timeout >= 0)) {
    crew_error("seconds_timeout must be NULL or a nonnegative number.")
  }
}

controller_flag_check <- function(...) {
  flags <- list(...)
  for (name in names(flags)) {
    if (!(isTRUE(flags[[name]]) || isFALSE(flags[[name]]))) {
      crew_error(paste(name, "must be TRUE or FALSE."))
    }
  }
}

controller_task <- function(private, command, name, data, globals, seed, algorithm, packages, library) {
  list(
    command = command,
    name = name,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    reset_globals = private$.reset_globals,
    reset_packages = private$.reset_packages,
    reset_options = private$.reset_options,
    garbage_collection = private$.garbage_collection
  )
}

controller_push <- function(
  self,
  private,
  command,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout,
  scale,
  throttle,
  name
) {
  if (!isTRUE(private$.client$started)) {
    self$start()
  }
  controller_flag_check(scale = scale, throttle = throttle)
  controller_task_arguments_check(data, globals, seed, algorithm, packages, library, seconds_timeout)
  if (is.null(name)) {
    name <- name_task_tempfile()
    while (!is.null(private$.tasks[[name]])) {
      name <- name_task_tempfile()
    }
  } else {
    controller_name_check(name)
    if (!is.null(private$.tasks[[name]])) {
      crew_error(
        paste0(
          "crew task name \"", name, "\" already exists in the controller. ",
          "Pop or collect that task before pushing another one of the same name."
        )
      )
    }
  }
  backup <- private$.backup
  if (!is.null(backup) && private$.crashes_max > 0 && self$crashes(name = name) >= private$.crashes_max) {
    return(
      backup$push(
        command = command,
        data = data,
        globals = globals,
        substitute = FALSE,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_timeout = seconds_timeout,
        scale = scale,
        throttle = throttle,
        name = name
      )
    )
  }
  task <- controller_task(private, command, name, data, globals, seed, algorithm, packages, library)
  native_dispatcher_push(private$.client$profile, name, list(task), seconds_timeout)
  handle <- task_handle(private$.client$profile, name)
  assign(name, handle, envir = private$.tasks)
  private$.tasks_count <- private$.tasks_count + 1L
  if (scale) {
    self$scale(throttle = throttle)
  }
  invisible(handle)
}

controller_walk <- function(
  self,
  private,
  command,
  iterate,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout,
  names,
  save_command,
  verbose,
  scale,
  throttle,
  handles
) {
  self$start()
  crew_deprecate(
    name = "save_command",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = save_command
  )
  crew_assert(
    is.list(iterate) && length(iterate) > 0L && is_named(iterate) && !is.null(names(iterate)),
    message = "iterate must be a nonempty named list."
  )
  lengths <- vapply(iterate, length, integer(1L))
  crew_assert(
    all(lengths == lengths[[1L]]) && lengths[[1L]] > 0L,
    message = "all elements of iterate must be nonempty and have the same length."
  )
  controller_task_arguments_check(data, globals, seed, algorithm, packages, library, seconds_timeout)
  controller_flag_check(verbose = verbose, scale = scale, throttle = throttle)
  n <- lengths[[1L]]
  if (is.null(names)) {
    task_names <- paste(name_task_tempfile(), seq_len(n), sep = "_")
  } else {
    crew_assert(
      is.character(names) && length(names) == 1L && !anyNA(names) && names %in% base::names(iterate),
      message = "names must be NULL or the name of an element of iterate."
    )
    task_names <- as.character(iterate[[names]])
  }
  crew_assert(
    !anyNA(task_names) && !anyDuplicated(task_names) && all(nzchar(task_names)),
    message = "task names in walk() and map() must be nonempty, non-missing and unique."
  )
  held <- vapply(task_names, function(name) !is.null(private$.tasks[[name]]), logical(1L))
  if (any(held)) {
    crew_error(
      paste0(
        "task name \"", task_names[held][1L], "\" already exists in the controller. ",
        "Pop or collect that task first."
      )
    )
  }
  seeds <- if (!is.null(seed)) {
    if (seed > 0) 1L - seq_len(n) else 1L + seq_len(n)
  }
  start <- now()
  task <- controller_task(private, command, NULL, data, globals, NULL, algorithm, packages, library)
  fields <- base::names(iterate)
  tasks <- vector(mode = "list", length = n)
  for (index in seq_len(n)) {
    task_data <- data
    for (field in fields) {
      task_data[[field]] <- iterate[[field]][[index]]
    }
    task$name <- task_names[[index]]
    task["data"] <- list(task_data)
    task["seed"] <- list(seeds[index])
    tasks[[index]] <- task
  }
  native_dispatcher_push(private$.client$profile, task_names, tasks, seconds_timeout)
  entries <- if (handles) {
    lapply(task_names, task_handle, profile = private$.client$profile)
  } else {
    rep(list(TRUE), n)
  }
  names(entries) <- task_names
  list2env(entries, envir = private$.tasks)
  private$.tasks_count <- private$.tasks_count + n
  if (verbose) {
    crew_message(sprintf("%s tasks pushed in %s", n, units_time(now() - start)))
  }
  if (scale) {
    self$scale(throttle = throttle)
  }
  if (handles) entries else task_names
}

controller_map <- function(
  self,
  private,
  command,
  iterate,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_interval,
  seconds_timeout,
  names,
  save_command,
  error,
  warnings,
  verbose,
  scale,
  throttle
) {
  crew_deprecate(
    name = "seconds_interval",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = seconds_interval
  )
  if (self$size() > 0L) {
    crew_error("cannot map() until all prior tasks are completed and popped")
  }
  crew_assert(
    is.character(error) && length(error) == 1L && error %in% c("stop", "warn", "silent"),
    message = "error must be \"stop\", \"warn\", or \"silent\"."
  )
  controller_flag_check(warnings = warnings)
  start <- now()
  task_names <- controller_walk(
    self = self,
    private = private,
    command = command,
    iterate = iterate,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    seconds_timeout = seconds_timeout,
    names = names,
    save_command = save_command,
    verbose = FALSE,
    scale = scale,
    throttle = throttle,
    handles = FALSE
  )
  controller_block(self, private, "all", Inf, scale, throttle)
  columns <- native_dispatcher_take(private$.client$profile, task_names)
  private$.tasks <- new.env(hash = TRUE, parent = emptyenv())
  private$.tasks_count <- 0L
  results <- results_from_columns(columns, controller = private$.launcher$name)
  controller_account(private, results, hold_all = TRUE)
  if (verbose) {
    crew_message(sprintf("%s tasks resolved in %s", nrow(results), units_time(now() - start)))
  }
  if (warnings && any(!is.na(results$warnings))) {
    crew_warning(
      sprintf(
        "%s tasks encountered warnings. Warning messages of first such task: \"%s\".",
        sum(!is.na(results$warnings)),
        results$warnings[!is.na(results$warnings)][1L]
      )
    )
  }
  failed <- !is.na(results$error)
  if (!identical(error, "silent") && any(failed)) {
    message <- sprintf(
      "%s tasks were not successful. First error message: \"%s\".",
      sum(failed),
      results$error[failed][1L]
    )
    if (identical(error, "stop")) {
      private$.error <- results
      crew_error(
        paste(message, "\nSee the error field of your controller object for all results.")
      )
    }
    crew_warning(message)
  }
  results
}

# Crash accounting and the summary for rows about to be returned. A task
# past crashes_max raises an error, but its row is not lost: it is held back
# and returned by the next pop() or collect() (with the other rows of the
# same batch when `hold_all`, so a collect() loses nothing either).
controller_account <- function(private, rows, hold_all = FALSE) {
  names <- .subset2(rows, "name")
  crashed <- .subset2(rows, "code") == 19L
  log <- private$.crash_log
  if (length(log)) {
    steady <- intersect(names[!crashed], ls(log, all.names = TRUE))
    if (length(steady)) {
      rm(list = steady, envir = log)
    }
  }
  counts <- integer(0L)
  for (name in names[crashed]) {
    counts[[name]] <- (log[[name]] %||% 0L) + 1L
    assign(name, counts[[name]], envir = log)
  }
  over <- names(counts)[counts > private$.crashes_max]
  if (!length(over)) {
    controller_summary_add(private, rows)
    return(invisible())
  }
  exceeded <- names %in% over
  controller_summary_add(private, rows[!exceeded, , drop = FALSE])
  private$.summary$crash <- private$.summary$crash + length(over)
  held <- if (hold_all) rows else rows[exceeded, , drop = FALSE]
  private$.held_back <- results_bind(list(private$.held_back, held))
  crew_error(
    sprintf(
      paste(
        "the worker running task \"%s\" crashed %s consecutive time(s)",
        "in controller \"%s\", which exceeds crashes_max = %s.",
        "The task's crash row is held and will be returned by the next",
        "pop() or collect(). Raise crashes_max or set a backup controller",
        "to keep retrying."
      ),
      over[1L],
      counts[[over[1L]]],
      private$.launcher$name,
      private$.crashes_max
    )
  )
}

results_bind <- function(parts) {
  parts <- Filter(function(x) NROW(x) > 0L, parts)
  if (length(parts) == 1L) {
    return(parts[[1L]])
  }
  if (!length(parts)) {
    return(NULL)
  }
  columns <- lapply(monad_names, function(name) do.call(c, lapply(parts, `[[`, name)))
  names(columns) <- monad_names
  do.call(monad_from_columns, columns)
}

controller_error_check <- function(error, what) {
  valid <- is.null(error) ||
    (is.character(error) && length(error) == 1L && !anyNA(error) &&
      error %in% c("stop", "warn", "silent"))
  if (!valid) {
    crew_error(
      sprintf("invalid error argument to %s: must be NULL, \"stop\", \"warn\", or \"silent\".", what)
    )
  }
}

controller_relay_errors <- function(rows, error) {
  if (is.null(error) || identical(error, "silent")) {
    return(invisible())
  }
  error_text <- .subset2(rows, "error")
  failed <- !is.na(error_text) | .subset2(rows, "status") != "success"
  if (!any(failed)) {
    return(invisible())
  }
  message <- error_text[failed][1L]
  if (is.na(message)) {
    message <- paste("task", .subset2(rows, "name")[failed][1L], "did not succeed")
  }
  if (identical(error, "stop")) {
    crew_error(message)
  }
  crew_warning(message)
}

controller_take_held_back <- function(private, n) {
  held <- private$.held_back
  if (NROW(held) < 1L) {
    return(NULL)
  }
  n <- min(n, nrow(held))
  out <- held[seq_len(n), , drop = FALSE]
  private$.held_back <- if (n < nrow(held)) held[-seq_len(n), , drop = FALSE]
  out
}

controller_pop <- function(self, private, scale, collect, throttle, error) {
  if (!isTRUE(private$.client$started)) {
    return(NULL)
  }
  if (!is.null(collect)) crew_deprecate(
    name = "collect argument of pop()",
    date = "2024-11-04",
    version = "0.10.1.9000",
    alternative = "none (no longer used)",
    condition = "message",
    value = collect,
    skip_cran = TRUE,
    frequency = "once"
  )
  controller_error_check(error, "pop()")
  if (scale) {
    self$scale(throttle = throttle)
  }
  if (self$empty()) {
    return(NULL)
  }
  held <- controller_take_held_back(private, 1L)
  if (!is.null(held)) {
    controller_relay_errors(held, error)
    return(held)
  }
  profile <- private$.client$profile
  queue <- private$.queue_resolved
  # Names already queued go first; otherwise the dispatcher hands over
  # its oldest resolved task directly.
  columns <- NULL
  while (queue$nonempty() && !length(columns$name)) {
    columns <- native_dispatcher_take(profile, queue$pop())
  }
  if (!length(columns$name)) {
    columns <- native_dispatcher_take_resolved(profile, 1L)
  }
  name <- columns$name
  if (!length(name)) {
    return(NULL)
  }
  rm(list = name, envir = private$.tasks)
  private$.tasks_count <- private$.tasks_count - 1L
  row <- results_from_columns(columns, controller = private$.launcher$name)
  suppressWarnings(controller_account(private, row))
  controller_relay_errors(row, error)
  row
}

controller_collect <- function(self, private, scale, throttle, error) {
  controller_error_check(error, "collect()")
  if (scale) {
    self$scale(throttle = throttle)
  }
  if (self$empty()) {
    return(NULL)
  }
  held <- controller_take_held_back(private, Inf)
  columns <- native_dispatcher_take_resolved(private$.client$profile, Inf)
  private$.queue_resolved$clear()
  if (length(columns$name)) {
    rm(list = columns$name, envir = private$.tasks)
    private$.tasks_count <- private$.tasks_count - length(columns$name)
    rows <- results_from_columns(columns, controller = private$.launcher$name)
    controller_account(private, rows, hold_all = TRUE)
  } else {
    rows <- NULL
  }
  out <- results_bind(list(held, rows))
  if (is.null(out)) {
    return(NULL)
  }
  controller_relay_errors(out, error)
  out
}

controller_wait <- function(self, private, mode, seconds_interval, seconds_timeout, scale, throttle) {
  crew_deprecate(
    name = "seconds_interval",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = seconds_interval
  )
  mode <- as.character(mode)
  if (!(identical(mode, "all") || identical(mode, "one"))) {
    crew_error("mode must be \"all\" or \"one\".")
  }
  if (!(is.numeric(seconds_timeout) && length(seconds_timeout) == 1L &&
    !anyNA(seconds_timeout) && seconds_timeout >= 0)) {
    crew_error("seconds_timeout must be a nonnegative number.")
  }
  if (self$size() < 1L || !isTRUE(private$.client$started)) {
    return(identical(mode, "all"))
  }
  if (identical(mode, "one") && NROW(private$.held_back) > 0L) {
    return(invisible(TRUE))
  }
  invisible(controller_block(self, private, mode, seconds_timeout, scale, throttle))
}

# Blocks in the dispatcher until no task is unresolved (mode "all") or a
# task is resolved and not yet taken (mode "one"), waking up once per
# scaling interval to launch workers if `scale` is TRUE. The counters are
# exact, so there is no early return and no polling in between.
controller_block <- function(self, private, mode, seconds_timeout, scale, throttle) {
  profile <- private$.client$profile
  start <- now()
  repeat {
    if (scale) {
      self$scale(throttle = throttle)
    }
    remaining <- seconds_timeout - (now() - start)
    slice <- if (scale) max(0.05, private$.launcher$throttle$seconds_interval) else Inf
    if (native_dispatcher_wait(profile, mode, max(0, min(slice, remaining)))) {
      return(TRUE)
    }
    if (now() - start >= seconds_timeout) {
      return(FALSE)
    }
  }
}

controller_cancel <- function(private, names, all) {
  crew_assert(isTRUE(all) || isFALSE(all), message = "'all' must be TRUE or FALSE")
  crew_assert(
    is.character(names) && !anyNA(names) && all(nzchar(names)),
    message = "names must be a character vector with no missing or empty names."
  )
  if (!isTRUE(private$.client$started)) {
    return(invisible())
  }
  names <- names[vapply(names, function(name) !is.null(private$.tasks[[name]]), logical(1L))]
  if (all || length(names)) {
    native_dispatcher_cancel(private$.client$profile, names, all)
  }
  invisible()
}

controller_autoscale <- function(self, private, loop) {
  crew_assert(inherits(loop, "event_loop"), message = "loop must be a valid later loop")
  if (inherits(private$.loop, "event_loop")) {
    return(invisible())
  }
  self$start()
  private$.loop <- loop
  step <- function() {
    if (!inherits(private$.loop, "event_loop")) {
      return(invisible())
    }
    self$scale(throttle = TRUE)
    later::later(step, delay = private$.launcher$throttle$seconds_interval, loop = private$.loop)
  }
  step()
  invisible()
}
