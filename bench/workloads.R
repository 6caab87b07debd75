# The workloads of bench/bench.R, one per child process:
#
#   Rscript bench/workloads.R <workload> <n>
#
# runs one workload against whichever crew comes first on the library path
# (the driver sets R_LIBS) and prints its figures as `name=value` lines on
# standard output. Workloads use only the public interface of crew 1.3.0, so
# the same file measures this package and any other installed build of crew
# side by side. Clocks are Sys.time() (microseconds; proc.time() elapsed has
# only milliseconds) and proc.time() for CPU.

now <- function() as.numeric(Sys.time())

report <- function(...) {
  values <- c(...)
  cat(sprintf("%s=%.10g\n", names(values), values), sep = "")
}

# A line of /proc/self/status ("VmRSS:  51234 kB") in MB.
line_mb <- function(line) as.numeric(gsub("[^0-9]", "", line)) / 1024

# Fields of /proc/self/status in MB (VmRSS: now, VmHWM: peak).
status_mb <- function(field) {
  line_mb(grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE))
}

# ppid, process group and CPU ticks (utime + stime) of every process, read
# from /proc/<pid>/stat. The fields are counted after the closing
# parenthesis of the command name, which may itself hold spaces.
process_table <- function() {
  pids <- grep("^[0-9]+$", list.files("/proc"), value = TRUE)
  rows <- lapply(pids, function(pid) {
    stat <- tryCatch(readLines(file.path("/proc", pid, "stat"), warn = FALSE), error = function(e) NULL)
    if (length(stat) != 1L) {
      return(NULL)
    }
    fields <- strsplit(sub("^.*\\) ", "", stat), " ", fixed = TRUE)[[1]]
    # After the name: state(1) ppid(2) pgrp(3) ... utime(12) stime(13).
    c(pid = as.numeric(pid), ppid = as.numeric(fields[[2]]), pgrp = as.numeric(fields[[3]]),
      ticks = as.numeric(fields[[12]]) + as.numeric(fields[[13]]))
  })
  as.data.frame(do.call(rbind, rows))
}

clock_ticks <- function() {
  ticks <- suppressWarnings(as.numeric(system2("getconf", "CLK_TCK", stdout = TRUE)))
  if (length(ticks) == 1L && !is.na(ticks)) ticks else 100
}

# Waits for every worker to dial in, so the clocks below time dispatch and
# not R's startup.
wait_connected <- function(controller, workers, seconds_timeout = 60) {
  deadline <- now() + seconds_timeout
  while (controller$client$status()[["connections"]] < workers) {
    if (now() > deadline) {
      stop("workers did not connect within ", seconds_timeout, " s")
    }
    Sys.sleep(0.01)
  }
}

