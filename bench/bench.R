# Benchmarks of a local controller on this machine, for this package and,
# side by side, for any other installed builds of crew and for mirai alone:
#
#   Rscript bench/bench.R [--rounds=N] [--mirai=MIRAI_LIB] OURS_LIB [OTHER_LIB ...]
#
# (`make bench COMPARE="<lib> <lib>" MIRAI=<lib> ROUNDS=3`). Each library is
# an R library holding a package named crew and what it depends on. The
# workloads (bench/workloads.R) use crew as users and targets do: default
# arguments, no start() or launch(), the controller launching its own
# workers; figures other than the cold start are timed once a warm-up has
# every worker connected. Rows marked "shortcut:", at the end of the table,
# are the same figures with start(), launch() and scale = FALSE, which users
# do not call.
#
# MIRAI_LIB, a library holding mirai and nanonext, adds a column for mirai
# on its own (bench/workloads_mirai.R: daemons(), mirai(), call_mirai(),
# mirai_map()), labelled with its version; figures it has no counterpart
# for are NA, and its "library(crew)" is library(mirai).
#
# Every workload runs once per build per round, the builds one after the
# other and each in a fresh Rscript with R_LIBS set to its library, so
# builds never share a process and drifts of the machine spread over all
# of them. Each figure is the median over the rounds.
#
# Floors are printed beside our figures, measured in the same run: R's own
# startup, memory and serialize()/unserialize() of the same objects, and a
# loopback through the Rust core without R (src/rust/core/examples/loopback.rs).

options(warn = 1)

args <- commandArgs(trailingOnly = TRUE)
rounds_arg <- grep("^--rounds=", args, value = TRUE)
rounds <- as.integer(if (length(rounds_arg)) sub("^--rounds=", "", rounds_arg[[1]]) else Sys.getenv("ROUNDS", "3"))
mirai_arg <- grep("^--mirai=", args, value = TRUE)
libraries <- args[!grepl("^--", args)]
if (!length(libraries)) {
  libraries <- .libPaths()[[1]]
}
mirai_library <- sub("^--mirai=", "", utils::head(mirai_arg, 1L))
libraries <- normalizePath(c(libraries, mirai_library), mustWork = FALSE)
# The mirai library, if any, is the last build.
mirai_only <- seq_along(libraries) > length(libraries) - length(mirai_library)
n <- as.integer(Sys.getenv("CREW_BENCH_TASKS", "10000"))
timeout <- as.numeric(Sys.getenv("CREW_BENCH_TIMEOUT", "600"))
stopifnot(!is.na(rounds), rounds >= 1L, !is.na(n), n >= 1L)

self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1]])
root <- normalizePath(file.path(dirname(self), ".."))
workload_files <- file.path(root, "bench", ifelse(mirai_only, "workloads_mirai.R", "workloads.R"))
rscript <- file.path(R.home("bin"), "Rscript")

# Runs one workload in a fresh Rscript for one build and returns its
# `name=value` lines as a named numeric vector: empty, with the end of its
# standard error as attribute "error", when the child fails.
run_workload <- function(index, workload) {
  errors <- tempfile()
  on.exit(unlink(errors))
  out <- suppressWarnings(system2(
    rscript,
    c(shQuote(workload_files[[index]]), workload, n),
    stdout = TRUE,
    stderr = errors,
    env = paste0("R_LIBS=", shQuote(libraries[[index]])),
    timeout = timeout
  ))
  status <- attr(out, "status")
  lines <- grep("^[A-Za-z_0-9]+=", out, value = TRUE)
  values <- sub("^[^=]*=", "", lines)
  names(values) <- sub("=.*$", "", lines)
  if (!is.null(status) && status != 0L) {
    why <- if (status == 124L) sprintf("timed out after %g s (CREW_BENCH_TIMEOUT)", timeout) else
      error_message(readLines(errors, warn = FALSE))
    attr(values, "error") <- sprintf("exit %s: %s", status, why)
  }
  values
}

