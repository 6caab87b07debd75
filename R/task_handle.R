# Task handles: what push() and walk() return and controller$tasks lists.
# The dispatcher makes each handle (see src/rust/src/task_handles.rs): a
# small external pointer that knows its task's name and the cell where the
# dispatcher puts the task's outcome when it resolves (kept for as long as
# the handle lives, even after the task was popped). `$data` reads the
# task's result row, or an "unresolved" value before that; `$name` is the
# task's name. A handle costs R about 120 bytes.

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
  task_handle_field(x, name)
}

#' @rdname cash-.crew_task
#' @export
`[[.crew_task` <- function(x, i, ...) {
  task_handle_field(x, i)
}

task_handle_field <- function(handle, field) {
  if (identical(field, "data")) {
    task_handle_data(handle)
  } else if (identical(field, "name")) {
    native_unwrap(.Call(wrap__native_task_name, handle))
  }
}

task_handle_data <- function(handle) {
  row <- native_unwrap(.Call(wrap__native_task_row, handle))
  if (is.null(row)) {
    return(structure(NA, class = "unresolvedValue"))
  }
  results_finish(row)
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
