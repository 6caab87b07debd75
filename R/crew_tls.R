#' @title Configure TLS
#' @export
#' @family tls
#' @description Create a TLS configuration for the connections between
#'   the client and its workers.
#' @details With `mode = "none"`, workers connect over plain TCP. With
#'   `mode = "automatic"`, the client creates a one-time key pair and a
#'   self-signed certificate when it starts, and each worker receives the
#'   certificate to verify the client. With `mode = "custom"`, you supply
#'   a PEM private key file and one or more PEM certificate files.
#'   See `vignette("tls", package = "crew")` for how to make these files
#'   and why a certificate authority helps.
#' @return A `crew_class_tls` object (an R6 object).
#' @param mode Character string, one of `"none"`, `"automatic"`, or
#'   `"custom"`.
#' @param key `NULL` unless `mode` is `"custom"`. Then a character string
#'   with the path to the PEM private key file of the client.
#' @param password `NULL` unless `mode` is `"custom"` and the key file is
#'   encrypted. Then a character string with the password of the key.
#'   Avoid writing the password into scripts: read it from a secure store
#'   instead.
#' @param certificates `NULL` unless `mode` is `"custom"`. Then a character
#'   vector of paths to PEM certificate files: the certificate of the
#'   client first, then the certificate that signed it, and so on up to the
#'   root certificate of the certificate authority.
#' @param validate Logical of length 1, whether to check the configuration
#'   when it is created.
#' @examples
#' crew_tls(mode = "automatic")
crew_tls <- function(
  mode = "none",
  key = NULL,
  password = NULL,
  certificates = NULL,
  validate = TRUE
) {
  check_flag(validate, "validate")
  tls <- crew_class_tls$new(
    mode = mode,
    key = key,
    password = password,
    certificates = certificates
  )
  if (validate) {
    tls$validate(test = TRUE)
  }
  tls
}

#' @title TLS configuration class
#' @export
#' @family tls
#' @description R6 class for TLS configurations. Create objects with
#'   [crew_tls()].
#' @field mode See [crew_tls()].
#' @field key See [crew_tls()].
#' @field password See [crew_tls()].
#' @field certificates See [crew_tls()].
#' @examples
#' crew_tls(mode = "automatic")
crew_class_tls <- R6::R6Class(
  classname = "crew_class_tls",
  portable = FALSE,
  cloneable = FALSE,
  private = list(
    .mode = NULL,
    .key = NULL,
    .password = NULL,
    .certificates = NULL,
    .authority = NULL,
    .worker_certificates = NULL,
    .worker_key = NULL
  ),
  active = list(
    mode = function() {
      .mode
    },
    key = function() {
      .key
    },
    password = function() {
      .password
    },
    certificates = function() {
      .certificates
    },
    #' @field authority Path of the PEM certificate of the authority that
    #'   signs worker certificates, or `NULL` if workers need none. See
    #'   [crew_tls_mutual()].
    authority = function() {
      .authority
    },
    #' @field worker_certificates Paths of each worker's PEM certificate
    #'   chain, as seen by the workers, or `NULL`.
    worker_certificates = function() {
      .worker_certificates
    },
    #' @field worker_key Path of each worker's PEM private key, as seen by
    #'   the workers, or `NULL`.
    worker_key = function() {
      .worker_key
    }
  ),
  public = list(
    #' @description TLS configuration constructor.
    #' @return A TLS configuration object.
    #' @param mode Argument passed from [crew_tls()].
    #' @param key Argument passed from [crew_tls()].
    #' @param password Argument passed from [crew_tls()].
    #' @param certificates Argument passed from [crew_tls()].
    initialize = function(
      mode = NULL,
      key = NULL,
      password = NULL,
      certificates = NULL
    ) {
      .mode <<- mode
      .key <<- key
      .password <<- password
      .certificates <<- certificates
    },
    #' @description Check the configuration.
    #' @details Raises a `crew_error` if an argument is invalid, a file is
    #'   missing, or a file does not start and end with the expected PEM
    #'   lines.
    #' @return `NULL` (invisibly).
    #' @param test Logical of length 1, whether to also check that the key
    #'   and certificates can actually be used for TLS. Set to `FALSE` to
    #'   check files that only mimic the PEM format.
    validate = function(test = TRUE) {
      tls_validate(self = self, private = private, test = test)
    },
    #' @description Credentials of the client (the server side of the
    #'   connections).
    #' @return `NULL` unless `mode` is `"custom"`. Then a character vector
    #'   of length 2: the text of all the certificate files, then the text
    #'   of the key file.
    client = function() {
      if (!identical(.mode, "custom")) {
        return(NULL)
      }
      c(tls_read_text(.certificates), tls_read_text(.key))
    },
    #' @description Credentials that workers use to verify the client.
    #' @return `NULL` if `mode` is `"none"`. If `mode` is `"automatic"`,
    #'   the certificate of the running compute profile, or `NULL` if the
    #'   profile is not running. If `mode` is `"custom"`, a character
    #'   vector with the text of the certificate files and an empty string.
    #' @param profile Character string, name of the compute profile.
    worker = function(profile) {
      if (identical(.mode, "automatic")) {
        check_string(profile, "profile")
        return(native_tls_certificate(profile))
      }
      if (!identical(.mode, "custom")) {
        return(NULL)
      }
      c(tls_read_text(.certificates), "")
    },
    #' @description Require workers to present a certificate signed by an
    #'   authority. Use [crew_tls_mutual()] instead of calling this.
    #' @return `NULL` (invisibly).
    #' @param authority See [crew_tls_mutual()].
    #' @param certificates See [crew_tls_mutual()].
    #' @param key See [crew_tls_mutual()].
    require_workers = function(authority, certificates, key) {
      .authority <<- authority
      .worker_certificates <<- certificates
      .worker_key <<- key
      invisible()
    },
    #' @description Build the URL that workers dial.
    #' @return Character string such as `"tcp://10.0.0.7:5700"`,
    #'   `"tls+tcp://10.0.0.7:5700"` or, for an IPv6 address,
    #'   `"tcp://[::1]:5700"`.
    #' @param host Character string, the host name or IP address.
    #' @param port Port number.
    url = function(host, port) {
      check_string(host, "host")
      if (!(is.atomic(port) && length(port) == 1L && !is.na(port))) {
        crew_error("port must be a port number.", kind = "invalid_argument")
      }
      protocol <- if (identical(.mode, "none")) "tcp" else "tls+tcp"
      if (grepl(":", host, fixed = TRUE) && !startsWith(host, "[")) {
        host <- paste0("[", host, "]")
      }
      sprintf("%s://%s:%s", protocol, host, port)
    }
  )
)

