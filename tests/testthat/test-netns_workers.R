# Covers R/crew_client.R and R/utils_host.R (the host of an interface
# given by name) with workers on other hosts.
#
# Workers on other hosts: each worker runs in a network namespace of its
# own and dials the client over a veth pair, at the address of the
# interface the client was given by name.

crew_test_netns_run <- function(tag, tls, dial_proxy = FALSE) {
  directory <- tempfile()
  namespaces <- crew_test_netns_up(tag, 2L)
  on.exit(crew_test_netns_down(tag), add = TRUE)
  controller <- crew_test_netns_controller(
    interface = paste0(tag, "c1"),
    namespaces = namespaces,
    directory = directory,
    workers = 2L,
    tls = tls
  )
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  expect_match(controller$client$url, "10[.]213[.]1[.]1:")
  controller$launch(n = 2L)
  expect_true(crew_test_until(
    function() controller$client$status()[["connections"]] == 2L,
    seconds_timeout = 30
  ))
  for (index in seq_len(20L)) {
    controller$push(
      {
        Sys.sleep(0.05)
        list(net = Sys.readlink("/proc/self/ns/net"), pid = Sys.getpid(), x = index)
      },
      data = list(index = index),
      name = paste0("t", index),
      scale = FALSE
    )
  }
  expect_true(controller$wait(mode = "all", seconds_timeout = 60))
  results <- controller$collect()
  expect_equal(sort(results$name), sort(paste0("t", seq_len(20L))))
  expect_true(all(results$status == "success"))
  values <- results$result
  expect_equal(sort(vapply(values, `[[`, 0L, "x")), seq_len(20L))
  nets <- unique(vapply(values, `[[`, "", "net"))
  # The workers ran in the two namespaces, not in the client's.
  expect_length(nets, 2L)
  expect_false(Sys.readlink("/proc/self/ns/net") %in% nets)
  pids <- controller$launcher$pids()
  expect_length(pids, 2L)
  controller$terminate()
  expect_true(crew_test_until(function() !length(crew_test_pids_alive(pids)), seconds_timeout = 30))
  crew_test_netns_down(tag)
  expect_length(crew_test_netns_left(tag), 0L)
}

crew_test("workers in other network namespaces run tasks over veth pairs", {
  crew_test_skip()
  skip_if_not(crew_test_netns_available(), "network namespaces cannot be made here")
  crew_test_netns_run("crnp", crew_tls())
})

crew_test("workers in other network namespaces run tasks with automatic TLS", {
  crew_test_skip()
  skip_if_not(crew_test_netns_available(), "network namespaces cannot be made here")
  crew_test_netns_run("crnt", crew_tls(mode = "automatic"))
})
