# The only file that calls the compiled library. Every other file uses these
# wrappers, which turn the library's error records into crew conditions (of
# class crew_error_<kind>, the kind named in the record) and its interrupt
# records into R interrupts.

native_unwrap <- function(out) {
  if (inherits(out, "crew_native_condition")) {
    if (inherits(out, "crew_native_interrupt")) {
      native_interrupt()
    }
    crew_error(out$message, kind = out$kind)
  }
  out
}

# A result that is a list is a record: NULL for a stopped dispatcher,
# otherwise raised as a condition.
native_condition <- function(out) {
  if (inherits(out, "crew_native_closed")) {
    return(NULL)
  }
  native_unwrap(out)
}

native_interrupt <- function() {
  condition <- structure(
    class = c("interrupt", "condition"),
    list(message = "interrupted by the user", call = NULL)
  )
  signalCondition(condition)
  invokeRestart("abort")
}

native_utf8 <- function(x) {
  enc2utf8(as.character(x))
}

native_random_name <- function(n) {
  native_unwrap(.Call(wrap__native_random_hex, as.integer(n)))
}

native_now <- function() {
  .Call(wrap__native_monotonic_seconds)
}

native_shutdown <- function() {
  .Call(wrap__native_shutdown)
}

native_signal_new <- function() {
  .Call(wrap__native_signal_new)
}

native_signal_notify <- function(signal) {
  invisible(native_unwrap(.Call(wrap__native_signal_notify, signal)))
}

native_signal_value <- function(signal) {
  native_unwrap(.Call(wrap__native_signal_value, signal))
}

native_signal_wait <- function(signal, seconds) {
  native_unwrap(.Call(wrap__native_signal_wait, signal, as.numeric(seconds)))
}

native_signal_forward <- function(from, to) {
  invisible(native_unwrap(.Call(wrap__native_signal_forward, from, to)))
}

native_dispatcher_start <- function(
  profile,
  host,
  port,
  tls_mode = "none",
  tls_certificates = "",
  tls_key = "",
  tls_password = NULL,
  tls_workers_ca = "",
  welcome = raw(0L)
) {
  native_unwrap(
    .Call(
      wrap__native_dispatcher_start,
      native_utf8(profile),
      native_utf8(host),
      as.integer(port),
      native_utf8(tls_mode),
      native_utf8(tls_certificates),
      native_utf8(tls_key),
      native_utf8(tls_password %||% ""),
      native_utf8(tls_workers_ca),
      as.raw(welcome)
    )
  )
}

native_tls_check <- function(certificates, key, password = NULL) {
  native_unwrap(
    .Call(
      wrap__native_tls_check,
      native_utf8(certificates),
      native_utf8(key),
      native_utf8(password %||% "")
    )
  )
  invisible()
}

native_tls_certificate <- function(profile) {
  .Call(wrap__native_tls_certificate, native_utf8(profile))
}

native_dispatcher_stop <- function(profile) {
  .Call(wrap__native_dispatcher_stop, native_utf8(profile))
}

native_dispatcher_status <- function(profile) {
  .Call(wrap__native_dispatcher_status, native_utf8(profile))
}

# A controller's handle on its dispatcher, carrying the settings and name
# that every task of the controller shares.
native_dispatcher_handle <- function(
  profile,
  reset_globals,
  reset_packages,
  reset_options,
  garbage_collection,
  controller,
  serialization = NULL
) {
  native_unwrap(.Call(
    wrap__native_dispatcher_handle,
    native_utf8(profile),
    isTRUE(reset_globals),
    isTRUE(reset_packages),
    isTRUE(reset_options),
    isTRUE(garbage_collection),
    native_utf8(controller),
    serialization
  ))
}

# Hot path of push(): checks, serializes and queues one task in one call
# and returns its handle. NULL means the handle's dispatcher has stopped
# (the caller refreshes it).
native_push <- function(
  dispatcher,
  command,
  name,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout,
  scale,
  throttle
) {
  out <- .Call(
    wrap__native_push, dispatcher, command, name, data, globals, seed,
    algorithm, packages, library, seconds_timeout, scale, throttle
  )
  if (typeof(out) == "list") native_condition(out) else out
}