#' @title Validate a TLS configuration
#' @keywords internal
#' @param self The `crew_class_tls` object.
#' @param private Its private environment.
#' @param test Whether to check the credentials with the TLS library.
#' @return `NULL` (invisibly).
tls_validate <- function(self, private, test) {
  mode <- private$.mode
  modes <- c("none", "automatic", "custom")
  if (!is.character(mode) || length(mode) != 1L || anyNA(mode) ||
    !nzchar(mode) || !(mode %in% modes)) {
    crew_error(
      sprintf(
        "tls mode must be one of %s, not %s",
        paste0("\"", modes, "\"", collapse = ", "),
        tls_describe(mode)
      )
    )
  }
  tls_validate_mutual(private)
  if (mode %in% c("none", "automatic")) {
    for (field in c("key", "password", "certificates")) {
      if (!is.null(private[[paste0(".", field)]])) {
        crew_error(
          sprintf(
            "if tls mode is \"none\" or \"automatic\", then %s must be NULL.",
            field
          )
        )
      }
    }
    return(invisible())
  }
  key <- private$.key
  password <- private$.password
  certificates <- private$.certificates
  if (!tls_is_string(key)) {
    crew_error(
      sprintf(
        "with tls mode \"custom\", key must be a non-empty string, not %s",
        tls_describe(key)
      )
    )
  }
  if (!is.null(password) && !tls_is_string(password)) {
    crew_error(
      "with tls mode \"custom\", password must be NULL or a non-empty string"
    )
  }
  if (!is.character(certificates) || length(certificates) < 1L ||
    anyNA(certificates) || !all(nzchar(certificates))) {
    crew_error(
      sprintf(
        paste(
          "with tls mode \"custom\", certificates must be a character",
          "vector of one or more non-empty file paths, not %s"
        ),
        tls_describe(certificates)
      )
    )
  }
  crew_tls_assert_key(key)
  for (certificate in certificates) {
    crew_tls_assert_certificate(certificate)
  }
  if (isTRUE(test)) {
    tryCatch(
      native_tls_check(
        certificates = tls_read_text(certificates),
        key = tls_read_text(key),
        password = password
      ),
      crew_error = function(condition) {
        crew_error(
          paste(
            "the TLS key, password and certificates cannot be used:",
            conditionMessage(condition)
          ),
          kind = "tls"
        )
      }
    )
  }
  invisible()
}

