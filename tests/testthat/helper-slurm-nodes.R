# A SLURM cluster of several nodes, each in a network namespace of its own
# (dev/slurm-nodes.sh, in the source tree only, so these helpers skip
# elsewhere), for test-launcher-slurm-nodes.R and bench/cluster.R. A
# cluster is a list: its script, settings (environment lines for the
# script), bridge interface, client address, node names and namespaces.

crew_test_slurm_nodes_script <- function() {
  for (up in c(".", "..", file.path("..", ".."))) {
    path <- file.path(up, "dev", "slurm-nodes.sh")
    if (file.exists(path)) {
      return(normalizePath(path))
    }
  }
  NULL
}

# Starts the cluster, leftovers of the same tag removed first. Returns the
# cluster, or a string that says why there is none. SLURM_CONF is set for
# this session, so that sbatch, squeue and scancel of the plugin and the
# jobs they start find it.
crew_test_slurm_nodes_start <- function(tag, net, port, directory, nodes = 4L, cpus = 4L) {
  if (!identical(Sys.getenv("NOT_CRAN"), "true")) {
    return("multi-node SLURM tests run only with NOT_CRAN=true")
  }
  if (.Platform$OS.type != "unix" || !identical(Sys.info()[["effective_user"]], "root")) {
    return("the multi-node SLURM cluster must be started by root on Unix (it makes network namespaces)")
  }
  script <- crew_test_slurm_nodes_script()
  if (is.null(script)) {
    return("dev/slurm-nodes.sh is not in this tree")
  }
  settings <- c(
    paste0("CREW_SLURM_NODES_DIR=", directory),
    paste0("CREW_SLURM_NODES_TAG=", tag),
    paste0("CREW_SLURM_NODES_NET=", net),
    paste0("CREW_SLURM_NODES_PORT=", port),
    paste0("CREW_SLURM_NODES=", nodes),
    paste0("CREW_SLURM_NODES_CPUS=", cpus)
  )
  output <- tryCatch(
    suppressWarnings(system2("bash", c(shQuote(script), "start"), stdout = TRUE, stderr = TRUE, env = settings)),
    error = function(condition) structure(conditionMessage(condition), status = 1L)
  )
  conf <- sub("^SLURM_CONF=", "", grep("^SLURM_CONF=", output, value = TRUE))
  if (!is.null(attr(output, "status")) || length(conf) != 1L) {
    return(paste(c(paste(script, "start failed:"), utils::tail(output, 5L)), collapse = " "))
  }
  previous <- Sys.getenv("SLURM_CONF", unset = NA)
  Sys.setenv(SLURM_CONF = conf)
  list(
    previous_conf = previous,
    script = script,
    settings = settings,
    bridge = paste0(tag, "br"),
    address = paste0(net, ".1"),
    nodes = paste0("crewnode", seq_len(nodes)),
    namespaces = paste0(tag, seq_len(nodes))
  )
}

crew_test_slurm_nodes_run <- function(cluster, ...) {
  status <- system2("bash", c(shQuote(cluster$script), ...), env = cluster$settings, stdout = FALSE, stderr = FALSE)
  invisible(identical(status, 0L))
}

crew_test_slurm_nodes_stop <- function(cluster) {
  crew_test_slurm_nodes_run(cluster, "stop")
  if (is.na(cluster$previous_conf)) {
    Sys.unsetenv("SLURM_CONF")
  } else {
    Sys.setenv(SLURM_CONF = cluster$previous_conf)
  }
}

# Namespaces and links of the cluster still there.
crew_test_slurm_nodes_left <- function(cluster) {
  tag <- sub("br$", "", cluster$bridge)
  namespaces <- system2("ip", c("netns", "list"), stdout = TRUE)
  links <- system2("ip", c("-o", "link", "show"), stdout = TRUE)
  c(
    grep(paste0("^", tag, "[0-9]+( |$)"), namespaces, value = TRUE),
    grep(paste0(": ", tag, "(br|v[0-9]+)[:@]"), links, value = TRUE)
  )
}

# Jobs in the queue whose names a launcher gave them: job ID (one per array
# element, pending ones included), array job ID, state, node.
crew_test_slurm_nodes_jobs <- function(launcher_name) {
  lines <- system2("squeue", c("-h", "-r", "-o", shQuote("%A|%F|%j|%T|%N")), stdout = TRUE)
  fields <- strsplit(lines, "|", fixed = TRUE)
  field <- function(index) vapply(fields, function(x) c(x, "")[[index]], character(1L))
  jobs <- data.frame(job = field(1L), array = field(2L), name = field(3L), state = field(4L), node = field(5L))
  jobs[startsWith(jobs$name, paste0("crew-worker-", launcher_name, "-")), , drop = FALSE]
}

# Process IDs in each node's namespace other than its slurmd: job steps and
# the workers they started.
crew_test_slurm_nodes_processes <- function(cluster) {
  unlist(lapply(cluster$namespaces, function(namespace) {
    pids <- suppressWarnings(system2("ip", c("netns", "pids", namespace), stdout = TRUE, stderr = FALSE))
    pids <- as.integer(pids)
    names <- vapply(pids, function(pid) {
      tryCatch(readLines(file.path("/proc", pid, "comm"), warn = FALSE)[[1L]], error = function(e) "")
    }, character(1L))
    pids[nzchar(names) & names != "slurmd"]
  }))
}

# A SLURM launcher whose terminate_worker(handle) cancels the launch's job
# (a whole array), so that elements still pending at terminate() never
# start.
crew_test_slurm_nodes_launcher_class <- R6::R6Class(
  classname = "crew_test_slurm_nodes_launcher",
  inherit = crew_test_slurm_launcher_class,
  public = list(
    terminate_worker = function(handle) {
      if (!is.na(handle$job)) {
        system2("scancel", handle$job)
      }
    }
  )
)
