crew_test("local_without_jit() turns the JIT off for its caller only", {
  level <- compiler::enableJIT(-1L)
  inside <- (function() {
    local_without_jit()
    compiler::enableJIT(-1L)
  })()
  expect_equal(inside, 0L)
  expect_equal(compiler::enableJIT(-1L), level)
  expect_error((function() {
    local_without_jit()
    stop("x")
  })())
  expect_equal(compiler::enableJIT(-1L), level)
})

crew_test("constructing and launching leave the JIT level as it was", {
  level <- compiler::enableJIT(-1L)
  controller <- crew_controller_local(workers = 1L, seconds_idle = 30)
  on.exit(controller$terminate())
  expect_equal(compiler::enableJIT(-1L), level)
  controller$start()
  controller$launch(n = 1L)
  expect_equal(compiler::enableJIT(-1L), level)
})
