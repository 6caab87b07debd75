#' @title Result column names
#' @description The 12 columns of a task result, in order.
#' @keywords internal
#' @format A character vector of length 12, set when the package loads.
#' @details The columns are the ones the native side builds result rows
#'   with (`RESULT_COLUMNS` in `src/rust/src/tasks/result_rows.rs`), read once when
#'   the package loads (see `task_rules_load()`).
monad_names <- NULL

#' @title Build result rows from whole columns
#' @description Assemble an n-row result tibble from 12 column vectors.
#'   The attributes are set directly, so the cost does not grow with the
#'   number of rows beyond copying the columns.
#' @keywords internal
#' @param name Character vector of task names.
#' @param command Character vector of deparsed commands.
#' @param result List of task values, one element per row.
#' @param status Character vector of statuses.
#' @param error Character vector of error messages.
#' @param code Integer vector of exit codes.
#' @param trace Character vector of call stack text.
#' @param warnings Character vector of warning text.
#' @param seconds Numeric vector of run times.
#' @param seed Numeric vector of seeds.
#' @param algorithm Character vector of RNG algorithms.
#' @param controller Character vector of controller names.
#' @return A tibble with one row per element of the columns.
monad_from_columns <- function(
  name,
  command,
  result,
  status,
  error,
  code,
  trace,
  warnings,
  seconds,
  seed,
  algorithm,
  controller
) {
  out <- list(
    name,
    command,
    result,
    status,
    error,
    code,
    trace,
    warnings,
    seconds,
    seed,
    algorithm,
    controller
  )
  n <- length(name)
  if (any(lengths(out) != n)) {
    crew_error(
      paste(
        "result columns must all have the same length, but they have",
        "lengths",
        paste(lengths(out), collapse = ", ")
      )
    )
  }
  names(out) <- monad_names
  tibble_ready()
  new_rows(out, n)
}

#' @title One result row
#' @description Build a one-row result tibble from single values.
#' @keywords internal
#' @param name Task name.
#' @param command Deparsed command.
#' @param result The value of the task, wrapped in a list in the output.
#' @param status Status string.
#' @param error Error message.
#' @param code Integer exit code.
#' @param trace Call stack text.
#' @param warnings Warning text.
#' @param seconds Run time in seconds.
#' @param seed Seed of the task.
#' @param algorithm RNG algorithm of the task.
#' @param controller Controller name.
#' @return A one-row tibble.
monad_new <- function(
  name = NA_character_,
  command = NA_character_,
  result = NA,
  status = NA_character_,
  error = NA_character_,
  code = NA_integer_,
  trace = NA_character_,
  warnings = NA_character_,
  seconds = NA_real_,
  seed = NA_integer_,
  algorithm = NA_character_,
  controller = NA_character_
) {
  monad_from_columns(
    name = name,
    command = command,
    result = list(result),
    status = status,
    error = error,
    code = code,
    trace = trace,
    warnings = warnings,
    seconds = seconds,
    seed = seed,
    algorithm = algorithm,
    controller = controller
  )
}

#' @title Empty result row
#' @description A one-row result tibble where every column is missing.
#' @keywords internal
#' @return A one-row tibble of missing values with the result column types.
monad_init <- function() {
  monad_new()
}

#' @title Check a result row
#' @description Raise a `crew_error` unless `x` is a one-row result tibble
#'   with the expected columns and column types.
#' @keywords internal
#' @param x Object to check.
#' @return `NULL` (invisibly).
monad_validate <- function(x) {
  if (!inherits(x, "tbl_df")) {
    crew_error("a task result must be a tibble")
  }
  if (!identical(names(x), monad_names)) {
    crew_error(
      paste(
        "a task result must have exactly these columns in order:",
        paste(monad_names, collapse = ", "),
        "but it has:",
        paste(names(x), collapse = ", ")
      )
    )
  }
  fields_chr <- c(
    "name",
    "command",
    "status",
    "error",
    "trace",
    "warnings",
    "algorithm",
    "controller"
  )
  for (field in fields_chr) {
    value <- x[[field]]
    if (!is.character(value) || length(value) != 1L) {
      crew_error(
        sprintf("result column %s must be a character of length 1", field)
      )
    }
  }
  for (field in c("seconds", "seed")) {
    value <- x[[field]]
    if (!is.numeric(value) || length(value) != 1L) {
      crew_error(
        sprintf("result column %s must be numeric of length 1", field)
      )
    }
  }
  if (!is.integer(x$code) || length(x$code) != 1L) {
    crew_error("result column code must be an integer of length 1")
  }
  if (!is.list(x$result) || length(x$result) != 1L) {
    crew_error("result column result must be a list of length 1")
  }
  invisible()
}

#' @title Status and error text of exit codes
#' @description Map task exit codes to the `status` and `error` columns
#'   of result rows. Code `0` is a success and `-1` an R-level error
#'   whose message comes from the task itself, so both give a missing
#'   `error`. Code 19 is a crash, 20 a cancellation, and every other
#'   code is an error whose text is `"<code> | <description>"`
#'   (for example `"5 | Timed out"` for a task that hit its timeout). The
#'   texts follow the NNG convention that crew 1.3.0 exposed to users and
#'   come from the same table the dispatcher uses for its result rows.
#' @keywords internal
#' @param code Integer vector of exit codes.
#' @return A list with character vectors `status` and `error`, each as
#'   long as `code`.
monad_outcome <- function(code) {
  native_code_outcome(code)
}
