# Also covers R/crew_class_controller_group.R and
# R/controller_group_methods.R.

crew_test_group_member <- function(name, workers = 1L, ...) {
  crew_controller_local(
    name = name,
    host = "127.0.0.1",
    workers = workers,
    seconds_idle = 30,
    seconds_interval = 0.1,
    ...
  )
}

# Pop from `object` until a result arrives (or fail after the timeout).
crew_test_group_pop <- function(object, seconds_timeout = 30, ...) {
  out <- NULL
  crew_test_until(
    function() {
      out <<- object$pop(...)
      !is.null(out)
    },
    seconds_timeout = seconds_timeout
  )
  out
}

crew_test("group: method and signature compatibility with controllers", {
  a <- crew_test_group_member("a")
  group <- crew_controller_group(a)
  on.exit(group$terminate())
  generator <- crew_class_controller_group
  expect_false(generator$portable)
  expect_false(generator$cloneable)
  shared <- intersect(names(group), names(a))
  shared <- shared[vapply(shared, function(name) is.function(a[[name]]), logical(1L))]
  shared <- setdiff(shared, "initialize")
  expect_true(all(c("push", "pop", "collect", "wait", "map", "walk", "cancel") %in% shared))
  for (name in setdiff(shared, "cancel")) {
    expect_identical(
      names(formals(group[[name]])),
      names(formals(a[[name]])),
      label = name
    )
  }
  # cancel() on groups takes the controller's arguments plus a selection.
  expect_identical(
    names(formals(group$cancel)),
    c(names(formals(a$cancel)), "controllers")
  )
})

crew_test("group: active bindings and validation", {
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(x = a, list(list(b)), seconds_interval = 0.5)
  on.exit(group$terminate())
  expect_s3_class(group, "crew_class_controller_group")
  expect_s3_class(group$relay, "crew_class_relay")
  expect_s3_class(group$relay$condition, "conditionVariable")
  expect_equal(group$relay$throttle$seconds_max, 0.5)
  expect_equal(names(group$controllers), c("a", "b"))
  expect_identical(group$controllers$a, a)
  expect_identical(a$client$relay$to, group$relay$condition)
  expect_identical(b$client$relay$to, group$relay$condition)
  expect_silent(group$validate())
  expect_error(group$relay <- NULL)
  bad <- crew_class_controller_group$new(
    controllers = list(wrong = a),
    relay = group$relay
  )
  expect_crew_error(bad$validate())
  bad <- crew_class_controller_group$new(
    controllers = list(a = a),
    relay = "not a relay"
  )
  expect_crew_error(bad$validate())
})

crew_test("group: constructor checks its members", {
  expect_crew_error(crew_controller_group())
  expect_crew_error(crew_controller_group(list()))
  expect_crew_error(crew_controller_group(crew_test_group_member("a"), 1L))
})

crew_test("group: controllers in groups must not already be started", {
  skip_on_cran()
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  on.exit(a$terminate(), add = TRUE)
  a$start()
  expect_crew_error(crew_controller_group(a, b))
  a$terminate()
  group <- crew_controller_group(a, b)
  on.exit(group$terminate(), add = TRUE)
  expect_false(group$started())
})

crew_test("group: routing errors", {
  group <- crew_controller_group(
    crew_test_group_member("a"),
    crew_test_group_member("b")
  )
  on.exit(group$terminate())
  expect_crew_error(group$size(controllers = "nope"))
  expect_crew_error(group$size(controllers = c("a", "nope")))
  expect_crew_error(group$size(controllers = character(0L)))
  expect_crew_error(group$size(controllers = NA_character_))
  expect_crew_error(group$size(controllers = ""))
  expect_crew_error(group$size(controllers = 1L))
  expect_crew_error(group$saturated(controller = "nope"))
  expect_crew_error(group$push(1, controller = "nope"))
  expect_crew_error(group$push_backlog("x", controller = "nope"))
  expect_crew_error(group$cancel(controllers = "nope"))
  expect_crew_error(group$wait(mode = "some"))
  expect_equal(group$size(controllers = c("b", "a")), 0L)
})

