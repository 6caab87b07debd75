# Covers R/crew_launcher.R, R/crew_client.R, R/utils_host.R and
# R/crew_status.R with workers on the nodes of a real SLURM cluster.
#
# Four nodes, each a slurmd in network and UTS namespaces of its own behind
# a bridge (dev/slurm-nodes.sh, through helper-slurm-nodes.R); the
# controller listens on the bridge, given by its interface name, with
# automatic TLS, and submits its workers as job arrays through the SLURM
# plugin of helper-launcher-slurm.R. The cluster starts once for this file,
# after the leftovers of its tag are removed, and stops after its last test
# (or at the end of the run, should the file stop early). Each test prints
# how long its steps took.

crew_test_slurm_nodes_cluster <- crew_test_slurm_nodes_start(
  tag = "cst",
  net = "10.214.0",
  port = 6957L,
  # Not in tempdir(), which only root may enter: munged, run as its own
  # user, keeps its socket there.
  directory = "/tmp/crew-slurm-nodes-test"
)
if (is.list(crew_test_slurm_nodes_cluster)) {
  withr::defer(
    crew_test_slurm_nodes_stop(crew_test_slurm_nodes_cluster),
    envir = testthat::teardown_env()
  )
}

crew_test_slurm_nodes_skip <- function() {
  cluster <- crew_test_slurm_nodes_cluster
  if (!is.list(cluster)) {
    testthat::skip(cluster)
  }
  cluster
}

crew_test_slurm_nodes_report <- function(label, start) {
  seconds <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  cat(sprintf("\n[slurm nodes] %s: %.2f s\n", label, seconds))
  invisible(seconds)
}

crew_test_slurm_nodes_controller <- function(cluster, workers, ..., class = crew_test_slurm_nodes_launcher_class) {
  directory <- tempfile("crew-slurm-nodes-")
  dir.create(directory)
  crew_test_slurm_controller(
    directory = directory,
    workers = workers,
    host = cluster$bridge,
    tls = crew_tls(mode = "automatic"),
    class = class,
    ...
  )
}

crew_test_slurm_nodes_connected <- function(controller, n, seconds_timeout = 60) {
  crew_test_until(
    ~ controller$client$status()[["connections"]] >= n,
    seconds_timeout = seconds_timeout,
    seconds_interval = 0.05
  )
}

# Nothing of a launcher left: no job in the queue, no process in a node's
# namespace but its slurmd.
crew_test_slurm_nodes_gone <- function(cluster, controller, seconds_timeout) {
  crew_test_until(
    function() {
      !nrow(crew_test_slurm_nodes_jobs(controller$launcher$name)) &&
        !length(crew_test_slurm_nodes_processes(cluster))
    },
    seconds_timeout = seconds_timeout,
    seconds_interval = 0.1
  )
}

crew_test_slurm_nodes_cleanup <- function(cluster, controller) {
  controller$terminate()
  jobs <- crew_test_slurm_nodes_jobs(controller$launcher$name)$job
  if (length(jobs)) {
    system2("scancel", jobs)
  }
  crew_test_slurm_nodes_gone(cluster, controller, seconds_timeout = 20)
}

crew_test_slurm_nodes_usage <- function() {
  invisible(gc())
  status <- readLines("/proc/self/status")
  field <- function(name) as.numeric(gsub("[^0-9]", "", grep(paste0("^", name, ":"), status, value = TRUE)))
  c(
    fds = length(list.files("/proc/self/fd")),
    threads = field("Threads"),
    rss_mb = field("VmRSS") / 1024,
    heap_mb = sum(gc()[, 2L])
  )
}

