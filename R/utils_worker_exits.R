# How local workers ended. The dispatcher only sees a worker's connection
# drop; the local launcher, as the parent of its workers, holds their
# process handles, which know the exit status. Handles are registered here
# by process ID while the launcher keeps them, and the exit statuses of the
# ones it lets go are remembered for a while, so that a crash row can say
# how its worker died (for example SIGKILL from the out-of-memory killer).

worker_exits <- new.env(parent = emptyenv())
worker_exits$handles <- list()
worker_exits$statuses <- integer(0L)

# How many released workers' exit statuses to remember.
worker_exits_max <- 1000L

# How long to wait for a worker that is still exiting: the dispatcher may
# see the connection drop a moment before the process is gone.
worker_exits_seconds_wait <- 0.5

worker_exits_watch <- function(handle) {
  key <- as.character(handle$get_pid())
  worker_exits$handles[[key]] <- handle
  # A reused process ID belongs to the new worker now.
  worker_exits$statuses <- worker_exits$statuses[names(worker_exits$statuses) != key]
  invisible()
}

worker_exits_release <- function(handles) {
  for (handle in handles) {
    key <- as.character(handle$get_pid())
    if (!identical(worker_exits$handles[[key]], handle)) {
      next
    }
    worker_exits$handles[[key]] <- NULL
    status <- if (!handle$is_alive()) handle$get_exit_status()
    if (is.numeric(status) && length(status) == 1L && !is.na(status)) {
      statuses <- worker_exits$statuses
      statuses <- statuses[names(statuses) != key]
      statuses[[key]] <- as.integer(status)
      worker_exits$statuses <- utils::tail(statuses, worker_exits_max)
    }
  }
  invisible()
}

# With wait = FALSE, a worker still alive has no status yet (NULL).
worker_exits_status <- function(pid, wait = TRUE) {
  key <- as.character(pid)
  handle <- worker_exits$handles[[key]]
  if (is.null(handle)) {
    status <- worker_exits$statuses[key]
    return(if (is.na(status)) NULL else unname(status))
  }
  if (wait && handle$is_alive()) {
    handle$wait(timeout = as.integer(1000 * worker_exits_seconds_wait))
  }
  if (handle$is_alive()) NULL else handle$get_exit_status()
}

# One explanation per process ID, or NA where nothing is known: for
# example "worker 12345 was killed by signal 9".
worker_exits_describe <- function(pids) {
  vapply(
    pids,
    function(pid) {
      status <- if (!is.na(pid)) worker_exits_status(pid)
      if (!is.numeric(status) || length(status) != 1L || is.na(status)) {
        return(NA_character_)
      }
      if (status < 0L) {
        sprintf("worker %d was killed by signal %d", as.integer(pid), as.integer(-status))
      } else {
        sprintf("worker %d exited with status %d", as.integer(pid), as.integer(status))
      }
    },
    character(1L),
    USE.NAMES = FALSE
  )
}
