# A controller whose launcher starts nothing by itself: the tests start
# worker processes by hand from the launcher's call string.
crew_test_manual_controller <- function(name = "my_controller", seconds_timeout = 10) {
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  launcher <- crew_launcher(
    name = name,
    seconds_interval = 0.1,
    seconds_timeout = seconds_timeout
  )
  crew_controller(client = client, launcher = launcher)
}

crew_test("crew_worker() validates its arguments", {
  expect_crew_error(crew_worker(settings = "x", controller = "a"))
  expect_crew_error(crew_worker(settings = list(url = "tcp://127.0.0.1:1"), controller = "a"))
  expect_crew_error(
    crew_worker(settings = list(url = "tcp://127.0.0.1:1", credential = "x"), controller = 1)
  )
  expect_crew_error(crew_worker(settings = list(credential = "x"), controller = "a"))
})

crew_test("crew_worker() runs tasks that see CREW_CONTROLLER and restores it", {
  crew_test_skip()
  controller <- crew_test_manual_controller(name = "my_controller")
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  call <- controller$launcher$call()
  script <- paste0(
    "Sys.setenv(CREW_CONTROLLER = \"before\"); ",
    "code <- ", call, "; ",
    "cat(\"AFTER:\", Sys.getenv(\"CREW_CONTROLLER\"), \"CODE:\", code, \"\\n\")"
  )
  worker <- crew_test_rscript(script, stdout = "|", stderr = "|")
  on.exit(worker$kill(), add = TRUE)
  controller$push(Sys.getenv("CREW_CONTROLLER"), scale = FALSE, name = "env")
  controller$push(Sys.getpid(), scale = FALSE, name = "pid")
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  results <- list()
  expect_true(
    crew_test_until(
      function() {
        row <- controller$pop(scale = FALSE)
        if (!is.null(row)) results[[row$name]] <<- row
        length(results) == 2L
      },
      seconds_timeout = 10
    )
  )
  expect_equal(results$env$result[[1L]], "my_controller")
  expect_equal(results$env$controller, "my_controller")
  expect_equal(results$pid$result[[1L]], worker$get_pid())
  expect_false(identical(results$pid$result[[1L]], Sys.getpid()))
  expect_equal(controller$client$status()[["cumulative"]], 1L)
  controller$terminate()
  expect_true(crew_test_until(~ !worker$is_alive(), seconds_timeout = 5))
  output <- paste(worker$read_all_output_lines(), collapse = "\n")
  expect_match(output, "AFTER: before CODE: 0", fixed = TRUE)
  messages <- paste(worker$read_all_error_lines(), collapse = "\n")
  expect_match(messages, "crew worker finished normally \\(code 0\\)")
  # The session info goes to stderr as a message.
  expect_match(messages, "R version", fixed = TRUE)
})

crew_test("crew_worker() with a wrong credential never receives a task", {
  crew_test_skip()
  controller <- crew_test_manual_controller(seconds_timeout = 5)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  call <- controller$launcher$call()
  token <- regmatches(call, regexpr("crew1-[0-9a-f]+-[0-9a-f]+", call))
  expect_length(token, 1L)
  secret_start <- nchar(sub("^(crew1-[0-9a-f]+-).*$", "\\1", token)) + 1L
  digit <- substr(token, secret_start, secret_start)
  replacement <- if (identical(digit, "0")) "1" else "0"
  wrong <- token
  substr(wrong, secret_start, secret_start) <- replacement
  expect_false(identical(wrong, token))
  bad_call <- sub(token, wrong, call, fixed = TRUE)
  controller$push(Sys.getpid(), scale = FALSE, name = "never")
  worker <- crew_test_rscript(bad_call, stdout = "|", stderr = "|")
  on.exit(worker$kill(), add = TRUE)
  expect_true(crew_test_until(~ !worker$is_alive(), seconds_timeout = 20))
  status <- controller$client$status()
  expect_equal(status[["connections"]], 0L)
  expect_equal(status[["cumulative"]], 0L)
  expect_equal(status[["awaiting"]], 1L)
  expect_equal(status[["executing"]], 0L)
  expect_equal(controller$unresolved(), 1L)
  expect_null(controller$pop(scale = FALSE))
  expect_true(inherits(controller$tasks$never$data, "unresolvedValue"))
  messages <- paste(worker$read_all_error_lines(), collapse = "\n")
  expect_match(messages, "crew worker finished \\(code 6\\)")
  # The process's exit status tells a scheduler the worker was refused.
  expect_equal(worker$get_exit_status(), 6L)
  # A worker with the genuine call string then runs the task.
  good <- crew_test_rscript(call)
  on.exit(good$kill(), add = TRUE)
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  out <- crew_test_pop(controller, scale = FALSE)
  expect_equal(out$result[[1L]], good$get_pid())
})

crew_test("crew_worker() a malformed credential is refused", {
  crew_test_skip()
  controller <- crew_test_manual_controller(seconds_timeout = 5)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  call <- controller$launcher$call()
  bad_call <- sub("crew1-[0-9a-f]+-[0-9a-f]+", "not-a-credential", call)
  worker <- crew_test_rscript(bad_call, stdout = "|", stderr = "|")
  on.exit(worker$kill(), add = TRUE)
  expect_true(crew_test_until(~ !worker$is_alive(), seconds_timeout = 20))
  expect_equal(controller$client$status()[["cumulative"]], 0L)
  expect_false(identical(worker$get_exit_status(), 0L))
})

