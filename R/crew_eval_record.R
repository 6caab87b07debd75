# Evaluating one task into a plain record, the part of crew_eval() that
# workers run for every task.

#' @title Maximum characters of error, warning, and trace text
#' @keywords internal
crew_eval_max_nchar <- 2048L

#' @title Maximum number of warnings kept per task
#' @description A warning is kept only while fewer than this many have
#'   occurred in the task, so at most 50 are kept.
#' @keywords internal
crew_eval_max_warnings <- 51L

#' @title Text for messages that cannot be processed
#' @keywords internal
crew_eval_text_encoding <- paste(
  "crew could not process the error or warning message",
  "due to a text encoding issue."
)

#' @title Evaluate a task into a plain record
#' @description The engine of [crew_eval()]. Workers call it directly and
#'   send the fields over the network, so it uses only base R and the
#'   package's own helpers: no tibble, cli, or tidyselect. It runs once per
#'   task, so it keeps its state in its own frame, expects arguments that
#'   were already checked, and makes one `tryCatch()` and one
#'   `withCallingHandlers()` call: about 10 microseconds beyond the task.
#' @keywords internal
#' @inheritParams crew_eval
#' @param worker `TRUE` on a worker, which runs with interrupts suspended
#'   between tasks: the command may then be interrupted (a cancellation,
#'   which the worker loop catches), and the `controller` field is left
#'   for the worker's native code to fill in.
#' @return A named list with elements `name`, `command` (deparsed text),
#'   `value` (the value of the task, `NA` on error), `status`, `error`,
#'   `code`, `trace`, `warnings`, `seconds`, `seed`, `algorithm`,
#'   and `controller`.
crew_eval_record <- function(
  command,
  name,
  data = list(),
  globals = list(),
  seed = NULL,
  algorithm = NULL,
  packages = character(0),
  library = NULL,
  reset_globals = TRUE,
  reset_packages = FALSE,
  reset_options = FALSE,
  garbage_collection = FALSE,
  worker = FALSE
) {
  if (reset_globals) {
    previous_globals <- names(.GlobalEnv)
    on.exit(crew_eval_reset_globals(previous_globals), add = TRUE)
  }
  if (reset_packages) {
    previous_search <- search()
    on.exit(crew_eval_reset_packages(previous_search), add = TRUE)
  }
  if (reset_options) {
    previous_options <- options()
    on.exit(options(previous_options), add = TRUE)
  }
  if (garbage_collection) {
    on.exit(gc(verbose = FALSE), add = TRUE)
  }
  if (!is.null(seed) || !is.null(algorithm)) {
    previous_kind <- RNGkind()
    previous_seed <- .GlobalEnv[[".Random.seed"]]
    on.exit(crew_eval_restore_rng(previous_kind, previous_seed), add = TRUE)
    if (!is.null(algorithm)) {
      RNGkind(kind = algorithm)
    }
    if (!is.null(seed)) {
      set.seed(seed)
    }
  }
  if (length(packages)) {
    load_packages(packages = packages, library = library)
  }
  if (length(globals)) {
    list2env(globals, envir = .GlobalEnv)
  }
  envir <- list2env(if (is.null(data)) list() else data, parent = .GlobalEnv)
  error <- NA_character_
  calls <- NULL
  signalled <- NULL
  warnings <- character(0L)
  warnings_count <- 0L
  warnings_nchar <- 0L
  # The stack is only visible while the error is being signalled, but an
  # error that the task catches itself must not count, so the calling
  # handler only remembers the calls and the exiting handler decides.
  # Frames above this function belong to the caller (for example the
  # worker loop): they are left out of the trace, and so is the handler's
  # own frame.
  depth <- sys.nframe()
  handle_signal <- function(condition) {
    signalled <<- condition
    stack <- sys.calls()
    calls <<- stack[-c(seq_len(min(depth, length(stack))), length(stack))]
  }
  handle_error <- function(condition) {
    if (!identical(signalled, condition)) {
      calls <<- NULL
    }
    error <<- crew_eval_text(conditionMessage(condition))
    message("Error: ", error)
    NA
  }
  handle_warning <- function(condition) {
    text <- crew_eval_text(conditionMessage(condition))
    warnings_count <<- warnings_count + 1L
    if (warnings_count < crew_eval_max_warnings && warnings_nchar < crew_eval_max_nchar) {
      warnings_nchar <<- warnings_nchar + (if (length(warnings)) 2L else 0L) + nchar(text)
      warnings <<- c(warnings, text)
    }
    message("Warning: ", text)
    invokeRestart("muffleWarning")
  }
  start <- now()
  value <- tryCatch(
    withCallingHandlers(
      if (worker) allowInterrupts(eval(command, envir = envir)) else eval(command, envir = envir),
      error = handle_signal,
      warning = handle_warning
    ),
    error = handle_error
  )
  seconds <- now() - start
  failed <- !is.na(error)
  list(
    name = name,
    command = crew_eval_deparse_cached(command),
    value = value,
    status = if (failed) "error" else "success",
    error = error,
    code = if (failed) -1L else 0L,
    trace = if (failed && !is.null(calls)) crew_eval_trace(calls) else NA_character_,
    warnings = if (length(warnings)) {
      substr(paste(warnings, collapse = ". "), start = 1L, stop = crew_eval_max_nchar)
    } else {
      NA_character_
    },
    seconds = seconds,
    seed = if (is.null(seed)) NA_integer_ else seed,
    algorithm = if (is.null(algorithm)) NA_character_ else algorithm,
    controller = if (worker) NULL else Sys.getenv("CREW_CONTROLLER", unset = NA_character_)
  )
}

#' @title Run a task received by a worker
#' @description Evaluates the task a worker received, as [crew_eval()]
#'   would, and returns the record to send back.
#' @keywords internal
#' @param task The task list sent by the controller.
#' @param name The task's name.
#' @return A record as from [crew_eval_record()].
crew_eval_task <- function(task, name) {
  crew_eval_record(
    command = .subset2(task, "command"),
    name = name,
    data = .subset2(task, "data"),
    globals = .subset2(task, "globals"),
    seed = .subset2(task, "seed"),
    algorithm = .subset2(task, "algorithm"),
    packages = .subset2(task, "packages"),
    library = .subset2(task, "library"),
    reset_globals = .subset2(task, "reset_globals"),
    reset_packages = .subset2(task, "reset_packages"),
    reset_options = .subset2(task, "reset_options"),
    garbage_collection = .subset2(task, "garbage_collection"),
    worker = TRUE
  )
}
