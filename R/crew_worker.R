#' @title Run a crew worker.
#' @export
#' @family worker
#' @description Runs inside every worker process: connects to the client,
#'   evaluates tasks one at a time, and returns when the worker reaches one
#'   of its limits or the client goes away. Launchers put a call to
#'   `crew_worker()` in the command line of each worker process; users do
#'   not call it directly.
#' @param settings Named list of worker settings from the launcher's
#'   `settings()` method.
#' @param controller Name of the controller, stored in the environment
#'   variable `CREW_CONTROLLER` while the worker runs.
#' @param options_metrics A [crew_options_metrics()] object, or `NULL`.
#'   With a `path`, a thread of the worker samples the worker's CPU and
#'   memory use every `seconds_interval` seconds and writes one line per
#'   sample (see [crew_options_metrics()]).
#' @return The worker's exit code (invisibly): 0 when the client closed the
#'   connection, 1 idle time, 2 wall time, 3 task limit, 4 connection lost,
#'   5 could not connect, 6 credential refused, 7 the client's TLS
#'   certificate was not trusted.
#' @section Exit status of the worker process:
#'   When `crew_worker()` is the top-level call of a non-interactive R
#'   process (`Rscript -e 'crew::crew_worker(...)'`, as launchers start
#'   workers), the process exits with a status that tells a cluster
#'   scheduler how the worker ended: 0 when it ended normally (the client
#'   closed the connection, or idle time, wall time or task limit), and
#'   otherwise the exit code above (4 connection lost, 5 could not
#'   connect, 6 credential refused, 7 certificate not trusted).
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_local()
#'   controller$start()
#'   controller$launcher$call()
#'   controller$terminate()
#' }
crew_worker <- function(
  settings,
  controller,
  options_metrics = crew::crew_options_metrics()
) {
  crew_assert(is.list(settings), message = "settings must be a list.")
  crew_assert(
    controller,
    is.character(.),
    length(.) == 1L,
    !anyNA(.),
    message = "controller must be a character string."
  )
  crew_assert(
    is.character(settings$url) && length(settings$url) == 1L,
    message = "settings$url must be the URL of the client."
  )
  crew_assert(
    is.character(settings$credential) && length(settings$credential) == 1L,
    message = "settings$credential must be a launch credential from the launcher."
  )
  if (!is.null(options_metrics)) {
    crew_options_metrics_validate(options_metrics)
  }
  metrics <- worker_metrics_start(options_metrics)
  if (!is.null(metrics)) {
    on.exit(native_metrics_stop(metrics), add = TRUE)
  }
  previous <- Sys.getenv("CREW_CONTROLLER", unset = NA_character_)
  Sys.setenv(CREW_CONTROLLER = controller)
  on.exit(worker_restore_controller(previous), add = TRUE)
  if (worker_logging()) {
    crew_message(paste(utils::capture.output(print(utils::sessionInfo())), collapse = "\n"))
  }
  exit <- worker_loop(settings, metrics)
  status <- worker_process_status(exit$code)
  crew_message(
    sprintf(
      "crew worker finished %s(code %s): %s",
      if (status == 0L) "normally " else "",
      exit$code,
      exit$reason
    )
  )
  if (status != 0L && !interactive() && identical(sys.nframe(), 1L)) {
    # The process exists to run this worker: its status tells the
    # scheduler how the worker ended. quit() skips on.exit handlers.
    if (!is.null(metrics)) {
      native_metrics_stop(metrics)
    }
    quit(save = "no", status = status, runLast = FALSE)
  }
  invisible(exit$code)
}

# The exit status of a worker process for a worker exit code: 0 for the
# normal ends (client closed, idle, wall time, task limit), the code itself
# for the others.
worker_process_status <- function(code) {
  if (code %in% 0:3) 0L else as.integer(code)
}

# Whether the worker's messages go anywhere: the session information at
# the top of a log is worth its cost only in a log.
worker_logging <- function() {
  !native_stderr_discarded()
}

worker_restore_controller <- function(previous) {
  if (is.na(previous)) {
    Sys.unsetenv("CREW_CONTROLLER")
  } else {
    Sys.setenv(CREW_CONTROLLER = previous)
  }
}

