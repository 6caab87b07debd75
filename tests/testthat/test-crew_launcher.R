# Also covers R/launcher_methods.R.
#
# A minimal launcher plugin: only launch_worker(call), starting
# `Rscript -e call` with processx. The test keeps every handle and call in
# `store` so pruning of the launches table never drops a live process.
crew_test_custom_launcher <- function(store, ...) {
  class <- R6::R6Class(
    classname = "custom_launcher_class",
    inherit = crew::crew_class_launcher,
    public = list(
      launch_worker = function(call) {
        store$calls <- c(store$calls, call)
        process <- processx::process$new(
          command = file.path(R.home("bin"), "Rscript"),
          args = c("--no-save", "--no-restore", "-e", call),
          cleanup = TRUE
        )
        store$handles <- c(store$handles, list(process))
        process
      }
    )
  )
  launcher <- class$new(
    workers = 1L,
    seconds_interval = 0.1,
    seconds_timeout = 10,
    seconds_launch = 30,
    seconds_idle = Inf,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew::crew_tls(),
    r_arguments = c("--no-save", "--no-restore"),
    options_metrics = crew::crew_options_metrics(),
    ...
  )
  launcher$validate()
  launcher
}

crew_test_kill_store <- function(store) {
  for (handle in store$handles) {
    try(handle$kill(), silent = TRUE)
  }
}

crew_test("abstract launcher constructs silently", {
  expect_silent(launcher <- crew_launcher())
  expect_s3_class(launcher, "crew_class_launcher")
  expect_silent(launcher$validate())
})

crew_test("negative seconds_idle is a crew_error", {
  expect_crew_error(crew_launcher(seconds_idle = -1))
})

crew_test("launcher validation catches bad fields", {
  expect_crew_error(crew_launcher(workers = -1))
  expect_crew_error(crew_launcher(workers = NA_real_))
  expect_crew_error(crew_launcher(seconds_wall = c(1, 2)))
  expect_crew_error(crew_launcher(tasks_max = -1))
  expect_crew_error(crew_launcher(name = ""))
  expect_crew_error(crew_launcher(seconds_interval = 0))
  expect_crew_error(crew_launcher(tls = "none"))
  expect_crew_error(crew_launcher(r_arguments = 1))
})

crew_test("launcher active bindings and defaults", {
  launcher <- crew_launcher()
  expect_match(launcher$name, "^[0-9a-f]{8}$")
  expect_equal(launcher$workers, 1L)
  expect_equal(launcher$seconds_interval, 0.25)
  expect_equal(launcher$seconds_timeout, 60)
  expect_equal(launcher$seconds_launch, 30)
  expect_equal(launcher$seconds_idle, 300)
  expect_equal(launcher$seconds_wall, Inf)
  expect_equal(launcher$tasks_max, Inf)
  expect_equal(launcher$tasks_timers, 0L)
  expect_s3_class(launcher$tls, "crew_class_tls")
  expect_equal(launcher$r_arguments, c("--no-save", "--no-restore"))
  expect_s3_class(launcher$options_metrics, "crew_options_metrics")
  expect_null(launcher$url)
  expect_null(launcher$profile)
  expect_true(is.data.frame(launcher$launches))
  expect_equal(nrow(launcher$launches), 0L)
  expect_equal(
    colnames(launcher$launches),
    c("handle", "start", "submitted", "count", "total")
  )
  expect_equal(launcher$failed, 0L)
  expect_s3_class(launcher$throttle, "crew_class_throttle")
  expect_silent(launcher$throttle$validate())
  expect_true(is.function(launcher$async$eval))
  expect_null(launcher$reset_globals)
  named <- crew_launcher(name = "my_launcher", workers = 3L)
  expect_equal(named$name, "my_launcher")
  expect_equal(named$workers, 3L)
  # Read-only.
  expect_error(named$workers <- 4L)
  expect_equal(named$workers, 3L)
})

crew_test("launcher throttle bounds follow tasks_max", {
  infinite <- crew_launcher(seconds_interval = 0.5, tasks_max = Inf)
  expect_equal(infinite$throttle$seconds_min, 0.5)
  expect_equal(infinite$throttle$seconds_max, 0.5)
  finite <- crew_launcher(seconds_interval = 0.5, tasks_max = 3)
  expect_equal(finite$throttle$seconds_min, 1e-6)
  expect_equal(finite$throttle$seconds_max, 0.5)
})

