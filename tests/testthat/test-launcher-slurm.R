# Covers R/crew_launcher.R, R/launcher_methods.R and
# R/launcher_unconnected.R with a real SLURM plugin.
#
# The launcher plugin interface on a real single-node SLURM cluster, with
# the plugin of helper-launcher-slurm.R. The cluster starts once for this
# file and stops when the test run ends. Each test prints how long recovery
# or cleanup took.

# The project's own one-node cluster (dev/slurm-cluster.sh), with its
# state in a directory of this test run.
crew_test_slurm_script <- function() {
  normalizePath(testthat::test_path("..", "..", "dev", "slurm-cluster.sh"), mustWork = FALSE)
}

# Starts the cluster and says why it could not, or NULL when it runs.
crew_test_slurm_start <- function() {
  if (!identical(Sys.getenv("NOT_CRAN"), "true")) {
    return("SLURM tests run only with NOT_CRAN=true")
  }
  if (.Platform$OS.type != "unix" || !identical(Sys.info()[["effective_user"]], "root")) {
    return("the single-node SLURM cluster must be started by root on Unix")
  }
  script <- crew_test_slurm_script()
  if (!file.exists(script)) {
    return(paste("the SLURM script", script, "does not exist"))
  }
  state <- file.path(tempdir(), "slurm")
  env <- c(paste0("CREW_SLURM_DIR=", state))
  output <- tryCatch(
    suppressWarnings(system2("bash", c(shQuote(script), "start"), stdout = TRUE, stderr = TRUE, env = env)),
    error = function(condition) structure(conditionMessage(condition), status = 1L)
  )
  if (!is.null(attr(output, "status"))) {
    return(paste(c(paste(script, "start failed:"), utils::tail(output, 5L)), collapse = " "))
  }
  conf <- sub("^SLURM_CONF=", "", grep("^SLURM_CONF=", output, value = TRUE))
  if (length(conf) != 1L) {
    return(paste(c(paste(script, "gave no SLURM_CONF:"), utils::tail(output, 5L)), collapse = " "))
  }
  # sbatch, squeue and scancel of the plugin, and the jobs they start,
  # find the cluster through this variable.
  withr::local_envvar(SLURM_CONF = conf, .local_envir = testthat::teardown_env())
  withr::defer(
    system2("bash", c(shQuote(script), "stop"), stdout = FALSE, stderr = FALSE, env = env),
    envir = testthat::teardown_env()
  )
  NULL
}

crew_test_slurm_unavailable <- crew_test_slurm_start()

crew_test_slurm_skip <- function() {
  if (!is.null(crew_test_slurm_unavailable)) {
    testthat::skip(crew_test_slurm_unavailable)
  }
}

crew_test_seconds_since <- function(start) {
  as.numeric(difftime(Sys.time(), start, units = "secs"))
}

# Prints the seconds since `start` under a label, and returns them.
crew_test_slurm_report <- function(label, start) {
  seconds <- crew_test_seconds_since(start)
  cat(sprintf("\n[slurm] %s: %.2f s\n", label, seconds))
  invisible(seconds)
}

# Jobs in the queue whose names a launcher gave them: job ID (one per array
# element), array job ID, state.
crew_test_slurm_jobs <- function(launcher_name) {
  lines <- system2("squeue", c("-h", "-o", shQuote("%A|%F|%j|%T")), stdout = TRUE)
  fields <- strsplit(lines, "|", fixed = TRUE)
  field <- function(index) vapply(fields, function(x) x[[index]], character(1L))
  jobs <- data.frame(job = field(1L), array = field(2L), name = field(3L), state = field(4L))
  jobs[startsWith(jobs$name, paste0("crew-worker-", launcher_name, "-")), , drop = FALSE]
}

crew_test_slurm_gone <- function(launcher_name, seconds_timeout = 10) {
  crew_test_until(
    ~ nrow(crew_test_slurm_jobs(launcher_name)) == 0L,
    seconds_timeout = seconds_timeout,
    seconds_interval = 0.1
  )
}

# Cancel what a test left behind and wait until the queue is free of it, so
# that the next test finds both CPUs of the node idle.
crew_test_slurm_cleanup <- function(controller) {
  controller$terminate()
  jobs <- crew_test_slurm_jobs(controller$launcher$name)$job
  if (length(jobs)) {
    system2("scancel", jobs)
  }
  crew_test_slurm_gone(controller$launcher$name, seconds_timeout = 20)
}

