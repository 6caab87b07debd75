#' @title Create a controller.
#' @export
#' @family controller
#' @description A controller joins a client (which dispatches tasks) and a
#'   launcher (which starts workers). Launcher plugin authors use
#'   `crew_controller()` in their controller helpers; users usually call a
#'   helper such as [crew_controller_local()].
#' @param client A [crew_client()] object.
#' @param launcher A launcher object such as [crew_launcher_local()].
#' @param reset_globals `TRUE` to remove the global variables a task
#'   created, after the task.
#' @param reset_packages `TRUE` to detach the packages a task attached,
#'   after the task.
#' @param reset_options `TRUE` to restore the options a task changed, after
#'   the task.
#' @param garbage_collection `TRUE` to run garbage collection after each
#'   task.
#' @param crashes_max Number of consecutive crashes a task may have (its
#'   worker died while running it) before the controller raises an error.
#' @param backup `NULL` or a controller that takes over a task after it has
#'   crashed `crashes_max` times.
#' @param auto_scale Deprecated.
#' @return A `crew_class_controller` object.
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
crew_controller <- function(
  client,
  launcher,
  reset_globals = TRUE,
  reset_packages = FALSE,
  reset_options = FALSE,
  garbage_collection = FALSE,
  crashes_max = 5L,
  backup = NULL,
  auto_scale = NULL
) {
  # Construction runs once per controller.
  local_without_jit()
  crew_deprecate(
    name = "auto_scale",
    date = "2023-05-18",
    version = "0.2.0",
    alternative = "use the scale argument of push(), pop(), and wait() instead",
    value = auto_scale,
    frequency = "once"
  )
  controller <- crew_class_controller$new(
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
