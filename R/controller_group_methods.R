# The longer methods of crew_class_controller_group and its routing rules,
# as free functions.

group_select <- function(members, controllers) {
  if (is.null(controllers)) {
    return(members)
  }
  valid <- is.character(controllers) &&
    length(controllers) > 0L &&
    !anyNA(controllers) &&
    all(nzchar(controllers))
  if (!valid) {
    crew_error("'controllers' must be a valid nonempty character vector.")
  }
  missing <- setdiff(controllers, names(members))
  if (length(missing)) {
    crew_error(paste("controllers not found:", paste(missing, collapse = ", ")))
  }
  members[controllers]
}

group_choose <- function(members, controller) {
  if (is.null(controller)) {
    return(members[[1L]])
  }
  valid <- is.character(controller) &&
    length(controller) == 1L &&
    !is.na(controller) &&
    controller %in% names(members)
  if (!valid) {
    if (!is.atomic(controller)) crew_error("controller must be NULL or the name of a controller of the group.")
    crew_error(paste("controller not found:", paste(controller, collapse = ", ")))
  }
  members[[controller]]
}

group_sum <- function(members, f) {
  as.integer(sum(vapply(members, function(member) as.numeric(f(member)), numeric(1L))))
}

group_summary <- function(members) {
  rows <- lapply(unname(members), function(member) member$summary())
  rows <- Filter(Negate(is.null), rows)
  if (!length(rows)) {
    return(NULL)
  }
  columns <- lapply(
    names(rows[[1L]]),
    function(name) do.call(c, lapply(rows, `[[`, name))
  )
  names(columns) <- names(rows[[1L]])
  tibble_ready()
  new_rows(columns, nrow = length(rows))
}

# The counts are summed over the selected members, but scaling covers
# every member: a backup outside the selection may hold the tasks that
# the selection is waiting for.
group_wait <- function(
  self,
  private,
  mode,
  seconds_interval,
  seconds_timeout,
  scale,
  throttle,
  controllers
) {
  mode <- wait_check(mode, seconds_interval, seconds_timeout)
  check_flags(scale = scale, throttle = throttle)
  if (self$size(controllers = controllers) < 1L) {
    return(identical(mode, "all"))
  }
  done <- if (identical(mode, "all")) {
    function() self$unresolved(controllers = controllers) < 1L
  } else {
    function() {
      self$size(controllers = controllers) - self$unresolved(controllers = controllers) > 0L
    }
  }
  relay <- private$.relay
  start <- now()
  repeat {
    if (done()) {
      return(invisible(TRUE))
    }
    if (scale) {
      self$scale(throttle = throttle)
      if (done()) {
        return(invisible(TRUE))
      }
    }
    if (now() - start >= seconds_timeout) {
      return(invisible(FALSE))
    }
    relay$wait()
  }
}
