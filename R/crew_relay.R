#' @title Create a relay of task-resolution signals.
#' @export
#' @family relay
#' @description A relay carries the "a task resolved" signal from a
#'   dispatcher to a controller and from controllers to a controller group.
#'   Its `wait()` method blocks until a signal arrives or the throttle's
#'   current interval passes.
#' @param throttle A [crew_throttle()] object: its interval bounds each wait
#'   and grows while nothing happens.
#' @return A `crew_class_relay` object.
#' @examples
#' relay <- crew_relay()
#' relay$start()
#' relay$wait()
#' relay$terminate()
crew_relay <- function(throttle = crew_throttle()) {
  relay <- crew_class_relay$new(throttle = throttle)
  relay$validate()
  relay
}

#' @title Relay class
#' @export
#' @family relay
#' @description R6 class of relays; see [crew_relay()].
#' @examples
#' relay <- crew_relay()
#' relay$start()
#' relay$terminate()
crew_class_relay <- R6::R6Class(
  classname = "crew_class_relay",
  cloneable = FALSE,
  portable = FALSE,
  private = list(
    .condition = NULL,
    .from = NULL,
    .to = NULL,
    .throttle = NULL
  ),
  active = list(
    #' @field condition The relay's own signal, `NULL` until started.
    condition = function() {
      .condition
    },
    #' @field from Signal forwarded into the relay, or `NULL`.
    from = function() {
      .from
    },
    #' @field to Signal the relay forwards to, or `NULL`.
    to = function() {
      .to
    },
    #' @field throttle The relay's throttle.
    throttle = function() {
      .throttle
    }
  ),
  public = list(
    #' @description Create a relay.
    #' @param throttle A [crew_throttle()] object.
    #' @return A relay object.
    initialize = function(throttle) {
      .throttle <<- throttle
    },
    #' @description Check the relay.
    #' @return `NULL` (invisibly).
    validate = function() {
      for (field in c("condition", "from", "to")) {
        relay_check_signal(private[[paste0(".", field)]], field)
      }
      crew_assert(
        inherits(.throttle, "crew_class_throttle"),
        message = "throttle must be a crew_throttle() object."
      )
      .throttle$validate()
      invisible()
    },
    #' @description Create the relay's signal and connect the forwarding.
    #' @return `NULL` (invisibly).
    start = function() {
      if (is.null(.condition)) {
        .condition <<- native_signal_new()
        if (!is.null(.from)) {
          native_signal_forward(.from, .condition)
        }
        if (!is.null(.to)) {
          native_signal_forward(.condition, .to)
        }
      }
      invisible()
    },
    #' @description Drop the relay's signal.
    #' @return `NULL` (invisibly).
    terminate = function() {
      .condition <<- NULL
      invisible()
    },
    #' @description Set the signal to forward from (used at the next start).
    #' @param from A signal.
    #' @return `NULL` (invisibly).
    set_from = function(from) {
      relay_check_signal(from, "from")
      .from <<- from
      invisible()
    },
    #' @description Set the signal to forward to (used at the next start).
    #' @param to A signal.
    #' @return `NULL` (invisibly).
    set_to = function(to) {
      relay_check_signal(to, "to")
      .to <<- to
      invisible()
    },
    #' @description Wait for one signal, at most the throttle's interval.
    #' @return `TRUE` if a signal was consumed, `FALSE` on timeout.
    wait = function() {
      seconds <- .throttle$seconds_interval
      if (is.null(.condition)) {
        Sys.sleep(seconds)
        signaled <- FALSE
      } else {
        signaled <- native_signal_wait(.condition, seconds)
      }
      .throttle$update(signaled)
      signaled
    }
  )
)

relay_check_signal <- function(value, name) {
  if (!(is.null(value) || inherits(value, "conditionVariable"))) {
    crew_error(paste(name, "must be NULL or a condition variable."))
  }
  invisible()
}
