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

crew_message <- function(message = NULL) {
  rlang::inform(
    message = message,
    class = c("crew_message", "crew")
  )
}

crew_condition_false <- function(condition) {
  FALSE
}

crew_condition_message <- function(condition) {
  conditionMessage(condition)
}
