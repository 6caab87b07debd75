# Tasks that tell the test which worker runs them, for tests that then
# watch, stop or kill that worker.

# Pushes a task that writes its worker's process ID to `file`, runs
# `extra`, then sleeps for ten minutes.
crew_test_pid_task <- function(controller, name, file, extra = quote(NULL)) {
  command <- substitute(
    {
      writeLines(as.character(Sys.getpid()), file)
      extra
      Sys.sleep(600)
    },
    list(file = file, extra = extra)
  )
  controller$push(command = command, substitute = FALSE, name = name)
}

# The process ID such a task wrote, once it is there.
crew_test_pid <- function(file, seconds = 30) {
  deadline <- Sys.time() + seconds
  while (!file.exists(file) || !length(readLines(file, warn = FALSE))) {
    if (Sys.time() > deadline) {
      stop("the task never wrote its process ID")
    }
    Sys.sleep(0.05)
  }
  as.integer(readLines(file, warn = FALSE))
}
