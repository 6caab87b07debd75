#' @title Selection helpers from tidyselect
#' @name tidyselect_helpers
#' @rdname tidyselect_helpers
#' @keywords internal
#' @description These functions forward to the selection helpers of the
#'   `tidyselect` package, which is only loaded when one of them is called.
#'   They are meant for use inside selections, such as the `controllers`
#'   argument of controller group methods. See the `tidyselect`
#'   documentation for details.
#' @param x Character vector of names.
#' @param ... For `any_of()`, must be empty. For `one_of()`, character
#'   vectors of names.
#' @param vars Character vector of names to select from. `NULL` means the
#'   names of the current selection context.
#' @param .vars Like `vars`, for `one_of()`.
#' @param match Character vector of text to match.
#' @param ignore.case `TRUE` to ignore case when matching.
#' @param perl `TRUE` to use Perl-compatible regular expressions.
#' @param offset Integer: how many columns from the last one to select.
#' @param prefix Character string: prefix of the names.
#' @param range Integer vector: the numbers in the names.
#' @param suffix Character string: suffix of the names.
#' @param width Optional integer: width to zero-pad the numbers to.
#' @return An integer vector of positions within the selection context,
#'   as returned by the `tidyselect` helper.
#' @examples
#' choices <- list(a1 = 1, a2 = 2, b1 = 3)
#' tidyselect::eval_select(quote(starts_with("a")), choices)
NULL

#' @rdname tidyselect_helpers
#' @export
all_of <- function(x) {
  tidyselect::all_of(x = x)
}

#' @rdname tidyselect_helpers
#' @export
any_of <- function(x, ..., vars = NULL) {
  tidyselect::any_of(x = x, ..., vars = vars)
}

#' @rdname tidyselect_helpers
#' @export
contains <- function(match, ignore.case = TRUE, vars = NULL) {
  tidyselect::contains(match = match, ignore.case = ignore.case, vars = vars)
}

#' @rdname tidyselect_helpers
#' @export
ends_with <- function(match, ignore.case = TRUE, vars = NULL) {
  tidyselect::ends_with(match = match, ignore.case = ignore.case, vars = vars)
}

#' @rdname tidyselect_helpers
#' @export
everything <- function(vars = NULL) {
  tidyselect::everything(vars = vars)
}

#' @rdname tidyselect_helpers
#' @export
last_col <- function(offset = 0L, vars = NULL) {
  tidyselect::last_col(offset = offset, vars = vars)
}

#' @rdname tidyselect_helpers
#' @export
matches <- function(match, ignore.case = TRUE, perl = FALSE, vars = NULL) {
  tidyselect::matches(
    match = match,
    ignore.case = ignore.case,
    perl = perl,
    vars = vars
  )
}

#' @rdname tidyselect_helpers
#' @export
num_range <- function(prefix, range, suffix = "", width = NULL, vars = NULL) {
  tidyselect::num_range(
    prefix = prefix,
    range = range,
    suffix = suffix,
    width = width,
    vars = vars
  )
}

#' @rdname tidyselect_helpers
#' @export
one_of <- function(..., .vars = NULL) {
  tidyselect::one_of(..., .vars = .vars)
}

#' @rdname tidyselect_helpers
#' @export
starts_with <- function(match, ignore.case = TRUE, vars = NULL) {
  tidyselect::starts_with(
    match = match,
    ignore.case = ignore.case,
    vars = vars
  )
}
