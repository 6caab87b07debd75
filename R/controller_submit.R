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

# The template of a walk's tasks, as push() serializes a task: built by
# the native side, which owns the task's fields, with the dispatcher's
# reset settings. Its name travels beside it, not inside it.
controller_task <- function(private, spec) {
  native_task(
    private$.dispatcher, spec$command, spec$data, spec$globals, NULL,
    spec$algorithm, spec$packages, spec$library
  )
}

# push() of a task spec (see task_spec()): the spec of a group, or of a
# push() beyond its common case, which the public method takes inline.
# First that common case, one native call that checks the arguments,
# names, serializes and queues the task (about 10 microseconds), then
# everything else: a controller that has not started, a backup that may
# take the task, or a dispatcher that stopped behind the controller's
# back.
controller_push <- function(self, private, spec) {
  push <- function() {
    native_push(
      private$.dispatcher, spec$command, spec$name, spec$data, spec$globals,
      spec$seed, spec$algorithm, spec$packages, spec$library,
      spec$seconds_timeout, spec$scale, spec$throttle
    )
  }
  if (!is.null(private$.dispatcher) && is.null(private$.backup)) {
    handle <- push()
    if (!is.null(handle)) {
      if (spec$scale) {
        controller_scale_when_due(self, private, spec$throttle)
      }
      return(invisible(handle))
    }
  }
  # Arguments first, so a wrong one leaves no dispatcher listening.
  task_spec_check(spec)
  name <- spec$name
  if (!isTRUE(private$.client$started) || is.null(private$.dispatcher)) {
    self$start()
  }
  backup <- private$.backup
  if (!is.null(backup) && !is.null(name) && private$.crashes_max > 0) {
    if (controller_holds(private, name)) {
      crew_error(native_duplicate_name(name))
    }
    if (self$crashes(name = name) >= private$.crashes_max) {
      return(controller_private(backup)$.push_task(spec))
    }
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
  if (spec$scale) {
    self$scale(throttle = spec$throttle)
  }
  invisible(handle)
}

# Checks a batch spec (see task_spec()) and works out its task names and
# seeds, for every kind of controller, then starts the controller.
# `scaling` as in task_spec_check(). Without `names`, the tasks are named
# `<prefix>_1`, `<prefix>_2`, ...; `task_names` spells them out only if
# `spell_names` (the dispatcher names the tasks of a batch itself).
walk_plan <- function(self, private, spec, spell_names = TRUE, scaling = TRUE) {
  spec <- task_spec_check(spec, scaling = scaling)
  n <- length(spec$iterate[[1L]])
  prefix <- NULL
  task_names <- spec$task_names
  if (is.null(spec$names)) {
    prefix <- name_task_tempfile()
    task_names <- if (spell_names) paste(prefix, seq_len(n), sep = "_")
  }
  # Started only now, so a wrong argument leaves no dispatcher listening.
  # The core refuses a name it already holds, before it queues anything.
  self$start()
  seed <- spec$seed
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

controller_walk <- function(self, private, spec, handles) {
  plan <- walk_plan(self, private, spec, spell_names = FALSE)
  n <- plan$n
  bar <- progress_bar(spec$verbose, "walk()", n, "tasks pushed")
  progress_set(bar, 0L)
  # One native call for the whole walk: the task template is serialized
  # once, and each task keeps only its own elements of `iterate` and its
  # seed. Everything is checked before any task is queued, so a task that
  # cannot be serialized leaves nothing half-submitted.
  out <- native_walk(
    private$.dispatcher,
    shared = list(task = controller_task(private, spec), fields = base::names(spec$iterate)),
    columns = walk_columns(spec$iterate),
    names = plan$task_names,
    prefix = plan$prefix,
    seeds = plan$seeds,
    seconds_timeout = spec$seconds_timeout,
    handles = handles
  )
  progress_set(bar, n)
  progress_done(bar)
  if (spec$scale) {
    self$scale(throttle = spec$throttle)
  }
  out
}

# map() after map_check() and task_spec(), which the public method runs.
controller_map <- function(self, private, spec, error, warnings) {
  task_names <- controller_walk(self, private, spec, handles = FALSE)
  bar <- progress_bar(spec$verbose, "map()", length(task_names), "tasks resolved")
  controller_block(self, private, "all", Inf, spec$scale, spec$throttle, bar = bar)
  progress_set(bar, length(task_names))
  progress_done(bar)
  results <- results_finish(native_take(private$.dispatcher, task_names))
  controller_account(private, results, hold_all = TRUE)
  map_report(private, results, error, warnings)
}

# What map() checks before it builds its task spec, for every kind of
# controller.
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