crew_test("group: main group test", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$summary())
  expect_false(group$started())
  expect_null(group$start())
  expect_true(group$started())
  expect_true(a$started())
  expect_true(b$started())
  expect_true(group$wait(mode = "all"))
  summary <- group$summary()
  expect_s3_class(summary, "tbl_df")
  expect_equal(summary$controller, c("a", "b"))
  expect_equal(
    colnames(summary),
    c("controller", "seconds", "tasks", "success", "error", "crash", "cancel", "warning")
  )
  expect_equal(summary$tasks, c(0L, 0L))
  expect_equal(group$summary(controllers = "b")$controller, "b")
  handle <- group$push(ps::ps_pid(), name = "b_task", controller = "b")
  expect_s3_class(handle, "mirai")
  expect_true(a$empty())
  expect_false(b$empty())
  expect_true(group$empty(controllers = "a"))
  expect_false(group$empty(controllers = "b"))
  group$push(quote(ps::ps_pid()), substitute = FALSE, name = "a_task", controller = "a")
  expect_false(a$empty())
  expect_equal(group$size(), 2L)
  expect_true(group$wait(mode = "all", seconds_timeout = 30))
  results <- list()
  expect_true(
    crew_test_until(
      function() {
        out <- group$pop()
        if (!is.null(out)) {
          results[[out$name]] <<- out
        }
        length(results) == 2L
      },
      seconds_timeout = 30
    )
  )
  expect_null(group$pop())
  expect_equal(sort(names(results)), c("a_task", "b_task"))
  expect_equal(results$a_task$command, "ps::ps_pid()")
  expect_equal(results$b_task$command, "ps::ps_pid()")
  expect_equal(results$a_task$controller, "a")
  expect_equal(results$b_task$controller, "b")
  handles_a <- crew_test_handles(a)
  handles_b <- crew_test_handles(b)
  expect_equal(length(handles_a), 1L)
  expect_equal(length(handles_b), 1L)
  expect_equal(results$a_task$result[[1L]], handles_a[[1L]]$get_pid())
  expect_equal(results$b_task$result[[1L]], handles_b[[1L]]$get_pid())
  expect_false(identical(results$a_task$result[[1L]], results$b_task$result[[1L]]))
  expect_equal(group$crashes(name = "a_task"), 0L)
  expect_equal(group$crashes(name = "b_task"), 0L)
  summary <- group$summary()
  expect_equal(summary$success, c(1L, 1L))
  expect_equal(summary$tasks, c(1L, 1L))
  group$terminate()
  expect_false(group$started())
  expect_true(crew_test_all_dead(c(handles_a, handles_b), seconds_timeout = 10))
  expect_equal(group$summary()$success, c(1L, 1L))
})

crew_test("group: can relay task errors as local errors", {
  skip_on_cran()
  skip_on_os("windows")
  group <- crew_controller_group(
    crew_test_group_member("a"),
    crew_test_group_member("b")
  )
  on.exit(group$terminate())
  group$push(stop("this-error"), name = "task", controller = "b")
  expect_true(group$wait(seconds_timeout = 30))
  expect_crew_error(
    crew_test_until(function() !is.null(group$pop(error = "stop")), seconds_timeout = 30)
  )
  expect_equal(group$summary(controllers = "b")$error, 1L)
})

crew_test("group: can relay task errors as local warnings", {
  skip_on_cran()
  skip_on_os("windows")
  group <- crew_controller_group(
    crew_test_group_member("a"),
    crew_test_group_member("b")
  )
  on.exit(group$terminate())
  group$push(stop("this-error"), name = "task", controller = "b")
  expect_true(group$wait(seconds_timeout = 30))
  out <- NULL
  expect_warning(
    crew_test_until(
      function() {
        out <<- group$pop(error = "warn")
        !is.null(out)
      },
      seconds_timeout = 30
    ),
    class = "crew_warning"
  )
  expect_equal(out$status, "error")
  expect_match(out$error, "this-error")
})

crew_test("group: select members with start() and terminate()", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start(controllers = "b")
  expect_false(a$started())
  expect_true(b$started())
  expect_false(group$started())
  expect_true(group$started(controllers = "b"))
  expect_false(group$started(controllers = "a"))
  expect_null(group$summary(controllers = "a"))
  expect_equal(group$summary()$controller, "b")
  group$start()
  expect_true(group$started())
  group$terminate(controllers = "b")
  expect_true(a$started())
  expect_false(b$started())
  group$terminate()
  expect_false(a$started())
})