crew_test("launcher start, terminate, validate a started launcher", {
  launcher <- crew_launcher()
  launcher$start(url = "tcp://127.0.0.1:57000", profile = "abc")
  expect_equal(launcher$url, "tcp://127.0.0.1:57000")
  expect_equal(launcher$profile, "abc")
  expect_silent(launcher$validate())
  launcher$terminate()
  expect_null(launcher$url)
  expect_null(launcher$profile)
  expect_equal(launcher$failed, 0L)
  # terminate() resets the throttle, so the next poll passes.
  expect_true(launcher$poll())
})

crew_test("default launch_worker() returns list(call = call)", {
  launcher <- crew_launcher()
  expect_equal(launcher$launch_worker(call = "abc"), list(call = "abc"))
  out <- launcher$launch_workers(call = "xyz", n = 2L)
  expect_equal(out, list(list(call = "xyz"), list(call = "xyz")))
})

crew_test("launch_worker() receives only the placeholders it declares", {
  every <- R6::R6Class(
    inherit = crew_class_launcher,
    public = list(
      launch_worker = function(call, name, launcher, worker, instance) {
        list(call = call, name = name, launcher = launcher, worker = worker, instance = instance)
      }
    )
  )
  launcher <- every$new(name = "plugged", seconds_interval = 0.25, tls = crew_tls())
  out <- launcher$launch_workers(call = "abc", n = 2L)
  expected <- list(
    call = "abc",
    name = "name",
    launcher = "plugged",
    worker = "worker",
    instance = "instance"
  )
  expect_equal(out, list(expected, expected))
  some <- R6::R6Class(
    inherit = crew_class_launcher,
    public = list(launch_worker = function(call, launcher) c(call, launcher))
  )
  launcher <- some$new(name = "plugged", seconds_interval = 0.25, tls = crew_tls())
  expect_equal(launcher$launch_workers(call = "abc", n = 1L), list(c("abc", "plugged")))
})

crew_test("a plugin shaped like crew.cluster's forwards the base arguments", {
  plugin <- R6::R6Class(
    classname = "cluster_like_launcher",
    inherit = crew_class_launcher,
    private = list(.partition = NULL),
    active = list(partition = function() private$.partition),
    public = list(
      initialize = function(
        name = NULL,
        workers = NULL,
        seconds_interval = NULL,
        seconds_timeout = NULL,
        seconds_launch = NULL,
        seconds_idle = NULL,
        seconds_wall = NULL,
        tasks_max = NULL,
        tasks_timers = NULL,
        reset_globals = NULL,
        reset_packages = NULL,
        reset_options = NULL,
        garbage_collection = NULL,
        tls = NULL,
        r_arguments = NULL,
        options_metrics = NULL,
        partition = NULL
      ) {
        super$initialize(
          name = name,
          workers = workers,
          seconds_interval = seconds_interval,
          seconds_timeout = seconds_timeout,
          seconds_launch = seconds_launch,
          seconds_idle = seconds_idle,
          seconds_wall = seconds_wall,
          tasks_max = tasks_max,
          tasks_timers = tasks_timers,
          reset_globals = reset_globals,
          reset_packages = reset_packages,
          reset_options = reset_options,
          garbage_collection = garbage_collection,
          tls = tls,
          r_arguments = r_arguments,
          options_metrics = options_metrics
        )
        private$.partition <- partition
      },
      validate = function() {
        super$validate()
        crew_assert(private$.partition, is.character(.), message = "partition must be a string.")
      },
      launch_workers = function(call, n) list(call = call, n = n, partition = private$.partition)
    )
  )
  arguments <- list(
    name = "cluster",
    workers = 2L,
    seconds_interval = 0.5,
    seconds_timeout = 10,
    seconds_launch = 30,
    seconds_idle = 60,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew_tls(),
    r_arguments = character(0L),
    options_metrics = crew_options_metrics()
  )
  launcher <- do.call(plugin$new, c(arguments, partition = "debug"))
  expect_silent(launcher$validate())
  expect_equal(launcher$seconds_launch, 30)
  expect_equal(launcher$partition, "debug")
  expect_null(launcher$reset_globals)
  launcher$start(url = "tcp://127.0.0.1:57000", profile = "abc")
  launcher$launch(n = 3L)
  handle <- launcher$launches$handle[[1L]]
  expect_equal(handle$n, 3L)
  expect_equal(handle$partition, "debug")
  expect_match(handle$call, "^crew::crew_worker\\(")
  expect_equal(launcher$launches$count, 3L)
  broken <- do.call(plugin$new, c(arguments, partition = 1))
  expect_error(broken$validate(), "partition", class = "crew_error")
})

