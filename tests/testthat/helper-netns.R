# Workers on other hosts: network namespaces made by dev/netns.sh (in the
# source tree only, so these tests skip elsewhere) and a launcher plugin
# that starts each worker inside one of them. Also used by dev/soak.R.

crew_test_netns_script <- function() {
  for (up in c(".", "..", file.path("..", ".."))) {
    path <- file.path(up, "dev", "netns.sh")
    if (file.exists(path)) {
      return(normalizePath(path))
    }
  }
  NULL
}

crew_test_netns_available <- function() {
  script <- crew_test_netns_script()
  !is.null(script) && identical(suppressWarnings(system2("sh", c(script, "check"))), 0L)
}

# Namespaces TAG1 .. TAGn; the client's end of pair i is interface TAGc<i>
# at 10.213.<i>.1.
crew_test_netns_up <- function(tag, n) {
  status <- system2("sh", c(crew_test_netns_script(), "up", tag, n))
  if (!identical(status, 0L)) {
    stop("could not make the network namespaces")
  }
  paste0(tag, seq_len(n))
}

crew_test_netns_down <- function(tag) {
  system2("sh", c(crew_test_netns_script(), "down", tag))
  invisible()
}

crew_test_netns_left <- function(tag) {
  namespaces <- system2("ip", c("netns", "list"), stdout = TRUE)
  links <- system2("ip", c("-o", "link", "show"), stdout = TRUE)
  c(grep(paste0("^", tag, "[0-9]+"), namespaces, value = TRUE),
    grep(paste0(": ", tag, "c[0-9]+"), links, value = TRUE))
}

# Starts each worker with `ip netns exec` in the next namespace in turn.
# `dial` ("host:port") replaces the client's address in the call, for
# workers that reach the client through a proxy. Each launch handle holds
# the file the worker's process ID is written to.
crew_test_netns_launcher_class <- R6::R6Class(
  classname = "crew_test_netns_launcher",
  inherit = crew::crew_class_launcher,
  private = list(
    .namespaces = NULL, .dial = NULL, .directory = NULL, .turn = 0L, .calls = character(0L)
  ),
  active = list(
    # The calls of every launch, as given (before `dial` replaced the
    # address): what a stranger could copy from a process listing.
    calls = function() private$.calls
  ),
  public = list(
    initialize = function(..., namespaces, dial = NULL, directory) {
      super$initialize(...)
      private$.namespaces <- namespaces
      private$.dial <- dial
      private$.directory <- directory
    },
    launch_worker = function(call) {
      private$.turn <- private$.turn %% length(private$.namespaces) + 1L
      namespace <- private$.namespaces[[private$.turn]]
      private$.calls <- c(private$.calls, call)
      if (!is.null(private$.dial)) {
        call <- sub("(tcp://)[^\"]+\"", paste0("\\1", private$.dial, "\""), call)
      }
      dir.create(private$.directory, recursive = TRUE, showWarnings = FALSE)
      stem <- file.path(private$.directory, crew::crew_random_name(n = 6L))
      pid_file <- paste0(stem, ".pid")
      libraries <- paste(normalizePath(.libPaths()), collapse = .Platform$path.sep)
      script <- paste(
        sprintf("echo $$ > %s;", shQuote(pid_file)),
        sprintf("export R_LIBS=%s;", shQuote(libraries)),
        "exec", shQuote(file.path(R.home("bin"), "Rscript")),
        "--no-save --no-restore -e", shQuote(call)
      )
      system2(
        "ip",
        c("netns", "exec", namespace, "sh", "-c", shQuote(script)),
        wait = FALSE,
        stdout = paste0(stem, ".log"),
        stderr = paste0(stem, ".log")
      )
      list(namespace = namespace, pid_file = pid_file)
    },
    # The process IDs of every worker launched so far that has written one.
    pids = function() {
      files <- list.files(private$.directory, pattern = "[.]pid$", full.names = TRUE)
      pids <- vapply(files, function(file) {
        value <- suppressWarnings(as.integer(readLines(file, warn = FALSE)[1L]))
        if (length(value) && !is.na(value)) value else NA_integer_
      }, integer(1L), USE.NAMES = FALSE)
      pids[!is.na(pids)]
    }
  )
)

crew_test_netns_controller <- function(
  interface,
  namespaces,
  directory,
  workers = 2L,
  tls = crew::crew_tls(),
  dial = NULL,
  port = NULL,
  crashes_max = 5L,
  seconds_idle = 120
) {
  crew_test_plugin_controller(
    crew_test_netns_launcher_class,
    namespaces = namespaces,
    dial = dial,
    directory = directory,
    name = "netns",
    workers = workers,
    seconds_idle = seconds_idle,
    tls = tls,
    host = interface,
    port = port,
    crashes_max = crashes_max
  )
}

crew_test_pids_alive <- function(pids) {
  pids[vapply(pids, crew_test_pid_alive, logical(1L))]
}
