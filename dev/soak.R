# The soak: tasks of random duration through workers spread over network
# namespaces, reached through the fault proxy, while a driver injects faults
# on a seeded schedule. At the end it checks that every task pushed has
# exactly one result row, that every success has the right value, that
# nothing is left behind, and that file descriptors, threads and memory
# stayed flat; prints the figures; exits with status 1 if any check fails.
#
#   Rscript dev/soak.R --seconds=600 --proxy=PATH [--seed=1] [--workers=8]
#
# PATH is the fault_proxy binary (make soak builds it). Run as root from the
# source tree: the namespaces come from dev/netns.sh.

options(warn = 1)
argument <- function(name, default) {
  args <- commandArgs(trailingOnly = TRUE)
  hit <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(hit)) sub("^[^=]*=", "", hit[[1L]]) else default
}
seconds <- as.numeric(argument("seconds", "600"))
proxy_binary <- argument("proxy", "")
seed <- as.integer(argument("seed", "1"))
workers <- as.integer(argument("workers", "8"))
tasks_total <- as.integer(round(100000 * seconds / 600))
if (!nzchar(proxy_binary) || !file.exists(proxy_binary)) {
  stop("--proxy must name the fault_proxy binary")
}

suppressPackageStartupMessages(library(crew))
for (helper in c("helper-peers.R", "helper-plugins.R", "helper-netns.R")) {
  source(file.path("tests", "testthat", helper))
}
now <- function() as.numeric(Sys.time())
pick_one <- function(x) x[[sample.int(length(x), 1L)]]
status_field <- function(field) {
  line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line))
}
usage <- function() {
  c(
    fds = length(list.files("/proc/self/fd")),
    threads = status_field("Threads"),
    rss_mb = status_field("VmRSS") / 1024,
    r_heap_mb = sum(gc()[, 2L])
  )
}

if (!crew_test_netns_available()) {
  stop("the soak makes network namespaces: run it as root with ip (dev/netns.sh check)")
}
set.seed(seed)
tag <- "cks"
directory <- tempfile("crew-soak-")
namespaces <- crew_test_netns_up(tag, 4L)
proxy <- NULL
controller <- NULL
hostile <- list()
copies <- character(0L)
cleanup <- function() {
  for (con in hostile) try(close(con$con), silent = TRUE)
  if (!is.null(controller)) try(controller$terminate(), silent = TRUE)
  if (!is.null(proxy)) try(close(proxy), silent = TRUE)
  crew_test_netns_down(tag)
}
report_lines <- character(0L)
say <- function(...) {
  line <- sprintf(...)
  report_lines <<- c(report_lines, line)
  cat(line, "\n", sep = "")
}