crew_test_slurm_directory <- function() {
  directory <- tempfile("crew-slurm-")
  dir.create(directory)
  directory
}

crew_test("slurm: 20 tasks over a job array of 2 workers, each with its job ID", {
  crew_test_slurm_skip()
  controller <- crew_test_slurm_controller(
    directory = crew_test_slurm_directory(),
    workers = 2L,
    tls = crew_tls(mode = "automatic")
  )
  on.exit(crew_test_slurm_cleanup(controller))
  start <- Sys.time()
  controller$walk(
    {
      Sys.sleep(0.25)
      Sys.getenv("SLURM_JOB_ID")
    },
    iterate = list(x = seq_len(20L)),
    verbose = FALSE
  )
  expect_true(controller$wait(mode = "all", seconds_timeout = 60))
  crew_test_slurm_report("20 tasks over 2 workers, from submission to last result", start)
  out <- controller$collect()
  expect_equal(nrow(out), 20L)
  expect_true(all(out$status == "success"))
  ids <- unlist(out$result)
  expect_true(all(grepl("^[0-9]+$", ids)))
  expect_length(unique(ids), 2L)
  # Both workers came from one array submission, still running as its
  # elements.
  handle <- controller$launcher$launches$handle[[1L]]
  expect_false(is.na(handle$job))
  script <- readLines(handle$script)
  expect_true("#SBATCH --array=1-2" %in% script)
  jobs <- crew_test_slurm_jobs(controller$launcher$name)
  expect_setequal(jobs$job, unique(ids))
  expect_true(all(jobs$array == handle$job))
  # The job script holds everything the worker needed: the call string with
  # the address, the certificate and the credential.
  call <- script[[length(script)]]
  expect_true(grepl(controller$client$url, call, fixed = TRUE))
  expect_true(grepl("BEGIN CERTIFICATE", call, fixed = TRUE))
  expect_true(grepl("credential = \"crew1-", call, fixed = TRUE))
})

crew_test("slurm: a cancelled busy job gives a crash, and the retry runs on a new job", {
  crew_test_slurm_skip()
  directory <- crew_test_slurm_directory()
  controller <- crew_test_slurm_controller(directory = directory, workers = 1L)
  on.exit(crew_test_slurm_cleanup(controller))
  marker <- file.path(directory, "first-attempt")
  # The first attempt records its job and hangs; a retry returns at once.
  command <- quote({
    job <- Sys.getenv("SLURM_JOB_ID")
    if (!file.exists(marker)) {
      writeLines(job, marker)
      Sys.sleep(120)
    }
    job
  })
  push <- function() {
    controller$push(
      command = command,
      substitute = FALSE,
      data = list(marker = marker),
      name = "task",
      throttle = FALSE
    )
  }
  push()
  expect_true(crew_test_until(~ file.exists(marker), seconds_timeout = 60))
  first <- readLines(marker)
  # A single worker is a single job, submitted through launch_worker().
  script <- readLines(controller$launcher$launches$handle[[1L]][[1L]]$script)
  expect_false(any(startsWith(script, "#SBATCH --array")))
  start <- Sys.time()
  system2("scancel", first)
  expect_true(controller$wait(seconds_timeout = 30))
  crashed <- crew_test_pop(controller)
  crew_test_slurm_report("scancel of a busy job until its crash row", start)
  expect_equal(crashed$name, "task")
  expect_equal(crashed$status, "crash")
  expect_identical(crashed$code, 19L)
  expect_equal(controller$crashes(name = "task"), 1L)
  push()
  expect_true(controller$wait(seconds_timeout = 60))
  retried <- crew_test_pop(controller)
  crew_test_slurm_report("scancel of a busy job until the retried result", start)
  expect_equal(retried$name, "task")
  expect_equal(retried$status, "success")
  expect_false(identical(retried$result[[1L]], first))
})

crew_test("slurm: terminate() ends every job within 10 seconds", {
  crew_test_slurm_skip()
  controller <- crew_test_slurm_controller(
    directory = crew_test_slurm_directory(),
    workers = 2L
  )
  on.exit(crew_test_slurm_cleanup(controller))
  controller$walk(Sys.sleep(120), iterate = list(x = 1:2), verbose = FALSE)
  busy <- crew_test_until(
    function() {
      controller$scale(throttle = FALSE)
      controller$client$status()[["executing"]] == 2L
    },
    seconds_timeout = 60
  )
  expect_true(busy)
  expect_equal(sum(crew_test_slurm_jobs(controller$launcher$name)$state == "RUNNING"), 2L)
  start <- Sys.time()
  controller$terminate()
  expect_true(crew_test_slurm_gone(controller$launcher$name, seconds_timeout = 10))
  crew_test_slurm_report("terminate() until squeue shows no job", start)
})

