# Covers R/crew_dashboard.R and the core's dashboard server, with real
# local workers: curl for the token, then headless Chromium watching a
# long task, a worker frozen with SIGSTOP, one killed with SIGKILL and one
# holding 500 MB. Screenshots go to tests/testthat/_screenshots/.

dashboard_http_status <- function(url) {
  out <- processx::run(
    "curl",
    c("--silent", "--max-time", "10", "--output", "/dev/null", "--write-out", "%{http_code}", url),
    error_on_status = FALSE
  )
  as.integer(out$stdout)
}

dashboard_snapshot_url <- function(url) {
  sub("/?token=", "/snapshot.json?token=", url, fixed = TRUE)
}

# The cells of the worker table's row of process `pid`, by class: the text
# shown, and under "<class>_value" the number or state behind it. NULL
# while the row is not there.
dashboard_row <- function(browser, pid) {
  browser$script(
    sprintf(
      paste(
        "var row = document.querySelector('tr[data-pid=\"%d\"]');",
        "if (!row) return null;",
        "var out = {};",
        "row.querySelectorAll('td').forEach(function (td) {",
        "  var key = td.classList[0];",
        "  out[key] = td.textContent;",
        "  if (td.dataset.value !== undefined) out[key + '_value'] = td.dataset.value;",
        "});",
        "return out;"
      ),
      as.integer(pid)
    )
  )
}

dashboard_number <- function(row, class) {
  value <- row[[paste0(class, "_value")]]
  if (is.null(value)) NA_real_ else as.numeric(value)
}

dashboard_tiles <- function(browser) {
  values <- browser$script(
    paste(
      "var out = {};",
      "document.querySelectorAll('#tiles .tile').forEach(function (tile) {",
      "  out[tile.id.replace('tile-', '')] = Number(tile.dataset.value);",
      "});",
      "return out;"
    )
  )
  unlist(values)
}

# Polls until `ready()`, scaling the controller as a pipeline's own calls
# would (which is also when it learns how its lost workers ended).
dashboard_wait_for <- function(controller, ready, seconds = 30, what = "the dashboard") {
  deadline <- Sys.time() + seconds
  repeat {
    controller$scale()
    if (isTRUE(ready())) {
      return(TRUE)
    }
    if (Sys.time() > deadline) {
      return(FALSE)
    }
    Sys.sleep(0.2)
  }
}

dashboard_screenshot <- function(browser, name) {
  directory <- testthat::test_path("_screenshots")
  dir.create(directory, showWarnings = FALSE)
  path <- file.path(directory, name)
  browser$screenshot(path)
  path
}

crew_test("crew_dashboard() names the argument it rejects and starts nothing", {
  controller <- crew_controller_local()
  cases <- list(
    list(args = list(port = -1), argument = "port"),
    list(args = list(port = 65536), argument = "port"),
    list(args = list(port = 1.5), argument = "port"),
    list(args = list(port = "80"), argument = "port"),
    list(args = list(port = NA), argument = "port"),
    list(args = list(port = c(1, 2)), argument = "port"),
    list(args = list(browse = NA), argument = "browse"),
    list(args = list(browse = "yes"), argument = "browse"),
    list(args = list(host = ""), argument = "host"),
    list(args = list(host = NA_character_), argument = "host"),
    list(args = list(host = 1), argument = "host")
  )
  for (case in cases) {
    args <- c(list(controller = controller, browse = FALSE), case$args)
    args <- args[!duplicated(names(args), fromLast = TRUE)]
    expect_error(
      do.call(crew_dashboard, args),
      case$argument,
      class = "crew_error_invalid_argument"
    )
  }
  for (value in list(NULL, "controller", 1, list(), new.env(), crew_controller_sequential())) {
    expect_error(
      crew_dashboard(value, browse = FALSE),
      "controller",
      class = "crew_error_invalid_argument"
    )
  }
  # None of them left a dashboard.
  expect_false(controller$client$profile %in% ls(crew:::dashboard_urls))
})

