# Covers R/launcher_methods.R (launcher_scale()) and R/controller_state.R
# (auto-scaling).
#
# Auto-scaling with real workers: launches that never connect count as
# failed once seconds_launch has passed, and are replaced.

# A local launcher whose first worker hangs before it ever dials the
# client, as a cluster job stuck in a queue would.
crew_test_stuck_launcher_class <- R6::R6Class(
  classname = "crew_test_stuck_launcher",
  inherit = crew_class_launcher_local,
  public = list(
    stuck = 0L,
    launch_worker = function(call) {
      if (self$stuck < 1L) {
        self$stuck <- self$stuck + 1L
        call <- "Sys.sleep(60)"
      }
      super$launch_worker(call = call)
    }
  )
)

crew_test("scale: a launch that never connects fails after seconds_launch and is replaced", {
  crew_test_skip()
  launcher <- crew_test_stuck_launcher_class$new(
    name = "stuck",
    workers = 1L,
    seconds_interval = 0.1,
    seconds_timeout = 60,
    seconds_launch = 2,
    seconds_idle = Inf,
    seconds_wall = Inf,
    tasks_max = Inf,
    tasks_timers = 0L,
    tls = crew_tls(),
    r_arguments = c("--no-save", "--no-restore"),
    options_local = crew_options_local()
  )
  controller <- crew_controller(
    client = crew_client(host = "127.0.0.1"),
    launcher = launcher
  )
  on.exit(controller$terminate())
  controller$push(Sys.getpid(), name = "task", throttle = FALSE)
  expect_equal(launcher$stuck, 1L)
  expect_equal(nrow(launcher$launches), 1L)
  # Within its launch window the stuck worker counts as starting up, so
  # scaling launches nothing more.
  controller$scale(throttle = FALSE)
  expect_equal(sum(launcher$launches$count), 1L)
  expect_equal(launcher$failed, 0L)
  start <- Sys.time()
  expect_true(controller$wait(seconds_timeout = 60))
  elapsed <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  expect_gte(elapsed, 1.5)
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  expect_equal(launcher$failed, 1L)
  expect_equal(controller$client$status()[["cumulative"]], 1L)
  # The stuck process is still alive; terminate() stops it too.
  handles <- crew_test_handles(controller)
  controller$terminate()
  expect_true(crew_test_all_dead(handles, seconds_timeout = 10))
})

crew_test("scale: auto-scaling never runs more than `workers` at once", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    workers = 2L,
    seconds_interval = 0.1
  )
  on.exit(controller$terminate())
  controller$walk(
    {
      Sys.sleep(0.2)
      Sys.getpid()
    },
    iterate = list(x = 1:10),
    verbose = FALSE,
    throttle = FALSE
  )
  peak <- 0L
  done <- crew_test_until(
    function() {
      controller$scale(throttle = FALSE)
      peak <<- max(peak, controller$client$status()[["connections"]])
      controller$unresolved() < 1L
    },
    seconds_timeout = 60
  )
  expect_true(done)
  expect_lte(peak, 2L)
  expect_lte(sum(controller$launcher$launches$count), 2L)
  out <- controller$collect()
  expect_equal(nrow(out), 10L)
  expect_lte(length(unique(unlist(out$result))), 2L)
})
