# Covers R/crew_client.R (controllers sharing one port).
#
# Controllers of one R session on one port share its listening socket: a
# worker's credential says which controller it belongs to.

crew_test("twenty controllers share one port and keep their own tasks and workers", {
  crew_test_skip()
  port <- crew_test_port()
  names <- sprintf("c%02d", seq_len(20L))
  controllers <- lapply(names, function(name) {
    crew_controller_local(
      name = name,
      workers = 1L,
      host = "127.0.0.1",
      port = port,
      seconds_idle = 60
    )
  })
  names(controllers) <- names
  group <- crew_controller_group(controllers)
  on.exit(group$terminate(), add = TRUE)
  group$start()
  urls <- vapply(controllers, function(x) x$client$url, character(1L))
  expect_equal(unname(unique(urls)), sprintf("tcp://127.0.0.1:%d", port))
  ports <- vapply(controllers, function(x) x$client$port, integer(1L))
  expect_true(all(ports == port))
  for (name in names) {
    for (index in seq_len(100L)) {
      group$push(Sys.getenv("CREW_CONTROLLER"), controller = name)
    }
  }
  expect_true(group$wait(mode = "all", seconds_timeout = 180))
  results <- group$collect()
  expect_equal(nrow(results), 2000L)
  expect_equal(results$status, rep("success", 2000L))
  # Each task ran on a worker of the controller it was pushed to.
  expect_equal(unlist(results$result), results$controller)
  expect_equal(as.vector(table(factor(results$controller, levels = names))), rep(100L, 20L))

  # A launch credential of a controller that terminates is refused, while
  # the others keep the port and their work.
  call <- controllers$c01$launcher$call()
  for (controller in controllers[-20L]) {
    controller$terminate()
  }
  late <- crew_test_rscript(call, stdout = "|", stderr = "|")
  on.exit(late$kill(), add = TRUE)
  expect_true(crew_test_until(~ !late$is_alive(), seconds_timeout = 30))
  expect_equal(late$get_exit_status(), 6L)
  last <- controllers$c20
  last$push(Sys.getenv("CREW_CONTROLLER"), name = "after")
  expect_true(last$wait(seconds_timeout = 60))
  expect_equal(last$pop()$result[[1L]], "c20")
  expect_equal(last$client$url, sprintf("tcp://127.0.0.1:%d", port))

  # The port is free right after the last controller terminates.
  last$terminate()
  socket <- serverSocket(port)
  close(socket)
  expect_true(TRUE)
})

crew_test("controllers with other TLS settings cannot share a port", {
  crew_test_skip()
  port <- crew_test_port()
  plain <- crew_controller_local(name = "plain", host = "127.0.0.1", port = port)
  on.exit(plain$terminate(), add = TRUE)
  plain$start()
  secure <- crew_controller_local(
    name = "secure",
    host = "127.0.0.1",
    port = port,
    tls = crew_tls(mode = "automatic")
  )
  on.exit(secure$terminate(), add = TRUE)
  expect_error(secure$start(), class = "crew_error", regexp = "other TLS settings")
})

crew_test("controllers with automatic TLS share a port and its certificate", {
  crew_test_skip()
  port <- crew_test_port()
  controllers <- lapply(c("tls_a", "tls_b"), function(name) {
    crew_controller_local(
      name = name,
      workers = 1L,
      host = "127.0.0.1",
      port = port,
      seconds_idle = 60,
      tls = crew_tls(mode = "automatic")
    )
  })
  group <- crew_controller_group(controllers)
  on.exit(group$terminate(), add = TRUE)
  group$start()
  for (name in c("tls_a", "tls_b")) {
    group$push(Sys.getenv("CREW_CONTROLLER"), controller = name, name = name)
  }
  expect_true(group$wait(mode = "all", seconds_timeout = 60))
  results <- group$collect()
  results <- results[order(results$name), ]
  expect_equal(unlist(results$result), c("tls_a", "tls_b"))
})
