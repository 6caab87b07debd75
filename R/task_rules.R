# Who owns each rule of a task. Each is written once.
#
# Rules the wire enforces or the native side builds live in the binding
# and are read here once, at load (task_rules_load(), called from
# .onLoad): the fields of the task list a worker runs (TASK_FIELDS in
# src/rust/src/tasks/arguments.rs), the 12 result columns (RESULT_COLUMNS in
# src/rust/src/tasks/result_rows.rs, kept as monad_names), and the longest task
# name with its message (TASK_NAME_BYTES_MAX in tasks/arguments.rs). The
# message of a name in use is the core's (Error::DuplicateName in
# src/rust/core/src/error.rs): R asks for it with native_duplicate_name().
#
# Rules of crew's R surface, the argument checks users meet, live in R
# (task_spec_check() and controller_task_arguments_check()); push()'s fast
# path repeats them natively for speed, and test-validation.R feeds both
# the same wrong values and compares their messages.

# Set by task_rules_load() when the package loads.
task_fields <- NULL
task_name_bytes_max <- NULL
task_name_too_long <- NULL

task_rules_load <- function(namespace) {
  rules <- native_task_rules()
  assign("task_fields", rules$task_fields, envir = namespace)
  assign("monad_names", rules$result_columns, envir = namespace)
  assign("task_name_bytes_max", rules$task_name_bytes_max, envir = namespace)
  assign("task_name_too_long", rules$task_name_too_long, envir = namespace)
  invisible()
}