crew_test("group: launch method", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$launch(n = 1))
  handles <- c(crew_test_handles(a), crew_test_handles(b))
  expect_equal(length(crew_test_handles(a)), 1L)
  expect_equal(length(crew_test_handles(b)), 1L)
  expect_true(all(vapply(handles, function(x) x$is_alive(), logical(1L))))
  expect_true(
    crew_test_until(
      function() {
        a$client$status()[["connections"]] == 1L &&
          b$client$status()[["connections"]] == 1L
      },
      seconds_timeout = 30
    )
  )
  group$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
})

crew_test("group: scale method", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start()
  group$push("done", name = "task", controller = "b", scale = FALSE)
  expect_equal(length(crew_test_handles(b)), 0L)
  expect_true(group$scale(throttle = FALSE))
  expect_equal(length(crew_test_handles(a)), 0L)
  expect_equal(length(crew_test_handles(b)), 1L)
  expect_false(group$scale(throttle = FALSE))
  expect_true(group$wait(seconds_timeout = 30))
  out <- crew_test_group_pop(group)
  expect_equal(out$result[[1L]], "done")
  expect_equal(out$controller, "b")
})

crew_test("group: walk()", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  handles <- group$walk(
    command = crew_group_test_f(x) + y,
    iterate = list(x = c(2, 4), id = c("first", "second")),
    data = list(y = 3),
    globals = list(crew_group_test_f = function(x) x + 10),
    seed = 0L,
    names = "id",
    controller = "b"
  )
  expect_equal(names(handles), c("first", "second"))
  expect_true(all(vapply(handles, inherits, logical(1L), what = "mirai")))
  expect_equal(a$size(), 0L)
  expect_equal(b$size(), 2L)
  expect_true(group$wait(seconds_timeout = 30))
  results <- list()
  expect_true(
    crew_test_until(
      function() {
        out <- group$pop()
        if (!is.null(out)) {
          results[[out$name]] <<- out
        }
        length(results) == 2L
      },
      seconds_timeout = 30
    )
  )
  expect_equal(results$first$result[[1L]], 15)
  expect_equal(results$second$result[[1L]], 17)
  expect_equal(results$first$seed, 2L)
  expect_equal(results$second$seed, 3L)
  expect_equal(results$first$controller, "b")
  expect_false(exists("crew_group_test_f", envir = globalenv()))
})

crew_test("group: collect() with one active controller", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$collect())
  group$push(1L, name = "one", controller = "a")
  group$push(2L, name = "two", controller = "a")
  expect_true(group$wait(seconds_timeout = 30))
  out <- NULL
  expect_true(
    crew_test_until(
      function() {
        out <<- results_bind(list(out, group$collect()))
        NROW(out) == 2L
      },
      seconds_timeout = 30
    )
  )
  expect_equal(colnames(out), monad_names)
  expect_equal(sort(out$name), c("one", "two"))
  expect_equal(sort(unlist(out$result)), c(1L, 2L))
  expect_equal(unique(out$controller), "a")
  expect_null(group$collect())
  expect_true(group$empty())
})

crew_test("group: collect() with two active controllers", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$push("from_a", name = "x", controller = "a")
  group$push("from_b", name = "y", controller = "b")
  expect_true(group$wait(seconds_timeout = 30))
  out <- NULL
  expect_true(
    crew_test_until(
      function() {
        out <<- results_bind(list(out, group$collect()))
        NROW(out) == 2L
      },
      seconds_timeout = 30
    )
  )
  expect_equal(sort(out$controller), c("a", "b"))
  expect_equal(sort(unlist(out$result)), c("from_a", "from_b"))
  expect_null(group$collect())
  expect_equal(group$summary()$success, c(1L, 1L))
})

crew_test("group: collect() silent, warn, and stop on errors", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  collect_all <- function(error) {
    out <- NULL
    crew_test_until(
      function() {
        out <<- results_bind(list(out, group$collect(error = error)))
        NROW(out) == 2L
      },
      seconds_timeout = 30
    )
    out
  }
  group$push(stop("error-a"), name = "x", controller = "a")
  group$push(stop("error-b"), name = "y", controller = "b")
  group$wait(seconds_timeout = 30)
  out <- collect_all("silent")
  expect_equal(out$status, c("error", "error"))
  expect_equal(sort(out$error), c("error-a", "error-b"))
  group$push(stop("error-a"), name = "x", controller = "a")
  group$wait(seconds_timeout = 30)
  expect_warning(
    crew_test_until(
      function() !is.null(group$collect(error = "warn")),
      seconds_timeout = 30
    ),
    class = "crew_warning"
  )
  group$push(stop("error-b"), name = "y", controller = "b")
  group$wait(seconds_timeout = 30)
  expect_crew_error(
    crew_test_until(
      function() !is.null(group$collect(error = "stop")),
      seconds_timeout = 30
    )
  )
  expect_crew_error(group$collect(error = "bogus"))
  expect_equal(group$summary()$error, c(2L, 2L))
})

