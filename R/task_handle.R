# Task handles: what push() returns and controller$tasks lists. A handle is
# an environment whose `data` field reads the task's result row once the
# task resolves (an "unresolved" value before that).

task_handle <- function(profile, name) {
  handle <- new.env(parent = emptyenv())
  handle$name <- name
  handle$profile <- profile
  makeActiveBinding("data", function() task_handle_data(handle), handle)
  class(handle) <- c("crew_task", "mirai")
  handle
}

task_handle_data <- function(handle) {
  if (!is.null(handle$.result)) {
    return(handle$.result)
  }
  if (!is.null(handle$.rows)) {
    handle$.result <- handle$.rows[handle$.index, , drop = FALSE]
    handle$.rows <- NULL
    return(handle$.result)
  }
  columns <- native_dispatcher_peek(handle$profile, handle$name)
  if (length(columns$name) < 1L) {
    return(structure(NA, class = "unresolvedValue"))
  }
  handle$.result <- results_from_columns(columns, controller = NA_character_)
  handle$.result
}

# Results leave the dispatcher when they are popped or collected, so the
# handles of those tasks keep their rows (the row is cut out only if
# $data is read).
task_handles_settle <- function(tasks, rows) {
  names <- .subset2(rows, "name")
  handles <- mget(names, envir = tasks)
  for (index in seq_along(handles)) {
    handle <- .subset2(handles, index)
    if (is.environment(handle) && is.null(handle$.result)) {
      handle$.rows <- rows
      handle$.index <- index
    }
  }
}

#' @export
print.crew_task <- function(x, ...) {
  resolved <- !inherits(x$data, "unresolvedValue")
  cat(
    "< crew task >\n  name:", x$name,
    "\n  resolved:", resolved, "\n"
  )
  invisible(x)
}

# Turns result columns from the dispatcher into result rows. Tasks that
# never finished on a worker (crash, cancel, timeout) have no status from
# the worker; their status and error text follow from the code, and their
# controller column is the popping controller's name. A crash's error text
# also says how the worker's process ended, where that is known.
results_from_columns <- function(columns, controller) {
  finished <- columns$finished
  status <- columns$status
  error <- columns$error
  names_controller <- columns$controller
  if (!all(finished)) {
    outcome <- monad_outcome(columns$code[!finished])
    status[!finished] <- outcome$status
    error[!finished] <- outcome$error
    names_controller[!finished] <- controller
    crashed <- which(!finished & !is.na(columns$pid))
    if (length(crashed)) {
      how <- worker_exits_describe(columns$pid[crashed])
      known <- crashed[!is.na(how)]
      error[known] <- sprintf("%s (%s)", error[known], how[!is.na(how)])
    }
  }
  monad_from_columns(
    name = columns$name,
    command = columns$command,
    result = columns$value,
    status = status,
    error = error,
    code = columns$code,
    trace = columns$trace,
    warnings = columns$warnings,
    seconds = columns$seconds,
    seed = columns$seed,
    algorithm = columns$algorithm,
    controller = names_controller
  )
}

#' @title Convert a task handle into a promise
#' @description A task handle from `push()` becomes a promise that resolves
#'   to the task's one-row result once the task is done, so Shiny apps can
#'   chain `%...>%` on it. The promise checks the task through the `later`
#'   event loop.
#' @param x A task handle returned by `push()`.
#' @return A `promises` promise.
#' @keywords internal
#' @exportS3Method promises::as.promise
as.promise.crew_task <- function(x) {
  promises::promise(function(resolve, reject) {
    poll <- function() {
      data <- tryCatch(x$data, error = function(condition) condition)
      if (inherits(data, "error")) {
        reject(data)
      } else if (inherits(data, "unresolvedValue")) {
        later::later(poll, delay = 0.05)
      } else {
        resolve(data)
      }
    }
    poll()
  })
}
