# Task handles: what push() and walk() return and controller$tasks lists.
# The dispatcher makes each handle (see src/rust/src/tasks/handles.rs): a
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
#' @description A task handle from `push()` becomes a promise that settles
#'   once the task is done, so Shiny apps can chain `%...>%` on it. The
#'   promise fulfils with the task's one-row result when a worker ran the
#'   task (whether the task's own code succeeded or raised an error, as in
#'   crew 1.3.0), and rejects with a `crew_error` carrying that row in its
#'   `row` field when the task crashed, was cancelled or timed out. Nothing
#'   polls: the core schedules the settlement on R's main thread through
#'   the `later` event loop when the result arrives. Neither `pop()` nor
#'   `collect()` is affected: they still return the result once.
#'
#'   Promises settle from the `later` event loop, which Shiny runs by itself
#'   and `later::run_now()` runs in a script. The "Promises" and
#'   "Asynchronous Shiny apps" vignettes show both.
#' @param x A task handle returned by `push()`.
#' @return A `promises` promise.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   library(promises)
#'   controller <- crew_controller_local()
#'   controller$start()
#'   value <- NULL
#'   controller$push(1 + 1) %...>% (function(row) value <<- row$result[[1L]])
#'   while (is.null(value)) later::run_now(timeoutSecs = 0.1)
#'   value
#'   controller$terminate()
#' }
#' @exportS3Method promises::as.promise
as.promise.crew_task <- function(x) {
  # The core looks up later's C interface, which R provides only once the
  # later package is loaded.
  loadNamespace("later")
  promises::promise(function(resolve, reject) {
    id <- task_promise_register(x, resolve, reject)
    if (!native_unwrap(.Call(wrap__native_task_watch, x, id))) {
      task_promise_settle(id)
    }
  })
}

# Promises waiting for their tasks, by id: the handle (which keeps its cell
# alive) and the promise's resolve and reject functions.
task_promises <- new.env(parent = emptyenv())
task_promises$.next <- 0

task_promise_register <- function(handle, resolve, reject) {
  id <- task_promises$.next + 1
  task_promises$.next <- id
  assign(
    as.character(id),
    list(handle = handle, resolve = resolve, reject = reject),
    envir = task_promises
  )
  id
}

# Called from the later loop (see src/rust/src/tasks/promises.rs) once the
# task of promise `id` has resolved, or at once if it already had.
task_promise_settle <- function(id) {
  key <- as.character(id)
  entry <- task_promises[[key]]
  if (is.null(entry)) {
    return(invisible())
  }
  rm(list = key, envir = task_promises)
  row <- tryCatch(entry$handle$data, error = function(condition) condition)
  if (inherits(row, "error")) {
    entry$reject(row)
  } else if (row$code %in% c(0L, -1L)) {
    entry$resolve(row)
  } else {
    condition <- structure(
      class = c("crew_error", "crew", "error", "condition"),
      list(
        message = sprintf("task %s: %s", row$name, row$error %||% row$status),
        call = NULL,
        row = row
      )
    )
    entry$reject(condition)
  }
  invisible()
}
