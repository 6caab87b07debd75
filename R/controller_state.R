# Controller state that outlives single calls: the task dictionary, the
# crash log, the summary, validation, cancellation and auto-scaling.

# Empties the task dictionary, as map() does when it returns.
controller_forget_tasks <- function(private) {
  private$.tasks <- new.env(hash = TRUE, parent = emptyenv())
  private$.tasks_count <- 0L
}

controller_reset <- function(private) {
  controller_forget_tasks(private)
  private$.crash_log <- new.env(hash = TRUE, parent = emptyenv())
  private$.queue_resolved <- crew_queue()
  private$.held_back <- NULL
}

controller_validate <- function(private) {
  crew_assert(
    inherits(private$.client, "crew_class_client"),
    message = "client must be a crew_class_client object."
  )
  crew_assert(
    inherits(private$.launcher, "crew_class_launcher"),
    message = "launcher must be a crew_class_launcher object."
  )
  private$.client$validate()
  private$.launcher$validate()
  for (field in c("reset_globals", "reset_packages", "reset_options", "garbage_collection")) {
    value <- private[[paste0(".", field)]]
    crew_assert(
      isTRUE(value) || isFALSE(value),
      message = paste(field, "must be a non-missing logical of length 1")
    )
  }
  crew_assert(
    private$.crashes_max,
    is.numeric(.),
    length(.) == 1L,
    !anyNA(.),
    is.finite(.),
    . >= 0,
    message = "crashes_max must be a finite nonnegative number of length 1."
  )
  if (!is.null(private$.backup)) {
    crew_assert(
      private$.crashes_max > 0,
      message = "crashes_max must be positive if backup is not NULL."
    )
    crew_assert(
      inherits(private$.backup, "crew_class_controller") &&
        !inherits(private$.backup, "crew_class_controller_group"),
      message = "backup must be a controller (not a controller group)."
    )
  }
  crew_assert(is.environment(private$.tasks), message = "tasks must be an environment.")
  crew_assert(is.environment(private$.crash_log), message = "crash log must be an environment.")
  invisible()
}

# A handle on the started client's dispatcher that also carries what every
# task of this controller shares (its reset settings and its name), so
# that push() passes only what differs between tasks.
controller_dispatcher_handle <- function(private) {
  native_dispatcher_handle(
    private$.client$profile,
    private$.reset_globals,
    private$.reset_packages,
    private$.reset_options,
    private$.garbage_collection,
    private$.name %||% private$.launcher$name,
    private$.client$serialization
  )
}

# scale() without its argument check, for it and for the methods that run
# once per task: scales unless the throttle says it is too soon.
controller_scale_when_due <- function(self, private, throttle) {
  if (throttle && !private$.launcher$poll()) {
    return(invisible(FALSE))
  }
  controller_scale_now(self, private, throttle)
}

# scale() once the throttle let it through (or with throttle = FALSE).
controller_scale_now <- function(self, private, throttle) {
  self$start()
  out <- private$.launcher$scale(status = private$.client$status(), throttle = throttle)
  status_note_exits(private$.client$profile)
  invisible(out)
}

# The handles of the tasks held: made by the dispatcher for a running
# controller; kept in the task dictionary by the sequential controller.
controller_task_handles <- function(private) {
  if (!is.null(private$.dispatcher)) {
    return(native_task_handles(private$.dispatcher))
  }
  names <- ls(private$.tasks, sorted = FALSE, all.names = TRUE)
  out <- lapply(names, function(name) private$.tasks[[name]])
  names(out) <- names
  out
}

# For each name, whether the controller holds a task of that name.
controller_holds <- function(private, names) {
  if (!is.null(private$.dispatcher)) {
    return(native_holds(private$.dispatcher, names))
  }
  tasks <- private$.tasks
  vapply(names, function(name) !is.null(tasks[[name]]), logical(1L), USE.NAMES = FALSE)
}

controller_summary_zero <- function(name) {
  list(
    controller = name,
    seconds = 0,
    success = 0L,
    error = 0L,
    crash = 0L,
    cancel = 0L,
    warning = 0L
  )
}

# The totals as a list: from the dispatcher while one runs (it counts rows
# as they leave it), otherwise as kept in the controller.
controller_summary_list <- function(private) {
  if (is.null(private$.dispatcher)) {
    return(private$.summary)
  }
  totals <- native_summary(private$.dispatcher)
  if (is.null(totals)) {
    return(private$.summary)
  }
  c(list(controller = private$.name), totals)
}

