# Covers R/crew_tls.R and R/crew_tls_mutual.R with real workers.
#
# TLS between the client and real worker processes, with certificates made
# by openssl: both modes, trust failures, encryption on the wire, mutual
# TLS, and peers that speak the wrong protocol.

crew_test_tls_pki <- local({
  pki <- NULL
  function() {
    if (is.null(pki)) {
      pki <<- crew_test_pki()
    }
    pki
  }
})

crew_test_tls_controller <- function(tls, ...) {
  crew_controller_local(host = "127.0.0.1", seconds_interval = 0.1, tls = tls, ...)
}

crew_test_tls_port <- function(controller) {
  as.integer(sub(".*:", "", controller$client$url))
}

crew_test("tls: automatic mode runs tasks over TLS with a fresh certificate per start", {
  crew_test_skip()
  controller <- crew_test_tls_controller(crew_tls(mode = "automatic"), workers = 2L)
  on.exit(controller$terminate())
  results <- controller$map(x * 2L, iterate = list(x = 1:20), verbose = FALSE)
  expect_equal(unlist(results$result), (1:20) * 2L)
  expect_match(controller$client$url, "^tls\\+tcp://127\\.0\\.0\\.1:")
  first <- controller$launcher$settings()$tlscert
  expect_match(first, "BEGIN CERTIFICATE")
  expect_false(grepl("PRIVATE KEY", first))
  controller$terminate()
  controller$start()
  second <- controller$launcher$settings()$tlscert
  expect_match(second, "BEGIN CERTIFICATE")
  expect_false(identical(first, second))
})

crew_test("tls: custom mode with a chain and an encrypted key runs tasks", {
  crew_test_skip()
  pki <- crew_test_tls_pki()
  tls <- crew_tls(
    mode = "custom",
    key = pki$key_encrypted,
    password = pki$password,
    certificates = pki$chain
  )
  controller <- crew_test_tls_controller(tls)
  on.exit(controller$terminate())
  controller$push(Sys.getenv("CREW_CONTROLLER"), name = "task", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 60))
  out <- crew_test_pop(controller)
  expect_equal(out$status, "success")
  expect_match(controller$client$url, "^tls\\+tcp://")
})

crew_test("tls: custom certificates are checked when crew_tls() runs", {
  pki <- crew_test_tls_pki()
  custom <- function(...) crew_tls(mode = "custom", ...)
  expect_silent(custom(key = pki$key, certificates = pki$chain))
  expect_error(
    custom(key = file.path(pki$directory, "missing.key"), certificates = pki$chain),
    class = "crew_error",
    regexp = "file not found"
  )
  not_pem <- file.path(pki$directory, "not-pem.txt")
  writeLines("hello", not_pem)
  expect_error(custom(key = not_pem, certificates = pki$chain), class = "crew_error")
  expect_error(custom(key = pki$key, certificates = not_pem), class = "crew_error")
  expect_error(
    custom(key = pki$worker_key, certificates = pki$chain),
    class = "crew_error",
    regexp = "does not belong"
  )
  expect_error(
    custom(key = pki$key_encrypted, password = "wrong", certificates = pki$chain),
    class = "crew_error",
    regexp = "password"
  )
  expect_error(
    custom(key = pki$key_encrypted, certificates = pki$chain),
    class = "crew_error",
    regexp = "password"
  )
  expect_error(
    custom(key = pki$expired_key, certificates = pki$expired),
    class = "crew_error",
    regexp = "expired"
  )
  expect_error(
    custom(key = pki$future_key, certificates = pki$future),
    class = "crew_error",
    regexp = "not valid yet"
  )
  expect_error(
    custom(key = pki$key, certificates = c(pki$chain[1L], pki$stranger)),
    class = "crew_error",
    regexp = "chain"
  )
})

crew_test("tls: a custom certificate that does not name the host fails at start", {
  crew_test_skip()
  pki <- crew_test_tls_pki()
  tls <- crew_tls(mode = "custom", key = pki$key, certificates = pki$chain)
  controller <- crew_controller_local(host = "localhost", tls = tls)
  on.exit(controller$terminate())
  expect_error(controller$start(), class = "crew_error", regexp = "localhost")
  expect_false(controller$started())
})

crew_test("tls: a worker given the wrong root refuses to connect and keeps its credential unused", {
  crew_test_skip()
  pki <- crew_test_tls_pki()
  tls <- crew_tls(mode = "custom", key = pki$key, certificates = pki$chain)
  controller <- crew_test_tls_controller(tls)
  on.exit(controller$terminate())
  controller$start()
  settings <- controller$launcher$settings()
  wrong <- settings
  wrong$tlscert <- c(tls_read_text(c(pki$chain[2L], pki$stranger)), "")
  impostor_victim <- crew_test_manual_worker(wrong)
  expect_true(crew_test_until(~ !impostor_victim$is_alive(), seconds_timeout = 30))
  expect_equal(impostor_victim$get_exit_status(), 7L)
  expect_equal(controller$client$status()[["cumulative"]], 0L)
  # The same credential still admits a worker that trusts the right root.
  worker <- crew_test_manual_worker(settings)
  on.exit(worker$kill(), add = TRUE)
  controller$push(1L + 1L, name = "task", scale = FALSE)
  expect_true(controller$wait(seconds_timeout = 60, scale = FALSE))
  expect_equal(crew_test_pop(controller, scale = FALSE)$result[[1L]], 2L)
})

