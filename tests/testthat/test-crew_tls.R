crew_tls_mock_files <- function(dir = tempfile()) {
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  key <- file.path(dir, "key.pem")
  certificate_a <- file.path(dir, "a.pem")
  certificate_b <- file.path(dir, "b.pem")
  writeLines(
    c("-----BEGIN PRIVATE KEY-----", "lines", "-----END PRIVATE KEY-----"),
    key
  )
  writeLines(
    c("-----BEGIN CERTIFICATE-----", "a", "-----END CERTIFICATE-----"),
    certificate_a
  )
  writeLines(
    c("-----BEGIN CERTIFICATE-----", "b", "-----END CERTIFICATE-----"),
    certificate_b
  )
  list(key = key, certificates = c(certificate_a, certificate_b))
}

crew_test("crew_tls() class and R6 flags", {
  tls <- crew_tls()
  expect_s3_class(tls, "crew_class_tls")
  expect_false(crew_class_tls$portable)
  expect_false(crew_class_tls$cloneable)
  expect_true(all(c("self", "private") %in% names(tls)))
  expect_equal(tls$mode, "none")
  expect_null(tls$key)
  expect_null(tls$password)
  expect_null(tls$certificates)
  expect_error(tls$mode <- "automatic")
})

crew_test("crew_tls() mode none", {
  tls <- crew_tls(mode = "none")
  expect_silent(tls$validate())
  expect_null(tls$client())
  expect_null(tls$worker(profile = "default"))
})

crew_test("crew_tls() mode automatic", {
  tls <- crew_tls(mode = "automatic")
  expect_silent(tls$validate())
  expect_null(tls$client())
  expect_null(tls$worker(profile = "crew_tls_profile_not_running"))
})

crew_test("crew_tls() automatic worker() asks the native layer", {
  tls <- crew_tls(mode = "automatic")
  native_tls_certificate <- function(profile) c(paste("cert of", profile), "")
  worker <- tls$worker
  environment(worker) <- list2env(
    list(native_tls_certificate = native_tls_certificate),
    parent = environment(tls$worker)
  )
  expect_equal(worker(profile = "abc"), c("cert of abc", ""))
})

crew_test("crew_tls() none and automatic reject files", {
  files <- crew_tls_mock_files()
  for (mode in c("none", "automatic")) {
    expect_crew_error(crew_tls(mode = mode, key = files$key))
    expect_crew_error(crew_tls(mode = mode, password = "abc"))
    expect_crew_error(crew_tls(mode = mode, certificates = files$certificates))
  }
})

crew_test("crew_tls() custom without files", {
  expect_crew_error(crew_tls(mode = "custom"))
  files <- crew_tls_mock_files()
  expect_crew_error(
    crew_tls(mode = "custom", key = files$key, validate = FALSE)$validate(
      test = FALSE
    )
  )
  expect_crew_error(
    crew_tls(
      mode = "custom",
      certificates = files$certificates,
      validate = FALSE
    )$validate(test = FALSE)
  )
  tls <- crew_tls(
    mode = "custom",
    key = file.path(tempfile(), "missing.pem"),
    certificates = files$certificates,
    validate = FALSE
  )
  expect_crew_error(tls$validate(test = FALSE))
  tls <- crew_tls(
    mode = "custom",
    key = files$key,
    certificates = c(files$certificates, file.path(tempfile(), "missing.pem")),
    validate = FALSE
  )
  expect_crew_error(tls$validate(test = FALSE))
})

crew_test("crew_tls() custom with bad argument types", {
  files <- crew_tls_mock_files()
  bad <- list(
    list(key = c(files$key, files$key)),
    list(key = ""),
    list(key = NA_character_),
    list(password = ""),
    list(password = 123),
    list(certificates = character(0L)),
    list(certificates = c(files$certificates, "")),
    list(certificates = c(files$certificates, NA_character_))
  )
  for (change in bad) {
    args <- list(
      mode = "custom",
      key = files$key,
      certificates = files$certificates,
      validate = FALSE
    )
    args[names(change)] <- change
    tls <- do.call(crew_tls, args)
    expect_crew_error(tls$validate(test = FALSE))
  }
})

