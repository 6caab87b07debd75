crew_test("library(crew) loads tibble's and processx's namespaces; loading alone does not", {
  skip_on_cran()
  script <- c(
    "invisible(loadNamespace('crew'))",
    "loaded <- c(isNamespaceLoaded('tibble'), isNamespaceLoaded('processx'))",
    "suppressPackageStartupMessages(library(crew))",
    "attached <- c(isNamespaceLoaded('tibble'), isNamespaceLoaded('processx'))",
    "cat('loaded:', loaded, 'attached:', attached, '\\n')"
  )
  out <- processx::run(
    file.path(R.home("bin"), "Rscript"),
    c("-e", paste(script, collapse = "\n")),
    timeout = 60,
    error_on_status = FALSE
  )
  expect_match(out$stdout, "loaded: FALSE FALSE attached: TRUE TRUE", fixed = TRUE)
})

crew_test("the R6 classes' methods are byte-compiled in the installed package", {
  compiled <- function(f) any(grepl("^<bytecode", utils::capture.output(print(f))))
  for (generator in list(crew_class_controller, crew_class_client, crew_class_launcher)) {
    methods <- Filter(is.function, c(generator$public_methods, generator$private_methods))
    expect_gt(length(methods), 0L)
    expect_true(all(vapply(methods, compiled, logical(1L))))
  }
})

crew_test("r6_compile_methods() compiles a generator's methods and keeps its fields", {
  generator <- R6::R6Class(
    "crew_test_compile",
    public = list(field = 1L, add = function(x) x + self$field),
    private = list(twice = function(x) 2L * x),
    active = list(value = function() self$field)
  )
  compiled <- function(f) any(grepl("^<bytecode", utils::capture.output(print(f))))
  expect_false(compiled(generator$public_methods$add))
  r6_compile_methods(generator)
  expect_true(compiled(generator$public_methods$add))
  expect_true(compiled(generator$private_methods$twice))
  expect_true(compiled(generator$active$value))
  expect_equal(generator$public_fields$field, 1L)
  object <- generator$new()
  expect_equal(object$add(2L), 3L)
  expect_equal(object$value, 1L)
})

crew_test("imports_used_in_classes() names the functions the classes use", {
  out <- imports_used_in_classes()
  expect_identical(out[[1L]], R6::R6Class)
  expect_identical(out[[2L]], processx::process)
  expect_identical(out[[3L]], tibble::tibble)
})
