# Covers R/crew_client.R and R/crew_worker.R: what terminate() and a
# client's end leave behind.
#
# Real clients, real workers and real kills: whatever happens to the client,
# no worker process outlives it by more than a few seconds, and nothing
# (descriptors, threads, ports) piles up in a client that starts and
# terminates controllers. Set CREW_TEST_TIMINGS to a file path to record
# how long each scenario took until its last worker was gone.

crew_test_skip_without_proc <- function() {
  crew_test_skip()
  testthat::skip_if_not(dir.exists("/proc/self/fd"), "needs /proc")
}

# Running means the process exists and is not a zombie waiting for its
# parent; read straight from /proc, independently of the package.
crew_test_proc_running <- function(pid) {
  stat <- tryCatch(
    readLines(sprintf("/proc/%d/stat", as.integer(pid)), warn = FALSE),
    error = function(condition) character(0L),
    warning = function(condition) character(0L)
  )
  if (!length(stat)) {
    return(FALSE)
  }
  state <- strsplit(sub("^.*\\) ", "", stat[[1L]]), " ", fixed = TRUE)[[1L]][[1L]]
  !state %in% c("Z", "X")
}

# Seconds from `start` until none of `pids` runs, or Inf after the timeout.
crew_test_seconds_until_gone <- function(pids, start, seconds_timeout = 15) {
  repeat {
    running <- vapply(pids, crew_test_proc_running, logical(1L))
    elapsed <- as.numeric(difftime(Sys.time(), start, units = "secs"))
    if (!any(running)) {
      return(elapsed)
    }
    if (elapsed > seconds_timeout) {
      return(Inf)
    }
    Sys.sleep(0.02)
  }
}

crew_test_record_seconds <- function(scenario, seconds) {
  path <- Sys.getenv("CREW_TEST_TIMINGS")
  if (nzchar(path)) {
    cat(sprintf("%s,%.3f\n", scenario, seconds), file = path, append = TRUE)
  }
}

# A client R session that starts two workers, gives each a long task,
# prints the workers' process IDs and then runs `then`.
crew_test_busy_client <- function(then) {
  script <- paste(
    "library(crew)",
    "x <- crew_controller_local(host = \"127.0.0.1\", workers = 2L, seconds_interval = 0.1)",
    "x$start()",
    "x$launch(n = 2L)",
    "x$push(Sys.sleep(300), name = \"a\", scale = FALSE)",
    "x$push(Sys.sleep(300), name = \"b\", scale = FALSE)",
    "while (x$client$status()[[\"executing\"]] < 2L) Sys.sleep(0.05)",
    "handles <- Filter(function(h) inherits(h, \"process\"), unlist(x$launcher$launches$handle))",
    "cat(\"PIDS\", vapply(handles, function(h) h$get_pid(), integer(1L)), \"\\n\")",
    then,
    sep = "; "
  )
  client <- crew_test_rscript(script, stdout = "|", stderr = "|")
  pids <- NULL
  lines <- character(0L)
  ready <- crew_test_until(
    function() {
      # A client that already exited may still have lines to read.
      alive <- client$is_alive()
      more <- if (alive) client$read_output_lines() else client$read_all_output_lines()
      lines <<- c(lines, more)
      hit <- grep("^PIDS ", lines, value = TRUE)
      if (length(hit)) {
        pids <<- as.integer(strsplit(trimws(hit[[1L]]), " ", fixed = TRUE)[[1L]][-1L])
      }
      !is.null(pids) || !alive
    },
    seconds_timeout = 60
  )
  list(client = client, pids = pids, ready = ready && !is.null(pids), lines = lines)
}

crew_test("no worker outlives a client killed with SIGKILL during long tasks", {
  crew_test_skip_without_proc()
  run <- crew_test_busy_client("Sys.sleep(600)")
  on.exit(run$client$kill(), add = TRUE)
  on.exit(tools::pskill(as.integer(run$pids), tools::SIGKILL), add = TRUE)
  expect_true(run$ready)
  expect_length(run$pids, 2L)
  expect_true(all(vapply(run$pids, crew_test_proc_running, logical(1L))))
  start <- Sys.time()
  tools::pskill(run$client$get_pid(), tools::SIGKILL)
  seconds <- crew_test_seconds_until_gone(run$pids, start)
  crew_test_record_seconds("client SIGKILL, 2 busy workers", seconds)
  expect_lt(seconds, 5)
})

