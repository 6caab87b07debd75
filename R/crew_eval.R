#' @title Evaluate a task and return a result row
#' @export
#' @family utility
#' @description Run one task the way a `crew` worker runs it, and return
#'   the outcome as a one-row tibble. Errors and warnings in the task are
#'   recorded in the result instead of being raised.
#' @details `crew_eval()` is what workers call for every task. It is
#'   exported so that developers can test a task locally, but most users
#'   never need to call it. The task's global variables, attached packages,
#'   options, and random number generator state are managed according to
#'   the arguments, and the run time covers only the evaluation of
#'   `command` itself.
#' @return A one-row tibble with columns `name`, `command`, `result`,
#'   `status`, `error`, `code`, `trace`, `warnings`, `seconds`, `seed`,
#'   `algorithm`, and `controller`. `result` is a list column with the
#'   value of the task, or `NA` if the task threw an error.
#' @param command Language object with the R code to run, already quoted.
#' @param name Character string, name of the task.
#' @param data Named list of local data objects in the evaluation
#'   environment.
#' @param globals Named list of objects to assign to the global environment
#'   before the task runs.
#' @param seed Integer of length 1 to pass to `set.seed()` before the task
#'   runs, or `NULL` to leave the random number generator state alone.
#'   If `seed` or `algorithm` is not `NULL`, the previous RNG state is
#'   restored after the task.
#' @param algorithm Character string, the random number generator
#'   algorithm to pass to `RNGkind()` before the task runs, or `NULL`
#'   to keep the current one.
#' @param packages Character vector of packages to load with `require()`
#'   before the task runs.
#' @param library Character vector of library paths to search for
#'   `packages`, or `NULL` for the default library paths.
#' @param reset_globals `TRUE` to remove the global variables that the
#'   task created (including the ones from `globals`) after it finishes.
#' @param reset_packages `TRUE` to detach the packages that the task
#'   attached after it finishes.
#' @param reset_options `TRUE` to restore the global options to their
#'   previous values after the task finishes.
#' @param garbage_collection `TRUE` to run garbage collection after the
#'   task finishes.
#' @examples
#' crew_eval(quote(1 + 1), name = "add")
#' out <- crew_eval(quote(stop("oops")), name = "fail")
#' out$error
crew_eval <- function(
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
  crew_eval_check(
    name = name,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection
  )
  record <- crew_eval_record(
    command = command,
    name = name,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection
  )
  monad_from_columns(
    name = record$name,
    command = record$command,
    result = list(record$value),
    status = record$status,
    error = record$error,
    code = record$code,
    trace = record$trace,
    warnings = record$warnings,
    seconds = record$seconds,
    seed = record$seed,
    algorithm = record$algorithm,
    controller = record$controller
  )
}

#' @title Check the arguments of [crew_eval()]
#' @description Raise a `crew_error` that names the first invalid
#'   argument. `command` is not checked: any value evaluates. Workers call
#'   [crew_eval_record()] directly with arguments the controller checked.
#' @keywords internal
#' @inheritParams crew_eval
#' @return `NULL` (invisibly).
crew_eval_check <- function(
  name,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  reset_globals,
  reset_packages,
  reset_options,
  garbage_collection
) {
  if (!(is.character(name) && length(name) == 1L && !is.na(name))) {
    crew_error("name must be a character string.")
  }
  if (!is.null(data) && !(is.list(data) && is_named(data))) {
    crew_error("data must be a named list.")
  }
  if (!is.null(globals) && !(is.list(globals) && is_named(globals))) {
    crew_error("globals must be a named list.")
  }
  if (!is.null(seed) && !(is.numeric(seed) && length(seed) == 1L && !is.na(seed))) {
    crew_error("seed must be NULL or a non-missing number.")
  }
  check_string(algorithm, "algorithm", allow_null = TRUE)
  if (!is.null(packages) && !(is.character(packages) && !anyNA(packages))) {
    crew_error("packages must be a character vector with no missing values.")
  }
  if (!is.null(library) && !(is.character(library) && !anyNA(library))) {
    crew_error("library must be NULL or a character vector with no missing values.")
  }
  check_flag(reset_globals, "reset_globals")
  check_flag(reset_packages, "reset_packages")
  check_flag(reset_options, "reset_options")
  check_flag(garbage_collection, "garbage_collection")
  invisible()
}

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

#' @title Deparse a task command
#' @keywords internal
#' @param command Language object or constant.
#' @return Character string, lines joined with newlines.
crew_eval_deparse <- function(command) {
  paste(
    deparse(
      command,
      control = c("keepNA", "keepInteger", "niceNames"),
      backtick = TRUE
    ),
    collapse = "\n"
  )
}

#' @title Deparse a task command, reusing the last result
#' @description Tasks from `walk()` and `map()` share one command, so a
#'   worker deparses it once instead of once per task.
#' @keywords internal
#' @param command Language object.
#' @return A string.
crew_eval_deparse_cached <- function(command) {
  cache <- crew_eval_cache
  if (is.null(cache$command_text) || !identical(command, cache$command)) {
    cache$command_text <- crew_eval_deparse(command)
    cache$command <- command
  }
  cache$command_text
}

