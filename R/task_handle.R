# Task handles: what push() returns and controller$tasks lists. The
# dispatcher makes each handle: an environment with the task's `name`, a
# cell where the dispatcher puts the task's outcome when it resolves (kept
# for as long as the handle lives, even after the task was popped), and
# the controller's name. `$data` reads the task's result row, or an
# "unresolved" value before that. Nothing is bound per handle beyond
# those three fields, so a handle costs a few hundred nanoseconds.

#' @title Fields of a task handle
#' @description `handle$data` is the task's one-row result once the task
#'   resolves, and an object of class `unresolvedValue` before that;
#'   `handle$name` is the task's name.
#' @keywords internal
#' @param x A task handle returned by `push()`.
#' @param name,i Name of the field.
#' @param ... Not used.
#' @return The field's value.
#' @export
`$.crew_task` <- function(x, name) {
  if (identical(name, "data")) task_handle_data(x) else .subset2(x, name)
}

#' @rdname cash-.crew_task
#' @export
`[[.crew_task` <- function(x, i, ...) {
  if (identical(i, "data")) task_handle_data(x) else .subset2(x, i)
}

task_handle_data <- function(handle) {
  row <- .subset2(handle, ".result")
  if (!is.null(row)) {
    return(row)
  }
  row <- native_task_row(
    .subset2(handle, ".cell"),
    .subset2(handle, "name"),
    .subset2(handle, ".controller")
  )
  if (is.null(row)) {
    return(structure(NA, class = "unresolvedValue"))
  }
  row <- results_finish(row)
  assign(".result", row, envir = handle)
  row
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
