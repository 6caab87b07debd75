#' @title Termination signal
#' @export
#' @description Choose the signal that [crew_terminate_process()] sends to
#'   end a process.
#' @details `SIGTERM`, the same number as `tools::SIGTERM` (15 on Linux,
#'   macOS and Windows), read from the package's native library so that
#'   launching a worker does not load the tools package.
#' @return An integer signal number.
#' @examples
#' crew_terminate_signal()
crew_terminate_signal <- function() {
  native_terminate_signal()
}
