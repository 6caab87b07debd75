#' @title Fallback operators
#' @name utils_null_operators
#' @rdname utils_null_operators
#' @keywords internal
#' @description Choose between a value and a fallback:
#'   * `x %||% y` gives `y` when `x` has length zero.
#'   * `x %|||% y` gives `y` when `x` is `NULL`.
#'   * `x %||NA% y` gives `y` when `x` contains any `NA`.
#' @param x Value to check.
#' @param y Fallback value, only evaluated when needed.
#' @return `x` or `y`.
NULL

#' @rdname utils_null_operators
`%||%` <- function(x, y) {
  if (length(x) > 0L) x else y
}

#' @rdname utils_null_operators
`%|||%` <- function(x, y) {
  if (is.null(x)) y else x
}

#' @rdname utils_null_operators
`%||NA%` <- function(x, y) {
  if (anyNA(x)) y else x
}

#' @title Functional if-else
#' @description Return `true` if any element of `condition` is `TRUE`,
#'   otherwise `false`. Only the chosen branch is evaluated.
#' @keywords internal
#' @param condition Logical vector.
#' @param true Value to return when the condition holds.
#' @param false Value to return otherwise.
#' @return `true` or `false`.
if_any <- function(condition, true, false) {
  if (any(condition)) true else false
}

#' @title Sentinel object
#' @description A unique value that stands for "not supplied" where `NULL`
#'   is itself a meaningful value.
#' @keywords internal
crew_null <- structure(list(), class = "crew_null")

#' @title Check for the sentinel object
#' @description Tell whether `x` is `crew_null`.
#' @keywords internal
#' @param x Object to check.
#' @return `TRUE` if `x` is `crew_null`, `FALSE` otherwise.
is_crew_null <- function(x) {
  identical(x, crew_null)
}
