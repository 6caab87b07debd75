#' @title Retry until a condition holds
#' @export
#' @description Call a function repeatedly until it returns `TRUE`, or
#'   until a timeout or a maximum number of attempts is reached.
#' @details `fun` is called with `args` in `envir`. If the result is not
#'   exactly `TRUE`, the elapsed time and the number of attempts are
#'   checked, and the function sleeps `seconds_interval` seconds before the
#'   next attempt. With `max_tries = n`, `fun` runs at most `n` times.
#' @param fun Function to call, or anything [rlang::as_function()] accepts,
#'   such as a one-sided formula `~ condition`. It should return `TRUE`
#'   when the wait is over.
#' @param args Named list of arguments to `fun`.
#' @param seconds_interval Nonnegative number of seconds to sleep between
#'   attempts.
#' @param seconds_timeout Nonnegative number of seconds to keep trying.
#' @param max_tries Nonnegative maximum number of attempts.
#' @param error `TRUE` to raise an error of class `crew_expire` when the
#'   timeout or the maximum number of attempts is reached, `FALSE` to
#'   return silently instead.
#' @param message Character string appended to the error message.
#' @param envir Environment in which to call `fun`.
#' @param assertions `TRUE` to check the arguments first, `FALSE` to skip
#'   the checks (slightly faster in tight loops).
#' @return `NULL` (invisibly).
#' @examples
#' crew_retry(fun = function() TRUE)
#' start <- Sys.time()
#' crew_retry(
#'   fun = ~ Sys.time() > start + 0.1,
#'   seconds_interval = 0.01
#' )
crew_retry <- function(
  fun,
  args = list(),
  seconds_interval = 0.25,
  seconds_timeout = 60,
  max_tries = Inf,
  error = TRUE,
  message = character(0),
  envir = parent.frame(),
  assertions = TRUE
) {
  check_flag(assertions, "assertions")
  fun <- tryCatch(
    rlang::as_function(fun),
    error = function(condition) {
      crew_error("crew_retry() argument fun must be a function or a one-sided formula.")
    }
  )
  if (assertions) {
    crew_retry_validate(
      fun = fun,
      args = args,
      seconds_interval = seconds_interval,
      seconds_timeout = seconds_timeout,
      max_tries = max_tries,
      error = error,
      message = message,
      envir = envir
    )
  }
  start <- now()
  tries <- 0L
  while (!isTRUE(do.call(what = fun, args = args, envir = envir))) {
    if (now() - start > seconds_timeout) {
      if (error) {
        crew_expire(
          crew_retry_message(
            sprintf("timed out after retrying for %s seconds.", seconds_timeout),
            message
          )
        )
      }
      return(invisible())
    }
    tries <- tries + 1L
    if (tries >= max_tries) {
      if (error) {
        crew_expire(
          crew_retry_message(
            sprintf("giving up after %s attempts.", tries),
            message
          )
        )
      }
      return(invisible())
    }
    Sys.sleep(seconds_interval)
  }
  invisible()
}

#' @title Validate the arguments of [crew_retry()]
#' @description Raise a `crew_error` on the first invalid argument.
#' @keywords internal
#' @param fun Function to call.
#' @param args Arguments to `fun`.
#' @param seconds_interval Seconds between attempts.
#' @param seconds_timeout Seconds before giving up.
#' @param max_tries Maximum number of attempts.
#' @param error Whether to raise an error at the end.
#' @param message Text appended to the error message.
#' @param envir Environment in which to call `fun`.
#' @return `NULL` (invisibly).
crew_retry_validate <- function(
  fun,
  args,
  seconds_interval,
  seconds_timeout,
  max_tries,
  error,
  message,
  envir
) {
  if (!is.function(fun)) {
    crew_error("crew_retry() argument fun must be a function.")
  }
  if (!is.list(args) || (length(args) > 0L && !is_named(args))) {
    crew_error(
      "crew_retry() argument args must be a list with unique nonempty names."
    )
  }
  numbers <- list(
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout,
    max_tries = max_tries
  )
  for (name in names(numbers)) {
    value <- numbers[[name]]
    valid <- is.numeric(value) &&
      length(value) == 1L &&
      !anyNA(value) &&
      value >= 0
    if (!valid) {
      crew_error(
        sprintf(
          "crew_retry() argument %s must be a nonnegative number of length 1.",
          name
        )
      )
    }
  }
  if (!isTRUE(error) && !isFALSE(error)) {
    crew_error("crew_retry() argument error must be TRUE or FALSE.")
  }
  if (!is.character(message)) {
    crew_error("crew_retry() argument message must be a character vector.")
  }
  if (!is.environment(envir)) {
    crew_error("crew_retry() argument envir must be an environment.")
  }
  invisible()
}

#' @title Error message of [crew_retry()]
#' @description Join the reason for stopping with the user's message.
#' @keywords internal
#' @param reason Character string: why retrying stopped.
#' @param message Character vector from the user, possibly empty.
#' @return A string.
crew_retry_message <- function(reason, message) {
  paste(c(reason, message[nzchar(message)]), collapse = " ")
}
