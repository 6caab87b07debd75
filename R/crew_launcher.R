#' @title Create an abstract launcher.
#' @export
#' @family launcher
#' @description A launcher starts workers. This abstract launcher only
#'   builds worker call strings; launcher plugins inherit from
#'   [crew_class_launcher] and implement `launch_worker(call)` or
#'   `launch_workers(call, n)` to start workers on a given platform.
#' @param name Name of the launcher, which is also the controller's name.
#'   `NULL` picks a random name.
#' @param workers Maximum number of workers that auto-scaling runs at once.
#' @param seconds_interval Seconds between auto-scaling polls. The
#'   throttle's first poll only starts its clock, so the first `push()`
#'   of a new controller whose launcher submits jobs to a cluster launches
#'   nothing: its tasks accumulate for one interval and the next `push()`,
#'   `wait()` or `scale()` launches workers for all of them at once (one
#'   job array on a scheduler that has them). A local launcher, whose
#'   workers start in a fraction of a second, launches for the first
#'   `push()` at once instead. A launcher plugin whose workers also start
#'   that fast can do the same by setting
#'   `private$.scale_at_first_poll <- TRUE` in its `initialize()`.
#' @param seconds_timeout Seconds a worker keeps trying to connect.
#' @param seconds_launch Seconds a launched worker counts as starting up
#'   before it must have connected.
#' @param seconds_idle Seconds a worker waits for a task before it exits.
#' @param seconds_wall Seconds after which a worker exits at the next task
#'   boundary.
#' @param seconds_exit Deprecated.
#' @param tasks_max Number of tasks after which a worker exits.
#' @param tasks_timers Number of tasks a worker completes before its idle
#'   and wall timers start.
#' @param reset_globals Deprecated (now a controller argument).
#' @param reset_packages Deprecated (now a controller argument).
#' @param reset_options Deprecated (now a controller argument).
#' @param garbage_collection Deprecated (now a controller argument).
#' @param crashes_error Deprecated.
#' @param launch_max Deprecated.
#' @param tls A [crew_tls()] object.
#' @param processes Deprecated.
#' @param r_arguments Command line arguments of the worker's `Rscript`.
#' @param options_metrics A [crew_options_metrics()] object.
#' @return A `crew_class_launcher` object.
#' @examples
#' launcher <- crew_launcher()
#' launcher$settings()$maxtasks
crew_launcher <- function(
  name = NULL,
  workers = 1L,
  seconds_interval = 0.25,
  seconds_timeout = 60,
  seconds_launch = 30,
  seconds_idle = 300,
  seconds_wall = Inf,
  seconds_exit = NULL,
  tasks_max = Inf,
  tasks_timers = 0L,
  reset_globals = NULL,
  reset_packages = NULL,
  reset_options = NULL,
  garbage_collection = NULL,
  crashes_error = NULL,
  launch_max = NULL,
  tls = crew::crew_tls(),
  processes = NULL,
  r_arguments = c("--no-save", "--no-restore"),
  options_metrics = crew::crew_options_metrics()
) {
  launcher <- crew_class_launcher$new(
    name = name,
    workers = workers,
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout,
    seconds_launch = seconds_launch,
    seconds_idle = seconds_idle,
    seconds_wall = seconds_wall,
    tasks_max = tasks_max,
    tasks_timers = tasks_timers,
    tls = tls,
    processes = processes,
    r_arguments = r_arguments,
    options_metrics = options_metrics
  )
  launcher$validate()
  launcher
}

