# A local launcher with the terminate_worker() of older plugins. Its first
# `stuck` launches start R processes that never dial the client, as a
# cluster job held in a queue would; every handle terminate_worker()
# receives is kept in `terminated`.
crew_test_unconnected_class <- R6::R6Class(
  classname = "crew_test_unconnected_launcher",
  inherit = crew_class_launcher_local,
  public = list(
    stuck = 0L,
    handles = list(),
    terminated = list(),
    fail = FALSE,
    launch_worker = function(call) {
      if (self$stuck > 0L) {
        self$stuck <- self$stuck - 1L
        call <- "Sys.sleep(60)"
      }
      handle <- super$launch_worker(call = call)
      self$handles <- c(self$handles, list(handle))
      handle
    },
    terminate_worker = function(handle) {
      self$terminated <- c(self$terminated, list(handle))
      if (self$fail) stop("scheduler unreachable")
    }
  )
)

crew_test_unconnected_controller <- function(stuck) {
  launcher <- crew_test_unconnected_class$new(
    name = "unconnected",
    workers = 1L,
    seconds_interval = 0.1,
    seconds_timeout = 60,
    seconds_launch = 60,
    seconds_idle = Inf,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew_tls(),
    r_arguments = c("--no-save", "--no-restore"),
    options_local = crew_options_local()
  )
  launcher$stuck <- stuck
  crew_controller(client = crew_client(host = "127.0.0.1"), launcher = launcher)
}

crew_test_unconnected_kill <- function(launcher) {
  for (handle in launcher$handles) {
    if (inherits(handle, "process")) handle$kill()
  }
}

crew_test("terminate() hands terminate_worker() the launch whose worker never connected", {
  crew_test_skip()
  controller <- crew_test_unconnected_controller(stuck = 1L)
  launcher <- controller$launcher
  on.exit({
    controller$terminate()
    crew_test_unconnected_kill(launcher)
  })
  controller$push(TRUE, name = "task", throttle = FALSE)
  expect_length(launcher$handles, 1L)
  controller$terminate()
  expect_length(launcher$terminated, 1L)
  expect_identical(launcher$terminated[[1L]], launcher$handles[[1L]])
  # Handed over once: a second terminate() has nothing left to cancel.
  controller$terminate()
  expect_length(launcher$terminated, 1L)
})

crew_test("terminate() leaves out launches whose workers connected", {
  crew_test_skip()
  controller <- crew_test_unconnected_controller(stuck = 0L)
  launcher <- controller$launcher
  on.exit({
    controller$terminate()
    crew_test_unconnected_kill(launcher)
  })
  controller$push(TRUE, name = "task", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  expect_equal(crew_test_pop(controller)$result[[1L]], TRUE)
  controller$terminate()
  expect_length(launcher$handles, 1L)
  expect_length(launcher$terminated, 0L)
})

crew_test("an error in terminate_worker() becomes a warning and terminate() goes on", {
  crew_test_skip()
  controller <- crew_test_unconnected_controller(stuck = 1L)
  launcher <- controller$launcher
  launcher$fail <- TRUE
  on.exit({
    controller$terminate()
    crew_test_unconnected_kill(launcher)
  })
  controller$push(TRUE, name = "task", throttle = FALSE)
  expect_warning(
    controller$terminate(),
    "terminate_worker\\(\\) failed: scheduler unreachable",
    class = "crew_warning"
  )
  expect_length(launcher$terminated, 1L)
  expect_false(controller$started())
})
