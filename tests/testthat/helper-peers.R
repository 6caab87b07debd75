# Helpers for tests that run real workers and misbehaving peers.

# Poll `condition` (a function or a formula) until it returns TRUE.
# Returns TRUE on success and FALSE on timeout, so tests can assert on it.
crew_test_until <- function(condition, seconds_timeout = 10, seconds_interval = 0.05) {
  condition <- rlang::as_function(condition)
  deadline <- Sys.time() + seconds_timeout
  repeat {
    if (isTRUE(condition())) {
      return(TRUE)
    }
    if (Sys.time() > deadline) {
      return(FALSE)
    }
    Sys.sleep(seconds_interval)
  }
}

# A TCP port on which nothing listens right now.
crew_test_port <- function() {
  for (attempt in seq_len(50L)) {
    port <- 57000L + sample.int(2000L, size = 1L)
    server <- tryCatch(serverSocket(port), error = function(condition) NULL)
    if (!is.null(server)) {
      close(server)
      return(port)
    }
  }
  stop("could not find a free port")
}

# Port of a started client, read from its URL.
crew_test_url_port <- function(url) {
  as.integer(sub(".*:([0-9]+)$", "\\1", url))
}

# The live local worker handles a local launcher keeps.
crew_test_handles <- function(controller) {
  crew_private(controller$launcher)$.processes
}

# All handles ever seen in the launches table plus the kept ones.
crew_test_all_handles <- function(controller) {
  launches <- unlist(controller$launcher$launches$handle, recursive = TRUE)
  kept <- crew_test_handles(controller)
  handles <- c(kept, launches)
  handles <- Filter(function(x) inherits(x, "process"), handles)
  pids <- vapply(handles, function(x) x$get_pid(), integer(1L))
  handles[!duplicated(pids)]
}

crew_test_all_dead <- function(handles, seconds_timeout = 5) {
  crew_test_until(
    function() !any(vapply(handles, function(x) x$is_alive(), logical(1L))),
    seconds_timeout = seconds_timeout
  )
}

crew_test_pid_alive <- function(pid) {
  isTRUE(tryCatch(ps::ps_is_running(ps::ps_handle(as.integer(pid))), error = function(e) FALSE))
}

# Pop until a row arrives (pop() may return NULL while a task is still
# being taken from the dispatcher).
crew_test_pop <- function(controller, seconds_timeout = 30, ...) {
  out <- NULL
  ok <- crew_test_until(
    function() {
      out <<- controller$pop(...)
      !is.null(out)
    },
    seconds_timeout = seconds_timeout
  )
  if (!ok) {
    stop("no task popped in time")
  }
  out
}

# A raw TCP peer: connects to the port and, optionally, sends bytes.
crew_test_peer <- function(port, send = raw(0L)) {
  con <- socketConnection(
    host = "127.0.0.1",
    port = port,
    blocking = FALSE,
    open = "r+b",
    timeout = 5
  )
  if (length(send)) {
    writeBin(send, con)
    flush(con)
  }
  con
}

# Everything the peer has received so far (non-blocking).
crew_test_peer_read <- function(con, seconds = 0.5) {
  out <- raw(0L)
  deadline <- Sys.time() + seconds
  repeat {
    chunk <- tryCatch(readBin(con, what = "raw", n = 65536L), error = function(e) raw(0L))
    out <- c(out, chunk)
    if (Sys.time() > deadline) {
      break
    }
    if (!length(chunk)) {
      Sys.sleep(0.05)
    }
  }
  out
}

crew_test_contains <- function(haystack, needle) {
  needle <- charToRaw(needle)
  n <- length(needle)
  if (length(haystack) < n) {
    return(FALSE)
  }
  first <- which(haystack == needle[1L])
  for (index in first) {
    end <- index + n - 1L
    if (end <= length(haystack) && identical(haystack[index:end], needle)) {
      return(TRUE)
    }
  }
  FALSE
}

# Start `Rscript -e call` as a worker of a custom launcher or a test.
crew_test_rscript <- function(call, stdout = NULL, stderr = NULL, env = NULL) {
  processx::process$new(
    command = file.path(R.home("bin"), "Rscript"),
    args = c("--no-save", "--no-restore", "-e", call),
    cleanup = TRUE,
    stdout = stdout,
    stderr = stderr,
    env = env
  )
}

crew_test_skip <- function() {
  testthat::skip_on_cran()
  testthat::skip_on_os("windows")
}


# Worker processes find the package through R_LIBS; tests run from
# tests/testthat, so a relative R_LIBS (as in `R_LIBS=.lib Rscript ...` run
# from the package root) would point nowhere for them. Give child processes
# the absolute library paths of this session.
local({
  libs <- normalizePath(.libPaths(), mustWork = FALSE)
  Sys.setenv(R_LIBS = paste(unique(libs), collapse = .Platform$path.sep))
})
