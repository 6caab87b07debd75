# Conditions raised by the package. Every crew condition carries the class
# "crew" so that callers can catch them all at once, and each is raised with
# call = emptyenv() so that messages stay short.

crew_error <- function(message = NULL) {
  rlang::abort(
    message = message,
    class = c("crew_error", "crew"),
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
