# Also covers R/tidyselect.R.

crew_test("dir_create() is recursive and idempotent", {
  root <- tempfile()
  on.exit(unlink(root, recursive = TRUE))
  path <- file.path(root, "a", "b")
  expect_false(dir.exists(path))
  expect_null(dir_create(path))
  expect_true(dir.exists(path))
  file.create(file.path(path, "file"))
  dir_create(path)
  expect_true(dir.exists(path))
  expect_true(file.exists(file.path(path, "file")))
})

crew_test("units_time() picks the unit", {
  expect_equal(units_time(NA), "")
  expect_equal(units_time(NA_real_), "")
  expect_equal(units_time(0), "0 seconds")
  expect_equal(units_time(1.23456), "1.235 seconds")
  expect_equal(units_time(60), "60 seconds")
  expect_equal(units_time(90), "1.5 minutes")
  expect_equal(units_time(3600), "60 minutes")
  expect_equal(units_time(7200), "2 hours")
  expect_equal(units_time(86400 * 2), "2 days")
  expect_equal(units_time(86400 * 60), "2 months")
  expect_equal(units_time(86400 * 365 * 3), "3 years")
})

crew_test("is_named()", {
  expect_true(is_named(1:3))
  expect_true(is_named("a"))
  expect_true(is_named(list()))
  expect_true(is_named(list(a = 1, b = 2)))
  expect_false(is_named(list(1, 2)))
  expect_false(is_named(list(a = 1, 2)))
  expect_false(is_named(list(a = 1, a = 2)))
  x <- list(1)
  names(x) <- NA_character_
  expect_false(is_named(x))
})

crew_test("eval_tidyselect() selects names", {
  choices <- c("a1", "a2", "b1")
  expect_equal(eval_tidyselect(NULL, choices), character(0))
  expect_equal(eval_tidyselect(rlang::quo(NULL), choices), character(0))
  expect_equal(eval_tidyselect(rlang::quo(a1), character(0)), character(0))
  expect_equal(eval_tidyselect(rlang::quo(c(b1, a1)), choices), c("b1", "a1"))
  expect_equal(eval_tidyselect(rlang::quo("a2"), choices), "a2")
  expect_equal(eval_tidyselect(rlang::quo(everything()), choices), choices)
  expect_equal(eval_tidyselect(quote(-a1), choices), c("a2", "b1"))
  named <- list(a1 = 1, b1 = 2)
  expect_equal(eval_tidyselect(rlang::quo(b1), named), "b1")
  f <- function(controllers = NULL) {
    eval_tidyselect(rlang::enquo(controllers), choices)
  }
  expect_equal(f(), character(0))
  expect_equal(f(c(a2, b1)), c("a2", "b1"))
  expect_error(f(zzz))
})

crew_test("re-exported tidyselect helpers work in eval_tidyselect()", {
  choices <- c("a1", "a2", "b1", "x_b", "y10")
  select <- function(expr) eval_tidyselect(expr, choices)
  # tidyselect's own helpers shadow same-named functions inside a
  # selection, so call the wrappers through a list to exercise them.
  h <- list(
    all_of = all_of,
    any_of = any_of,
    contains = contains,
    ends_with = ends_with,
    everything = everything,
    last_col = last_col,
    matches = matches,
    num_range = num_range,
    one_of = one_of,
    starts_with = starts_with
  )
  expect_equal(select(rlang::quo(h$starts_with("a"))), c("a1", "a2"))
  expect_equal(select(rlang::quo(h$ends_with("_B"))), "x_b")
  expect_equal(
    select(rlang::quo(h$ends_with("_B", ignore.case = FALSE))),
    character(0)
  )
  expect_equal(select(rlang::quo(h$contains("1"))), c("a1", "b1", "y10"))
  expect_equal(
    select(rlang::quo(h$matches("^[ab][0-9]$"))),
    c("a1", "a2", "b1")
  )
  expect_equal(select(rlang::quo(h$num_range("a", 1:2))), c("a1", "a2"))
  expect_equal(select(rlang::quo(h$all_of(c("b1", "a1")))), c("b1", "a1"))
  expect_equal(select(rlang::quo(h$any_of(c("b1", "nope")))), "b1")
  expect_equal(select(rlang::quo(h$last_col())), "y10")
  expect_equal(select(rlang::quo(h$last_col(offset = 1L))), "x_b")
  expect_equal(select(rlang::quo(h$everything())), choices)
  expect_equal(select(rlang::quo(h$one_of("a2"))), "a2")
  expect_error(select(rlang::quo(h$all_of("nope"))))
  expect_equal(select(rlang::quo(c(starts_with("b"), last_col()))), c("b1", "y10"))
})

crew_test("re-exported tidyselect helpers accept explicit vars", {
  vars <- c("a1", "a2", "b1")
  expect_equal(starts_with("a", vars = vars), c(1L, 2L))
  expect_equal(ends_with("1", vars = vars), c(1L, 3L))
  expect_equal(contains("2", vars = vars), 2L)
  expect_equal(matches("^b", vars = vars), 3L)
  expect_equal(num_range("a", 2, vars = vars), 2L)
  expect_equal(everything(vars = vars), 1:3)
  expect_equal(last_col(vars = vars), 3L)
  expect_equal(any_of(c("b1", "zz"), vars = vars), 3L)
})

crew_test("re-exported tidyselect helpers keep their formals", {
  expect_equal(names(formals(all_of)), "x")
  expect_equal(names(formals(any_of)), c("x", "...", "vars"))
  expect_equal(names(formals(contains)), c("match", "ignore.case", "vars"))
  expect_equal(names(formals(ends_with)), c("match", "ignore.case", "vars"))
  expect_equal(names(formals(everything)), "vars")
  expect_equal(names(formals(last_col)), c("offset", "vars"))
  expect_equal(
    names(formals(matches)),
    c("match", "ignore.case", "perl", "vars")
  )
  expect_equal(
    names(formals(num_range)),
    c("prefix", "range", "suffix", "width", "vars")
  )
  expect_equal(names(formals(one_of)), c("...", ".vars"))
  expect_equal(names(formals(starts_with)), c("match", "ignore.case", "vars"))
})

crew_test("task name generators", {
  x <- name_task_tempfile()
  expect_true(is.character(x) && length(x) == 1L)
  expect_true(grepl("^unnamed_task_", x))
  expect_false(identical(x, name_task_tempfile()))
  y <- name_task_nanonext()
  expect_true(grepl("^unnamed_task_[0-9a-f]{64}$", y))
  expect_false(identical(y, name_task_nanonext()))
})

crew_test("now() is a numeric clock that does not go back", {
  a <- now()
  Sys.sleep(0.01)
  b <- now()
  expect_true(is.numeric(a) && length(a) == 1L)
  expect_true(b > a)
})
