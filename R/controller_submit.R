# Submitting tasks: push(), walk() and map() with their argument checks.

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

# The task a worker runs. Its name travels beside it, not inside it.
controller_task <- function(private, command, data, globals, seed, algorithm, packages, library) {
  list(
    command = command,
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

# push() beyond its common case, which the public method takes inline (one
# native call that checks the arguments, names, serializes and queues the
# task: about 10 microseconds): a controller that has not started, a
# backup that may take the task, or a dispatcher that stopped behind the
# controller's back.
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
  # Arguments first, so a wrong one leaves no dispatcher listening.
  check_flags(scale = scale, throttle = throttle)
  controller_task_arguments_check(data, globals, seed, algorithm, packages, library, seconds_timeout)
  if (!is.null(name)) {
    check_string(name, "name", allow_null = TRUE)
    check_task_name_lengths(name)
  }
  if (!isTRUE(private$.client$started) || is.null(private$.dispatcher)) {
    self$start()
  }
  backup <- private$.backup
  if (!is.null(backup) && !is.null(name) && private$.crashes_max > 0) {
    if (controller_holds(private, name)) {
      crew_error(
        paste0(
          "crew task name \"", name, "\" already exists in the controller. ",
          "Pop or collect that task before pushing another one of the same name."
        )
      )
    }
    if (self$crashes(name = name) >= private$.crashes_max) {
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
  }
  push <- function() {
    native_push(
      private$.dispatcher, command, name, data, globals, seed, algorithm,
      packages, library, seconds_timeout, scale, throttle
    )
  }
  handle <- push()
  if (is.null(handle)) {
    # The client was restarted behind the controller's back: its handle
    # points to the dispatcher that stopped.
    private$.dispatcher <- controller_dispatcher_handle(private)
    if (!is.null(private$.dispatcher)) {
      handle <- push()
    }
  }
  if (is.null(handle)) {
    crew_error("the controller's dispatcher is not running; call start() first.")
  }
  if (scale) {
    self$scale(throttle = throttle)
  }
  invisible(handle)
}

# Checks the arguments of walk() and map() and works out the task names
# and seeds, for every kind of controller. Without `names`, the tasks are
# named `<prefix>_1`, `<prefix>_2`, ...; `task_names` spells them out only
# if `spell_names` (the dispatcher names the tasks of a batch itself).
walk_plan <- function(
  self,
  private,
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
  spell_names = TRUE
) {
  crew_deprecate(
    name = "save_command",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = save_command
  )
  crew_assert(
    is.list(iterate) && length(iterate) > 0L && is_named(iterate) && !is.null(base::names(iterate)),
    message = "iterate must be a nonempty named list."
  )
  lengths <- vapply(iterate, length, integer(1L))
  crew_assert(
    all(lengths == lengths[[1L]]) && lengths[[1L]] > 0L,
    message = "all elements of iterate must be nonempty and have the same length."
  )
  controller_task_arguments_check(data, globals, seed, algorithm, packages, library, seconds_timeout)
  check_flags(verbose = verbose, scale = scale, throttle = throttle)
  n <- lengths[[1L]]
  prefix <- NULL
  if (is.null(names)) {
    prefix <- name_task_tempfile()
    task_names <- if (spell_names) paste(prefix, seq_len(n), sep = "_")
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
  check_task_name_lengths(task_names)
  # Started only now, so a wrong argument leaves no dispatcher listening.
  # The core refuses a name it already holds, before it queues anything.
  self$start()
  seeds <- if (!is.null(seed)) {
    if (seed > 0) 1L - seq_len(n) else 1L + seq_len(n)
  }
  list(n = n, task_names = task_names, prefix = prefix, seeds = seeds)
}

# The data of task `index`: `data` plus element `index` of each element of
# `iterate` (which wins on name clashes).
walk_task_data <- function(data, iterate, index) {
  for (field in base::names(iterate)) {
    data[[field]] <- iterate[[field]][[index]]
  }
  data
}

# The elements of `iterate` as the dispatcher keeps them: plain logical,
# integer, double and character vectors and plain lists as they are, and
# anything else (factors, dates, data frames, other classes) split into a
# list of what `[[` gives for each index, so every task gets exactly the
# element `walk_task_data()` would give it.
walk_columns <- function(iterate) {
  lapply(
    unname(iterate),
    function(column) {
      plain <- typeof(column) %in% c("logical", "integer", "double", "character", "list") &&
        all(base::names(attributes(column)) %in% "names") &&
        # Strings are copied as UTF-8; those marked "bytes" cannot be.
        !(is.character(column) && any(Encoding(column) == "bytes"))
      if (plain) column else lapply(seq_len(length(column)), function(index) column[[index]])
    }
  )
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
  plan <- walk_plan(
    self = self,
    private = private,
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
    verbose = verbose,
    scale = scale,
    throttle = throttle,
    spell_names = FALSE
  )
  n <- plan$n
  bar <- progress_bar(verbose, "walk()", n, "tasks pushed")
  progress_set(bar, 0L)
  task <- controller_task(private, command, data, globals, NULL, algorithm, packages, library)
  # One native call for the whole walk: the task template is serialized
  # once, and each task keeps only its own elements of `iterate` and its
  # seed. Everything is checked before any task is queued, so a task that
  # cannot be serialized leaves nothing half-submitted.
  out <- native_walk(
    private$.dispatcher,
    shared = list(task = task, fields = base::names(iterate)),
    columns = walk_columns(iterate),
    names = plan$task_names,
    prefix = plan$prefix,
    seeds = plan$seeds,
    seconds_timeout = seconds_timeout,
    handles = handles
  )
  progress_set(bar, n)
  progress_done(bar)
  if (scale) {
    self$scale(throttle = throttle)
  }
  out
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
  map_check(self, seconds_interval, error, warnings, verbose)
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
    verbose = verbose,
    scale = scale,
    throttle = throttle,
    handles = FALSE
  )
  bar <- progress_bar(verbose, "map()", length(task_names), "tasks resolved")
  controller_block(self, private, "all", Inf, scale, throttle, bar = bar)
  progress_set(bar, length(task_names))
  progress_done(bar)
  results <- results_finish(native_take(private$.dispatcher, task_names))
  controller_account(private, results, hold_all = TRUE)
  map_report(private, results, error, warnings)
}

# What map() checks before it pushes anything, for every kind of controller.
map_check <- function(self, seconds_interval, error, warnings, verbose) {
  crew_deprecate(
    name = "seconds_interval",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = seconds_interval
  )
  crew_assert(
    is.character(error) && length(error) == 1L && error %in% c("stop", "warn", "silent"),
    message = "error must be \"stop\", \"warn\", or \"silent\"."
  )
  check_flags(warnings = warnings, verbose = verbose)
  if (self$size() > 0L) {
    crew_error("cannot map() until all prior tasks are completed and popped")
  }
}

# How map() reports warnings and unsuccessful tasks, for every kind of
# controller; returns the results.
map_report <- function(private, results, error, warnings) {
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
