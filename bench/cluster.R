# Workers through a scheduler against local workers: start-up time until
# 16 workers are connected, and tasks per second through them, for
# SLURM job arrays over the four nodes of dev/slurm-nodes.sh (each node a
# network namespace, the client on their bridge) and for
# crew_controller_local(), so that the scheduler's share shows:
#
#   Rscript bench/cluster.R [--rounds=3] [--tasks=10000] [--workers=16]
#
# (`make bench-cluster`). Run as root from the source tree, with the
# package installed in the first library of R_LIBS. The SLURM side uses
# the launcher plugin of the tests (tests/testthat/helper-launcher-slurm.R),
# which submits one job array per launch. Both sides use automatic TLS, as
# workers on other machines should. The modes take turns within each
# round; each figure is the median over the rounds. Start-up runs from
# start() and the first push, which launches the workers as it does in a
# pipeline, until every worker has connected; for SLURM it is split at the
# moment squeue first shows every array element running.
# Throughput is walk() of trivial tasks, wait() and collect(), timed once
# every worker is connected.

options(warn = 1)
args <- commandArgs(trailingOnly = TRUE)
option <- function(name, default) {
  hit <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(hit)) sub("^[^=]*=", "", hit[[1L]]) else default
}
rounds <- as.integer(option("rounds", Sys.getenv("ROUNDS", "3")))
tasks <- as.integer(option("tasks", "10000"))
workers <- as.integer(option("workers", "16"))
stopifnot(rounds >= 1L, tasks >= 1L, workers >= 1L)

suppressPackageStartupMessages(library(crew))
for (helper in c("helper-peers.R", "helper-plugins.R", "helper-launcher-slurm.R", "helper-slurm-nodes.R")) {
  source(file.path("tests", "testthat", helper))
}
now <- function() as.numeric(Sys.time())

cluster <- crew_test_slurm_nodes_start(
  tag = "csb",
  net = "10.214.2",
  port = 6947L,
  directory = "/tmp/crew-slurm-nodes-bench",
  nodes = 4L,
  cpus = ceiling(workers / 4L)
)
if (!is.list(cluster)) {
  stop(cluster)
}

# Seconds from the first push of a fresh controller until `workers`
# workers are connected, and for SLURM until squeue first showed every
# element of the launch running. As in a pipeline, the push itself makes
# the controller launch its workers (scale = TRUE, throttle = TRUE): one
# short task per worker, then wait() in short slices as a user's wait()
# would, since a controller's first throttled push launches nothing.
start_up <- function(controller, slurm) {
  start <- now()
  controller$start()
  controller$walk(Sys.sleep(0.5), iterate = list(index = seq_len(workers)), verbose = FALSE)
  running <- NA_real_
  repeat {
    if (controller$client$status()[["connections"]] >= workers) {
      break
    }
    if (slurm && is.na(running)) {
      jobs <- crew_test_slurm_nodes_jobs(controller$launcher$name)
      if (nrow(jobs) == workers && all(jobs$state == "RUNNING")) {
        running <- now() - start
      }
    }
    if (now() - start > 300) {
      stop("workers did not connect within 300 s")
    }
    if (controller$wait(mode = "all", seconds_timeout = 0.02)) {
      Sys.sleep(0.02)
    }
  }
  connected <- now() - start
  if (!controller$wait(mode = "all", seconds_timeout = 60)) {
    stop("the start-up tasks did not finish within 60 s")
  }
  controller$collect()
  c(connected = connected, running = running)
}

throughput <- function(controller) {
  start <- now()
  controller$walk(x, iterate = list(x = seq_len(tasks)), verbose = FALSE)
  if (!controller$wait(mode = "all", seconds_timeout = 600)) {
    stop("tasks did not finish within 600 s")
  }
  out <- controller$collect()
  elapsed <- now() - start
  if (NROW(out) != tasks || !all(out$status == "success")) {
    stop("tasks failed or went missing")
  }
  tasks / elapsed
}

run <- function(mode) {
  tls <- crew_tls(mode = "automatic")
  controller <- if (identical(mode, "slurm")) {
    directory <- tempfile("crew-bench-cluster-")
    dir.create(directory)
    # The plugin's terminate_worker(), which cancels elements still
    # pending, is announced as deprecated.
    suppressMessages(crew_test_slurm_controller(
      directory = directory,
      workers = workers,
      host = cluster$bridge,
      tls = tls,
      class = crew_test_slurm_nodes_launcher_class
    ))
  } else {
    crew_controller_local(workers = workers, tls = tls, seconds_idle = 60)
  }
  on.exit({
    controller$terminate()
    if (identical(mode, "slurm")) {
      crew_test_until(~ !nrow(crew_test_slurm_nodes_jobs(controller$launcher$name)), seconds_timeout = 30)
    }
  })
  times <- start_up(controller, identical(mode, "slurm"))
  if (identical(mode, "slurm")) {
    nodes <- unique(crew_test_slurm_nodes_jobs(controller$launcher$name)$node)
    if (length(nodes) != length(cluster$nodes)) {
      warning("the workers ran on ", length(nodes), " of ", length(cluster$nodes), " nodes")
    }
  }
  c(times, tasks_per_s = throughput(controller))
}

results <- list(local = list(), slurm = list())
tryCatch(
  for (round in seq_len(rounds)) {
    for (mode in c("local", "slurm")) {
      message(sprintf("round %d, %s", round, mode))
      results[[mode]][[round]] <- run(mode)
    }
  },
  finally = crew_test_slurm_nodes_stop(cluster)
)
median_of <- function(mode, field) stats::median(vapply(results[[mode]], `[[`, 0, field))

cat(sprintf(
  "crew cluster benchmark, %s; %d workers, %d tasks, automatic TLS, median of %d rounds\n",
  format(Sys.time(), "%Y-%m-%d %H:%M %Z"), workers, tasks, rounds
))
cat(sprintf("  local: crew_controller_local(); SLURM: job arrays over %d nodes in network namespaces\n\n",
  length(cluster$nodes)))
rows <- data.frame(
  figure = c(
    sprintf("start-up until %d workers connected (s)", workers),
    "  of which sbatch until every element running (s)",
    "  of which running until connected (s)",
    sprintf("tasks per second, %d trivial tasks", tasks)
  ),
  local = c(median_of("local", "connected"), NA, NA, median_of("local", "tasks_per_s")),
  slurm = c(
    median_of("slurm", "connected"),
    median_of("slurm", "running"),
    median_of("slurm", "connected") - median_of("slurm", "running"),
    median_of("slurm", "tasks_per_s")
  )
)
rows$slurm_minus_local <- rows$slurm - rows$local
format_value <- function(x) {
  if (is.na(x)) "" else if (abs(x) >= 100) sprintf("%.0f", x) else sprintf("%.2f", x)
}
cat(sprintf("%-52s %10s %10s %12s\n", "", "local", "SLURM", "SLURM-local"))
for (index in seq_len(nrow(rows))) {
  cat(sprintf(
    "%-52s %10s %10s %12s\n",
    rows$figure[[index]], format_value(rows$local[[index]]), format_value(rows$slurm[[index]]),
    format_value(rows$slurm_minus_local[[index]])
  ))
}
cat("\nper round (connected s, running s, tasks/s):\n")
for (mode in names(results)) {
  for (round in seq_along(results[[mode]])) {
    values <- results[[mode]][[round]]
    cat(sprintf("  %-5s %d: %.2f, %.2f, %.0f\n", mode, round, values[["connected"]], values[["running"]], values[["tasks_per_s"]]))
  }
}
