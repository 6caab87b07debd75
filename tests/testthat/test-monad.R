crew_test("empty monad is valid", {
  out <- monad_init()
  expect_silent(monad_validate(out))
  expect_equal(names(out), monad_names)
  expect_equal(nrow(out), 1L)
  expect_s3_class(out, c("tbl_df", "tbl", "data.frame"), exact = TRUE)
  expect_true(is.list(out$result))
  expect_identical(out$code, NA_integer_)
  expect_identical(out$seconds, NA_real_)
  expect_identical(out$seed, NA_integer_)
  for (field in setdiff(monad_names, c("result", "code", "seconds", "seed"))) {
    expect_identical(out[[field]], NA_character_)
  }
})

crew_test("monad_names has the 12 columns in order", {
  expect_equal(
    monad_names,
    c(
      "name", "command", "result", "status", "error", "code", "trace",
      "warnings", "seconds", "seed", "algorithm", "controller"
    )
  )
})

# The columns are the native side's (RESULT_COLUMNS in
# src/rust/src/tasks/result_rows.rs); the R code that builds rows by hand takes
# them in the same order.
crew_test("the result columns are the native side's, and R builds rows with them", {
  expect_identical(monad_names, native_task_rules()$result_columns)
  expect_identical(names(formals(monad_from_columns)), monad_names)
  expect_identical(names(formals(monad_new)), monad_names)
})

crew_test("bad name", {
  out <- monad_init()
  out$name <- 123
  expect_crew_error(monad_validate(out))
})

crew_test("bad field", {
  out <- monad_init()
  out$nope <- "x"
  expect_crew_error(monad_validate(out))
})

crew_test("non-tibble and bad column types fail validation", {
  expect_crew_error(monad_validate(as.data.frame(monad_init())))
  expect_crew_error(monad_validate(list()))
  out <- monad_init()
  out$code <- 1.5
  expect_crew_error(monad_validate(out))
  out <- monad_init()
  out$seconds <- "fast"
  expect_crew_error(monad_validate(out))
  out <- monad_init()
  out$result <- "not a list"
  expect_crew_error(monad_validate(out))
})

crew_test("monad_new() wraps the result and keeps types", {
  out <- monad_new(
    name = "x",
    command = "1 + 1",
    result = c(a = 2),
    status = "success",
    code = 0L,
    seconds = 0.5,
    seed = 3L,
    controller = "abc"
  )
  expect_silent(monad_validate(out))
  expect_equal(out$result, list(c(a = 2)))
  expect_equal(out$seed, 3L)
  expect_equal(out$controller, "abc")
  expect_identical(out$error, NA_character_)
})

crew_test("monad_from_columns() builds many rows without tibble", {
  n <- 1000L
  out <- monad_from_columns(
    name = paste0("task_", seq_len(n)),
    command = rep("f()", n),
    result = as.list(seq_len(n)),
    status = rep("success", n),
    error = rep(NA_character_, n),
    code = rep(0L, n),
    trace = rep(NA_character_, n),
    warnings = rep(NA_character_, n),
    seconds = rep(0, n),
    seed = rep(NA_integer_, n),
    algorithm = rep(NA_character_, n),
    controller = rep("c", n)
  )
  expect_equal(nrow(out), n)
  expect_equal(names(out), monad_names)
  expect_equal(.row_names_info(out, type = 0L), c(NA_integer_, -n))
  expect_s3_class(out, c("tbl_df", "tbl", "data.frame"), exact = TRUE)
  expect_equal(out$result[[17]], 17L)
  expect_equal(out$name[[1000]], "task_1000")
  expect_silent(monad_validate(out[1, ]))
  expect_equal(nrow(tibble::as_tibble(out)), n)
  expect_equal(nrow(rbind(out, out)), 2L * n)
})

crew_test("monad_from_columns() handles zero rows", {
  empty <- character(0L)
  out <- monad_from_columns(
    name = empty,
    command = empty,
    result = list(),
    status = empty,
    error = empty,
    code = integer(0L),
    trace = empty,
    warnings = empty,
    seconds = numeric(0L),
    seed = integer(0L),
    algorithm = empty,
    controller = empty
  )
  expect_equal(nrow(out), 0L)
  expect_equal(names(out), monad_names)
})

crew_test("monad_from_columns() rejects ragged columns", {
  expect_crew_error(
    monad_from_columns(
      name = c("a", "b"),
      command = "x",
      result = list(1, 2),
      status = c("success", "success"),
      error = NA_character_,
      code = c(0L, 0L),
      trace = NA_character_,
      warnings = NA_character_,
      seconds = c(0, 0),
      seed = NA_integer_,
      algorithm = NA_character_,
      controller = NA_character_
    )
  )
})

crew_test("monad_outcome() maps codes to status and error text", {
  out <- monad_outcome(c(0L, -1L, 19L, 20L, 5L, 7L, 12345L))
  expect_equal(
    out$status,
    c("success", "error", "crash", "cancel", "error", "error", "error")
  )
  expect_equal(
    out$error,
    c(
      NA_character_,
      NA_character_,
      "19 | Connection reset",
      "20 | Operation canceled",
      "5 | Timed out",
      "7 | Object closed",
      "12345 | Unknown error"
    )
  )
  expect_equal(
    monad_outcome(integer(0L)),
    list(status = character(0L), error = character(0L))
  )
  expect_equal(monad_outcome(19)$status, "crash")
  expect_equal(monad_outcome(NA_integer_)$status, "error")
})
