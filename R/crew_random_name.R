#' @title Random name
#' @export
#' @description Generate a random string of hexadecimal characters, for
#'   example to name a compute profile or a launcher.
#' @details The bytes come from a cryptographic random number generator,
#'   so the result does not depend on [set.seed()] and is not
#'   reproducible.
#' @param n Positive whole number: the number of random bytes. The string
#'   has `2 * n` characters.
#' @return A character string of `2 * n` lowercase hexadecimal characters.
#' @examples
#' crew_random_name()
#' crew_random_name(n = 4L)
crew_random_name <- function(n = 8L) {
  valid <- is.numeric(n) &&
    length(n) == 1L &&
    !anyNA(n) &&
    is.finite(n) &&
    n >= 1 &&
    n <= .Machine$integer.max &&
    n == round(n)
  if (!valid) {
    crew_error("n must be a positive whole number of length 1.")
  }
  native_random_name(as.integer(n))
}
