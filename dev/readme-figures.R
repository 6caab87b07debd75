# Draws the README's figure from a real run: resource metrics of 2 local
# workers running tasks that allocate memory, read back with
# crew_metrics_read() and drawn by crew_metrics_plot(). Run from the
# package root with the package installed: `R_LIBS=.lib Rscript dev/readme-figures.R`.
library(crew)
metrics <- tempfile()
controller <- crew_controller_local(
  workers = 2,
  seconds_idle = 10,
  options_metrics = crew_options_metrics(path = metrics, seconds_interval = 0.1)
)
controller$start()
controller$walk(
  command = {
    x <- numeric(size * 1e6)
    Sys.sleep(0.4)
    length(x)
  },
  iterate = list(size = c(10, 40, 20, 60, 5, 30), name = paste0("task_", 1:6)),
  names = "name"
)
controller$wait(mode = "all", seconds_timeout = 60)
controller$collect()
controller$terminate()
Sys.sleep(0.5)
samples <- crew_metrics_read(metrics)
png("man/figures/README-metrics.png", width = 800, height = 500, res = 110)
crew_metrics_plot(samples)
invisible(dev.off())
cat("wrote man/figures/README-metrics.png from", nrow(samples), "samples\n")
