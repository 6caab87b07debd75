#' @title Create a client object.
#' @export
#' @family client
#' @description A client owns one compute profile: the dispatcher that
#'   listens for workers on `host:port`, queues tasks and collects results.
#'   The dispatcher runs inside this R process, so it cannot outlive it.
#'   Most users create clients indirectly through controllers; launcher
#'   plugin authors call `crew_client()` in their controller helpers.
#' @param name Deprecated and ignored.
#' @param workers Deprecated and ignored.
#' @param host Where to listen: an IP address (IPv4 or IPv6, such as
#'   `"::1"`), a host name, or the name of a network interface of this
#'   machine (such as `"ib0"`), whose IPv4 address is then used, or its IPv6
#'   address if it has none. `NULL` picks the first IPv4 address of a network
#'   interface that is up and not loopback, which other machines can reach.
#'   A name that is none of these is an error.
#' @param port TCP port to listen on. `NULL` or `0` picks a free port.
#'   Controllers of this R session given the same port share one listening
#'   socket (each worker reaches the controller that launched it); they
#'   must then use the same TLS settings.
#' @param serialization `NULL` or the value of [crew_serial_config()] (or
#'   `mirai::serial_config()`): how objects behind external pointers, of the
#'   classes it names, travel to workers and back.
#' @param profile Name of the compute profile: unique among the active
#'   controllers of this R session.
#' @param tls A [crew_tls()] object.
#' @param tls_enable Deprecated and ignored.
#' @param tls_config Deprecated and ignored.
#' @param seconds_interval Seconds between checks while waiting.
#' @param seconds_timeout Seconds to wait before giving up on a check.
#' @param retry_tasks Deprecated and ignored.
#' @return A `crew_class_client` object.
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   client <- crew_client(host = "127.0.0.1")
#'   client$start()
#'   client$status()
#'   client$terminate()
#' }
crew_client <- function(
  name = NULL,
  workers = NULL,
  host = NULL,
  port = NULL,
  serialization = NULL,
  profile = crew::crew_random_name(),
  tls = crew::crew_tls(),
  tls_enable = NULL,
  tls_config = NULL,
  seconds_interval = 0.25,
  seconds_timeout = 60,
  retry_tasks = NULL
) {
  for (argument in c("name", "workers", "retry_tasks")) {
    crew_deprecate(
      name = argument,
      date = "2023-09-27",
      version = "0.5.0.9003",
      alternative = "none (no longer needed)",
      condition = "message",
      value = get(argument)
    )
  }
  crew_deprecate(
    name = "tls_enable",
    date = "2023-09-15",
    version = "0.4.1",
    alternative = "argument tls and function crew_tls()",
    value = tls_enable
  )
  crew_deprecate(
    name = "tls_config",
    date = "2023-09-15",
    version = "0.4.1",
    alternative = "argument tls and function crew_tls()",
    value = tls_config
  )
  host <- host_resolve(coerce_atomic(host %|||% host_default_ipv4(), as.character))
  port <- suppressWarnings(coerce_atomic(port %|||% 0L, as.integer))
  crew_assert(
    seconds_interval,
    is.numeric(.),
    length(.) == 1L,
    !anyNA(.),
    . >= 1e-6,
    message = "seconds_interval must be a number of at least 1e-6."
  )
  relay <- crew_relay(throttle = crew_throttle(seconds_max = seconds_interval))
  client <- crew_class_client$new(
    host = host,
    port = port,
    tls = tls,
    serialization = serialization,
    profile = profile,
    seconds_interval = seconds_interval,
    seconds_timeout = seconds_timeout,
    relay = relay
  )
  client$validate()
  client
}