crew_test("call() and settings() inside a launch give that launch's one credential", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1")
  on.exit(client$terminate())
  client$start()
  # A plugin that ignores `call` and asks for its own call strings.
  plugin <- R6::R6Class(
    inherit = crew_class_launcher,
    public = list(
      launch_workers = function(call, n) {
        lapply(
          seq_len(n),
          function(index) list(given = call, own = self$call(), settings = self$settings())
        )
      }
    )
  )
  launcher <- plugin$new(
    workers = 2L,
    seconds_interval = 0.25,
    seconds_timeout = 10,
    seconds_launch = 30,
    seconds_idle = 60,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew_tls(),
    r_arguments = character(0L),
    options_metrics = crew_options_metrics()
  )
  launcher$start(url = client$url, profile = client$profile)
  launcher$launch(n = 2L)
  launcher$launch(n = 1L)
  first <- launcher$launches$handle[[1L]]
  second <- launcher$launches$handle[[2L]]
  calls <- c(first[[1L]]$given, first[[1L]]$own, first[[2L]]$own)
  expect_equal(length(unique(calls)), 1L)
  credential <- first[[1L]]$settings$credential
  expect_match(credential, "^crew1-")
  expect_identical(first[[2L]]$settings$credential, credential)
  expect_true(grepl(credential, calls[[1L]], fixed = TRUE))
  # Another launch, or a call outside any launch, has its own credential.
  expect_false(identical(second[[1L]]$settings$credential, credential))
  expect_false(grepl(credential, launcher$call(), fixed = TRUE))
})

crew_test("launch() of the abstract launcher records launches", {
  launcher <- crew_launcher()
  launcher$start(url = "tcp://127.0.0.1:57000", profile = "abc")
  expect_null(launcher$launch(n = 0L))
  expect_equal(nrow(launcher$launches), 0L)
  launcher$launch(n = 2L)
  launcher$launch(n = 1L)
  launches <- launcher$launches
  expect_equal(nrow(launches), 2L)
  expect_equal(launches$count, c(2L, 1L))
  expect_equal(launches$total, c(2L, 3L))
  expect_equal(launches$submitted, c(FALSE, FALSE))
  expect_true(is.numeric(launches$start))
  expect_length(launches$handle[[1L]], 2L)
  expect_match(launches$handle[[1L]][[1L]]$call, "^crew::crew_worker\\(")
})

crew_test("launcher settings", {
  launcher <- crew_launcher(
    seconds_idle = 2,
    seconds_wall = 3,
    tasks_max = 7,
    tasks_timers = 2L,
    seconds_timeout = 9
  )
  launcher$start(url = "tcp://127.0.0.1:57000", profile = "abc")
  settings <- launcher$settings()
  expect_equal(settings$url, "tcp://127.0.0.1:57000")
  expect_equal(settings$maxtasks, 7)
  expect_equal(settings$idletime, 2000)
  expect_equal(settings$walltime, 3000)
  expect_equal(settings$timerstart, 2L)
  expect_false(settings$cleanup)
  expect_true(settings$dispatcher)
  expect_false(settings$asyncdial)
  expect_true(settings$output)
  expect_equal(settings$autoexit, crew_terminate_signal())
  expect_null(settings$tlscert)
  expect_equal(settings$dialtimeout, 9000)
  infinite <- crew_launcher(seconds_idle = Inf, seconds_wall = Inf)
  expect_equal(infinite$settings()$idletime, Inf)
  expect_equal(infinite$settings()$walltime, Inf)
})

crew_test("launcher call is one line starting with crew::crew_worker(", {
  launcher <- crew_launcher(name = "my_launcher")
  launcher$start(url = "tcp://127.0.0.1:57000", profile = "abc")
  call <- launcher$call()
  expect_true(is.character(call))
  expect_length(call, 1L)
  expect_true(nzchar(call))
  expect_true(startsWith(call, "crew::crew_worker("))
  expect_false(grepl("\n", call, fixed = TRUE))
  expect_false(grepl("  ", call, fixed = TRUE))
  expect_match(call, "controller = \"my_launcher\"", fixed = TRUE)
  expect_match(call, "tcp://127.0.0.1:57000", fixed = TRUE)
  # The call string parses to a crew_worker() call.
  parsed <- str2lang(call)
  expect_identical(parsed[[1L]], quote(crew::crew_worker))
  expect_equal(eval(parsed$settings)$url, "tcp://127.0.0.1:57000")
})

crew_test("started launcher settings carry a credential, stream and dial timeout", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1")
  on.exit(client$terminate())
  client$start()
  launcher <- crew_launcher(seconds_timeout = 12)
  launcher$start(url = client$url, profile = client$profile)
  settings <- launcher$settings()
  expect_equal(settings$url, client$url)
  expect_match(settings$credential, "^crew1-[0-9a-f]+-[0-9a-f]+$")
  expect_equal(settings$dialtimeout, 12000)
  expect_true(is.integer(settings$rs))
  expect_equal(length(settings$rs), 7L)
  # Each settings() call issues a fresh credential and advances the stream.
  again <- launcher$settings()
  expect_false(identical(settings$credential, again$credential))
  expect_false(identical(settings$rs, again$rs))
})

