# Benchmarks of a local controller on this machine. Each figure is printed
# beside a floor measured in the same run: R's own serialize()/unserialize()
# of the same objects, and a loopback round trip through the Rust core
# without R (src/rust/core/examples/loopback.rs).
library(crew)

now <- function() crew:::native_now()

figure <- function(what, value, unit, floor = NA, floor_what = "") {
  cat(sprintf("%-42s %12.1f %-8s", what, value, unit))
  if (!is.na(floor)) {
    cat(sprintf("  floor %12.1f %-8s (%s)", floor, unit, floor_what))
  }
  cat("\n")
}

peak_rss_mb <- function() {
  status <- readLines("/proc/self/status")
  line <- grep("^VmHWM:", status, value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}

core_floors <- function() {
  manifest <- file.path("src", "rust", "Cargo.toml")
  out <- system2(
    "cargo",
    c("run", "--quiet", "--release", "--example", "loopback", "-p", "crew-core", "--manifest-path", manifest),
    stdout = TRUE
  )
  values <- strsplit(out[grepl("=", out)], "=")
  stats::setNames(as.numeric(vapply(values, `[`, "", 2L)), vapply(values, `[`, "", 1L))
}

started_controller <- function(workers, tls = crew_tls()) {
  controller <- crew_controller_local(
    workers = workers,
    seconds_idle = 120,
    seconds_interval = 0.05,
    tls = tls
  )
  controller$start()
  controller$launch(n = workers)
  crew:::crew_retry(
    ~ controller$client$status()[["connections"]] == workers,
    seconds_interval = 0.01,
    seconds_timeout = 60
  )
  controller
}

bench_cold_start <- function() {
  start <- now()
  controller <- crew_controller_local(seconds_idle = 60)
  controller$push(1 + 1, throttle = FALSE)
  controller$wait()
  result <- controller$pop()
  elapsed <- now() - start
  controller$terminate()
  stopifnot(identical(result$result[[1]], 2))
  elapsed
}

bench_push_collect <- function(workers, n) {
  controller <- started_controller(workers)
  on.exit(controller$terminate())
  start <- now()
  for (index in seq_len(n)) {
    controller$push(x + 1, data = list(x = index), scale = FALSE)
  }
  controller$wait(scale = FALSE)
  results <- controller$collect(scale = FALSE)
  elapsed <- now() - start
  stopifnot(nrow(results) == n)
  n / elapsed
}

bench_map <- function(workers, n, tls = crew_tls()) {
  controller <- started_controller(workers, tls)
  on.exit(controller$terminate())
  start <- now()
  results <- controller$map(x + 1, iterate = list(x = seq_len(n)), scale = FALSE)
  elapsed <- now() - start
  stopifnot(identical(unlist(results$result), seq_len(n) + 1))
  n / elapsed
}

bench_latency <- function(trips) {
  controller <- started_controller(1L)
  on.exit(controller$terminate())
  times <- numeric(trips)
  for (index in seq_len(trips)) {
    start <- now()
    controller$push(x + 1, data = list(x = index), scale = FALSE)
    controller$wait(scale = FALSE)
    controller$pop(scale = FALSE)
    times[index] <- now() - start
  }
  1e6 * c(median = stats::median(times), p99 = unname(stats::quantile(times, 0.99)))
}

bench_large <- function(megabytes, tls = crew_tls()) {
  controller <- started_controller(1L, tls)
  on.exit(controller$terminate())
  x <- as.raw(seq_len(megabytes * 1e6) %% 256L)
  start <- now()
  controller$push(x, data = list(x = x), scale = FALSE)
  controller$wait(scale = FALSE)
  result <- controller$pop(scale = FALSE)
  elapsed <- now() - start
  stopifnot(identical(result$result[[1]], x))
  2 * megabytes / elapsed
}

floor_serialize_tasks <- function(n) {
  start <- now()
  for (index in seq_len(n)) {
    task <- list(command = quote(x + 1), name = "unnamed_task_1", data = list(x = index))
    value <- unserialize(serialize(task, NULL, xdr = FALSE))
    result <- unserialize(serialize(value$data$x + 1, NULL, xdr = FALSE))
  }
  n / (now() - start)
}

floor_serialize_large <- function(megabytes) {
  x <- as.raw(seq_len(megabytes * 1e6) %% 256L)
  start <- now()
  y <- unserialize(serialize(list(x = x), NULL, xdr = FALSE))
  z <- unserialize(serialize(y$x, NULL, xdr = FALSE))
  2 * megabytes / (now() - start)
}

n <- as.integer(Sys.getenv("CREW_BENCH_TASKS", "10000"))
cat("crew benchmark:", n, "trivial tasks (x + 1) per throughput figure\n")
floors <- core_floors()
serialize_rate <- floor_serialize_tasks(n)
cold <- bench_cold_start()
figure("cold start to first result", cold, "s")
map_plain <- NULL
for (workers in c(1L, 2L)) {
  figure(
    sprintf("push + collect, %d worker(s)", workers),
    bench_push_collect(workers, n),
    "tasks/s",
    floors[["tasks_per_second"]],
    "core loopback, 2 workers"
  )
  map_plain <- bench_map(workers, n)
  figure(
    sprintf("map, %d worker(s)", workers),
    map_plain,
    "tasks/s",
    serialize_rate,
    "R serialize + unserialize of task and result"
  )
}
figure(
  "map, 2 worker(s), automatic TLS",
  bench_map(2L, n, crew_tls(mode = "automatic")),
  "tasks/s",
  map_plain,
  "the same map without TLS"
)
latency <- bench_latency(1000L)
figure("round trip, median", latency[["median"]], "us", floors[["roundtrip_median_us"]], "core loopback")
figure("round trip, p99", latency[["p99"]], "us", floors[["roundtrip_p99_us"]], "core loopback")
large_plain <- bench_large(100)
figure(
  "100 MB in and out",
  large_plain,
  "MB/s",
  floor_serialize_large(100),
  "R serialize + unserialize"
)
figure(
  "100 MB in and out, automatic TLS",
  bench_large(100, crew_tls(mode = "automatic")),
  "MB/s",
  large_plain,
  "the same transfer without TLS"
)
figure("core loopback 100 MB in and out", floors[["large_mb_per_second"]], "MB/s")
figure("client peak RSS", peak_rss_mb(), "MB")