crew_test("crew_tls() custom with mock files", {
  files <- crew_tls_mock_files()
  tls <- crew_tls(
    mode = "custom",
    key = files$key,
    password = "secret",
    certificates = files$certificates,
    validate = FALSE
  )
  expect_silent(tls$validate(test = FALSE))
  expect_equal(tls$mode, "custom")
  expect_equal(tls$key, files$key)
  expect_equal(tls$password, "secret")
  expect_equal(tls$certificates, files$certificates)
  certificates <- paste(
    c(
      "-----BEGIN CERTIFICATE-----", "a", "-----END CERTIFICATE-----",
      "-----BEGIN CERTIFICATE-----", "b", "-----END CERTIFICATE-----"
    ),
    collapse = "\n"
  )
  key <- paste(
    c("-----BEGIN PRIVATE KEY-----", "lines", "-----END PRIVATE KEY-----"),
    collapse = "\n"
  )
  expect_equal(tls$client(), c(certificates, key))
  expect_equal(tls$worker(profile = "default"), c(certificates, ""))
})

crew_test("crew_tls() validate(test = TRUE) calls the native check", {
  files <- crew_tls_mock_files()
  tls <- crew_tls(
    mode = "custom",
    key = files$key,
    password = "secret",
    certificates = files$certificates,
    validate = FALSE
  )
  calls <- new.env()
  native_tls_check <- function(certificates, key, password) {
    calls$args <- list(certificates, key, password)
    crew_error("mock TLS failure")
  }
  validate <- tls_validate
  environment(validate) <- list2env(
    list(native_tls_check = native_tls_check),
    parent = environment(tls_validate)
  )
  expect_silent(validate(tls, crew_private(tls), test = FALSE))
  expect_null(calls$args)
  expect_crew_error(validate(tls, crew_private(tls), test = TRUE))
  expect_equal(calls$args[[1L]], tls$client()[1L])
  expect_equal(calls$args[[2L]], tls$client()[2L])
  expect_equal(calls$args[[3L]], "secret")
})

crew_test("crew_tls() bad mode", {
  expect_crew_error(crew_tls(mode = "nope"))
  expect_crew_error(crew_tls(mode = NA_character_))
  expect_crew_error(crew_tls(mode = ""))
  expect_crew_error(crew_tls(mode = c("none", "custom")))
  expect_crew_error(crew_tls(mode = 1))
  expect_crew_error(crew_tls(mode = NULL))
  expect_silent(crew_tls(mode = "nope", validate = FALSE))
})

crew_test("crew_tls_assert_key()", {
  dir <- tempfile()
  dir.create(dir)
  path <- file.path(dir, "key.pem")
  expect_crew_error(crew_tls_assert_key(path))
  file.create(path)
  expect_crew_error(crew_tls_assert_key(path))
  writeLines(
    c("-----BEGIN CERTIFICATE-----", "x", "-----END PRIVATE KEY-----"),
    path
  )
  expect_crew_error(crew_tls_assert_key(path))
  writeLines(
    c("-----BEGIN PRIVATE KEY-----", "x", "-----END CERTIFICATE-----"),
    path
  )
  expect_crew_error(crew_tls_assert_key(path))
  writeLines(
    c("-----BEGIN PRIVATE KEY-----", "x", "-----END PRIVATE KEY-----"),
    path
  )
  expect_silent(crew_tls_assert_key(path))
  writeLines(
    c(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----",
      "x",
      "-----END ENCRYPTED PRIVATE KEY-----"
    ),
    path
  )
  expect_silent(crew_tls_assert_key(path))
})

crew_test("crew_tls_assert_certificate()", {
  dir <- tempfile()
  dir.create(dir)
  path <- file.path(dir, "certificate.pem")
  expect_crew_error(crew_tls_assert_certificate(path))
  file.create(path)
  expect_crew_error(crew_tls_assert_certificate(path))
  writeLines(
    c("-----BEGIN PRIVATE KEY-----", "x", "-----END CERTIFICATE-----"),
    path
  )
  expect_crew_error(crew_tls_assert_certificate(path))
  writeLines(
    c("-----BEGIN CERTIFICATE-----", "x", "-----END PRIVATE KEY-----"),
    path
  )
  expect_crew_error(crew_tls_assert_certificate(path))
  writeLines(
    c("-----BEGIN CERTIFICATE-----", "x", "-----END CERTIFICATE-----"),
    path
  )
  expect_silent(crew_tls_assert_certificate(path))
})

crew_test("crew_tls() url()", {
  expect_equal(
    crew_tls()$url(host = "10.0.0.7", port = 5700L),
    "tcp://10.0.0.7:5700"
  )
  expect_equal(
    crew_tls(mode = "automatic")$url(host = "10.0.0.7", port = 0L),
    "tls+tcp://10.0.0.7:0"
  )
  files <- crew_tls_mock_files()
  tls <- crew_tls(
    mode = "custom",
    key = files$key,
    certificates = files$certificates,
    validate = FALSE
  )
  expect_equal(
    tls$url(host = "127.0.0.1", port = "57000"),
    "tls+tcp://127.0.0.1:57000"
  )
})