crew_test("group: map() works", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  out <- group$map(
    command = x + y,
    iterate = list(x = c(1L, 2L)),
    data = list(y = 10L),
    seed = 1L,
    controller = "b",
    verbose = FALSE
  )
  expect_equal(colnames(out), monad_names)
  expect_match(out$name, "^unnamed_task_")
  expect_equal(as.integer(sub(".*_", "", out$name)), c(1L, 2L))
  expect_equal(out$command, c("x + y", "x + y"))
  expect_equal(out$result, list(11L, 12L))
  expect_equal(out$status, c("success", "success"))
  expect_equal(out$seed, c(0L, -1L))
  expect_true(all(is.na(out$error)))
  expect_equal(out$controller, c("b", "b"))
  expect_null(group$summary(controllers = "a"))
  expect_equal(group$summary(controllers = "b")$success, 2L)
  expect_equal(b$size(), 0L)
  expect_crew_error(group$map(x, iterate = list(x = 1), substitute = NA))
  expect_warning(
    group$map(x, iterate = list(x = 1), save_command = TRUE, controller = "b"),
    class = "crew_deprecate"
  )
  expect_crew_error(
    group$map(stop("map-error"), iterate = list(x = 1), controller = "b")
  )
  expect_equal(b$error$status, "error")
})

crew_test("group: wait one", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start()
  start <- now()
  expect_false(group$wait(mode = "one"))
  expect_true(now() - start < 2)
  group$push(Sys.sleep(60), name = "task", controller = "a")
  group$push("done", name = "task", controller = "b")
  expect_true(group$wait(mode = "one", seconds_timeout = 30))
  out <- crew_test_group_pop(group)
  expect_equal(out$result[[1L]], "done")
  expect_equal(out$controller, "b")
  expect_equal(group$size(), 1L)
  expect_equal(group$unresolved(), 1L)
  expect_false(group$wait(mode = "one", seconds_timeout = 0.5))
})

crew_test("group: wait all timeout", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$push(Sys.sleep(60), name = "task", controller = "a")
  start <- now()
  expect_false(group$wait(mode = "all", seconds_timeout = 0))
  expect_true(now() - start < 5)
  expect_true(group$wait(mode = "all", seconds_timeout = 0, controllers = "b"))
  expect_warning(
    group$wait(seconds_interval = 1, seconds_timeout = 0),
    class = "crew_deprecate"
  )
})

crew_test("group: backlog before start", {
  a <- crew_test_group_member("a", workers = 2L)
  b <- crew_test_group_member("b", workers = 2L)
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$push_backlog("n1", controller = "b"))
  expect_equal(group$pop_backlog(), "n1")
  expect_identical(group$pop_backlog(), character(0L))
})

crew_test("group: backlog with no tasks", {
  skip_on_cran()
  a <- crew_test_group_member("a", workers = 2L)
  b <- crew_test_group_member("b", workers = 2L)
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start()
  for (index in seq_len(3L)) {
    group$push_backlog(paste0("a", index))
    group$push_backlog(paste0("b", index), controller = "b")
  }
  expect_equal(unlist(a$queue_backlog$as_list()), c("a1", "a2", "a3"))
  expect_equal(unlist(b$queue_backlog$as_list()), c("b1", "b2", "b3"))
  expect_equal(group$pop_backlog(), c("a1", "a2", "b1", "b2"))
  expect_equal(group$pop_backlog(controllers = "b"), "b3")
  expect_equal(group$pop_backlog(), "a3")
  expect_identical(group$pop_backlog(), character(0L))
})

