# Launches whose workers never connected, for a plugin's terminate_worker()
# at terminate().

# Launches whose workers may not have connected yet, by credential, for
# launcher_cancel_unconnected(); spent ones are dropped as launches come.
launcher_remember_launch <- function(self, private, handle) {
  credential <- .subset2(private, ".launch_settings")$credential
  profile <- .subset2(private, ".profile")
  if (!is.character(credential) || is.null(profile)) {
    return(invisible())
  }
  kept <- private$.unconnected
  kept <- kept[launcher_outstanding(profile, kept)]
  private$.unconnected <- c(kept, list(list(credential = credential, handle = handle)))
  invisible()
}

# Which of `launches` still have workers that never connected.
launcher_outstanding <- function(profile, launches) {
  if (!length(launches)) {
    return(logical(0L))
  }
  unspent <- native_dispatcher_unspent(profile, vapply(launches, `[[`, "", "credential"))
  !is.na(unspent) & unspent > 0L
}

# At terminate(), while the dispatcher still runs: a plugin that still has
# terminate_worker(handle) gets the handle of every launch whose workers
# did not all connect, so a job still queued on a cluster is cancelled
# rather than started after its client is gone. A launch handle that is an
# unnamed list (what launch_workers() makes of one launch_worker() handle
# per worker) gives each of its elements. Errors become warnings.
launcher_cancel_unconnected <- function(launcher) {
  private <- launcher$.__enclos_env__$private
  terminate_worker <- launcher$terminate_worker
  pending <- private$.unconnected
  private$.unconnected <- list()
  profile <- private$.profile
  if (!is.function(terminate_worker) || !length(pending) || is.null(profile)) {
    return(invisible())
  }
  for (launch in pending[launcher_outstanding(profile, pending)]) {
    handle <- launch$handle
    handles <- if (is.list(handle) && is.null(names(handle))) handle else list(handle)
    for (handle in handles) {
      tryCatch(
        terminate_worker(handle),
        error = function(condition) {
          crew_warning(paste("terminate_worker() failed:", conditionMessage(condition)))
        }
      )
    }
  }
  invisible()
}
