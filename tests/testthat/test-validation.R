# Covers R/argument_checks.R, R/crew_assert.R and R/task_spec.R: the
# argument checks of every exported function and method.
#
# Every argument of every exported function and public method rejects a
# wrong-typed value with a crew_error whose message names the argument.
# Arguments that crew 1.3.0 ignores (`controllers`/`controller` on single
# controllers, `save_command` in push(), deprecated arguments that only
# signal) are left out.
#
# Each table maps an argument to wrong values; `base` holds the other
# arguments of the call, which are valid.

wrong_flag <- list("TRUE", NA, c(TRUE, FALSE), 1)
wrong_number <- list("1", NA, c(1, 2))
wrong_nonnegative <- c(wrong_number, list(-1))
wrong_string <- list(1, NA_character_, c("a", "b"), "")
wrong_object <- list("a", list())

# Matches `argument` as a whole word, so "n" does not match "name".
mentions_argument <- function(message, argument) {
  pattern <- sprintf("(^|[^A-Za-z0-9_])%s($|[^A-Za-z0-9_])", argument)
  grepl(pattern, message, perl = TRUE)
}

expect_rejected <- function(call, argument, label) {
  condition <- tryCatch(
    suppressWarnings(call()),
    error = function(condition) condition
  )
  is_crew_error <- inherits(condition, "crew_error")
  testthat::expect(
    is_crew_error,
    sprintf(
      "%s: expected a crew_error, got %s",
      label,
      if (inherits(condition, "condition")) {
        paste0(class(condition)[1L], " \"", conditionMessage(condition), "\"")
      } else {
        "no error"
      }
    )
  )
  message <- if (inherits(condition, "condition")) conditionMessage(condition) else ""
  testthat::expect(
    mentions_argument(message, argument),
    sprintf("%s: the message \"%s\" does not name %s", label, message, argument)
  )
}

expect_arguments_checked <- function(fun, cases, base = list()) {
  for (argument in names(cases)) {
    for (value in cases[[argument]]) {
      arguments <- base
      arguments[argument] <- list(value)
      label <- sprintf("%s = %s", argument, paste(deparse(value), collapse = " "))
      expect_rejected(
        call = function() do.call(fun, arguments),
        argument = argument,
        label = label
      )
    }
  }
}

launcher_cases <- list(
  name = wrong_string,
  workers = wrong_nonnegative,
  seconds_interval = c(wrong_number, list(0, -1)),
  seconds_timeout = wrong_nonnegative,
  seconds_launch = wrong_nonnegative,
  seconds_idle = wrong_nonnegative,
  seconds_wall = wrong_nonnegative,
  tasks_max = wrong_nonnegative,
  tasks_timers = wrong_nonnegative,
  tls = wrong_object,
  r_arguments = list(1, NA, list("--vanilla")),
  options_metrics = wrong_object
)

client_cases <- list(
  host = list(NA, c("a", "b"), ""),
  port = list("a", NA, c(1L, 2L), -1L, 70000L),
  serialization = list("a", 1),
  profile = wrong_string,
  tls = wrong_object,
  seconds_interval = c(wrong_number, list(0)),
  seconds_timeout = wrong_nonnegative
)

reset_cases <- list(
  reset_globals = wrong_flag,
  reset_packages = wrong_flag,
  reset_options = wrong_flag,
  garbage_collection = wrong_flag
)

crew_test("validation: crew_controller_local()", {
  expect_arguments_checked(
    fun = crew_controller_local,
    cases = c(
      launcher_cases,
      client_cases[c("host", "port", "serialization", "profile")],
      reset_cases,
      list(
        crashes_max = c(wrong_nonnegative, list(Inf)),
        backup = wrong_object,
        options_local = wrong_object,
        local_log_directory = wrong_string,
        local_log_join = wrong_flag
      )
    )
  )
})

crew_test("validation: crew_controller()", {
  expect_arguments_checked(
    fun = crew_controller,
    cases = c(
      list(
        client = list("a", crew_launcher()),
        launcher = list("a", crew_client(host = "127.0.0.1")),
        crashes_max = c(wrong_nonnegative, list(Inf)),
        backup = wrong_object
      ),
      reset_cases
    ),
    base = list(
      client = crew_client(host = "127.0.0.1"),
      launcher = crew_launcher_local()
    )
  )
  member <- crew_controller_local()
  group <- crew_controller_group(member)
  expect_rejected(
    function() {
      crew_controller(
        client = crew_client(host = "127.0.0.1"),
        launcher = crew_launcher_local(),
        backup = group
      )
    },
    argument = "backup",
    label = "backup = <controller group>"
  )
})

