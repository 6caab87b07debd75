# Also covers R/controller_sequential_methods.R.

crew_test("sequential controller: same names and method formals as a local controller", {
  x <- crew_controller_sequential()
  y <- crew_controller_local(host = "127.0.0.1")
  on.exit(y$terminate())
  expect_s3_class(x, "crew_class_controller_sequential")
  expect_s3_class(x, "crew_class_controller")
  # An inheriting non-portable R6 object also binds `super`.
  expect_equal(sort(setdiff(names(x), "super")), sort(names(y)))
  for (name in names(y)) {
    if (is.function(y[[name]]) && !identical(name, "initialize")) {
      expect_identical(
        names(formals(x[[name]])),
        names(formals(y[[name]])),
        label = name
      )
    }
  }
  generator <- crew_class_controller_sequential
  expect_false(generator$portable)
  expect_false(generator$cloneable)
  expect_identical(generator$get_inherit(), crew_class_controller)
})

crew_test("sequential controller: fields, validation, and an unconnected client", {
  x <- crew_controller_sequential(
    reset_globals = FALSE,
    reset_packages = TRUE,
    reset_options = TRUE,
    garbage_collection = TRUE
  )
  expect_false(x$reset_globals)
  expect_true(x$reset_packages)
  expect_true(x$reset_options)
  expect_true(x$garbage_collection)
  expect_equal(x$crashes_max, 0L)
  expect_null(x$backup)
  expect_s3_class(x$client, "crew_class_client")
  expect_s3_class(x$launcher, "crew_class_launcher")
  expect_silent(x$validate())
  expect_crew_error(crew_controller_sequential(reset_globals = NA))
  expect_crew_error(crew_controller_sequential(garbage_collection = "yes"))
  x$start()
  expect_true(x$started())
  expect_true(x$client$started)
  expect_null(x$client$url)
  expect_null(x$launcher$url)
})

crew_test("sequential controller: basic methods", {
  x <- crew_controller_sequential()
  expect_null(x$start())
  expect_equal(x$resolved(), 0L)
  expect_equal(x$unresolved(), 0L)
  expect_false(x$saturated())
  expect_null(x$launch())
  expect_false(x$scale())
  expect_null(x$autoscale())
  expect_null(x$loop)
  expect_null(x$descale())
  expect_true(x$wait())
  expect_true(x$wait(mode = "one"))
  expect_null(x$push_backlog("x"))
  expect_identical(x$pop_backlog(), character(0L))
  expect_equal(x$queue_backlog$size(), 0L)
  expect_null(x$cancel())
  expect_null(x$cancel(all = TRUE))
  expect_null(x$terminate())
  expect_null(x$pop())
  expect_null(x$collect())
})

crew_test("sequential controller: pop() before start is NULL", {
  x <- crew_controller_sequential()
  expect_false(x$started())
  expect_null(x$pop())
  expect_null(x$collect())
  expect_null(x$summary())
})

crew_test("sequential controller: a basic task runs at push time", {
  x <- crew_controller_sequential()
  pid <- Sys.getpid()
  handle <- x$push(ps::ps_pid(), name = "a")
  expect_s3_class(handle, "mirai")
  expect_identical(handle$data$result[[1L]], pid)
  x$push(quote(1L + 1L), substitute = FALSE, name = "b")
  expect_equal(x$resolved(), 2L)
  expect_equal(x$unresolved(), 0L)
  expect_equal(x$size(), 2L)
  expect_true(x$nonempty())
  expect_equal(sort(names(x$tasks)), c("a", "b"))
  expect_crew_error(x$push(1, name = "a"))
  out <- x$pop()
  expect_equal(colnames(out), monad_names)
  expect_equal(out$name, "a")
  expect_equal(out$command, "ps::ps_pid()")
  expect_equal(out$result[[1L]], pid)
  expect_equal(out$status, "success")
  expect_equal(out$code, 0L)
  expect_true(is.na(out$controller))
  out <- x$pop()
  expect_equal(out$name, "b")
  expect_equal(out$result[[1L]], 2L)
  expect_null(x$pop())
  expect_true(x$empty())
  expect_equal(x$resolved(), 2L)
  summary <- x$summary()
  expect_equal(summary$tasks, 2L)
  expect_equal(summary$success, 2L)
  x$terminate()
  expect_equal(x$resolved(), 0L)
  expect_true(x$started())
  expect_equal(x$summary()$success, 2L)
})

crew_test("sequential controller: terminate() keeps held tasks", {
  x <- crew_controller_sequential()
  x$push(1 + 1, name = "kept")
  x$terminate()
  expect_equal(x$resolved(), 0L)
  expect_equal(x$size(), 1L)
  expect_equal(x$pop()$result[[1L]], 2)
})

crew_test("sequential controller: results come back in push order", {
  x <- crew_controller_sequential()
  names <- paste0("task_", c(5, 3, 9, 1, 7, 2))
  for (name in names) {
    x$push(name, substitute = FALSE, name = name)
  }
  expect_equal(x$pop()$name, names[1L])
  expect_equal(x$pop()$name, names[2L])
  out <- x$collect()
  expect_equal(out$name, names[-c(1L, 2L)])
  expect_equal(unlist(out$result), names[-c(1L, 2L)])
})

