#' @title Controller group class
#' @export
#' @family controller
#' @description R6 class of controller groups. See
#'   [crew_controller_group()].
#' @details Methods with a `controllers` argument act on the members it
#'   names (all members if `NULL`). Methods with a `controller` argument
#'   act on the one member it names (the first member if `NULL`).
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   a <- crew_controller_local(name = "a")
#'   b <- crew_controller_local(name = "b")
#'   group <- crew_controller_group(a, b)
#'   group$map(x + 1, iterate = list(x = 1:2), controller = "b")$result
#'   group$summary()
#'   group$terminate()
#' }
crew_class_controller_group <- R6::R6Class(
  classname = "crew_class_controller_group",
  cloneable = FALSE,
  portable = FALSE,
  private = list(
    .controllers = NULL,
    .relay = NULL,
    .select = function(controllers) {
      group_select(.controllers, controllers)
    },
    .choose = function(controller) {
      group_choose(.controllers, controller)
    }
  ),
  active = list(
    #' @field controllers Named list of the member controllers, named by
    #'   their launcher names.
    controllers = function() {
      .controllers
    },
    #' @field relay The relay that members signal when tasks resolve.
    relay = function() {
      .relay
    }
  ),
  public = list(
    #' @description Create a controller group. See
    #'   [crew_controller_group()].
    #' @param controllers Named list of controllers.
    #' @param relay A [crew_relay()] object.
    #' @return A controller group object.
    initialize = function(
      controllers = NULL,
      relay = NULL
    ) {
      .controllers <<- controllers
      .relay <<- relay
    },
    #' @description Check the group.
    #' @return `NULL` (invisibly).
    validate = function() {
      crew_assert(
        is.list(.controllers) && length(.controllers) > 0L,
        message = "controllers must be a nonempty list of crew controllers."
      )
      for (controller in .controllers) {
        crew_assert(
          inherits(controller, "crew_class_controller"),
          message = "each member of a controller group must be a crew controller."
        )
      }
      launchers <- vapply(
        .controllers,
        function(controller) controller$launcher$name,
        character(1L),
        USE.NAMES = FALSE
      )
      crew_assert(identical(names(.controllers), launchers), message = "bad controller names")
      crew_assert(
        inherits(.relay, "crew_class_relay"),
        message = "relay must be an object created by crew_relay()."
      )
      .relay$validate()
      invisible()
    },
    #' @description Number of tasks held by the selected members.
    #' @param controllers `NULL` for all members, or their names.
    #' @return Integer.
    size = function(controllers = NULL) {
      group_sum(.select(controllers), function(controller) controller$size())
    },
    #' @description Whether every selected member holds no tasks.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `TRUE` or `FALSE`.
    empty = function(controllers = NULL) {
      all(map_lgl(.select(controllers), function(controller) controller$empty()))
    },
    #' @description Whether any selected member holds tasks.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `TRUE` or `FALSE`.
    nonempty = function(controllers = NULL) {
      any(map_lgl(.select(controllers), function(controller) controller$nonempty()))
    },
    #' @description Total resolved tasks of the selected members.
    #' @param controllers `NULL` for all members, or their names.
    #' @return Integer.
    resolved = function(controllers = NULL) {
      group_sum(.select(controllers), function(controller) controller$resolved())
    },
    #' @description Total unresolved tasks of the selected members.
    #' @param controllers `NULL` for all members, or their names.
    #' @return Integer.
    unresolved = function(controllers = NULL) {
      group_sum(.select(controllers), function(controller) controller$unresolved())
    },
    #' @description Whether one member holds at least as many tasks as it
    #'   may have workers.
    #' @param collect Deprecated and ignored.
    #' @param throttle Deprecated and ignored.
    #' @param controller `NULL` for the first member, or a member's name.
    #' @return `TRUE` or `FALSE`.
    saturated = function(collect = NULL, throttle = NULL, controller = NULL) {
      .choose(controller)$saturated()
    },
    #' @description Start the selected members.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    start = function(controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$start()
      }
      invisible()
    },
    #' @description Whether every selected member is started.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `TRUE` or `FALSE`.
    started = function(controllers = NULL) {
      all(map_lgl(.select(controllers), function(controller) isTRUE(controller$started())))
    },
    #' @description Launch `n` workers in each selected member.
    #' @param n Number of workers per member.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    launch = function(n = 1L, controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$launch(n = n)
      }
      invisible()
    },
    #' @description Launch workers in the selected members if their tasks
    #'   need them.
    #' @param throttle `TRUE` to scale each member at most once per its
    #'   throttle interval.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `TRUE` (invisibly) if any member launched workers.
    scale = function(throttle = TRUE, controllers = NULL) {
      launched <- map_lgl(
        .select(controllers),
        function(controller) isTRUE(controller$scale(throttle = throttle))
      )
      invisible(any(launched))
    },
    #' @description Auto-scale the selected members in a `later` loop.
    #' @param loop A `later` event loop.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    autoscale = function(loop = later::current_loop(), controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$autoscale(loop = loop)
      }
      invisible()
    },
    #' @description Stop auto-scaling the selected members.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    descale = function(controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$descale()
      }
      invisible()
    },
    #' @description Consecutive crashes of a task, summed over the selected
    #'   members (a task moves to a backup member after crashing).
    #' @param name Task name.
    #' @param controllers `NULL` for all members, or their names.
    #' @return Integer.
    crashes = function(name, controllers = NULL) {
      group_sum(.select(controllers), function(controller) controller$crashes(name = name))
    },
    #' @description Push a task to one member.
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
    #' @param controller `NULL` for the first member, or a member's name.
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
      member <- controller_private(.choose(controller))
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
      invisible(member$.push_task(spec))
    },
    #' @description Push one task per element of `iterate` to one member
    #'   and return.
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
    #' @param controller `NULL` for the first member, or a member's name.
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
      member <- controller_private(.choose(controller))
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
      invisible(member$.walk_tasks(spec))
    },
    #' @description Run one task per element of `iterate` in one member,
    #'   wait for all of them, and return their results.
    #' @param command See `walk()`.
    #' @param iterate See `walk()`.
    #' @param data See `push()`.
    #' @param globals See `push()`.
    #' @param substitute See `push()`.
    #' @param seed See `walk()`.
    #' @param algorithm See `push()`.
    #' @param packages See `push()`.
    #' @param library See `push()`.
    #' @param seconds_interval Deprecated and ignored.
    #' @param seconds_timeout See `push()`.
    #' @param names See `walk()`.
    #' @param save_command Deprecated.
    #' @param error `"stop"`, `"warn"` or `"silent"`: what to do if a task
    #'   does not succeed.
    #' @param warnings `TRUE` to warn if tasks had warnings.
    #' @param verbose `TRUE` to show progress.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
    #' @param controller `NULL` for the first member, or a member's name.
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
      deprecate_save_command(save_command)
      check_flag(substitute, "substitute")
      if (substitute) {
        command <- substitute(command)
      }
      chosen <- .choose(controller)
      # seconds_interval is ignored here, without the member's deprecation
      # message.
      map_check(chosen, NULL, error, warnings, verbose)
      member <- controller_private(chosen)
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
      member$.map_tasks(spec, error, warnings)
    },
    #' @description Pop one resolved task from the first selected member
    #'   that has one.
    #' @param scale See `push()`.
    #' @param collect Deprecated and ignored.
    #' @param throttle See `push()`.
    #' @param error `NULL`, `"stop"`, `"warn"` or `"silent"`: what to do if
    #'   the task did not succeed.
    #' @param controllers `NULL` for all members, or their names.
    #' @return A one-row data frame of results, or `NULL`.
    pop = function(
      scale = TRUE,
      collect = NULL,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      for (controller in .select(controllers)) {
        out <- controller$pop(scale = scale, throttle = throttle, error = error)
        if (!is.null(out)) {
          return(out)
        }
      }
      NULL
    },
    #' @description Pop every resolved task of the selected members.
    #' @param scale See `push()`.
    #' @param throttle See `push()`.
    #' @param error See `pop()`.
    #' @param controllers `NULL` for all members, or their names.
    #' @return A data frame of results, or `NULL`.
    collect = function(
      scale = TRUE,
      throttle = TRUE,
      error = NULL,
      controllers = NULL
    ) {
      rows <- lapply(
        .select(controllers),
        function(controller) {
          controller$collect(scale = scale, throttle = throttle, error = error)
        }
      )
      results_bind(unname(rows))
    },
    #' @description Wait for the tasks of the selected members.
    #' @param mode `"all"` to wait for every task, `"one"` for one.
    #' @param seconds_interval Deprecated.
    #' @param seconds_timeout Seconds to wait at most.
    #' @param scale `TRUE` to launch workers for every member while
    #'   waiting.
    #' @param throttle See `push()`.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `TRUE` if the condition was met, `FALSE` on timeout.
    wait = function(
      mode = "all",
      seconds_interval = NULL,
      seconds_timeout = Inf,
      scale = TRUE,
      throttle = TRUE,
      controllers = NULL
    ) {
      group_wait(self, private, mode, seconds_interval, seconds_timeout, scale, throttle, controllers)
    },
    #' @description Add a task name to one member's backlog.
    #' @param name Task name.
    #' @param controller `NULL` for the first member, or a member's name.
    #' @return `NULL` (invisibly).
    push_backlog = function(name, controller = NULL) {
      .choose(controller)$push_backlog(name = name)
    },
    #' @description Take as many backlogged names from each selected member
    #'   as that member has room for.
    #' @param controllers `NULL` for all members, or their names.
    #' @return Character vector of task names.
    pop_backlog = function(controllers = NULL) {
      out <- lapply(.select(controllers), function(controller) controller$pop_backlog())
      as.character(unlist(out, use.names = FALSE))
    },
    #' @description Totals of the collected tasks, one row per started
    #'   member.
    #' @param controllers `NULL` for all members, or their names.
    #' @return A data frame, or `NULL` if no selected member has started.
    summary = function(controllers = NULL) {
      group_summary(.select(controllers))
    },
    #' @description Cancel tasks in the selected members.
    #' @param names Names of the tasks to cancel.
    #' @param all `TRUE` to cancel every task.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    cancel = function(names = character(0L), all = FALSE, controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$cancel(names = names, all = all)
      }
      invisible()
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
    #' @description Terminate the selected members. The group's relay stays
    #'   usable, so members can start again.
    #' @param controllers `NULL` for all members, or their names.
    #' @return `NULL` (invisibly).
    terminate = function(controllers = NULL) {
      for (controller in .select(controllers)) {
        controller$terminate()
      }
      invisible()
    }
  )
)
