#' @title Create a controller with a local process launcher.
#' @export
#' @family controller
#' @description A controller whose workers are `Rscript` processes on this
#'   machine. This is the controller most users start with.
#' @inheritParams crew_client
#' @inheritParams crew_launcher_local
#' @inheritParams crew_controller
#' @param name Name of the controller (and its launcher).
#' @param workers Maximum number of workers running at once.
#' @param host IP address, host name or network interface to listen on
#'   (see [crew_client()]). The default accepts only local workers.
#' @param seconds_idle Seconds a worker waits for a task before it exits.
#' @param reset_globals `TRUE` to remove the global variables a task
#'   created, after the task.
#' @param reset_packages `TRUE` to detach the packages a task attached,
#'   after the task.
#' @param reset_options `TRUE` to restore the options a task changed, after
#'   the task.
#' @param garbage_collection `TRUE` to run garbage collection after each
#'   task.
#' @param seconds_exit Deprecated.
#' @param retry_tasks Deprecated.
#' @param crashes_error Deprecated.
#' @param launch_max Deprecated.
#' @return A `crew_class_controller` object.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   controller <- crew_controller_local(workers = 2)
#'   results <- controller$map(x * 2, iterate = list(x = 1:4))
#'   results$result
#'   controller$terminate()
#' }
crew_controller_local <- function(
  name = NULL,
  workers = 1L,
  host = "127.0.0.1",
  port = NULL,
  tls = crew::crew_tls(),
  tls_enable = NULL,
  tls_config = NULL,
  serialization = NULL,
  profile = crew::crew_random_name(),
  seconds_interval = 0.25,
  seconds_timeout = 60,
  seconds_launch = 30,
  seconds_idle = 300,
  seconds_wall = Inf,
  seconds_exit = NULL,
  retry_tasks = NULL,
  tasks_max = Inf,
  tasks_timers = 0L,
  reset_globals = TRUE,
  reset_packages = FALSE,
  reset_options = FALSE,
  garbage_collection = FALSE,
  crashes_error = NULL,
  launch_max = NULL,
  r_arguments = c("--no-save", "--no-restore"),
  crashes_max = 5L,
  backup = NULL,
  options_metrics = crew::crew_options_metrics(),
  options_local = crew::crew_options_local(),
  local_log_directory = NULL,
  local_log_join = NULL
) {
  # Construction runs once per controller.
  local_without_jit()
  warnings <- list(
    seconds_exit = seconds_exit,
    local_log_directory = local_log_directory,
    local_log_join = local_log_join,
    launch_max = launch_max
  )
  for (argument in names(warnings)) {
    crew_deprecate(
      name = argument,
      date = "2024-11-04",
      version = "0.10.1.9000",
      alternative = "see the documentation of crew_controller_local()",
      value = warnings[[argument]]
    )
  }
  messages <- list(crashes_error = crashes_error, retry_tasks = retry_tasks)
  for (argument in names(messages)) {
    crew_deprecate(
      name = argument,
      date = "2025-01-13",
      version = "0.10.2.9003",
      alternative = "crashes_max",
      condition = "message",
      value = messages[[argument]]
    )
  }
  options_local <- options_local_merge(options_local, local_log_directory, local_log_join)
  client <- crew_client(
    host = host,
    port = port,
    tls = tls,
    tls_enable = tls_enable,
    tls_config = tls_config,
    serialization = serialization,
    profile = profile,
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout
  )
  launcher <- crew_launcher_local(
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
    r_arguments = r_arguments,
    options_metrics = options_metrics,
    options_local = options_local,
    local_log_directory = local_log_directory,
    local_log_join = local_log_join
  )
  controller <- crew_controller(
    client = client,
    launcher = launcher,
    reset_globals = reset_globals,
    reset_packages = reset_packages,
    reset_options = reset_options,
    garbage_collection = garbage_collection,
    crashes_max = crashes_max,
    backup = backup
  )
  controller$validate()
  controller
}