native_walk <- function(
  dispatcher,
  shared,
  columns,
  names,
  prefix,
  seeds,
  seconds_timeout,
  handles
) {
  native_unwrap(
    .Call(
      wrap__native_walk,
      dispatcher,
      shared,
      columns,
      if (!is.null(names)) native_utf8(names),
      prefix,
      if (!is.null(seeds)) as.integer(seeds),
      seconds_timeout,
      isTRUE(handles)
    )
  )
}

# Result rows of resolved tasks: the named ones, or up to `max` of them.
native_take <- function(dispatcher, names = NULL, max = Inf) {
  if (!is.null(names)) {
    names <- native_utf8(names)
  }
  out <- .Call(wrap__native_take, dispatcher, names, as.numeric(max))
  if (inherits(out, "crew_native_condition")) native_condition(out) else out
}

# The totals of the rows taken so far, as summary() reports them.
native_summary <- function(dispatcher) {
  native_unwrap(.Call(wrap__native_summary, dispatcher))
}

native_task_handles <- function(dispatcher) {
  native_unwrap(.Call(wrap__native_task_handles, dispatcher))
}

native_size <- function(dispatcher) {
  native_unwrap(.Call(wrap__native_size, dispatcher))
}

native_holds <- function(dispatcher, names) {
  native_unwrap(.Call(wrap__native_holds, dispatcher, native_utf8(names)))
}

native_wait <- function(dispatcher, any, seconds) {
  native_unwrap(.Call(wrap__native_wait, dispatcher, isTRUE(any), as.numeric(seconds)))
}

native_cancel <- function(dispatcher, names, all) {
  native_unwrap(.Call(wrap__native_cancel, dispatcher, native_utf8(names), isTRUE(all)))
}

native_dispatcher_credential <- function(profile, uses, seconds = Inf) {
  .Call(
    wrap__native_dispatcher_credential,
    native_utf8(profile),
    as.numeric(uses),
    as.numeric(seconds)
  )
}

native_dispatcher_unspent <- function(profile, credentials) {
  .Call(
    wrap__native_dispatcher_unspent,
    native_utf8(profile),
    native_utf8(as.character(credentials))
  )
}

native_dispatcher_stream <- function(profile) {
  .Call(wrap__native_dispatcher_stream, native_utf8(profile))
}

native_dispatcher_signal <- function(profile) {
  .Call(wrap__native_dispatcher_signal, native_utf8(profile))
}

native_worker_start <- function(
  url,
  credential,
  seconds_timeout,
  seconds_idle,
  seconds_wall,
  tasks_max,
  tasks_timers,
  exit_signal,
  parent_pid,
  tls_trusted = "",
  tls_certificates = "",
  tls_key = ""
) {
  native_unwrap(
    .Call(
      wrap__native_worker_start,
      native_utf8(url),
      native_utf8(credential),
      as.numeric(seconds_timeout),
      as.numeric(seconds_idle),
      as.numeric(seconds_wall),
      as.numeric(tasks_max),
      as.numeric(tasks_timers),
      as.integer(exit_signal),
      as.integer(parent_pid),
      native_utf8(tls_trusted),
      native_utf8(tls_certificates),
      native_utf8(tls_key),
      ""
    )
  )
}

native_worker_next <- function(worker, seconds = Inf) {
  native_unwrap(.Call(wrap__native_worker_next, worker, as.numeric(seconds)))
}

native_worker_send <- function(worker, id, metadata, value) {
  native_unwrap(.Call(wrap__native_worker_send, worker, as.numeric(id), metadata, value))
}

native_stderr_discarded <- function() {
  .Call(wrap__native_stderr_discarded)
}

native_interfaces <- function() {
  .Call(wrap__native_interfaces)
}

