#' @title Create a launcher of local workers.
#' @export
#' @family launcher
#' @description Launches workers as `Rscript` processes on this machine.
#'   Each worker is started directly (no shell), keeps its process handle
#'   for its whole life, and also dies if this R session dies.
#' @inheritParams crew_launcher
#' @param seconds_idle Seconds a worker waits for a task before it exits.
#' @param options_local A [crew_options_local()] object.
#' @param local_log_directory Deprecated: use `options_local`.
#' @param local_log_join Deprecated: use `options_local`.
#' @return A `crew_class_launcher_local` object.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   client <- crew_client(host = "127.0.0.1")
#'   launcher <- crew_launcher_local()
#'   controller <- crew_controller(client = client, launcher = launcher)
#'   controller$push(1 + 1)
#'   controller$wait()
#'   controller$pop()$result
#'   controller$terminate()
#' }
crew_launcher_local <- function(
  name = NULL,
  workers = 1L,
  seconds_interval = 0.25,
  seconds_timeout = 60,
  seconds_launch = 30,
  seconds_idle = Inf,
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
  r_arguments = c("--no-save", "--no-restore"),
  options_metrics = crew::crew_options_metrics(),
  options_local = crew::crew_options_local(),
  local_log_directory = NULL,
  local_log_join = NULL
) {
  deprecated_warnings <- list(
    seconds_exit = seconds_exit,
    local_log_directory = local_log_directory,
    local_log_join = local_log_join,
    launch_max = launch_max,
    crashes_error = crashes_error
  )
  for (argument in names(deprecated_warnings)) {
    crew_deprecate(
      name = argument,
      date = "2024-11-04",
      version = "0.10.1.9000",
      alternative = "see the documentation of crew_launcher_local()",
      value = deprecated_warnings[[argument]]
    )
  }
  deprecate_moved_to_controller(
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection
  )
  options_local <- options_local_merge(options_local, local_log_directory, local_log_join)
  launcher <- crew_class_launcher_local$new(
    name = name,
    workers = workers,
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout,
    seconds_launch = seconds_launch,
    seconds_idle = seconds_idle,
    seconds_wall = seconds_wall,
    tasks_max = tasks_max,
    tasks_timers = tasks_timers,
    crashes_error = crashes_error,
    tls = tls,
    r_arguments = r_arguments,
    options_metrics = options_metrics,
    options_local = options_local
  )
  launcher$validate()
  launcher
}

# Merges the deprecated local_log_* arguments, checked under their own
# names so the error points at the argument the caller actually passed.
options_local_merge <- function(options_local, log_directory, log_join) {
  check_string(log_directory, "local_log_directory", allow_null = TRUE)
  if (!is.null(log_join)) {
    check_flag(log_join, "local_log_join")
  }
  if (!is.null(log_directory)) {
    options_local$log_directory <- log_directory
  }
  if (!is.null(log_join)) {
    options_local$log_join <- log_join
  }
  options_local
}

# How long terminate() lets local workers leave on their own.
local_terminate_seconds_grace <- 0.25

