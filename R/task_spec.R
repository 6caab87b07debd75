# The one description of the tasks a public method submits: push(),
# walk() and map() of controllers and groups build it once from their
# arguments, with task_spec(), and hand it down whole. A batch (walk() and
# map()) also has `iterate`, `names` (the name of the element of `iterate`
# that names the tasks, or NULL) and `verbose`.
#
# The path that takes a spec checks it: push()'s fast path natively (one
# native call that checks, serializes and queues the task), every other
# path once in R, with task_spec_check(), before anything starts or is
# queued (the native call that queues the task still runs its own checks,
# which cost nanoseconds). The spec is the environment of the call to
# task_spec(): building it allocates nothing more, so a group's push() keeps the fast path of its
# member, and each argument stays unevaluated until a check or the
# submission reads it, as when the methods passed the arguments down one
# by one (a command given with `substitute = FALSE` is evaluated after the
# checks). task_spec_check() adds `task_names` to a batch.
task_spec <- function(
  command,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout,
  scale,
  throttle,
  name = NULL,
  batch = FALSE,
  iterate = NULL,
  names = NULL,
  verbose = FALSE
) {
  environment()
}

# Checks a spec in the order users have always met the checks: for one
# task, `scale` and `throttle`, then the task, then `name`; for a batch,
# `iterate`, the task, the flags, then `names`. `scaling = FALSE` is for a
# controller that runs tasks in place (the sequential controller): it
# ignores the scaling arguments, and for one task the timeout too, so they
# are not checked. Returns the spec, with `task_names` (the names a batch
# takes from `iterate`, or NULL) for a batch.
task_spec_check <- function(spec, scaling = TRUE) {
  task_check <- function(seconds_timeout) {
    controller_task_arguments_check(
      spec$data, spec$globals, spec$seed, spec$algorithm, spec$packages,
      spec$library, seconds_timeout
    )
  }
  if (spec$batch) {
    iterate <- spec$iterate
    crew_assert(
      is.list(iterate) && length(iterate) > 0L && is_named(iterate) && !is.null(base::names(iterate)),
      message = "iterate must be a nonempty named list."
    )
    lengths <- vapply(iterate, length, integer(1L))
    crew_assert(
      all(lengths == lengths[[1L]]) && lengths[[1L]] > 0L,
      message = "all elements of iterate must be nonempty and have the same length."
    )
    task_check(spec$seconds_timeout)
    if (scaling) {
      check_flags(verbose = spec$verbose, scale = spec$scale, throttle = spec$throttle)
    } else {
      check_flag(spec$verbose, "verbose")
    }
    names <- spec$names
    if (!is.null(names)) {
      crew_assert(
        is.character(names) && length(names) == 1L && !anyNA(names) && names %in% base::names(iterate),
        message = "names must be NULL or the name of an element of iterate."
      )
      task_names <- as.character(iterate[[names]])
      check_task_names(task_names)
      spec$task_names <- task_names
    }
  } else {
    if (scaling) {
      check_flags(scale = spec$scale, throttle = spec$throttle)
    }
    task_check(if (scaling) spec$seconds_timeout)
    name <- spec$name
    if (!is.null(name)) {
      check_string(name, "name", allow_null = TRUE)
      check_task_name_lengths(name)
    }
  }
  spec
}

# The names of the tasks of a batch: nonempty, non-missing, unique and not
# too long.
check_task_names <- function(task_names) {
  crew_assert(
    !anyNA(task_names) && !anyDuplicated(task_names) && all(nzchar(task_names)),
    message = "task names in walk() and map() must be nonempty, non-missing and unique."
  )
  check_task_name_lengths(task_names)
}

# The private half of a controller, where groups and backups hand over a
# task spec (its public methods take arguments, as in crew 1.3.0).
# .subset2() rather than `$`, which would look for S3 methods of the
# controller's classes first: a group's push() goes through here.
controller_private <- function(controller) {
  .subset2(.subset2(controller, ".__enclos_env__"), "private")
}

# walk() and map() take `save_command` only to say it is no longer used.
deprecate_save_command <- function(save_command) {
  crew_deprecate(
    name = "save_command",
    date = "2025-01-22",
    version = "0.10.2.9004",
    alternative = "none (no longer used)",
    value = save_command
  )
}
