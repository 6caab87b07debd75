crew_test("crew_terminate_signal() gives an available signal", {
  signal <- crew_terminate_signal()
  expect_true(is.integer(signal))
  expect_equal(length(signal), 1L)
  expect_true(is.finite(signal))
  expect_equal(signal, as.integer(tools::SIGTERM))
})