#' @title Local launcher class
#' @export
#' @family launcher
#' @description R6 class of local launchers; see [crew_launcher_local()].
#' @examples
#' launcher <- crew_launcher_local()
#' launcher$options_local
crew_class_launcher_local <- R6::R6Class(
  classname = "crew_class_launcher_local",
  inherit = crew_class_launcher,
  cloneable = TRUE,
  private = list(
    .scale_at_first_poll = TRUE,
    .options_local = NULL,
    .processes = list(),
    # The temporary directory each worker's R session lives in, by process
    # ID: inside this session's own, so a worker killed before R could
    # clean up after itself leaves nothing behind once its process is gone.
    .temporary = list(),
    .forget_processes = function(processes) {
      worker_exits_release(processes)
      for (process in processes) {
        key <- as.character(process$get_pid())
        directory <- private$.temporary[[key]]
        if (!is.null(directory) && !process$is_alive()) {
          unlink(directory, recursive = TRUE, force = TRUE)
          private$.temporary[[key]] <- NULL
        }
      }
      invisible()
    },
    .log_prepare = function() {
      directory <- private$.options_local$log_directory
      if (!is.null(directory)) {
        dir_create(directory)
      }
      invisible()
    },
    .log_stdout = function(name) {
      directory <- private$.options_local$log_directory
      if (is.null(directory)) {
        return(NULL)
      }
      suffix <- if (isTRUE(private$.options_local$log_join)) ".log" else "-stdout.log"
      path.expand(file.path(directory, paste0(name, suffix)))
    },
    .log_stderr = function(name) {
      directory <- private$.options_local$log_directory
      if (is.null(directory)) {
        return(NULL)
      }
      if (isTRUE(private$.options_local$log_join)) {
        return("2>&1")
      }
      path.expand(file.path(directory, paste0(name, "-stderr.log")))
    }
  ),
  active = list(
    #' @field options_local Local worker options.
    options_local = function() {
      .subset2(private, ".options_local")
    }
  ),
  public = list(
    #' @description Create a local launcher. See [crew_launcher_local()].
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
    #' @param crashes_error Deprecated.
    #' @param tls See [crew_launcher()].
    #' @param processes Deprecated.
    #' @param r_arguments See [crew_launcher()].
    #' @param options_metrics See [crew_launcher()].
    #' @param options_local See [crew_launcher_local()].
    #' @return A local launcher object.
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
      crashes_error = NULL,
      tls = NULL,
      processes = NULL,
      r_arguments = NULL,
      options_metrics = NULL,
      options_local = NULL
    ) {
      super$initialize(
        name = name,
        workers = workers,
        seconds_interval = seconds_interval,
        seconds_timeout = seconds_timeout,
        seconds_launch = seconds_launch,
        seconds_idle = seconds_idle,
        seconds_wall = seconds_wall,
        seconds_exit = seconds_exit,
        tasks_max = tasks_max,
        tasks_timers = tasks_timers,
        crashes_error = crashes_error,
        tls = tls,
        processes = processes,
        r_arguments = r_arguments,
        options_metrics = options_metrics
      )
      private$.options_local <- options_local
    },
    #' @description Check the launcher.
    #' @return `NULL` (invisibly).
    validate = function() {
      super$validate()
      crew_options_local_validate(private$.options_local)
      invisible()
    },
    #' @description Start one local worker process.
    #' @param call Worker call string from `call()`.
    #' @return A `processx::process` handle of the worker.
    launch_worker = function(call) {
      check_string(call, "call")
      private$.log_prepare()
      name <- crew_random_name()
      bin <- if (identical(.Platform$OS.type, "windows")) "Rscript.exe" else "Rscript"
      temporary <- file.path(tempdir(), "crew-workers", name)
      dir.create(temporary, recursive = TRUE, showWarnings = FALSE)
      process <- processx::process$new(
        command = file.path(R.home("bin"), bin),
        args = c(private$.r_arguments, "-e", call),
        cleanup = TRUE,
        stdout = private$.log_stdout(name),
        stderr = private$.log_stderr(name),
        env = c(
          "current",
          CREW_PARENT_PID = as.character(Sys.getpid()),
          TMPDIR = temporary
        )
      )
      private$.temporary[[as.character(process$get_pid())]] <- temporary
      # Handles live as long as their workers: a collected handle would
      # kill its process, so the launcher keeps every live one.
      alive <- vapply(private$.processes, function(p) p$is_alive(), logical(1L))
      private$.forget_processes(private$.processes[!alive])
      worker_exits_watch(process)
      private$.processes <- c(private$.processes[alive], list(process))
      process
    },
    #' @description Forget the client and stop any local worker still
    #'   running, including ones that never connected.
    #' @return `NULL` (invisibly).
    terminate = function() {
      super$terminate()
      # Connected workers leave by themselves within milliseconds of the
      # client closing their connections; a short grace lets them finish
      # their logs. The rest (for example workers still starting R, which
      # would otherwise keep dialling a closed port) get a signal.
      deadline <- now() + local_terminate_seconds_grace
      signalled <- list()
      for (process in private$.processes) {
        remaining <- max(0, deadline - now())
        try(process$wait(timeout = as.integer(1000 * remaining)), silent = TRUE)
        if (process$is_alive()) {
          try(process$signal(crew_terminate_signal()), silent = TRUE)
          signalled <- c(signalled, list(process))
        }
      }
      # A signalled worker ends within milliseconds; waiting for it lets
      # its temporary directory go now rather than when this session ends.
      deadline <- now() + local_terminate_seconds_grace
      for (process in signalled) {
        remaining <- max(0, deadline - now())
        try(process$wait(timeout = as.integer(1000 * remaining)), silent = TRUE)
      }
      private$.forget_processes(private$.processes)
      private$.processes <- list()
      invisible()
    }
  )
)
