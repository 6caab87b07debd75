#' @title Terminate a process
#' @export
#' @description Send the signal from [crew_terminate_signal()] to a local
#'   process, for example a worker that did not exit on its own.
#' @details The signal is sent with [tools::pskill()] and the function
#'   does not wait for the process to exit.
#' @param pid Nonnegative whole number: the process ID.
#' @return `TRUE` if the signal was sent and `FALSE` otherwise
#'   (invisibly), as returned by [tools::pskill()].
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   process <- processx::process$new("sleep", "60")
#'   process$is_alive()
#'   crew_terminate_process(pid = process$get_pid())
#'   Sys.sleep(1)
#'   process$is_alive()
#' }
crew_terminate_process <- function(pid) {
  valid <- is.numeric(pid) &&
    length(pid) == 1L &&
    !anyNA(pid) &&
    is.finite(pid) &&
    pid >= 0
  if (!valid) {
    crew_error("pid must be a nonnegative finite numeric of length 1.")
  }
  invisible(tools::pskill(pid = as.integer(pid), signal = crew_terminate_signal()))
}