crew_test("validation: crew_controller_sequential()", {
  expect_arguments_checked(fun = crew_controller_sequential, cases = reset_cases)
})

crew_test("validation: crew_controller_group()", {
  member <- crew_controller_local()
  expect_arguments_checked(
    fun = crew_controller_group,
    cases = list(seconds_interval = c(wrong_number, list(0))),
    base = list(member)
  )
  # The dots take controllers.
  expect_rejected(function() crew_controller_group("a"), "controller", "... = \"a\"")
  expect_rejected(function() crew_controller_group(list(1)), "controller", "... = list(1)")
  expect_rejected(function() crew_controller_group(), "controllers", "no controllers")
  expect_null(member$client$relay$to)
})

crew_test("validation: crew_client()", {
  expect_arguments_checked(
    fun = crew_client,
    cases = client_cases,
    base = list(host = "127.0.0.1")
  )
  expect_rejected(
    function() crew_client(host = "127.0.0.1", seconds_interval = 2, seconds_timeout = 1),
    argument = "seconds_timeout",
    label = "seconds_timeout < seconds_interval"
  )
})

crew_test("validation: crew_class_client", {
  new_client <- function(...) {
    client <- crew_class_client$new(...)
    client$validate()
  }
  expect_arguments_checked(
    fun = new_client,
    cases = c(
      client_cases[c("host", "serialization", "profile", "tls", "seconds_timeout")],
      list(
        # The class takes the port as given; crew_client() coerces it.
        port = list("1", NA_integer_, c(1L, 2L), -1L, 70000L, 1.5),
        # Only crew_client() needs a positive interval (for its relay).
        seconds_interval = wrong_nonnegative,
        relay = wrong_object
      )
    ),
    base = list(
      host = "127.0.0.1",
      port = 0L,
      tls = crew_tls(),
      profile = "profile",
      seconds_interval = 0.25,
      seconds_timeout = 60,
      relay = crew_relay()
    )
  )
  # The remaining methods take no arguments.
  client <- crew_client(host = "127.0.0.1")
  for (method in c("validate", "set_started", "start", "terminate", "status", "pids")) {
    expect_length(formals(client[[method]]), 0L)
  }
})

crew_test("validation: crew_launcher()", {
  expect_arguments_checked(fun = crew_launcher, cases = launcher_cases)
  expect_rejected(
    function() crew_launcher(seconds_interval = 1e-7, tasks_max = 5),
    argument = "seconds_interval",
    label = "seconds_interval = 1e-7 with finite tasks_max"
  )
})

crew_test("validation: crew_launcher_local()", {
  expect_arguments_checked(
    fun = crew_launcher_local,
    cases = c(
      launcher_cases,
      list(
        options_local = wrong_object,
        local_log_directory = wrong_string,
        local_log_join = wrong_flag
      )
    )
  )
})

crew_test("validation: crew_class_launcher methods", {
  launcher <- crew_launcher()
  expect_arguments_checked(
    fun = launcher$start,
    cases = list(url = wrong_string, profile = wrong_string)
  )
  expect_arguments_checked(fun = launcher$launch, cases = list(n = wrong_number))
  expect_arguments_checked(fun = launcher$launch_worker, cases = list(call = wrong_string))
  expect_arguments_checked(
    fun = launcher$launch_workers,
    cases = list(call = wrong_string, n = wrong_nonnegative),
    base = list(call = "crew::crew_worker()", n = 1L)
  )
  expect_arguments_checked(
    fun = launcher$scale,
    cases = list(
      status = list(
        "a",
        c(1, 2, 3, 4, 5),
        c(connections = 0L),
        c(connections = "0", cumulative = "0", awaiting = "0", executing = "0", completed = "0")
      )
    )
  )
  expect_arguments_checked(fun = launcher$set_name, cases = list(name = wrong_string))
  expect_equal(nrow(launcher$launches), 0L)
  # Methods without checked arguments: `throttle` of scale(), `worker` of
  # call() and `index` of crashes() are unused.
  for (method in c("validate", "poll", "settings", "terminate", "terminate_workers")) {
    expect_length(formals(launcher[[method]]), 0L)
  }
})

