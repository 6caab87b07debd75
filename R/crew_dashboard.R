#' @title Open a live dashboard of a controller
#' @export
#' @family controllers
#' @description Serve a web page that shows a controller's tasks and
#'   workers as they change, and open it in the browser.
#' @details The page shows the counts of queued, held, running and done
#'   tasks, errors, crashes and cancellations; a table of the workers with
#'   the task each runs and for how long, its CPU and memory, the age of
#'   its last heartbeat and how it ended (with the signal that ended it,
#'   where the launcher learned of one); charts of throughput, running
#'   tasks and each worker's memory and CPU over the last minutes; and the
#'   workers lost while running a task, as they happen. It updates at
#'   every resolved task, and at least once a second, while it is open.
#'
#'   The dashboard is served by the package's background threads in this
#'   R session, so it keeps updating while R is busy. It may be opened
#'   before the controller starts, and it follows the controller through
#'   `terminate()` and a later start. It runs until the R session ends or
#'   the package is unloaded. Calling `crew_dashboard()` again for the same
#'   controller returns the URL of the dashboard already running.
#'   [crew_status()] gives the same table of workers in R.
#'
#'   Every request must carry the random token in the URL, so other users
#'   of the machine cannot watch. The page makes no request anywhere else.
#'   It is served over plain HTTP: on a `host` other than loopback, anyone
#'   on the network who learns the URL can watch the controller, so a
#'   public address gives a warning. To watch a remote machine, keep the
#'   default `host` and forward the port through SSH.
#' @param controller A controller or a controller group, such as from
#'   [crew_controller_local()] or [crew_controller_group()].
#' @param port `NULL` for any free port, or the TCP port to listen on, a
#'   whole number from 0 to 65535 (0 for any free port).
#' @param browse `TRUE` to open the page with [utils::browseURL()].
#' @param host Address to listen on. The default, `"127.0.0.1"`, accepts
#'   connections from this machine only.
#' @return The URL of the dashboard, token included, as a character string
#'   (invisibly if `browse` is `TRUE`). With `browse = FALSE`, a new
#'   dashboard also gives its URL in a message, so a non-interactive
#'   process such as the one `targets::tar_make()` starts shows it.
#' @examples
#' if (FALSE) {
#'   controller <- crew_controller_local(workers = 2)
#'   controller$start()
#'   crew_dashboard(controller)
#'   controller$walk(Sys.sleep(x), iterate = list(x = runif(20, 0, 5)))
#'   controller$wait(mode = "all")
#'   controller$terminate()
#' }
crew_dashboard <- function(
  controller,
  port = NULL,
  browse = interactive(),
  host = "127.0.0.1"
) {
  check_flag(browse, "browse")
  check_string(host, "host")
  dashboard_check_port(port)
  members <- dashboard_members(controller)
  key <- paste(members$profiles, collapse = "\n")
  url <- dashboard_urls[[key]]
  if (is.null(url)) {
    dashboard_warn_perimeter(host)
    port <- as.integer(port %||% 0L)
    started <- tryCatch(
      native_dashboard_start(members$names, members$profiles, host, port),
      crew_error = function(condition) {
        crew_error(
          sprintf(
            "crew_dashboard() could not listen on host %s, port %d: %s",
            host,
            port,
            conditionMessage(condition)
          ),
          kind = sub("^crew_error_", "", class(condition)[[1L]])
        )
      }
    )
    url <- started$url
    assign(key, url, envir = dashboard_urls)
    # In a pipeline's own process (tar_make() runs one), nobody sees the
    # return value, so the address goes out as a message.
    if (!browse) {
      crew_message(sprintf("crew dashboard: %s", url))
    }
  }
  if (browse) {
    utils::browseURL(url)
    return(invisible(url))
  }
  url
}

# The URLs of this session's dashboards, by the compute profiles they show.
# The dashboards themselves run in the compiled library and stop when the
# package unloads (native_shutdown()).
dashboard_urls <- new.env(parent = emptyenv())

dashboard_check_port <- function(port) {
  if (is.null(port)) {
    return(invisible())
  }
  if (!(is.numeric(port) && length(port) == 1L && !is.na(port) &&
    port >= 0 && port <= 65535 && port == round(port))) {
    crew_error(
      "port must be NULL or a whole number from 0 to 65535.",
      kind = "invalid_argument"
    )
  }
  invisible()
}

# The names and compute profiles of the controllers a dashboard of
# `controller` shows: the controller itself, or each member of a group
# (found as crew_status() finds them).
dashboard_members <- function(controller) {
  if (inherits(controller, "crew_class_controller_sequential")) {
    crew_error(
      paste(
        "controller is a sequential controller, which runs its tasks in this",
        "R session and has no workers to show."
      ),
      kind = "invalid_argument"
    )
  }
  controllers <- status_controllers(controller)
  names <- lapply(controllers, status_name)
  profiles <- lapply(controllers, status_profile)
  text <- function(x) is.character(x) && length(x) == 1L && !is.na(x) && nzchar(x)
  if (!length(controllers) || !all(map_lgl(c(names, profiles), text))) {
    crew_error(
      "controller has no name or compute profile: was it made by a crew function?",
      kind = "invalid_argument"
    )
  }
  list(names = unlist(names), profiles = unlist(profiles))
}

# A dashboard on a public address serves its page, tokens in links and
# task names in plain text: warn, naming the address.
dashboard_warn_perimeter <- function(host) {
  public <- native_public_addresses(host)
  if (length(public)) {
    crew_warning(
      sprintf(
        paste(
          "the dashboard listens on %s, a public address, over plain HTTP:",
          "anyone who can reach it and learns its URL (which holds the token)",
          "can watch the controller's workers and task names. Keep the default",
          "host = \"127.0.0.1\" and forward the port through SSH unless the",
          "network is private."
        ),
        public[[1L]]
      )
    )
  }
  invisible()
}