crew_test("group: backlog with the first controller saturated", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a", workers = 2L)
  b <- crew_test_group_member("b", workers = 2L)
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start()
  group$push(Sys.sleep(60), name = "t1", controller = "a", scale = FALSE)
  group$push(Sys.sleep(60), name = "t2", controller = "a", scale = FALSE)
  expect_true(group$saturated())
  expect_true(group$saturated(controller = "a"))
  expect_false(group$saturated(controller = "b"))
  for (index in seq_len(3L)) {
    group$push_backlog(paste0("a", index), controller = "a")
    group$push_backlog(paste0("b", index), controller = "b")
  }
  expect_equal(group$pop_backlog(), c("b1", "b2"))
  expect_equal(group$pop_backlog(), "b3")
  expect_identical(group$pop_backlog(), character(0L))
  expect_equal(a$queue_backlog$size(), 3L)
})

crew_test("group: backlog with the second controller saturated", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a", workers = 2L)
  b <- crew_test_group_member("b", workers = 2L)
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  group$start()
  group$push(Sys.sleep(60), name = "t1", controller = "b", scale = FALSE)
  group$push(Sys.sleep(60), name = "t2", controller = "b", scale = FALSE)
  group$push(Sys.sleep(60), name = "t3", controller = "a", scale = FALSE)
  expect_false(group$saturated())
  expect_true(group$saturated(controller = "b"))
  for (index in seq_len(3L)) {
    group$push_backlog(paste0("a", index), controller = "a")
    group$push_backlog(paste0("b", index), controller = "b")
  }
  # "a" has room for one more task at a time, "b" for none.
  expect_equal(group$pop_backlog(), "a1")
  expect_equal(a$queue_backlog$size(), 2L)
  expect_equal(group$pop_backlog(), "a2")
  expect_equal(group$pop_backlog(), "a3")
  expect_identical(group$pop_backlog(), character(0L))
  expect_equal(b$queue_backlog$size(), 3L)
})

crew_test("group: helper methods (non)empty and (un)resolved", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_true(group$empty())
  expect_false(group$nonempty())
  expect_equal(group$resolved(), 0L)
  expect_equal(group$unresolved(), 0L)
  group$push("x", name = "x", controller = "a")
  expect_false(group$empty())
  expect_true(group$nonempty())
  expect_true(group$empty(controllers = "b"))
  expect_false(group$nonempty(controllers = "b"))
  expect_true(group$nonempty(controllers = c("a", "b")))
  group$push("y", name = "y", controller = "b")
  expect_equal(group$resolved() + group$unresolved(), 2L)
  expect_true(group$wait(seconds_timeout = 30))
  expect_equal(group$resolved(), 2L)
  expect_equal(group$resolved(controllers = "b"), 1L)
  expect_equal(group$unresolved(), 0L)
  expect_equal(group$size(), 2L)
  expect_true(crew_test_until(function() !is.null(group$collect()) && group$empty()))
  expect_true(group$empty())
  expect_equal(group$resolved(), 2L)
})

crew_test("group: descale", {
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$descale())
  expect_null(a$loop)
  expect_null(b$loop)
})

crew_test("group: autoscale and descale reach the members", {
  skip_on_cran()
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  loop <- later::create_loop(autorun = FALSE)
  on.exit(later::destroy_loop(loop), add = TRUE)
  expect_null(group$autoscale(loop = loop, controllers = "b"))
  expect_null(a$loop)
  expect_s3_class(b$loop, "event_loop")
  group$descale()
  expect_null(b$loop)
})

crew_test("group: cancel() routes to the selected members", {
  skip_on_cran()
  skip_on_os("windows")
  a <- crew_test_group_member("a")
  b <- crew_test_group_member("b")
  group <- crew_controller_group(a, b)
  on.exit(group$terminate())
  expect_null(group$cancel(all = TRUE))
  group$push(Sys.sleep(60), name = "x", controller = "a")
  group$push(Sys.sleep(60), name = "y", controller = "b")
  group$push(Sys.sleep(60), name = "z", controller = "b")
  expect_null(group$cancel(all = TRUE, controllers = "a"))
  expect_true(group$wait(seconds_timeout = 30, controllers = "a"))
  out <- crew_test_group_pop(group, controllers = "a")
  expect_equal(out$name, "x")
  expect_equal(out$status, "cancel")
  expect_equal(out$code, 20L)
  expect_equal(group$unresolved(controllers = "b"), 2L)
  group$cancel(names = c("z", "not_a_task"))
  expect_true(
    crew_test_until(function() group$unresolved(controllers = "b") == 1L, seconds_timeout = 30)
  )
  out <- crew_test_group_pop(group, controllers = "b")
  expect_equal(out$name, "z")
  expect_equal(out$status, "cancel")
  expect_equal(group$summary()$cancel, c(1L, 1L))
  expect_crew_error(group$cancel(all = NA))
  expect_crew_error(group$cancel(names = NA_character_))
})

