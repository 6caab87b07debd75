# Argument checks cheap enough for code that runs once per task or once
# per scaling round: plain conditionals instead of crew_assert(), which
# captures and evaluates expressions. Each error names the argument.

# What isTRUE(value) || isFALSE(value) says, in primitives only: push()
# checks its `substitute` flag here on every call. Returns NULL invisibly
# (the value of an `if` without `else`).
check_flag <- function(value, name) {
  if (!is.logical(value) || length(value) != 1L || is.na(value)) {
    crew_error(paste(name, "must be TRUE or FALSE."), kind = "invalid_argument")
  }
}

# Several flags at once, each named by its argument: check_flags(scale = scale).
check_flags <- function(...) {
  flags <- list(...)
  for (name in names(flags)) {
    check_flag(flags[[name]], name)
  }
  invisible()
}

check_string <- function(value, name, allow_null = FALSE) {
  if (allow_null && is.null(value)) {
    return(invisible())
  }
  if (!(is.character(value) && length(value) == 1L && !is.na(value) && nzchar(value))) {
    crew_error(
      paste(name, "must be", if (allow_null) "NULL or", "a nonempty character string."),
      kind = "invalid_argument"
    )
  }
  invisible()
}

# Checks the names of tasks about to be pushed (already known to be
# strings). The limit and its message belong to the native side, which
# checks the same in push()'s fast path (see task_rules_load()).
check_task_name_lengths <- function(names) {
  if (any(nchar(names, type = "bytes") > task_name_bytes_max, na.rm = TRUE)) {
    crew_error(task_name_too_long, kind = "invalid_argument")
  }
  invisible()
}

# `x` converted by `as` if it is an atomic vector, otherwise as it is, for
# the checks that follow to reject: as.character() and as.integer() of an
# environment, a function or an external pointer raise errors of base R.
coerce_atomic <- function(x, as) {
  if (is.atomic(x)) as(x) else x
}

check_nonnegative <- function(value, name) {
  if (!(is.numeric(value) && length(value) == 1L && !is.na(value) && value >= 0 &&
    value <= .Machine$integer.max && value == round(value))) {
    crew_error(
      paste(name, "must be a nonnegative whole number of length 1, at most .Machine$integer.max."),
      kind = "invalid_argument"
    )
  }
  invisible()
}
