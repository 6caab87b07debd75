# The longer methods of crew_class_controller_sequential, as free
# functions: tasks run in this R session at push() time.

# Every pushed task is resolved at once, so the names of held tasks wait in
# the resolved queue in push order, and pop() and collect() read the rows
# stored in the task handles.
sequential_push <- function(
  self,
  private,
  command,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  name
) {
  self$start()
  controller_task_arguments_check(data, globals, seed, algorithm, packages, library, NULL)
  tasks <- private$.tasks
  if (is.null(name)) {
    name <- name_task_tempfile()
    while (!is.null(tasks[[name]])) {
      name <- name_task_tempfile()
    }
  } else {
    check_string(name, "name", allow_null = TRUE)
    check_task_name_lengths(name)
    if (!is.null(tasks[[name]])) {
      crew_error(
        paste0(
          "crew task name \"", name, "\" already exists in the controller. ",
          "Pop or collect that task before pushing another one of the same name."
        )
      )
    }
  }
  row <- crew_eval(
    command = command,
    name = name,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
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

sequential_walk <- function(
  self,
  private,
  command,
  iterate,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_timeout,
  names,
  save_command,
  verbose,
  scale,
  throttle,
  progress = c("walk()", "tasks pushed")
) {
  plan <- walk_plan(
    self = self,
    private = private,
    iterate = iterate,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    seconds_timeout = seconds_timeout,
    names = names,
    save_command = save_command,
    verbose = verbose,
    scale = scale,
    throttle = throttle
  )
  n <- plan$n
  task_names <- plan$task_names
  bar <- progress_bar(verbose, progress[[1L]], n, progress[[2L]])
  progress_set(bar, 0L)
  handles <- vector(mode = "list", length = n)
  for (index in seq_len(n)) {
    handles[[index]] <- sequential_push(
      self = self,
      private = private,
      command = command,
      data = walk_task_data(data, iterate, index),
      globals = globals,
      seed = plan$seeds[index],
      algorithm = algorithm,
      packages = packages,
      library = library,
      name = task_names[[index]]
    )
    progress_set(bar, index)
  }
  progress_done(bar)
  names(handles) <- task_names
  handles
}

sequential_map <- function(
  self,
  private,
  command,
  iterate,
  data,
  globals,
  seed,
  algorithm,
  packages,
  library,
  seconds_interval,
  seconds_timeout,
  names,
  save_command,
  error,
  warnings,
  verbose
) {
  map_check(self, seconds_interval, error, warnings, verbose)
  # Tasks run as they are pushed, so the walk's bar is the map's bar.
  handles <- sequential_walk(
    self = self,
    private = private,
    command = command,
    iterate = iterate,
    data = data,
    globals = globals,
    seed = seed,
    algorithm = algorithm,
    packages = packages,
    library = library,
    seconds_timeout = seconds_timeout,
    names = names,
    save_command = save_command,
    verbose = verbose,
    scale = TRUE,
    throttle = TRUE,
    progress = c("map()", "tasks resolved")
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
