#' @title What every worker is doing now
#' @export
#' @family controllers
#' @description One row per worker that a controller launched or that
#'   connected to it since it last started: where it runs, what it is
#'   doing, the resources its last heartbeat reported and, for a worker
#'   that is gone, how it ended.
#' @details The table comes from what the controller's dispatcher already
#'   knows: no worker is asked anything, and the cost grows only with the
#'   number of workers. Each worker reports its CPU use and resident
#'   memory once per heartbeat (every second), so those columns are at
#'   most a second old.
#'
#'   A worker whose connection drops without saying goodbye is `lost`: it
#'   crashed, was killed, or its host or network failed. A worker that
#'   stops sending heartbeats (frozen, or its host unreachable) shows a
#'   growing `seconds_heartbeat` and becomes `lost` after 10 seconds of
#'   silence. For local workers, the exit status or signal is filled in
#'   once the controller learns of it (for example `signal` 9 when the
#'   operating system's out-of-memory killer ended the worker).
#'
#'   The table keeps the most recent 1000 workers that are gone, besides
#'   every connected and launching worker. After `terminate()`, it shows
#'   the workers of the last run until the controller starts again.
#'
#'   [crew_dashboard()] shows the same table live in a web browser.
#' @return A tibble with one row per worker and these columns:
#'   * `controller`: name of the controller.
#'   * `worker`: the dispatcher's number of the worker, `NA` while
#'     launching.
#'   * `host`: name of the worker's host.
#'   * `pid`: process ID of the worker.
#'   * `state`: `"launching"` (launched, not connected yet), `"idle"`,
#'     `"running"`, `"lost"` (gone without a goodbye) or `"exited"`
#'     (left on its own, or ended by the controller).
#'   * `seconds_launched`: seconds since the worker was launched.
#'   * `task`: name of the task the worker is running, or ran when it
#'     was lost.
#'   * `seconds_task`: seconds the task has been running.
#'   * `tasks_done`: number of tasks the worker returned.
#'   * `cpu_percent`: CPU use over the last heartbeat interval, in percent
#'     of one core.
#'   * `resident_mb`: resident memory at the last heartbeat, in MiB.
#'   * `peak_resident_mb`: largest resident memory of any heartbeat.
#'   * `seconds_heartbeat`: seconds since the worker was last heard from.
#'   * `ended`: how a worker that is gone ended, for example
#'     `"connection lost"`, `"missed heartbeats for 10 s"` or
#'     `"idle time limit reached"`.
#'   * `exit_status`: exit status of a lost local worker, if known.
#'   * `signal`: signal that ended a lost local worker, if known.
#' @param controller A controller or controller group.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#' controller <- crew_controller_local(workers = 2)
#' controller$start()
#' controller$push(Sys.sleep(2), name = "nap")
#' Sys.sleep(1)
#' crew_status(controller)
#' controller$terminate()
#' }
crew_status <- function(controller) {
  controllers <- status_controllers(controller)
  parts <- lapply(controllers, status_controller_rows)
  columns <- lapply(
    structure(status_columns, names = status_columns),
    function(column) do.call(c, lapply(parts, `[[`, column)) %||% status_empty[[column]]
  )
  out <- new_rows(columns, length(columns$state))
  tibble_ready()
  class(out) <- c("crew_status", class(out))
  out
}

status_columns <- c(
  "controller", "worker", "host", "pid", "state", "seconds_launched",
  "task", "seconds_task", "tasks_done", "cpu_percent", "resident_mb",
  "peak_resident_mb", "seconds_heartbeat", "ended", "exit_status", "signal"
)

status_empty <- list(
  controller = character(0L),
  worker = integer(0L),
  host = character(0L),
  pid = integer(0L),
  state = character(0L),
  seconds_launched = numeric(0L),
  task = character(0L),
  seconds_task = numeric(0L),
  tasks_done = integer(0L),
  cpu_percent = numeric(0L),
  resident_mb = numeric(0L),
  peak_resident_mb = numeric(0L),
  seconds_heartbeat = numeric(0L),
  ended = character(0L),
  exit_status = integer(0L),
  signal = integer(0L)
)

# The controllers of a controller or group, each with a name and a
# profile (NULL for one without a dispatcher, such as a sequential one).
status_controllers <- function(controller) {
  if (inherits(controller, "crew_class_controller_group")) {
    return(unname(as.list(controller$controllers)))
  }
  if (!inherits(controller, "crew_class_controller")) {
    crew_error(
      "controller must be a controller or a controller group.",
      kind = "invalid_argument"
    )
  }
  list(controller)
}

