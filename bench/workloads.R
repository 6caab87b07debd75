# The workloads of bench/bench.R and bench/scale.R, one per child process:
#
#   Rscript bench/workloads.R <workload> <n>
#
# runs one workload against whichever crew comes first on the library path
# (the driver sets R_LIBS) and prints its figures as `name=value` lines on
# standard output. Workloads use only the public interface of crew 1.3.0, so
# the same file measures this package and any other installed build of crew
# side by side.
#
# Every workload uses crew as users and targets do: a controller from
# crew_controller_local(workers = w) with default arguments, never start()
# or launch(), and push(), wait(), pop(), collect(), map() and walk() with
# their defaults (scale = TRUE, throttle = TRUE), so the controller launches
# its own workers. Throughput, latency, idle and large-object figures are
# timed after a warm-up of a few such tasks that leaves every worker
# launched and connected; cold_start times a new controller's first result,
# the launch of its workers included. Workloads named *_explicit keep the
# older way, start() and launch() and then scale = FALSE throughout, as a
# point of comparison.

# Memory is read here, at top level, before any function of the bench has
# run: R byte-compiles such a function when it is first called, loading the
# compiler package (some 15 MB) to do so, which neither a bare R process
# nor a user's library(crew) pays.
args <- commandArgs(trailingOnly = TRUE)
rss_start <- grep("^VmRSS:", readLines("/proc/self/status"), value = TRUE)
rss_library <- NULL
if (!identical(args[[1]], "floors")) {
  library(crew)
  rss_library <- grep("^VmRSS:", readLines("/proc/self/status"), value = TRUE)
}
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1]])
source(file.path(dirname(script), "helpers.R"))

# A controller as a user makes one and first uses it: default arguments,
# then default-argument tasks until every worker has answered.
warm_controller <- function(workers, tls = crew::crew_tls(), seconds_timeout = 60) {
  controller <- crew::crew_controller_local(workers = workers, tls = tls)
  warm_up_rounds(function(tasks) {
    for (index in seq_len(tasks)) {
      controller$push({
        Sys.sleep(0.05)
        Sys.getpid()
      })
    }
    controller$wait(mode = "all")
    controller$collect()$result
  }, workers, seconds_timeout)
  controller
}

# The older way, for the *_explicit workloads: start(), launch() and then
# a wait until every worker has dialled in.
launched_controller <- function(workers, seconds_timeout = 60) {
  controller <- crew::crew_controller_local(workers = workers)
  controller$start()
  controller$launch(n = workers)
  deadline <- now() + seconds_timeout
  while (controller$client$status()[["connections"]] < workers) {
    if (now() > deadline) {
      stop("workers did not connect within ", seconds_timeout, " s")
    }
    Sys.sleep(0.01)
  }
  controller
}

# The value of a task that pop() returned, or an error that says why there
# is none.
value_of <- function(result) {
  if (is.null(result)) {
    stop("pop() returned no task after wait()")
  }
  if (!identical(result$status[[1]], "success")) {
    stop(sprintf("task %s: status %s, code %s: %s", result$name[[1]], result$status[[1]],
      result$code[[1]], result$error[[1]]))
  }
  result$result[[1]]
}

# Floors that need no crew: memory of a bare R process, R's startup, and
# R's own serialize()/unserialize() of the same objects the tasks carry.
# Measured for this package's run only.
workload_floors <- function(n, rss_bare) {
  rscript <- file.path(R.home("bin"), "Rscript")
  start <- now()
  system2(rscript, c("-e", "NULL"), stdout = FALSE, stderr = FALSE)
  rscript_null <- now() - start
  start <- now()
  for (index in seq_len(n)) {
    task <- list(command = quote(x + 1), name = "unnamed_task_1", data = list(x = index))
    value <- unserialize(serialize(task, NULL, xdr = FALSE))
    result <- unserialize(serialize(value$data$x + 1, NULL, xdr = FALSE))
  }
  serialize_tasks <- now() - start
  megabytes <- 100
  x <- large_object(megabytes)
  start <- now()
  y <- unserialize(serialize(list(x = x), NULL, xdr = FALSE))
  z <- unserialize(serialize(y$x, NULL, xdr = FALSE))
  report(
    rss_bare_mb = rss_bare,
    rscript_null_s = rscript_null,
    serialize_tasks_s = serialize_tasks,
    serialize_large_mb_per_s = 2 * megabytes / (now() - start)
  )
}

