# The longer methods of crew_class_launcher, as free functions.

launches_empty <- function() {
  new_rows(
    list(
      handle = list(),
      start = numeric(0L),
      submitted = logical(0L),
      count = integer(0L),
      total = integer(0L)
    ),
    nrow = 0L
  )
}

launcher_deprecations <- function(
  reset_globals,
  reset_packages,
  reset_options,
  garbage_collection,
  crashes_error,
  launch_max,
  seconds_exit,
  processes
) {
  deprecate_moved_to_controller(
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection
  )
  crew_deprecate(
    name = "crashes_error",
    date = "2025-01-13",
    version = "0.10.2.9003",
    alternative = "crashes_max argument of crew_controller()",
    condition = "message",
    value = crashes_error
  )
  crew_deprecate(
    name = "processes",
    date = "2025-01-13",
    version = "0.10.2.9003",
    alternative = "none",
    condition = "message",
    value = processes
  )
  crew_deprecate(
    name = "launch_max",
    date = "2024-11-04",
    version = "0.10.1.9000",
    alternative = "seconds_launch",
    value = launch_max
  )
  crew_deprecate(
    name = "seconds_exit",
    date = "2023-09-21",
    version = "0.5.0.9002",
    alternative = "none (no longer necessary)",
    value = seconds_exit
  )
}

# Launcher arguments that moved to crew_controller(): a message each.
deprecate_moved_to_controller <- function(...) {
  moved <- list(...)
  for (argument in names(moved)) {
    crew_deprecate(
      name = argument,
      date = "2023-10-02",
      version = "0.5.0.9004",
      alternative = paste(argument, "argument of crew_controller()"),
      condition = "message",
      value = moved[[argument]]
    )
  }
}

# The scaling throttle validates at once; checking seconds_interval first
# makes the error name the launcher argument instead of a throttle field.
launcher_throttle <- function(seconds_interval, tasks_max) {
  fast <- is.numeric(tasks_max) && isTRUE(is.finite(tasks_max))
  minimum <- if (fast) 1e-6 else 0
  valid <- is.numeric(seconds_interval) &&
    length(seconds_interval) == 1L &&
    !is.na(seconds_interval) &&
    seconds_interval > 0 &&
    seconds_interval >= minimum
  if (!valid) {
    crew_error(
      paste(
        "seconds_interval must be a positive number of length 1",
        "(at least 1e-6 if tasks_max is finite)."
      )
    )
  }
  crew_throttle(
    seconds_max = seconds_interval,
    seconds_min = if (fast) 1e-6 else seconds_interval
  )
}

launcher_validate <- function(self, private) {
  name <- private$.name
  crew_assert(
    is.null(name) || (is.character(name) && length(name) == 1L && !is.na(name) && nzchar(name)),
    message = "name must be a nonempty character string."
  )
  if (!is.null(self$launch_worker)) {
    crew_assert(
      is.function(self$launch_worker) && "call" %in% names(formals(self$launch_worker)),
      message = "launch_worker() must be a function with an argument named call."
    )
  }
  if (!is.null(self$launch_workers)) {
    crew_assert(
      is.function(self$launch_workers) && all(c("call", "n") %in% names(formals(self$launch_workers))),
      message = "launch_workers() must be a function with arguments call and n."
    )
  }
  if (!is.null(self$terminate_worker)) {
    crew_deprecate(
      name = "terminate_worker()",
      date = "2025-01-13",
      version = "0.10.2.9003",
      alternative = "none (launcher plugins no longer need terminate_worker())",
      condition = "message",
      frequency = "once"
    )
  }
  fields <- c(
    "seconds_interval",
    "seconds_timeout",
    "seconds_launch",
    "seconds_idle",
    "seconds_wall",
    "tasks_max",
    "tasks_timers",
    "workers"
  )
  for (field in fields) {
    crew_assert(
      private[[paste0(".", field)]],
      is.numeric(.),
      length(.) == 1L,
      !anyNA(.),
      . >= 0,
      message = paste(field, "must be a nonnegative number of length 1.")
    )
  }
  if (!is.null(private$.url)) {
    crew_assert(
      private$.url,
      is.character(.),
      length(.) == 1L,
      !anyNA(.),
      nzchar(.),
      message = "url must be a nonempty character string."
    )
  }
  crew_assert(is.data.frame(private$.launches), message = "launches must be a data frame.")
  crew_assert(
    is.null(private$.r_arguments) || is.character(private$.r_arguments),
    message = "r_arguments must be a character vector."
  )
  crew_assert(
    inherits(private$.tls, "crew_class_tls"),
    message = "tls must be an object created by crew_tls()."
  )
  private$.tls$validate(test = FALSE)
  if (!is.null(private$.throttle)) {
    crew_assert(
      inherits(private$.throttle, "crew_class_throttle"),
      message = "throttle must be a crew_throttle() object."
    )
    private$.throttle$validate()
  }
  if (!is.null(private$.options_metrics)) {
    crew_options_metrics_validate(private$.options_metrics)
  }
  invisible()
}

