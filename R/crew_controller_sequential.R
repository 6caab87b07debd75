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
#' @details `push()`, `walk()` and `map()` are those of
#'   [crew_class_controller], but each task runs in this R process as it is
#'   pushed, with the controller's reset settings applied as on a worker;
#'   the arguments about time limits and scaling are unused.
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
    .resolved = 0L,
    # Tasks run at push time in this process, so there is no timeout to
    # arm and no worker to scale.
    .push_task = function(spec) {
      sequential_push(self, private, spec)
    },
    .walk_tasks = function(spec) {
      sequential_walk(self, private, spec)
    },
    .map_tasks = function(spec, error, warnings) {
      sequential_map(self, private, spec, error, warnings)
    }
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