#' @title Clean error or warning text
#' @description Collapse a message to one string, replace an empty message
#'   with `"."`, cut it to `crew_eval_max_nchar` characters, and replace
#'   text that is not valid UTF-8 with a fixed notice.
#' @keywords internal
#' @param text Character vector, usually a condition message.
#' @return Character string.
crew_eval_text <- function(text) {
  tryCatch(
    {
      text <- paste(as.character(text), collapse = "\n")
      # enc2utf8() silently escapes invalid bytes, so text that claims
      # to be UTF-8 already is checked before the conversion.
      claims_utf8 <- isTRUE(l10n_info()[["UTF-8"]]) ||
        identical(Encoding(text), "UTF-8")
      if (claims_utf8 && !validUTF8(text)) {
        return(crew_eval_text_encoding)
      }
      text <- enc2utf8(text)
      if (!validUTF8(text)) {
        crew_eval_text_encoding
      } else if (!nzchar(text)) {
        "."
      } else {
        substr(text, start = 1L, stop = crew_eval_max_nchar)
      }
    },
    error = function(condition) crew_eval_text_encoding
  )
}

#' @title Call stack text of an error
#' @keywords internal
#' @param calls List of calls from `sys.calls()`.
#' @return Character string, one call per line, cut to
#'   `crew_eval_max_nchar` characters.
crew_eval_trace <- function(calls) {
  text <- paste(as.character(calls), collapse = "\n")
  # The innermost calls say where the error happened, so a long trace
  # keeps its end.
  characters <- nchar(text, type = "chars", allowNA = TRUE)
  if (!is.na(characters) && characters > crew_eval_max_nchar) {
    text <- substr(text, characters - crew_eval_max_nchar + 1L, characters)
  }
  crew_eval_text(text)
}

#' @title Remove global variables created by a task
#' @description The RNG state is left to [crew_eval_restore_rng()].
#' @keywords internal
#' @param previous Names in the global environment before the task.
#' @return `NULL` (invisibly).
crew_eval_reset_globals <- function(previous) {
  current <- names(.GlobalEnv)
  new <- current[!(current %in% previous) & current != ".Random.seed"]
  if (length(new)) {
    rm(list = new, envir = .GlobalEnv)
  }
  invisible()
}

#' @title Detach packages attached by a task
#' @keywords internal
#' @param previous Value of `search()` before the task.
#' @return `NULL` (invisibly).
crew_eval_reset_packages <- function(previous) {
  for (entry in setdiff(search(), previous)) {
    try(
      suppressWarnings(detach(entry, character.only = TRUE)),
      silent = TRUE
    )
  }
  invisible()
}

#' @title Restore the random number generator after a task
#' @description Put back the previous RNG kind and, if there was one,
#'   the previous `.Random.seed`. If the session had no `.Random.seed`
#'   before the task, the state the task left stays in place, so the
#'   requested seed was honoured during the task.
#' @keywords internal
#' @param kind Previous value of `RNGkind()[1]`.
#' @param seed Previous `.Random.seed`, or `NULL` if there was none.
#' @return `NULL` (invisibly).
crew_eval_restore_rng <- function(kind, seed) {
  if (!identical(RNGkind()[1L], kind)) {
    RNGkind(kind = kind)
  }
  if (!is.null(seed)) {
    assign(".Random.seed", seed, envir = .GlobalEnv)
  }
  invisible()
}

#' @title Load the packages of a task
#' @keywords internal
#' @param packages Character vector of package names.
#' @param library Character vector of library paths, or `NULL` for the
#'   default paths.
#' @return `NULL` (invisibly). Raises a `crew_error` if any package
#'   cannot be loaded.
load_packages <- function(packages, library) {
  missing <- character(0L)
  for (package in packages) {
    loaded <- suppressWarnings(
      require(
        package,
        lib.loc = library,
        quietly = TRUE,
        character.only = TRUE
      )
    )
    if (!loaded) {
      missing <- c(missing, package)
    }
  }
  if (length(missing)) {
    paths <- if (is.null(library)) .libPaths() else library
    crew_error(
      sprintf(
        "could not find packages %s in library paths %s",
        paste(missing, collapse = ", "),
        paste(paths, collapse = ", ")
      )
    )
  }
  invisible()
}

#' @title Per-process cache of crew_eval() look-ups
#' @keywords internal
crew_eval_cache <- new.env(parent = emptyenv())

#' @title Whether task phases can be logged with autometric
#' @description Checked once per process, because looking for a package
#'   that is not installed costs file system access on every task.
#' @keywords internal
#' @return `TRUE` if autometric (>= 0.1.0) is installed.
crew_eval_autometric <- function() {
  available <- crew_eval_cache$autometric
  if (is.null(available)) {
    available <- isTRUE(
      tryCatch(
        utils::packageVersion("autometric") >= "0.1.0",
        error = function(condition) FALSE
      )
    )
    crew_eval_cache$autometric <- available
  }
  available
}

#' @title Set or reset the autometric logging phase
#' @keywords internal
#' @param phase Character string with the new phase, or `NULL` to reset it.
#' @return `NULL` (invisibly).
crew_eval_autometric_phase <- function(phase) {
  # autometric is optional, so it is reached without a static reference.
  if (is.null(phase)) {
    getExportedValue("autometric", "log_phase_reset")()
  } else {
    getExportedValue("autometric", "log_phase_set")(phase)
  }
  invisible()
}
