#' @title Terminate a process
#' @export
#' @description Send the signal from [crew_terminate_signal()] to a local
#'   process, for example a worker that did not exit on its own.
#' @details The signal is sent with [tools::pskill()] and the function
#'   does not wait for the process to exit. The calling R session's own
#'   process ID, and 0 (its whole process group), are refused with a
#'   `crew_error`: the dispatcher runs inside the R session, so a process
#'   ID from `controller$client$dispatcher` is the session itself.
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
    pid >= 0 &&
    pid <= .Machine$integer.max
  if (!valid) {
    crew_error("pid must be a nonnegative finite numeric of length 1.", kind = "invalid_argument")
  }
  check_not_own_process(pid)
  invisible(tools::pskill(pid = as.integer(pid), signal = crew_terminate_signal()))
}

# The dispatcher runs inside the R session, so the process ID users once
# sent signals to for a hanging dispatcher is now the session's own.
check_not_own_process <- function(pids) {
  if (any(pids == Sys.getpid() | pids == 0)) {
    crew_error(
      paste(
        "refusing to terminate this R session's own process (or, with 0, its",
        "process group): the dispatcher runs inside the session, so there is",
        "no separate dispatcher process to end."
      )
    )
  }
  invisible()
}
