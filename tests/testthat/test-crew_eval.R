# Also covers R/crew_eval_record.R, R/crew_eval_state.R and
# R/crew_eval_text.R.

crew_test("crew_eval() success", {
  out <- crew_eval(quote(1L + 1L), name = "x")
  expect_silent(monad_validate(out))
  expect_s3_class(out, c("tbl_df", "tbl", "data.frame"), exact = TRUE)
  expect_equal(names(out), monad_names)
  expect_true(is.numeric(out$seconds))
  expect_true(out$seconds >= 0)
  expect_equal(out$result, list(2L))
  expect_equal(out$name, "x")
  expect_equal(out$command, "1L + 1L")
  expect_equal(out$status, "success")
  expect_equal(out$code, 0L)
  expect_identical(out$error, NA_character_)
  expect_identical(out$trace, NA_character_)
  expect_identical(out$warnings, NA_character_)
  expect_identical(out$seed, NA_integer_)
  expect_identical(out$algorithm, NA_character_)
})

crew_test("crew_eval() deparses commands", {
  expect_equal(
    crew_eval(quote("done"), name = "x")$command,
    "\"done\""
  )
  expect_equal(crew_eval(quote(5L), name = "x")$command, "5L")
  expect_equal(
    crew_eval(quote(c(a = NA_integer_)), name = "x")$command,
    "c(a = NA_integer_)"
  )
  expect_equal(
    crew_eval(quote(`my var` <- 1), name = "x")$command,
    "`my var` <- 1"
  )
  long <- quote({
    a <- 1
    b <- 2
  })
  expect_equal(
    crew_eval(long, name = "x")$command,
    paste(deparse(long), collapse = "\n")
  )
})

crew_test("crew_eval() data and globals", {
  on.exit(
    suppressWarnings(rm("crew_test_global_f", envir = globalenv())),
    add = TRUE
  )
  out <- crew_eval(
    quote(crew_test_global_f(x) + y),
    name = "x",
    data = list(x = 1, y = 2),
    globals = list(crew_test_global_f = function(x) x * 10),
    reset_globals = FALSE
  )
  expect_equal(out$result, list(12))
  expect_true(exists("crew_test_global_f", envir = globalenv()))
  expect_false(exists("x", envir = globalenv(), inherits = FALSE))
})

crew_test("crew_eval() error", {
  out <- crew_eval(quote(stop("this-error")), name = "x")
  expect_silent(monad_validate(out))
  expect_equal(out$result, list(NA))
  expect_equal(out$status, "error")
  expect_equal(out$code, -1L)
  expect_true(grepl("this-error", out$error, fixed = TRUE))
  expect_true(grepl("this-error", out$trace, fixed = TRUE))
  expect_true(is.numeric(out$seconds))
})

crew_test("crew_eval() prints the error as a message", {
  expect_message(
    crew_eval(quote(stop("this-error")), name = "x"),
    "Error: this-error"
  )
})

crew_test("crew_eval() empty error message", {
  out <- crew_eval(quote(stop("")), name = "x")
  expect_equal(out$error, ".")
  expect_equal(out$status, "error")
})

crew_test("crew_eval() long error message and trace are cut", {
  out <- crew_eval(
    quote(stop(strrep("x", 5000L))),
    name = "x"
  )
  expect_equal(nchar(out$error), crew_eval_max_nchar)
  deep <- quote(local({
    f <- function(n) if (n > 0) f(n - 1) else stop(strrep("y", 1000L))
    f(300)
  }))
  out <- crew_eval(deep, name = "x")
  expect_equal(out$status, "error")
  expect_true(nchar(out$trace) <= crew_eval_max_nchar)
})

crew_test("crew_eval() errors caught inside the task do not count", {
  out <- crew_eval(
    quote(tryCatch(stop("inner"), error = function(condition) "recovered")),
    name = "x"
  )
  expect_equal(out$status, "success")
  expect_equal(out$result, list("recovered"))
  expect_identical(out$error, NA_character_)
  expect_identical(out$trace, NA_character_)
})

crew_test("crew_eval() warnings", {
  out <- crew_eval(
    quote({
      warning("this-warning")
      warning("that-warning")
      "value"
    }),
    name = "x"
  )
  expect_equal(out$status, "success")
  expect_equal(out$result, list("value"))
  expect_equal(out$warnings, "this-warning. that-warning")
  expect_identical(out$error, NA_character_)
})

crew_test("crew_eval() warnings are muffled and printed", {
  expect_message(
    expect_no_warning(
      crew_eval(quote(warning("this-warning")), name = "x")
    ),
    "Warning: this-warning"
  )
})

