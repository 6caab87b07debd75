#' @title Local process monitor
#' @export
#' @description Create an object that lists and terminates the local
#'   processes related to `crew`, for example workers left behind by a
#'   crashed R session.
#' @details Processes are recognised by their command lines. In this
#'   package the dispatcher runs inside the R session of the client and is
#'   never a process of its own, so the `dispatchers()` method finds
#'   nothing unless another package starts `mirai::dispatcher` processes.
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
#'   Sys.sleep(1)
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
    #' @description List the process IDs of `mirai` dispatcher processes.
    #' @return Sorted integer vector of process IDs.
    #' @param user Character string with a user name, or `NULL` for all
    #'   users.
    dispatchers = function(user = ps::ps_username()) {
      monitor_local_pids(user = user, pattern = "mirai::dispatcher")
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
    #' @description Send the termination signal to processes.
    #' @return A list with one element per process ID: the result of
    #'   [crew_terminate_process()].
    #' @param pids Integer vector of process IDs.
    terminate = function(pids) {
      lapply(monitor_local_pids_check(pids), crew_terminate_process)
    }
  )
)

#' @title Local processes and their command lines
#' @description List the processes of a user with their command lines.
#' @keywords internal
#' @param user Character string with a user name, or `NULL` for all users.
#' @return A list with elements `pid` (integer vector), `command`
#'   (character vector, the command line joined with spaces, or `" "` if it
#'   cannot be read) and `handle` (list of `ps` handles).
monitor_local_processes <- function(user) {
  valid <- is.null(user) ||
    (is.character(user) &&
      length(user) == 1L &&
      !anyNA(user) &&
      nzchar(user))
  if (!valid) {
    crew_error("user must be NULL or a nonempty character string (a user name).")
  }
  processes <- ps::ps(user = user)
  handles <- processes$ps_handle
  command <- vapply(
    handles,
    function(handle) {
      tryCatch(
        paste(ps::ps_cmdline(handle), collapse = " "),
        error = function(condition) " "
      )
    },
    character(1L)
  )
  list(
    pid = as.integer(processes$pid),
    command = as.character(command),
    handle = handles
  )
}

#' @title Find local processes by command line
#' @description Find the processes whose command lines contain a fixed
#'   string.
#' @keywords internal
#' @param user Character string with a user name, or `NULL` for all users.
#' @param pattern Fixed string to look for.
#' @return Sorted integer vector of process IDs.
monitor_local_pids <- function(user, pattern) {
  processes <- monitor_local_processes(user = user)
  match <- grepl(pattern = pattern, x = processes$command, fixed = TRUE)
  as.integer(sort(processes$pid[match]))
}

#' @title Process IDs to terminate
#' @description Coerce process IDs to integers as [as.integer()] does,
#'   but refuse anything that is not a whole nonnegative number before a
#'   signal goes out: a truncated or missing ID could name another process.
#' @keywords internal
#' @param pids Process IDs.
#' @return Integer vector.
monitor_local_pids_check <- function(pids) {
  ids <- tryCatch(
    suppressWarnings(as.integer(pids)),
    error = function(condition) NA_integer_
  )
  whole <- !is.numeric(pids) || all(pids == ids, na.rm = TRUE)
  if (anyNA(ids) || any(ids < 0L) || !whole) {
    crew_error("pids must be whole nonnegative numbers (process IDs).")
  }
  ids
}