native_process_find <- function(user, pattern) {
  if (!is.null(user)) {
    user <- native_utf8(user)
  }
  .Call(wrap__native_process_find, user, native_utf8(pattern))
}

native_terminate_signal <- function() {
  .Call(wrap__native_terminate_signal)
}

native_process_running <- function(pids) {
  .Call(wrap__native_process_running, as.numeric(pids))
}

native_process_terminate <- function(pids, seconds_grace) {
  .Call(wrap__native_process_terminate, as.numeric(pids), as.numeric(seconds_grace))
}

native_metrics_start <- function(path, seconds_interval, name = "worker") {
  native_unwrap(
    .Call(
      wrap__native_metrics_start,
      native_utf8(path),
      as.numeric(seconds_interval),
      as.character(utils::packageVersion("crew")),
      name
    )
  )
}

native_metrics_task_started <- function(metrics, name) {
  invisible(native_unwrap(.Call(wrap__native_metrics_task_started, metrics, name)))
}

native_metrics_task_finished <- function(metrics) {
  invisible(native_unwrap(.Call(wrap__native_metrics_task_finished, metrics)))
}

native_metrics_stop <- function(metrics) {
  invisible(native_unwrap(.Call(wrap__native_metrics_stop, metrics)))
}

native_code_outcome <- function(code) {
  .Call(wrap__native_code_outcome, as.integer(code))
}

# How the package's own serializer writes `x`, or NULL where it leaves `x`
# to R's serializer; for the tests.
native_serialize <- function(x) {
  .Call(wrap__native_serialize, x)
}

native_unserialize <- function(bytes) {
  .Call(wrap__native_unserialize, bytes)
}

# A dashboard of the controllers `names` (compute profiles `profiles`):
# list(url, token, port).
native_dashboard_start <- function(names, profiles, host, port) {
  native_unwrap(
    .Call(
      wrap__native_dashboard_start,
      native_utf8(names),
      native_utf8(profiles),
      native_utf8(host),
      as.integer(port)
    )
  )
}

native_dashboard_stop <- function(url) {
  .Call(wrap__native_dashboard_stop, native_utf8(url))
}

native_public_addresses <- function(host) {
  .Call(wrap__native_public_addresses, native_utf8(host))
}

# Asks the dispatcher to wake autoscale loop `id` (through later loop
# `loop_id`) at the next task queued or worker come or gone. TRUE once
# armed, FALSE if the dispatcher is gone.
native_backlog_watch <- function(dispatcher, id, loop_id) {
  if (is.null(dispatcher)) {
    return(FALSE)
  }
  native_unwrap(
    .Call(wrap__native_backlog_watch, dispatcher, as.numeric(id), as.integer(loop_id))
  )
}

# The rules of tasks the native side owns: list(task_fields,
# result_columns, task_name_bytes_max, task_name_too_long). Read once, at
# load (see task_rules_load()).
native_task_rules <- function() {
  native_unwrap(.Call(wrap__native_task_rules))
}

# The task list a worker runs, as push() serializes it: walk()'s template.
native_task <- function(dispatcher, command, data, globals, seed, algorithm, packages, library) {
  native_unwrap(
    .Call(wrap__native_task, dispatcher, command, data, globals, seed, algorithm, packages, library)
  )
}

# The error of a task name already held, in the words of the core.
native_duplicate_name <- function(name) {
  .Call(wrap__native_duplicate_name, native_utf8(name))
}

native_dispatcher_roster <- function(profile) {
  .Call(wrap__native_dispatcher_roster, native_utf8(profile))
}

native_dispatcher_unexplained <- function(profile) {
  .Call(wrap__native_dispatcher_unexplained, native_utf8(profile))
}

native_dispatcher_note_exits <- function(profile, pids, statuses) {
  .Call(
    wrap__native_dispatcher_note_exits,
    native_utf8(profile),
    as.integer(pids),
    as.integer(statuses)
  )
}
