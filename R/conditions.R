# Conditions raised by the package. Every crew condition carries the class
# "crew" so that callers can catch them all at once, and each is raised with
# call = emptyenv() so that messages stay short.

#' @title Conditions raised by crew
#' @name crew_conditions
#' @aliases crew_error crew_error_invalid_argument crew_error_tls
#'   crew_error_address_in_use crew_error_refused_worker
#'   crew_error_duplicate_name crew_error_too_large
#'   crew_error_profile_active crew_error_not_running crew_error_forked
#'   crew_error_runtime crew_error_network crew_error_protocol
#'   crew_error_serialization crew_error_internal crew_expire
#'   crew_warning crew_message
#' @description Every condition that `crew` raises has the class `"crew"`.
#'   Errors have the class `"crew_error"`, and most have one more class
#'   that says what went wrong, so that code can handle one kind of error
#'   without reading messages, which may change. The class vector of such an
#'   error is `c("crew_error_<kind>", "crew_error", "crew", "rlang_error",
#'   "error", "condition")`.
#' @section Error classes:
#'   * `crew_error_invalid_argument`: an argument has the wrong type, length
#'     or value; the message names the argument. [crew_assert()] raises
#'     this class.
#'   * `crew_error_tls`: a TLS certificate, key or password cannot be used
#'     (a file that is not PEM, a key that does not match its certificate,
#'     an expired certificate, a wrong password).
#'   * `crew_error_address_in_use`: the host and port of a controller are
#'     taken, by another program or by a controller of this R session with
#'     other TLS settings.
#'   * `crew_error_refused_worker`: the controller refused a worker's
#'     credentials.
#'   * `crew_error_duplicate_name`: a task of that name is already in the
#'     controller.
#'   * `crew_error_too_large`: a task is larger than one message of a
#'     connection can carry.
#'   * `crew_error_profile_active`: a controller with the same name (compute
#'     profile) is already started in this R session.
#'   * `crew_error_not_running`: the controller's dispatcher is not running
#'     or has stopped.
#'   * `crew_error_forked`: `crew` was used in a forked child process (for
#'     example inside [parallel::mclapply()]).
#'   * `crew_error_runtime`: the background runtime of `crew`, or a part of
#'     R it relies on, is not available.
#'   * `crew_error_network`: a socket operation failed.
#'   * `crew_error_protocol`: a peer sent something that does not follow
#'     the protocol between controllers and workers.
#'   * `crew_error_serialization`: a task cannot be serialized.
#'   * `crew_error_internal`: a defect in `crew` itself; please report it.
#'   * `crew_expire`: a wait or a retry ran out of time ([crew_retry()]);
#'     it is also a `crew_error`.
#'
#'   Other errors of `crew` have the class `crew_error` alone.
#' @section Warnings and messages:
#'   Warnings have the classes `c("crew_warning", "crew")` and messages
#'   `c("crew_message", "crew")`.
#' @examples
#' tryCatch(
#'   crew_assert(2, . < 1, message = "too large"),
#'   crew_error_invalid_argument = function(condition) "invalid argument"
#' )
NULL

# `kind` is the kind of error (see ?crew_conditions): the library's error
# records carry one (see src/rust/src/records.rs).
crew_error <- function(message = NULL, kind = NULL) {
  class <- c("crew_error", "crew")
  if (length(kind) == 1L && is.character(kind) && !is.na(kind) && nzchar(kind)) {
    class <- c(paste0("crew_error_", kind), class)
  }
  rlang::abort(
    message = message,
    class = class,
    call = emptyenv(),
    .frame = emptyenv()
  )
}

crew_expire <- function(message = NULL) {
  rlang::abort(
    message = message,
    class = c("crew_expire", "crew_error", "crew"),
    call = emptyenv(),
    .frame = emptyenv()
  )
}

crew_warning <- function(message = NULL) {
  rlang::warn(
    message = message,
    class = c("crew_warning", "crew")
  )
}

# Signalled with base R rather than rlang: workers write these to their
# logs, and loading rlang would add a tenth of a second to every worker's
# start.
crew_message <- function(message = NULL) {
  condition <- structure(
    class = c("crew_message", "crew", "message", "condition"),
    list(message = paste0(paste(message, collapse = "\n"), "\n"), call = NULL)
  )
  message(condition)
}

crew_condition_false <- function(condition) {
  FALSE
}

crew_condition_message <- function(condition) {
  conditionMessage(condition)
}