crew_test("slurm: when the client is killed with SIGKILL, every job ends within 10 seconds", {
  crew_test_slurm_skip()
  directory <- crew_test_slurm_directory()
  name <- crew_random_name(n = 4L)
  ready <- file.path(directory, "ready")
  script <- file.path(directory, "client.R")
  helpers <- normalizePath(testthat::test_path(c("helper-plugins.R", "helper-launcher-slurm.R")))
  writeLines(
    c(
      "library(crew)",
      sprintf("source(%s)", vapply(helpers, deparse, "")),
      sprintf(
        "controller <- crew_test_slurm_controller(directory = %s, name = %s, workers = 2L)",
        deparse(directory),
        deparse(name)
      ),
      "controller$start()",
      "controller$walk(Sys.sleep(120), iterate = list(x = 1:2), verbose = FALSE)",
      "while (controller$client$status()[['executing']] < 2L) {",
      "  controller$scale(throttle = FALSE)",
      "  Sys.sleep(0.1)",
      "}",
      sprintf("writeLines('ready', %s)", deparse(ready)),
      "Sys.sleep(600)"
    ),
    script
  )
  client <- processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("--no-save", "--no-restore", script),
    stdout = file.path(directory, "client.log"),
    stderr = "2>&1",
    cleanup = TRUE
  )
  on.exit({
    client$kill()
    jobs <- crew_test_slurm_jobs(name)$job
    if (length(jobs)) system2("scancel", jobs)
    crew_test_slurm_gone(name, seconds_timeout = 20)
  })
  expect_true(crew_test_until(~ file.exists(ready), seconds_timeout = 60))
  expect_equal(sum(crew_test_slurm_jobs(name)$state == "RUNNING"), 2L)
  start <- Sys.time()
  client$signal(tools::SIGKILL)
  expect_true(crew_test_until(~ !client$is_alive(), seconds_timeout = 5))
  expect_true(crew_test_slurm_gone(name, seconds_timeout = 10))
  crew_test_slurm_report("client SIGKILL until squeue shows no job", start)
})

# The first launch sits pending (held) and the second is refused by sbatch
# (an impossible memory request); only the third starts.
crew_test_slurm_sabotage_class <- R6::R6Class(
  classname = "crew_test_slurm_sabotage_launcher",
  inherit = crew_test_slurm_launcher_class,
  public = list(
    sabotage = list("--hold", "--mem=10000000"),
    launch_worker = function(call) {
      options <- c(self$options, unlist(self$sabotage[1L]))
      self$sabotage <- self$sabotage[-1L]
      self$submit(call = call, n = 1L, options = options)
    }
  )
)

crew_test("slurm: pending and refused jobs fail after seconds_launch and are replaced", {
  crew_test_slurm_skip()
  seconds_launch <- 4
  controller <- crew_test_slurm_controller(
    directory = crew_test_slurm_directory(),
    workers = 1L,
    seconds_launch = seconds_launch,
    class = crew_test_slurm_sabotage_class
  )
  on.exit(crew_test_slurm_cleanup(controller))
  launcher <- controller$launcher
  start <- Sys.time()
  controller$push(Sys.getenv("SLURM_JOB_ID"), name = "task", throttle = FALSE)
  # A launch that cannot start does not make wait() hang.
  expect_false(controller$wait(seconds_timeout = 1))
  expect_lt(crew_test_seconds_since(start), 3)
  pending <- launcher$launches$handle[[1L]][[1L]]
  expect_equal(crew_test_slurm_jobs(launcher$name)$state, "PENDING")
  expect_true(controller$wait(seconds_timeout = 60))
  seconds <- crew_test_slurm_report("two failed launches until the task ran on a third job", start)
  expect_gte(seconds, 2 * seconds_launch)
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  expect_equal(launcher$failed, 2L)
  handles <- unlist(launcher$launches$handle, recursive = FALSE)
  jobs <- vapply(handles, function(handle) handle$job, character(1L))
  refused <- handles[is.na(jobs)]
  expect_length(refused, 1L)
  expect_true(any(grepl("Memory specification", refused[[1L]]$output, fixed = TRUE)))
  expect_equal(out$result[[1L]], jobs[length(jobs)])
  # The held job is still in the queue: a plugin's jobs outlive failed
  # launches unless something cancels them.
  queue <- crew_test_slurm_jobs(launcher$name)
  expect_equal(queue$state[queue$job == pending$job], "PENDING")
})