# One push per task, then a single wait and collect: the throughput of
# dispatch itself, with the client's CPU over the same span and its memory.
# `push_all(controller, n, scale)` pushes the tasks.
workload_push_collect <- function(workers, n, explicit = FALSE, push_all = push_tasks) {
  controller <- if (explicit) launched_controller(workers) else warm_controller(workers)
  on.exit(controller$terminate())
  # TRUE is the default of scale.
  scale <- !explicit
  cpu <- proc.time()
  start <- now()
  push_all(controller, n, scale)
  controller$wait(mode = "all", scale = scale)
  results <- controller$collect(scale = scale)
  elapsed <- now() - start
  cpu <- proc.time() - cpu
  stopifnot(nrow(results) == n)
  report(
    tasks_per_s = n / elapsed,
    client_cpu_s = cpu[["user.self"]] + cpu[["sys.self"]],
    peak_rss_mb = status_mb("VmHWM")
  )
}

push_tasks <- function(controller, n, scale) {
  for (index in seq_len(n)) {
    controller$push(x + 1, data = list(x = index), scale = scale)
  }
}

# The same pushes written in a script of 3,000 lines sourced with
# keep.source = TRUE, as code runs in RStudio, any interactive session and
# testthat, with the command in braces, which then carry source
# references to the whole script.
sourced_push_tasks <- function() {
  path <- tempfile(fileext = ".R")
  on.exit(unlink(path))
  writeLines(c(
    sprintf("# line %d of an analysis script", seq_len(3000L)),
    "push_tasks <- function(controller, n, scale) {",
    "  for (index in seq_len(n)) {",
    "    controller$push({ x + 1 }, data = list(x = index), scale = scale)",
    "  }",
    "}"
  ), path)
  envir <- new.env()
  source(path, local = envir, keep.source = TRUE)
  envir$push_tasks
}

# map() as a user calls it: n tasks in, n results out, in seconds.
workload_map <- function(workers, n, tls = crew::crew_tls()) {
  controller <- warm_controller(workers, tls)
  on.exit(controller$terminate())
  start <- now()
  results <- controller$map(x + 1, iterate = list(x = seq_len(n)))
  elapsed <- now() - start
  stopifnot(identical(unlist(results$result), seq_len(n) + 1))
  report(seconds = elapsed)
}

# Latency of one task at a time through one worker.
workload_round_trip <- function(trips = 1000L, explicit = FALSE) {
  controller <- if (explicit) launched_controller(1L) else warm_controller(1L)
  on.exit(controller$terminate())
  scale <- !explicit
  report_round_trips(trips, function(index) {
    controller$push(x + 1, data = list(x = index), scale = scale)
    controller$wait(mode = "all", scale = scale)
    controller$pop(scale = scale)
  })
}

# From a new controller to its first result, as a user's first call pays
# it: the controller launches its workers itself (R's startup of the
# workers included).
workload_cold_start <- function() {
  start <- now()
  controller <- crew::crew_controller_local(workers = 2L)
  controller$push(1 + 1)
  controller$wait(mode = "all")
  result <- controller$pop()
  elapsed <- now() - start
  controller$terminate()
  stopifnot(identical(value_of(result), 2))
  report(seconds = elapsed)
}

# CPU burnt while nothing happens: a controller whose two workers have
# answered the warm-up, with the client asleep.
workload_idle <- function(seconds = 10) {
  before <- process_table()$pid
  controller <- warm_controller(2L)
  on.exit(controller$terminate())
  report_idle(before, seconds)
}

# 100 MB into a task and the same 100 MB back, with the client's peak RSS
# above what it had before the object existed; then each direction on its
# own: 100 MB in with a small result, and a small task whose result is
# 100 MB (timed without the task's own run time, which makes the object).
workload_large <- function(megabytes = 100, tls = crew::crew_tls()) {
  controller <- warm_controller(1L, tls)
  on.exit(controller$terminate())
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  x <- large_object(megabytes)
  # Making x passed through a 400 MB integer vector: start the peak from
  # here.
  invisible(gc())
  reset_peak_rss()
  start <- now()
  controller$push(x, data = list(x = x))
  controller$wait(mode = "all")
  result <- controller$pop()
  elapsed <- now() - start
  peak_rss <- status_mb("VmHWM") - rss_before
  stopifnot(identical(value_of(result), x))
  rm(result)
  start <- now()
  controller$push(length(x), data = list(x = x))
  controller$wait(mode = "all")
  result <- controller$pop()
  elapsed_in <- now() - start
  stopifnot(identical(value_of(result), length(x)))
  rm(x)
  start <- now()
  controller$push(as.raw(seq_len(n) %% 256L), data = list(n = megabytes * 1e6))
  controller$wait(mode = "all")
  result <- controller$pop()
  elapsed_out <- now() - start - result$seconds
  stopifnot(length(value_of(result)) == megabytes * 1e6)
  report(
    mb_per_s = 2 * megabytes / elapsed,
    in_mb_per_s = megabytes / elapsed_in,
    out_mb_per_s = megabytes / elapsed_out,
    peak_rss_mb = peak_rss
  )
}