started_controller <- function(workers, tls = crew::crew_tls()) {
  controller <- crew::crew_controller_local(workers = workers, seconds_idle = 120, tls = tls)
  controller$start()
  controller$launch(n = workers)
  wait_connected(controller, workers)
  controller
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
  x <- as.raw(seq_len(megabytes * 1e6) %% 256L)
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
workload_push_collect <- function(workers, n) {
  controller <- started_controller(workers)
  on.exit(controller$terminate())
  cpu <- proc.time()
  start <- now()
  for (index in seq_len(n)) {
    controller$push(x + 1, data = list(x = index), scale = FALSE)
  }
  controller$wait(scale = FALSE)
  results <- controller$collect(scale = FALSE)
  elapsed <- now() - start
  cpu <- proc.time() - cpu
  stopifnot(nrow(results) == n)
  report(
    tasks_per_s = n / elapsed,
    client_cpu_s = cpu[["user.self"]] + cpu[["sys.self"]],
    peak_rss_mb = status_mb("VmHWM")
  )
}

# map() as a user calls it: n tasks in, n results out, in seconds.
workload_map <- function(workers, n, tls = crew::crew_tls()) {
  controller <- started_controller(workers, tls)
  on.exit(controller$terminate())
  start <- now()
  results <- controller$map(x + 1, iterate = list(x = seq_len(n)), scale = FALSE)
  elapsed <- now() - start
  stopifnot(identical(unlist(results$result), seq_len(n) + 1))
  report(seconds = elapsed)
}

# Latency of one task at a time through one worker.
workload_round_trip <- function(trips = 1000L) {
  controller <- started_controller(1L)
  on.exit(controller$terminate())
  times <- numeric(trips)
  for (index in seq_len(trips)) {
    start <- now()
    controller$push(x + 1, data = list(x = index), scale = FALSE)
    controller$wait(scale = FALSE)
    controller$pop(scale = FALSE)
    times[index] <- now() - start
  }
  report(
    median_us = 1e6 * stats::median(times),
    p99_us = 1e6 * unname(stats::quantile(times, 0.99))
  )
}

# From a new controller to its first result, launching both workers, as a
# user's first call pays it (R's startup of the workers included).
workload_cold_start <- function() {
  start <- now()
  controller <- crew::crew_controller_local(workers = 2L, seconds_idle = 60)
  controller$start()
  controller$launch(n = 2L)
  controller$push(1 + 1, scale = FALSE)
  controller$wait(scale = FALSE)
  result <- controller$pop(scale = FALSE)
  elapsed <- now() - start
  controller$terminate()
  stopifnot(identical(result$result[[1]], 2))
  report(seconds = elapsed)
}

# CPU burnt while nothing happens: a started controller with two connected
# workers and the client asleep. The controller's processes are those that
# appeared after start() and are children of this process or share its
# process group (a dispatcher some builds start detaches from its parent
# but keeps the group).
workload_idle <- function(seconds = 10) {
  before <- process_table()$pid
  controller <- started_controller(2L)
  on.exit(controller$terminate())
  # Connection handshakes and worker startup settle first.
  Sys.sleep(1)
  table <- process_table()
  self <- Sys.getpid()
  ours <- table$pid[!table$pid %in% before & table$pid != self &
    (table$ppid == self | table$pgrp == table$pgrp[table$pid == self])]
  ticks <- function(table) {
    c(client = sum(table$ticks[table$pid == self]), workers = sum(table$ticks[table$pid %in% ours]))
  }
  start_ticks <- ticks(process_table())
  start <- now()
  Sys.sleep(seconds)
  used <- (ticks(process_table()) - start_ticks) / clock_ticks()
  elapsed <- now() - start
  report(
    client_pct = 100 * used[["client"]] / elapsed,
    workers_pct = 100 * used[["workers"]] / elapsed,
    worker_processes = length(ours)
  )
}

# 100 MB into a task and the same 100 MB back, with the client's peak RSS
# above what it had before the object existed; then each direction on its
# own: 100 MB in with a small result, and a small task whose result is
# 100 MB (timed without the task's own run time, which makes the object).
workload_large <- function(megabytes = 100, tls = crew::crew_tls()) {
  controller <- started_controller(1L, tls)
  on.exit(controller$terminate())
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  x <- as.raw(seq_len(megabytes * 1e6) %% 256L)
  # Making x passed through a 400 MB integer vector: start the peak from
  # here (writing 5 to clear_refs resets VmHWM to the current RSS).
  invisible(gc())
  writeLines("5", "/proc/self/clear_refs")
  start <- now()
  controller$push(x, data = list(x = x), scale = FALSE)
  controller$wait(scale = FALSE)
  result <- controller$pop(scale = FALSE)
  elapsed <- now() - start
  peak_rss <- status_mb("VmHWM") - rss_before
  stopifnot(identical(result$result[[1]], x))
  rm(result)
  start <- now()
  controller$push(length(x), data = list(x = x), scale = FALSE)
  controller$wait(scale = FALSE)
  result <- controller$pop(scale = FALSE)
  elapsed_in <- now() - start
  stopifnot(identical(result$result[[1]], length(x)))
  rm(x)
  start <- now()
  controller$push(
    as.raw(seq_len(n) %% 256L),
    data = list(n = megabytes * 1e6),
    scale = FALSE
  )
  controller$wait(scale = FALSE)
  result <- controller$pop(scale = FALSE)
  elapsed_out <- now() - start - result$seconds
  stopifnot(length(result$result[[1]]) == megabytes * 1e6)
  report(
    mb_per_s = 2 * megabytes / elapsed,
    in_mb_per_s = megabytes / elapsed_in,
    out_mb_per_s = megabytes / elapsed_out,
    peak_rss_mb = peak_rss
  )
}

# The scale workloads of bench/scale.R. walk() of n tasks while no worker
# is connected, so the client's RSS growth is read with every task queued
# (the handles walk() returns are kept); then 2 workers connect (not
# timed), and wait() and one collect() are timed.
workload_scale_walk <- function(n) {
  controller <- crew::crew_controller_local(workers = 2L, seconds_idle = 120)
  controller$start()
  on.exit(controller$terminate())
  iterate <- list(x = seq_len(n))
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  start <- now()
  handles <- controller$walk(x + 1, iterate = iterate, scale = FALSE, verbose = FALSE)
  submit <- now() - start
  rss_queued <- status_mb("VmRSS")
  controller$launch(n = 2L)
  wait_connected(controller, 2L)
  scale_finish(controller, n, submit, rss_before, rss_queued)
  rm(handles)
}

# Times wait() and one collect() of n tasks and reports the scale figures,
# given the submission time and the RSS before and after submission.
scale_finish <- function(controller, n, submit, rss_before, rss_queued) {
  start <- now()
  controller$wait(scale = FALSE)
  waited <- now()
  results <- controller$collect(scale = FALSE)
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

# push() as targets calls it (scale = TRUE, throttle = TRUE), then wait()
# and one collect().
workload_scale_push <- function(n) {
  controller <- started_controller(2L)
  on.exit(controller$terminate())
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  start <- now()
  for (index in seq_len(n)) {
    controller$push(x + 1, data = list(x = index), scale = TRUE, throttle = TRUE)
  }
  submit <- now() - start
  rss_queued <- status_mb("VmRSS")
  scale_finish(controller, n, submit, rss_before, rss_queued)
}

# Many workers on few cores: 50 local workers, n tasks of
# Sys.sleep(0.005), each reporting its worker's process id.
workload_many_workers <- function(n, workers = 50L) {
  controller <- crew::crew_controller_local(workers = workers, seconds_idle = 120)
  controller$start()
  on.exit(controller$terminate())
  controller$launch(n = workers)
  wait_connected(controller, workers, seconds_timeout = 300)
  start <- now()
  controller$walk({
    Sys.sleep(0.005)
    Sys.getpid()
  }, iterate = list(x = seq_len(n)), scale = FALSE, verbose = FALSE)
  controller$wait(scale = FALSE, seconds_timeout = 600)
  results <- controller$collect(scale = FALSE)
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
    map_2 = workload_map(2L, n),
    map_1 = workload_map(1L, n),
    round_trip = workload_round_trip(1000L),
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

# Memory is read here, at top level, before any function of this file has
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
main(args, rss_start, rss_library)
