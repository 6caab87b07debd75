# Certificates made with openssl for the TLS tests: a root authority, an
# intermediate, a leaf for 127.0.0.1 (with a password-encrypted copy of its
# key), an unrelated root, an authority for worker certificates with one
# worker certificate, and certificates outside their validity period.

crew_test_openssl <- function(..., directory) {
  out <- processx::run(
    "openssl",
    c(...),
    wd = directory,
    error_on_status = FALSE
  )
  if (out$status != 0L) {
    stop(paste("openssl", paste(c(...), collapse = " "), "failed:", out$stderr))
  }
  invisible(out)
}

crew_test_pki_key_and_request <- function(name, subject, directory) {
  crew_test_openssl(
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", paste0(name, ".key"), "-out", paste0(name, ".csr"),
    "-subj", subject,
    directory = directory
  )
}

crew_test_pki_sign <- function(name, issuer, extensions, directory) {
  writeLines(extensions, file.path(directory, paste0(name, ".ext")))
  crew_test_openssl(
    "x509", "-req", "-in", paste0(name, ".csr"),
    "-CA", paste0(issuer, ".pem"), "-CAkey", paste0(issuer, ".key"),
    "-CAcreateserial", "-days", "30", "-sha256",
    "-extfile", paste0(name, ".ext"), "-out", paste0(name, ".pem"),
    directory = directory
  )
}

crew_test_pki_root <- function(name, directory) {
  crew_test_openssl(
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", paste0(name, ".key"), "-out", paste0(name, ".pem"),
    "-subj", paste0("/CN=crew-test-", name), "-days", "30",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    directory = directory
  )
}

# A self-signed certificate valid only between two dates (openssl ca can
# set both, unlike req and x509).
crew_test_pki_dated <- function(name, start, end, directory) {
  database <- file.path(directory, paste0(name, "-index.txt"))
  file.create(database)
  writeLines("01", file.path(directory, paste0(name, "-serial")))
  writeLines(
    c(
      "[ca]", "default_ca = local",
      "[local]", paste0("database = ", basename(database)),
      "new_certs_dir = .", paste0("serial = ", name, "-serial"),
      "default_md = sha256", "policy = anything", "unique_subject = no",
      "[anything]", "commonName = supplied"
    ),
    file.path(directory, paste0(name, ".cnf"))
  )
  crew_test_pki_key_and_request(name, "/CN=127.0.0.1", directory)
  crew_test_openssl(
    "ca", "-batch", "-config", paste0(name, ".cnf"), "-selfsign",
    "-keyfile", paste0(name, ".key"), "-in", paste0(name, ".csr"),
    "-out", paste0(name, ".pem"), "-startdate", start, "-enddate", end,
    "-notext",
    directory = directory
  )
}

crew_test_pki <- function(directory = tempfile("crew-pki-")) {
  dir.create(directory, recursive = TRUE, showWarnings = FALSE)
  crew_test_pki_root("root", directory)
  crew_test_pki_key_and_request("intermediate", "/CN=crew-test-intermediate", directory)
  crew_test_pki_sign(
    "intermediate",
    issuer = "root",
    extensions = c(
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign"
    ),
    directory = directory
  )
  crew_test_pki_key_and_request("leaf", "/CN=127.0.0.1", directory)
  crew_test_pki_sign(
    "leaf",
    issuer = "intermediate",
    extensions = c(
      "basicConstraints=CA:FALSE",
      "subjectAltName=IP:127.0.0.1",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth"
    ),
    directory = directory
  )
  crew_test_openssl(
    "pkcs8", "-topk8", "-in", "leaf.key", "-out", "leaf-encrypted.key",
    "-v2", "aes-256-cbc", "-passout", "pass:crew-secret",
    directory = directory
  )
  crew_test_pki_root("stranger", directory)
  crew_test_pki_root("workers", directory)
  crew_test_pki_key_and_request("worker", "/CN=crew-test-worker", directory)
  crew_test_pki_sign(
    "worker",
    issuer = "workers",
    extensions = c(
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=clientAuth"
    ),
    directory = directory
  )
  crew_test_pki_dated("expired", "20000101000000Z", "20010101000000Z", directory)
  crew_test_pki_dated("future", "29990101000000Z", "29991231000000Z", directory)
  path <- function(file) file.path(directory, file)
  list(
    directory = directory,
    chain = path(c("leaf.pem", "intermediate.pem", "root.pem")),
    key = path("leaf.key"),
    key_encrypted = path("leaf-encrypted.key"),
    password = "crew-secret",
    root = path("root.pem"),
    stranger = path("stranger.pem"),
    workers_ca = path("workers.pem"),
    worker_chain = path(c("worker.pem", "workers.pem")),
    worker_key = path("worker.key"),
    expired = path("expired.pem"),
    expired_key = path("expired.key"),
    future = path("future.pem"),
    future_key = path("future.key")
  )
}

# A TCP proxy in its own R process that forwards one connection to
# `target_port` and writes every byte it forwards, both ways, to
# `capture`. Returns the process and the port it listens on once it
# listens.
crew_test_capture_proxy <- function(target_port, capture) {
  port <- crew_test_port()
  ready <- paste0(capture, ".ready")
  script <- sprintf(
    "
    server <- serverSocket(%d)
    file.create('%s')
    client <- socketAccept(server, blocking = FALSE, open = 'r+b', timeout = 60)
    upstream <- socketConnection('127.0.0.1', %d, blocking = FALSE, open = 'r+b', timeout = 60)
    out <- file('%s', 'wb')
    ends <- list(client, upstream)
    repeat {
      ready <- socketSelect(ends, timeout = 1)
      for (i in which(ready)) {
        bytes <- readBin(ends[[i]], 'raw', 65536L)
        if (!length(bytes)) quit(save = 'no')
        writeBin(bytes, ends[[3L - i]])
        writeBin(bytes, out)
        flush(out)
      }
    }
    ",
    port,
    ready,
    as.integer(target_port),
    capture
  )
  process <- crew_test_rscript(call = script)
  if (!crew_test_until(~ file.exists(ready), seconds_timeout = 30)) {
    stop("the capture proxy did not start")
  }
  list(process = process, port = port)
}

# Starts a worker process by hand with `settings`, as a launcher would,
# and makes its exit status the worker's exit code.
crew_test_manual_worker <- function(settings, stdout = NULL, stderr = NULL) {
  call <- launcher_call(settings, name = "manual", options_metrics = crew_options_metrics())
  crew_test_rscript(
    call = sprintf("quit(save = 'no', status = %s)", call),
    stdout = stdout,
    stderr = stderr
  )
}
