# A launcher plugin that submits workers to SLURM: one job per worker through
# launch_worker(call), or one job array through launch_workers(call, n).
# The call string is all a job needs: it carries the client's address, the
# TLS certificate and the launch credential.
crew_test_slurm_launcher_class <- R6::R6Class(
  classname = "crew_test_slurm_launcher",
  inherit = crew::crew_class_launcher,
  private = list(.directory = NULL, .options = NULL, .script_lines = NULL),
  active = list(
    directory = function() private$.directory,
    options = function() private$.options
  ),
  public = list(
    initialize = function(
      ...,
      directory,
      options = character(0L),
      script_lines = character(0L)
    ) {
      super$initialize(...)
      private$.directory <- directory
      private$.options <- options
      private$.script_lines <- script_lines
    },
    validate = function() {
      super$validate()
      crew::crew_assert(private$.directory, is.character(.), length(.) == 1L, nzchar(.))
      crew::crew_assert(private$.options, is.character(.))
      invisible()
    },
    launch_worker = function(call) {
      self$submit(call = call, n = 1L)
    },
    launch_workers = function(call, n) {
      if (n == 1L) list(self$launch_worker(call = call)) else self$submit(call = call, n = n)
    },
    # The job script; job and array element share its log naming.
    script = function(name, call, n, options = private$.options) {
      libraries <- paste(normalizePath(.libPaths()), collapse = .Platform$path.sep)
      rscript <- shQuote(file.path(R.home("bin"), "Rscript"))
      arguments <- paste(shQuote(self$r_arguments), collapse = " ")
      c(
        "#!/bin/sh",
        paste0("#SBATCH --job-name=", name),
        paste0("#SBATCH --output=", file.path(private$.directory, "%x-%j.log")),
        if (n > 1L) paste0("#SBATCH --array=1-", n),
        if (length(options)) paste("#SBATCH", options),
        paste0("export R_LIBS=", shQuote(libraries)),
        private$.script_lines,
        paste("exec", rscript, arguments, "-e", shQuote(call))
      )
    },
    # A refused submission still returns a handle: the launch then fails
    # after seconds_launch like a job that never starts, and is replaced.
    submit = function(call, n, options = private$.options) {
      dir.create(private$.directory, recursive = TRUE, showWarnings = FALSE)
      name <- paste0("crew-worker-", self$name, "-", crew::crew_random_name(n = 4L))
      path <- file.path(private$.directory, paste0(name, ".sh"))
      writeLines(self$script(name = name, call = call, n = n, options = options), path)
      output <- suppressWarnings(
        system2("sbatch", c("--parsable", shQuote(path)), stdout = TRUE, stderr = TRUE)
      )
      job <- if (is.null(attr(output, "status"))) sub(";.*$", "", output[[1L]]) else NA_character_
      list(name = name, script = path, job = job, output = output)
    }
  )
)

# A controller over the SLURM plugin, built the way a plugin's helper
# function builds one. host = NULL listens where other machines can reach.
# `...` goes to the launcher class of a test.
crew_test_slurm_controller <- function(
  directory,
  name = NULL,
  workers = 2L,
  seconds_launch = 30,
  seconds_timeout = 10,
  options = character(0L),
  script_lines = character(0L),
  tls = crew::crew_tls(),
  class = crew_test_slurm_launcher_class,
  host = NULL,
  port = NULL,
  crashes_max = 5L,
  ...
) {
  crew_test_plugin_controller(
    class,
    directory = directory,
    options = options,
    script_lines = script_lines,
    ...,
    name = name,
    workers = workers,
    seconds_timeout = seconds_timeout,
    seconds_launch = seconds_launch,
    tls = tls,
    host = host,
    port = port,
    crashes_max = crashes_max
  )
}
