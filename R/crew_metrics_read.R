#' @title Read worker resource metrics
#' @export
#' @family metrics
#' @description Read the resource metrics that workers log with
#'   [crew_options_metrics()] (the `autometric` line format) from log
#'   files, or from directories of them. Other lines in the files, such as
#'   a worker's messages, are skipped.
#' @param path Character vector of paths to files and directories.
#' @return A data frame with one row per sample and columns `version`,
#'   `pid`, `name`, `status`, `time` (seconds since 1970-01-01 UTC), `core`
#'   (percent of one core), `cpu` (percent of all cores), `resident` and
#'   `virtual` (bytes), `phase` (the running task, `__DEFAULT__` between
#'   tasks) and `file`, ordered by process and time.
#' @examples
#' path <- tempfile()
#' writeLines(
#'   c(
#'     "a message from the worker",
#'     "__AUTOMETRIC__|2.0.0|123|worker|0|1700000000|50|25|1e8|2e8|task_a|__AUTOMETRIC__"
#'   ),
#'   path
#' )
#' crew_metrics_read(path)
crew_metrics_read <- function(path) {
  crew_assert(
    is.character(path) && length(path) > 0L && !anyNA(path),
    message = "path must be a character vector of files and directories."
  )
  files <- unlist(lapply(path, function(entry) {
    if (dir.exists(entry)) list.files(entry, full.names = TRUE, recursive = TRUE) else entry
  }))
  missing <- files[!file.exists(files)]
  if (length(missing)) {
    crew_error(sprintf("metrics log \"%s\" does not exist.", missing[[1L]]))
  }
  rows <- lapply(files, metrics_read_file)
  out <- do.call(rbind, c(list(metrics_empty()), rows))
  out <- out[order(out$pid, out$time), , drop = FALSE]
  rownames(out) <- NULL
  out
}

metrics_fields <- c(
  "version", "pid", "name", "status", "time", "core", "cpu", "resident", "virtual", "phase"
)

metrics_empty <- function() {
  data.frame(
    version = character(0), pid = integer(0), name = character(0), status = integer(0),
    time = numeric(0), core = numeric(0), cpu = numeric(0), resident = numeric(0),
    virtual = numeric(0), phase = character(0), file = character(0),
    stringsAsFactors = FALSE
  )
}

metrics_read_file <- function(file) {
  lines <- readLines(file, warn = FALSE)
  lines <- grep("__AUTOMETRIC__\\|.*\\|__AUTOMETRIC__", lines, value = TRUE)
  if (!length(lines)) {
    return(NULL)
  }
  body <- sub("^.*?__AUTOMETRIC__\\|", "", lines, perl = TRUE)
  body <- sub("\\|__AUTOMETRIC__.*$", "", body)
  fields <- strsplit(body, "|", fixed = TRUE)
  fields <- fields[lengths(fields) == length(metrics_fields)]
  if (!length(fields)) {
    return(NULL)
  }
  table <- matrix(unlist(fields), ncol = length(metrics_fields), byrow = TRUE)
  number <- function(x) suppressWarnings(as.numeric(x))
  data.frame(
    version = table[, 1L],
    pid = as.integer(number(table[, 2L])),
    name = table[, 3L],
    status = as.integer(number(table[, 4L])),
    time = number(table[, 5L]),
    core = number(table[, 6L]),
    cpu = number(table[, 7L]),
    resident = number(table[, 8L]),
    virtual = number(table[, 9L]),
    phase = table[, 10L],
    file = file,
    stringsAsFactors = FALSE
  )
}

#' @title Plot worker resource metrics
#' @export
#' @family metrics
#' @description Draw the memory and CPU use of each worker over time from
#'   [crew_metrics_read()], with base graphics: one panel of resident
#'   memory and one of CPU use, one line per worker process, and a point
#'   for each sample taken while a task ran.
#' @param metrics A data frame from [crew_metrics_read()].
#' @return `NULL` (invisibly). Draws on the current graphics device.
#' @examples
#' path <- tempfile()
#' writeLines(
#'   sprintf(
#'     "__AUTOMETRIC__|2.0.0|%s|worker|0|%s|%s|%s|%s|2e8|%s|__AUTOMETRIC__",
#'     rep(c(11, 12), each = 5), rep(1:5, 2), runif(10, 0, 100), runif(10, 0, 50),
#'     runif(10, 5e7, 1e8), rep(c("__DEFAULT__", "task"), 5)
#'   ),
#'   path
#' )
#' crew_metrics_plot(crew_metrics_read(path))
crew_metrics_plot <- function(metrics) {
  crew_assert(
    is.data.frame(metrics) && all(metrics_fields %in% names(metrics)),
    message = "metrics must be a data frame from crew_metrics_read()."
  )
  if (!nrow(metrics)) {
    crew_error("metrics has no samples to plot.")
  }
  start <- min(metrics$time, na.rm = TRUE)
  seconds <- metrics$time - start
  pids <- unique(metrics$pid)
  colors <- grDevices::hcl.colors(max(2L, length(pids)), "Dark 3")[seq_along(pids)]
  previous <- graphics::par(mfrow = c(2L, 1L), mar = c(4, 4.5, 2, 1))
  on.exit(graphics::par(previous))
  panel <- function(values, ylab, main) {
    graphics::plot(
      NA,
      xlim = range(seconds, na.rm = TRUE),
      ylim = range(c(0, values), na.rm = TRUE),
      xlab = "seconds since the first sample",
      ylab = ylab,
      main = main
    )
    for (index in seq_along(pids)) {
      rows <- metrics$pid == pids[[index]]
      graphics::lines(seconds[rows], values[rows], col = colors[[index]], lwd = 2)
      busy <- rows & metrics$phase != "__DEFAULT__"
      graphics::points(seconds[busy], values[busy], col = colors[[index]], pch = 19, cex = 0.6)
    }
  }
  panel(metrics$resident / 2^20, "resident memory (MB)", "Memory of each worker")
  panel(metrics$core, "CPU (% of one core)", "CPU of each worker (dots: a task was running)")
  graphics::legend(
    "topright",
    legend = paste("pid", pids),
    col = colors,
    lwd = 2,
    bty = "n",
    cex = 0.8
  )
  invisible()
}
