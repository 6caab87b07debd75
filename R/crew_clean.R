#' @title Terminate stray local processes (deprecated)
#' @export
#' @description Deprecated: use [crew_monitor_local()] instead. Terminate
#'   the local dispatcher and worker processes of a user, whatever
#'   controller started them.
#' @details Workers are recognised by their command lines, which contain
#'   `crew::crew_worker(`. In this package dispatchers are never separate
#'   processes, so there are none to terminate. Each match
#'   is sent the signal of [crew_terminate_signal()], then the function
#'   waits for it to exit. All matching processes of the user are
#'   affected, including those of other R sessions.
#' @param dispatchers `TRUE` to terminate dispatcher processes.
#' @param workers `TRUE` to terminate worker processes.
#' @param user Character string: the user whose processes to terminate.
#' @param seconds_interval Seconds between checks that a process exited.
#' @param seconds_timeout Seconds to wait for each process to exit before
#'   raising an error of class `crew_expire`.
#' @param verbose `TRUE` to print a message about each terminated process.
#' @return `NULL` (invisibly).
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   # Use crew_monitor_local() instead. With workers = TRUE, this would
#'   # also terminate the workers of other R sessions of the same user.
#'   suppressWarnings(crew_clean(dispatchers = FALSE, workers = FALSE))
#' }
crew_clean <- function(
  dispatchers = TRUE,
  workers = TRUE,
  user = ps::ps_username(),
  seconds_interval = 0.25,
  seconds_timeout = 60,
  verbose = TRUE
) {
  crew_deprecate(
    name = "crew_clean()",
    date = "2024-01-15",
    version = "0.8.0.9000",
    alternative = "crew_monitor_local()",
    condition = "warning"
  )
  crew_assert(dispatchers, isTRUE(.) || isFALSE(.))
  crew_assert(workers, isTRUE(.) || isFALSE(.))
  crew_assert(verbose, isTRUE(.) || isFALSE(.))
  crew_assert(
    user,
    is.character(.),
    length(.) == 1L,
    !anyNA(.),
    nzchar(.)
  )
  # Dispatchers run inside their clients, so only workers can be found.
  pids <- if (workers) monitor_local_pids(user = user, pattern = "crew::crew_worker(")
  if (length(pids) < 1L) {
    if (verbose) {
      crew_message("nothing to clean up")
    }
    return(invisible())
  }
  for (pid in pids) {
    crew_terminate_process(pid = pid)
    crew_retry(
      fun = ~ !native_process_running(pid),
      seconds_interval = seconds_interval,
      seconds_timeout = seconds_timeout
    )
    if (verbose) {
      crew_message(paste("terminated PID", pid, "worker"))
    }
  }
  invisible()
}
