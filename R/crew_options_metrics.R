#' @title Options for worker resource metrics
#' @export
#' @description Create the options that control whether and where workers
#'   log their resource usage at regular intervals. Each worker samples
#'   its own process in a background thread; no extra R package is needed.
#' @details Each sample is one line in the format of the `autometric`
#'   package, which crew users read worker logs with
#'   (`autometric::log_read()`, `autometric::log_plot()`):
#'   `__AUTOMETRIC__|version|pid|name|status|time|core|cpu|resident|virtual|phase|__AUTOMETRIC__`,
#'   where `version` is this package's version, `name` is `"worker"`,
#'   `status` is 0, `time` is seconds since 1970-01-01 UTC, `core` is the CPU
#'   use since the previous sample in percent of one core, `cpu` the same
#'   in percent of all cores, `resident` and `virtual` are memory in bytes,
#'   and `phase` is the name of the task running at the time of the sample
#'   (`__DEFAULT__` between tasks). The keyword bounds each line, so the
#'   lines can share a log with other output. [crew_metrics_read()] reads
#'   them back without extra packages and [crew_metrics_plot()] draws them.
#'
#'   A worker writes its first sample one interval after it starts and a
#'   last one when it exits normally.
#' @param path Where to write the metrics: `NULL` to disable logging,
#'   `"/dev/stdout"` or `"/dev/stderr"` to write to the worker's own
#'   output streams (not on Windows), or a directory, created if missing,
#'   where each worker writes its own file `crew_log_<random>.log`.
#' @param seconds_interval Positive number of seconds between two
#'   measurements.
#' @return A list of class `c("crew_options_metrics", "crew_options")`
#'   with elements `path` and `seconds_interval`.
#' @examples
#' crew_options_metrics()
#' crew_options_metrics(path = tempfile(), seconds_interval = 1)
crew_options_metrics <- function(path = NULL, seconds_interval = 5) {
  options <- structure(
    list(path = path, seconds_interval = seconds_interval),
    class = c("crew_options_metrics", "crew_options")
  )
  crew_options_metrics_validate(options)
  options
}

#' @title Validate metrics options
#' @description Raise a `crew_error` if the options from
#'   [crew_options_metrics()] are invalid.
#' @keywords internal
#' @param options Object to check.
#' @return `NULL` (invisibly).
crew_options_metrics_validate <- function(options) {
  if (!inherits(options, "crew_options_metrics")) {
    crew_error(
      "options_metrics must be an object from crew_options_metrics()."
    )
  }
  path <- options$path
  valid_path <- is.null(path) ||
    (is.character(path) &&
      length(path) == 1L &&
      !anyNA(path) &&
      nzchar(path))
  if (!valid_path) {
    crew_error("path in crew_options_metrics() must be NULL or a file path.")
  }
  windows <- identical(tolower(Sys.info()[["sysname"]]), "windows")
  if (windows && !is.null(path) && path %in% c("/dev/stdout", "/dev/stderr")) {
    crew_error(
      "path in crew_options_metrics() cannot be /dev/stdout or /dev/stderr on Windows."
    )
  }
  interval <- options$seconds_interval
  valid_interval <- is.numeric(interval) &&
    length(interval) == 1L &&
    !anyNA(interval) &&
    is.finite(interval) &&
    interval > 0
  if (!valid_interval) {
    crew_error(
      "seconds_interval in crew_options_metrics() must be a positive finite number."
    )
  }
  invisible()
}