# Pushes tasks t1 .. tn, each returning its index and the node it ran on
# after `seconds`, and collects until every task has a row that is not a
# crash, pushing each crashed task again under its name. `during(done)`
# runs between collections with the number of tasks finished. Returns the
# final rows in task order, with the number of crash rows and of pushes.
crew_test_slurm_nodes_tasks <- function(controller, n, seconds, during = function(done) NULL, seconds_timeout = 120) {
  # Without the source references that testthat keeps: they would carry
  # this whole file, parse data included, in every task (250 kB each).
  command <- removeSource(quote({
    Sys.sleep(seconds)
    list(index = index, node = Sys.getenv("SLURMD_NODENAME"))
  }))
  push <- function(index) {
    controller$push(
      command = command,
      substitute = FALSE,
      data = list(index = index, seconds = seconds),
      name = paste0("t", index)
    )
  }
  for (index in seq_len(n)) push(index)
  pushes <- n
  crashes <- list()
  final <- vector("list", n)
  rows <- integer(n)
  deadline <- Sys.time() + seconds_timeout
  while (any(rows == 0L) && Sys.time() < deadline) {
    out <- controller$collect(error = "silent")
    if (!is.null(out)) {
      index <- as.integer(substring(out$name, 2L))
      crashed <- out$status == "crash"
      crashes[[length(crashes) + 1L]] <- out[crashed, , drop = FALSE]
      for (row in which(!crashed)) {
        rows[[index[[row]]]] <- rows[[index[[row]]]] + 1L
        final[[index[[row]]]] <- out[row, , drop = FALSE]
      }
      for (again in index[crashed]) {
        push(again)
        pushes <- pushes + 1L
      }
    }
    during(sum(rows > 0L))
    Sys.sleep(0.02)
  }
  list(
    rows = rows,
    final = do.call(rbind, final),
    crashes = do.call(rbind, crashes),
    pushes = pushes
  )
}

crew_test("slurm nodes: a job array of 16 workers over 4 nodes runs 4,000 tasks, each once", {
  cluster <- crew_test_slurm_nodes_skip()
  controller <- crew_test_slurm_nodes_controller(cluster, workers = 16L)
  on.exit(crew_test_slurm_nodes_cleanup(cluster, controller))
  start <- Sys.time()
  controller$start()
  # The bridge, given by its name, is where the workers dial.
  expect_match(controller$client$url, paste0("//", cluster$address, ":"), fixed = TRUE)
  controller$launch(n = 16L)
  expect_true(crew_test_slurm_nodes_connected(controller, 16L))
  crew_test_slurm_nodes_report("16 workers from sbatch until all connected", start)
  handle <- controller$launcher$launches$handle[[1L]]
  expect_true("#SBATCH --array=1-16" %in% readLines(handle$script))
  jobs <- crew_test_slurm_nodes_jobs(controller$launcher$name)
  expect_equal(nrow(jobs), 16L)
  expect_true(all(jobs$array == handle$job))
  expect_setequal(jobs$node, cluster$nodes)
  start <- Sys.time()
  controller$walk(
    list(
      index = index,
      node = Sys.getenv("SLURMD_NODENAME"),
      host = Sys.info()[["nodename"]],
      net = Sys.readlink("/proc/self/ns/net")
    ),
    iterate = list(index = seq_len(4000L)),
    verbose = FALSE
  )
  expect_true(controller$wait(mode = "all", seconds_timeout = 120))
  out <- controller$collect()
  crew_test_slurm_nodes_report("4,000 tasks over 16 workers", start)
  expect_equal(nrow(out), 4000L)
  expect_equal(anyDuplicated(out$name), 0L)
  expect_true(all(out$status == "success"))
  values <- out$result
  expect_equal(sort(vapply(values, `[[`, 0L, "index")), seq_len(4000L))
  nodes <- vapply(values, `[[`, "", "node")
  expect_setequal(unique(nodes), cluster$nodes)
  cat("\n[slurm nodes] tasks per node:", paste(names(table(nodes)), table(nodes), collapse = ", "), "\n")
  # Each ran in its node's network namespace.
  inodes <- system2("stat", c("-L", "-c", "%i", file.path("/run/netns", cluster$namespaces)), stdout = TRUE)
  namespaces <- stats::setNames(paste0("net:[", inodes, "]"), cluster$nodes)
  expect_equal(unname(vapply(values, `[[`, "", "net")), unname(namespaces[nodes]))
  # Each node has a UTS namespace of its own, so the host name a worker
  # sees, and sends the controller, is its node's.
  expect_equal(vapply(values, `[[`, "", "host"), nodes)
  status <- crew_status(controller)
  expect_equal(nrow(status), 16L)
  expect_true(all(status$state %in% c("idle", "running")))
  expect_setequal(status$host, cluster$nodes)
  expect_equal(as.vector(table(status$host)), rep(4L, 4L))
  expect_equal(sum(status$tasks_done), 4000L)
})

