# Draws the dashboard figure of the "Watching a pipeline" vignette and the
# README from a real run: four local workers on a stream of short tasks, a
# long model fit, a task that holds 500 MB, and a worker killed with
# SIGKILL, photographed by headless Chromium after a minute. Run from the
# package root with the package installed and chromium, chromedriver and
# curl present: `R_LIBS=.lib Rscript dev/dashboard-figure.R`.
library(crew)
source("tests/testthat/helper-browser.R")
output <- "vignettes/figures/dashboard.png"
controller <- crew_controller_local(name = "pipeline", workers = 4, seconds_idle = 120)
on.exit(controller$terminate(), add = TRUE)
controller$start()
url <- crew_dashboard(controller, browse = FALSE)
browser <- browser_start()
on.exit(browser$close(), add = TRUE, after = FALSE)
invisible(browser$window_size(1280, 1100))
invisible(browser$open(url))
pid_file <- tempfile()
controller$push(
  {
    writeLines(as.character(Sys.getpid()), pid_file)
    Sys.sleep(600)
  },
  data = list(pid_file = pid_file),
  name = "simulate_draws"
)
controller$push(
  {
    x <- numeric(500 * 2^20 / 8)
    x[] <- 1
    Sys.sleep(600)
  },
  name = "fit_model"
)
controller$walk(
  command = Sys.sleep(duration),
  iterate = list(
    duration = stats::runif(6000, 0.005, 0.02),
    name = sprintf("summary_%04d", seq_len(6000))
  ),
  names = "name"
)
deadline <- Sys.time() + 60
killed <- FALSE
while (Sys.time() < deadline) {
  if (!killed && file.exists(pid_file) && Sys.time() > deadline - 40) {
    tools::pskill(as.integer(readLines(pid_file)), tools::SIGKILL)
    killed <- TRUE
  }
  controller$wait(mode = "one", seconds_timeout = 0.5)
  controller$collect()
}
dir.create(dirname(output), showWarnings = FALSE, recursive = TRUE)
browser$screenshot(output)
cat("wrote", output, "\n")
print(crew_status(controller))