# The worker's own certificates or key for mutual TLS, read where the
# worker runs.
worker_tls_text <- function(paths) {
  if (is.null(paths)) {
    return("")
  }
  paste(unlist(lapply(paths, readLines, warn = FALSE)), collapse = "\n")
}

# Resource metrics are a diagnostic: a path the worker cannot write to
# is reported in its log and the worker runs tasks without them.
worker_metrics_start <- function(options_metrics) {
  path <- options_metrics$path
  if (is.null(path)) {
    return(NULL)
  }
  tryCatch(
    native_metrics_start(path.expand(path), options_metrics$seconds_interval),
    crew_error = function(condition) {
      crew_message(
        sprintf("crew worker cannot log metrics to %s: %s", path, conditionMessage(condition))
      )
      NULL
    }
  )
}

worker_loop <- function(settings, metrics = NULL) {
  session <- native_worker_start(
    url = settings$url,
    credential = settings$credential,
    seconds_timeout = (settings$dialtimeout %||% 60000) / 1000,
    seconds_idle = (settings$idletime %||% Inf) / 1000,
    seconds_wall = (settings$walltime %||% Inf) / 1000,
    tasks_max = settings$maxtasks %||% Inf,
    tasks_timers = settings$timerstart %||% 0L,
    exit_signal = settings$autoexit %||% crew_terminate_signal(),
    parent_pid = as.integer(Sys.getenv("CREW_PARENT_PID", unset = "0")),
    tls_trusted = paste(settings$tlscert, collapse = "\n"),
    tls_certificates = worker_tls_text(settings$tlsworker$certificates),
    tls_key = worker_tls_text(settings$tlsworker$key)
  )
  # Interrupts stop a cancelled task (see crew_eval_record()) and nothing
  # else: between tasks they wait, and one that arrives after its task
  # ended is dropped when the next task starts.
  suspendInterrupts(worker_serve(session, metrics))
}

# Runs tasks until the session ends. A task that fails outside its own
# evaluation (a package that cannot be loaded, say) is answered with an
# error record and the worker goes on; the handler is set up once, not
# once per task.
worker_serve <- function(session, metrics) {
  current <- NULL
  serve <- function() {
    repeat {
      event <- native_worker_next(session, Inf)
      if (identical(event$type, "task")) {
        current <<- event
        if (!is.null(metrics)) {
          native_metrics_task_started(metrics, event$name)
        }
        worker_run_task(session, event)
        if (!is.null(metrics)) {
          native_metrics_task_finished(metrics)
        }
        current <<- NULL
        # Unbound before the next wait, so the task's objects are garbage
        # while the worker is idle.
        event <- NULL
      } else if (identical(event$type, "ready")) {
        # The dispatcher gives every worker its own L'Ecuyer-CMRG stream.
        assign(".Random.seed", event$stream, envir = globalenv())
      } else if (identical(event$type, "exit")) {
        return(event)
      }
    }
  }
  repeat {
    exit <- tryCatch(
      serve(),
      error = function(condition) {
        if (is.null(current)) {
          stop(condition)
        }
        failed <- current
        current <<- NULL
        native_worker_send(session, failed$id, worker_failure(failed$name, condition), NA)
        NULL
      },
      # A cancellation stopped the task (see crew_eval_record()). The
      # dispatcher resolved it already; the next native_worker_next() tells
      # it the worker is free, as for any task left without a result.
      interrupt = function(condition) {
        current <<- NULL
        NULL
      }
    )
    if (!is.null(exit)) {
      return(exit)
    }
  }
}

worker_run_task <- function(session, event) {
  task <- event$task
  record <- if (is.list(task)) {
    crew_eval_task(task, event$name)
  } else {
    worker_failure(event$name, simpleCondition(task))
  }
  # The binding reads the metadata fields by name and ignores `value`.
  native_worker_send(session, event$id, record, record$value)
}

# A task that failed outside crew_eval()'s own error capture: for example a
# package that could not be loaded or a value that cannot be serialized.
worker_failure <- function(name, condition) {
  list(
    name = name,
    command = NA_character_,
    value = NA,
    status = "error",
    error = substr(conditionMessage(condition), 1L, crew_eval_max_nchar),
    code = -1L,
    trace = NA_character_,
    warnings = NA_character_,
    seconds = NA_real_,
    seed = NA_integer_,
    algorithm = NA_character_,
    controller = NULL
  )
}