# R's error from a child's standard error: the "Error" line and the one
# after it, where R puts the message of a long call.
error_message <- function(lines) {
  lines <- setdiff(trimws(lines), c("", "Execution halted"))
  first <- grep("^Error", lines)
  if (length(first)) {
    lines <- lines[first[[1]] + 0:1]
  }
  paste(stats::na.omit(utils::tail(lines, 2L)), collapse = " ")
}

# A failure as one row: which build, which workload, which round, why.
failure <- function(index, workload, round, values) {
  data.frame(build = labels[[index]], workload = workload, round = round, error = attr(values, "error"))
}

# The loopback example of the Rust core, for this package only. A core that
# does not build gives NA floors rather than no benchmark.
core_floors <- function() {
  manifest <- file.path(root, "src", "rust", "Cargo.toml")
  out <- suppressWarnings(tryCatch(
    system2(
      "cargo",
      c("run", "--quiet", "--release", "--example", "loopback", "-p", "crew-core", "--manifest-path", shQuote(manifest)),
      stdout = TRUE
    ),
    error = function(e) character(0)
  ))
  lines <- grep("^[A-Za-z_0-9]+=", out, value = TRUE)
  stats::setNames(sub("^[^=]*=", "", lines), sub("=.*$", "", lines))
}

# The figures, in the order printed. `better` says which way is better, so
# that each ratio reads > 1 when ours is better. `floor` names a floor from
# the floors workload ("floors:"), the core loopback ("core:") or our own
# median of another figure ("ours:").
figures <- list(
  list("push + wait + collect, 2 workers", "tasks/s", "push_collect_2", "tasks_per_s", "higher",
    "core:tasks_per_second", "core loopback, 2 workers"),
  list("push + wait + collect, 1 worker", "tasks/s", "push_collect_1", "tasks_per_s", "higher",
    "core:tasks_per_second", "core loopback, 2 workers"),
  list("map, 2 workers", "s", "map_2", "seconds", "lower",
    "floors:serialize_tasks_s", "R serialize + unserialize of tasks and results"),
  list("map, 1 worker", "s", "map_1", "seconds", "lower",
    "floors:serialize_tasks_s", "R serialize + unserialize of tasks and results"),
  list("round trip, median (1 worker)", "us", "round_trip", "median_us", "lower",
    "core:roundtrip_median_us", "core loopback"),
  list("round trip, p99 (1 worker)", "us", "round_trip", "p99_us", "lower",
    "core:roundtrip_p99_us", "core loopback"),
  list("cold start, 2 workers, first result", "s", "cold_start", "seconds", "lower",
    "floors:rscript_null_s", "Rscript -e 'NULL'"),
  list("push + wait + collect, 2 workers, code sourced with keep.source", "tasks/s",
    "push_collect_2_sourced", "tasks_per_s", "higher",
    "ours:push_collect_2:tasks_per_s", "the same push without source references"),
  list("client CPU, push + wait + collect, 2 workers", "s", "push_collect_2", "client_cpu_s", "lower",
    NA, ""),
  list("client RSS after library(crew)", "MB", "push_collect_2", "rss_library_mb", "lower",
    "floors:rss_bare_mb", "RSS of a bare R process"),
  # The peak also holds R's byte compiler, which the workload's own
  # functions load in every build alike.
  list("client peak RSS after 2-worker run", "MB", "push_collect_2", "peak_rss_mb", "lower",
    "floors:rss_bare_mb", "RSS of a bare R process"),
  list("idle CPU, client (10 s, 2 workers)", "% core", "idle", "client_pct", "lower",
    NA, "goal <= 1 % core"),
  list("idle CPU, worker processes together", "% core", "idle", "workers_pct", "lower",
    NA, "goal <= 1 % core"),
  list("map, 2 workers, automatic TLS", "s", "map_2_tls", "seconds", "lower",
    "ours:map_2:seconds", "the same map without TLS"),
  list("100 MB in and out", "MB/s", "large", "mb_per_s", "higher",
    "floors:serialize_large_mb_per_s", "R serialize + unserialize"),
  list("100 MB in (small result)", "MB/s", "large", "in_mb_per_s", "higher",
    "floors:serialize_large_mb_per_s", "R serialize + unserialize"),
  list("100 MB out (small task, run time excluded)", "MB/s", "large", "out_mb_per_s", "higher",
    "floors:serialize_large_mb_per_s", "R serialize + unserialize"),
  list("client peak RSS, 100 MB in and out", "MB", "large", "peak_rss_mb", "lower",
    NA, "above RSS before the object; goal <= 350 MB"),
  list("100 MB in and out, automatic TLS", "MB/s", "large_tls", "mb_per_s", "higher",
    "ours:large:mb_per_s", "the same transfer without TLS"),
  list("100 MB in, automatic TLS", "MB/s", "large_tls", "in_mb_per_s", "higher",
    "ours:large:in_mb_per_s", "the same transfer without TLS"),
  list("100 MB out, automatic TLS", "MB/s", "large_tls", "out_mb_per_s", "higher",
    "ours:large:out_mb_per_s", "the same transfer without TLS"),
  list("shortcut: push + wait + collect, 2 workers, scale = FALSE, launched explicitly", "tasks/s",
    "push_collect_2_explicit", "tasks_per_s", "higher",
    "core:tasks_per_second", "core loopback, 2 workers"),
  list("shortcut: round trip, median, scale = FALSE, launched explicitly", "us", "round_trip_explicit", "median_us", "lower",
    "core:roundtrip_median_us", "core loopback"),
  list("shortcut: round trip, p99, scale = FALSE, launched explicitly", "us", "round_trip_explicit", "p99_us", "lower",
    "core:roundtrip_p99_us", "core loopback"),
  list("core loopback 100 MB in and out", "MB/s", NA_character_, NA_character_, "higher",
    NA, "")
)
figures <- lapply(figures, stats::setNames, c("what", "unit", "workload", "field", "better", "floor", "floor_what"))
workloads <- unique(stats::na.omit(vapply(figures, `[[`, "", "workload")))