crew_test("slurm nodes: a node lost mid-run gives crash rows, retried on the others, each task once", {
  cluster <- crew_test_slurm_nodes_skip()
  lost <- 3L
  controller <- crew_test_slurm_nodes_controller(cluster, workers = 16L, crashes_max = 5L)
  # The node comes back first: until slurmctld learns that it died, the
  # jobs it ran stay in the queue.
  on.exit({
    controller$terminate()
    crew_test_slurm_nodes_run(cluster, "revive-node", lost)
    crew_test_slurm_nodes_cleanup(cluster, controller)
  })
  controller$start()
  controller$launch(n = 16L)
  expect_true(crew_test_slurm_nodes_connected(controller, 16L))
  # A first round warms the client up before its usage is taken.
  warm <- crew_test_slurm_nodes_tasks(controller, 160L, 0.01)
  expect_true(all(warm$rows == 1L))
  before <- crew_test_slurm_nodes_usage()
  start <- Sys.time()
  killed <- NULL
  n <- 1600L
  result <- crew_test_slurm_nodes_tasks(
    controller,
    n,
    seconds = 0.05,
    during = function(done) {
      if (is.null(killed) && done >= n / 4L) {
        crew_test_slurm_nodes_run(cluster, "kill-node", lost)
        killed <<- Sys.time()
      }
    }
  )
  crew_test_slurm_nodes_report("1,600 tasks with a node lost after 400", start)
  expect_false(is.null(killed))
  # Every task has exactly one row that is not a crash, and a success.
  expect_equal(result$rows, rep(1L, n))
  expect_true(all(result$final$status == "success"))
  expect_equal(vapply(result$final$result, `[[`, 0L, "index"), seq_len(n))
  crashes <- result$crashes
  retries <- result$pushes - n
  cat(sprintf(
    "\n[slurm nodes] node loss: %d tasks, %d crash rows, %d retries, %d tasks ran on the lost node\n",
    n, nrow(crashes), retries,
    sum(vapply(result$final$result, `[[`, "", "node") == cluster$nodes[[lost]])
  ))
  # The lost node's four workers were each running a task.
  expect_gte(nrow(crashes), 1L)
  expect_lte(nrow(crashes), 8L)
  expect_equal(retries, nrow(crashes))
  expect_true(all(crashes$code == 19L))
  expect_true(all(grepl("Connection reset", crashes$error, fixed = TRUE)))
  retried <- result$final[result$final$name %in% crashes$name, ]
  expect_false(any(vapply(retried$result, `[[`, "", "node") == cluster$nodes[[lost]]))
  # Retries ran after the node was gone.
  expect_true(all(vapply(result$final$result, `[[`, "", "node") %in% cluster$nodes))
  status <- crew_status(controller)
  gone <- status[status$host %in% cluster$nodes[[lost]], ]
  expect_equal(nrow(gone), 4L)
  expect_true(all(gone$state == "lost"))
  expect_true(all(gone$ended == "connection lost"), info = paste(gone$ended, collapse = ", "))
  expect_setequal(gone$task[!is.na(gone$task)], crashes$name)
  after <- crew_test_slurm_nodes_usage()
  cat(sprintf(
    "\n[slurm nodes] client before and after: fds %d -> %d, threads %d -> %d, RSS %.0f -> %.0f MB (R's heap %.0f -> %.0f MB)\n",
    before[["fds"]], after[["fds"]], before[["threads"]], after[["threads"]],
    before[["rss_mb"]], after[["rss_mb"]], before[["heap_mb"]], after[["heap_mb"]]
  ))
  expect_lte(after[["fds"]], before[["fds"]] + 4)
  expect_lte(after[["threads"]], before[["threads"]] + 2)
  expect_lte(after[["rss_mb"]], before[["rss_mb"]] + 40)
})

crew_test("slurm nodes: terminate() ends running and pending jobs and their workers within 5 s", {
  cluster <- crew_test_slurm_nodes_skip()
  # A job takes a whole node, so 2 of the array's 6 elements stay pending.
  controller <- crew_test_slurm_nodes_controller(cluster, workers = 6L, options = "--cpus-per-task=4")
  on.exit(crew_test_slurm_nodes_cleanup(cluster, controller))
  controller$start()
  controller$launch(n = 6L)
  expect_true(crew_test_slurm_nodes_connected(controller, 4L))
  controller$walk(Sys.sleep(120), iterate = list(x = 1:4), verbose = FALSE, scale = FALSE)
  expect_true(crew_test_until(~ controller$client$status()[["executing"]] == 4L, seconds_timeout = 30))
  jobs <- crew_test_slurm_nodes_jobs(controller$launcher$name)
  expect_equal(sort(jobs$state), c("PENDING", "PENDING", rep("RUNNING", 4L)))
  expect_setequal(jobs$node[jobs$state == "RUNNING"], cluster$nodes)
  expect_gte(length(crew_test_slurm_nodes_processes(cluster)), 4L)
  start <- Sys.time()
  controller$terminate()
  expect_true(crew_test_slurm_nodes_gone(cluster, controller, seconds_timeout = 5))
  crew_test_slurm_nodes_report("terminate() until no job and no worker is left", start)
})