crew_test("custom launcher runs a task on its worker", {
  crew_test_skip()
  store <- new.env()
  launcher <- crew_test_custom_launcher(store)
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  controller <- crew_controller(client = client, launcher = launcher)
  on.exit({
    controller$terminate()
    crew_test_kill_store(store)
  })
  controller$start()
  controller$push(Sys.getpid(), throttle = FALSE, name = "pid")
  expect_true(controller$wait(seconds_timeout = 30))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  expect_length(store$handles, 1L)
  expect_equal(out$result[[1L]], store$handles[[1L]]$get_pid())
  expect_equal(out$controller, launcher$name)
  expect_true(store$handles[[1L]]$is_alive())
  controller$terminate()
  expect_true(crew_test_all_dead(store$handles, seconds_timeout = 5))
})

crew_test("a launch credential admits exactly the workers of its launch", {
  crew_test_skip()
  store <- new.env()
  launcher <- crew_test_custom_launcher(store)
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  controller <- crew_controller(client = client, launcher = launcher)
  extra <- NULL
  on.exit({
    controller$terminate()
    crew_test_kill_store(store)
    if (!is.null(extra)) extra$kill()
  })
  controller$launch(n = 2L)
  expect_length(store$calls, 2L)
  # Both workers of one launch share one call string.
  expect_identical(store$calls[[1L]], store$calls[[2L]])
  expect_true(
    crew_test_until(~ client$status()[["cumulative"]] == 2L, seconds_timeout = 30)
  )
  expect_equal(client$status()[["connections"]], 2L)
  # A third process with the same (spent) call string is refused.
  extra <- crew_test_rscript(store$calls[[1L]], stdout = "|", stderr = "|")
  expect_true(crew_test_until(~ !extra$is_alive(), seconds_timeout = 20))
  status <- client$status()
  expect_equal(status[["connections"]], 2L)
  expect_equal(status[["cumulative"]], 2L)
  # The refused worker reports a non-zero exit reason (6: credential refused).
  expect_match(
    paste(extra$read_all_error_lines(), collapse = "\n"),
    "crew worker finished \\(code 6\\)"
  )
  expect_equal(extra$get_exit_status(), 6L)
  # The two admitted workers still serve tasks.
  controller$push(Sys.getpid(), scale = FALSE, name = "a")
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  pids <- vapply(store$handles, function(x) x$get_pid(), integer(1L))
  expect_true(out$result[[1L]] %in% pids)
  expect_false(out$result[[1L]] == extra$get_pid())
})

crew_test("credential from settings() of a started launcher admits one worker", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(client$terminate(), add = TRUE)
  client$start()
  launcher <- crew_launcher(seconds_timeout = 10)
  launcher$start(url = client$url, profile = client$profile)
  call <- launcher$call()
  first <- crew_test_rscript(call)
  on.exit(first$kill(), add = TRUE)
  expect_true(
    crew_test_until(~ client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  second <- crew_test_rscript(call)
  on.exit(second$kill(), add = TRUE)
  expect_true(crew_test_until(~ !second$is_alive(), seconds_timeout = 20))
  expect_equal(client$status()[["cumulative"]], 1L)
  expect_true(first$is_alive())
})

crew_test("deprecated launcher members", {
  # These deprecations are quiet on CRAN, as in crew 1.3.0.
  withr::local_envvar(NOT_CRAN = "true")
  launcher <- crew_launcher()
  expect_message(out <- launcher$crashes(), class = "crew_deprecate")
  expect_equal(out, 1L)
  expect_message(launcher$set_name("new_name"), class = "crew_deprecate")
  expect_equal(launcher$name, "new_name")
  # terminate_workers() messages once per session.
  rlang::reset_message_verbosity("terminate_workers()")
  expect_message(launcher$terminate_workers(), class = "crew_deprecate")
  expect_null(suppressMessages(launcher$terminate_workers()))
  expect_message(out <- launcher$async$eval(1L + 1L), class = "crew_deprecate")
  expect_identical(out, 2L)
  value <- suppressMessages(launcher$async$eval(x + 1L, data = list(x = 41L)))
  expect_identical(value, 42L)
})

crew_test("deprecated launcher arguments", {
  expect_warning(crew_launcher_local(seconds_exit = 1), class = "crew_deprecate")
  expect_message(crew_launcher(processes = 1), class = "crew_deprecate")
  expect_silent(crew_launcher(reset_globals = TRUE))
})
