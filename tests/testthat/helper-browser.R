# Drives headless Chromium through chromedriver's WebDriver protocol, with
# the curl command line tool for HTTP and jsonlite for JSON (both come with
# Debian's chromium and shiny packages; dev/install-deps.sh installs them).

browser_tools_missing <- function() {
  tools <- c("chromium", "chromedriver", "curl")
  missing <- tools[!nzchar(Sys.which(tools))]
  if (!requireNamespace("shiny", quietly = TRUE)) {
    missing <- c(missing, "the shiny package")
  }
  if (!requireNamespace("jsonlite", quietly = TRUE)) {
    missing <- c(missing, "the jsonlite package")
  }
  missing
}

browser_http <- function(method, url, body = NULL) {
  args <- c("--silent", "--max-time", "30", "-X", method, url)
  if (!is.null(body)) {
    json <- jsonlite::toJSON(body, auto_unbox = TRUE)
    args <- c(args, "-H", "Content-Type: application/json", "--data-binary", json)
  }
  out <- processx::run("curl", args, error_on_status = FALSE)
  if (!nzchar(out$stdout)) {
    return(NULL)
  }
  jsonlite::fromJSON(out$stdout, simplifyVector = FALSE)
}

browser_wait_for <- function(ready, seconds = 30, what = "the browser") {
  deadline <- Sys.time() + seconds
  while (!isTRUE(ready())) {
    if (Sys.time() > deadline) {
      stop("timed out waiting for ", what, call. = FALSE)
    }
    Sys.sleep(0.1)
  }
}

# A chromedriver process and a headless Chromium session; `close()` ends
# both.
browser_start <- function() {
  port <- httpuv::randomPort()
  driver <- processx::process$new(
    "chromedriver",
    c(sprintf("--port=%d", port)),
    stdout = NULL,
    stderr = NULL,
    cleanup_tree = TRUE
  )
  base <- sprintf("http://127.0.0.1:%d", port)
  browser_wait_for(
    function() isTRUE(browser_http("GET", paste0(base, "/status"))$value$ready),
    what = "chromedriver"
  )
  capabilities <- list(
    capabilities = list(
      alwaysMatch = list(
        browserName = "chrome",
        `goog:chromeOptions` = list(
          binary = unname(Sys.which("chromium")),
          args = list(
            "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--window-size=800,600"
          )
        )
      )
    )
  )
  session <- browser_http("POST", paste0(base, "/session"), capabilities)$value$sessionId
  if (is.null(session)) {
    driver$kill_tree()
    stop("chromedriver did not start a browser session", call. = FALSE)
  }
  url <- function(...) paste0(base, "/session/", session, ...)
  # NULL when nothing matches: WebDriver answers with an error object then.
  element <- function(css) {
    found <- browser_http("POST", url("/element"), list(using = "css selector", value = css))
    if (!is.list(found$value) || !is.null(found$value$error)) {
      return(NULL)
    }
    found$value[[1L]]
  }
  list(
    open = function(page) browser_http("POST", url("/url"), list(url = page)),
    element = element,
    text = function(css) {
      id <- element(css)
      if (is.null(id)) "" else browser_http("GET", url("/element/", id, "/text"))$value
    },
    click = function(css) {
      browser_http("POST", url("/element/", element(css), "/click"), setNames(list(), character(0)))
    },
    # Runs `code`, the body of a JavaScript function, in the page and
    # returns its value: one call, so it reads a page that redraws itself
    # without finding stale elements.
    script = function(code) {
      browser_http("POST", url("/execute/sync"), list(script = code, args = list()))$value
    },
    window_size = function(width, height) {
      browser_http("POST", url("/window/rect"), list(width = width, height = height))
    },
    screenshot = function(path) {
      png <- browser_http("GET", url("/screenshot"))$value
      writeBin(jsonlite::base64_dec(png), path)
    },
    close = function() {
      try(browser_http("DELETE", url("")), silent = TRUE)
      driver$kill_tree()
    }
  )
}

# Runs a Shiny app in its own R process on a loopback port; `stop()`
# interrupts it, so its onStop() handlers (controller$terminate()) run.
shiny_app_start <- function(directory) {
  port <- httpuv::randomPort()
  code <- sprintf(
    "shiny::runApp(%s, port = %d, host = '127.0.0.1', launch.browser = FALSE)",
    deparse(directory),
    port
  )
  log <- tempfile(fileext = ".log")
  app <- processx::process$new(
    file.path(R.home("bin"), "Rscript"),
    c("-e", code),
    env = c("current", R_LIBS = paste(.libPaths(), collapse = ":")),
    stdout = log,
    stderr = "2>&1",
    cleanup_tree = TRUE
  )
  page <- sprintf("http://127.0.0.1:%d", port)
  browser_wait_for(
    function() {
      out <- processx::run("curl", c("--silent", "--max-time", "2", page), error_on_status = FALSE)
      out$status == 0L && grepl("shiny", out$stdout, ignore.case = TRUE)
    },
    seconds = 60,
    what = "the Shiny app"
  )
  list(
    page = page,
    log = log,
    stop = function() {
      app$interrupt()
      if (app$is_alive()) {
        app$wait(timeout = 10000)
      }
      app$kill_tree()
    }
  )
}
