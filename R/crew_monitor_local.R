#' @title Local process monitor
#' @export
#' @description Create an object that lists and terminates the local
#'   processes related to `crew`, for example workers left behind by a
#'   crashed R session.
#' @details Processes are recognised by their command lines. In this
#'   package the dispatcher runs inside the R session of the client and is
#'   never a process of its own, so the `dispatchers()` method always
#'   returns an empty vector.
#' @return An object of class [crew_class_monitor_local].
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   monitor <- crew_monitor_local()
#'   process <- processx::process$new(
#'     command = file.path(R.home("bin"), "Rscript"),
#'     args = c("-e", "x <- 'crew::crew_worker'; Sys.sleep(60)")
#'   )
#'   Sys.sleep(1)
#'   process$get_pid() %in% monitor$workers()
#'   monitor$terminate(pids = process$get_pid())
#'   process$is_alive()
#' }
crew_monitor_local <- function() {
  crew_class_monitor_local$new()
}

#' @title Local process monitor class
#' @export
#' @description `R6` class of the objects that [crew_monitor_local()]
#'   returns.
#' @details Each listing method takes a `user` argument: a user name to
#'   restrict the search to the processes of that user (by default the
#'   current user), or `NULL` for the processes of all users. It returns
#'   the matching process IDs as a sorted integer vector.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   monitor <- crew_monitor_local()
#'   monitor$workers()
#' }
crew_class_monitor_local <- R6::R6Class(
  classname = "crew_class_monitor_local",
  cloneable = FALSE,
  public = list(
    #' @description List the process IDs of dispatcher processes. The
    #'   dispatcher of every controller runs inside its client's R session,
    #'   so there are none.
    #' @return An empty integer vector.
    #' @param user Character string with a user name, or `NULL` for all
    #'   users.
    dispatchers = function(user = ps::ps_username()) {
      monitor_local_check_user(user)
      integer(0L)
    },
    #' @description List the process IDs of plain `mirai` daemon processes.
    #'   `crew` workers do not count.
    #' @return Sorted integer vector of process IDs.
    #' @param user Character string with a user name, or `NULL` for all
    #'   users.
    daemons = function(user = ps::ps_username()) {
      monitor_local_pids(user = user, pattern = "mirai::daemon")
    },
    #' @description List the process IDs of local `crew` workers.
    #' @return Sorted integer vector of process IDs.
    #' @param user Character string with a user name, or `NULL` for all
    #'   users.
    workers = function(user = ps::ps_username()) {
      monitor_local_pids(user = user, pattern = "crew::crew_worker")
    },
    #' @description End processes: each gets the signal of
    #'   [crew_terminate_signal()], and any still running 2 seconds later
    #'   is killed with `SIGKILL`. Returns when all of them are gone or
    #'   could not be ended.
    #' @return A list with one element per process ID: `TRUE` if the process
    #'   was ended, `FALSE` if there was no such process, it could not be
    #'   signalled, or it survived `SIGKILL`.
    #' @param pids Integer vector of process IDs.
    terminate = function(pids) {
      monitor_local_terminate(pids)
    }
  )
)

monitor_local_seconds_grace <- 2

monitor_local_check_user <- function(user) {
  valid <- is.null(user) ||
    (is.character(user) &&
      length(user) == 1L &&
      !anyNA(user) &&
      nzchar(user))
  if (!valid) {
    crew_error(
      sprintf(
        "user must be NULL or a nonempty character string (a user name such as \"%s\").",
        ps::ps_username()
      )
    )
  }
  invisible()
}

#' @title Find local processes by command line
#' @description Find the processes of a user whose command lines (their
#'   parts joined with spaces) contain a fixed string.
#' @keywords internal
#' @param user Character string with a user name, or `NULL` for all users.
#' @param pattern Fixed string to look for.
#' @return Sorted integer vector of process IDs.
monitor_local_pids <- function(user, pattern) {
  monitor_local_check_user(user)
  native_process_find(user = user, pattern = pattern)
}

monitor_local_terminate <- function(pids) {
  if (!length(pids)) {
    return(list())
  }
  valid <- is.numeric(pids) &&
    !anyNA(pids) &&
    all(is.finite(pids)) &&
    all(pids >= 1) &&
    all(pids == round(pids))
  if (!valid) {
    crew_error("pids must be a numeric vector of positive whole process IDs.")
  }
  check_not_own_process(pids)
  # SIGTERM is what crew_terminate_signal() gives wherever the core runs.
  endings <- native_process_terminate(pids, monitor_local_seconds_grace)
  as.list(endings %in% c("terminated", "killed"))
}