test_that("a new dashboard gives its URL in a message unless it opens a browser", {
  crew_test_skip()
  controller <- crew_controller_local(name = "dashboard_message", workers = 1)
  on.exit(controller$terminate(), add = TRUE)
  expect_message(
    url <- crew_dashboard(controller, browse = FALSE),
    "crew dashboard: http://127.0.0.1:[0-9]+/\\?token=",
    class = "crew_message"
  )
  expect_no_message(crew_dashboard(controller, browse = FALSE))
})

crew_test("a dashboard on a public address warns, one on loopback does not", {
  expect_warning(crew:::dashboard_warn_perimeter("8.8.8.8"), "public address", class = "crew_warning")
  expect_silent(crew:::dashboard_warn_perimeter("127.0.0.1"))
})

crew_test("a dashboard answers only requests that carry its token", {
  crew_test_skip()
  skip_if(!nzchar(Sys.which("curl")), "needs curl")
  controller <- crew_controller_local(name = "dashboard_token", workers = 2, seconds_idle = 60)
  on.exit(controller$terminate(), add = TRUE)
  url <- crew_dashboard(controller, browse = FALSE)
  expect_match(url, "^http://127\\.0\\.0\\.1:[0-9]+/\\?token=[0-9a-f]{32}$")
  expect_identical(crew_dashboard(controller, browse = FALSE), url)
  opened <- NULL
  withr::local_options(browser = function(url) opened <<- url)
  expect_identical(withVisible(crew_dashboard(controller, browse = TRUE))$visible, FALSE)
  expect_identical(opened, url)
  base <- sub("\\?token=.*$", "", url)
  token <- sub("^.*token=", "", url)
  wrong <- paste(rev(strsplit(token, "")[[1L]]), collapse = "")
  expect_equal(dashboard_http_status(base), 403L)
  expect_equal(dashboard_http_status(paste0(base, "?token=", wrong)), 403L)
  expect_equal(dashboard_http_status(paste0(base, "snapshot.json")), 403L)
  expect_equal(dashboard_http_status(paste0(base, "nothing?token=", wrong)), 403L)
  expect_equal(dashboard_http_status(url), 200L)
  expect_equal(dashboard_http_status(paste0(base, "nothing?token=", token)), 404L)
  expect_equal(dashboard_http_status(dashboard_snapshot_url(url)), 200L)
  skip_if_not_installed("jsonlite")
  before <- jsonlite::fromJSON(dashboard_snapshot_url(url))
  expect_equal(before$controllers$name, "dashboard_token")
  expect_false(before$controllers$running)
  controller$start()
  controller$push(TRUE, name = "one")
  controller$wait(seconds_timeout = 60)
  during <- jsonlite::fromJSON(dashboard_snapshot_url(url))
  expect_true(during$controllers$running)
  expect_equal(during$controllers$board$done, 1L)
  expect_equal(during$controllers$workers[[1L]]$tasks_done, 1L)
  controller$pop()
})

crew_test("unloading the package stops its dashboards", {
  crew_test_skip()
  code <- paste(
    "controller <- crew::crew_controller_local()",
    "url <- crew::crew_dashboard(controller, browse = FALSE)",
    "snapshot <- sub('/?token=', '/snapshot.json?token=', url, fixed = TRUE)",
    "read <- function() tryCatch(length(readLines(snapshot, warn = FALSE)),",
    "  error = function(e) 0L, warning = function(w) 0L)",
    "before <- read()",
    "unloadNamespace('crew')",
    "cat(before, read())",
    sep = "\n"
  )
  out <- processx::run(file.path(R.home("bin"), "Rscript"), c("-e", code), timeout = 60)
  expect_equal(out$stdout, "1 0")
})