# A plugin that still has terminate_worker() (as plugins for crew before
# 1.0 did) gets the handle of every launch that never connected when the
# controller terminates, so a job still queued is cancelled.
crew_test_slurm_held_class <- R6::R6Class(
  classname = "crew_test_slurm_held_launcher",
  inherit = crew_test_slurm_launcher_class,
  public = list(
    launch_worker = function(call) {
      self$submit(call = call, n = 1L, options = c(self$options, "--hold"))
    },
    terminate_worker = function(handle) {
      system2("scancel", handle$job)
    }
  )
)

crew_test("slurm: terminate() cancels held jobs through terminate_worker()", {
  crew_test_slurm_skip()
  controller <- crew_test_slurm_controller(
    directory = crew_test_slurm_directory(),
    workers = 1L,
    seconds_launch = 2,
    class = crew_test_slurm_held_class
  )
  on.exit(crew_test_slurm_cleanup(controller))
  launcher <- controller$launcher
  controller$push(TRUE, name = "task", throttle = FALSE)
  # The first launch expires and is replaced: two held jobs, one past its
  # launch window.
  expect_true(crew_test_until(
    function() {
      controller$scale(throttle = FALSE)
      nrow(crew_test_slurm_jobs(launcher$name)) == 2L
    },
    seconds_timeout = 30
  ))
  expect_equal(crew_test_slurm_jobs(launcher$name)$state, c("PENDING", "PENDING"))
  start <- Sys.time()
  controller$terminate()
  expect_true(crew_test_slurm_gone(launcher$name, seconds_timeout = 10))
  crew_test_slurm_report("held jobs gone from squeue after terminate()", start)
})

crew_test("slurm: a job array whose second element never connects is topped up", {
  crew_test_slurm_skip()
  directory <- crew_test_slurm_directory()
  seconds_launch <- 5
  controller <- crew_test_slurm_controller(
    directory = directory,
    workers = 2L,
    seconds_launch = seconds_launch,
    script_lines = "[ \"${SLURM_ARRAY_TASK_ID:-1}\" = 1 ] || exit 3"
  )
  on.exit(crew_test_slurm_cleanup(controller))
  launcher <- controller$launcher
  go <- file.path(directory, "go")
  command <- quote({
    while (!file.exists(go)) Sys.sleep(0.1)
    Sys.getenv("SLURM_JOB_ID")
  })
  start <- Sys.time()
  for (name in c("a", "b")) {
    controller$push(
      command = command,
      substitute = FALSE,
      data = list(go = go),
      name = name,
      scale = FALSE
    )
  }
  # Snapshots taken right after each scale, while the array is young.
  early <- list()
  busy <- crew_test_until(
    function() {
      controller$scale(throttle = FALSE)
      status <- controller$client$status()
      age <- now() - launcher$launches$start[[1L]]
      if (status[["connections"]] == 1L && age < seconds_launch - 0.5) {
        snapshot <- c(failed = launcher$failed, total = max(launcher$launches$total))
        early[[length(early) + 1L]] <<- snapshot
      }
      status[["executing"]] == 2L
    },
    seconds_timeout = 60
  )
  expect_true(busy)
  crew_test_slurm_report("array with a dead element until both tasks ran", start)
  # While the array was within seconds_launch, its dead element still
  # counted as starting, so nothing more was launched.
  expect_gt(length(early), 0L)
  early <- do.call(rbind, early)
  expect_true(all(early[, "failed"] == 0L))
  expect_true(all(early[, "total"] == 2L))
  expect_equal(launcher$failed, 1L)
  expect_equal(max(launcher$launches$total), 3L)
  expect_equal(controller$client$status()[["connections"]], 2L)
  file.create(go)
  expect_true(controller$wait(mode = "all", seconds_timeout = 30))
  out <- controller$collect()
  expect_equal(out$status, c("success", "success"))
  expect_length(unique(unlist(out$result)), 2L)
})
