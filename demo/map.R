# A local controller with two workers maps over a few hundred tasks.
library(crew)

controller <- crew_controller_local(name = "demo", workers = 2L, seconds_idle = 30)
controller$start()
cat("dispatcher listening at", controller$client$url, "\n")

started <- Sys.time()
results <- controller$map(
  command = {
    value <- sqrt(x) + offset
    if (x %% 100 == 0) warning("x is a multiple of 100")
    list(value = value, pid = Sys.getpid())
  },
  iterate = list(x = seq_len(400)),
  data = list(offset = 1),
  seed = 1L,
  warnings = FALSE
)
elapsed <- as.numeric(difftime(Sys.time(), started, units = "secs"))

values <- vapply(results$result, function(r) r$value, numeric(1))
pids <- vapply(results$result, function(r) r$pid, integer(1))
cat(sprintf("%d tasks in %.2f s\n", nrow(results), elapsed))
cat("tasks per worker process:\n")
print(table(pid = pids))
cat(sprintf("sum of values: %.4f (expected %.4f)\n", sum(values), sum(sqrt(1:400) + 1)))
cat(sprintf("tasks with warnings: %d\n", sum(!is.na(results$warnings))))
print(controller$summary())
controller$terminate()
