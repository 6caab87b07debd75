# The cli progress bars of walk() and map(). A bar belongs to the frame in
# `envir` and closes when that frame exits, also on error. NULL stands for
# no bar (verbose = FALSE), so callers need no branches of their own.

progress_bar <- function(verbose, method, total, done, envir = parent.frame()) {
  if (!verbose) {
    return(NULL)
  }
  cli::cli_progress_bar(
    total = total,
    format = paste(
      method,
      "{cli::pb_current}/{cli::pb_total} {cli::pb_bar} {cli::pb_elapsed}"
    ),
    format_done = paste("{cli::pb_total}", done, "in {cli::pb_elapsed}"),
    clear = FALSE,
    .envir = envir
  )
}

progress_set <- function(bar, current, envir = parent.frame()) {
  if (!is.null(bar)) {
    cli::cli_progress_update(id = bar, set = current, .envir = envir)
  }
}

progress_done <- function(bar, envir = parent.frame()) {
  if (!is.null(bar)) {
    cli::cli_progress_done(id = bar, .envir = envir)
  }
}
