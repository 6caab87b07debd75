#' @title Filter a list or vector
#' @description Keep the elements of `x` for which `f` returns `TRUE`.
#' @keywords internal
#' @param x List or vector.
#' @param f Function of one element returning `TRUE` or `FALSE`.
#' @return The elements of `x` that pass `f`, names kept.
fltr <- function(x, f) {
  keep <- vapply(x, function(element) isTRUE(f(element)), logical(1L))
  x[keep]
}

#' @title Map to a character vector
#' @description Apply `f` to each element of `x` and collect one string
#'   per element.
#' @keywords internal
#' @param x List or vector.
#' @param f Function returning a character scalar.
#' @param ... Further arguments to `f`.
#' @return Character vector with the names of `x`.
map_chr <- function(x, f, ...) {
  out <- vapply(X = x, FUN = f, FUN.VALUE = character(1L), ..., USE.NAMES = FALSE)
  names(out) <- names(x)
  out
}

#' @title Map to a double vector
#' @description Apply `f` to each element of `x` and collect one number
#'   per element.
#' @keywords internal
#' @param x List or vector.
#' @param f Function returning a numeric scalar.
#' @param ... Further arguments to `f`.
#' @return Double vector with the names of `x`.
map_dbl <- function(x, f, ...) {
  out <- vapply(X = x, FUN = f, FUN.VALUE = numeric(1L), ..., USE.NAMES = FALSE)
  names(out) <- names(x)
  out
}

#' @title Map to an integer vector
#' @description Apply `f` to each element of `x` and collect one integer
#'   per element.
#' @keywords internal
#' @param x List or vector.
#' @param f Function returning an integer scalar.
#' @param ... Further arguments to `f`.
#' @return Integer vector with the names of `x`.
map_int <- function(x, f, ...) {
  out <- vapply(X = x, FUN = f, FUN.VALUE = integer(1L), ..., USE.NAMES = FALSE)
  names(out) <- names(x)
  out
}

#' @title Map to a logical vector
#' @description Apply `f` to each element of `x` and collect one logical
#'   per element.
#' @keywords internal
#' @param x List or vector.
#' @param f Function returning a logical scalar.
#' @param ... Further arguments to `f`.
#' @return Logical vector with the names of `x`.
map_lgl <- function(x, f, ...) {
  out <- vapply(X = x, FUN = f, FUN.VALUE = logical(1L), ..., USE.NAMES = FALSE)
  names(out) <- names(x)
  out
}

#' @title Map over the rows of a data frame
#' @description Apply `f` to each row of `x`, passed as a one-row data
#'   frame (or tibble) so that column types are kept.
#' @keywords internal
#' @param x Data frame.
#' @param f Function of a one-row data frame.
#' @param ... Further arguments to `f`.
#' @return Unnamed list with one element per row.
map_rows <- function(x, f, ...) {
  lapply(
    X = seq_len(nrow(x)),
    FUN = function(index) f(x[index, , drop = FALSE], ...)
  )
}

#' @title Set difference of character vectors
#' @description Like [setdiff()], but always returns a character vector,
#'   even when `x` is `NULL` or empty.
#' @keywords internal
#' @param x Character vector.
#' @param y Character vector of names to remove.
#' @return Unique elements of `x` not in `y`, as a character vector.
setdiff_chr <- function(x, y) {
  as.character(setdiff(as.character(x), as.character(y)))
}