crew_test("sequential controller: errors, warnings, and relaying them", {
  x <- crew_controller_sequential()
  x$push({
    warning("this-warning")
    stop("this-error")
  }, name = "bad")
  out <- x$pop(error = "silent")
  expect_equal(out$status, "error")
  expect_equal(out$code, -1L)
  expect_match(out$error, "this-error")
  expect_match(out$warnings, "this-warning")
  expect_false(anyNA(out$trace))
  x$push(stop("again"), name = "bad")
  expect_crew_error(x$pop(error = "stop"))
  x$push(stop("again"), name = "bad")
  expect_warning(x$pop(error = "warn"), class = "crew_warning")
  x$push(stop("again"), name = "bad")
  expect_crew_error(x$collect(error = "stop"))
  expect_crew_error(x$collect(error = "bogus"))
  expect_crew_error(x$pop(error = "bogus"))
  summary <- x$summary()
  expect_equal(summary$error, 4L)
  expect_equal(summary$warning, 1L)
})

crew_test("sequential controller: a package that cannot load fails push()", {
  x <- crew_controller_sequential()
  expect_crew_error(
    x$push(1, packages = "crewpackagethatdoesnotexist", name = "pkg")
  )
  expect_equal(x$size(), 0L)
  expect_equal(x$resolved(), 0L)
  x$push(TRUE, packages = "tools", name = "pkg")
  expect_true(x$pop()$result[[1L]])
})

crew_test("sequential controller: data, globals, seed, and algorithm", {
  x <- crew_controller_sequential()
  on.exit(suppressWarnings(rm("crew_sequential_global_f", envir = globalenv())))
  x$push(
    crew_sequential_global_f(a) + b,
    data = list(a = 1L, b = 2L),
    globals = list(crew_sequential_global_f = function(x) x * 10L),
    seed = 3L,
    algorithm = "L'Ecuyer-CMRG",
    name = "task"
  )
  out <- x$pop()
  expect_equal(out$result[[1L]], 12L)
  expect_equal(out$seed, 3L)
  expect_equal(out$algorithm, "L'Ecuyer-CMRG")
  x$push(stats::runif(1L), seed = 5L, algorithm = "L'Ecuyer-CMRG", name = "draw")
  draw <- x$pop()$result[[1L]]
  expected <- withr::with_preserve_seed({
    RNGkind("L'Ecuyer-CMRG")
    set.seed(5L)
    stats::runif(1L)
  })
  expect_equal(draw, expected)
})

crew_test("sequential controller: reset settings apply in this process", {
  name <- "crew_sequential_reset_global"
  on.exit(suppressWarnings(rm(list = name, envir = globalenv())), add = TRUE)
  x <- crew_controller_sequential()
  x$push(assign(name, 1L, envir = globalenv()), data = list(name = name))
  expect_false(exists(name, envir = globalenv()))
  y <- crew_controller_sequential(reset_globals = FALSE, reset_options = TRUE)
  old <- options(crew_sequential_option = "original")
  on.exit(options(old), add = TRUE)
  y$push(
    {
      assign(name, 1L, envir = globalenv())
      options(crew_sequential_option = "changed")
    },
    data = list(name = name)
  )
  expect_true(exists(name, envir = globalenv()))
  expect_equal(getOption("crew_sequential_option"), "original")
  z <- crew_controller_sequential(reset_options = FALSE)
  z$push(options(crew_sequential_option = "changed"))
  expect_equal(getOption("crew_sequential_option"), "changed")
})

crew_test("sequential controller: walk() and collect()", {
  x <- crew_controller_sequential()
  handles <- x$walk(
    command = a + b,
    iterate = list(a = c(1, 2), b = c(1, 1)),
    names = NULL
  )
  expect_equal(length(handles), 2L)
  expect_true(all(vapply(handles, inherits, logical(1L), what = "mirai")))
  expect_equal(x$size(), 2L)
  out <- x$collect()
  expect_equal(out$result, list(2, 3))
  expect_equal(names(handles), out$name)
  expect_match(out$name, "^unnamed_task_.*_1$|^unnamed_task_.*_2$")
  expect_null(x$collect())
  expect_equal(x$summary()$success, 2L)
})

crew_test("sequential controller: map()", {
  x <- crew_controller_sequential()
  out <- x$map(
    command = a + b,
    iterate = list(a = c(1, 2), b = c(1, 1), id = c("first", "second")),
    names = "id",
    seed = 0L
  )
  expect_equal(colnames(out), monad_names)
  expect_equal(out$result, list(2, 3))
  expect_equal(out$name, c("first", "second"))
  expect_equal(out$seed, c(2L, 3L))
  expect_equal(x$size(), 0L)
  expect_equal(x$summary()$success, 2L)
  expect_null(x$error)
  expect_crew_error(
    x$map(stop(a), iterate = list(a = c("x", "y")))
  )
  expect_equal(nrow(x$error), 2L)
  expect_equal(x$size(), 0L)
  out <- x$map(stop(a), iterate = list(a = c("x", "y")), error = "silent")
  expect_equal(out$status, c("error", "error"))
  expect_warning(
    x$map(warning(a), iterate = list(a = "w"), error = "silent"),
    class = "crew_warning"
  )
  x$push(1, name = "held")
  expect_crew_error(x$map(a, iterate = list(a = 1)))
})
