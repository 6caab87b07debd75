#' @title Signal a deprecation
#' @export
#' @description Tell the user that a function, argument or method is
#'   deprecated and what to use instead. Plugins may call it for their own
#'   deprecations.
#' @details The condition has class `crew_deprecate` in addition to
#'   `crew_warning` or `crew_message` and `crew`, so it can be caught or
#'   muffled selectively.
#' @param name Character string: the name of the deprecated object.
#' @param date Character string: the date of the deprecation.
#' @param version Character string: the package version of the
#'   deprecation.
#' @param alternative Character string: what to use instead.
#' @param condition Either `"warning"` to signal a warning or anything else
#'   (conventionally `"message"`) to signal a message.
#' @param value The value of the deprecated argument. If it is `NULL`,
#'   the argument was not used and nothing is signalled.
#' @param skip_cran Logical of length 1: if `TRUE`, signal nothing unless
#'   the `NOT_CRAN` environment variable is `"true"`.
#' @param frequency How often to signal: `"always"`, `"once"` (once per
#'   session) or `"regularly"` (once every 8 hours). Passed to
#'   [rlang::warn()] or [rlang::inform()] with `name` as the identifier.
#' @return `NULL` (invisibly).
#' @examples
#' suppressWarnings(
#'   crew_deprecate(
#'     name = "old_argument",
#'     date = "2023-01-01",
#'     version = "0.0.1",
#'     alternative = "new_argument"
#'   )
#' )
crew_deprecate <- function(
  name,
  date,
  version,
  alternative,
  condition = "warning",
  value = "x",
  skip_cran = FALSE,
  frequency = "always"
) {
  if (is.null(value)) {
    return(invisible())
  }
  texts <- list(name = name, date = date, version = version, alternative = alternative)
  for (text in names(texts)) {
    if (!(is.atomic(texts[[text]]) && length(texts[[text]]) == 1L)) {
      crew_error(paste(text, "must be a character string."), kind = "invalid_argument")
    }
  }
  if (!(is.character(frequency) && length(frequency) == 1L &&
    frequency %in% c("always", "regularly", "once"))) {
    crew_error("frequency must be \"always\", \"regularly\" or \"once\".", kind = "invalid_argument")
  }
  if (isTRUE(skip_cran) && !identical(Sys.getenv("NOT_CRAN"), "true")) {
    return(invisible())
  }
  message <- sprintf(
    "%s was deprecated on %s (version %s). Alternative: %s.",
    name,
    date,
    version,
    alternative
  )
  if (identical(condition, "warning")) {
    rlang::warn(
      message = message,
      class = c("crew_deprecate", "crew_warning", "crew"),
      .frequency = frequency,
      .frequency_id = name
    )
  } else {
    rlang::inform(
      message = message,
      class = c("crew_deprecate", "crew_message", "crew"),
      .frequency = frequency,
      .frequency_id = name
    )
  }
  invisible()
}
