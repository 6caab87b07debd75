# Covers R/native.R and R/crew_serial_config.R: the package's own
# serializer and reader.
#
# The package writes R's serialization format itself for the objects tasks
# and results are usually made of; R must read exactly what it would have
# written.

serialization_corpus <- function() {
  f <- factor(c("a", "b", NA))
  list(
    NULL,
    TRUE,
    NA,
    c(TRUE, FALSE, NA),
    1L,
    NA_integer_,
    c(-1L, 0L, .Machine$integer.max),
    2.5,
    c(NA_real_, NaN, Inf, -Inf, 1e-300),
    complex(real = 1, imaginary = -2),
    as.raw(c(0, 1, 255)),
    "x",
    NA_character_,
    c("ascii", "h\u00e9llo", "\u65e5\u672c", NA, ""),
    enc2native("caf\u00e9"),
    iconv("caf\u00e9", "UTF-8", "latin1"),
    character(0),
    integer(0),
    list(),
    list(a = 1, b = list(c = "d", e = NULL)),
    structure(list(1, 2), names = c("", "y")),
    c(a = 1, b = 2),
    matrix(c(1, 2, 3, 4), 2),
    f,
    data.frame(x = c(1.5, 2), y = c("a", "b")),
    structure(1, class = "my_class", extra = list(k = TRUE)),
    quote(x),
    quote(x + 1),
    quote(f(x, y = 2, ...)),
    quote(if (x > 1) y else z),
    quote(x + x + x),
    expression(a + b, c * d),
    pairlist(a = 1, 2, b = "z"),
    list(command = quote(sum(x, y)), data = list(x = 1, y = 2), globals = list(),
      seed = NULL, algorithm = NULL, packages = character(0), library = NULL),
    as.Date("2024-01-02"),
    Sys.time(),
    seq(0, 1, by = 0.25)
  )
}

crew_test("the package's serializer writes exactly what R writes", {
  for (x in serialization_corpus()) {
    ours <- native_serialize(x)
    expect_false(is.null(ours), info = paste(deparse(x), collapse = " "))
    expect_identical(ours, serialize(x, NULL, xdr = FALSE), info = paste(deparse(x), collapse = " "))
    expect_identical(unserialize(ours), x)
  }
})

crew_test("the package's serializer leaves other objects to R", {
  leftovers <- list(
    new.env(),
    function(x) x + 1,
    1:10,
    seq_len(5),
    list(a = 1, env = globalenv(), f = mean),
    methods::new("numeric"),
    list(deep = quote(g(h(1:3))))
  )
  for (x in leftovers[1:4]) {
    expect_null(native_serialize(x))
  }
  # A function written in a call keeps its source reference, an environment.
  expect_null(native_serialize(parse(text = "function(a) a", keep.source = TRUE)[[1]]))
  # Base environments are written as references, so a list holding one is
  # still the package's; a closure inside a list is not.
  expect_null(native_serialize(leftovers[[5]]))
  expect_null(native_serialize(list(f = function() 1)))
})

crew_test("tasks and results round-trip through workers with both serializers", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 30)
  on.exit(controller$terminate())
  values <- list(
    list(1, "a", NULL),
    data.frame(x = 1:3),
    1:1000,
    new.env(),
    function(x) x * 2,
    "h\u00e9llo"
  )
  for (index in seq_along(values)) {
    controller$push(value, data = list(value = values[[index]]), name = paste0("t", index))
  }
  controller$wait(seconds_timeout = 60)
  results <- controller$collect()
  results <- results[order(results$name), ]
  expect_equal(results$status, rep("success", length(values)))
  expect_identical(results$result[[1]], values[[1]])
  expect_identical(results$result[[2]], values[[2]])
  expect_identical(results$result[[3]], values[[3]])
  expect_true(is.environment(results$result[[4]]))
  expect_equal(results$result[[5]](2), 4)
  expect_identical(results$result[[6]], values[[6]])
})

crew_test("the package's reader reads what R writes, or leaves it to R", {
  for (x in serialization_corpus()) {
    ours <- native_unserialize(serialize(x, NULL, xdr = FALSE))
    expect_false(is.null(ours), info = paste(deparse(x), collapse = " "))
    expect_identical(ours[[1L]], x, info = paste(deparse(x), collapse = " "))
  }
  big <- list(y = runif(1e6), z = seq_len(10) + 0L)
  expect_identical(native_unserialize(serialize(big, NULL, xdr = FALSE))[[1L]], big)
  for (x in list(new.env(), function(x) x + 1, 1:10, list(f = mean))) {
    expect_null(native_unserialize(serialize(x, NULL, xdr = FALSE)))
  }
  expect_null(native_unserialize(serialize(1, NULL, xdr = TRUE)))
  expect_null(native_unserialize(serialize(1, NULL, version = 2L, xdr = FALSE)))
})

crew_test("the package's reader survives damaged bytes", {
  set.seed(1L)
  corpus <- serialization_corpus()
  for (round in seq_len(2000L)) {
    bytes <- serialize(corpus[[sample.int(length(corpus), 1L)]], NULL, xdr = FALSE)
    at <- sample.int(length(bytes), sample.int(4L, 1L))
    bytes[at] <- as.raw(sample.int(256L, length(at)) - 1L)
    if (round %% 3L == 0L) {
      bytes <- bytes[seq_len(sample.int(length(bytes), 1L))]
    }
    out <- native_unserialize(bytes)
    expect_true(is.null(out) || is.list(out))
  }
})

crew_test("large tasks and results travel in pieces, with either serializer", {
  controller <- crew_controller_local(workers = 1L, seconds_idle = 60)
  on.exit(controller$terminate())
  set.seed(2L)
  big <- list(
    doubles = runif(1e6),
    strings = sprintf("s%d", seq_len(2e5)),
    frame = data.frame(x = seq_len(1e5), y = letters[seq_len(1e5) %% 26 + 1])
  )
  # Every data item is larger than the size from which a worker reads the
  # task as it arrives; the closure makes the second one R's to read.
  tasks <- list(
    native = list(data = big),
    with_r = list(data = c(big, list(f = function(x) x + 1)))
  )
  for (name in names(tasks)) {
    controller$push(
      list(
        doubles = sum(data$doubles),
        strings = data$strings[c(1L, 2e5L)],
        rows = nrow(data$frame),
        f = if (is.null(data[["f"]])) NA else data[["f"]](1),
        echo = data[c("doubles", "strings", "frame")],
        closure = data[["f"]]
      ),
      data = list(data = tasks[[name]]$data),
      name = name
    )
  }
  controller$wait(mode = "all", seconds_timeout = 60)
  results <- controller$collect()
  results <- results[order(results$name), ]
  expect_equal(results$status, c("success", "success"))
  for (value in results$result) {
    expect_equal(value$doubles, sum(big$doubles))
    expect_equal(value$strings, c("s1", "s200000"))
    expect_equal(value$rows, 1e5L)
    expect_identical(value$echo, big)
  }
  # Results larger than a few megabytes are written as they are serialized;
  # one holding a closure is R's to write, whole.
  expect_null(results$result[[1L]]$closure)
  expect_equal(results$result[[2L]]$closure(2), 3)
  expect_equal(results$result[[1L]]$f, NA)
  expect_equal(results$result[[2L]]$f, 2)
})
