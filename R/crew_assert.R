#' @title Check a condition
#' @export
#' @description Raise a classed `crew` error if a condition is not met.
#'   Plugins and internal code use it to validate arguments.
#' @details Each expression in `...` is evaluated with `.` standing for
#'   `value` and reduced with [all()]. A missing value (`NA`) counts as a
#'   failure. Without any expressions in `...`, `value` itself must be
#'   `TRUE` (or all `TRUE`).
#' @param value Object to check, available as `.` in the expressions in
#'   `...`.
#' @param ... Unevaluated expressions that must all be `TRUE`.
#' @param message Optional character string to use as the error message.
#'   If `NULL`, a message is built from the failing expressions.
#' @param envir Environment in which to evaluate the expressions (besides
#'   the `.` binding).
#' @return `NULL` (invisibly). Raises an error of classes
#'   `crew_error_invalid_argument` and `crew_error` if any condition fails
#'   (see [crew_conditions]).
#' @examples
#' crew_assert(1 + 1 == 2)
#' crew_assert("object", !anyNA(.), nzchar(.))
#' tryCatch(
#'   crew_assert(2, . < 1, message = "too large"),
#'   crew_error = function(condition) conditionMessage(condition)
#' )
crew_assert <- function(
  value = NULL,
  ...,
  message = NULL,
  envir = parent.frame()
) {
  conditions <- match.call(expand.dots = FALSE)$...
  value_expr <- substitute(value)
  if (length(conditions) < 1L) {
    conditions <- list(value_expr)
  }
  data <- list(. = value)
  for (condition in conditions) {
    result <- eval(condition, envir = data, enclos = envir)
    result <- tryCatch(all(result), error = crew_condition_false)
    if (!isTRUE(result)) {
      if (is.null(message)) {
        message <- crew_assert_message(conditions, value_expr)
      }
      crew_error(message, kind = "invalid_argument")
    }
  }
  invisible()
}

# The conditions passed to crew_assert() name the value `.`, which exists
# only in the list crew_assert() evaluates them in. R CMD check's usage
# scan sees the calls, not that list, and reports `.` as an undefined
# global in every caller; declaring it once here answers all of them.
utils::globalVariables(".")

#' @title Default message of [crew_assert()]
#' @description Describe the conditions that [crew_assert()] requires.
#' @keywords internal
#' @param conditions List of language objects.
#' @param value_expr The unevaluated `value` argument.
#' @return A string.
crew_assert_message <- function(conditions, value_expr) {
  text <- vapply(
    conditions,
    function(condition) paste0("all(", crew_deparse(condition), ")"),
    character(1L)
  )
  paste(
    paste(text, collapse = " && "),
    "is not true on . =",
    crew_deparse(value_expr)
  )
}

#' @title Deparse to one string
#' @description Deparse an expression into a single line of text.
#' @keywords internal
#' @param expr Any R object.
#' @return A string.
crew_deparse <- function(expr) {
  paste(trimws(deparse(expr, width.cutoff = 500L)), collapse = " ")
}
