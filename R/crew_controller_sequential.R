#' @title Create a sequential controller.
#' @export
#' @family controller
#' @description A sequential controller runs every task in the current R
#'   process, at the moment the task is pushed. It has the same methods as
#'   other controllers, so code written for parallel workers can run
#'   without any workers at all, for example while debugging or on a
#'   machine where starting processes is not possible.
#' @details No client starts listening and no launcher starts workers.
#'   `push()` evaluates the task right away with [crew_eval()], so
#'   `pop()`, `collect()`, and `map()` always find the results ready.
#'   Because tasks run in this session, the reset settings below act on
#'   this session's global variables, packages, and options.
#' @param reset_globals `TRUE` to remove the global variables a task
#'   created (including its `globals`) once the task finishes.
#' @param reset_packages `TRUE` to detach the packages a task attached
#'   once the task finishes.
#' @param reset_options `TRUE` to restore the global options a task
#'   changed once the task finishes.
#' @param garbage_collection `TRUE` to collect garbage after each task.
#' @return A `crew_class_controller_sequential` object.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_sequential()
#'   controller$push(1 + 1)
#'   controller$pop()$result
#'   controller$map(x + 1, iterate = list(x = 1:3))$result
#' }
crew_controller_sequential <- function(
  reset_globals = TRUE,
  reset_packages = FALSE,
  reset_options = FALSE,
  garbage_collection = FALSE
) {
  controller <- crew_class_controller_sequential$new(
    client = crew_client(),
    launcher = crew_launcher(),
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection,
    crashes_max = 0L
  )
  controller$validate()
  controller
}