tls_validate_mutual <- function(private) {
  authority <- private$.authority
  if (is.null(authority)) {
    return(invisible())
  }
  if (identical(private$.mode, "none")) {
    crew_error("workers can only present certificates over TLS: tls mode must not be \"none\".")
  }
  crew_assert(
    is.character(authority) && length(authority) >= 1L && !anyNA(authority) && all(nzchar(authority)),
    message = "authority must be a character vector of paths to PEM certificate files."
  )
  for (path in authority) {
    crew_tls_assert_certificate(path)
  }
  crew_assert(
    is.character(private$.worker_certificates) && length(private$.worker_certificates) >= 1L &&
      !anyNA(private$.worker_certificates) && all(nzchar(private$.worker_certificates)),
    message = "certificates must be a character vector of paths to the workers' PEM certificate files."
  )
  crew_assert(
    tls_is_string(private$.worker_key),
    message = "key must be the path to the workers' PEM private key file."
  )
  invisible()
}

#' @title Check a PEM private key file
#' @keywords internal
#' @description Raise a `crew_error` unless the file exists, is not empty,
#'   and starts and ends with the lines of a PEM private key (plain or
#'   encrypted).
#' @param path Character string, path to the key file.
#' @return `NULL` (invisibly).
crew_tls_assert_key <- function(path) {
  tls_assert_pem(
    path = path,
    what = "private key",
    first = c(
      "-----BEGIN PRIVATE KEY-----",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----",
      "-----BEGIN RSA PRIVATE KEY-----",
      "-----BEGIN EC PRIVATE KEY-----"
    ),
    last = c(
      "-----END PRIVATE KEY-----",
      "-----END ENCRYPTED PRIVATE KEY-----",
      "-----END RSA PRIVATE KEY-----",
      "-----END EC PRIVATE KEY-----"
    )
  )
}

#' @title Check a PEM certificate file
#' @keywords internal
#' @description Raise a `crew_error` unless the file exists, is not empty,
#'   and starts and ends with the lines of a PEM certificate.
#' @param path Character string, path to the certificate file.
#' @return `NULL` (invisibly).
crew_tls_assert_certificate <- function(path) {
  tls_assert_pem(
    path = path,
    what = "certificate",
    first = "-----BEGIN CERTIFICATE-----",
    last = "-----END CERTIFICATE-----"
  )
}

#' @title Check the first and last lines of a PEM file
#' @keywords internal
#' @param path Path to the file.
#' @param what Description of the file for error messages.
#' @param first Allowed first lines.
#' @param last Allowed last lines.
#' @return `NULL` (invisibly).
tls_assert_pem <- function(path, what, first, last) {
  if (!tls_is_string(path) || !file.exists(path)) {
    crew_error(sprintf("file not found: %s", tls_describe(path)))
  }
  lines <- trimws(readLines(path, warn = FALSE))
  # Blank lines around the PEM block (such as a trailing newline run)
  # are harmless, so only the first and last lines of content count.
  lines <- lines[nzchar(lines)]
  if (!length(lines)) {
    crew_error(sprintf("%s file is empty: %s", what, path))
  }
  if (!(lines[1L] %in% first)) {
    crew_error(
      sprintf(
        "%s file %s must start with one of these lines: %s",
        what,
        path,
        paste(first, collapse = " or ")
      )
    )
  }
  if (!(lines[length(lines)] %in% last)) {
    crew_error(
      sprintf(
        "%s file %s must end with one of these lines: %s",
        what,
        path,
        paste(last, collapse = " or ")
      )
    )
  }
  invisible()
}

#' @title Read PEM files into one string
#' @keywords internal
#' @param paths Paths of the files, in order.
#' @return Character string with all the lines joined by newlines.
tls_read_text <- function(paths) {
  lines <- unlist(
    lapply(paths, readLines, warn = FALSE),
    use.names = FALSE
  )
  paste(lines, collapse = "\n")
}

#' @title Whether a value is one non-empty string
#' @keywords internal
#' @param x Value to check.
#' @return `TRUE` or `FALSE`.
tls_is_string <- function(x) {
  is.character(x) && length(x) == 1L && !anyNA(x) && nzchar(x)
}

#' @title Short description of a value for error messages
#' @keywords internal
#' @param x Value to describe.
#' @return Character string.
tls_describe <- function(x) {
  if (is.null(x)) {
    return("NULL")
  }
  paste(utils::capture.output(utils::str(x, give.head = FALSE)), collapse = " ")
}
