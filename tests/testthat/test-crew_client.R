crew_test("crew_client() validate on an unstarted client", {
  client <- crew_client(host = "127.0.0.1")
  expect_s3_class(client, "crew_class_client")
  expect_silent(client$validate())
  expect_false(client$started)
  expect_null(client$url)
})

crew_test("crew_client() active bindings", {
  client <- crew_client(
    host = "127.0.0.1",
    port = 123L,
    profile = "custom_profile_abc",
    seconds_interval = 0.5,
    seconds_timeout = 10
  )
  expect_equal(client$host, "127.0.0.1")
  expect_identical(client$port, 123L)
  expect_s3_class(client$tls, "crew_class_tls")
  expect_equal(client$seconds_interval, 0.5)
  expect_equal(client$seconds_timeout, 10)
  expect_false(client$started)
  expect_null(client$url)
  expect_equal(client$profile, "custom_profile_abc")
  expect_null(client$serialization)
  expect_s3_class(client$relay, "crew_class_relay")
  expect_null(client$dispatcher)
  # Read-only bindings.
  expect_error(client$host <- "x")
  expect_equal(client$host, "127.0.0.1")
})

crew_test("crew_client() default profile is a random 16-character hex name", {
  a <- crew_client(host = "127.0.0.1")
  b <- crew_client(host = "127.0.0.1")
  expect_match(a$profile, "^[0-9a-f]{16}$")
  expect_false(identical(a$profile, b$profile))
})

crew_test("crew_client() port given as a string is coerced to integer", {
  client <- crew_client(host = "127.0.0.1", port = "57000")
  expect_identical(client$port, 57000L)
})

crew_test("crew_client() deprecated retry_tasks is tolerated", {
  expect_message(
    client <- crew_client(host = "127.0.0.1", retry_tasks = TRUE),
    class = "crew_deprecate"
  )
  expect_s3_class(client, "crew_class_client")
})

crew_test("crew_client() invalid arguments", {
  expect_crew_error(crew_client(host = "127.0.0.1", port = -1L))
  expect_crew_error(crew_client(host = "127.0.0.1", port = 70000L))
  expect_crew_error(crew_client(host = ""))
  expect_crew_error(crew_client(host = NA_character_))
  expect_crew_error(crew_client(host = "127.0.0.1", profile = ""))
  expect_crew_error(crew_client(host = "127.0.0.1", seconds_interval = 0))
  expect_crew_error(crew_client(host = "127.0.0.1", seconds_interval = 2, seconds_timeout = 1))
  expect_crew_error(crew_client(host = "127.0.0.1", tls = "none"))
  expect_crew_error(crew_client(host = "127.0.0.1", serialization = "x"))
})

crew_test("crew_client() status is all zeros before start", {
  client <- crew_client(host = "127.0.0.1")
  status <- client$status()
  expect_equal(
    names(status),
    c("connections", "cumulative", "awaiting", "executing", "completed")
  )
  expect_true(is.numeric(status))
  expect_true(all(status == 0L))
})

crew_test("crew_client() start, idempotent start, terminate twice", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1")
  on.exit(client$terminate())
  expect_null(client$dispatcher)
  expect_invisible(client$start())
  expect_true(client$started)
  expect_match(client$url, "^tcp://127\\.0\\.0\\.1:[0-9]+$")
  port <- crew_test_url_port(client$url)
  expect_true(port > 0L && port <= 65535L)
  expect_equal(client$dispatcher, Sys.getpid())
  url <- client$url
  client$start()
  expect_true(client$started)
  expect_equal(client$url, url)
  status <- client$status()
  expect_equal(
    names(status),
    c("connections", "cumulative", "awaiting", "executing", "completed")
  )
  expect_true(all(status == 0L))
  expect_s3_class(client$relay$condition, "conditionVariable")
  expect_invisible(client$terminate())
  expect_false(client$started)
  expect_null(client$url)
  expect_null(client$dispatcher)
  expect_null(client$relay$condition)
  expect_silent(client$terminate())
  expect_false(client$started)
  expect_true(all(client$status() == 0L))
})

crew_test("crew_client() terminate on a never-started client is fine", {
  client <- crew_client(host = "127.0.0.1")
  expect_null(client$terminate())
  expect_false(client$started)
})

crew_test("crew_client() the listening port accepts TCP connections and closes on terminate", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1")
  on.exit(client$terminate())
  client$start()
  port <- crew_test_url_port(client$url)
  con <- crew_test_peer(port)
  close(con)
  client$terminate()
  expect_error(
    suppressWarnings(
      socketConnection(host = "127.0.0.1", port = port, blocking = TRUE, open = "r+b", timeout = 2)
    )
  )
})

