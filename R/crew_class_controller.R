#' @title Controller class
#' @export
#' @family controller
#' @description R6 class of controllers. See [crew_controller()] and
#'   [crew_controller_local()].
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_local()
#'   controller$map(x + 1, iterate = list(x = 1:3))$result
#'   controller$terminate()
#' }
crew_class_controller <- R6::R6Class(
  classname = "crew_class_controller",
  cloneable = FALSE,
  portable = FALSE,
  private = list(
    .client = NULL,
    .launcher = NULL,
    .perimeter_warned = FALSE,
    .reset_globals = NULL,
    .reset_packages = NULL,
    .reset_options = NULL,
    .garbage_collection = NULL,
    .crashes_max = NULL,
    .backup = NULL,
    .tasks = NULL,
    .tasks_count = 0L,
    .crash_log = NULL,
    .summary = NULL,
    .queue_resolved = NULL,
    .queue_backlog = NULL,
    .held_back = NULL,
    .error = NULL,
    .loop = NULL,
    # The started client's dispatcher, for the calls made once per task, and
    # the controller's name, which result rows carry.
    .dispatcher = NULL,
    .name = NULL,
    # How push(), walk() and map() hand over their task spec (see
    # task_spec()); the sequential controller runs the tasks in place
    # instead. Groups and backups hand theirs over here too. A started
    # controller's push() takes its common case inline first: it runs once
    # per task.
    .push_task = function(spec) {
      controller_push(self, private, spec)
    },
    .walk_tasks = function(spec) {
      controller_walk(self, private, spec, handles = TRUE)
    },
    .map_tasks = function(spec, error, warnings) {
      controller_map(self, private, spec, error, warnings)
    }
  ),
  active = list(
    #' @field profile Compute profile of the client.
    profile = function() {
      .client$profile
    },
    #' @field client Client object.
    client = function() {
      .client
    },
    #' @field launcher Launcher object.
    launcher = function() {
      .launcher
    },
    #' @field tasks Named list of the handles of the tasks the controller
    #'   holds (pushed and not yet popped or collected).
    tasks = function() {
      controller_task_handles(private)
    },
    #' @field reset_globals See [crew_controller()].
    reset_globals = function() {
      .reset_globals
    },
    #' @field reset_packages See [crew_controller()].
    reset_packages = function() {
      .reset_packages
    },
    #' @field reset_options See [crew_controller()].
    reset_options = function() {
      .reset_options
    },
    #' @field garbage_collection See [crew_controller()].
    garbage_collection = function() {
      .garbage_collection
    },
    #' @field crashes_max See [crew_controller()].
    crashes_max = function() {
      .crashes_max
    },
    #' @field backup See [crew_controller()].
    backup = function() {
      .backup
    },
    #' @field error Result rows of the last `map(error = "stop")` that
    #'   failed, or `NULL`.
    error = function() {
      .error
    },
    #' @field loop Event loop of auto-scaling, `NULL` if not auto-scaling,
    #'   or `FALSE` after `terminate()`.
    loop = function() {
      .loop
    },
    #' @field queue_resolved Queue of the names of resolved tasks.
    queue_resolved = function() {
      .queue_resolved
    },
    #' @field queue_backlog Queue of backlogged task names.
    queue_backlog = function() {
      .queue_backlog
    }
  ),
  public = list(
    #' @description Create a controller. See [crew_controller()].
    #' @param client See [crew_controller()].
    #' @param launcher See [crew_controller()].
    #' @param reset_globals See [crew_controller()].
    #' @param reset_packages See [crew_controller()].
    #' @param reset_options See [crew_controller()].
    #' @param garbage_collection See [crew_controller()].
    #' @param crashes_max See [crew_controller()].
    #' @param backup See [crew_controller()].
    #' @return A controller object.
    initialize = function(
      client = NULL,
      launcher = NULL,
      reset_globals = NULL,
      reset_packages = NULL,
      reset_options = NULL,
      garbage_collection = NULL,
      crashes_max = NULL,
      backup = NULL
    ) {
      .client <<- client
      .launcher <<- launcher
      .reset_globals <<- reset_globals
      .reset_packages <<- reset_packages
      .reset_options <<- reset_options
      .garbage_collection <<- garbage_collection
      .crashes_max <<- crashes_max
      .backup <<- backup
      controller_reset(private)
      .queue_backlog <<- crew_queue()
    },
    #' @description Check the controller.
    #' @return `NULL` (invisibly).
    validate = function() {
      controller_validate(private)
    },
    #' @description Start the client and the launcher if not started.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    start = function(controllers = NULL) {
      if (!isTRUE(.client$started)) {
        without_jit({
          .client$start()
          .launcher$start(url = .client$url, profile = .client$profile)
        })
        controller_warn_perimeter(private)
        controller_reset(private)
        .name <<- .launcher$name
        .summary <<- controller_summary_zero(.name)
      }
      if (is.null(.dispatcher)) {
        .dispatcher <<- controller_dispatcher_handle(private)
      }
      invisible()
    },
    #' @description Whether the controller is started.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` or `FALSE`.
    started = function(controllers = NULL) {
      .client$started
    },
    #' @description Number of tasks held (pushed, not yet popped).
    #' @param controllers Unused; for compatibility with groups.
    #' @return Integer.
    size = function(controllers = NULL) {
      held <- if (is.null(.dispatcher)) .tasks_count else native_size(.dispatcher)
      held + NROW(.held_back)
    },
    #' @description Whether the controller holds no tasks.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` or `FALSE`.
    empty = function(controllers = NULL) {
      self$size() < 1L
    },
    #' @description Whether the controller holds tasks.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` or `FALSE`.
    nonempty = function(controllers = NULL) {
      self$size() > 0L
    },
    #' @description Number of tasks resolved since the client started.
    #' @param controllers Unused; for compatibility with groups.
    #' @return Integer.
    resolved = function(controllers = NULL) {
      if (!isTRUE(.client$started)) {
        return(0L)
      }
      as.integer(.client$status()[["completed"]])
    },
    #' @description Number of tasks queued or running.
    #' @param controllers Unused; for compatibility with groups.
    #' @return Integer.
    unresolved = function(controllers = NULL) {
      if (!isTRUE(.client$started)) {
        return(0L)
      }
      status <- .client$status()
      as.integer(status[["awaiting"]] + status[["executing"]])
    },
    #' @description Whether the controller holds at least as many tasks as
    #'   it may have workers.
    #' @param collect Deprecated and ignored.
    #' @param throttle Deprecated and ignored.
    #' @param controller Unused; for compatibility with groups.
    #' @return `TRUE` or `FALSE`.
    saturated = function(collect = NULL, throttle = NULL, controller = NULL) {
      self$size() >= .launcher$workers
    },
    #' @description Launch workers regardless of demand.
    #' @param n Number of workers.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    launch = function(n = 1L, controllers = NULL) {
      crew_assert(
        n,
        is.numeric(.),
        length(.) == 1L,
        !anyNA(.),
        . >= 0,
        message = "n must be a nonnegative number."
      )
      self$start()
      .launcher$launch(n = n)
      invisible()
    },
    #' @description Launch workers if tasks need them.
    #' @param throttle `TRUE` to scale at most once per throttle interval.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` (invisibly) if workers were launched.
    scale = function(throttle = TRUE, controllers = NULL) {
      check_flag(throttle, "throttle")
      controller_scale_when_due(self, private, throttle)
    },
    #' @description Scale in the background of a `later` loop: now, then
    #'   whenever a task is queued or a worker connects or leaves, and on a
    #'   timer only while launched workers are still expected. Nothing runs
    #'   while there is nothing to scale for.
    #' @param loop A `later` event loop.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    autoscale = function(loop = later::current_loop(), controllers = NULL) {
      controller_autoscale(self, private, loop)
    },
    #' @description Stop auto-scaling.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    descale = function(controllers = NULL) {
      .loop <<- NULL
      invisible()
    },
    #' @description Consecutive crashes of a task.
    #' @param name Task name.
    #' @param controllers Unused; for compatibility with groups.
    #' @return Integer.
    crashes = function(name, controllers = NULL) {
      check_string(name, "name")
      .crash_log[[name]] %||% 0L
    },
    #' @description Push a task.
    #' @param command R code of the task.
    #' @param data Named list of objects the task can see.
    #' @param globals Named list of objects assigned to the worker's global
    #'   environment before the task.
    #' @param substitute `TRUE` to take `command` as written, `FALSE` if
    #'   `command` is already a language object.
    #' @param seed `NULL` or an integer seed for the task.
    #' @param algorithm `NULL` or a random number generator kind.
    #' @param packages Packages to attach before the task.
    #' @param library Library paths of `packages`.
    #' @param seconds_timeout `NULL` or seconds after which the task stops
    #'   with an error.
    #' @param scale `TRUE` to launch workers as needed.
    #' @param throttle `TRUE` to scale at most once per throttle interval.
    #' @param name `NULL` or a name for the task.
    #' @param save_command Deprecated and ignored.
    #' @param controller Unused; for compatibility with groups.
    #' @return The task's handle (invisibly).
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
      # The common case in one native call, inline: push() runs once per
      # task. Everything else goes through a task spec and
      # controller_push(), which takes the same fast path first for the
      # specs of groups. scale() is asked without its own argument check,
      # so a throttled push costs one poll of the throttle.
      if (!is.null(.dispatcher) && is.null(.backup)) {
        handle <- native_push(
          .dispatcher, command, name, data, globals, seed, algorithm, packages,
          library, seconds_timeout, scale, throttle
        )
        if (!is.null(handle)) {
          if (scale) {
            controller_scale_when_due(self, private, throttle)
          }
          return(invisible(handle))
        }
      }
      spec <- task_spec(
        command = command,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_timeout = seconds_timeout,
        scale = scale,
        throttle = throttle,
        name = name
      )
      .push_task(spec)
    },
    #' @description Push one task per element of `iterate` and return.
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
    #' @param seconds_timeout See `push()`.
    #' @param names `NULL` or the name of an element of `iterate` holding
    #'   the task names.
    #' @param save_command Deprecated.
    #' @param verbose `TRUE` to show progress.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
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
      check_flag(substitute, "substitute")
      if (substitute) {
        command <- substitute(command)
      }
      deprecate_save_command(save_command)
      spec <- task_spec(
        command = command,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_timeout = seconds_timeout,
        scale = scale,
        throttle = throttle,
        batch = TRUE,
        iterate = iterate,
        names = names,
        verbose = verbose
      )
      invisible(.walk_tasks(spec))
    },
    #' @description Run one task per element of `iterate`, wait for all of
    #'   them, and return their results.
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
    #' @param seconds_timeout See `push()`.
    #' @param names See `walk()`.
    #' @param save_command Deprecated.
    #' @param error `"stop"`, `"warn"` or `"silent"`: what to do if a task
    #'   does not succeed.
    #' @param warnings `TRUE` to warn if tasks had warnings.
    #' @param verbose `TRUE` to show progress.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
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
      check_flag(substitute, "substitute")
      if (substitute) {
        command <- substitute(command)
      }
      map_check(self, seconds_interval, error, warnings, verbose)
      deprecate_save_command(save_command)
      spec <- task_spec(
        command = command,
        data = data,
        globals = globals,
        seed = seed,
        algorithm = algorithm,
        packages = packages,
        library = library,
        seconds_timeout = seconds_timeout,
        scale = scale,
        throttle = throttle,
        batch = TRUE,
        iterate = iterate,
        names = names,
        verbose = verbose
      )
      .map_tasks(spec, error, warnings)
    },
    #' @description Pop one resolved task.
    #' @param scale See `push()`.
    #' @param collect Deprecated.
    #' @param throttle See `push()`.
    #' @param error `NULL`, `"stop"`, `"warn"` or `"silent"`: what to do if
    #'   the task did not succeed.
    #' @param controllers Unused; for compatibility with groups.
    #' @return A one-row data frame of results, or `NULL`. Results of
    #'   `pop()`, `collect()` and `map()` have 12 columns: `name`, `command`,
    #'   `result` (a list column with the task's value), `status`
    #'   (`"success"`, `"error"`, `"crash"` or `"cancel"`), `error`, `code`,
    #'   `trace`, `warnings`, `seconds`, `seed`, `algorithm` and
    #'   `controller`. `code` is `0` for success, `-1` for an error in the
    #'   task's own code, `19` for a crash (the worker's connection was lost
    #'   mid-task), `20` for a cancellation, and `5` for a task that ran past
    #'   its `seconds_timeout` (status `"error"`).
    pop = function(
      scale = TRUE,
      collect = NULL,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      controller_pop(self, private, scale, collect, throttle, error)
    },
    #' @description Pop every resolved task.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
    #' @param error See `pop()`.
    #' @param controllers Unused; for compatibility with groups.
    #' @return A data frame of results, or `NULL`.
    collect = function(
      scale = TRUE,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      controller_collect(self, private, scale, throttle, error)
    },
    #' @description Wait for tasks.
    #' @param mode `"all"` to wait for every task, `"one"` for one.
    #' @param seconds_interval Deprecated.
    #' @param seconds_timeout Seconds to wait at most.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `TRUE` if the condition was met, `FALSE` on timeout.
    wait = function(
      mode = "all",
      seconds_interval = NULL,
      seconds_timeout = Inf,
      scale = TRUE,
      throttle = TRUE,
      controllers = NULL
    ) {
      # The common case inline, as in push(): wait() runs once per task in
      # a loop of push(), wait(mode = "one") and pop(). Anything unusual
      # goes through controller_wait(), which checks the arguments.
      if (!is.null(.dispatcher) && is.null(seconds_interval) &&
        is.logical(scale) && length(scale) == 1L && !is.na(scale) &&
        is.logical(throttle) && length(throttle) == 1L && !is.na(throttle) &&
        is.numeric(seconds_timeout) && length(seconds_timeout) == 1L &&
        !is.na(seconds_timeout) && seconds_timeout >= 0) {
        one <- identical(mode, "one")
        if (one || identical(mode, "all")) {
          return(controller_wait_started(self, private, one, seconds_timeout, scale, throttle))
        }
      }
      controller_wait(self, private, mode, seconds_interval, seconds_timeout, scale, throttle)
    },
    #' @description Add a task name to the backlog.
    #' @param name Task name.
    #' @param controller Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    push_backlog = function(name, controller = NULL) {
      crew_assert(
        name,
        is.character(.),
        length(.) == 1L,
        !anyNA(.),
        nzchar(.),
        message = "name must be a nonempty character string."
      )
      .queue_backlog$push(name)
      invisible()
    },
    #' @description Take as many backlogged names as there is room for.
    #' @param controllers Unused; for compatibility with groups.
    #' @return Character vector of task names.
    pop_backlog = function(controllers = NULL) {
      n <- min(max(0, .launcher$workers - self$size()), .queue_backlog$size())
      if (n < 1L) {
        return(character(0L))
      }
      .queue_backlog$pop(n)
    },
    #' @description Totals of the collected tasks.
    #' @param controllers Unused; for compatibility with groups.
    #' @return A one-row data frame, or `NULL` before the first start.
    summary = function(controllers = NULL) {
      controller_summary(private)
    },
    #' @description Cancel tasks.
    #' @param names Names of the tasks to cancel.
    #' @param all `TRUE` to cancel every task.
    #' @return `NULL` (invisibly).
    cancel = function(names = character(0L), all = FALSE) {
      controller_cancel(private, names, all)
    },
    #' @description Deprecated.
    #' @param controllers Unused.
    #' @return The process ID of this R session.
    pids = function(controllers = NULL) {
      crew_deprecate(
        name = "pids()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "none"
      )
      Sys.getpid()
    },
    #' @description Stop the client (workers exit) and the launcher.
    #' @param controllers Unused; for compatibility with groups.
    #' @return `NULL` (invisibly).
    terminate = function(controllers = NULL) {
      .summary <<- controller_summary_list(private)
      launcher_cancel_unconnected(.launcher)
      .client$terminate()
      .launcher$terminate()
      .dispatcher <<- NULL
      controller_reset(private)
      .queue_backlog <<- crew_queue()
      .loop <<- FALSE
      invisible()
    }
  )
)