crew_test("crew_eval() empty warning message", {
  out <- crew_eval(quote(warning("")), name = "x")
  expect_equal(out$warnings, ".")
})

crew_test("crew_eval() warning and error together", {
  out <- crew_eval(
    quote({
      warning("this-warning")
      stop("this-error")
    }),
    name = "x"
  )
  expect_equal(out$status, "error")
  expect_equal(out$warnings, "this-warning")
  expect_equal(out$error, "this-error")
})

crew_test("crew_eval() caps 1000 long warnings at 2048 characters", {
  command <- quote({
    for (index in seq_len(1000L)) {
      warning(strrep("w", 300L))
    }
    "done"
  })
  out <- crew_eval(command, name = "x")
  expect_equal(out$status, "success")
  expect_equal(nchar(out$warnings), crew_eval_max_nchar)
  expect_equal(crew_eval_max_nchar, 2048L)
})

crew_test("crew_eval() keeps at most 50 short warnings", {
  command <- quote({
    for (index in seq_len(100L)) {
      warning(sprintf("w%03d", index))
    }
  })
  out <- crew_eval(command, name = "x")
  pieces <- strsplit(out$warnings, ". ", fixed = TRUE)[[1L]]
  expect_equal(length(pieces), crew_eval_max_warnings - 1L)
  expect_equal(pieces[1L], "w001")
  expect_equal(pieces[50L], "w050")
})

crew_test("crew_eval() invalid encoding in a warning", {
  skip_if_not(isTRUE(l10n_info()$`UTF-8`))
  command <- quote(warning(rawToChar(as.raw(c(0x61, 0xff, 0xfe)))))
  out <- crew_eval(command, name = "x")
  expect_equal(out$warnings, crew_eval_text_encoding)
  expect_true(grepl("text encoding issue", out$warnings, fixed = TRUE))
})

crew_test("crew_eval() invalid encoding in an error", {
  skip_if_not(isTRUE(l10n_info()$`UTF-8`))
  command <- quote(stop(rawToChar(as.raw(c(0x61, 0xff, 0xfe)))))
  out <- crew_eval(command, name = "x")
  expect_true(grepl("text encoding issue", out$error, fixed = TRUE))
})

crew_test("crew_eval() seed and algorithm", {
  set.seed(12L)
  kind <- RNGkind()[1L]
  seed <- .Random.seed
  out1 <- crew_eval(
    quote(sample.int(1e9L, 1L)),
    name = "x",
    seed = 0L,
    algorithm = "L'Ecuyer-CMRG"
  )
  out2 <- crew_eval(
    quote(sample.int(1e9L, 1L)),
    name = "x",
    seed = 0L,
    algorithm = "L'Ecuyer-CMRG"
  )
  out3 <- crew_eval(
    quote(sample.int(1e9L, 1L)),
    name = "x",
    seed = 1L,
    algorithm = "L'Ecuyer-CMRG"
  )
  expect_equal(out1$result, out2$result)
  expect_false(identical(out1$result, out3$result))
  expect_equal(out1$seed, 0L)
  expect_equal(out3$seed, 1L)
  expect_equal(out1$algorithm, "L'Ecuyer-CMRG")
  expect_equal(RNGkind()[1L], kind)
  expect_identical(.Random.seed, seed)
  expected <- withr::with_seed(
    0L,
    sample.int(1e9L, 1L),
    .rng_kind = "L'Ecuyer-CMRG"
  )
  expect_equal(out1$result[[1L]], expected)
})

crew_test("crew_eval() just seed", {
  set.seed(34L)
  kind <- RNGkind()[1L]
  seed <- .Random.seed
  out1 <- crew_eval(quote(runif(1L)), name = "x", seed = 5L)
  out2 <- crew_eval(quote(runif(1L)), name = "x", seed = 5L)
  out3 <- crew_eval(quote(runif(1L)), name = "x", seed = 6L)
  expect_equal(out1$result, out2$result)
  expect_false(identical(out1$result, out3$result))
  expect_equal(out1$seed, 5L)
  expect_identical(out1$algorithm, NA_character_)
  expect_equal(RNGkind()[1L], kind)
  expect_identical(.Random.seed, seed)
})

crew_test("crew_eval() keeps the type of a double seed", {
  out <- crew_eval(quote(runif(1L)), name = "x", seed = 5)
  expect_identical(out$seed, 5)
  expect_silent(monad_validate(out))
})