result <- tryCatch({
  # The client listens on its end of the first veth pair; workers dial the
  # proxy at the same address, which forwards to the client.
  host <- "10.213.1.1"
  port <- crew_test_port()
  proxy_out <- tempfile()
  proxy <- pipe(
    sprintf(
      "%s --listen %s:0 --target %s:%d > %s 2>&1",
      shQuote(proxy_binary), host, host, port, shQuote(proxy_out)
    ),
    open = "w"
  )
  crew_test_until(function() length(readLines(proxy_out, warn = FALSE)) > 0L, seconds_timeout = 10)
  proxy_line <- readLines(proxy_out, warn = FALSE)[[1L]]
  proxy_listen <- sub("^listen=([^ ]+) .*$", "\\1", proxy_line)
  proxy_control <- sub("^.*control=", "", proxy_line)
  control <- socketConnection(
    host = sub(":[0-9]+$", "", proxy_control),
    port = as.integer(sub("^.*:", "", proxy_control)),
    blocking = TRUE,
    open = "r+",
    timeout = 10
  )
  proxy_command <- function(line) {
    writeLines(line, control)
    readLines(control, n = 1L)
  }

  controller <- crew_test_netns_controller(
    interface = paste0(tag, "c1"),
    namespaces = namespaces,
    directory = directory,
    workers = workers,
    dial = proxy_listen,
    port = port,
    crashes_max = 5L,
    seconds_idle = Inf
  )
  controller$start()
  controller$launch(n = workers)
  crew_test_until(
    function() controller$client$status()[["connections"]] >= workers,
    seconds_timeout = 60
  )

  # Tasks: name -> index; what each should return follows from the index.
  kinds <- sample(
    c("plain", "big", "error", "warning"),
    size = tasks_total,
    replace = TRUE,
    prob = c(0.80, 0.05, 0.07, 0.08)
  )
  durations <- stats::runif(tasks_total, 0, 0.02)
  pushes <- integer(tasks_total)
  rows <- integer(tasks_total)
  final <- character(tasks_total)
  wrong <- 0L
  cancel_wanted <- which(stats::runif(tasks_total) < 0.01)
  cancel_at <- integer(0L)
  push_task <- function(index) {
    pushes[[index]] <<- pushes[[index]] + 1L
    controller$push(
      {
        Sys.sleep(seconds)
        if (kind == "error") stop("planned error")
        if (kind == "warning") warning("planned warning")
        if (kind == "big") as.raw(rep_len(index %% 256L, 1e6)) else index * 2
      },
      data = list(kind = kinds[[index]], index = index, seconds = durations[[index]]),
      name = paste0("t", index),
      scale = TRUE,
      throttle = TRUE
    )
  }
  take <- function() {
    out <- tryCatch(controller$collect(), crew_error = function(condition) NULL)
    if (is.null(out)) {
      return(invisible())
    }
    index <- as.integer(substring(out$name, 2L))
    for (row in seq_along(index)) {
      i <- index[[row]]
      rows[[i]] <<- rows[[i]] + 1L
      status <- out$status[[row]]
      if (identical(status, "crash") && pushes[[i]] <= 5L) {
        push_task(i)
        next
      }
      final[[i]] <<- status
      value <- out$result[[row]]
      ok <- switch(
        status,
        success = switch(
          kinds[[i]],
          plain = identical(value, i * 2),
          warning = identical(value, i * 2) && !is.na(out$warnings[[row]]),
          big = is.raw(value) && length(value) == 1e6 && value[[1L]] == as.raw(i %% 256L),
          FALSE
        ),
        error = identical(kinds[[i]], "error") && grepl("planned error", out$error[[row]]),
        cancel = i %in% cancel_wanted,
        crash = TRUE,
        FALSE
      )
      if (!isTRUE(ok)) {
        wrong <<- wrong + 1L
      }
    }
  }

  # The fault schedule, seeded like the tasks.
  faults <- c(
    sigkill = 0L, sigstop = 0L, proxy_stall = 0L, proxy_reset = 0L,
    proxy_truncate = 0L, proxy_blackhole = 0L, hostile = 0L, cancel = 0L
  )
  hostile_kinds <- c(garbage = 0L, oversize = 0L, silent = 0L, slow = 0L, http = 0L, copied = 0L)
  start <- now()
  next_kill <- start + stats::runif(1L, 2, 5)
  next_stop <- start + stats::runif(1L, 8, 15)
  next_proxy <- start + stats::runif(1L, 3, 6)
  hostile_times <- sort(start + stats::runif(200L, 1, max(2, seconds - 5)))
  stopped <- list()
  alive_workers <- function() crew_test_pids_alive(controller$launcher$pids())
  open_hostile <- function(kind) {
    con <- tryCatch(
      socketConnection(host = host, port = port, blocking = FALSE, open = "r+b", timeout = 5),
      error = function(condition) NULL
    )
    if (is.null(con)) {
      return(NULL)
    }
    bytes <- switch(
      kind,
      garbage = as.raw(sample(0:255, 2048L, replace = TRUE)),
      oversize = c(as.raw(rep(0xff, 7L)), as.raw(0x3f), as.raw(sample(0:255, 64L, replace = TRUE))),
      http = charToRaw("GET / HTTP/1.1\r\nHost: crew\r\n\r\n"),
      raw(0L)
    )
    if (length(bytes)) {
      try(writeBin(bytes, con), silent = TRUE)
    }
    list(con = con, kind = kind, until = now() + stats::runif(1L, 2, 15))
  }
  sampled_first <- NULL
  first_sample_at <- start + min(60, seconds / 6)
  pushed <- 0L
  while (now() < start + seconds || pushed < tasks_total) {
    t <- now()
    quota <- min(tasks_total, ceiling(tasks_total * (t - start) / (0.9 * seconds)))
    while (pushed < quota && controller$unresolved() < 4L * workers) {
      pushed <- pushed + 1L
      push_task(pushed)
      if (pushed %in% cancel_wanted) {
        cancel_at <- c(cancel_at, pushed)
      }
    }
    if (length(cancel_at)) {
      controller$cancel(names = paste0("t", cancel_at))
      faults[["cancel"]] <- faults[["cancel"]] + length(cancel_at)
      cancel_at <- integer(0L)
    }
    take()
    if (t >= next_kill) {
      pids <- alive_workers()
      if (length(pids)) {
        tools::pskill(pick_one(pids), tools::SIGKILL)
        faults[["sigkill"]] <- faults[["sigkill"]] + 1L
      }
      next_kill <- t + stats::runif(1L, 3, 6)
    }
    if (t >= next_stop && seconds >= 30) {
      pids <- setdiff(alive_workers(), vapply(stopped, `[[`, 0L, "pid"))
      if (length(pids)) {
        pid <- pick_one(pids)
        tools::pskill(pid, tools::SIGSTOP)
        stopped[[length(stopped) + 1L]] <- list(pid = pid, until = t + 12)
        faults[["sigstop"]] <- faults[["sigstop"]] + 1L
      }
      next_stop <- t + stats::runif(1L, 25, 40)
    }
    for (index in rev(seq_along(stopped))) {
      if (t >= stopped[[index]]$until) {
        tools::pskill(stopped[[index]]$pid, tools::SIGCONT)
        stopped[[index]] <- NULL
      }
    }
    if (t >= next_proxy) {
      pick <- sample.int(1000L, 1L)
      action <- sample(c("stall", "reset", "truncate", "blackhole"), 1L, prob = c(0.4, 0.3, 0.2, 0.1))
      answer <- proxy_command(switch(
        action,
        stall = sprintf("stall %d %d", pick, sample(1000:4000, 1L)),
        sprintf("%s %d", action, pick)
      ))
      if (startsWith(answer, "ok")) {
        name <- paste0("proxy_", action)
        faults[[name]] <- faults[[name]] + 1L
      }
      next_proxy <- t + stats::runif(1L, 3, 7)
    }
    while (length(hostile_times) && hostile_times[[1L]] <= t) {
      hostile_times <- hostile_times[-1L]
      kind <- sample(names(hostile_kinds), 1L, prob = c(0.25, 0.2, 0.2, 0.15, 0.15, 0.05))
      if (identical(kind, "copied")) {
        # The first launch's call: its worker joined long ago, so its
        # credential is spent.
        call <- controller$launcher$calls[1L]
        if (length(call)) {
          pid_file <- tempfile(tmpdir = directory, fileext = ".copy")
          system2(
            "sh",
            c("-c", shQuote(sprintf(
              "echo $$ > %s; exec %s --no-save -e %s",
              shQuote(pid_file), shQuote(file.path(R.home("bin"), "Rscript")), shQuote(call)
            ))),
            wait = FALSE, stdout = FALSE, stderr = FALSE
          )
          copies <- c(copies, pid_file)
        }
      } else {
        peer <- open_hostile(kind)
        if (!is.null(peer)) {
          hostile[[length(hostile) + 1L]] <- peer
        }
      }
      hostile_kinds[[kind]] <- hostile_kinds[[kind]] + 1L
      faults[["hostile"]] <- faults[["hostile"]] + 1L
    }
    for (index in rev(seq_along(hostile))) {
      peer <- hostile[[index]]
      written <- !identical(peer$kind, "slow") || isTRUE(tryCatch(
        {
          writeBin(as.raw(sample(0:255, 1L)), peer$con)
          TRUE
        },
        warning = function(condition) FALSE,
        error = function(condition) FALSE
      ))
      # A slow writer the client hung up on stops there.
      if (t >= peer$until || !written) {
        try(close(peer$con), silent = TRUE)
        hostile[[index]] <- NULL
      }
    }
    if (is.null(sampled_first) && t >= first_sample_at) {
      sampled_first <- usage()
    }
    Sys.sleep(0.01)
  }

  # No more faults: let every task finish.
  for (index in seq_along(stopped)) tools::pskill(stopped[[index]]$pid, tools::SIGCONT)
  for (peer in hostile) try(close(peer$con), silent = TRUE)
  hostile <- list()
  proxy_command("delay 0")
  deadline <- now() + 300
  while (any(final[seq_len(pushed)] == "") && now() < deadline) {
    take()
    Sys.sleep(0.05)
  }
  take()
  invisible(gc())
  sampled_last <- usage()
  launched <- controller$launcher$pids()
  cumulative <- controller$client$status()[["cumulative"]]
  controller$terminate()
  leftover_workers <- if (crew_test_until(
    function() !length(crew_test_pids_alive(launched)),
    seconds_timeout = 30
  )) 0L else length(crew_test_pids_alive(launched))
  copy_pids <- unlist(lapply(copies, function(file) {
    suppressWarnings(as.integer(readLines(file, warn = FALSE)[1L]))
  }))
  crew_test_until(function() !length(crew_test_pids_alive(copy_pids)), seconds_timeout = 30)
  leftover_copies <- length(crew_test_pids_alive(copy_pids))
  namespace_processes <- sum(vapply(namespaces, function(ns) {
    length(system2("ip", c("netns", "pids", ns), stdout = TRUE))
  }, 0L))
  close(control)
  close(proxy)
  proxy <- NULL
  controller <- NULL
  crew_test_netns_down(tag)
  leftover_namespaces <- length(crew_test_netns_left(tag))

  counted <- seq_len(pushed)
  lost <- sum(rows[counted] < pushes[counted])
  duplicated <- sum(rows[counted] > pushes[counted])
  unfinished <- sum(final[counted] == "")
  statuses <- table(factor(final[counted], levels = c("success", "error", "cancel", "crash", "")))
  say("crew soak: %.0f s, seed %d, %d workers over %d namespaces through the fault proxy",
    seconds, seed, workers, length(namespaces))
  say("tasks pushed %d (pushes with re-pushed crashes %d), of which big %d, erroring %d, warning %d",
    pushed, sum(pushes[counted]), sum(kinds[counted] == "big"), sum(kinds[counted] == "error"),
    sum(kinds[counted] == "warning"))
  say("faults: %s", paste(sprintf("%s %d", names(faults), faults), collapse = ", "))
  say("hostile connections by kind: %s", paste(sprintf("%s %d", names(hostile_kinds), hostile_kinds), collapse = ", "))
  say("results: success %d, error %d, cancel %d, crash %d, none %d",
    statuses[["success"]], statuses[["error"]], statuses[["cancel"]], statuses[["crash"]], statuses[[5L]])
  say("lost %d, duplicated %d, wrong %d, unfinished %d", lost, duplicated, wrong, unfinished)
  say("workers launched %d, joins %d; leftovers: workers %d, copied-credential peers %d, namespace processes %d, namespaces or links %d",
    length(launched), cumulative, leftover_workers, leftover_copies, namespace_processes, leftover_namespaces)
  first <- if (is.null(sampled_first)) sampled_last else sampled_first
  say("client at %.0f s and at the end: fds %d -> %d, threads %d -> %d, RSS %.0f -> %.0f MB (R's heap %.0f -> %.0f MB)",
    min(60, seconds / 6), first[["fds"]], sampled_last[["fds"]], first[["threads"]],
    sampled_last[["threads"]], first[["rss_mb"]], sampled_last[["rss_mb"]],
    first[["r_heap_mb"]], sampled_last[["r_heap_mb"]])
  checks <- c(
    "every task has exactly one row" = lost == 0L && duplicated == 0L && unfinished == 0L,
    "every value is right" = wrong == 0L,
    "no stranger joined" = cumulative <= length(launched),
    "nothing left behind" = leftover_workers == 0L && leftover_copies == 0L &&
      namespace_processes == 0L && leftover_namespaces == 0L,
    "file descriptors flat" = sampled_last[["fds"]] <= first[["fds"]] + 16,
    "threads flat" = sampled_last[["threads"]] <= first[["threads"]] + 4,
    "memory flat" = sampled_last[["rss_mb"]] <= first[["rss_mb"]] + 100
  )
  for (name in names(checks)) say("%-32s %s", name, if (checks[[name]]) "ok" else "FAILED")
  all(checks)
}, error = function(condition) {
  cat("soak failed: ", conditionMessage(condition), "\n", sep = "")
  FALSE
}, finally = cleanup())

quit(status = if (isTRUE(result)) 0L else 1L)
