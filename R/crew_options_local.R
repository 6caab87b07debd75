#' @title Options for local workers
#' @export
#' @description Create the options that are specific to workers that run
#'   as local processes, such as where their output goes.
#' @param log_directory Either `NULL` to discard the standard output and
#'   standard error of local workers, or a directory path where each
#'   worker writes its own log files. The directory is created as needed.
#' @param log_join `TRUE` to write standard output and standard error of a
#'   worker to the same file, `FALSE` to write them to two files.
#'   Ignored when `log_directory` is `NULL`.
#' @return A list of class `c("crew_options_local", "crew_options")` with
#'   elements `log_directory` and `log_join`.
#' @examples
#' crew_options_local()
#' crew_options_local(log_directory = tempfile(), log_join = FALSE)
crew_options_local <- function(log_directory = NULL, log_join = TRUE) {
  options <- structure(
    list(log_directory = log_directory, log_join = log_join),
    class = c("crew_options_local", "crew_options")
  )
  crew_options_local_validate(options)
  options
}

#' @title Validate local worker options
#' @description Raise a `crew_error` if the options from
#'   [crew_options_local()] are invalid.
#' @keywords internal
#' @param options Object to check.
#' @return `NULL` (invisibly).
crew_options_local_validate <- function(options) {
  if (!inherits(options, "crew_options_local")) {
    crew_error("options_local must be an object from crew_options_local().")
  }
  log_directory <- options$log_directory
  valid_directory <- is.null(log_directory) ||
    (is.character(log_directory) &&
      length(log_directory) == 1L &&
      !anyNA(log_directory) &&
      nzchar(log_directory))
  if (!valid_directory) {
    crew_error("log_directory must be NULL or a valid directory path.")
  }
  if (!isTRUE(options$log_join) && !isFALSE(options$log_join)) {
    crew_error("log_join must be TRUE or FALSE.")
  }
  invisible()
}