crew_test("a dashboard of a group shows each member, before and after they run", {
  crew_test_skip()
  skip_if_not_installed("jsonlite")
  group <- crew_controller_group(
    crew_controller_local(name = "dashboard_a", workers = 1, seconds_idle = 60),
    crew_controller_local(name = "dashboard_b", workers = 1, seconds_idle = 60)
  )
  on.exit(group$terminate(), add = TRUE)
  url <- crew_dashboard(group, browse = FALSE)
  expect_identical(crew_dashboard(group, browse = FALSE), url)
  group$start()
  group$push(TRUE, name = "x", controller = "dashboard_b")
  group$wait(mode = "all", seconds_timeout = 60)
  snapshot <- jsonlite::fromJSON(dashboard_snapshot_url(url), simplifyVector = FALSE)
  controllers <- snapshot$controllers
  expect_equal(vapply(controllers, `[[`, "", "name"), c("dashboard_a", "dashboard_b"))
  expect_equal(controllers[[2L]]$board$done, 1L)
  group$terminate()
  snapshot <- jsonlite::fromJSON(dashboard_snapshot_url(url), simplifyVector = FALSE)
  expect_false(snapshot$controllers[[2L]]$running)
  expect_equal(snapshot$controllers[[2L]]$workers[[1L]]$state, "exited")
})