launcher_settings <- function(self, private) {
  profile <- private$.profile
  running <- !is.null(profile) && !is.null(private$.url)
  list(
    url = private$.url,
    dispatcher = TRUE,
    asyncdial = FALSE,
    autoexit = crew_terminate_signal(),
    cleanup = FALSE,
    output = TRUE,
    maxtasks = private$.tasks_max,
    idletime = private$.seconds_idle * 1000,
    walltime = private$.seconds_wall * 1000,
    timerstart = private$.tasks_timers,
    tlscert = private$.tls$worker(profile),
    tlsworker = if (!is.null(private$.tls$authority)) {
      list(
        certificates = private$.tls$worker_certificates,
        key = private$.tls$worker_key
      )
    },
    rs = if (running) native_dispatcher_stream(profile),
    dialtimeout = private$.seconds_timeout * 1000,
    # A worker must connect within seconds_launch of its launch: later, the
    # launch counts as failed (and is replaced), so a late worker is refused.
    credential = if (running) {
      native_dispatcher_credential(
        profile,
        private$.launch_size %||% 1L,
        private$.seconds_launch
      )
    }
  )
}

launcher_deparse <- function(x) {
  text <- deparse(x, control = c("keepNA", "keepInteger", "niceNames"), width.cutoff = 500L)
  paste(text, collapse = " ")
}

launcher_call <- function(settings, name, options_metrics) {
  text <- sprintf(
    paste0(
      "crew::crew_worker(settings = %s, controller = %s, options_metrics = ",
      "crew::crew_options_metrics(path = %s, seconds_interval = %s))"
    ),
    launcher_deparse(settings),
    launcher_deparse(name),
    launcher_deparse(options_metrics$path),
    launcher_deparse(options_metrics$seconds_interval %||% 5)
  )
  gsub(" {2,}", " ", text)
}

launcher_launch <- function(self, private, n) {
  check_nonnegative(n, "n")
  if (n < 1L) {
    return(invisible())
  }
  # A launch runs once: see local_without_jit().
  local_without_jit()
  # One call string, and so one credential good for exactly n workers, per
  # launch: a plugin that asks for call() or settings() again while it
  # submits the workers gets the same ones.
  private$.launch_size <- n
  on.exit(
    {
      private$.launch_size <- NULL
      private$.launch_settings <- NULL
    },
    add = TRUE
  )
  private$.launch_settings <- self$settings()
  call <- self$call()
  handle <- self$launch_workers(call = call, n = n)
  launcher_remember_launch(self, private, handle)
  launches <- private$.launches
  total <- if (nrow(launches)) launches$total[nrow(launches)] else 0L
  private$.launches <- new_rows(
    list(
      handle = c(launches$handle, list(handle)),
      start = c(launches$start, now()),
      submitted = c(launches$submitted, FALSE),
      count = c(launches$count, as.integer(n)),
      total = c(launches$total, as.integer(total + n))
    ),
    nrow = nrow(launches) + 1L
  )
  invisible()
}

launcher_status_names <- c("connections", "cumulative", "awaiting", "executing")

launcher_scale <- function(self, private, status) {
  if (!(is.numeric(status) && all(launcher_status_names %in% names(status)))) {
    crew_error(
      paste(
        "status must be the named numeric vector of counters",
        "from the status() method of the client."
      )
    )
  }
  launches <- private$.launches
  total <- if (nrow(launches)) launches$total[nrow(launches)] else 0L
  connections <- status[["connections"]]
  disconnected <- status[["cumulative"]] - connections
  expected <- max(0, total - connections - disconnected - private$.failed)
  starts <- rep(launches$start, times = launches$count)
  starts <- utils::tail(starts, expected)
  launching <- sum(now() - starts < private$.seconds_launch)
  private$.failed <- as.integer(private$.failed + expected - launching)
  keep <- launches$total >= connections + disconnected
  if (!all(keep)) {
    private$.launches <- launches[keep, , drop = FALSE]
  }
  demand <- min(private$.workers, status[["awaiting"]] + status[["executing"]])
  supply <- launching + connections
  n <- max(0, demand - supply)
  self$launch(n = n)
  activity <- n > 0
  private$.throttle$update(activity)
  invisible(activity)
}

deprecated_async_eval <- function(
  command,
  substitute = TRUE,
  data = list(),
  packages = character(0L),
  library = NULL
) {
  crew_deprecate(
    name = "async$eval()",
    date = "2025-01-13",
    version = "0.10.2.9003",
    alternative = "none",
    condition = "message"
  )
  if (substitute) {
    command <- substitute(command)
  }
  load_packages(packages = packages, library = library)
  envir <- list2env(data, parent = globalenv())
  eval(command, envir = envir)
}