started <- Sys.time()
# Versions first: they label the columns and show a library that cannot
# load crew before any time is spent on it.
version_runs <- lapply(seq_along(libraries), run_workload, workload = "version")
versions <- vapply(version_runs, function(version) {
  if ("version" %in% names(version)) version[["version"]] else "unavailable"
}, "")
packages <- ifelse(mirai_only, "mirai", "crew")
# Builds of one version are told apart by their place on the command line.
labels <- c("ours", ifelse(mirai_only, paste("mirai", versions), versions)[-1])
same <- (duplicated(labels) | duplicated(labels, fromLast = TRUE)) & seq_along(labels) > 1L
labels[same] <- paste0(labels[same], "#", which(same) - 1L)

cat(sprintf("crew benchmark, %s\n", format(Sys.time(), "%Y-%m-%d %H:%M %Z")))
cat(sprintf("%d trivial tasks (x + 1) per throughput figure; median of %d interleaved round(s), each build in fresh Rscript processes\n", n, rounds))
cat("crew: crew_controller_local(workers = w) with default arguments, launching its own workers; timed after a warm-up unless cold start\n")
for (index in seq_along(libraries)) {
  cat(sprintf("  %-12s %-5s %-12s %s\n", labels[[index]], packages[[index]], versions[[index]], libraries[[index]]))
}
if (length(libraries) > 1L) {
  cat("ratio: ours against the build to its left, > 1 means ours is better (higher rate, or less time, CPU or memory)\n")
}
cat("\n")