# The scale workloads of bench/scale.R, each on a warmed-up controller with
# 2 workers: walk() of n tasks (the handles it returns are kept), then
# wait() and one collect(), all timed.
workload_scale_walk <- function(n) {
  controller <- warm_controller(2L)
  on.exit(controller$terminate())
  iterate <- list(x = seq_len(n))
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  start <- now()
  handles <- controller$walk(x + 1, iterate = iterate)
  submit <- now() - start
  rss_queued <- status_mb("VmRSS")
  scale_finish(controller, n, submit, rss_before, rss_queued)
  rm(handles)
}

# Times wait() and one collect() of n tasks and reports the scale figures,
# given the submission time and the RSS before and after submission.
scale_finish <- function(controller, n, submit, rss_before, rss_queued) {
  start <- now()
  controller$wait(mode = "all")
  waited <- now()
  results <- controller$collect()
  collected <- now()
  stopifnot(nrow(results) == n)
  report(
    submit_s = submit,
    wait_s = waited - start,
    collect_s = collected - waited,
    total_s = submit + collected - start,
    rss_queued_mb = rss_queued - rss_before,
    peak_rss_mb = status_mb("VmHWM") - rss_before
  )
}

# A push() per task, as targets submits them, then wait() and one
# collect().
workload_scale_push <- function(n) {
  controller <- warm_controller(2L)
  on.exit(controller$terminate())
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  start <- now()
  for (index in seq_len(n)) {
    controller$push(x + 1, data = list(x = index))
  }
  submit <- now() - start
  rss_queued <- status_mb("VmRSS")
  scale_finish(controller, n, submit, rss_before, rss_queued)
}

# Many workers on few cores: 50 local workers, warmed up until each has
# answered, then walk() of n tasks of Sys.sleep(0.005), each reporting its
# worker's process id.
workload_many_workers <- function(n, workers = 50L) {
  controller <- warm_controller(workers, seconds_timeout = 300)
  on.exit(controller$terminate())
  start <- now()
  controller$walk({
    Sys.sleep(0.005)
    Sys.getpid()
  }, iterate = list(x = seq_len(n)))
  controller$wait(mode = "all", seconds_timeout = 600)
  results <- controller$collect()
  elapsed <- now() - start
  report(
    seconds = elapsed,
    workers_used = length(unique(unlist(results$result))),
    stranded = n - NROW(results) + sum(results$code != 0L)
  )
}

main <- function(args, rss_start, rss_library) {
  workload <- args[[1]]
  n <- if (length(args) > 1L) as.integer(args[[2]]) else 10000L
  automatic <- function() crew::crew_tls(mode = "automatic")
  switch(
    workload,
    floors = workload_floors(n, line_mb(rss_start)),
    version = cat(sprintf("version=%s\n", format(utils::packageVersion("crew")))),
    push_collect_2 = {
      report(rss_library_mb = line_mb(rss_library))
      workload_push_collect(2L, n)
    },
    push_collect_1 = workload_push_collect(1L, n),
    push_collect_2_explicit = workload_push_collect(2L, n, explicit = TRUE),
    push_collect_2_sourced = workload_push_collect(2L, n, push_all = sourced_push_tasks()),
    map_2 = workload_map(2L, n),
    map_1 = workload_map(1L, n),
    round_trip = workload_round_trip(1000L),
    round_trip_explicit = workload_round_trip(1000L, explicit = TRUE),
    cold_start = workload_cold_start(),
    idle = workload_idle(10),
    map_2_tls = workload_map(2L, n, automatic()),
    large = workload_large(100),
    large_tls = workload_large(100, automatic()),
    scale_walk = workload_scale_walk(n),
    scale_push = workload_scale_push(n),
    many_workers = workload_many_workers(n),
    stop("unknown workload: ", workload)
  )
  invisible()
}

main(args, rss_start, rss_library)