crew_test("group: sequential members work too", {
  s <- crew_controller_sequential()
  group <- crew_controller_group(s)
  group$push(1 + 1, name = "task")
  expect_true(group$wait())
  expect_equal(group$resolved(), 1L)
  expect_equal(group$pop()$result[[1L]], 2)
  expect_equal(group$map(x, iterate = list(x = c(1, 2)))$result, list(1, 2))
})

crew_test("group: deprecated pids()", {
  group <- crew_controller_group(crew_test_group_member("a"))
  expect_warning(out <- group$pids(), class = "crew_deprecate")
  expect_equal(out, Sys.getpid())
})

crew_test("group: crash detection with backup controllers in a group", {
  skip_on_cran()
  skip_on_os("windows")
  c_ <- crew_test_group_member("c", crashes_max = 2L)
  b <- crew_test_group_member("b", crashes_max = 2L, backup = c_)
  a <- crew_test_group_member("a", crashes_max = 2L, backup = b)
  group <- crew_controller_group(a, b, c_)
  on.exit(group$terminate())
  # The worker kills itself unless it belongs to controller "c" and the
  # task allows "c" to survive.
  command <- quote({
    if (kill_c || !identical(Sys.getenv("CREW_CONTROLLER"), "c")) {
      tools::pskill(Sys.getpid(), tools::SIGKILL)
    }
    Sys.getenv("CREW_CONTROLLER")
  })
  run <- function(kill_c) {
    group$push(command, substitute = FALSE, data = list(kill_c = kill_c), name = "x")
    expect_true(group$wait(seconds_timeout = 60))
    crew_test_group_pop(group, seconds_timeout = 60)
  }
  expected <- list(
    c(controller = "a", a = 1L, b = 0L, c = 0L),
    c(controller = "a", a = 2L, b = 0L, c = 0L),
    c(controller = "b", a = 2L, b = 1L, c = 0L),
    c(controller = "b", a = 2L, b = 2L, c = 0L),
    c(controller = "c", a = 2L, b = 2L, c = 1L),
    c(controller = "c", a = 2L, b = 2L, c = 2L)
  )
  for (index in seq_along(expected)) {
    out <- run(kill_c = TRUE)
    step <- expected[[index]]
    expect_equal(out$name, "x")
    expect_equal(out$status, "crash")
    expect_equal(out$code, 19L)
    expect_match(out$error, "19", fixed = TRUE)
    expect_equal(out$controller, unname(step[["controller"]]))
    expect_equal(a$crashes("x"), as.integer(step[["a"]]))
    expect_equal(b$crashes("x"), as.integer(step[["b"]]))
    expect_equal(c_$crashes("x"), as.integer(step[["c"]]))
    expect_equal(group$crashes("x"), index)
    expect_equal(group$crashes("x", controllers = c("a", "b")), min(index, 4L))
  }
  summary <- group$summary()
  expect_equal(summary$controller, c("a", "b", "c"))
  expect_equal(summary$crash, c(2L, 2L, 2L))
  # The seventh crash exceeds crashes_max of the last controller in the
  # chain; the crash row is not lost but returned by the next pop().
  expect_crew_error(run(kill_c = TRUE))
  expect_equal(c_$crashes("x"), 3L)
  expect_equal(group$crashes("x"), 7L)
  expect_equal(group$summary()$crash, c(2L, 2L, 3L))
  expect_equal(group$size(), 1L)
  out <- group$pop()
  expect_equal(out$status, "crash")
  expect_equal(out$controller, "c")
  expect_equal(group$size(), 0L)
  # A success in "c" resets its streak; "a" and "b" keep redirecting.
  out <- run(kill_c = FALSE)
  expect_equal(out$status, "success")
  expect_equal(out$result[[1L]], "c")
  expect_equal(out$controller, "c")
  expect_equal(c_$crashes("x"), 0L)
  expect_equal(group$crashes("x"), 4L)
  summary <- group$summary()
  expect_equal(summary$crash, c(2L, 2L, 3L))
  expect_equal(summary$success, c(0L, 0L, 1L))
  expect_equal(summary$tasks, c(2L, 2L, 4L))
})