crew_test("crew_eval() just algorithm", {
  set.seed(56L)
  kind <- RNGkind()[1L]
  seed <- .Random.seed
  out <- crew_eval(
    quote(RNGkind()[1L]),
    name = "x",
    algorithm = "L'Ecuyer-CMRG"
  )
  expect_equal(out$result, list("L'Ecuyer-CMRG"))
  expect_equal(out$algorithm, "L'Ecuyer-CMRG")
  expect_identical(out$seed, NA_integer_)
  expect_equal(RNGkind()[1L], kind)
  expect_identical(.Random.seed, seed)
})

crew_test("crew_eval() RNG state not restored if not set", {
  set.seed(78L)
  seed <- .Random.seed
  out <- crew_eval(quote(runif(1L)), name = "x")
  expect_equal(out$status, "success")
  expect_false(identical(.Random.seed, seed))
})

crew_test("crew_eval() honours the seed in a session without a seed", {
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  if (had_seed) {
    old <- get(".Random.seed", envir = globalenv())
    on.exit(assign(".Random.seed", old, envir = globalenv()), add = TRUE)
  }
  expected <- withr::with_seed(9L, runif(3L))
  results <- list()
  for (index in seq_len(2L)) {
    suppressWarnings(rm(".Random.seed", envir = globalenv()))
    out <- crew_eval(quote(runif(3L)), name = "x", seed = 9L)
    results[[index]] <- out$result[[1L]]
  }
  expect_equal(results[[1L]], expected)
  expect_equal(results[[2L]], expected)
})

crew_test("crew_eval() controller from CREW_CONTROLLER", {
  withr::local_envvar(CREW_CONTROLLER = NA)
  out <- crew_eval(quote(1L), name = "x")
  expect_identical(out$controller, NA_character_)
  withr::local_envvar(CREW_CONTROLLER = "my_controller")
  out <- crew_eval(quote(Sys.getenv("CREW_CONTROLLER")), name = "x")
  expect_equal(out$controller, "my_controller")
  expect_equal(out$result, list("my_controller"))
})

crew_test("crew_eval() reset_globals", {
  on.exit(
    suppressWarnings(
      rm(
        list = c("crew_test_new_a", "crew_test_new_b", "crew_test_old"),
        envir = globalenv()
      )
    ),
    add = TRUE
  )
  assign("crew_test_old", "old", envir = globalenv())
  crew_eval(
    quote({
      assign("crew_test_new_a", 1, envir = globalenv())
      assign("crew_test_old", "new", envir = globalenv())
    }),
    name = "x",
    globals = list(crew_test_new_b = 2),
    reset_globals = TRUE
  )
  expect_false(exists("crew_test_new_a", envir = globalenv()))
  expect_false(exists("crew_test_new_b", envir = globalenv()))
  expect_equal(get("crew_test_old", envir = globalenv()), "new")
  crew_eval(
    quote(assign("crew_test_new_a", 1, envir = globalenv())),
    name = "x",
    reset_globals = FALSE
  )
  expect_true(exists("crew_test_new_a", envir = globalenv()))
})

crew_test("crew_eval() reset_packages", {
  # Any base package that the session has not attached will do.
  candidates <- c("splines", "stats4", "tools", "grid", "compiler")
  package <- candidates[!paste0("package:", candidates) %in% search()][1L]
  entry <- paste0("package:", package)
  on.exit(try(detach(entry, character.only = TRUE), silent = TRUE), add = TRUE)
  command <- substitute(library(x), list(x = as.name(package)))
  crew_eval(command, name = "x", reset_packages = TRUE)
  expect_false(entry %in% search())
  crew_eval(command, name = "x", reset_packages = FALSE)
  expect_true(entry %in% search())
})

crew_test("crew_eval() reset_options", {
  withr::local_options(crew_test_option = "before")
  on.exit(options(crew_test_created = NULL), add = TRUE)
  crew_eval(
    quote(options(crew_test_option = "after", crew_test_created = TRUE)),
    name = "x",
    reset_options = TRUE
  )
  expect_equal(getOption("crew_test_option"), "before")
  crew_eval(
    quote(options(crew_test_option = "after")),
    name = "x",
    reset_options = FALSE
  )
  expect_equal(getOption("crew_test_option"), "after")
})

crew_test("crew_eval() garbage_collection", {
  tracker <- new.env()
  tracker$collected <- FALSE
  command <- quote({
    local({
      object <- new.env()
      reg.finalizer(object, function(e) tracker$collected <- TRUE)
    })
    NULL
  })
  out <- crew_eval(
    command,
    name = "x",
    data = list(tracker = tracker),
    garbage_collection = TRUE
  )
  expect_equal(out$status, "success")
  expect_true(tracker$collected)
})

