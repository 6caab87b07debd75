# Address selection against this machine's own interfaces, as the `ip`
# command lists them.

crew_test_ip_interfaces <- function() {
  ip <- Sys.which("ip")
  if (!nzchar(ip)) {
    testthat::skip("the ip command is not available to list interfaces")
  }
  lines <- system2(ip, c("-o", "-4", "addr", "show", "up"), stdout = TRUE)
  data.frame(
    name = sub("^[0-9]+: +([^ ]+) +inet .*$", "\\1", lines),
    address = sub("^.* inet ([0-9.]+)/.*$", "\\1", lines)
  )
}

crew_test_first_remote_interface <- function() {
  interfaces <- crew_test_ip_interfaces()
  remote <- interfaces[!grepl("^127[.]", interfaces$address), , drop = FALSE]
  if (!nrow(remote)) {
    testthat::skip("this machine has no interface other than loopback")
  }
  remote[1L, ]
}

crew_test("host = \"lo\" listens on the loopback address", {
  crew_test_skip()
  interfaces <- crew_test_ip_interfaces()
  testthat::skip_if_not("lo" %in% interfaces$name, "no interface named lo")
  expect_equal(crew_client(host = "lo")$host, "127.0.0.1")
})

crew_test("host = NULL picks the first non-loopback IPv4 address", {
  crew_test_skip()
  remote <- crew_test_first_remote_interface()
  expect_equal(crew_client(host = NULL)$host, remote$address)
  expect_equal(crew_client()$host, remote$address)
})

crew_test("host naming an interface uses that interface's address", {
  crew_test_skip()
  remote <- crew_test_first_remote_interface()
  expect_equal(crew_client(host = remote$name)$host, remote$address)
  controller <- crew_controller_local(host = remote$name, seconds_interval = 0.1)
  expect_equal(controller$client$host, remote$address)
})

crew_test("a worker reaches a client listening on an interface by name", {
  crew_test_skip()
  remote <- crew_test_first_remote_interface()
  controller <- crew_controller_local(host = remote$name, seconds_interval = 0.1)
  on.exit(controller$terminate())
  controller$start()
  port <- crew_test_url_port(controller$client$url)
  expect_equal(controller$client$url, sprintf("tcp://%s:%s", remote$address, port))
  controller$push(Sys.getpid(), name = "pid", throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(crew_test_pop(controller)$status, "success")
})

crew_test("addresses and resolvable host names pass through unchanged", {
  expect_equal(crew_client(host = "127.0.0.1")$host, "127.0.0.1")
  expect_equal(crew_client(host = "10.11.12.13")$host, "10.11.12.13")
  expect_equal(crew_client(host = "::1")$host, "::1")
  crew_test_skip()
  expect_equal(crew_client(host = "localhost")$host, "localhost")
})

crew_test("an unknown interface is a crew_error naming host", {
  crew_test_skip()
  expect_crew_error(crew_client(host = "nonexistent0"))
  expect_error(crew_client(host = "nonexistent0"), "host")
  expect_crew_error(crew_controller_local(host = "nonexistent0"))
})

crew_test("workers dial an IPv6 address, with and without TLS", {
  crew_test_skip()
  for (tls in list(crew_tls(), crew_tls(mode = "automatic"))) {
    controller <- crew_controller_local(host = "::1", workers = 1L, tls = tls)
    controller$start()
    expect_match(controller$client$url, "^(tls\\+)?tcp://\\[::1\\]:[0-9]+$")
    controller$push(Sys.getpid(), throttle = FALSE)
    expect_true(controller$wait(seconds_timeout = 30))
    out <- controller$pop()
    expect_equal(out$status, "success")
    controller$terminate()
  }
})

# One end of a veth pair with only an IPv6 address, made and removed here.
crew_test("an interface with only an IPv6 address is used by its name", {
  crew_test_skip()
  skip_if_not(identical(Sys.info()[["effective_user"]], "root"), "creating an interface needs root")
  name <- "crewv6a"
  made <- system2("ip", c("link", "add", name, "type", "veth", "peer", "name", "crewv6b"))
  expect_equal(made, 0L)
  on.exit(system2("ip", c("link", "del", name), stdout = FALSE, stderr = FALSE), add = TRUE)
  system2("ip", c("-6", "addr", "add", "fd00:c2e::1/64", "dev", name, "nodad"))
  system2("ip", c("link", "set", name, "up"))
  system2("ip", c("link", "set", "crewv6b", "up"))
  controller <- crew_controller_local(host = name, workers = 1L)
  on.exit(controller$terminate(), add = TRUE, after = FALSE)
  controller$start()
  expect_match(controller$client$url, "[fd00:c2e::1]", fixed = TRUE)
  controller$push(Sys.getpid(), throttle = FALSE)
  expect_true(controller$wait(seconds_timeout = 30))
  expect_equal(controller$pop()$status, "success")
})
