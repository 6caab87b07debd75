#' @title Create directories
#' @description Create each directory in `x`, with parents, unless it
#'   already exists.
#' @keywords internal
#' @param x Character vector of directory paths.
#' @return `NULL` (invisibly).
dir_create <- function(x) {
  for (path in x[!dir.exists(x)]) {
    dir.create(path, recursive = TRUE, showWarnings = FALSE)
  }
  invisible()
}

#' @title Human-readable duration
#' @description Express a number of seconds in the largest sensible unit.
#' @details Seconds are kept up to one minute, then minutes up to one hour,
#'   hours up to one day, days up to 30 days, months (of 30 days) up to
#'   365 days, and years (of 365 days) beyond.
#' @keywords internal
#' @param x Numeric scalar, a duration in seconds.
#' @return A string such as `"1.5 minutes"`, or `""` if `x` is `NA`.
units_time <- function(x) {
  if (anyNA(x)) {
    return("")
  }
  minute <- 60
  hour <- 60 * minute
  day <- 24 * hour
  month <- 30 * day
  year <- 365 * day
  if (x <= minute) {
    value <- x
    units <- "seconds"
  } else if (x <= hour) {
    value <- x / minute
    units <- "minutes"
  } else if (x <= day) {
    value <- x / hour
    units <- "hours"
  } else if (x <= month) {
    value <- x / day
    units <- "days"
  } else if (x <= year) {
    value <- x / month
    units <- "months"
  } else {
    value <- x / year
    units <- "years"
  }
  paste(round(value, digits = 3L), units)
}

#' @title Check that a list has usable names
#' @description Lists must have unique, non-empty, non-missing names.
#'   Anything that is not a list, and any empty list, passes.
#' @keywords internal
#' @param x Object to check.
#' @return `TRUE` or `FALSE`.
is_named <- function(x) {
  if (!is.list(x) || length(x) < 1L) {
    return(TRUE)
  }
  names <- names(x)
  !is.null(names) &&
    !anyNA(names) &&
    all(nzchar(names)) &&
    !anyDuplicated(names)
}

#' @title Resolve a tidyselect expression against names
#' @description Evaluate a tidyselect expression such as
#'   `c(a, starts_with("b"))` against a set of choices and return the
#'   names it selects.
#' @keywords internal
#' @param expr A quosure (from [rlang::enquo()]), or an unevaluated
#'   expression, or a character vector of names. `NULL` (or a quosure of
#'   `NULL`) selects nothing.
#' @param choices The names to select from: a character vector of names,
#'   or a named list or vector whose names are the choices.
#' @return Character vector of the selected names, in selection order.
eval_tidyselect <- function(expr, choices) {
  if (is.null(expr) || (rlang::is_quosure(expr) && rlang::quo_is_null(expr))) {
    return(character(0L))
  }
  names <- if (is.null(names(choices))) {
    as.character(unlist(choices, use.names = FALSE))
  } else {
    names(choices)
  }
  if (length(names) < 1L) {
    return(character(0L))
  }
  data <- rlang::set_names(as.list(seq_along(names)), names)
  selected <- tidyselect::eval_select(
    expr = expr,
    data = data,
    env = parent.frame()
  )
  as.character(names(selected))
}

#' @title Default task name from a temporary file name
#' @description Make a task name that is unlikely to be in use, based on
#'   the random part of a temporary file name.
#' @keywords internal
#' @return A string starting with `"unnamed_task_"`.
name_task_tempfile <- function() {
  basename(tempfile(pattern = "unnamed_task_"))
}

#' @title Default task name from a cryptographic random string
#' @description Make a task name from 32 random bytes.
#' @keywords internal
#' @return A string: `"unnamed_task_"` followed by 64 hex characters.
name_task_nanonext <- function() {
  paste0("unnamed_task_", native_random_name(32L))
}

#' @title Monotonic clock
#' @description Current time in seconds on a monotonic clock. Only
#'   differences between two readings are meaningful.
#' @keywords internal
#' @return Numeric scalar, seconds.
now <- native_now
