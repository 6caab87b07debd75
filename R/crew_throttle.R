#' @title Throttle
#' @export
#' @description Create an object that limits how often an action runs,
#'   with an interval that grows when nothing happens and shrinks back
#'   when there is activity (exponential backoff).
#' @details Controllers use a throttle to avoid checking on workers and
#'   tasks too often. The `poll()` method returns `TRUE` when more than
#'   the current interval has passed since the last `TRUE` poll. The very
#'   first poll returns `FALSE` and starts the clock. A launcher polls its
#'   throttle before it scales; a local launcher lets its first poll
#'   through anyway, so a new local controller launches workers for its
#'   first `push()` at once, while launchers that submit cluster jobs let
#'   the first tasks accumulate for one interval (see the
#'   `seconds_interval` argument of [crew_launcher()]).
#' @param seconds_max Positive number: the longest interval, in seconds.
#' @param seconds_min Positive number: the shortest interval, in seconds.
#'   Must not exceed `seconds_max`.
#' @param seconds_start Positive number: the initial interval, in seconds,
#'   between `seconds_min` and `seconds_max`. Also the interval that
#'   `reset()` restores.
#' @param base Number greater than 1: the factor by which
#'   `decelerate()` lengthens and `accelerate()` shortens the interval.
#' @return An object of class [crew_class_throttle].
#' @examples
#' throttle <- crew_throttle(seconds_max = 1, seconds_min = 0.01)
#' throttle$poll()
#' throttle$seconds_interval
#' throttle$decelerate()
#' throttle$seconds_interval
#' throttle$reset()
#' throttle$poll()
crew_throttle <- function(
  seconds_max = 1,
  seconds_min = 1e-6,
  seconds_start = seconds_min,
  base = 2
) {
  throttle <- crew_class_throttle$new(
    seconds_max = seconds_max,
    seconds_min = seconds_min,
    seconds_start = seconds_start,
    base = base
  )
  throttle$validate()
  throttle
}