crew_test("no worker outlives a client session that ends without terminate()", {
  crew_test_skip_without_proc()
  # One worker is busy and one idle when the session quits normally, which
  # it does once the test creates the file `go`.
  go <- tempfile()
  on.exit(unlink(go), add = TRUE)
  script_then <- paste(
    "x$cancel(names = \"b\")",
    "while (x$client$status()[[\"executing\"]] > 1L) Sys.sleep(0.05)",
    sprintf("while (!file.exists(\"%s\")) Sys.sleep(0.01)", go),
    "cat(\"QUIT\\n\")",
    "quit(save = \"no\")",
    sep = "; "
  )
  run <- crew_test_busy_client(script_then)
  on.exit(run$client$kill(), add = TRUE)
  on.exit(tools::pskill(as.integer(run$pids), tools::SIGKILL), add = TRUE)
  expect_true(run$ready)
  expect_length(run$pids, 2L)
  expect_true(all(vapply(run$pids, crew_test_proc_running, logical(1L))))
  start <- Sys.time()
  file.create(go)
  seconds <- crew_test_seconds_until_gone(run$pids, start)
  crew_test_record_seconds("client quits without terminate(), 1 busy + 1 idle worker", seconds)
  expect_lt(seconds, 5)
  expect_true(crew_test_until(~ !run$client$is_alive(), seconds_timeout = 30))
  # The session ended through quit(), not through a failure.
  lines <- c(run$lines, run$client$read_all_output_lines())
  expect_true(any(grepl("QUIT", lines, fixed = TRUE)))
  expect_equal(run$client$get_exit_status(), 0L)
})

crew_test("terminate() ends busy workers and frees the port at once", {
  crew_test_skip_without_proc()
  port <- crew_test_port()
  controller <- crew_controller_local(
    host = "127.0.0.1",
    port = port,
    workers = 2L,
    seconds_interval = 0.1
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  controller$launch(n = 2L)
  controller$push(Sys.sleep(300), name = "a", scale = FALSE)
  controller$push(Sys.sleep(300), name = "b", scale = FALSE)
  expect_true(
    crew_test_until(~ controller$client$status()[["executing"]] == 2L, seconds_timeout = 60)
  )
  pids <- vapply(crew_test_all_handles(controller), function(h) h$get_pid(), integer(1L))
  on.exit(tools::pskill(pids, tools::SIGKILL), add = TRUE)
  expect_length(pids, 2L)
  start <- Sys.time()
  controller$terminate()
  seconds <- crew_test_seconds_until_gone(pids, start)
  crew_test_record_seconds("terminate(), 2 busy workers", seconds)
  expect_lt(seconds, 5)
  server <- tryCatch(serverSocket(port), error = function(condition) condition)
  expect_false(inherits(server, "error"))
  if (!inherits(server, "error")) {
    close(server)
  }
})

# What this R process holds: descriptors (and which are sockets), threads,
# and TCP ports it listens on.
crew_test_resources <- function() {
  fds <- list.files("/proc/self/fd")
  targets <- vapply(
    fds,
    function(fd) {
      tryCatch(Sys.readlink(file.path("/proc/self/fd", fd)), error = function(e) "")
    },
    character(1L)
  )
  sockets <- sub("^socket:\\[([0-9]+)\\]$", "\\1", grep("^socket:", targets, value = TRUE))
  listening <- 0L
  for (table in c("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
    if (file.exists(table)) {
      rows <- strsplit(trimws(readLines(table)[-1L]), " +")
      state <- vapply(rows, `[[`, character(1L), 4L)
      inode <- vapply(rows, `[[`, character(1L), 10L)
      listening <- listening + sum(state == "0A" & inode %in% sockets)
    }
  }
  c(
    descriptors = length(fds),
    sockets = length(sockets),
    listening = listening,
    threads = length(list.files("/proc/self/task"))
  )
}

crew_test_controller_cycle <- function() {
  controller <- crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1)
  controller$start()
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  controller$wait(seconds_timeout = 60)
  out <- controller$pop()
  pids <- vapply(crew_test_all_handles(controller), function(h) h$get_pid(), integer(1L))
  start <- Sys.time()
  controller$terminate()
  seconds <- crew_test_seconds_until_gone(pids, start)
  list(ok = identical(out$status, "success"), pids = pids, seconds = seconds)
}

crew_test("50 controllers started and terminated leave no descriptors, threads or ports", {
  crew_test_skip_without_proc()
  # The first controller starts the runtime and loads what stays loaded.
  warm <- crew_test_controller_cycle()
  expect_true(warm$ok)
  expect_lt(warm$seconds, 5)
  gc()
  before <- crew_test_resources()
  ok <- logical(0L)
  pids <- integer(0L)
  worst <- 0
  for (index in seq_len(50L)) {
    cycle <- crew_test_controller_cycle()
    ok <- c(ok, cycle$ok)
    pids <- c(pids, cycle$pids)
    worst <- max(worst, cycle$seconds)
  }
  crew_test_record_seconds("50 controller cycles, slowest terminate() until its worker was gone", worst)
  expect_true(all(ok))
  expect_length(ok, 50L)
  expect_lt(worst, 5)
  expect_false(any(vapply(pids, crew_test_proc_running, logical(1L))))
  gc()
  after <- crew_test_resources()
  expect_lte(after[["descriptors"]], before[["descriptors"]])
  expect_lte(after[["sockets"]], before[["sockets"]])
  expect_lte(after[["listening"]], before[["listening"]])
  expect_lte(after[["threads"]], before[["threads"]])
})