crew_test("a worker process that ends normally exits with status 0", {
  crew_test_skip()
  controller <- crew_test_manual_controller(seconds_timeout = 5)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  call <- sub("idletime = [^,]+", "idletime = 500", controller$launcher$call())
  worker <- crew_test_rscript(call, stdout = "|", stderr = "|")
  on.exit(worker$kill(), add = TRUE)
  expect_true(crew_test_until(~ !worker$is_alive(), seconds_timeout = 30))
  expect_equal(worker$get_exit_status(), 0L)
  expect_match(paste(worker$read_all_error_lines(), collapse = "\n"), "finished normally \\(code 1\\)")
})

crew_test("crew_worker() each worker gets a distinct RNG stream", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    workers = 2L
  )
  on.exit(controller$terminate())
  # Two workers of one launch share one call string.
  controller$launch(n = 2L)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 2L, seconds_timeout = 30)
  )
  for (name in c("a", "b")) {
    controller$push(
      {
        Sys.sleep(1)
        list(pid = Sys.getpid(), seed = .Random.seed, kind = RNGkind()[1L], draw = runif(1))
      },
      name = name,
      scale = FALSE
    )
  }
  expect_true(controller$wait(seconds_timeout = 30, scale = FALSE))
  results <- list()
  expect_true(
    crew_test_until(
      function() {
        row <- controller$pop(scale = FALSE)
        if (!is.null(row)) results[[row$name]] <<- row$result[[1L]]
        length(results) == 2L
      },
      seconds_timeout = 10
    )
  )
  a <- results$a
  b <- results$b
  expect_false(identical(a$pid, b$pid))
  expect_equal(a$kind, "L'Ecuyer-CMRG")
  expect_equal(b$kind, "L'Ecuyer-CMRG")
  expect_equal(a$seed[[1L]], 10407L)
  expect_length(a$seed, 7L)
  expect_false(identical(a$seed, b$seed))
  expect_false(identical(a$draw, b$draw))
})

crew_test("crew_worker() workers of different launches get distinct streams", {
  crew_test_skip()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    seconds_interval = 0.1,
    workers = 2L,
    tasks_max = 1L
  )
  on.exit(controller$terminate())
  draws <- numeric(0L)
  for (index in seq_len(2L)) {
    controller$push(runif(1), throttle = FALSE, name = paste0("draw", index))
    expect_true(controller$wait(seconds_timeout = 30))
    draws[index] <- crew_test_pop(controller)$result[[1L]]
  }
  expect_equal(controller$client$status()[["cumulative"]], 2L)
  expect_false(identical(draws[[1L]], draws[[2L]]))
})

crew_test("a worker collects a large task's garbage while it waits for the next", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate(), add = TRUE)
  marker <- tempfile()
  # The task's environment dies with the task; its finalizer runs only when
  # R collects garbage, and nothing else runs on the worker afterwards.
  controller$push(
    {
      holder <- new.env()
      reg.finalizer(holder, function(e) writeLines("collected", marker))
      holder <- NULL
      numeric(3e6)
    },
    data = list(marker = marker)
  )
  controller$wait(seconds_timeout = 60)
  expect_equal(controller$pop()$status, "success")
  deadline <- Sys.time() + 30
  while (!file.exists(marker) && Sys.time() < deadline) {
    Sys.sleep(0.05)
  }
  expect_true(file.exists(marker))
})

crew_test("a worker that starts after its launch counted as failed is refused", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  launcher <- crew_launcher(name = "late", seconds_interval = 0.1, seconds_launch = 5)
  controller <- crew_controller(client = client, launcher = launcher)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  issued <- Sys.time()
  late_call <- controller$launcher$call()
  timely_call <- controller$launcher$call()
  timely <- crew_test_rscript(timely_call)
  on.exit(timely$kill(), add = TRUE)
  expect_true(
    crew_test_until(~ controller$client$status()[["connections"]] == 1L, seconds_timeout = 30)
  )
  Sys.sleep(max(0, 5.5 - as.numeric(difftime(Sys.time(), issued, units = "secs"))))
  late <- crew_test_rscript(late_call, stdout = "|", stderr = "|")
  on.exit(late$kill(), add = TRUE)
  expect_true(crew_test_until(~ !late$is_alive(), seconds_timeout = 30))
  expect_equal(late$get_exit_status(), 6L)
  expect_equal(controller$client$status()[["cumulative"]], 1L)
})

test_that("a worker writes its session information only where it is read", {
  skip_on_cran()
  rscript <- file.path(R.home("bin"), "Rscript")
  code <- "cat(crew:::worker_logging())"
  discarded <- processx::run(rscript, c("-e", code), stderr = NULL)
  log <- tempfile(fileext = ".log")
  on.exit(unlink(log))
  logged <- processx::run(rscript, c("-e", code), stderr = log)
  piped <- processx::run(rscript, c("-e", code), stderr = "|")
  expect_identical(discarded$stdout, "FALSE")
  expect_identical(logged$stdout, "TRUE")
  expect_identical(piped$stdout, "TRUE")
})
