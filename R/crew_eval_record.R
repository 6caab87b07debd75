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
#'   package's own helpers: no tibble, cli, or tidyselect.
#' @keywords internal
#' @inheritParams crew_eval
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
  garbage_collection = FALSE
) {
  if (isTRUE(reset_globals)) {
    previous_globals <- names(.GlobalEnv)
    on.exit(crew_eval_reset_globals(previous_globals), add = TRUE)
  }
  if (isTRUE(reset_packages)) {
    previous_search <- search()
    on.exit(crew_eval_reset_packages(previous_search), add = TRUE)
  }
  if (isTRUE(reset_options)) {
    previous_options <- options()
    on.exit(options(previous_options), add = TRUE)
  }
  if (isTRUE(garbage_collection)) {
    on.exit(gc(verbose = FALSE), add = TRUE)
  }
  if (!is.null(seed) || !is.null(algorithm)) {
    previous_kind <- RNGkind()[1L]
    previous_seed <- .GlobalEnv[[".Random.seed"]]
    on.exit(crew_eval_restore_rng(previous_kind, previous_seed), add = TRUE)
    if (!is.null(algorithm)) {
      RNGkind(kind = algorithm)
    }
    if (!is.null(seed)) {
      set.seed(seed)
    }
  }
  if (crew_eval_autometric()) {
    crew_eval_autometric_phase(name)
    on.exit(crew_eval_autometric_phase(NULL), add = TRUE)
  }
  if (length(packages)) {
    load_packages(packages = packages, library = library)
  }
  if (length(globals)) {
    list2env(globals, envir = .GlobalEnv)
  }
  if (is.null(data)) {
    data <- list()
  }
  envir <- list2env(data, parent = .GlobalEnv)
  state <- new.env(parent = emptyenv())
  state$error <- NA_character_
  state$calls <- NULL
  state$signalled <- NULL
  state$warnings <- character(0L)
  state$warnings_count <- 0L
  state$warnings_nchar <- 0L
  # The stack is only visible while the error is being signalled, but an
  # error that the task catches itself must not count, so the calling
  # handler only remembers the calls and the exiting handler decides.
  # Frames above this function belong to the caller (for example the
  # worker loop, whose calls carry the whole task): they are left out of
  # the trace, and so is the handler's own frame.
  depth <- sys.nframe()
  handle_signal <- function(condition) {
    state$signalled <- condition
    calls <- sys.calls()
    state$calls <- calls[-c(seq_len(min(depth, length(calls))), length(calls))]
  }
  handle_error <- function(condition) {
    if (!identical(state$signalled, condition)) {
      state$calls <- NULL
    }
    state$error <- crew_eval_text(conditionMessage(condition))
    message("Error: ", state$error)
    NA
  }
  handle_warning <- function(condition) {
    text <- crew_eval_text(conditionMessage(condition))
    state$warnings_count <- state$warnings_count + 1L
    keep <- state$warnings_count < crew_eval_max_warnings &&
      state$warnings_nchar < crew_eval_max_nchar
    if (keep) {
      separator <- if (length(state$warnings)) 2L else 0L
      state$warnings <- c(state$warnings, text)
      state$warnings_nchar <- state$warnings_nchar + separator + nchar(text)
    }
    message("Warning: ", text)
    invokeRestart("muffleWarning")
  }
  start <- now()
  value <- tryCatch(
    withCallingHandlers(
      eval(command, envir = envir),
      error = handle_signal,
      warning = handle_warning
    ),
    error = handle_error
  )
  seconds <- now() - start
  failed <- !is.na(state$error)
  warnings <- if (length(state$warnings)) {
    substr(
      paste(state$warnings, collapse = ". "),
      start = 1L,
      stop = crew_eval_max_nchar
    )
  } else {
    NA_character_
  }
  list(
    name = name,
    command = crew_eval_deparse_cached(command),
    value = value,
    status = if (failed) "error" else "success",
    error = state$error,
    code = if (failed) -1L else 0L,
    trace = if (failed && !is.null(state$calls)) {
      crew_eval_trace(state$calls)
    } else {
      NA_character_
    },
    warnings = warnings,
    seconds = seconds,
    seed = if (is.null(seed)) NA_integer_ else seed,
    algorithm = if (is.null(algorithm)) NA_character_ else algorithm,
    controller = Sys.getenv("CREW_CONTROLLER", unset = NA_character_)
  )
}