# Elements of a job array that land on `node` dial `dial` ("host:port")
# instead of the client, as workers behind a proxy do.
crew_test_slurm_nodes_proxied_class <- R6::R6Class(
  classname = "crew_test_slurm_nodes_proxied_launcher",
  inherit = crew_test_slurm_nodes_launcher_class,
  private = list(.node = NULL, .dial = NULL),
  public = list(
    initialize = function(..., node, dial) {
      super$initialize(...)
      private$.node <- node
      private$.dial <- dial
    },
    script = function(name, call, n, options = self$options) {
      lines <- super$script(name = name, call = call, n = n, options = options)
      exec <- lines[[length(lines)]]
      proxied <- sub("(tcp://)[^\"]+\"", paste0("\\1", private$.dial, "\""), call)
      c(
        lines[-length(lines)],
        sprintf("if [ \"$SLURMD_NODENAME\" = %s ]; then", private$.node),
        paste(" ", sub(shQuote(call), shQuote(proxied), exec, fixed = TRUE)),
        "fi",
        exec
      )
    }
  )
)

crew_test("slurm nodes: workers of one node behind stalls and resets of the fault proxy lose nothing", {
  cluster <- crew_test_slurm_nodes_skip()
  binary <- crew_test_fault_proxy_binary()
  skip_if(is.null(binary), "the fault proxy (cargo build -p crew-core --bin fault_proxy) could not be built")
  node <- cluster$nodes[[4L]]
  port <- crew_test_port()
  proxy <- crew_test_fault_proxy(binary, listen = paste0(cluster$address, ":0"), target = paste0(cluster$address, ":", port))
  on.exit(proxy$close())
  # Two workers per node.
  controller <- crew_test_slurm_nodes_controller(
    cluster,
    workers = 8L,
    port = port,
    options = "--cpus-per-task=2",
    class = crew_test_slurm_nodes_proxied_class,
    node = node,
    dial = proxy$listen
  )
  on.exit(crew_test_slurm_nodes_cleanup(cluster, controller), add = TRUE)
  controller$start()
  controller$launch(n = 8L)
  expect_true(crew_test_slurm_nodes_connected(controller, 8L))
  expect_equal(proxy$command("count"), "ok 2")
  faults <- c(stall = 0L, reset = 0L)
  next_fault <- Sys.time() + 0.5
  n <- 1200L
  start <- Sys.time()
  result <- crew_test_slurm_nodes_tasks(
    controller,
    n,
    seconds = 0.02,
    during = function(done) {
      if (Sys.time() >= next_fault && done < n * 0.8) {
        action <- if (faults[["stall"]] <= faults[["reset"]]) "stall" else "reset"
        pick <- sample.int(100L, 1L)
        answer <- proxy$command(
          if (action == "stall") sprintf("stall %d %d", pick, 1500L) else sprintf("reset %d", pick)
        )
        if (startsWith(answer, "ok")) faults[[action]] <<- faults[[action]] + 1L
        next_fault <<- Sys.time() + 0.7
      }
    }
  )
  crew_test_slurm_nodes_report("1,200 tasks with one node's workers behind the fault proxy", start)
  cat(sprintf(
    "\n[slurm nodes] fault proxy: %d stalls, %d resets, %d crash rows, %d retries\n",
    faults[["stall"]], faults[["reset"]], NROW(result$crashes), result$pushes - n
  ))
  expect_gte(faults[["stall"]], 1L)
  expect_gte(faults[["reset"]], 1L)
  expect_equal(result$rows, rep(1L, n))
  expect_true(all(result$final$status == "success"))
  expect_equal(vapply(result$final$result, `[[`, 0L, "index"), seq_len(n))
  expect_true(node %in% vapply(result$final$result, `[[`, "", "node"))
  if (NROW(result$crashes)) {
    expect_true(all(result$crashes$code == 19L))
  }
})

crew_test("slurm nodes: the cluster stops without leftovers", {
  cluster <- crew_test_slurm_nodes_skip()
  start <- Sys.time()
  crew_test_slurm_nodes_stop(cluster)
  crew_test_slurm_nodes_report("cluster stop", start)
  expect_length(crew_test_slurm_nodes_left(cluster), 0L)
  expect_length(crew_test_slurm_nodes_processes(cluster), 0L)
})