crew_test("crew_eval() packages", {
  out <- crew_eval(
    quote(exists("md5sum")),
    name = "x",
    packages = "tools",
    library = .libPaths(),
    reset_packages = TRUE
  )
  expect_equal(out$result, list(TRUE))
  expect_crew_error(
    crew_eval(
      quote(1L),
      name = "x",
      packages = "crew.package.that.does.not.exist"
    )
  )
})

crew_test("load_packages() errors on a bogus package", {
  expect_silent(load_packages(character(0L), NULL))
  expect_crew_error(
    load_packages("crew.package.that.does.not.exist", library = tempdir())
  )
})

crew_test("crew_eval_record() returns a plain list", {
  out <- crew_eval_record(
    command = quote(list(a = 1)),
    name = "x",
    seed = 3L,
    algorithm = "Mersenne-Twister"
  )
  expect_false(is.data.frame(out))
  expect_equal(
    names(out),
    c(
      "name", "command", "value", "status", "error", "code", "trace",
      "warnings", "seconds", "seed", "algorithm", "controller"
    )
  )
  expect_equal(out$value, list(a = 1))
  expect_equal(out$seed, 3L)
  expect_equal(out$algorithm, "Mersenne-Twister")
  failed <- crew_eval_record(command = quote(stop("x")), name = "y")
  expect_identical(failed$value, NA)
  expect_equal(failed$code, -1L)
})

crew_test("crew_eval_record() does not load tibble", {
  skip_if_not(nzchar(Sys.which("Rscript")))
  files <- vapply(
    c(
      "conditions.R", "monad.R", "crew_eval.R", "crew_eval_record.R",
      "crew_eval_text.R", "crew_eval_state.R"
    ),
    function(file) testthat::test_path("..", "..", "R", file),
    character(1L)
  )
  skip_if_not(all(file.exists(files)))
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script), add = TRUE)
  writeLines(
    c(
      sprintf(
        "for (file in c(%s)) source(file)",
        toString(dQuote(files, FALSE))
      ),
      "now <- function() proc.time()[['elapsed']]",
      "out <- crew_eval_record(quote(1 + 1), name = 'x')",
      "stopifnot(identical(out$value, 2))",
      "cat(any(c('tibble', 'cli', 'tidyselect') %in% loadedNamespaces()))"
    ),
    script
  )
  output <- system2("Rscript", c("--vanilla", script), stdout = TRUE)
  expect_equal(output[length(output)], "FALSE")
})

crew_test("crew_eval() reports each command's own text, also when commands repeat", {
  first <- crew_eval(NULL, name = "a")
  expect_equal(first$command, "NULL")
  expect_equal(crew_eval(quote(1 + 1), name = "b")$command, "1 + 1")
  expect_equal(crew_eval(quote(1 + 1), name = "c")$command, "1 + 1")
  expect_equal(crew_eval(quote(f(x)), name = "d")$command, "f(x)")
  expect_equal(crew_eval(NULL, name = "e")$command, "NULL")
})

crew_test("crew_eval() leaves the RNG exactly as it found it, even without a seed", {
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  if (had_seed) {
    old <- get(".Random.seed", envir = globalenv())
    on.exit(assign(".Random.seed", old, envir = globalenv()), add = TRUE)
  }
  kinds <- RNGkind()
  on.exit(suppressWarnings(RNGkind(kinds[[1L]], kinds[[2L]], kinds[[3L]])), add = TRUE)
  suppressWarnings(rm(".Random.seed", envir = globalenv()))
  out <- crew_eval(quote(runif(1L)), name = "x", seed = 3L)
  expect_equal(out$result[[1L]], withr::with_seed(3L, runif(1L)))
  expect_false(exists(".Random.seed", envir = globalenv(), inherits = FALSE))
  out <- crew_eval(quote(runif(1L)), name = "x", algorithm = "Mersenne-Twister")
  expect_false(exists(".Random.seed", envir = globalenv(), inherits = FALSE))
  suppressWarnings(RNGkind("Wichmann-Hill", "Box-Muller", "Rounding"))
  set.seed(11L)
  before <- .Random.seed
  out <- crew_eval(quote(runif(1L)), name = "x", seed = 1L, algorithm = "L'Ecuyer-CMRG")
  expect_equal(out$status, "success")
  expect_identical(RNGkind(), c("Wichmann-Hill", "Box-Muller", "Rounding"))
  expect_identical(.Random.seed, before)
})