crew_test("validation: crew_tls()", {
  expect_arguments_checked(
    fun = crew_tls,
    cases = list(
      mode = list(1, NA_character_, c("none", "custom"), "", "secure"),
      key = list("key.pem"),
      password = list("secret"),
      certificates = list("certificate.pem"),
      validate = wrong_flag
    )
  )
  expect_arguments_checked(
    fun = crew_tls,
    cases = list(
      key = wrong_string,
      password = wrong_string,
      certificates = list(1, NA_character_, character(0L), c("a.pem", ""))
    ),
    base = list(mode = "custom", key = "key.pem", certificates = "certificate.pem")
  )
})

crew_test("validation: crew_throttle()", {
  expect_arguments_checked(
    fun = crew_throttle,
    cases = list(
      seconds_max = c(wrong_number, list(0)),
      seconds_min = c(wrong_number, list(0, 2)),
      seconds_start = c(wrong_number, list(0, 2)),
      base = c(wrong_number, list(0, 1))
    )
  )
})

crew_test("validation: crew_class_throttle methods", {
  throttle <- crew_throttle()
  expect_arguments_checked(fun = throttle$update, cases = list(activity = wrong_flag))
  expect_equal(throttle$seconds_interval, throttle$seconds_start)
  for (method in c("validate", "poll", "accelerate", "decelerate", "reset")) {
    expect_length(formals(throttle[[method]]), 0L)
  }
})

crew_test("validation: crew_relay()", {
  expect_arguments_checked(fun = crew_relay, cases = list(throttle = wrong_object))
})

crew_test("validation: crew_class_relay methods", {
  relay <- crew_relay()
  expect_arguments_checked(fun = relay$set_from, cases = list(from = list("a", 1, list())))
  expect_arguments_checked(fun = relay$set_to, cases = list(to = list("a", 1, list())))
  expect_null(relay$from)
  expect_null(relay$to)
  for (method in c("validate", "start", "terminate", "wait")) {
    expect_length(formals(relay[[method]]), 0L)
  }
})

crew_test("validation: crew_options_local()", {
  expect_arguments_checked(
    fun = crew_options_local,
    cases = list(log_directory = wrong_string, log_join = wrong_flag)
  )
})

crew_test("validation: crew_options_metrics()", {
  expect_arguments_checked(
    fun = crew_options_metrics,
    cases = list(path = wrong_string, seconds_interval = c(wrong_number, list(0, Inf)))
  )
})

crew_test("validation: crew_worker()", {
  # The checks come before the worker dials, so nothing connects here.
  settings <- list(url = "tcp://127.0.0.1:1", credential = "credential")
  expect_arguments_checked(
    fun = crew_worker,
    cases = list(
      settings = list("a", 1, list(url = 1, credential = "x"), list(url = "tcp://127.0.0.1:1")),
      controller = list(1, NA_character_, c("a", "b")),
      options_metrics = wrong_object
    ),
    base = list(settings = settings, controller = "controller")
  )
})

crew_test("validation: crew_eval()", {
  expect_arguments_checked(
    fun = crew_eval,
    cases = c(
      list(
        name = list(1, NA_character_, c("a", "b")),
        data = list("a", list(1)),
        globals = list("a", list(1)),
        seed = wrong_number,
        algorithm = wrong_string,
        packages = list(1, NA_character_),
        library = list(1, NA_character_)
      ),
      reset_cases
    ),
    base = list(command = quote(1 + 1), name = "task")
  )
})

crew_test("validation: crew_retry()", {
  expect_arguments_checked(
    fun = crew_retry,
    cases = list(
      fun = list(1, NA, list()),
      args = list("a", list(1), list(a = 1, a = 2)),
      seconds_interval = wrong_nonnegative,
      seconds_timeout = wrong_nonnegative,
      max_tries = wrong_nonnegative,
      error = wrong_flag,
      message = list(1, TRUE),
      envir = list("a", list()),
      assertions = wrong_flag
    ),
    base = list(fun = function(...) TRUE)
  )
})

crew_test("validation: crew_random_name()", {
  expect_arguments_checked(
    fun = crew_random_name,
    cases = list(n = c(wrong_number, list(0, 1.5, Inf)))
  )
})

# Every wrong pid below becomes NA if a check goes missing, so a
# regression cannot signal a real process (as.integer("1") would be init).
harmless_wrong_pids <- list("a", NA, c(Inf, Inf), -1e10, Inf)