crew_test("the dashboard shows running, frozen, killed and large workers in a browser", {
  crew_test_skip()
  missing <- browser_tools_missing()
  if (length(missing)) {
    skip(paste("needs", paste(missing, collapse = ", ")))
  }
  controller <- crew_controller_local(name = "dashboard", workers = 2, seconds_idle = 120)
  on.exit(controller$terminate(), add = TRUE)
  controller$start()
  url <- crew_dashboard(controller, browse = FALSE)
  browser <- browser_start()
  on.exit(browser$close(), add = TRUE, after = FALSE)
  browser$window_size(1280, 1100)
  browser$open(url)
  browser_wait_for(
    function() identical(browser$script("return document.getElementById('status').className;"), "live"),
    what = "the dashboard's stream"
  )

  nap_file <- tempfile()
  frozen_file <- tempfile()
  crew_test_pid_task(controller, "long_nap", nap_file)
  crew_test_pid_task(controller, "frozen", frozen_file)
  nap <- crew_test_pid(nap_file)
  frozen <- crew_test_pid(frozen_file)
  on.exit(
    {
      tools::pskill(frozen, tools::SIGCONT)
      tools::pskill(c(nap, frozen), tools::SIGKILL)
    },
    add = TRUE,
    after = FALSE
  )

  # A long task shows as running on the worker whose process ran it, its
  # time on the task growing.
  expect_true(
    dashboard_wait_for(controller, function() {
      identical(dashboard_row(browser, nap)$state, "running") &&
        identical(dashboard_row(browser, frozen)$state, "running")
    }),
    label = "both tasks show as running"
  )
  row <- dashboard_row(browser, nap)
  expect_equal(row$task, "long_nap")
  expect_equal(dashboard_row(browser, frozen)$task, "frozen")
  first <- dashboard_number(row, "seconds-task")
  # The page hears once a second while no task resolves.
  Sys.sleep(2.5)
  later <- dashboard_number(dashboard_row(browser, nap), "seconds-task")
  expect_gt(later, first + 1)
  expect_lt(dashboard_number(dashboard_row(browser, nap), "heartbeat"), 5)
  tiles <- dashboard_tiles(browser)
  expect_equal(tiles[["running"]], 2)
  expect_equal(tiles[["connected"]], 2)
  # Rows run longest first.
  on_task <- browser$script(
    paste(
      "return Array.from(document.querySelectorAll('#workers tbody tr .seconds-task'))",
      ".map(function (td) { return Number(td.dataset.value); });"
    )
  )
  expect_equal(length(on_task), 2L)
  expect_gte(on_task[[1L]], on_task[[2L]])
  dashboard_screenshot(browser, "dashboard.png")
  browser$window_size(390, 844)
  Sys.sleep(1.5)
  width <- browser$script("return document.documentElement.scrollWidth;")
  viewport <- browser$script("return window.innerWidth;")
  expect_lte(width, viewport)
  dashboard_screenshot(browser, "dashboard-phone.png")
  browser$script("document.getElementById('workers').scrollIntoView(); return true;")
  dashboard_screenshot(browser, "dashboard-phone-workers.png")
  browser$window_size(1280, 1100)

  # A frozen worker's heartbeat age grows until it is lost; a killed one is
  # lost at once, and the signal that killed it shows once the controller
  # scales.
  tools::pskill(frozen, tools::SIGSTOP)
  tools::pskill(nap, tools::SIGKILL)
  big_file <- tempfile()
  crew_test_pid_task(
    controller,
    "big",
    big_file,
    quote({
      x <- numeric(500 * 2^20 / 8)
      x[] <- 1
    })
  )
  ages <- numeric(0L)
  expect_true(
    dashboard_wait_for(
      controller,
      function() {
        row <- dashboard_row(browser, frozen)
        if (identical(row$state, "running")) {
          ages <<- c(ages, dashboard_number(row, "heartbeat"))
        }
        identical(row$state, "lost")
      },
      seconds = 30
    ),
    label = "the frozen worker shows as lost"
  )
  expect_gt(max(ages), 5)
  expect_true(all(diff(ages) >= -0.5))
  expect_match(dashboard_row(browser, frozen)$ended, "missed heartbeats for [0-9]+ s")
  expect_true(
    dashboard_wait_for(controller, function() identical(dashboard_row(browser, nap)$state, "lost")),
    label = "the killed worker shows as lost"
  )
  expect_equal(dashboard_row(browser, nap)$task, "long_nap")
  signal <- dashboard_wait_for(
    controller,
    function() grepl("signal 9", dashboard_row(browser, nap)$ended %||% "", fixed = TRUE)
  )
  expect_true(signal, label = "the killed worker shows signal 9")
  expect_match(dashboard_row(browser, nap)$ended, "connection lost")

  # A worker holding 500 MB shows at least that much memory.
  big <- crew_test_pid(big_file)
  on.exit(tools::pskill(big, tools::SIGKILL), add = TRUE, after = FALSE)
  expect_true(
    dashboard_wait_for(controller, function() {
      row <- dashboard_row(browser, big)
      identical(row$task, "big") && isTRUE(dashboard_number(row, "resident") >= 500)
    }),
    label = "the large worker shows 500 MB"
  )
  row <- dashboard_row(browser, big)
  expect_gte(dashboard_number(row, "peak"), dashboard_number(row, "resident"))
  expect_match(row$resident, "^[0-9]+ MB$")

  # Running rows come first, then the lost ones.
  states <- browser$script(
    "return Array.from(document.querySelectorAll('#workers tbody tr')).map(function (r) { return r.dataset.state; });"
  )
  expect_equal(unlist(states), c("running", "lost", "lost"))
  crashes <- browser$script(
    "return Array.from(document.querySelectorAll('#crashes li')).map(function (li) { return li.dataset.pid + ' ' + li.querySelector('.task').textContent; });"
  )
  expect_setequal(unlist(crashes), c(paste(nap, "long_nap"), paste(frozen, "frozen")))
  expect_gte(dashboard_tiles(browser)[["crashes"]], 2)
  Sys.sleep(1)
  dashboard_screenshot(browser, "dashboard-lost.png")

  # Terminated, the controller shows as not running, its workers still
  # listed.
  controller$terminate()
  browser_wait_for(
    function() {
      identical(
        browser$script("return document.querySelector('#controllers .chip').dataset.running;"),
        "false"
      )
    },
    what = "the controller to show as stopped"
  )
  expect_equal(dashboard_row(browser, big)$state, "exited")
})
