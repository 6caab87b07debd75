# Taking results: pop(), collect(), crash accounting and error relaying.

# Crash accounting and the summary for rows about to be returned. A task
# past crashes_max raises an error, but its row is not lost: it is held back
# and returned by the next pop() or collect() (with the other rows of the
# same batch when `hold_all`, so a collect() loses nothing either).
controller_account <- function(private, rows, hold_all = FALSE) {
  # Rows from the dispatcher were counted for the summary as they left it.
  counted <- !is.null(private$.dispatcher)
  crashed <- .subset2(rows, "code") == 19L
  log <- private$.crash_log
  if (!any(crashed) && !length(log)) {
    if (!counted) {
      controller_summary_add(private, rows)
    }
    return(invisible())
  }
  task_names <- .subset2(rows, "name")
  if (length(log)) {
    steady <- task_names[!crashed]
    steady <- steady[vapply(steady, exists, logical(1L), envir = log, inherits = FALSE)]
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
    if (!counted) {
      controller_summary_add(private, rows)
    }
    return(invisible())
  }
  exceeded <- task_names %in% over
  if (!counted) {
    controller_summary_add(private, rows[!exceeded, , drop = FALSE])
    private$.summary$crash <- private$.summary$crash + length(over)
  }
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

# Rows from the dispatcher, ready for the user. Crash rows name the process of the worker that held
# the task; where the launcher knows how that process ended, the error text
# says so.
results_finish <- function(rows) {
  tibble_ready()
  pids <- attr(rows, "crew_pids", exact = TRUE)
  if (is.null(pids)) {
    return(rows)
  }
  attr(rows, "crew_pids") <- NULL
  crashed <- which(!is.na(pids))
  how <- worker_exits_describe(pids[crashed])
  known <- crashed[!is.na(how)]
  if (length(known)) {
    class <- class(rows)
    rows <- unclass(rows)
    rows$error[known] <- sprintf("%s (%s)", rows$error[known], how[!is.na(how)])
    class(rows) <- class
  }
  rows
}

# pop() runs once per task: its checks are primitives, and a row that is
# neither a crash nor an error goes from one native call to the summary
# with nothing in between.
controller_pop <- function(self, private, scale, collect, throttle, error) {
  # Checked before the started test: a wrong argument is wrong whether or
  # not the controller has started.
  if (!is.logical(scale) || length(scale) != 1L || is.na(scale)) {
    check_flag(scale, "scale")
  }
  if (!is.logical(throttle) || length(throttle) != 1L || is.na(throttle)) {
    check_flag(throttle, "throttle")
  }
  if (!is.null(error)) {
    controller_error_check(error, "pop()")
  }
  dispatcher <- private$.dispatcher
  if (is.null(dispatcher)) {
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
    controller_scale_when_due(self, private, throttle)
  }
  if (!is.null(private$.held_back)) {
    held <- controller_take_held_back(private, 1L)
    if (!is.null(held)) {
      controller_relay_errors(held, error)
      return(held)
    }
  }
  # Names already queued go first; otherwise the dispatcher hands over
  # its oldest resolved task directly.
  rows <- NULL
  queue <- private$.queue_resolved
  while (queue$nonempty() && !length(.subset2(rows, "name"))) {
    rows <- native_take(dispatcher, queue$pop())
  }
  if (!length(.subset2(rows, "name"))) {
    rows <- native_take(dispatcher, NULL, 1L)
    if (!length(.subset2(rows, "name"))) {
      return(NULL)
    }
  }
  rows <- results_finish(rows)
  controller_account(private, rows)
  if (!is.null(error)) {
    controller_relay_errors(rows, error)
  }
  rows
}

controller_collect <- function(self, private, scale, throttle, error) {
  check_flag(scale, "scale")
  check_flag(throttle, "throttle")
  controller_error_check(error, "collect()")
  if (scale) {
    self$scale(throttle = throttle)
  }
  held <- controller_take_held_back(private, Inf)
  dispatcher <- private$.dispatcher
  rows <- if (!is.null(dispatcher)) native_take(dispatcher, NULL, Inf)
  private$.queue_resolved$clear()
  if (length(.subset2(rows, "name"))) {
    rows <- results_finish(rows)
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
