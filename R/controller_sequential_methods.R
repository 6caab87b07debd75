# The longer methods of crew_class_controller_sequential, as free
# functions: tasks run in this R session at push() time.

# Every pushed task is resolved at once, so the names of held tasks wait in
# the resolved queue in push order, and pop() and collect() read the rows
# stored in the task handles. A walk pushes each of its tasks as the spec's
# task with its own `data`, `seed` and `name`, already checked.
sequential_push <- function(
  self,
  private,
  spec,
  data = spec$data,
  seed = spec$seed,
  name = spec$name,
  checked = FALSE
) {
  self$start()
  if (!checked) {
    task_spec_check(spec, scaling = FALSE)
  }
  tasks <- private$.tasks
  if (is.null(name)) {
    name <- name_task_tempfile()
    while (!is.null(tasks[[name]])) {
      name <- name_task_tempfile()
    }
  } else if (!is.null(tasks[[name]])) {
    crew_error(native_duplicate_name(name))
  }
  row <- crew_eval(
    command = spec$command,
    name = name,
    data = data,
    globals = spec$globals,
    seed = seed,
    algorithm = spec$algorithm,
    packages = spec$packages,
    library = spec$library,
    reset_globals = private$.reset_globals,
    reset_packages = private$.reset_packages,
    reset_options = private$.reset_options,
    garbage_collection = private$.garbage_collection
  )
  handle <- structure(list(data = row), class = "mirai")
  assign(name, handle, envir = tasks)
  private$.queue_resolved$push(name)
  private$.tasks_count <- private$.tasks_count + 1L
  private$.resolved <- private$.resolved + 1L
  invisible(handle)
}

# Pushes each task of a batch spec in turn: each is the spec's task with
# its own elements of `iterate`, its name and its seed.
sequential_walk <- function(
  self,
  private,
  spec,
  progress = c("walk()", "tasks pushed"),
  scaling = TRUE
) {
  plan <- walk_plan(self, private, spec, scaling = scaling)
  n <- plan$n
  task_names <- plan$task_names
  bar <- progress_bar(spec$verbose, progress[[1L]], n, progress[[2L]])
  progress_set(bar, 0L)
  handles <- vector(mode = "list", length = n)
  for (index in seq_len(n)) {
    handles[[index]] <- sequential_push(
      self,
      private,
      spec,
      data = walk_task_data(spec$data, spec$iterate, index),
      seed = plan$seeds[index],
      name = task_names[[index]],
      checked = TRUE
    )
    progress_set(bar, index)
  }
  progress_done(bar)
  names(handles) <- task_names
  handles
}

sequential_map <- function(self, private, spec, error, warnings) {
  # Tasks run as they are pushed, so the walk's bar is the map's bar. The
  # scaling arguments are unused, and not checked.
  handles <- sequential_walk(
    self,
    private,
    spec,
    progress = c("map()", "tasks resolved"),
    scaling = FALSE
  )
  results <- results_bind(lapply(unname(handles), function(handle) handle$data))
  controller_forget_tasks(private)
  controller_account(private, results, hold_all = TRUE)
  map_report(private, results, error, warnings)
}

# Removes held tasks by name and returns their result rows in that order.
sequential_take <- function(private, names) {
  tasks <- private$.tasks
  rows <- lapply(names, function(name) tasks[[name]]$data)
  rm(list = names, envir = tasks)
  private$.tasks_count <- private$.tasks_count - length(names)
  results_bind(rows)
}

sequential_pop <- function(private, collect, error) {
  if (!isTRUE(private$.client$started)) {
    return(NULL)
  }
  if (!is.null(collect)) {
    crew_deprecate(
      name = "collect argument of pop()",
      date = "2024-11-04",
      version = "0.10.1.9000",
      alternative = "none (no longer used)",
      condition = "message",
      value = collect,
      skip_cran = TRUE,
      frequency = "once"
    )
  }
  controller_error_check(error, "pop()")
  held <- controller_take_held_back(private, 1L)
  if (!is.null(held)) {
    controller_relay_errors(held, error)
    return(held)
  }
  name <- private$.queue_resolved$pop()
  if (!length(name)) {
    return(NULL)
  }
  row <- sequential_take(private, name)
  suppressWarnings(controller_account(private, row))
  controller_relay_errors(row, error)
  row
}

sequential_collect <- function(private, error) {
  controller_error_check(error, "collect()")
  if (!isTRUE(private$.client$started)) {
    return(NULL)
  }
  held <- controller_take_held_back(private, Inf)
  names <- private$.queue_resolved$pop(Inf)
  rows <- NULL
  if (length(names)) {
    rows <- sequential_take(private, names)
    controller_account(private, rows, hold_all = TRUE)
  }
  out <- results_bind(list(held, rows))
  if (is.null(out)) {
    return(NULL)
  }
  controller_relay_errors(out, error)
  out
}