#' @title Launcher class
#' @export
#' @family launcher
#' @description R6 base class of launchers, which launcher plugins inherit.
#'   See [crew_launcher()] and the plugins vignette.
#' @examples
#' launcher <- crew_launcher()
#' launcher$call()
crew_class_launcher <- R6::R6Class(
  classname = "crew_class_launcher",
  cloneable = TRUE,
  private = list(
    .name = NULL,
    .workers = NULL,
    .seconds_interval = NULL,
    .seconds_timeout = NULL,
    .seconds_launch = NULL,
    .seconds_idle = NULL,
    .seconds_wall = NULL,
    .tasks_max = NULL,
    .tasks_timers = NULL,
    .tls = NULL,
    .r_arguments = NULL,
    .options_metrics = NULL,
    .url = NULL,
    .profile = NULL,
    .launches = NULL,
    .throttle = NULL,
    # Whether the next poll is the first and lets scaling through: launchers
    # whose workers start at once gain nothing by waiting for more tasks to
    # accumulate. poll() clears it.
    .scale_at_first_poll = FALSE,
    .failed = 0L,
    .launch_size = NULL,
    .launch_settings = NULL,
    .unconnected = list()
  ),
  active = list(
    #' @field name Launcher name.
    name = function() {
      .subset2(private, ".name")
    },
    #' @field workers Maximum number of auto-scaled workers.
    workers = function() {
      .subset2(private, ".workers")
    },
    #' @field seconds_interval Auto-scaling interval.
    seconds_interval = function() {
      .subset2(private, ".seconds_interval")
    },
    #' @field seconds_timeout Connection timeout of workers.
    seconds_timeout = function() {
      .subset2(private, ".seconds_timeout")
    },
    #' @field seconds_launch Start-up window of a launched worker.
    seconds_launch = function() {
      .subset2(private, ".seconds_launch")
    },
    #' @field seconds_idle Idle time limit of workers.
    seconds_idle = function() {
      .subset2(private, ".seconds_idle")
    },
    #' @field seconds_wall Wall time limit of workers.
    seconds_wall = function() {
      .subset2(private, ".seconds_wall")
    },
    #' @field tasks_max Task limit of workers.
    tasks_max = function() {
      .subset2(private, ".tasks_max")
    },
    #' @field tasks_timers Tasks before the worker timers start.
    tasks_timers = function() {
      .subset2(private, ".tasks_timers")
    },
    #' @field tls TLS configuration.
    tls = function() {
      .subset2(private, ".tls")
    },
    #' @field r_arguments Command line arguments of `Rscript`.
    r_arguments = function() {
      .subset2(private, ".r_arguments")
    },
    #' @field options_metrics Resource metric options.
    options_metrics = function() {
      .subset2(private, ".options_metrics")
    },
    #' @field url URL workers dial, `NULL` until started.
    url = function() {
      .subset2(private, ".url")
    },
    #' @field profile Compute profile, `NULL` until started.
    profile = function() {
      .subset2(private, ".profile")
    },
    #' @field launches Data frame with one row per launch.
    launches = function() {
      tibble_ready()
      .subset2(private, ".launches")
    },
    #' @field throttle The auto-scaling throttle.
    throttle = function() {
      .subset2(private, ".throttle")
    },
    #' @field failed Number of launched workers that never connected in
    #'   time.
    failed = function() {
      .subset2(private, ".failed")
    }
  ),
  public = list(
    #' @field async Deprecated.
    async = NULL,
    #' @description Create a launcher. See [crew_launcher()].
    #' @param name See [crew_launcher()].
    #' @param workers See [crew_launcher()].
    #' @param seconds_interval See [crew_launcher()].
    #' @param seconds_timeout See [crew_launcher()].
    #' @param seconds_launch See [crew_launcher()].
    #' @param seconds_idle See [crew_launcher()].
    #' @param seconds_wall See [crew_launcher()].
    #' @param seconds_exit Deprecated.
    #' @param tasks_max See [crew_launcher()].
    #' @param tasks_timers See [crew_launcher()].
    #' @param reset_globals Deprecated.
    #' @param reset_packages Deprecated.
    #' @param reset_options Deprecated.
    #' @param garbage_collection Deprecated.
    #' @param crashes_error Deprecated.
    #' @param launch_max Deprecated.
    #' @param tls See [crew_launcher()].
    #' @param processes Deprecated.
    #' @param r_arguments See [crew_launcher()].
    #' @param options_metrics See [crew_launcher()].
    #' @return A launcher object.
    initialize = function(
      name = NULL,
      workers = NULL,
      seconds_interval = NULL,
      seconds_timeout = NULL,
      seconds_launch = NULL,
      seconds_idle = NULL,
      seconds_wall = NULL,
      seconds_exit = NULL,
      tasks_max = NULL,
      tasks_timers = NULL,
      reset_globals = NULL,
      reset_packages = NULL,
      reset_options = NULL,
      garbage_collection = NULL,
      crashes_error = NULL,
      launch_max = NULL,
      tls = NULL,
      processes = NULL,
      r_arguments = NULL,
      options_metrics = NULL
    ) {
      launcher_deprecations(
        reset_globals = reset_globals,
        reset_packages = reset_packages,
        reset_options = reset_options,
        garbage_collection = garbage_collection,
        crashes_error = crashes_error,
        launch_max = launch_max,
        seconds_exit = seconds_exit,
        processes = processes
      )
      private$.name <- name %|||% crew_random_name(n = 4L)
      private$.workers <- workers
      private$.seconds_interval <- seconds_interval
      private$.seconds_timeout <- seconds_timeout
      private$.seconds_launch <- seconds_launch
      private$.seconds_idle <- seconds_idle
      private$.seconds_wall <- seconds_wall
      private$.tasks_max <- tasks_max
      private$.tasks_timers <- tasks_timers
      private$.tls <- tls
      private$.r_arguments <- r_arguments
      private$.options_metrics <- options_metrics
      private$.launches <- launches_empty()
      private$.throttle <- launcher_throttle(seconds_interval, tasks_max)
      self$async <- list(eval = deprecated_async_eval)
    },
    #' @description Check the launcher.
    #' @return `NULL` (invisibly).
    validate = function() {
      launcher_validate(self, private)
    },
    #' @description Poll the auto-scaling throttle.
    #' @return `TRUE` if auto-scaling may run now.
    poll = function() {
      ready <- private$.throttle$poll()
      if (isTRUE(private$.scale_at_first_poll)) {
        private$.scale_at_first_poll <- FALSE
        return(TRUE)
      }
      ready
    },
    #' @description Settings a worker needs to connect and behave: the
    #'   argument list of [crew_worker()]. Outside a launch, each call
    #'   issues a new credential good for one worker. While `launch(n)`
    #'   runs, every call returns the settings of that launch, whose
    #'   credential admits exactly its `n` workers.
    #' @return A named list.
    settings = function() {
      .subset2(private, ".launch_settings") %|||% launcher_settings(self, private)
    },
    #' @description The R call a worker process runs, as one line of text.
    #' @param worker Deprecated.
    #' @return A string that starts with `crew::crew_worker(`.
    call = function(worker = NULL) {
      crew_deprecate(
        name = "worker argument of launcher call()",
        date = "2024-12-04",
        version = "0.10.2.9002",
        alternative = "none",
        condition = "message",
        value = worker,
        skip_cran = TRUE,
        frequency = "once"
      )
      launcher_call(self$settings(), private$.name, private$.options_metrics)
    },
    #' @description Prepare the launcher for a started client.
    #' @param url URL workers dial.
    #' @param profile Compute profile of the client.
    #' @param sockets Deprecated.
    #' @return `NULL` (invisibly).
    start = function(url = NULL, profile = NULL, sockets = NULL) {
      crew_deprecate(
        name = "sockets argument of launcher start()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "url",
        condition = "message",
        value = sockets,
        skip_cran = TRUE
      )
      if (is.null(url) && !is.null(sockets)) {
        check_string(coerce_atomic(sockets, function(x) x[1L]), "sockets")
      }
      url <- url %|||% coerce_atomic(sockets, function(x) x[1L])
      check_string(url, "url", allow_null = TRUE)
      check_string(profile, "profile", allow_null = TRUE)
      private$.url <- url
      private$.profile <- profile %|||% crew_random_name()
      private$.launches <- launches_empty()
      private$.failed <- 0L
      private$.unconnected <- list()
      invisible()
    },
    #' @description Forget the client. Workers exit on their own when the
    #'   client closes their connections.
    #' @return `NULL` (invisibly).
    terminate = function() {
      private$.url <- NULL
      private$.profile <- NULL
      private$.failed <- 0L
      private$.unconnected <- list()
      private$.throttle$reset()
      invisible()
    },
    #' @description Launch `n` workers with one call string.
    #' @param n Number of workers.
    #' @return `NULL` (invisibly).
    launch = function(n = 1L) {
      launcher_launch(self, private, n)
    },
    #' @description Start one worker. Plugins override this method.
    #' @param call Worker call string from `call()`.
    #' @return A handle of the worker.
    launch_worker = function(call) {
      check_string(call, "call")
      list(call = call)
    },
    #' @description Start `n` workers. Plugins may override this method to
    #'   submit all of them at once (for example a job array).
    #' @param call Worker call string from `call()`.
    #' @param n Number of workers.
    #' @return A list of worker handles.
    launch_workers = function(call, n) {
      check_string(call, "call")
      check_nonnegative(n, "n")
      arguments <- list(
        call = call,
        name = "name",
        launcher = private$.name,
        worker = "worker",
        instance = "instance"
      )
      arguments <- arguments[names(arguments) %in% names(formals(self$launch_worker))]
      lapply(seq_len(n), function(index) do.call(self$launch_worker, arguments))
    },
    #' @description Launch workers if demand exceeds supply.
    #' @param status Counters from the client's `status()`.
    #' @param throttle Unused.
    #' @return `TRUE` (invisibly) if at least one worker was launched.
    scale = function(status, throttle = NULL) {
      launcher_scale(self, private, status)
    },
    #' @description Deprecated.
    #' @return `NULL` (invisibly).
    terminate_workers = function() {
      crew_deprecate(
        name = "terminate_workers()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "none (workers exit when the controller terminates)",
        condition = "message",
        skip_cran = TRUE,
        frequency = "once"
      )
      invisible()
    },
    #' @description Deprecated.
    #' @param index Unused.
    #' @return `1L`.
    crashes = function(index = NULL) {
      crew_deprecate(
        name = "launcher crashes()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "controller crashes()",
        condition = "message",
        skip_cran = TRUE
      )
      1L
    },
    #' @description Deprecated: set the launcher name.
    #' @param name New name.
    #' @return `NULL` (invisibly).
    set_name = function(name) {
      crew_deprecate(
        name = "set_name()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "none",
        condition = "message",
        skip_cran = TRUE
      )
      check_string(name, "name")
      private$.name <- name
      invisible()
    }
  )
)