# results[[build]][[workload]][[round]] holds what that child printed.
per_workload <- stats::setNames(rep(list(vector("list", rounds)), length(workloads)), workloads)
results <- rep(list(per_workload), length(libraries))
failures <- NULL
for (index in seq_along(libraries)) {
  if (!is.null(attr(version_runs[[index]], "error"))) {
    failures <- rbind(failures, failure(index, "version", 0L, version_runs[[index]]))
  }
}
floor_rounds <- list()
for (round in seq_len(rounds)) {
  round_started <- Sys.time()
  floors <- run_workload(1L, "floors")
  core <- core_floors()
  floor_rounds[[round]] <- c(
    stats::setNames(floors, paste0("floors:", names(floors))),
    stats::setNames(core, paste0("core:", names(core)))
  )
  for (workload in workloads) {
    for (index in seq_along(libraries)) {
      values <- run_workload(index, workload)
      if (!is.null(attr(values, "error"))) {
        failures <- rbind(failures, failure(index, workload, round, values))
      }
      results[[index]][[workload]][[round]] <- values
    }
  }
  message(sprintf("round %d of %d done in %.0f s", round, rounds, difftime(Sys.time(), round_started, units = "secs")))
}

median_of <- function(per_round, field) {
  values <- vapply(per_round, function(values) {
    if (field %in% names(values)) suppressWarnings(as.numeric(values[[field]])) else NA_real_
  }, 0)
  if (all(is.na(values))) NA_real_ else stats::median(values, na.rm = TRUE)
}

figure_value <- function(index, figure) {
  if (is.na(figure$workload)) {
    return(NA_real_)
  }
  median_of(results[[index]][[figure$workload]], figure$field)
}

floor_value <- function(figure) {
  if (is.na(figure$floor)) {
    return(NA_real_)
  }
  if (startsWith(figure$floor, "ours:")) {
    parts <- strsplit(figure$floor, ":", fixed = TRUE)[[1]]
    return(median_of(results[[1]][[parts[[2]]]], parts[[3]]))
  }
  median_of(floor_rounds, figure$floor)
}

format_value <- function(x) {
  if (is.na(x)) "NA" else formatC(x, digits = 4, format = "fg")
}

format_ratio <- function(ours, theirs, better) {
  ratio <- if (better == "higher") ours / theirs else theirs / ours
  # A figure of 0 (idle CPU under one clock tick) makes the ratio 0 or
  # infinite; both of 0 makes it no ratio at all.
  if (is.na(ratio)) "-" else if (is.infinite(ratio)) "inf" else sprintf("%.2f", ratio)
}

what_width <- max(nchar(vapply(figures, `[[`, "", "what")))
value_width <- max(10L, nchar(labels))
columns <- sprintf("%-*s %-7s %10s %10s", what_width, "figure", "unit", "ours", "floor")
for (label in labels[-1]) {
  columns <- paste(columns, sprintf(" | %*s %6s", value_width, label, "ratio"))
}
cat(columns, "  floor is\n", sep = "")
for (figure in figures) {
  ours <- figure_value(1L, figure)
  if (is.na(figure$workload)) {
    # The core's own transfer rate, a figure without a crew workload.
    ours <- median_of(floor_rounds, "core:large_mb_per_second")
  }
  floor <- floor_value(figure)
  row <- sprintf("%-*s %-7s %10s %10s", what_width, figure$what, figure$unit, format_value(ours),
    if (is.na(floor)) "" else format_value(floor))
  for (index in seq_along(libraries)[-1]) {
    if (is.na(figure$workload)) {
      row <- paste(row, sprintf(" | %*s %6s", value_width, "", ""))
      next
    }
    theirs <- figure_value(index, figure)
    row <- paste(row, sprintf(" | %*s %6s", value_width, format_value(theirs), format_ratio(ours, theirs, figure$better)))
  }
  cat(row, "  ", figure$floor_what, "\n", sep = "")
}
# One line per build and error, listing the workloads that failed with it.
if (!is.null(failures)) {
  cat("\nfailed workloads (NA above, or the median of the rounds that ran; every round unless said):\n")
  for (group in split(failures, list(failures$build, failures$error), drop = TRUE)) {
    counts <- table(factor(group$workload, unique(group$workload)))
    cat(sprintf("  %s: %s\n    %s\n", group$build[[1]],
      paste(ifelse(names(counts) == "version" | counts == rounds, names(counts),
        sprintf("%s (%d of %d rounds)", names(counts), counts, rounds)), collapse = ", "),
      group$error[[1]]))
  }
}
cat(sprintf("\nrun took %.0f s\n", difftime(Sys.time(), started, units = "secs")))
