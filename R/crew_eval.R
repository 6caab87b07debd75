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
  if (!is.null(seed) && !(is.numeric(seed) && length(seed) == 1L && !is.na(seed) &&
    abs(seed) <= .Machine$integer.max)) {
    crew_error("seed must be NULL or a non-missing number.")
  }
  check_string(algorithm, "algorithm", allow_null = TRUE)
  if (!is.null(algorithm) && is.na(pmatch(algorithm, eval_rng_kinds))) {
    crew_error("algorithm must be NULL or a kind of random number generator of RNGkind().")
  }
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

# The kinds RNGkind() accepts (it also takes unique abbreviations).
eval_rng_kinds <- c(
  "Wichmann-Hill", "Marsaglia-Multicarry", "Super-Duper", "Mersenne-Twister",
  "Knuth-TAOCP", "user-supplied", "Knuth-TAOCP-2002", "L'Ecuyer-CMRG", "default"
)
