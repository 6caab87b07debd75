# Starting a controller that listens on a public address without TLS warns
# once; loopback, private and link-local addresses never warn. Addresses
# other than loopback sit on one end of a veth pair the test makes.

crew_test_perimeter_interface <- function(address, envir = parent.frame()) {
  crew_test_skip()
  skip_if_not(identical(Sys.info()[["effective_user"]], "root"), "creating an interface needs root")
  name <- "crewperim0"
  system2("ip", c("link", "del", name), stdout = FALSE, stderr = FALSE)
  expect_equal(system2("ip", c("link", "add", name, "type", "veth", "peer", "name", "crewperim1")), 0L)
  withr::defer(system2("ip", c("link", "del", name), stdout = FALSE, stderr = FALSE), envir = envir)
  family <- if (grepl(":", address, fixed = TRUE)) "-6" else "-4"
  extra <- if (identical(family, "-6")) "nodad"
  system2("ip", c(family, "addr", "add", address, "dev", name, extra))
  system2("ip", c("link", "set", name, "up"))
  system2("ip", c("link", "set", "crewperim1", "up"))
  sub("/.*$", "", address)
}

# The warnings of starting a controller twice (the second start must not
# warn again), terminating it after each start.
crew_test_perimeter_start <- function(host, tls = crew_tls()) {
  controller <- crew_controller_local(host = host, workers = 1L, tls = tls)
  warnings <- character(0)
  for (start in 1:2) {
    withCallingHandlers(
      controller$start(),
      warning = function(condition) {
        warnings <<- c(warnings, conditionMessage(condition))
        invokeRestart("muffleWarning")
      }
    )
    controller$terminate()
  }
  warnings
}

crew_test("perimeter: loopback never warns", {
  expect_length(crew_test_perimeter_start("127.0.0.1"), 0L)
  expect_length(crew_test_perimeter_start("::1"), 0L)
})

crew_test("perimeter: a private address never warns", {
  host <- crew_test_perimeter_interface("10.213.7.5/32")
  expect_length(crew_test_perimeter_start(host), 0L)
})

crew_test("perimeter: a link-local address never warns", {
  host <- crew_test_perimeter_interface("169.254.77.5/32")
  expect_length(crew_test_perimeter_start(host), 0L)
})

crew_test("perimeter: a public address without TLS warns once per controller", {
  host <- crew_test_perimeter_interface("1.2.3.4/32")
  warnings <- crew_test_perimeter_start(host)
  expect_length(warnings, 1L)
  expect_match(warnings, "1.2.3.4", fixed = TRUE)
  expect_match(warnings, "crew_tls(mode = \"automatic\")", fixed = TRUE)
  expect_length(crew_test_perimeter_start(host, tls = crew_tls(mode = "automatic")), 0L)
})

crew_test("perimeter: a public IPv6 address without TLS warns", {
  host <- crew_test_perimeter_interface("2001:4860:ffff::5/128")
  warnings <- crew_test_perimeter_start(host)
  expect_length(warnings, 1L)
  expect_match(warnings, "2001:4860:ffff::5", fixed = TRUE)
})
