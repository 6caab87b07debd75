# Taking results: pop(), collect(), crash accounting and error relaying.

# Crash accounting and the summary for rows about to be returned. A task
# past crashes_max raises an error, but its row is not lost: it is held back
# and returned by the next pop() or collect() (with the other rows of the
# same batch when `hold_all`, so a collect() loses nothing either).
controller_account <- function(private, rows, hold_all = FALSE) {
  task_names <- .subset2(rows, "name")
  crashed <- .subset2(rows, "code") == 19L
  log <- private$.crash_log
  if (length(log)) {
    steady <- intersect(task_names[!crashed], ls(log, all.names = TRUE))
    if (length(steady)) {
      rm(list = steady, envir = log)
    }
  }
  counts <- integer(0L)
  for (name in task_names[crashed]) {
    counts[[name]] <- (log[[name]] %||% 0L) + 1L
    assign(name, counts[[name]], envir = log)
  }
  over <- names(counts)[counts > private$.crashes_max]
  if (!length(over)) {
    controller_summary_add(private, rows)
    return(invisible())
  }
  exceeded <- task_names %in% over
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
  # Checked before the started test: a wrong argument is wrong whether or
  # not the controller has started.
  check_flag(scale, "scale")
  check_flag(throttle, "throttle")
  controller_error_check(error, "pop()")
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
  row <- results_from_columns(columns, controller = private$.launcher$name)
  task_handles_settle(private$.tasks, row)
  rm(list = name, envir = private$.tasks)
  private$.tasks_count <- private$.tasks_count - 1L
  suppressWarnings(controller_account(private, row))
  controller_relay_errors(row, error)
  row
}

controller_collect <- function(self, private, scale, throttle, error) {
  check_flag(scale, "scale")
  check_flag(throttle, "throttle")
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
    rows <- results_from_columns(columns, controller = private$.launcher$name)
    task_handles_settle(private$.tasks, rows)
    rm(list = columns$name, envir = private$.tasks)
    private$.tasks_count <- private$.tasks_count - length(columns$name)
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
