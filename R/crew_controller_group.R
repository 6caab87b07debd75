#' @title Create a group of controllers.
#' @export
#' @family controller
#' @description A controller group holds several controllers, each with
#'   its own workers and settings, and offers one interface to all of them.
#'   Tasks go to one member at a time (the first one unless the
#'   `controller` argument of a method names another), while methods such
#'   as `pop()`, `collect()`, `wait()` and `summary()` look at every member
#'   or at the members named in their `controllers` argument.
#' @details Members are keyed by their launcher names, so give each
#'   controller a distinct `name`. The group has a relay of its own which
#'   every member's client signals when one of its tasks resolves, so that
#'   the group's `wait()` wakes up as soon as any member has news.
#'   Because that connection is set up here, the controllers must not be
#'   started before they join the group.
#' @param ... Controller objects, or lists of them (nested lists are
#'   flattened). Names given here are ignored.
#' @param seconds_interval Longest time in seconds that the group's
#'   `wait()` sleeps between checks when no task resolves.
#' @return A `crew_class_controller_group` object.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   persistent <- crew_controller_local(name = "persistent")
#'   transient <- crew_controller_local(name = "transient", tasks_max = 1L)
#'   group <- crew_controller_group(persistent, transient)
#'   group$start()
#'   group$push(name = "task", command = sqrt(4), controller = "transient")
#'   group$wait()
#'   group$pop()$result
#'   group$terminate()
#' }
crew_controller_group <- function(..., seconds_interval = 0.25) {
  # The group relay's throttle needs this, and the error should name the
  # argument rather than the throttle field.
  crew_assert(
    seconds_interval,
    is.numeric(.),
    length(.) == 1L,
    !anyNA(.),
    . >= 1e-6,
    message = "seconds_interval must be a number of at least 1e-6."
  )
  controllers <- unlist(list(...), recursive = TRUE)
  if (length(controllers) < 1L) {
    crew_error("A controller group must have one or more crew controllers.")
  }
  is_controller <- vapply(
    controllers,
    function(controller) inherits(controller, "crew_class_controller"),
    logical(1L)
  )
  if (!all(is_controller)) {
    crew_error(
      "Every member of a controller group must be a crew controller (crew_class_controller)."
    )
  }
  started <- vapply(
    controllers,
    function(controller) isTRUE(controller$client$started),
    logical(1L)
  )
  if (any(started)) {
    crew_error(
      paste(
        "Controllers must not be started before they join a controller group.",
        "Terminate them, then create the group."
      )
    )
  }
  names(controllers) <- vapply(
    controllers,
    function(controller) controller$launcher$name,
    character(1L)
  )
  relay <- crew_relay(throttle = crew_throttle(seconds_max = seconds_interval))
  relay$start()
  for (controller in controllers) {
    controller$client$relay$set_to(relay$condition)
  }
  group <- crew_class_controller_group$new(controllers = controllers, relay = relay)
  group$validate()
  group
}