#' @title Throttle class
#' @export
#' @description `R6` class of the objects that [crew_throttle()] returns.
#' @details See [crew_throttle()].
#' @examples
#' throttle <- crew_throttle()
#' throttle$poll()
crew_class_throttle <- R6::R6Class(
  classname = "crew_class_throttle",
  portable = FALSE,
  cloneable = FALSE,
  private = list(
    .seconds_max = NULL,
    .seconds_min = NULL,
    .seconds_start = NULL,
    .base = NULL,
    .seconds_interval = NULL,
    .polled = NULL
  ),
  active = list(
    #' @field seconds_max See [crew_throttle()].
    seconds_max = function() {
      .seconds_max
    },
    #' @field seconds_min See [crew_throttle()].
    seconds_min = function() {
      .seconds_min
    },
    #' @field seconds_start See [crew_throttle()].
    seconds_start = function() {
      .seconds_start
    },
    #' @field base See [crew_throttle()].
    base = function() {
      .base
    },
    #' @field seconds_interval The current interval in seconds.
    seconds_interval = function() {
      .seconds_interval
    },
    #' @field polled `NULL` before the first poll, then the time (seconds
    #'   on a monotonic clock) of the last poll that returned `TRUE`, or
    #'   `-Inf` after `reset()`.
    polled = function() {
      .polled
    }
  ),
  public = list(
    #' @description Create a throttle object. Use [crew_throttle()]
    #'   instead, which also validates it.
    #' @return A throttle object.
    #' @param seconds_max See [crew_throttle()].
    #' @param seconds_min See [crew_throttle()].
    #' @param seconds_start See [crew_throttle()].
    #' @param base See [crew_throttle()].
    initialize = function(
      seconds_max = NULL,
      seconds_min = NULL,
      seconds_start = NULL,
      base = NULL
    ) {
      .seconds_max <<- seconds_max
      .seconds_min <<- seconds_min
      .seconds_start <<- seconds_start
      .base <<- base
      .seconds_interval <<- seconds_start
    },
    #' @description Check the fields, raising a `crew_error` if any is
    #'   invalid.
    #' @return `NULL` (invisibly).
    validate = function() {
      throttle_validate(
        seconds_max = .seconds_max,
        seconds_min = .seconds_min,
        seconds_start = .seconds_start,
        base = .base,
        seconds_interval = .seconds_interval,
        polled = .polled
      )
    },
    #' @description Tell whether enough time has passed since the last
    #'   poll that returned `TRUE`.
    #' @details The first call only records the time and returns `FALSE`.
    #' @return `TRUE` if more than `seconds_interval` seconds passed since
    #'   the last `TRUE` poll, `FALSE` otherwise.
    poll = function() {
      time <- now()
      if (is.null(.polled)) {
        .polled <<- time
        return(FALSE)
      }
      if (time - .polled > .seconds_interval) {
        .polled <<- time
        return(TRUE)
      }
      FALSE
    },
    #' @description Divide the interval by `base`, down to `seconds_min`.
    #' @return `NULL` (invisibly).
    accelerate = function() {
      .seconds_interval <<- max(.seconds_min, .seconds_interval / .base)
      invisible()
    },
    #' @description Multiply the interval by `base`, up to `seconds_max`.
    #' @return `NULL` (invisibly).
    decelerate = function() {
      .seconds_interval <<- min(.seconds_max, .seconds_interval * .base)
      invisible()
    },
    #' @description Restore the starting interval and make the next poll
    #'   return `TRUE`.
    #' @return `NULL` (invisibly).
    reset = function() {
      .seconds_interval <<- .seconds_start
      .polled <<- -Inf
      invisible()
    },
    #' @description Adjust the throttle to the activity seen since the last
    #'   poll: reset it if there was activity, otherwise slow it down.
    #' @return `NULL` (invisibly).
    #' @param activity `TRUE` if there was activity, `FALSE` otherwise.
    update = function(activity) {
      check_flag(activity, "activity")
      if (activity) {
        reset()
      } else {
        decelerate()
      }
      invisible()
    }
  )
)

#' @title Validate the fields of a throttle
#' @description Raise a `crew_error` on the first invalid field.
#' @keywords internal
#' @param seconds_max Longest interval.
#' @param seconds_min Shortest interval.
#' @param seconds_start Starting interval.
#' @param base Backoff factor.
#' @param seconds_interval Current interval.
#' @param polled Time of the last `TRUE` poll, or `NULL`.
#' @return `NULL` (invisibly).
throttle_validate <- function(
  seconds_max,
  seconds_min,
  seconds_start,
  base,
  seconds_interval,
  polled
) {
  numbers <- list(
    seconds_max = seconds_max,
    seconds_min = seconds_min,
    seconds_start = seconds_start,
    base = base,
    seconds_interval = seconds_interval
  )
  for (name in names(numbers)) {
    value <- numbers[[name]]
    valid <- is.numeric(value) &&
      length(value) == 1L &&
      !anyNA(value) &&
      value > 0
    if (!valid) {
      crew_error(
        sprintf("throttle field %s must be a positive number of length 1.", name)
      )
    }
  }
  if (base <= 1) {
    crew_error("throttle field base must be greater than 1.")
  }
  if (!is.null(polled)) {
    if (!is.numeric(polled) || length(polled) != 1L || anyNA(polled)) {
      crew_error("throttle field polled must be NULL or a non-missing number.")
    }
  }
  if (seconds_min > seconds_max) {
    crew_error("throttle field seconds_min must not exceed seconds_max.")
  }
  for (name in c("seconds_start", "seconds_interval")) {
    value <- numbers[[name]]
    if (value < seconds_min || value > seconds_max) {
      crew_error(
        sprintf(
          "throttle field %s must be between seconds_min and seconds_max.",
          name
        )
      )
    }
  }
  invisible()
}