controller_summary <- function(private) {
  summary <- controller_summary_list(private)
  if (is.null(summary)) {
    return(NULL)
  }
  tibble_ready()
  new_rows(
    list(
      controller = summary$controller,
      seconds = summary$seconds,
      tasks = summary$success + summary$error + summary$crash + summary$cancel,
      success = summary$success,
      error = summary$error,
      crash = summary$crash,
      cancel = summary$cancel,
      warning = summary$warning
    ),
    nrow = 1L
  )
}

# Result rows are tibbles, whose `$` method is slow; .subset2() reads a
# column directly. pop() adds one row at a time, so that case avoids the
# vector arithmetic.
controller_summary_add <- function(private, rows) {
  summary <- private$.summary %||% controller_summary_zero(private$.name %||% private$.launcher$name)
  status <- .subset2(rows, "status")
  seconds <- .subset2(rows, "seconds")
  warnings <- .subset2(rows, "warnings")
  if (length(status) == 1L) {
    summary[[status]] <- summary[[status]] + 1L
    if (!is.na(seconds)) {
      summary$seconds <- summary$seconds + seconds
    }
    if (!is.na(warnings)) {
      summary$warning <- summary$warning + 1L
    }
  } else {
    summary$seconds <- summary$seconds + sum(seconds, na.rm = TRUE)
    summary$success <- summary$success + sum(status == "success")
    summary$error <- summary$error + sum(status == "error")
    summary$crash <- summary$crash + sum(status == "crash")
    summary$cancel <- summary$cancel + sum(status == "cancel")
    summary$warning <- summary$warning + sum(!is.na(warnings))
  }
  private$.summary <- summary
}

controller_cancel <- function(private, names, all) {
  crew_assert(isTRUE(all) || isFALSE(all), message = "'all' must be TRUE or FALSE")
  crew_assert(
    is.character(names) && !anyNA(names) && all(nzchar(names)),
    message = "names must be a character vector with no missing or empty names."
  )
  if (!isTRUE(private$.client$started) || is.null(private$.dispatcher)) {
    return(invisible())
  }
  if (all || length(names)) {
    native_cancel(private$.dispatcher, names, all)
  }
  invisible()
}

controller_autoscale <- function(self, private, loop) {
  crew_assert(inherits(loop, "event_loop"), message = "loop must be a valid later loop")
  if (inherits(private$.loop, "event_loop")) {
    return(invisible())
  }
  self$start()
  private$.loop <- loop
  # Scales now, then whenever the dispatcher reports a task queued or a
  # worker come or gone, and on a timer only while the backlog outgrows the
  # connected workers (launches still starting, or scaling held back by the
  # throttle). With nothing to do, nothing runs.
  pending <- new.env(parent = emptyenv())
  pending$watch <- FALSE
  pending$timer <- FALSE
  wake <- NULL
  step <- function() {
    if (!identical(private$.loop, loop) || !isTRUE(private$.client$started)) {
      autoscale_forget(wake)
      return(invisible())
    }
    self$scale(throttle = TRUE)
    if (!pending$watch) {
      pending$watch <- native_backlog_watch(private$.dispatcher, wake, loop$id)
    }
    status <- private$.client$status()
    demand <- min(private$.launcher$workers, status[["awaiting"]] + status[["executing"]])
    if (!pending$timer && demand > status[["connections"]]) {
      pending$timer <- TRUE
      later::later(
        function() {
          pending$timer <- FALSE
          step()
        },
        delay = private$.launcher$throttle$seconds_interval,
        loop = loop
      )
    }
    invisible()
  }
  wake <- autoscale_register(function() {
    pending$watch <- FALSE
    step()
  })
  step()
  invisible()
}

# Autoscale loops waiting for news from their dispatchers, by id.
autoscale_wakers <- new.env(parent = emptyenv())
autoscale_wakers$.next <- 0

autoscale_register <- function(wake) {
  id <- autoscale_wakers$.next + 1
  autoscale_wakers$.next <- id
  assign(as.character(id), wake, envir = autoscale_wakers)
  id
}

autoscale_forget <- function(id) {
  key <- as.character(id)
  if (exists(key, envir = autoscale_wakers, inherits = FALSE)) {
    rm(list = key, envir = autoscale_wakers)
  }
}

# Called from a later loop (see src/rust/src/api/autoscale.rs) when the
# dispatcher of autoscale loop `id` queued a task or saw a worker come or go.
autoscale_wake <- function(id) {
  wake <- get0(as.character(id), envir = autoscale_wakers, inherits = FALSE)
  if (is.function(wake)) {
    wake()
  }
  invisible()
}