crew_test("tls: a worker without the certificate of a TLS client cannot start", {
  crew_test_skip()
  controller <- crew_test_tls_controller(crew_tls(mode = "automatic"))
  on.exit(controller$terminate())
  controller$start()
  settings <- controller$launcher$settings()
  settings$tlscert <- NULL
  expect_crew_error(crew_worker(settings = settings, controller = "x"))
  expect_equal(controller$client$status()[["cumulative"]], 0L)
})

# Runs one task whose result is a string that never appears in the task
# itself, through a capturing proxy; returns the bytes on the wire.
crew_test_tls_capture <- function(tls) {
  controller <- crew_test_tls_controller(tls)
  on.exit(controller$terminate())
  controller$start()
  capture <- tempfile(fileext = ".bin")
  proxy <- crew_test_capture_proxy(crew_test_tls_port(controller), capture)
  on.exit(proxy$process$kill(), add = TRUE)
  settings <- controller$launcher$settings()
  settings$url <- sub(":[0-9]+$", paste0(":", proxy$port), settings$url)
  worker <- crew_test_manual_worker(settings)
  on.exit(worker$kill(), add = TRUE)
  controller$push(
    paste(rev(c("12345", "PAYLOAD", "SECRET")), collapse = "-"),
    name = "secret",
    scale = FALSE
  )
  testthat::expect_true(controller$wait(seconds_timeout = 60, scale = FALSE))
  testthat::expect_equal(
    crew_test_pop(controller, scale = FALSE)$result[[1L]],
    "SECRET-PAYLOAD-12345"
  )
  controller$terminate()
  crew_test_until(~ !proxy$process$is_alive(), seconds_timeout = 10)
  readBin(capture, what = "raw", n = file.size(capture))
}

crew_test("tls: the bytes on the wire do not show what a task returns", {
  crew_test_skip()
  secret <- charToRaw("SECRET-PAYLOAD-12345")
  plain <- crew_test_tls_capture(crew_tls(mode = "none"))
  expect_gt(length(plain), 0L)
  expect_gt(length(grepRaw(secret, plain, fixed = TRUE)), 0L)
  encrypted <- crew_test_tls_capture(crew_tls(mode = "automatic"))
  expect_gt(length(encrypted), 0L)
  expect_length(grepRaw(secret, encrypted, fixed = TRUE), 0L)
  pki <- crew_test_tls_pki()
  custom <- crew_test_tls_capture(crew_tls(mode = "custom", key = pki$key, certificates = pki$chain))
  expect_length(grepRaw(secret, custom, fixed = TRUE), 0L)
})

crew_test("tls: mutual TLS admits workers with a certificate from the authority only", {
  crew_test_skip()
  pki <- crew_test_tls_pki()
  tls <- crew_tls_mutual(
    tls = crew_tls(mode = "automatic"),
    authority = pki$workers_ca,
    certificates = pki$worker_chain,
    key = pki$worker_key
  )
  expect_equal(tls$authority, pki$workers_ca)
  controller <- crew_test_tls_controller(tls)
  on.exit(controller$terminate())
  results <- controller$map(x, iterate = list(x = 1:3), verbose = FALSE)
  expect_equal(unlist(results$result), 1:3)
  settings <- controller$launcher$settings()
  expect_equal(settings$tlsworker$key, pki$worker_key)
  anonymous <- settings
  anonymous$tlsworker <- NULL
  before <- controller$client$status()[["cumulative"]]
  worker <- crew_test_manual_worker(anonymous)
  expect_true(crew_test_until(~ !worker$is_alive(), seconds_timeout = 30))
  expect_equal(worker$get_exit_status(), 6L)
  expect_equal(controller$client$status()[["cumulative"]], before)
  expect_crew_error(
    crew_tls_mutual(crew_tls(), authority = pki$workers_ca, certificates = pki$worker_chain, key = pki$worker_key)
  )
  expect_crew_error(
    crew_tls_mutual(crew_tls(mode = "automatic"), authority = 1, certificates = pki$worker_chain, key = pki$worker_key)
  )
})

crew_test("tls: wrong-protocol peers get nothing and do not disturb a running task", {
  crew_test_skip()
  tls_controller <- crew_test_tls_controller(crew_tls(mode = "automatic"))
  plain_controller <- crew_test_tls_controller(crew_tls(mode = "none"))
  on.exit({
    tls_controller$terminate()
    plain_controller$terminate()
  })
  for (controller in list(tls_controller, plain_controller)) {
    controller$push({Sys.sleep(2); "done"}, name = "task", throttle = FALSE)
  }
  expect_true(
    crew_test_until(
      ~ tls_controller$client$status()[["executing"]] == 1L &&
        plain_controller$client$status()[["executing"]] == 1L,
      seconds_timeout = 60
    )
  )
  # Plain bytes to the TLS port.
  stranger <- socketConnection("127.0.0.1", crew_test_tls_port(tls_controller), open = "r+b", timeout = 5)
  writeBin(as.raw(0:255), stranger)
  close(stranger)
  # A TLS client hello (openssl s_client) to the plain port.
  hello <- processx::process$new(
    "openssl",
    c("s_client", "-connect", paste0("127.0.0.1:", crew_test_tls_port(plain_controller))),
    stdin = "|",
    stdout = "|",
    stderr = "|"
  )
  expect_true(crew_test_until(~ !hello$is_alive(), seconds_timeout = 20))
  for (controller in list(tls_controller, plain_controller)) {
    expect_true(controller$wait(seconds_timeout = 60))
    out <- crew_test_pop(controller)
    expect_equal(out$result[[1L]], "done")
    expect_equal(controller$client$status()[["cumulative"]], 1L)
  }
})
