# Covers R/conditions.R.
# Each kind of error reaches R as crew_error plus a class naming the kind
# (see ?crew_conditions). Kinds that need a broken peer or a terabyte of
# data (network, protocol, too_large, runtime, internal) are checked in the
# core's tests of Error::kind instead; a refused worker is seen by the
# worker alone, which exits with status 6 (see test-shared_port.R).

crew_condition_of <- function(expr) {
  tryCatch(
    {
      expr
      NULL
    },
    error = function(condition) condition
  )
}

expect_crew_kind <- function(condition, kind) {
  class <- paste0("crew_error_", kind)
  expect_s3_class(condition, class)
  expect_equal(class(condition)[1:3], c(class, "crew_error", "crew"))
}

crew_test("argument checks raise crew_error_invalid_argument", {
  expect_crew_kind(crew_condition_of(crew_assert(FALSE)), "invalid_argument")
  condition <- crew_condition_of(crew:::native_random_name(-1))
  expect_crew_kind(condition, "invalid_argument")
  expect_equal(conditionMessage(condition), "n must be a positive integer")
})

crew_test("a certificate that cannot be read raises crew_error_tls", {
  directory <- tempfile()
  dir.create(directory)
  on.exit(unlink(directory, recursive = TRUE), add = TRUE)
  key <- file.path(directory, "key.pem")
  certificate <- file.path(directory, "certificate.pem")
  writeLines(c("-----BEGIN PRIVATE KEY-----", "x", "-----END PRIVATE KEY-----"), key)
  writeLines(c("-----BEGIN CERTIFICATE-----", "x", "-----END CERTIFICATE-----"), certificate)
  condition <- crew_condition_of(
    crew_tls(mode = "custom", key = key, certificates = certificate)
  )
  expect_crew_kind(condition, "tls")
  expect_match(conditionMessage(condition), "cannot be used", fixed = TRUE)
})

crew_test("a port taken by another program raises crew_error_address_in_use", {
  crew_test_skip()
  port <- crew_test_port()
  server <- serverSocket(port)
  on.exit(close(server), add = TRUE)
  controller <- crew_controller_local(host = "127.0.0.1", port = port)
  on.exit(controller$terminate(), add = TRUE)
  expect_crew_kind(crew_condition_of(controller$start()), "address_in_use")
})

crew_test("a port held with other TLS settings raises crew_error_address_in_use", {
  crew_test_skip()
  port <- crew_test_port()
  plain <- crew_controller_local(host = "127.0.0.1", port = port)
  on.exit(plain$terminate(), add = TRUE)
  plain$start()
  secure <- crew_controller_local(
    host = "127.0.0.1",
    port = port,
    tls = crew_tls(mode = "automatic")
  )
  on.exit(secure$terminate(), add = TRUE)
  condition <- crew_condition_of(secure$start())
  expect_crew_kind(condition, "address_in_use")
  expect_match(conditionMessage(condition), "cannot be shared", fixed = TRUE)
})

crew_test("a task name in use raises crew_error_duplicate_name", {
  crew_test_skip()
  controller <- crew_controller_local(workers = 1L, seconds_idle = 30)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  controller$push(1, name = "twice", scale = FALSE)
  condition <- crew_condition_of(controller$push(1, name = "twice", scale = FALSE))
  expect_crew_kind(condition, "duplicate_name")
  expect_match(conditionMessage(condition), "already exists", fixed = TRUE)
})

crew_test("a profile started twice raises crew_error_profile_active", {
  crew_test_skip()
  profile <- paste0("crew_conditions_", crew_random_name())
  on.exit(crew:::native_dispatcher_stop(profile), add = TRUE)
  crew:::native_dispatcher_start(profile, "127.0.0.1", 0L)
  condition <- crew_condition_of(crew:::native_dispatcher_start(profile, "127.0.0.1", 0L))
  expect_crew_kind(condition, "profile_active")
})

crew_test("a stopped dispatcher raises crew_error_not_running", {
  crew_test_skip()
  profile <- paste0("crew_conditions_", crew_random_name())
  on.exit(crew:::native_dispatcher_stop(profile), add = TRUE)
  crew:::native_dispatcher_start(profile, "127.0.0.1", 0L)
  handle <- crew:::native_dispatcher_handle(profile, FALSE, FALSE, FALSE, FALSE, "x")
  crew:::native_dispatcher_stop(profile)
  condition <- crew_condition_of(
    crew:::native_walk(
      handle,
      shared = list(task = quote(1), fields = "x"),
      columns = list(1:2),
      names = NULL,
      prefix = "p",
      seeds = NULL,
      seconds_timeout = NULL,
      handles = FALSE
    )
  )
  expect_crew_kind(condition, "not_running")
})

crew_test("the runtime in a forked child raises crew_error_forked", {
  crew_test_skip()
  skip_if_not(.Platform$OS.type == "unix")
  profile <- paste0("crew_conditions_", crew_random_name())
  on.exit(crew:::native_dispatcher_stop(profile), add = TRUE)
  crew:::native_dispatcher_start(profile, "127.0.0.1", 0L)
  job <- parallel::mcparallel(
    tryCatch(
      crew:::native_dispatcher_start(paste0(profile, "_child"), "127.0.0.1", 0L),
      error = function(condition) class(condition)
    )
  )
  class <- parallel::mccollect(job, wait = TRUE)[[1L]]
  expect_equal(class[1:3], c("crew_error_forked", "crew_error", "crew"))
})

crew_test("errors keep their messages and the classes R code relies on", {
  expire <- crew_condition_of(crew_retry(~FALSE, seconds_interval = 0, max_tries = 1L))
  expect_s3_class(expire, "crew_expire")
  expect_s3_class(expire, "crew_error")
  plain <- crew_condition_of(crew:::crew_error("plain"))
  expect_equal(class(plain)[1:2], c("crew_error", "crew"))
  expect_equal(conditionMessage(plain), "plain")
})