status_profile <- function(controller) {
  client <- tryCatch(controller$client, error = function(condition) NULL)
  profile <- if (inherits(client, "crew_class_client")) client$profile
  if (is.character(profile) && length(profile) == 1L && !is.na(profile)) profile
}

status_name <- function(controller) {
  tryCatch(controller$launcher$name, error = function(condition) NULL)
}

status_controller_rows <- function(controller) {
  profile <- status_profile(controller)
  if (is.null(profile)) {
    return(status_empty)
  }
  status_note_exits(profile)
  rows <- native_dispatcher_roster(profile)
  if (is.null(rows)) {
    return(status_empty)
  }
  exit <- rows$exit_status
  rows$exit_status <- ifelse(!is.na(exit) & exit >= 0L, exit, NA_integer_)
  rows$signal <- ifelse(!is.na(exit) & exit < 0L, -exit, NA_integer_)
  name <- status_name(controller)
  name <- if (is.character(name) && length(name) == 1L) name else NA_character_
  rows$controller <- rep(name, length(rows$state))
  rows[status_columns]
}

# Tells the dispatcher how its lost local workers ended, as far as the
# local launcher's process handles know: cheap when nothing was lost,
# and called as the controller scales, so a dashboard shows it too.
status_note_exits <- function(profile) {
  pids <- native_dispatcher_unexplained(profile)
  if (!length(pids)) {
    return(invisible())
  }
  statuses <- vapply(
    pids,
    function(pid) worker_exits_status(pid, wait = FALSE) %||% NA_integer_,
    integer(1L)
  )
  known <- !is.na(statuses)
  if (any(known)) {
    native_dispatcher_note_exits(profile, pids[known], statuses[known])
  }
  invisible()
}

#' @export
format.crew_status <- function(x, ...) {
  if (!all(status_columns %in% names(x))) {
    return(NextMethod())
  }
  number <- function(value, digits = 0L) {
    ifelse(is.na(value), "", formatC(value, format = "f", digits = digits, big.mark = ","))
  }
  text <- function(value, width) {
    value <- ifelse(is.na(value), "", as.character(value))
    long <- nchar(value, type = "width") > width
    value[long] <- paste0(substr(value[long], 1L, width - 1L), "\u2026")
    value
  }
  ended <- ifelse(
    is.na(x$signal),
    ifelse(is.na(x$exit_status), x$ended, sprintf("%s, status %d", x$ended, x$exit_status)),
    sprintf("%s, signal %d", x$ended, x$signal)
  )
  table <- data.frame(
    controller = text(x$controller, 14L),
    worker = number(x$worker),
    host = text(x$host, 14L),
    pid = ifelse(is.na(x$pid), "", as.character(x$pid)),
    state = x$state,
    task = text(x$task, 20L),
    `on task` = number(x$seconds_task, 1L),
    done = number(x$tasks_done),
    `cpu %` = number(x$cpu_percent),
    `MB` = number(x$resident_mb),
    `peak MB` = number(x$peak_resident_mb),
    `heard s` = number(x$seconds_heartbeat, 1L),
    ended = text(ended, 40L),
    check.names = FALSE,
    stringsAsFactors = FALSE
  )
  controllers <- unique(x$controller)
  # The least needed columns go first when the table is wider than the
  # console.
  optional <- c("peak MB", "host", "done", if (length(controllers) == 1L) "controller")
  width <- getOption("width", 80L)
  repeat {
    lines <- local({
      old <- options(width = 10000L)
      on.exit(options(old))
      utils::capture.output(print(table, row.names = FALSE, right = TRUE))
    })
    wide <- any(nchar(lines, type = "width") > width)
    drop <- intersect(optional, names(table))
    if (!wide || !length(drop) || !nrow(table)) {
      break
    }
    table[[drop[[1L]]]] <- NULL
  }
  counts <- table(factor(x$state, levels = c("launching", "idle", "running", "lost", "exited")))
  counts <- counts[counts > 0L]
  header <- sprintf(
    "# crew status%s: %d worker%s%s",
    if (length(controllers) == 1L && !is.na(controllers)) paste0(" of ", controllers) else "",
    nrow(x),
    if (nrow(x) == 1L) "" else "s",
    if (length(counts)) {
      sprintf(" (%s)", paste(counts, names(counts), collapse = ", "))
    } else {
      ""
    }
  )
  if (!nrow(table)) {
    return(header)
  }
  c(header, lines)
}
#' @export
print.crew_status <- function(x, ...) {
  writeLines(format(x, ...))
  invisible(x)
}
