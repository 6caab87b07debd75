# Helpers of bench/workloads.R and bench/workloads_mirai.R: clocks, output,
# memory and CPU of processes, all without crew or mirai. Clocks are
# Sys.time() (microseconds; proc.time() elapsed has only milliseconds) and
# proc.time() for CPU.

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

# Starts the client's peak RSS (VmHWM) again from its current RSS.
reset_peak_rss <- function() {
  writeLines("5", "/proc/self/clear_refs")
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

# CPU burnt while nothing happens, once the workers are up and the client
# asleep, reported as % of one core. `before` holds the process ids from
# before the workers existed: the pool's processes are those that appeared
# since and are children of this process or share its process group (a
# dispatcher some builds start detaches from its parent but keeps the
# group).
report_idle <- function(before, seconds) {
  # Connection handshakes and worker startup settle first.
  Sys.sleep(1)
  table <- process_table()
  self <- Sys.getpid()
  pool <- table$pid[!table$pid %in% before & table$pid != self &
    (table$ppid == self | table$pgrp == table$pgrp[table$pid == self])]
  ticks <- function(table) {
    c(client = sum(table$ticks[table$pid == self]), workers = sum(table$ticks[table$pid %in% pool]))
  }
  start_ticks <- ticks(process_table())
  start <- now()
  Sys.sleep(seconds)
  used <- (ticks(process_table()) - start_ticks) / clock_ticks()
  elapsed <- now() - start
  report(
    client_pct = 100 * used[["client"]] / elapsed,
    workers_pct = 100 * used[["workers"]] / elapsed,
    worker_processes = length(pool)
  )
}

# Runs rounds of 2 short tasks per worker until results have come from
# `workers` distinct processes, so that every worker has been launched and
# has connected before a clock starts. `round` submits the tasks, each
# returning Sys.getpid() after a short sleep that spreads them over the
# workers connected, and returns their results.
warm_up_rounds <- function(round, workers, seconds_timeout) {
  deadline <- now() + seconds_timeout
  seen <- integer(0)
  while (length(seen) < workers) {
    if (now() > deadline) {
      stop(sprintf("%d of %d workers answered within %g s", length(seen), workers, seconds_timeout))
    }
    seen <- union(seen, unlist(round(2L * workers)))
  }
  invisible(seen)
}

# 100 MB as the large-object workloads send it.
large_object <- function(megabytes) as.raw(seq_len(megabytes * 1e6) %% 256L)

# Times `trip(index)` for each index, one trip at a time, and reports the
# median and the 99th percentile in microseconds.
report_round_trips <- function(trips, trip) {
  times <- numeric(trips)
  for (index in seq_len(trips)) {
    start <- now()
    trip(index)
    times[index] <- now() - start
  }
  report(
    median_us = 1e6 * stats::median(times),
    p99_us = 1e6 * unname(stats::quantile(times, 0.99))
  )
}
