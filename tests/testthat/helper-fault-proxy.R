# The fault proxy of the core's tests (src/rust/core/tests/support/
# fault_proxy.rs, in the source tree only): a TCP proxy between workers and
# the client that stalls, resets, truncates or blackholes connections on
# command.

# The debug build of the proxy, built (incrementally) if missing, or NULL
# where there is no source tree or cargo.
crew_test_fault_proxy_binary <- function() {
  for (up in c(".", "..", file.path("..", ".."))) {
    manifest <- file.path(up, "src", "rust", "Cargo.toml")
    if (file.exists(manifest)) {
      manifest <- normalizePath(manifest)
      binary <- file.path(dirname(manifest), "target", "debug", "fault_proxy")
      if (!file.exists(binary) && nzchar(Sys.which("cargo"))) {
        system2(
          "cargo",
          c("build", "--quiet", "--manifest-path", shQuote(manifest), "-p", "crew-core", "--bin", "fault_proxy"),
          stdout = FALSE,
          stderr = FALSE
        )
      }
      return(if (file.exists(binary)) binary)
    }
  }
  NULL
}

# Starts the proxy on `listen` ("host:port", port 0 for any) forwarding to
# `target`. Returns its address (`listen`), `command(line)` that sends one
# control command and returns the answer, and `close()`. The proxy serves
# until its standard input closes.
crew_test_fault_proxy <- function(binary, listen, target) {
  out <- tempfile()
  proxy <- pipe(
    sprintf("%s --listen %s --target %s > %s 2>&1", shQuote(binary), listen, target, shQuote(out)),
    open = "w"
  )
  started <- crew_test_until(
    function() file.exists(out) && length(readLines(out, warn = FALSE)) > 0L,
    seconds_timeout = 10
  )
  if (!started) {
    close(proxy)
    stop("the fault proxy did not start")
  }
  line <- readLines(out, warn = FALSE)[[1L]]
  control_address <- sub("^.*control=", "", line)
  control <- socketConnection(
    host = sub(":[0-9]+$", "", control_address),
    port = as.integer(sub("^.*:", "", control_address)),
    blocking = TRUE,
    open = "r+",
    timeout = 10
  )
  list(
    listen = sub("^listen=([^ ]+) .*$", "\\1", line),
    command = function(line) {
      writeLines(line, control)
      readLines(control, n = 1L)
    },
    close = function() {
      try(close(control), silent = TRUE)
      try(close(proxy), silent = TRUE)
      invisible()
    }
  )
}