crew_test("validation: crew_terminate_process()", {
  expect_arguments_checked(
    fun = crew_terminate_process,
    cases = list(pid = harmless_wrong_pids)
  )
})

crew_test("validation: crew_terminate_signal()", {
  expect_length(formals(crew_terminate_signal), 0L)
  expect_true(is.integer(crew_terminate_signal()))
})

crew_test("validation: crew_monitor_local()", {
  expect_length(formals(crew_monitor_local), 0L)
  monitor <- crew_monitor_local()
  for (method in c("dispatchers", "daemons", "workers")) {
    expect_arguments_checked(fun = monitor[[method]], cases = list(user = wrong_string))
  }
  expect_arguments_checked(
    fun = monitor$terminate,
    cases = list(pids = c(harmless_wrong_pids, list(list("a"))))
  )
})

# Methods of crew_class_controller whose checks need no started controller.

crew_test("validation: controller$launch()", {
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  expect_arguments_checked(fun = controller$launch, cases = list(n = wrong_nonnegative))
  expect_false(controller$started())
})

crew_test("validation: controller$scale()", {
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  expect_arguments_checked(fun = controller$scale, cases = list(throttle = wrong_flag))
  expect_false(controller$started())
})

crew_test("validation: controller$autoscale()", {
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  expect_arguments_checked(fun = controller$autoscale, cases = list(loop = list("a", 1)))
  expect_null(controller$loop)
})

crew_test("validation: controller$crashes()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(
    fun = controller$crashes,
    cases = list(name = list(1, NA_character_, c("a", "b")))
  )
})

crew_test("validation: controller$push_backlog()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(fun = controller$push_backlog, cases = list(name = wrong_string))
  expect_equal(controller$queue_backlog$size(), 0L)
})

crew_test("validation: controller$pop()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(
    fun = controller$pop,
    cases = list(
      scale = wrong_flag,
      throttle = wrong_flag,
      error = list(1, NA_character_, c("stop", "warn"), "fail")
    )
  )
  expect_false(controller$started())
})

crew_test("validation: controller$collect()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(
    fun = controller$collect,
    cases = list(
      scale = wrong_flag,
      throttle = wrong_flag,
      error = list(1, NA_character_, c("stop", "warn"), "fail")
    )
  )
  expect_false(controller$started())
})

crew_test("validation: controller$wait()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(
    fun = controller$wait,
    cases = list(
      mode = list(1, NA_character_, c("all", "one"), "some"),
      seconds_timeout = wrong_nonnegative,
      scale = wrong_flag,
      throttle = wrong_flag
    )
  )
})

crew_test("validation: controller$cancel()", {
  controller <- crew_controller_local(workers = 1L)
  expect_arguments_checked(
    fun = controller$cancel,
    cases = list(names = list(1, NA_character_, c("a", "")), all = wrong_flag)
  )
})

crew_test("validation: controller methods without checked arguments", {
  # `controllers`/`controller` are unused on single controllers and the
  # `collect`/`throttle` arguments of saturated() are ignored.
  controller <- crew_controller_local(workers = 1L)
  unused <- c("controllers", "controller")
  methods <- c(
    "validate", "start", "started", "size", "empty", "nonempty", "resolved",
    "unresolved", "descale", "pop_backlog", "summary", "pids", "terminate"
  )
  for (method in methods) {
    expect_true(all(names(formals(controller[[method]])) %in% unused), info = method)
  }
  expect_true(
    all(names(formals(controller$saturated)) %in% c("collect", "throttle", unused))
  )
})

# push(), walk() and map() check their arguments before they start the
# controller, so a wrong argument leaves no dispatcher listening.
crew_test("validation: a rejected push(), walk() or map() does not start the controller", {
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  expect_crew_error(controller$push(1, scale = "yes"))
  expect_crew_error(controller$push(1, name = NA_character_))
  expect_crew_error(controller$push(1, name = strrep("n", 10001L)))
  expect_crew_error(controller$walk(x, iterate = list(x = 1), verbose = "yes"))
  expect_crew_error(
    controller$walk(x, iterate = list(x = 1, id = strrep("n", 10001L)), names = "id")
  )
  expect_crew_error(controller$map(x, iterate = list(x = 1), error = "fail"))
  expect_false(controller$started())
})

