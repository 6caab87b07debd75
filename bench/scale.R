# How per-task cost and client memory grow with the number of tasks, for
# this package and, side by side, other installed builds of crew:
#
#   Rscript bench/scale.R [--sizes=10000,100000,1000000] [--compare-max=100000]
#     [--out=bench/out] OURS_LIB [OTHER_LIB ...]
#
# (`make bench-scale COMPARE="<lib> <lib>"`). Each size runs in a fresh
# Rscript per build (workloads scale_walk and scale_push of
# bench/workloads.R), on a controller as users make one:
# crew_controller_local(workers = 2) with default arguments, which launches
# its own workers, warmed up with a few tasks until both workers have
# answered. Then walk() of n tasks, wait() and one collect(), all with
# their default scale = TRUE, and the same with a push() loop as targets
# calls it. Other builds run only up to --compare-max tasks, where they
# already take minutes. The 50-worker run (workload many_workers) goes the
# same way, timed once all 50 workers have answered. The floors, measured
# in the same run: the Rust core moving the same number of tasks between
# its own test peers without R (src/rust/core/examples/loopback.rs), and
# R's memory for one integer per task (the data each task carries). Prints
# a table and writes <out>/scale.png: per-task cost and client RSS growth
# per task against the number of tasks.

options(warn = 1)

args <- commandArgs(trailingOnly = TRUE)
option <- function(name, default) {
  hit <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(hit)) sub("^[^=]*=", "", hit[[1]]) else default
}
sizes <- as.integer(strsplit(option("sizes", Sys.getenv("CREW_BENCH_SIZES", "10000,100000,1000000")), ",")[[1]])
compare_max <- as.numeric(option("compare-max", "100000"))
push_max <- as.numeric(option("push-max", "100000"))
libraries <- args[!grepl("^--", args)]
if (!length(libraries)) {
  libraries <- .libPaths()[[1]]
}
libraries <- normalizePath(libraries, mustWork = FALSE)
timeout <- as.numeric(Sys.getenv("CREW_BENCH_TIMEOUT", "1200"))

self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1]])
root <- normalizePath(file.path(dirname(self), ".."))
out_dir <- option("out", file.path(root, "bench", "out"))
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
workloads_file <- file.path(root, "bench", "workloads.R")
rscript <- file.path(R.home("bin"), "Rscript")

run <- function(library, workload, n) {
  out <- suppressWarnings(system2(
    rscript,
    c(shQuote(workloads_file), workload, n),
    stdout = TRUE,
    stderr = FALSE,
    env = paste0("R_LIBS=", shQuote(library)),
    timeout = timeout
  ))
  lines <- grep("^[A-Za-z_0-9]+=", out, value = TRUE)
  stats::setNames(as.numeric(sub("^[^=]*=", "", lines)), sub("=.*$", "", lines))
}

# The Rust core alone moving n tasks (one batch) between `peers` test
# peers: src/rust/core/examples/peers.rs, each peer count taken in turn
# `rounds` times. Returns the median tasks/s and dispatcher CPU per task
# (microseconds) per peer count, as a matrix with one column per count.
core_rates <- function(n, peers, rounds = 3L) {
  manifest <- file.path(root, "src", "rust", "Cargo.toml")
  out <- suppressWarnings(tryCatch(
    system2(
      "cargo",
      c("run", "--quiet", "--release", "--example", "peers", "-p", "crew-core",
        "--manifest-path", shQuote(manifest), "--", "--peers", paste(peers, collapse = ","),
        "--tasks", n, "--rounds", rounds),
      stdout = TRUE
    ),
    error = function(e) character(0)
  ))
  lines <- grep("tasks_per_second=", out, value = TRUE)
  field <- function(name) as.numeric(sub(paste0("^.*", name, "=([0-9.]+).*$"), "\\1", lines))
  counts <- field("peers")
  out <- vapply(peers, function(count) {
    c(
      rate = stats::median(field("tasks_per_second")[counts == count]),
      us = stats::median(field("dispatcher_us_per_task")[counts == count])
    )
  }, c(rate = 0, us = 0))
  out
}

versions <- vapply(libraries, function(library) {
  out <- suppressWarnings(system2(rscript, c(shQuote(workloads_file), "version"), stdout = TRUE,
    stderr = FALSE, env = paste0("R_LIBS=", shQuote(library))))
  line <- grep("^version=", out, value = TRUE)
  if (length(line)) sub("^version=", "", line[[1]]) else "unavailable"
}, "")
labels <- c("ours", versions[-1])

cat(sprintf("crew scale benchmark, %s; x + 1 tasks, 2 local workers\n", format(Sys.time(), "%Y-%m-%d %H:%M %Z")))
for (index in seq_along(libraries)) {
  cat(sprintf("  %-12s crew %-12s %s\n", labels[[index]], versions[[index]], libraries[[index]]))
}

