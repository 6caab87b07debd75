#' @title Termination signal
#' @export
#' @description Choose the signal that [crew_terminate_process()] sends to
#'   end a process.
#' @details The first of `tools::SIGTERM`, `tools::SIGQUIT`,
#'   `tools::SIGINT` and `tools::SIGKILL` that is defined on this platform.
#'   On Linux and macOS this is `SIGTERM` (15).
#' @return An integer signal number.
#' @examples
#' crew_terminate_signal()
crew_terminate_signal <- function() {
  signals <- c(tools::SIGTERM, tools::SIGQUIT, tools::SIGINT, tools::SIGKILL)
  signals <- signals[!is.na(signals)]
  if (length(signals) < 1L || !is.finite(signals[1L])) {
    crew_error("no termination signal is available on this platform.")
  }
  as.integer(signals[1L])
}
