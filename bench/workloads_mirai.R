# The workloads of bench/bench.R done with mirai alone, no crew, one per
# child process:
#
#   Rscript bench/workloads_mirai.R <workload> <n>
#
# runs one workload against whichever mirai comes first on the library path
# (the driver sets R_LIBS) through mirai's public interface only:
# daemons(n) with its defaults (local daemons behind mirai's dispatcher),
# mirai(), call_mirai(), mirai_map() and daemons(0). It prints the same
# `name=value` lines as bench/workloads.R for the same figures, so that the
# table shows what this machine does without crew above mirai. A workload
# with no mirai equivalent prints nothing. As in bench/workloads.R,
# figures other than cold_start are timed after a warm-up that leaves
# every daemon connected.

# Memory is read at top level, before any function of the bench has run
# (see bench/workloads.R).
args <- commandArgs(trailingOnly = TRUE)
library(mirai)
rss_library <- grep("^VmRSS:", readLines("/proc/self/status"), value = TRUE)
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1]])
source(file.path(dirname(script), "helpers.R"))

# The value of a resolved mirai, or an error that says why there is none.
value_of <- function(task) {
  if (mirai::is_error_value(task$data)) {
    stop("mirai failed: ", paste(format(task$data), collapse = " "))
  }
  task$data
}

# Tasks until every daemon has answered.
warm_up <- function(workers, seconds_timeout = 60) {
  warm_up_rounds(function(tasks) {
    tasks <- lapply(seq_len(tasks), function(index) {
      mirai::mirai({
        Sys.sleep(0.05)
        Sys.getpid()
      })
    })
    lapply(mirai::call_mirai(tasks), function(task) task$data)
  }, workers, seconds_timeout)
}

# One mirai() per task, then one call_mirai() of them all and every value
# read: push + wait + collect.
workload_push_collect <- function(workers, n) {
  mirai::daemons(workers)
  on.exit(mirai::daemons(0))
  warm_up(workers)
  cpu <- proc.time()
  start <- now()
  tasks <- vector("list", n)
  for (index in seq_len(n)) {
    tasks[[index]] <- mirai::mirai(x + 1, x = index)
  }
  mirai::call_mirai(tasks)
  results <- lapply(tasks, function(task) task$data)
  elapsed <- now() - start
  cpu <- proc.time() - cpu
  stopifnot(identical(unlist(results), seq_len(n) + 1))
  report(
    tasks_per_s = n / elapsed,
    client_cpu_s = cpu[["user.self"]] + cpu[["sys.self"]],
    peak_rss_mb = status_mb("VmHWM")
  )
}

workload_map <- function(workers, n) {
  mirai::daemons(workers)
  on.exit(mirai::daemons(0))
  warm_up(workers)
  start <- now()
  results <- mirai::mirai_map(seq_len(n), function(x) x + 1)[]
  elapsed <- now() - start
  stopifnot(identical(unlist(results), seq_len(n) + 1))
  report(seconds = elapsed)
}

workload_round_trip <- function(trips = 1000L) {
  mirai::daemons(1L)
  on.exit(mirai::daemons(0))
  warm_up(1L)
  report_round_trips(trips, function(index) {
    task <- mirai::mirai(x + 1, x = index)
    mirai::call_mirai(task)
    task$data
  })
}

# From daemons(2) to the first result, the daemons' startup included.
workload_cold_start <- function() {
  start <- now()
  mirai::daemons(2L)
  task <- mirai::mirai(1 + 1)
  mirai::call_mirai(task)
  result <- value_of(task)
  elapsed <- now() - start
  mirai::daemons(0)
  stopifnot(identical(result, 2))
  report(seconds = elapsed)
}

workload_idle <- function(seconds = 10) {
  before <- process_table()$pid
  mirai::daemons(2L)
  on.exit(mirai::daemons(0))
  warm_up(2L)
  report_idle(before, seconds)
}

# As workload_large() of bench/workloads.R. The task that makes the 100 MB
# result times itself, as crew's workers do, so that its run time is left
# out of the figure out.
workload_large <- function(megabytes = 100) {
  mirai::daemons(1L)
  on.exit(mirai::daemons(0))
  warm_up(1L)
  invisible(gc())
  rss_before <- status_mb("VmRSS")
  x <- large_object(megabytes)
  invisible(gc())
  reset_peak_rss()
  start <- now()
  task <- mirai::mirai(x, x = x)
  mirai::call_mirai(task)
  result <- value_of(task)
  elapsed <- now() - start
  peak_rss <- status_mb("VmHWM") - rss_before
  stopifnot(identical(result, x))
  rm(result, task)
  start <- now()
  task <- mirai::mirai(length(x), x = x)
  mirai::call_mirai(task)
  result <- value_of(task)
  elapsed_in <- now() - start
  stopifnot(identical(result, length(x)))
  rm(x, task)
  start <- now()
  task <- mirai::mirai({
    started <- as.numeric(Sys.time())
    y <- as.raw(seq_len(n) %% 256L)
    list(y = y, seconds = as.numeric(Sys.time()) - started)
  }, n = megabytes * 1e6)
  mirai::call_mirai(task)
  result <- value_of(task)
  elapsed_out <- now() - start - result$seconds
  stopifnot(length(result$y) == megabytes * 1e6)
  report(
    mb_per_s = 2 * megabytes / elapsed,
    in_mb_per_s = megabytes / elapsed_in,
    out_mb_per_s = megabytes / elapsed_out,
    peak_rss_mb = peak_rss
  )
}

main <- function(args, rss_library) {
  workload <- args[[1]]
  n <- if (length(args) > 1L) as.integer(args[[2]]) else 10000L
  switch(
    workload,
    version = cat(sprintf("version=%s\n", format(utils::packageVersion("mirai")))),
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
    large = workload_large(100),
    # crew's explicit launches and its automatic TLS have no counterpart.
    push_collect_2_explicit = ,
    round_trip_explicit = ,
    map_2_tls = ,
    large_tls = NULL,
    stop("unknown workload: ", workload)
  )
  invisible()
}

main(args, rss_library)