#' @title Sequential controller class
#' @export
#' @family controller
#' @description R6 class of sequential controllers, which run tasks in the
#'   current R process. See [crew_controller_sequential()].
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_sequential()
#'   controller$walk(x * 2, iterate = list(x = 1:2))
#'   controller$collect()$result
#' }
crew_class_controller_sequential <- R6::R6Class(
  classname = "crew_class_controller_sequential",
  inherit = crew_class_controller,
  cloneable = FALSE,
  portable = FALSE,
  private = list(
    .resolved = 0L
  ),
  public = list(
    #' @description Mark the controller as started (nothing connects) and
    #'   clear its tasks and totals, unless it is already started.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    start = function(controllers = NULL) {
      if (!isTRUE(.client$started)) {
        .client$set_started()
        controller_reset(private)
        .summary <<- controller_summary_zero(.launcher$name)
        .resolved <<- 0L
      }
      invisible()
    },
    #' @description Number of tasks pushed since the controller started
    #'   (every pushed task is resolved at once).
    #' @param controllers Unused; for compatibility with groups.
    #' @return Integer.
    resolved = function(controllers = NULL) {
      .resolved
    },
    #' @description Number of unresolved tasks, always zero.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `0L`.
    unresolved = function(controllers = NULL) {
      0L
    },
    #' @description Whether the controller is saturated: never, since it
    #'   has no workers to fill.
    #' @param collect Unused.
    #' @param throttle Unused.
    #' @param controller Unused; for compatibility with groups.
    #' @return `FALSE`.
    saturated = function(collect = NULL, throttle = NULL, controller = NULL) {
      FALSE
    },
    #' @description Does nothing: there are no workers.
    #' @param n Unused.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    launch = function(n = 1L, controllers = NULL) {
      invisible()
    },
    #' @description Does nothing: there are no workers.
    #' @param throttle Unused.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `FALSE` (invisibly).
    scale = function(throttle = TRUE, controllers = NULL) {
      invisible(FALSE)
    },
    #' @description Does nothing: there are no workers.
    #' @param loop Unused.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    autoscale = function(loop = NULL, controllers = NULL) {
      invisible()
    },
    #' @description Does nothing: there are no workers.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    descale = function(controllers = NULL) {
      invisible()
    },
    #' @description Run a task in this R process now and keep its result
    #'   until it is popped or collected.
    #' @param command R code of the task.
    #' @param data Named list of objects the task can see.
    #' @param globals Named list of objects assigned to the global
    #'   environment before the task.
    #' @param substitute `TRUE` to take `command` as written, `FALSE` if
    #'   `command` is already a language object.
    #' @param seed `NULL` or an integer seed for the task.
    #' @param algorithm `NULL` or a random number generator kind.
    #' @param packages Packages to attach before the task. A package that
    #'   cannot be loaded makes `push()` itself raise an error.
    #' @param library Library paths of `packages`.
    #' @param seconds_timeout Unused.
    #' @param scale Unused.
    #' @param throttle Unused.
    #' @param name `NULL` or a name for the task.
    #' @param save_command Unused.
    #' @param controller Unused; for compatibility with groups.
    #' @return The task's handle (invisibly), whose `data` element is the
    #'   result row.
    push = function(
      command,
      data = list(),
      globals = list(),
      substitute = TRUE,
      seed = NULL,
      algorithm = NULL,
      packages = character(0),
      library = NULL,
      seconds_timeout = NULL,
      scale = TRUE,
      throttle = TRUE,
      name = NULL,
      save_command = NULL,
      controller = NULL
    ) {
      check_flag(substitute, "substitute")
      if (substitute) {
        command <- substitute(command)
      }
      sequential_push(
        self = self,
        private = private,
        command = command,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        name = name
      )
    },
    #' @description Run one task per element of `iterate`, in order, and
    #'   keep the results.
    #' @param command R code of the tasks.
    #' @param iterate Named list of vectors of equal length: task `i` sees
    #'   element `i` of each.
    #' @param data See `push()`.
    #' @param globals See `push()`.
    #' @param substitute See `push()`.
    #' @param seed `NULL` or a number whose sign decides the task seeds.
    #' @param algorithm See `push()`.
    #' @param packages See `push()`.
    #' @param library See `push()`.
    #' @param seconds_timeout Unused.
    #' @param names `NULL` or the name of an element of `iterate` holding
    #'   the task names.
    #' @param save_command Deprecated.
    #' @param verbose `TRUE` to report how long the tasks took.
    #' @param scale Unused.
    #' @param throttle Unused.
    #' @param controller Unused; for compatibility with groups.
    #' @return Named list of task handles (invisibly).
    walk = function(
      command,
      iterate,
      data = list(),
      globals = list(),
      substitute = TRUE,
      seed = NULL,
      algorithm = NULL,
      packages = character(0),
      library = NULL,
      seconds_timeout = NULL,
      names = NULL,
      save_command = NULL,
      verbose = interactive(),
      scale = TRUE,
      throttle = TRUE,
      controller = NULL
    ) {
      crew_assert(
        isTRUE(substitute) || isFALSE(substitute),
        message = "substitute must be TRUE or FALSE."
      )
      if (substitute) {
        command <- substitute(command)
      }
      handles <- sequential_walk(
        self = self,
        private = private,
        command = command,
        iterate = iterate,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_timeout = seconds_timeout,
        names = names,
        save_command = save_command,
        verbose = verbose,
        scale = scale,
        throttle = throttle
      )
      invisible(handles)
    },
    #' @description Run one task per element of `iterate` and return all
    #'   the results.
    #' @param command See `walk()`.
    #' @param iterate See `walk()`.
    #' @param data See `push()`.
    #' @param globals See `push()`.
    #' @param substitute See `push()`.
    #' @param seed See `walk()`.
    #' @param algorithm See `push()`.
    #' @param packages See `push()`.
    #' @param library See `push()`.
    #' @param seconds_interval Deprecated.
    #' @param seconds_timeout Unused.
    #' @param names See `walk()`.
    #' @param save_command Deprecated.
    #' @param error `"stop"`, `"warn"` or `"silent"`: what to do if a task
    #'   does not succeed.
    #' @param warnings `TRUE` to warn if tasks had warnings.
    #' @param verbose `TRUE` to report how long the tasks took.
    #' @param scale Unused.
    #' @param throttle Unused.
    #' @param controller Unused; for compatibility with groups.
    #' @return A data frame of results, one row per task, in the order of
    #'   `iterate`.
    map = function(
      command,
      iterate,
      data = list(),
      globals = list(),
      substitute = TRUE,
      seed = NULL,
      algorithm = NULL,
      packages = character(0),
      library = NULL,
      seconds_interval = NULL,
      seconds_timeout = NULL,
      names = NULL,
      save_command = NULL,
      error = "stop",
      warnings = TRUE,
      verbose = interactive(),
      scale = TRUE,
      throttle = TRUE,
      controller = NULL
    ) {
      crew_assert(
        isTRUE(substitute) || isFALSE(substitute),
        message = "substitute must be TRUE or FALSE."
      )
      if (substitute) {
        command <- substitute(command)
      }
      sequential_map(
        self = self,
        private = private,
        command = command,
        iterate = iterate,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_interval = seconds_interval,
        seconds_timeout = seconds_timeout,
        names = names,
        save_command = save_command,
        error = error,
        warnings = warnings,
        verbose = verbose
      )
    },
    #' @description Pop the earliest pushed task still held.
    #' @param scale Unused.
    #' @param collect Deprecated.
    #' @param throttle Unused.
    #' @param error `NULL`, `"stop"`, `"warn"` or `"silent"`: what to do if
    #'   the task did not succeed.
    #' @param controllers Unused; for compatibility with groups.
    #' @return A one-row data frame of results, or `NULL`.
    pop = function(
      scale = TRUE,
      collect = NULL,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      sequential_pop(private, collect, error)
    },
    #' @description Pop every task held, in the order they were pushed.
    #' @param scale Unused.
    #' @param throttle Unused.
    #' @param error See `pop()`.
    #' @param controllers Unused; for compatibility with groups.
    #' @return A data frame of results, or `NULL`.
    collect = function(
      scale = TRUE,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      sequential_collect(private, error)
    },
    #' @description Return at once: every task is already resolved.
    #' @param mode Unused.
    #' @param seconds_interval Unused.
    #' @param seconds_timeout Unused.
    #' @param scale Unused.
    #' @param throttle Unused.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` (invisibly).
    wait = function(
      mode = "all",
      seconds_interval = NULL,
      seconds_timeout = Inf,
      scale = TRUE,
      throttle = TRUE,
      controllers = NULL
    ) {
      invisible(TRUE)
    },
    #' @description Does nothing: a sequential controller has no backlog.
    #' @param name Unused.
    #' @param controller Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    push_backlog = function(name, controller = NULL) {
      invisible()
    },
    #' @description A sequential controller has no backlog.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `character(0)`.
    pop_backlog = function(controllers = NULL) {
      character(0L)
    },
    #' @description Does nothing: tasks finish before they could be
    #'   cancelled.
    #' @param names Unused.
    #' @param all Unused.
    #' @return `NULL` (invisibly).
    cancel = function(names = character(0L), all = FALSE) {
      invisible()
    },
    #' @description Reset the count of resolved tasks. Held tasks and the
    #'   summary are kept.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    terminate = function(controllers = NULL) {
      .resolved <<- 0L
      invisible()
    }
  )
)
