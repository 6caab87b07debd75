crew_test("new_rows() makes a tibble of the columns", {
  columns <- list(name = c("a", "b", "c"), value = 1:3)
  out <- new_rows(columns, 3L)
  expect_s3_class(out, c("tbl_df", "tbl", "data.frame"), exact = TRUE)
  expect_equal(names(out), c("name", "value"))
  expect_equal(nrow(out), 3L)
  expect_equal(out$name, c("a", "b", "c"))
  expect_identical(out$value, 1:3)
  # Compact row names, as tibble::new_tibble() would set them.
  expect_identical(.row_names_info(out, type = 0L), c(NA_integer_, -3L))
  tibble_ready()
  expect_identical(out, tibble::tibble(name = c("a", "b", "c"), value = 1:3))
})

crew_test("new_rows() with no rows keeps the columns", {
  out <- new_rows(list(name = character(0L), value = integer(0L)), 0L)
  expect_s3_class(out, "tbl_df")
  expect_equal(nrow(out), 0L)
  expect_equal(names(out), c("name", "value"))
  expect_identical(out$value, integer(0L))
})

crew_test("tibble_ready() loads tibble's namespace, which loading crew does not", {
  skip_on_cran()
  script <- c(
    "invisible(loadNamespace('crew'))",
    "before <- isNamespaceLoaded('tibble')",
    "crew:::tibble_ready()",
    "cat('before:', before, 'after:', isNamespaceLoaded('tibble'), '\\n')"
  )
  out <- processx::run(
    file.path(R.home("bin"), "Rscript"),
    c("-e", paste(script, collapse = "\n")),
    timeout = 60,
    error_on_status = FALSE
  )
  expect_match(out$stdout, "before: FALSE after: TRUE", fixed = TRUE)
})