#' @title Client class
#' @export
#' @family client
#' @description R6 class of clients; see [crew_client()].
#' @examples
#' if (identical(Sys.getenv("CREW_EXAMPLES"), "true")) {
#'   client <- crew_client(host = "127.0.0.1")
#'   client$start()
#'   client$terminate()
#' }
crew_class_client <- R6::R6Class(
  classname = "crew_class_client",
  cloneable = FALSE,
  portable = FALSE,
  private = list(
    .host = NULL,
    .port = NULL,
    .tls = NULL,
    .serialization = NULL,
    .profile = NULL,
    .seconds_interval = NULL,
    .seconds_timeout = NULL,
    .relay = NULL,
    .started = FALSE,
    .url = NULL
  ),
  active = list(
    #' @field host Address to listen on.
    host = function() {
      .host
    },
    #' @field port Port requested (0 for any).
    port = function() {
      .port
    },
    #' @field tls The TLS configuration.
    tls = function() {
      .tls
    },
    #' @field serialization Serialization settings or `NULL`.
    serialization = function() {
      .serialization
    },
    #' @field profile Compute profile name.
    profile = function() {
      .profile
    },
    #' @field seconds_interval Polling interval in seconds.
    seconds_interval = function() {
      .seconds_interval
    },
    #' @field seconds_timeout Timeout in seconds.
    seconds_timeout = function() {
      .seconds_timeout
    },
    #' @field relay The relay that carries task-resolution signals.
    relay = function() {
      .relay
    },
    #' @field started Whether the client is listening.
    started = function() {
      .started
    },
    #' @field url URL workers dial, `NULL` until started.
    url = function() {
      .url
    },
    #' @field dispatcher Process ID of the process that runs the dispatcher
    #'   (this R session, since dispatch runs inside it), `NULL` until
    #'   started.
    dispatcher = function() {
      if (.started) Sys.getpid() else NULL
    }
  ),
  public = list(
    #' @description Create a client object.
    #' @param host See [crew_client()].
    #' @param port See [crew_client()].
    #' @param tls See [crew_client()].
    #' @param serialization See [crew_client()].
    #' @param profile See [crew_client()].
    #' @param seconds_interval See [crew_client()].
    #' @param seconds_timeout See [crew_client()].
    #' @param relay A [crew_relay()] object.
    #' @return A client object.
    initialize = function(
      host = NULL,
      port = NULL,
      tls = NULL,
      serialization = NULL,
      profile = NULL,
      seconds_interval = NULL,
      seconds_timeout = NULL,
      relay = NULL
    ) {
      .host <<- host
      .port <<- port
      .tls <<- tls
      .serialization <<- serialization
      .profile <<- profile
      .seconds_interval <<- seconds_interval
      .seconds_timeout <<- seconds_timeout
      .relay <<- relay
    },
    #' @description Check the client.
    #' @return `NULL` (invisibly).
    validate = function() {
      crew_assert(
        .host,
        is.character(.),
        length(.) == 1L,
        !anyNA(.),
        nzchar(.),
        message = "host must be a nonempty character string."
      )
      crew_assert(
        .port,
        is.integer(.),
        length(.) == 1L,
        !anyNA(.),
        . >= 0L,
        . <= 65535L,
        message = "port must be an integer between 0 and 65535."
      )
      crew_assert(
        inherits(.tls, "crew_class_tls"),
        message = "tls must be an object created by crew_tls()."
      )
      serial_config_validate(.serialization)
      crew_assert(
        .profile,
        is.character(.),
        length(.) == 1L,
        !anyNA(.),
        nzchar(.),
        message = "profile must be a nonempty character string."
      )
      for (field in c("seconds_interval", "seconds_timeout")) {
        crew_assert(
          private[[paste0(".", field)]],
          is.numeric(.),
          length(.) == 1L,
          !anyNA(.),
          . >= 0,
          message = paste(field, "must be a nonnegative number.")
        )
      }
      crew_assert(
        .seconds_timeout >= .seconds_interval,
        message = "seconds_timeout cannot be less than seconds_interval."
      )
      crew_assert(
        inherits(.relay, "crew_class_relay"),
        message = "relay must be an object created by crew_relay()."
      )
      .relay$validate()
      invisible()
    },
    #' @description Mark the client as started without listening (used by
    #'   the sequential controller).
    #' @return `NULL` (invisibly).
    set_started = function() {
      .started <<- TRUE
      invisible()
    },
    #' @description Start listening for workers.
    #' @return `NULL` (invisibly).
    start = function() {
      if (isTRUE(.started)) {
        return(invisible())
      }
      credentials <- .tls$client() %||% c("", "")
      listening <- native_dispatcher_start(
        profile = .profile,
        host = .host,
        port = .port,
        tls_mode = .tls$mode,
        tls_certificates = credentials[[1L]],
        tls_key = credentials[[2L]],
        tls_password = .tls$password,
        tls_workers_ca = if (is.null(.tls$authority)) "" else tls_read_text(.tls$authority),
        welcome = serial_config_bytes(.serialization)
      )
      .url <<- .tls$url(host = .host, port = listening$port)
      .relay$set_from(native_dispatcher_signal(.profile))
      .relay$start()
      .started <<- TRUE
      invisible()
    },
    #' @description Stop listening: every worker connection closes and the
    #'   port is free again when this returns.
    #' @return `NULL` (invisibly).
    terminate = function() {
      if (isTRUE(.started) && !is.null(.url)) {
        native_dispatcher_stop(.profile)
      }
      .relay$terminate()
      .url <<- NULL
      .started <<- FALSE
      invisible()
    },
    #' @description Counters of the dispatcher.
    #' @return Named integer vector: `connections`, `cumulative`,
    #'   `awaiting`, `executing`, `completed`.
    status = function() {
      if (isTRUE(.started) && !is.null(.url)) {
        status <- native_dispatcher_status(.profile)
        if (!is.null(status)) {
          return(status)
        }
      }
      c(
        connections = 0L,
        cumulative = 0L,
        awaiting = 0L,
        executing = 0L,
        completed = 0L
      )
    },
    #' @description Deprecated.
    #' @return The process ID of this R session.
    pids = function() {
      crew_deprecate(
        name = "pids()",
        date = "2025-01-13",
        version = "0.10.2.9003",
        alternative = "none"
      )
      Sys.getpid()
    }
  )
)