crew_test("crew_client() a hand-started worker connects and is counted", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1", seconds_interval = 0.1)
  on.exit(client$terminate(), add = TRUE)
  client$start()
  settings <- list(
    url = client$url,
    credential = native_dispatcher_credential(client$profile, 1),
    dialtimeout = 10000
  )
  call <- sprintf(
    "crew::crew_worker(settings = %s, controller = \"hand\")",
    paste(deparse(settings), collapse = " ")
  )
  worker <- crew_test_rscript(call)
  on.exit(worker$kill(), add = TRUE)
  expect_true(
    crew_test_until(~ client$status()[["connections"]] == 1L, seconds_timeout = 20)
  )
  expect_equal(client$status()[["cumulative"]], 1L)
  client$terminate()
  expect_true(crew_test_all_dead(list(worker), seconds_timeout = 5))
})

crew_test("crew_client() fixed port appears in the URL and is free after terminate", {
  crew_test_skip()
  port <- crew_test_port()
  client <- crew_client(host = "127.0.0.1", port = port)
  on.exit(client$terminate(), add = TRUE)
  client$start()
  expect_equal(client$url, paste0("tcp://127.0.0.1:", port))
  client$terminate()
  second <- crew_client(host = "127.0.0.1", port = port)
  on.exit(second$terminate(), add = TRUE)
  second$start()
  expect_true(second$started)
  expect_equal(second$url, paste0("tcp://127.0.0.1:", port))
  second$terminate()
  third <- crew_client(host = "127.0.0.1", port = port)
  on.exit(third$terminate(), add = TRUE)
  third$start()
  expect_equal(third$url, paste0("tcp://127.0.0.1:", port))
})

crew_test("crew_client() a port of another client of this session is shared", {
  crew_test_skip()
  port <- crew_test_port()
  first <- crew_client(host = "127.0.0.1", port = port)
  on.exit(first$terminate(), add = TRUE)
  first$start()
  second <- crew_client(host = "127.0.0.1", port = port)
  on.exit(second$terminate(), add = TRUE)
  second$start()
  expect_true(second$started)
  expect_equal(second$url, first$url)
  # Terminating one leaves the other listening.
  second$terminate()
  expect_true(first$started)
  expect_true(all(first$status() == 0L))
})

crew_test("crew_client() a port in use by another process is a crew_error", {
  crew_test_skip()
  port <- crew_test_port()
  socket <- serverSocket(port)
  on.exit(close(socket), add = TRUE)
  client <- crew_client(host = "127.0.0.1", port = port)
  on.exit(client$terminate(), add = TRUE)
  expect_crew_error(client$start())
  expect_false(client$started)
  expect_null(client$url)
})

crew_test("crew_client() profile conflicts", {
  crew_test_skip()
  profile <- paste0("conflict_", crew_random_name(4L))
  first <- crew_client(host = "127.0.0.1", profile = profile)
  second <- crew_client(host = "127.0.0.1", profile = profile)
  on.exit({
    first$terminate()
    second$terminate()
  })
  first$start()
  expect_crew_error(second$start())
  expect_false(second$started)
  expect_true(first$started)
  first$terminate()
  second$start()
  expect_true(second$started)
  expect_match(second$url, "^tcp://127\\.0\\.0\\.1:[0-9]+$")
})

crew_test("crew_client() deprecated tls_enable and tls_config", {
  expect_warning(
    crew_client(host = "127.0.0.1", tls_enable = TRUE),
    class = "crew_deprecate"
  )
  expect_warning(
    crew_client(host = "127.0.0.1", tls_config = list()),
    class = "crew_deprecate"
  )
})

crew_test("crew_client() deprecated pids()", {
  client <- crew_client(host = "127.0.0.1")
  expect_warning(out <- client$pids(), class = "crew_deprecate")
  expect_equal(out, Sys.getpid())
})

crew_test("crew_client() dispatcher field", {
  crew_test_skip()
  client <- crew_client(host = "127.0.0.1")
  on.exit(client$terminate())
  expect_null(client$dispatcher)
  client$start()
  expect_equal(client$dispatcher, Sys.getpid())
  client$terminate()
  expect_null(client$dispatcher)
})

crew_test("crew_client() set_started() marks started without listening", {
  client <- crew_client(host = "127.0.0.1")
  client$set_started()
  expect_true(client$started)
  expect_null(client$url)
  expect_true(all(client$status() == 0L))
  expect_null(client$terminate())
  expect_false(client$started)
})
