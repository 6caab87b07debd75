# Waiting for tasks without polling: the dispatcher's counters are exact.

controller_wait <- function(self, private, mode, seconds_interval, seconds_timeout, scale, throttle) {
  mode <- wait_check(mode, seconds_interval, seconds_timeout)
  check_flags(scale = scale, throttle = throttle)
  if (!isTRUE(private$.client$started) || is.null(private$.dispatcher) || self$size() < 1L) {
    return(identical(mode, "all"))
  }
  if (identical(mode, "one") && NROW(private$.held_back) > 0L) {
    return(invisible(TRUE))
  }
  invisible(controller_block(self, private, mode, seconds_timeout, scale, throttle))
}

# wait() on a controller with a dispatcher, with arguments already checked.
# The first wait is short when scaling, so that workers are launched on
# time if it does not end at once; controller_block() takes over after it.
controller_wait_started <- function(self, private, one, seconds_timeout, scale, throttle) {
  dispatcher <- private$.dispatcher
  if (!isTRUE(private$.client$started) ||
    native_size(dispatcher) + NROW(private$.held_back) < 1L) {
    return(!one)
  }
  if (one && NROW(private$.held_back) > 0L) {
    return(invisible(TRUE))
  }
  if (scale) {
    controller_scale_when_due(self, private, throttle)
  }
  start <- now()
  first <- if (scale) min(0.05, seconds_timeout) else seconds_timeout
  if (native_wait(dispatcher, one, first)) {
    return(invisible(TRUE))
  }
  remaining <- max(0, seconds_timeout - (now() - start))
  if (remaining <= 0) {
    return(invisible(FALSE))
  }
  invisible(controller_block(self, private, if (one) "one" else "all", remaining, scale, throttle))
}

# Blocks in the dispatcher until no task is unresolved (mode "all") or a
# task is resolved and not yet taken (mode "one"), waking up once per
# scaling interval to launch workers if `scale` is TRUE. The counters are
# exact, so there is no early return and no polling in between. With a
# progress bar, it also wakes a few times a second to move the bar.
controller_block <- function(self, private, mode, seconds_timeout, scale, throttle, bar = NULL) {
  dispatcher <- private$.dispatcher
  profile <- private$.client$profile
  start <- now()
  repeat {
    if (scale) {
      self$scale(throttle = throttle)
    }
    if (!is.null(bar)) {
      counts <- native_dispatcher_status(profile)
      progress_set(bar, native_size(dispatcher) - counts[["awaiting"]] - counts[["executing"]])
    }
    remaining <- seconds_timeout - (now() - start)
    slice <- if (scale) max(0.05, private$.launcher$throttle$seconds_interval) else Inf
    if (!is.null(bar)) {
      slice <- min(slice, progress_interval)
    }
    if (native_wait(dispatcher, identical(mode, "one"), max(0, min(slice, remaining)))) {
      return(TRUE)
    }
    if (now() - start >= seconds_timeout) {
      return(FALSE)
    }
  }
}

# Seconds between updates of map()'s progress bar.
progress_interval <- 0.25

# The arguments of wait() for every kind of controller; returns the mode.
wait_check <- function(mode, seconds_interval, seconds_timeout) {
  crew_deprecate(
    name = "seconds_interval",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = seconds_interval
  )
  mode <- coerce_atomic(mode, as.character)
  if (!(identical(mode, "all") || identical(mode, "one"))) {
    crew_error("mode must be \"all\" or \"one\".")
  }
  if (!(is.numeric(seconds_timeout) && length(seconds_timeout) == 1L &&
    !anyNA(seconds_timeout) && seconds_timeout >= 0)) {
    crew_error("seconds_timeout must be a nonnegative number.")
  }
  mode
}
