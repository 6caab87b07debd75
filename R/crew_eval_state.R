# What a task may change in the worker's session and how it is put back:
# global variables, packages, the RNG state, plus per-process look-ups.

#' @title Remove global variables created by a task
#' @description The RNG state is left to [crew_eval_restore_rng()].
#' @keywords internal
#' @param previous Names in the global environment before the task.
#' @return `NULL` (invisibly).
crew_eval_reset_globals <- function(previous) {
  current <- names(.GlobalEnv)
  # Most tasks create no global variable.
  if (identical(current, previous)) {
    return(invisible())
  }
  new <- current[!(current %in% previous) & current != ".Random.seed"]
  if (length(new)) {
    rm(list = new, envir = .GlobalEnv)
  }
  invisible()
}

#' @title Detach packages attached by a task
#' @keywords internal
#' @param previous Value of `search()` before the task.
#' @return `NULL` (invisibly).
crew_eval_reset_packages <- function(previous) {
  for (entry in setdiff(search(), previous)) {
    try(
      suppressWarnings(detach(entry, character.only = TRUE)),
      silent = TRUE
    )
  }
  invisible()
}

#' @title Restore the random number generator after a task
#' @description Put back the previous RNG kinds and the previous
#'   `.Random.seed` exactly, including its absence: a session that had no
#'   `.Random.seed` before the task has none after it, while the requested
#'   seed was honoured during the task.
#' @keywords internal
#' @param kind Previous value of `RNGkind()` (all three kinds).
#' @param seed Previous `.Random.seed`, or `NULL` if there was none.
#' @return `NULL` (invisibly).
crew_eval_restore_rng <- function(kind, seed) {
  if (!identical(RNGkind(), kind)) {
    # Setting sample.kind = "Rounding" warns that it is deprecated; putting
    # back what the session had is not the user's choice to warn about.
    suppressWarnings(RNGkind(kind = kind[[1L]], normal.kind = kind[[2L]], sample.kind = kind[[3L]]))
  }
  if (is.null(seed)) {
    if (exists(".Random.seed", envir = .GlobalEnv, inherits = FALSE)) {
      rm(".Random.seed", envir = .GlobalEnv)
    }
  } else {
    assign(".Random.seed", seed, envir = .GlobalEnv)
  }
  invisible()
}

#' @title Load the packages of a task
#' @keywords internal
#' @param packages Character vector of package names.
#' @param library Character vector of library paths, or `NULL` for the
#'   default paths.
#' @return `NULL` (invisibly). Raises a `crew_error` if any package
#'   cannot be loaded.
load_packages <- function(packages, library) {
  missing <- character(0L)
  for (package in packages) {
    loaded <- suppressWarnings(
      require(
        package,
        lib.loc = library,
        quietly = TRUE,
        character.only = TRUE
      )
    )
    if (!loaded) {
      missing <- c(missing, package)
    }
  }
  if (length(missing)) {
    paths <- if (is.null(library)) .libPaths() else library
    crew_error(
      sprintf(
        "could not find packages %s in library paths %s",
        paste(missing, collapse = ", "),
        paste(paths, collapse = ", ")
      )
    )
  }
  invisible()
}

#' @title Per-process cache of crew_eval() look-ups
#' @keywords internal
crew_eval_cache <- new.env(parent = emptyenv())