# The valid-looking rest of each call would push tasks, so these share one
# started controller. No check lets a task through, so no worker launches.
crew_test("validation: controller$push(), $walk() and $map()", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  task_cases <- list(
    data = list("a", list(1)),
    globals = list("a", list(1)),
    seed = wrong_number,
    algorithm = wrong_string,
    packages = list(1, NA_character_),
    library = list(1, NA_character_),
    seconds_timeout = wrong_nonnegative
  )
  expect_arguments_checked(
    fun = controller$push,
    cases = c(
      task_cases,
      list(
        substitute = wrong_flag,
        scale = wrong_flag,
        throttle = wrong_flag,
        name = wrong_string
      )
    ),
    base = list(command = quote(1 + 1), substitute = FALSE)
  )
  walk_cases <- c(
    task_cases,
    list(
      iterate = list("a", list(1), list(x = integer(0L)), list(x = 1, y = 1:2)),
      substitute = wrong_flag,
      names = list(1, NA_character_, c("x", "x"), "y"),
      verbose = wrong_flag,
      scale = wrong_flag,
      throttle = wrong_flag
    )
  )
  base <- list(command = quote(x), iterate = list(x = 1:2), substitute = FALSE)
  expect_arguments_checked(fun = controller$walk, cases = walk_cases, base = base)
  expect_arguments_checked(
    fun = controller$map,
    cases = c(
      walk_cases,
      list(
        error = list(1, NA_character_, c("stop", "warn"), "fail"),
        warnings = wrong_flag
      )
    ),
    base = base
  )
  expect_equal(controller$size(), 0L)
  expect_equal(controller$unresolved(), 0L)
})

# push() checks its arguments twice over: natively on its fast path (a
# started controller: src/rust/src/tasks/arguments.rs, check_task()) and in
# R everywhere else (task_spec_check()). Both get the same wrong values,
# one at a time and in pairs (which error comes first), and must say the
# same thing. Known apart, and left out: numbers of a class whose
# is.numeric() method says FALSE (a Date or difftime `seed` or
# `seconds_timeout`), which only the R checks reject.
crew_test("push()'s native checks say what its R checks say", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1L)
  on.exit(controller$terminate())
  controller$start()
  valid <- list(
    command = quote(1),
    data = list(),
    globals = list(),
    seed = NULL,
    algorithm = NULL,
    packages = character(0),
    library = NULL,
    seconds_timeout = NULL,
    scale = FALSE,
    throttle = TRUE,
    name = NULL
  )
  wrong <- list(
    scale = c(wrong_flag, list(NULL, factor("a"))),
    throttle = c(wrong_flag, list(NULL)),
    data = list("a", list(1), list(a = 1, a = 2), list(a = 1, 2), NULL, 1:2),
    globals = list("a", list(1), list(a = 1, 1), NULL),
    seed = c(
      wrong_number,
      list(NA_real_, NaN, NA_integer_, factor("a"), TRUE, list(1), numeric(0))
    ),
    algorithm = c(wrong_string, list(NA, list("a"))),
    packages = list(1, NA_character_, c("a", NA), NULL, list("a"), factor("a")),
    library = list(1, NA_character_, c("a", NA), list("a")),
    seconds_timeout = c(wrong_nonnegative, list(-1L, NA_integer_, TRUE, "1", -Inf, NaN)),
    name = c(wrong_string, list(NA, strrep("n", 10001L), c(a = "")))
  )
  message_of <- function(call) {
    tryCatch(
      {
        call()
        "no error"
      },
      crew_error = function(condition) conditionMessage(condition)
    )
  }
  compare <- function(arguments, label) {
    native <- message_of(function() do.call(controller$push, c(arguments, substitute = FALSE)))
    slow <- message_of(function() task_spec_check(do.call(task_spec, arguments)))
    expect_identical(native, slow, label = label)
    expect_false(identical(native, "no error"), label = label)
  }
  for (argument in names(wrong)) {
    for (value in wrong[[argument]]) {
      arguments <- valid
      arguments[argument] <- list(value)
      compare(arguments, sprintf("%s = %s", argument, paste(deparse(value), collapse = " ")))
    }
  }
  fields <- names(wrong)
  for (first in fields) {
    for (second in setdiff(fields, first)) {
      arguments <- valid
      arguments[first] <- list(wrong[[first]][[1L]])
      arguments[second] <- list(wrong[[second]][[1L]])
      compare(arguments, paste(first, "and", second))
    }
  }
  expect_equal(controller$size(), 0L)
})