rows <- list()
for (n in sizes) {
  core <- core_rates(n, 2L, rounds = 1L)["rate", 1L]
  for (workload in c("scale_walk", "scale_push")) {
    if (identical(workload, "scale_push") && n > push_max) {
      next
    }
    for (index in seq_along(libraries)) {
      if (index > 1L && n > compare_max) {
        next
      }
      message(sprintf("%s, %s, %d tasks", labels[[index]], workload, n))
      values <- run(libraries[[index]], workload, n)
      field <- function(name) if (name %in% names(values)) values[[name]] else NA_real_
      rows[[length(rows) + 1L]] <- data.frame(
        build = labels[[index]],
        workload = sub("^scale_", "", workload),
        tasks = n,
        submit_s = field("submit_s"),
        wait_s = field("wait_s"),
        collect_s = field("collect_s"),
        total_s = field("total_s"),
        rss_queued_mb = field("rss_queued_mb"),
        peak_rss_mb = field("peak_rss_mb"),
        core_floor_s = n / core
      )
    }
  }
}
table <- do.call(rbind, rows)
table$us_per_task <- 1e6 * table$total_s / table$tasks
table$bytes_per_task <- 2^20 * table$rss_queued_mb / table$tasks

cat("\n")
cat(sprintf("%-10s %-5s %9s %9s %9s %9s %9s %10s %10s %9s %11s\n",
  "build", "how", "tasks", "submit s", "wait s", "collect s", "total s", "us/task", "RSS MB", "B/task", "core floor s"))
for (i in seq_len(nrow(table))) {
  r <- table[i, ]
  cat(sprintf("%-10s %-5s %9d %9.2f %9.2f %9.2f %9.2f %10.1f %10.0f %9.0f %11.2f\n",
    r$build, r$workload, r$tasks, r$submit_s, r$wait_s, r$collect_s, r$total_s,
    r$us_per_task, r$rss_queued_mb, r$bytes_per_task, r$core_floor_s))
}
cat("RSS MB: client RSS growth after submission, 2 workers running (walk keeps the handles it returns); floor for memory: 4 B/task of data\n")
cat("core floor s: the Rust core moving the same number of tasks between 2 of its own test peers, no R\n")

# Dispatch against the number of connected workers: the core alone with
# 8, 100 and 1000 test peers, then 50 real R workers on this machine.
peer_counts <- as.integer(strsplit(option("peers", "8,100,1000"), ",")[[1]])
peer_tasks <- as.integer(option("peer-tasks", "200000"))
rates <- core_rates(peer_tasks, peer_counts)
cat(sprintf("\ncore alone, %d tasks, one dispatcher, median of 3 runs each:\n", peer_tasks))
for (i in seq_along(peer_counts)) {
  cat(sprintf("  %5d peers: %8.0f tasks/s (%3.0f%% of %d peers), dispatcher CPU %.2f us/task\n",
    peer_counts[[i]], rates["rate", i], 100 * rates["rate", i] / rates["rate", 1], peer_counts[[1]],
    rates["us", i]))
}
many <- run(libraries[[1]], "many_workers", 20000L)
cat(sprintf(
  "50 local R workers launched by the controller, 20000 Sys.sleep(0.005) tasks: %.1f s, %d of 50 workers used, %d tasks unresolved, floor %.1f s (sleep alone)\n",
  many[["seconds"]], as.integer(many[["workers_used"]]), as.integer(many[["stranded"]]), 20000 * 0.005 / 50
))

png_path <- file.path(out_dir, "scale.png")
grDevices::png(png_path, width = 1200, height = 520, res = 110)
graphics::par(mfrow = c(1, 2), mar = c(4.5, 4.5, 2.5, 1))
series <- unique(table[, c("build", "workload")])
colors <- grDevices::hcl.colors(max(2L, nrow(series)), "Dark 3")
plot_panel <- function(column, ylab, main) {
  finite <- table[[column]][is.finite(table[[column]]) & table[[column]] > 0]
  graphics::plot(NA, xlim = range(table$tasks), ylim = range(c(finite, 1)), log = "xy",
    xlab = "tasks", ylab = ylab, main = main)
  for (i in seq_len(nrow(series))) {
    s <- table[table$build == series$build[[i]] & table$workload == series$workload[[i]], ]
    graphics::lines(s$tasks, s[[column]], type = "b", pch = 19, col = colors[[i]], lwd = 2)
  }
  graphics::legend("bottomright", legend = paste(series$build, series$workload), col = colors,
    lwd = 2, pch = 19, bty = "n", cex = 0.8)
}
plot_panel("us_per_task", "microseconds per task (submit + wait + collect)", "Per-task cost")
plot_panel("bytes_per_task", "client RSS growth per queued task (bytes)", "Client memory")
invisible(grDevices::dev.off())
utils::write.csv(table, file.path(out_dir, "scale.csv"), row.names = FALSE)
cat(sprintf("plot: %s\ntable: %s\n", png_path, file.path(out_dir, "scale.csv")))
